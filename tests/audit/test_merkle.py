"""RFC 6962 hashing against Certificate Transparency's reference vectors (the test data of
google/certificate-transparency and transparency-dev/merkle)."""

import hashlib

import pytest

from mediation_svc.audit import merkle

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]
ROOTS = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
PATHS_IN_8 = {
    0: ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    5: ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}
HASHED = [merkle.leaf_hash(leaf) for leaf in LEAVES]


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_reference_vectors(size):
    assert merkle.root(HASHED[:size]).hex() == ROOTS[size - 1]


def test_the_empty_tree_is_the_hash_of_nothing():
    assert merkle.root([]) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("index", sorted(PATHS_IN_8))
def test_audit_paths_match_the_reference_vectors(index):
    path = merkle.audit_path(index, HASHED)
    assert [p.hex() for p in path] == PATHS_IN_8[index]
    assert merkle.root_from_path(index, 8, HASHED[index], path).hex() == ROOTS[7]


@pytest.mark.parametrize("size", range(1, 40))
def test_every_leaf_proves_its_way_to_the_root_and_no_other_leaf_does(size):
    hashed = [merkle.leaf_hash(f"leaf {i}".encode()) for i in range(size)]
    expected = merkle.root(hashed)
    for index in range(size):
        path = merkle.audit_path(index, hashed)
        assert merkle.root_from_path(index, size, hashed[index], path) == expected
        other = (index + 1) % size
        if other != index:
            assert merkle.root_from_path(index, size, hashed[other], path) != expected


def test_a_frontier_restored_from_its_hashes_grows_the_same_tree():
    grown = merkle.Frontier()
    for hashed in HASHED[:5]:
        grown.append(hashed)
    restored = merkle.Frontier(grown.size, grown.hashes)
    for hashed in HASHED[5:]:
        restored.append(hashed)
    assert restored.root().hex() == ROOTS[7]
    with pytest.raises(ValueError):
        merkle.Frontier(5, grown.hashes[:1])


def test_a_proof_of_the_wrong_length_is_refused():
    path = merkle.audit_path(2, HASHED)
    with pytest.raises(ValueError):
        merkle.root_from_path(2, 8, HASHED[2], path[:-1])
    with pytest.raises(ValueError):
        merkle.root_from_path(2, 8, HASHED[2], path + path[:1])

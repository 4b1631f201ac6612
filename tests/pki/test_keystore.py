"""The key store on disk: a key made when missing is made once, whoever asks first.

Several workers (threads of one process, or processes sharing ``keys/``) may find a key missing at the same
moment, for example the first requests for ``/.well-known/jwks.json`` after a deployment whose ``keys init``
did not make a newer purpose's key. Each must end up with the same key as the file: otherwise one signs
reports with a key that the other publishes no longer, and a court's check of a genuine report fails.
"""

from __future__ import annotations

import stat
import threading
from concurrent.futures import ThreadPoolExecutor

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key

from mediation_svc.pki.keystore import KeyStore

PASSPHRASE = b"test-passphrase-for-the-keystore"


def _public(key) -> bytes:
    return key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def test_a_missing_key_made_by_racing_workers_is_one_key(tmp_path):
    workers = 8
    barrier = threading.Barrier(workers)

    def make(_: int) -> bytes:
        store = KeyStore(tmp_path, PASSPHRASE)  # a worker of its own: nothing cached in common
        barrier.wait()
        return _public(store.ensure_ec_key("report-signing"))

    for round_ in range(5):
        for path in tmp_path.iterdir():
            path.unlink()
        with ThreadPoolExecutor(workers) as pool:
            seen = set(pool.map(make, range(workers)))
        on_disk = _public(load_pem_private_key((tmp_path / "report-signing.key.pem").read_bytes(), PASSPHRASE))
        assert seen == {on_disk}, f"round {round_}: {len(seen)} different keys handed out"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["report-signing.key.pem"]  # no temporary left


def test_a_key_is_written_encrypted_and_readable_by_its_owner_only(tmp_path):
    store = KeyStore(tmp_path, PASSPHRASE)
    store.ensure_rsa_key("tsa", bits=2048)
    path = tmp_path / "tsa.key.pem"
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = KeyStore(tmp_path, PASSPHRASE).ensure_rsa_key("tsa")
    assert _public(again) == _public(store.private_key("tsa"))

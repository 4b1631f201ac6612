"""The transparency log over the audit chains: folding chain heads into the RFC 6962 Merkle tree, signed
tree heads (JWS, RFC 7515, by the center's report key) with RFC 3161 timestamps from the center's TSA,
checking every tree head, and a case's inclusion proof for the court.

A leaf is a chain's head when it was folded in: the RFC 8785 canonical JSON of ``{"chain", "chain_seq",
"entry_hash"}``. Since each entry's hash covers the previous one, a leaf vouches for the whole chain up to
that position; the signed, timestamped tree head vouches for every leaf, so an inclusion proof shows that a
case's history, as it is in the package, existed by the token's time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import rfc8785
from asn1crypto import cms
from sqlalchemy import func
from sqlmodel import Session, col, select

from ..coroutines import run_sync
from ..db import advisory_lock, utcnow
from . import merkle
from .chain import chain_of, hash_of
from .models import AuditChain, AuditEntry, AuditTreeHead, AuditTreeLeaf

LOG_ID = "mediation-svc audit log"
HEAD_TYPE = "audit-tree-head+jws"
FOLD_LOCK = 7_316_016  # advisory lock key: one fold at a time across workers and hosts


def leaf_data(chain: str, chain_seq: int, entry_hash: str) -> bytes:
    return rfc8785.dumps({"chain": chain, "chain_seq": chain_seq, "entry_hash": entry_hash})


def head_payload(head: AuditTreeHead) -> dict[str, Any]:
    return {"log": LOG_ID, "tree_size": head.tree_size, "root_hash": head.root_hash,
            "issued_at": head.issued_at.isoformat()}


def latest_head(session: Session) -> AuditTreeHead | None:
    return session.exec(select(AuditTreeHead).order_by(col(AuditTreeHead.tree_size).desc())).first()


def fold(session: Session, keystore, timestamper) -> AuditTreeHead | None:
    """Add a leaf for every chain that grew since it was last folded in; sign and timestamp the new head.

    Reads chain heads without locking them (a chain that grows meanwhile is folded next time), so no
    writer waits for the fold. Returns None when no chain grew.
    """
    from ..verification.attestation import sign_payload

    advisory_lock(session, FOLD_LOCK)
    previous = latest_head(session)
    folded = dict(session.exec(select(AuditTreeLeaf.chain, func.max(AuditTreeLeaf.chain_seq))
                               .group_by(col(AuditTreeLeaf.chain))).all())
    grown = [c for c in session.exec(select(AuditChain).order_by(col(AuditChain.chain))).all()
             if c.last_seq > folded.get(c.chain, 0)]
    if not grown:
        return None
    size = previous.tree_size if previous else 0
    frontier = merkle.Frontier(size, [bytes.fromhex(h) for h in json.loads(previous.frontier)] if previous else [])
    if size != session.exec(select(func.count()).select_from(AuditTreeLeaf)).one():
        raise RuntimeError("the tree has leaves beyond its last signed head; run `audit verify`")
    for index, chain in enumerate(grown, start=size):
        hashed = merkle.leaf_hash(leaf_data(chain.chain, chain.last_seq, chain.last_hash))
        session.add(AuditTreeLeaf(index=index, chain=chain.chain, chain_seq=chain.last_seq,
                                  entry_hash=chain.last_hash, leaf_hash=hashed.hex()))
        frontier.append(hashed)
    head = AuditTreeHead(tree_size=frontier.size, root_hash=frontier.root().hex(), issued_at=utcnow(),
                         frontier=json.dumps([h.hex() for h in frontier.hashes]), signed_head="",
                         timestamp_token=b"")
    head.signed_head = sign_payload(keystore, head_payload(head), typ=HEAD_TYPE)
    head.timestamp_token = timestamp(timestamper, head.signed_head).dump()
    session.add(head)
    session.flush()
    return head


def timestamp(timestamper, signed_head: str) -> cms.ContentInfo:
    """An RFC 3161 token over SHA-256 of the signed head's compact JWS."""
    digest = hashlib.sha256(signed_head.encode("ascii")).digest()
    return run_sync(timestamper.async_timestamp(digest, "sha256"))


@dataclass
class TreeReport:
    ok: bool
    heads_checked: int = 0
    leaves_checked: int = 0
    first_broken_seq: int | None = None
    broken_tree_size: int | None = None
    reason: str | None = None
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "heads_checked": self.heads_checked, "leaves_checked": self.leaves_checked,
                "first_broken_seq": self.first_broken_seq, "broken_tree_size": self.broken_tree_size,
                "reason": self.reason}


def check_timestamp(token_der: bytes, signed_head: str, trust_roots) -> str | None:
    """None when the token is a valid RFC 3161 token over this signed head from a TSA under ``trust_roots``."""
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    try:
        token = cms.ContentInfo.load(token_der)
        digest = hashlib.sha256(signed_head.encode("ascii")).digest()
        # pyHanko's validator is a coroutine (since before the 0.25 we require): run it to its result.
        status = run_sync(validate_tst_signed_data(token["content"], ValidationContext(trust_roots=trust_roots),
                                                   lambda _algorithm: digest))
    except Exception as exc:  # noqa: BLE001 - any failure to parse or validate is a finding
        return f"timestamp token does not verify: {type(exc).__name__}: {exc}"
    if not (status["intact"] and status["valid"] and status.get("trusted", True)):
        return "timestamp token does not verify against the center's TSA"
    return None


def verify_tree(session: Session, jwk_set: dict[str, Any], trust_roots) -> TreeReport:
    """Every leaf against its chain entry, every head's root against the leaves, signature and timestamp."""
    from ..verification.attestation import AttestationInvalid, verify_payload

    report = TreeReport(ok=True)
    heads = {h.tree_size: h for h in session.exec(select(AuditTreeHead)).all()}
    frontier = merkle.Frontier()
    leaves = session.exec(select(AuditTreeLeaf).order_by(col(AuditTreeLeaf.index))).all()
    for leaf in leaves:
        entry = session.exec(select(AuditEntry).where(col(AuditEntry.chain) == leaf.chain,
                                                      col(AuditEntry.chain_seq) == leaf.chain_seq)).first()
        expected = merkle.leaf_hash(leaf_data(leaf.chain, leaf.chain_seq, leaf.entry_hash))
        if leaf.index != frontier.size or expected.hex() != leaf.leaf_hash:
            return _broken(report, None, f"leaf {leaf.index} is not the leaf that was folded in")
        if entry is None or entry.hash != leaf.entry_hash or hash_of(entry) != entry.hash:
            seq = entry.seq if entry is not None else None
            return _broken(report, seq, f"{leaf.chain} #{leaf.chain_seq} no longer matches the signed tree "
                                        f"(leaf {leaf.index})")
        frontier.append(expected)
        report.leaves_checked += 1
        head = heads.pop(frontier.size, None)
        if head is not None:
            problem = _check_head(head, frontier.root(), jwk_set, trust_roots, verify_payload, AttestationInvalid)
            if problem:
                report.broken_tree_size = head.tree_size
                return _broken(report, None, problem)
            report.heads_checked += 1
    if heads:
        size = min(heads)
        report.broken_tree_size = size
        return _broken(report, None, f"tree head {size} names leaves that are missing")
    return report


def _check_head(head: AuditTreeHead, root: bytes, jwk_set, trust_roots, verify_payload, invalid) -> str | None:
    if root.hex() != head.root_hash:
        return f"tree head {head.tree_size}: its root does not match the leaves"
    try:
        signed = verify_payload(head.signed_head, jwk_set, typ=HEAD_TYPE)
    except invalid as exc:
        return f"tree head {head.tree_size}: {exc}"
    if signed != head_payload(head):
        return f"tree head {head.tree_size}: the signed head says something else"
    problem = check_timestamp(head.timestamp_token, head.signed_head, trust_roots)
    return f"tree head {head.tree_size}: {problem}" if problem else None


def _broken(report: TreeReport, seq: int | None, reason: str) -> TreeReport:
    report.ok, report.first_broken_seq, report.reason = False, seq, reason
    return report


def case_evidence(session: Session, case_id: int) -> dict[str, Any] | None:
    """The case's chain up to its last folded position and the inclusion proof of that position against the
    latest tree head, for the evidence package; None when the case's chain was never folded."""
    chain = chain_of("", case_id)
    head = latest_head(session)
    leaf = session.exec(select(AuditTreeLeaf).where(col(AuditTreeLeaf.chain) == chain)
                        .order_by(col(AuditTreeLeaf.index).desc())).first()
    if head is None or leaf is None:
        return None
    hashed = [bytes.fromhex(h) for h in session.exec(
        select(AuditTreeLeaf.leaf_hash).where(col(AuditTreeLeaf.index) < head.tree_size)
        .order_by(col(AuditTreeLeaf.index))).all()]
    entries = session.exec(select(AuditEntry).where(col(AuditEntry.chain) == chain,
                                                    col(AuditEntry.chain_seq) <= leaf.chain_seq)
                           .order_by(col(AuditEntry.chain_seq))).all()
    return {
        "chain": chain,
        "entries": [entry_json(e) for e in entries],
        "proof": {"leaf_index": leaf.index, "tree_size": head.tree_size, "chain_seq": leaf.chain_seq,
                  "entry_hash": leaf.entry_hash,
                  "audit_path": [p.hex() for p in merkle.audit_path(leaf.index, hashed)]},
        "tree_head": {**head_payload(head), "signed_head": head.signed_head},
        "timestamp_token": head.timestamp_token,
    }


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {"seq": entry.seq, "chain": entry.chain, "chain_seq": entry.chain_seq, "prev_seq": entry.prev_seq,
            "at": entry.at.isoformat(), "actor": entry.actor, "action": entry.action, "subject": entry.subject,
            "case_id": entry.case_id, "payload": json.loads(entry.payload), "prev_hash": entry.prev_hash,
            "hash": entry.hash}


@dataclass
class CaseEvidenceCheck:
    ok: bool
    problems: list[str]
    entries: int = 0
    tree_size: int | None = None
    timestamped_at: str | None = None  # the TSA's time: the case's history existed, unchanged, by then


def check_case_evidence(chain: dict[str, Any], proof: dict[str, Any], signed_head: str, token_der: bytes,
                        jwk_set: dict[str, Any], trust_roots) -> CaseEvidenceCheck:
    """What a court does with the package's audit files: each entry's hash and link, the last one's leaf
    up the audit path to the root of the signed tree head, the head's signature and its RFC 3161 token."""
    from datetime import datetime

    from ..verification.attestation import AttestationInvalid, verify_payload

    problems: list[str] = []
    previous_hash, previous_seq, position = "0" * 64, None, 0
    for item in chain.get("entries", []):
        entry = AuditEntry(seq=item["seq"], chain=item["chain"], chain_seq=item["chain_seq"],
                           prev_seq=item["prev_seq"], at=datetime.fromisoformat(item["at"]), actor=item["actor"],
                           action=item["action"], subject=item["subject"], case_id=item["case_id"],
                           payload=rfc8785.dumps(item["payload"]).decode(), prev_hash=item["prev_hash"],
                           hash=item["hash"])
        if (entry.chain, entry.chain_seq, entry.prev_seq, entry.prev_hash) != (
                chain.get("chain"), position + 1, previous_seq, previous_hash):
            problems.append(f"entry {entry.seq} is not the next link of {chain.get('chain')}")
            break
        if hash_of(entry) != entry.hash:
            problems.append(f"entry {entry.seq} does not match its hash")
            break
        previous_hash, previous_seq, position = entry.hash, entry.seq, entry.chain_seq
    result = CaseEvidenceCheck(ok=False, problems=problems, entries=position)
    if problems:
        return result
    if (position, previous_hash) != (proof.get("chain_seq"), proof.get("entry_hash")):
        problems.append("the proof is for another point of the chain than the entries end at")
        return result
    try:
        head = verify_payload(signed_head, jwk_set, typ=HEAD_TYPE)
    except AttestationInvalid as exc:
        problems.append(f"tree head: {exc}")
        return result
    try:
        root = merkle.root_from_path(proof["leaf_index"], proof["tree_size"],
                                     merkle.leaf_hash(leaf_data(chain["chain"], position, previous_hash)),
                                     [bytes.fromhex(h) for h in proof["audit_path"]])
    except (KeyError, ValueError) as exc:
        problems.append(f"inclusion proof malformed: {exc}")
        return result
    if head.get("tree_size") != proof["tree_size"] or root.hex() != head.get("root_hash"):
        problems.append("the inclusion proof does not lead to the signed tree head's root")
        return result
    problem = check_timestamp(token_der, signed_head, trust_roots)
    if problem:
        problems.append(problem)
        return result
    from ..pki.tsa import token_gen_time

    result.ok, result.tree_size = True, head["tree_size"]
    result.timestamped_at = token_gen_time(cms.ContentInfo.load(token_der)).isoformat()
    return result


def center_trust(keystore) -> tuple[dict[str, Any], list]:
    """The JWK Set that verifies tree heads and the root the TSA's certificate chains to."""
    from ..pki import hierarchy
    from ..pki.tsa import to_asn1_cert
    from ..verification.attestation import jwks

    return jwks(keystore), [to_asn1_cert(keystore.certificate(hierarchy.ROOT))]


def verify_log(session: Session, keystore) -> dict[str, Any]:
    """``audit verify``: every chain, then the tree heads; the first broken entry named either way."""
    from .chain import verify_chain

    chains = verify_chain(session)
    result = chains.as_dict()
    tree = verify_tree(session, *center_trust(keystore)) if chains.ok else None
    result["tree"] = tree.as_dict() if tree is not None else None
    if tree is not None and not tree.ok:
        result.update(ok=False, first_broken_seq=tree.first_broken_seq, reason=tree.reason)
    return result

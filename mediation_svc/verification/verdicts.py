"""What a file's certificates say about a signature: the signer and the chain described for the report, and the
verdicts that judge revocation and validity against the proof of existence (ETSI EN 319 102-1 §5.2.5, §5.2.6,
§5.6.2.4). Used by ``report.verify_pdf`` for every signature."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import cast

from asn1crypto import x509 as asn1_x509
from cryptography import x509

from ..security.pipl import mask_id_number
from ..signing.oids import EVIDENCE_DIGEST_OID
from . import ltv
from .schemas import CertificateInfo, Indication, SignatureResult, SignerInfo


def name_attribute(name: asn1_x509.Name, key: str) -> str | None:
    value = name.native.get(key)
    if isinstance(value, list):
        value = value[-1] if value else None
    return str(value) if value is not None else None


def signer_info(cert: asn1_x509.Certificate) -> SignerInfo:
    subject = cert.subject
    role = name_attribute(subject, "title") or name_attribute(subject, "organizational_unit_name")
    evidence = None
    try:
        crypto_cert = x509.load_der_x509_certificate(cert.dump())
        ext = crypto_cert.extensions.get_extension_for_oid(EVIDENCE_DIGEST_OID)
        from asn1crypto import core

        evidence = core.OctetString.load(cast(x509.UnrecognizedExtension, ext.value).value).native.hex()
    except Exception:  # noqa: BLE001 - not one of our signer certificates
        pass
    case_number = name_attribute(subject, "organizational_unit_name") if name_attribute(subject, "title") else None
    return SignerInfo(name=name_attribute(subject, "common_name"), role=role, masked_id=mask_id_number(name_attribute(subject, "serial_number")),
                      organisation=name_attribute(subject, "organization_name"), case_number=case_number,
                      evidence_sha256=evidence)


def certificate_info(cert: asn1_x509.Certificate, anchors: set[bytes]) -> CertificateInfo:
    validity = cert["tbs_certificate"]["validity"]
    try:
        is_ca = bool(cert.ca)
    except Exception:  # noqa: BLE001 - a malformed extension: say nothing rather than guess
        is_ca = None
    return CertificateInfo(subject=cert.subject.human_friendly, issuer=cert.issuer.human_friendly,
                           serial_hex=format(cert.serial_number, "x"),
                           not_before=validity["not_before"].native, not_after=validity["not_after"].native,
                           sha256=hashlib.sha256(cert.dump()).hexdigest(), trust_anchor=cert.dump() in anchors,
                           organisation=name_attribute(cert.subject, "organization_name"), is_ca=is_ca)


def chain_of(status, signer_cert: asn1_x509.Certificate, anchors: set[bytes]) -> tuple[list[CertificateInfo], bool]:
    """The path pyHanko built, leaf first, and whether it ends at one of our anchors (by key and bytes)."""
    path = getattr(status, "validation_path", None) if status is not None else None
    if path is not None:
        try:
            certs = list(path.iter_certs(include_root=True))
        except Exception:  # noqa: BLE001
            certs = []
        if certs:
            infos = [certificate_info(c, anchors) for c in reversed(certs)]
            return infos, infos[-1].trust_anchor
    return [certificate_info(signer_cert, anchors)], False


def time_verdict(out: SignatureResult, poe: dt.datetime | None, cert: asn1_x509.Certificate) -> None:
    """ETSI EN 319 102-1 §5.6.2.4: judge revocation and validity against the proof of existence.

    pyHanko's LTA process sometimes reports only that no past path could be built; with a trusted
    signature timestamp the specific answer is known, and the file's own revocation data is checked
    here too, so that no gap in a library's past validation lets a revoked signer through: revoked at
    or before the POE is REVOKED, a POE after notAfter is EXPIRED, before notBefore NOT_YET_VALID."""
    if poe is None or not out.chain_trusted:
        return
    revocation = out.revocation
    if revocation is not None and revocation.status == "revoked" and revocation.revoked_at is not None \
            and revocation.revoked_at <= poe:
        fail(out, "REVOKED", f"the signer's certificate was revoked at {revocation.revoked_at.isoformat()}, "
                              f"before the signature was timestamped ({poe.isoformat()})")
    validity = cert["tbs_certificate"]["validity"]
    if poe > validity["not_after"].native:
        fail(out, "EXPIRED", f"the signature was timestamped at {poe.isoformat()}, after the signer's "
                              f"certificate expired ({validity['not_after'].native.isoformat()})")
    elif poe < validity["not_before"].native:
        fail(out, "NOT_YET_VALID", f"the signature was timestamped at {poe.isoformat()}, before the signer's "
                                    f"certificate became valid ({validity['not_before'].native.isoformat()})")


def fail(result: SignatureResult, sub: str, message: str) -> None:
    """Downgrade a result to TOTAL_FAILED (a failure found later overrides a pass or an indeterminate)."""
    if result.indication != Indication.TOTAL_FAILED:
        result.indication, result.sub_indication = Indication.TOTAL_FAILED, sub
    result.errors.append(message)


def expired_without_poe(out: SignatureResult, cert: asn1_x509.Certificate, poe_time, now: dt.datetime) -> None:
    """No trusted timestamp and a certificate outside its validity now: EXPIRED / NOT_YET_VALID, not a
    generic chain failure (ETSI EN 319 102-1 §5.2.6)."""
    if poe_time is not None or out.indication == Indication.TOTAL_FAILED or not out.chain_trusted:
        return
    validity = cert["tbs_certificate"]["validity"]
    if now > validity["not_after"].native:
        out.indication, out.sub_indication = Indication.INDETERMINATE, "EXPIRED"
        out.errors.append(f"the signer's certificate expired {validity['not_after'].native.isoformat()} and no "
                          f"valid timestamp proves the signature existed before that")
    elif now < validity["not_before"].native:
        out.indication, out.sub_indication = Indication.INDETERMINATE, "NOT_YET_VALID"
        out.errors.append(f"the signer's certificate is valid only from {validity['not_before'].native.isoformat()}")


def revocation_after_use(out: SignatureResult, used_at: dt.datetime) -> None:
    """A "good" answer issued before the signature cannot clear it (ETSI EN 319 102-1 §5.2.5.4)."""
    revocation = out.revocation
    if out.indication != Indication.TOTAL_PASSED or revocation is None or revocation.status != "good":
        return
    if not ltv.revinfo_speaks_for_use(revocation.issued_at, used_at):
        out.indication, out.sub_indication = Indication.INDETERMINATE, "TRY_LATER"
        out.errors.append("the only revocation data for the signer's certificate in the file was issued before "
                          "the signature was made, so it cannot show the certificate was not revoked then")

"""Which revocation data in a signed file speaks for a certificate, and what it says (RFC 5280 CRLs,
RFC 6960 OCSP answers from the file's DSS): the source, when it was issued, and any revocation."""

from __future__ import annotations

import datetime as dt

from asn1crypto import x509 as asn1_x509

from . import ltv
from .schemas import Revocation


def revocation_of(cert: asn1_x509.Certificate, facts, status, trusted: bool,
                poe: dt.datetime | None = None) -> Revocation:
    """Which revocation data in the file speaks for this certificate, and what it says.

    A revocation anywhere wins. Otherwise the answer is the earliest one issued at or after ``poe`` (the
    time the certificate was used), or failing that the newest one: ``ltv.revinfo_speaks_for_use`` then
    tells whether it can clear the certificate for that use."""
    if not trusted and getattr(status, "revocation_details", None) is None:
        return Revocation(status="not_checked",
                          source="the certificate does not chain to the trust anchor, so no revocation data "
                                 "in the file can speak for it")
    details = getattr(status, "revocation_details", None) if status is not None else None
    answers = _ocsp_answers(cert, facts) + _crl_answers(cert, facts)
    revoked = [a for a in answers if a.status == "revoked"]
    if revoked:
        return min(revoked, key=lambda a: a.revoked_at or dt.datetime.max.replace(tzinfo=dt.timezone.utc))
    # each of these has its issued_at: the fallback is only there for the sort key's type
    dated = sorted((a for a in answers if a.issued_at is not None),
                   key=lambda a: a.issued_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc))
    if dated:
        after = [a for a in dated if ltv.revinfo_speaks_for_use(a.issued_at, poe)] if poe else []
        return after[0] if after else dated[-1]
    if answers:
        return answers[0]
    if details is not None:
        return Revocation(status="revoked", source="revocation data embedded in the signature",
                          revoked_at=details.revocation_date, reason=str(details.revocation_reason))
    return Revocation(status="not_checked", source="no revocation data for this certificate in the file")


def _ocsp_answers(cert: asn1_x509.Certificate, facts) -> list[Revocation]:
    answers = []
    for response in facts.dss_ocsps:
        try:
            basic = response["response_bytes"]["response"].parsed
            produced = basic["tbs_response_data"]["produced_at"].native
            for single in basic["tbs_response_data"]["responses"]:
                if single["cert_id"]["serial_number"].native != cert.serial_number:
                    continue
                state = single["cert_status"].name
                source = f"OCSP response in the file's DSS, produced {produced.isoformat()}"
                if state == "revoked":
                    info = single["cert_status"].chosen
                    answers.append(Revocation(status="revoked", source=source, kind="ocsp", issued_at=produced,
                                              revoked_at=info["revocation_time"].native,
                                              reason=info["revocation_reason"].native
                                              if info["revocation_reason"].native else None))
                else:
                    answers.append(Revocation(status="good" if state == "good" else "unknown", source=source,
                                              kind="ocsp", issued_at=produced))
        except Exception:  # noqa: BLE001 - a broken answer in the DSS speaks for nothing
            continue
    return answers


def _crl_answers(cert: asn1_x509.Certificate, facts) -> list[Revocation]:
    answers = []
    for crl in facts.dss_crls:
        try:
            if crl.issuer != cert.issuer:
                continue
            this_update = crl["tbs_cert_list"]["this_update"].native
            source = f"CRL from {crl.issuer.human_friendly} in the file's DSS, issued {this_update.isoformat()}"
            answer = Revocation(status="good", source=source, kind="crl", issued_at=this_update)
            for entry in crl["tbs_cert_list"]["revoked_certificates"]:
                if entry["user_certificate"].native == cert.serial_number:
                    reason = None
                    for ext in entry["crl_entry_extensions"]:
                        if ext["extn_id"].native == "crl_reason":
                            reason = ext["extn_value"].native
                    answer = Revocation(status="revoked", source=source, kind="crl", issued_at=this_update,
                                        revoked_at=entry["revocation_date"].native, reason=reason)
            answers.append(answer)
        except Exception:  # noqa: BLE001
            continue
    return answers

"""Verify a signed PDF the way a court needs it: ETSI EN 319 102-1 indications per signature (PAdES,
ETSI EN 319 142-1), with pyHanko's AdES validation and difference analysis, offline, against the
center's root as the only trust anchor.

Pure: bytes and root certificates in, a ``VerificationReport`` out; no database, no network. Certificates
embedded in the file are only ever path-building material: trust comes from the anchor's key, never from
a name. Revocation data is what the file carries (its DSS and the signatures' own attributes).

On top of pyHanko's AdES verdict, three things a plain CMS check misses make a signature TOTAL_FAILED
with FORMAT_FAILURE: an incremental update after it that is not a permitted one (new page content, pages,
annotations: pdfsig still says "Signature is Valid." for these), a byte range that leaves out more than
the signature value, and bytes that are not part of any revision (truncation, data after %%EOF).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel, SuspiciousModification
from pyhanko.sign.validation import ades
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature, async_validate_pdf_timestamp
from pyhanko.sign.validation.policy_decl import (PdfSignatureValidationSpec, RevinfoOnlineFetchingRule,
                                                 RevocationInfoGatheringSpec, SignatureValidationSpec)
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule
from pyhanko_certvalidator.registry import SimpleTrustManager

from ..signing.pades import EVIDENCE_DIGEST_OID
from .schemas import (CertificateInfo, Indication, Modification, Revocation, SignatureResult, SignerInfo,
                      VerificationReport)

# pyHanko logs every suspicious modification and failed path with a traceback; the report carries them.
for _name in ("pyhanko.sign.diff_analysis", "pyhanko.sign.validation", "pyhanko_certvalidator",
              "pyhanko.sign.diff_analysis.policies", "pyhanko.pdf_utils.reader"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

PDF_HEADER = re.compile(rb"%PDF-\d\.\d")
EOF_MARKER = b"%%EOF"
PERMITTED_LEVELS = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING}
LEVEL_TEXT = {
    ModificationLevel.NONE: "nothing changed after this signature",
    ModificationLevel.LTA_UPDATES: "only long-term validation data and document timestamps were added",
    ModificationLevel.FORM_FILLING: "only permitted signing or form filling followed",
    ModificationLevel.ANNOTATIONS: "annotations were added or changed after this signature",
    ModificationLevel.OTHER: "the document was changed after this signature",
}


class NotAPdf(ValueError):
    """The bytes are not a PDF at all (empty, or no %PDF- header): there is nothing to report on."""


@dataclass
class _FileFacts:
    """What the file says about itself, read once for all signatures."""

    reader: PdfFileReader
    total_revisions: int
    dss_certs: list[asn1_x509.Certificate] = field(default_factory=list)
    dss_crls: list[asn1_crl.CertificateList] = field(default_factory=list)
    dss_ocsps: list[asn1_ocsp.OCSPResponse] = field(default_factory=list)


# ---- policy: how pyHanko should validate ----------------------------------------------------------------

def _spec(trust_roots: Sequence[asn1_x509.Certificate]) -> PdfSignatureValidationSpec:
    required = RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=list(trust_roots)),
        revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(ee_certificate_rule=required,
                                                                   intermediate_ca_cert_rule=required)))
    # diff_policy=None: the difference analysis is run once per signature by _verify before this spec is
    # used (pyHanko would otherwise redo it for every embedded signature inside every signature's LTA run);
    # the results stay on the EmbeddedPdfSignature objects and pyHanko reports them from there.
    return PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=policy,
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY)), diff_policy=None)


def _timestamp_context(trust_roots, facts: _FileFacts) -> ValidationContext:
    return ValidationContext(trust_roots=list(trust_roots), other_certs=facts.dss_certs,
                             crls=facts.dss_crls, ocsps=facts.dss_ocsps, allow_fetching=False,
                             revocation_mode="soft-fail")


# ---- reading the file ------------------------------------------------------------------------------------

def _read_dss(reader: PdfFileReader, facts: _FileFacts) -> None:
    try:
        dss = reader.root["/DSS"] if "/DSS" in reader.root else None
    except Exception:  # noqa: BLE001 - a broken DSS is reported through the signatures' revocation status
        return
    if dss is None:
        return
    loaders = (("/Certs", asn1_x509.Certificate, facts.dss_certs), ("/CRLs", asn1_crl.CertificateList, facts.dss_crls),
               ("/OCSPs", asn1_ocsp.OCSPResponse, facts.dss_ocsps))
    for key, cls, into in loaders:
        try:
            for ref in (dss[key] if key in dss else []):
                obj = cls.load(ref.get_object().data)
                obj.native  # parse fully now: a broken entry is skipped, not a crash later
                into.append(obj)
        except Exception:  # noqa: BLE001
            continue


def _tail_problem(pdf: bytes, covered_end: int) -> str | None:
    """Bytes that belong to no revision: a truncated file, or data appended after the last %%EOF."""
    if covered_end > len(pdf):
        return f"a signature's byte range ends at byte {covered_end} but the file has {len(pdf)} bytes: the file " \
               f"was truncated or rewritten after signing"
    last = pdf.rfind(EOF_MARKER)
    if last < 0:
        return "the file has no end-of-file marker (%%EOF): it is truncated or not a complete PDF"
    tail = pdf[last + len(EOF_MARKER):]
    if tail.strip(b"\r\n\t \x00"):
        return f"{len(tail)} bytes follow the last end-of-file marker and belong to no revision: the file " \
               f"was truncated, or data was appended after its end"
    return None


# ---- describing certificates -----------------------------------------------------------------------------

def _attr(name: asn1_x509.Name, key: str) -> str | None:
    value = name.native.get(key)
    if isinstance(value, list):
        value = value[-1] if value else None
    return str(value) if value is not None else None


def mask_id(value: str | None) -> str | None:
    """Mask an identity number for display; ours are masked at issuance already (they contain '*')."""
    if not value or "*" in value:
        return value
    if len(value) <= 4:
        return "*" * len(value)
    keep = 3 if len(value) > 10 else 1
    return value[:keep] + "*" * (len(value) - keep - 4) + value[-4:]


def _signer_info(cert: asn1_x509.Certificate) -> SignerInfo:
    subject = cert.subject
    role = _attr(subject, "title") or _attr(subject, "organizational_unit_name")
    evidence = None
    try:
        crypto_cert = x509.load_der_x509_certificate(cert.dump())
        ext = crypto_cert.extensions.get_extension_for_oid(EVIDENCE_DIGEST_OID)
        from asn1crypto import core

        evidence = core.OctetString.load(ext.value.value).native.hex()
    except Exception:  # noqa: BLE001 - not one of our signer certificates
        pass
    case_number = _attr(subject, "organizational_unit_name") if _attr(subject, "title") else None
    return SignerInfo(name=_attr(subject, "common_name"), role=role, masked_id=mask_id(_attr(subject, "serial_number")),
                      organisation=_attr(subject, "organization_name"), case_number=case_number,
                      evidence_sha256=evidence)


def _cert_info(cert: asn1_x509.Certificate, anchors: set[bytes]) -> CertificateInfo:
    validity = cert["tbs_certificate"]["validity"]
    return CertificateInfo(subject=cert.subject.human_friendly, issuer=cert.issuer.human_friendly,
                           serial_hex=format(cert.serial_number, "x"),
                           not_before=validity["not_before"].native, not_after=validity["not_after"].native,
                           sha256=hashlib.sha256(cert.dump()).hexdigest(), trust_anchor=cert.dump() in anchors)


def _chain(status, signer_cert: asn1_x509.Certificate, anchors: set[bytes]) -> tuple[list[CertificateInfo], bool]:
    """The path pyHanko built, leaf first, and whether it ends at one of our anchors (by key and bytes)."""
    path = getattr(status, "validation_path", None) if status is not None else None
    if path is not None:
        try:
            certs = list(path.iter_certs(include_root=True))
        except Exception:  # noqa: BLE001
            certs = []
        if certs:
            infos = [_cert_info(c, anchors) for c in reversed(certs)]
            return infos, infos[-1].trust_anchor
    return [_cert_info(signer_cert, anchors)], False


def _time_verdict(out: SignatureResult, status, cert: asn1_x509.Certificate) -> None:
    """ETSI EN 319 102-1 §5.6.2.4: judge revocation and expiry against the timestamped signing time.

    pyHanko's LTA process reports only that no past path could be built; with a trusted signature
    timestamp the specific answer is known: revoked before signing is REVOKED, a timestamp outside the
    certificate's validity is EXPIRED (after notAfter) or NOT_YET_VALID (before notBefore)."""
    ts = getattr(status, "timestamp_validity", None)
    if ts is None or not (ts.intact and ts.valid and ts.trusted) or not out.chain_trusted:
        return
    when = ts.timestamp
    details = getattr(status, "revocation_details", None)
    if details is not None and details.revocation_date is not None and details.revocation_date <= when:
        _fail(out, "REVOKED", f"the signer's certificate was revoked at {details.revocation_date.isoformat()}, "
                              f"before the signature was timestamped ({when.isoformat()})")
    validity = cert["tbs_certificate"]["validity"]
    if when > validity["not_after"].native:
        _fail(out, "EXPIRED", f"the signature was timestamped at {when.isoformat()}, after the signer's "
                              f"certificate expired ({validity['not_after'].native.isoformat()})")
    elif when < validity["not_before"].native:
        _fail(out, "NOT_YET_VALID", f"the signature was timestamped at {when.isoformat()}, before the signer's "
                                    f"certificate became valid ({validity['not_before'].native.isoformat()})")


# ---- revocation ------------------------------------------------------------------------------------------

def _revocation(cert: asn1_x509.Certificate, facts: _FileFacts, status, trusted: bool) -> Revocation:
    """Which revocation data in the file speaks for this certificate, and what it says."""
    if not trusted and getattr(status, "revocation_details", None) is None:
        return Revocation(status="not_checked",
                          source="the certificate does not chain to the trust anchor, so no revocation data "
                                 "in the file can speak for it")
    details = getattr(status, "revocation_details", None) if status is not None else None
    serial, issuer = cert.serial_number, cert.issuer
    for response in facts.dss_ocsps:
        try:
            basic = response["response_bytes"]["response"].parsed
            for single in basic["tbs_response_data"]["responses"]:
                if single["cert_id"]["serial_number"].native != serial:
                    continue
                state = single["cert_status"].name
                produced = basic["tbs_response_data"]["produced_at"].native
                source = f"OCSP response in the file's DSS, produced {produced.isoformat()}"
                if state == "revoked":
                    info = single["cert_status"].chosen
                    return Revocation(status="revoked", source=source, revoked_at=info["revocation_time"].native,
                                      reason=info["revocation_reason"].native if info["revocation_reason"].native
                                      else None)
                return Revocation(status="good" if state == "good" else "unknown", source=source)
        except Exception:  # noqa: BLE001
            continue
    for crl in facts.dss_crls:
        try:
            if crl.issuer != issuer:
                continue
            this_update = crl["tbs_cert_list"]["this_update"].native
            source = f"CRL from {crl.issuer.human_friendly} in the file's DSS, issued {this_update.isoformat()}"
            for entry in crl["tbs_cert_list"]["revoked_certificates"]:
                if entry["user_certificate"].native == serial:
                    reason = None
                    for ext in entry["crl_entry_extensions"]:
                        if ext["extn_id"].native == "crl_reason":
                            reason = ext["extn_value"].native
                    return Revocation(status="revoked", source=source,
                                      revoked_at=entry["revocation_date"].native, reason=reason)
            return Revocation(status="good", source=source)
        except Exception:  # noqa: BLE001
            continue
    if details is not None:
        return Revocation(status="revoked", source="revocation data embedded in the signature",
                          revoked_at=details.revocation_date, reason=str(details.revocation_reason))
    return Revocation(status="not_checked", source="no revocation data for this certificate in the file")


# ---- one signature ---------------------------------------------------------------------------------------

def _coverage_text(sig: EmbeddedPdfSignature, coverage: SignatureCoverageLevel | None, total: int) -> str:
    revision = sig.signed_revision + 1
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return "the whole file"
    if coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        return f"revision {revision} of {total} (the file as it was when this signature was applied)"
    if coverage == SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START:
        return f"a block from the start of the file, but not the whole of revision {revision}"
    return "unclear: the signed byte range does not match the file's revisions"


def _modification(status) -> Modification:
    diff = getattr(status, "diff_result", None)
    coverage = getattr(status, "coverage", None)
    if isinstance(diff, SuspiciousModification):
        return Modification(level=ModificationLevel.OTHER.name, permitted=False,
                            description=f"{LEVEL_TEXT[ModificationLevel.OTHER]}: {_clip(str(diff))}")
    if isinstance(diff, DiffResult):
        level = diff.modification_level
        permitted = level in PERMITTED_LEVELS and getattr(status, "docmdp_ok", True) is not False
        fields = sorted(diff.changed_form_fields)
        text = LEVEL_TEXT.get(level, level.name)
        if fields:
            text += f" (fields: {', '.join(fields)})"
        return Modification(level=level.name, permitted=permitted, description=text, changed_fields=fields)
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return Modification(level="NONE", permitted=True, description=LEVEL_TEXT[ModificationLevel.NONE])
    return Modification(level="UNKNOWN", permitted=False,
                        description="what changed after this signature could not be determined")


def _clip(text: str, limit: int = 400) -> str:
    # pyHanko lists every unexplained object; the first lines say what happened
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def _pades_level(sig: EmbeddedPdfSignature, facts: _FileFacts, doc_ts_revisions: list[int],
                 dss_revision: int | None) -> str:
    try:
        attrs = sig.signer_info["unsigned_attrs"]
        has_ts = any(a["type"].native == "signature_time_stamp_token" for a in attrs) if attrs.native else False
    except Exception:  # noqa: BLE001
        has_ts = False
    if not has_ts:
        return "B-B"
    if dss_revision is None or dss_revision <= sig.signed_revision:
        return "B-T"
    if any(r >= dss_revision for r in doc_ts_revisions):
        return "B-LTA"
    return "B-LT"


def _dss_revision(reader: PdfFileReader) -> int | None:
    """The first revision after which the catalog carries a DSS."""
    try:
        for revision in range(reader.xrefs.total_revisions):
            root = reader.get_historical_root(revision)
            if "/DSS" in root:
                return revision
    except Exception:  # noqa: BLE001
        return None
    return None


def _indication_from_ades(subindic) -> tuple[Indication, str | None]:
    status = subindic.status.name  # PASSED | INDETERMINATE | FAILED
    if status == "PASSED":
        return Indication.TOTAL_PASSED, None
    if status == "FAILED":
        return Indication.TOTAL_FAILED, subindic.name
    return Indication.INDETERMINATE, subindic.name


def _fail(result: SignatureResult, sub: str, message: str) -> None:
    """Downgrade a result to TOTAL_FAILED (a failure found later overrides a pass or an indeterminate)."""
    if result.indication != Indication.TOTAL_FAILED:
        result.indication, result.sub_indication = Indication.TOTAL_FAILED, sub
    result.errors.append(message)


async def _validate_signature(sig: EmbeddedPdfSignature, spec, facts: _FileFacts, anchors: set[bytes],
                              doc_ts_revisions: list[int], dss_revision: int | None,
                              timing) -> SignatureResult:
    result = await ades.ades_lta_validation(sig, spec, timing_info=timing)
    status = result.api_status
    indication, sub = _indication_from_ades(result.ades_subindic)
    coverage = getattr(status, "coverage", None) or sig.evaluate_signature_coverage()
    chain, trusted = _chain(status, sig.signer_cert, anchors)
    ts_status = getattr(status, "timestamp_validity", None)
    out = SignatureResult(
        kind="signature", field_name=sig.field_name, indication=indication, sub_indication=sub,
        signer=_signer_info(sig.signer_cert), chain=chain, chain_trusted=trusted,
        claimed_signing_time=sig.self_reported_timestamp,
        timestamp_time=ts_status.timestamp if ts_status is not None else None,
        best_signature_time=result.best_signature_time if indication == Indication.TOTAL_PASSED else None,
        integrity=bool(status and status.intact and status.valid), coverage=coverage.name,
        coverage_description=_coverage_text(sig, coverage, facts.total_revisions),
        signed_revision=sig.signed_revision + 1, total_revisions=facts.total_revisions,
        modifications=_modification(status), pades_level=_pades_level(sig, facts, doc_ts_revisions, dss_revision),
        revocation=_revocation(sig.signer_cert, facts, status, trusted),
        reason=_text(sig.sig_object.get("/Reason")), location=_text(sig.sig_object.get("/Location")))
    if indication != Indication.TOTAL_PASSED and result.failure_msg:
        out.errors.append(result.failure_msg)
    if out.pades_level == "B-B":
        out.warnings.append("no signature timestamp: the signing time is only what the signer's software claimed")
    elif ts_status is not None and not (ts_status.intact and ts_status.valid and ts_status.trusted):
        out.warnings.append("the signature timestamp did not validate against the trust anchor")
    _time_verdict(out, status, sig.signer_cert)
    _apply_structure_checks(out, coverage)
    if out.revocation and out.revocation.status == "revoked" and out.indication == Indication.TOTAL_PASSED:
        out.warnings.append("the signer's certificate was revoked after the signature was timestamped")
    return out


def _apply_structure_checks(out: SignatureResult, coverage: SignatureCoverageLevel) -> None:
    if coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        _fail(out, "FORMAT_FAILURE", "the signed byte range does not cover the whole revision it belongs to")
    if out.modifications is not None and not out.modifications.permitted:
        _fail(out, "FORMAT_FAILURE", out.modifications.description)


async def _validate_doc_timestamp(sig: EmbeddedPdfSignature, context: ValidationContext, facts: _FileFacts,
                                  anchors: set[bytes]) -> SignatureResult:
    status = await async_validate_pdf_timestamp(sig, validation_context=context, skip_diff=True)
    coverage = status.coverage or sig.evaluate_signature_coverage()
    chain, trusted = _chain(status, sig.signer_cert, anchors)
    if not status.intact:
        indication, sub = Indication.TOTAL_FAILED, "HASH_FAILURE"
    elif not status.valid:
        indication, sub = Indication.TOTAL_FAILED, "SIG_CRYPTO_FAILURE"
    elif not status.trusted:
        indication, sub = Indication.INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND"
    else:
        indication, sub = Indication.TOTAL_PASSED, None
    out = SignatureResult(
        kind="document_timestamp", field_name=sig.field_name, indication=indication, sub_indication=sub,
        signer=_signer_info(sig.signer_cert), chain=chain, chain_trusted=trusted,
        timestamp_time=status.timestamp, integrity=bool(status.intact and status.valid), coverage=coverage.name,
        coverage_description=_coverage_text(sig, coverage, facts.total_revisions),
        signed_revision=sig.signed_revision + 1, total_revisions=facts.total_revisions,
        modifications=_modification(status), revocation=_revocation(sig.signer_cert, facts, status, trusted))
    _apply_structure_checks(out, coverage)
    return out


def _text(value) -> str | None:
    return str(value) if value is not None else None


def _broken(sig: EmbeddedPdfSignature | None, index: int, exc: Exception, kind: str = "signature") -> SignatureResult:
    name = None
    try:
        name = sig.field_name if sig is not None else None
    except Exception:  # noqa: BLE001
        pass
    return SignatureResult(kind=kind, field_name=name or f"#{index + 1}", indication=Indication.TOTAL_FAILED,
                           sub_indication="FORMAT_FAILURE", integrity=False, coverage="UNCLEAR",
                           coverage_description="the signature could not be read",
                           errors=[f"the signature cannot be processed: {type(exc).__name__}: {str(exc)[:300]}"])


# ---- the whole file --------------------------------------------------------------------------------------

def _overall(report: VerificationReport) -> None:
    results = report.signatures
    failed = next((r for r in results if r.indication == Indication.TOTAL_FAILED), None)
    undecided = next((r for r in results if r.indication == Indication.INDETERMINATE), None)
    if report.errors and not results:
        report.indication, report.sub_indication = Indication.TOTAL_FAILED, "FORMAT_FAILURE"
    elif not any(r.kind == "signature" for r in results) and not failed:
        report.indication, report.sub_indication = Indication.TOTAL_FAILED, "NO_SIGNATURE_FOUND"
    elif report.errors:
        report.indication, report.sub_indication = Indication.TOTAL_FAILED, "FORMAT_FAILURE"
    elif failed is not None:
        report.indication, report.sub_indication = Indication.TOTAL_FAILED, failed.sub_indication
    elif undecided is not None:
        report.indication, report.sub_indication = Indication.INDETERMINATE, undecided.sub_indication
    else:
        report.indication, report.sub_indication = Indication.TOTAL_PASSED, None
    signatures = [r for r in results if r.kind == "signature"]
    stamps = len(results) - len(signatures)
    verdict = {Indication.TOTAL_PASSED: "every signature is valid and the document is unchanged since signing",
               Indication.TOTAL_FAILED: "the document cannot be relied on",
               Indication.INDETERMINATE: "validity could not be established"}[report.indication]
    report.summary = (f"{report.indication.value}"
                      f"{' / ' + report.sub_indication if report.sub_indication else ''}: {verdict} "
                      f"({len(signatures)} signature(s), {stamps} document timestamp(s))")


def load_trust_roots(pems: Sequence[bytes]) -> list[x509.Certificate]:
    return [x509.load_pem_x509_certificate(p) for p in pems]


def verify_pdf(pdf: bytes, *, trust_roots: Sequence[x509.Certificate], file_name: str | None = None,
               now: dt.datetime | None = None) -> VerificationReport:
    """Validate every signature and document timestamp of ``pdf``; raises NotAPdf for non-PDF input."""
    if not pdf:
        raise NotAPdf("the upload is empty")
    if not PDF_HEADER.search(pdf[:1024]):
        raise NotAPdf("the upload is not a PDF (no %PDF- header in its first 1024 bytes)")
    now = now or dt.datetime.now(dt.timezone.utc)
    anchors_asn1 = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in trust_roots]
    report = VerificationReport(indication=Indication.INDETERMINATE, summary="", file_name=file_name,
                                file_sha256=hashlib.sha256(pdf).hexdigest(), file_size=len(pdf),
                                validation_time=now,
                                trust_anchor="; ".join(c.subject.human_friendly for c in anchors_asn1) or None)
    try:
        return asyncio.run(_verify(pdf, anchors_asn1, report, now))
    except RecursionError as exc:
        report.errors.append(f"the PDF structure cannot be read: {type(exc).__name__}")
        report.signatures = []
        _overall(report)
        return report


async def _verify(pdf: bytes, anchors_asn1, report: VerificationReport, now: dt.datetime) -> VerificationReport:
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        facts = _FileFacts(reader=reader, total_revisions=reader.xrefs.total_revisions)
        signatures = list(reader.embedded_signatures)
    except (PdfReadError, Exception) as exc:  # noqa: BLE001 - any parse failure is a FORMAT_FAILURE report
        report.errors.append(f"the file cannot be read as a PDF: {type(exc).__name__}: {str(exc)[:300]}")
        problem = _tail_problem(pdf, 0)
        if problem:
            report.errors.append(problem)
        _overall(report)
        return report
    _read_dss(reader, facts)
    anchors = {c.dump() for c in anchors_asn1}
    spec = _spec(anchors_asn1)
    ts_context = _timestamp_context(anchors_asn1, facts)
    timing = _timing(now)
    dss_revision = _dss_revision(reader)
    doc_ts_revisions = []
    for sig in signatures:
        try:
            if sig.sig_object_type == "/DocTimeStamp":
                doc_ts_revisions.append(sig.signed_revision)
        except Exception:  # noqa: BLE001
            continue
    for sig in signatures:
        try:
            sig.compute_integrity_info(DEFAULT_DIFF_POLICY)
        except Exception:  # noqa: BLE001 - the same failure comes back below, per signature, as its verdict
            continue
    covered_end = 0
    for index, sig in enumerate(signatures):
        try:
            a, b, c, d = (int(x) for x in sig.sig_object["/ByteRange"])
            covered_end = max(covered_end, c + d)
            if sig.sig_object_type == "/DocTimeStamp":
                result = await _validate_doc_timestamp(sig, ts_context, facts, anchors)
            else:
                result = await _validate_signature(sig, spec, facts, anchors, doc_ts_revisions, dss_revision, timing)
        except Exception as exc:  # noqa: BLE001 - a signature pyHanko cannot process is a failed signature
            result = _broken(sig, index, exc)
        report.signatures.append(result)
    problem = _tail_problem(pdf, covered_end)
    if problem:
        report.errors.append(problem)
        last = report.signatures[-1] if report.signatures else None
        if last is not None:
            _fail(last, "FORMAT_FAILURE", problem)
    _overall(report)
    return report


def _timing(now: dt.datetime) -> ValidationTimingInfo:
    return ValidationTimingInfo(validation_time=now, best_signature_time=now, point_in_time_validation=False)

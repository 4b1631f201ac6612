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

import contextlib
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
from pyhanko.sign.diff_analysis import (DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel,
                                        SuspiciousModification)
from pyhanko.sign.validation import ades
from pyhanko.sign.validation.generic_cms import (extract_tst_data_iter, message_imprint_checker,
                                                 validate_tst_signed_data)
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature, async_validate_pdf_timestamp
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from ..coroutines import run_sync
from . import caches, ltv, structure
from .basis import describe_basis
from .revinfo import revocation_of
from .schemas import Indication, Modification, SignatureResult, VerificationReport
from .verdicts import chain_of, expired_without_poe, fail, revocation_after_use, signer_info, time_verdict

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


class UnreadablePdf(NotAPdf):
    """A %PDF- header, but nothing that can be parsed as a PDF and no signature in it: no verdict to give."""


@dataclass
class _FileFacts:
    """What the file says about itself, read once for all signatures."""

    reader: PdfFileReader
    total_revisions: int
    dss_certs: list[asn1_x509.Certificate] = field(default_factory=list)
    dss_crls: list[asn1_crl.CertificateList] = field(default_factory=list)
    dss_ocsps: list[asn1_ocsp.OCSPResponse] = field(default_factory=list)


# ---- reading the file ------------------------------------------------------------------------------------

def _read_dss(reader: PdfFileReader, facts: _FileFacts) -> None:
    try:
        dss = reader.root["/DSS"] if "/DSS" in reader.root else None  # noqa: SIM401 - [] resolves, .get() not
    except Exception:  # noqa: BLE001 - a broken DSS is reported through the signatures' revocation status
        return
    if dss is None:
        return
    loaders = (("/Certs", asn1_x509.Certificate, facts.dss_certs), ("/CRLs", asn1_crl.CertificateList, facts.dss_crls),
               ("/OCSPs", asn1_ocsp.OCSPResponse, facts.dss_ocsps))
    for key, cls, into in loaders:
        try:
            for ref in (dss[key] if key in dss else []):  # noqa: SIM401 - [] resolves indirect objects
                obj = cls.load(ref.get_object().data)
                _ = obj.native  # parse fully now: a broken entry is skipped, not a crash later
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


# ---- describing certificates (verdicts.py) -----------------------------------------------------------------------------


async def _signature_poe(sig: EmbeddedPdfSignature, anchors_asn1, facts: _FileFacts,
                         moment: dt.datetime) -> dt.datetime | None:
    """The time of the signature's RFC 3161 timestamp, if the token is intact, signed by a time-stamping
    unit that chains to the anchor and was not revoked as of ``moment`` (the token's own POE: the next
    document timestamp, or the validation time). None: the timestamp proves nothing."""
    info = sig.signer_info
    for token in extract_tst_data_iter(info, signed=False):
        certs = [c.chosen for c in token["certificates"] or [] if c.name == "certificate"]
        context = ltv.timestamp_context(anchors_asn1, certs=facts.dss_certs + certs, crls=facts.dss_crls,
                                        ocsps=facts.dss_ocsps, moment=moment)
        try:
            kwargs = await validate_tst_signed_data(token, context, message_imprint_checker(info))
        except Exception:  # noqa: BLE001 - a token that cannot be processed proves nothing
            continue
        if kwargs.get("intact") and kwargs.get("valid") and kwargs.get("trust_problem_indic") is None \
                and kwargs.get("validation_path") is not None:
            return kwargs["timestamp"]
    return None


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
                 dss_revisions: list[int]) -> str:
    """B-B, B-T (signature timestamp), B-LT (validation data in a later DSS), B-LTA (then a document
    timestamp over it)."""
    try:
        attrs = sig.signer_info["unsigned_attrs"]
        has_ts = any(a["type"].native == "signature_time_stamp_token" for a in attrs) if attrs.native else False
    except Exception:  # noqa: BLE001
        has_ts = False
    if not has_ts:
        return "B-B"
    later = [r for r in dss_revisions if r > sig.signed_revision]
    if not later:
        return "B-T"
    if any(r >= later[0] for r in doc_ts_revisions):
        return "B-LTA"
    return "B-LT"


def _dss_revisions(reader: PdfFileReader) -> list[int]:
    """The revisions whose catalog carries a DSS, in order."""
    found = []
    try:
        for revision in range(reader.xrefs.total_revisions):
            if "/DSS" in reader.get_historical_root(revision):
                found.append(revision)
    except Exception:  # noqa: BLE001
        return found
    return found


def _indication_from_ades(subindic) -> tuple[Indication, str | None]:
    status = subindic.status.name  # PASSED | INDETERMINATE | FAILED
    if status == "PASSED":
        return Indication.TOTAL_PASSED, None
    if status == "FAILED":
        return Indication.TOTAL_FAILED, subindic.name
    return Indication.INDETERMINATE, subindic.name


async def _validate_signature(sig: EmbeddedPdfSignature, spec, facts: _FileFacts, anchors_asn1,
                              doc_stamps: list[tuple[int, dt.datetime | None]], dss_revisions: list[int],
                              timing) -> SignatureResult:
    anchors = {c.dump() for c in anchors_asn1}
    doc_ts_revisions = [revision for revision, _ in doc_stamps]
    archived_at = ltv.archive_poe(sig.signed_revision, doc_stamps, timing.validation_time)
    with ltv.validating_at(archived_at):
        result = await ades.ades_lta_validation(sig, spec, timing_info=ltv.timing(archived_at))
    status = result.api_status
    indication, sub = _indication_from_ades(result.ades_subindic)
    coverage = getattr(status, "coverage", None) or sig.evaluate_signature_coverage()
    chain, trusted = chain_of(status, sig.signer_cert, anchors)
    ts_status = getattr(status, "timestamp_validity", None)
    out = SignatureResult(
        kind="signature", field_name=sig.field_name, indication=indication, sub_indication=sub,
        signer=signer_info(sig.signer_cert), chain=chain, chain_trusted=trusted,
        claimed_signing_time=sig.self_reported_timestamp,
        timestamp_time=ts_status.timestamp if ts_status is not None else None,
        best_signature_time=result.best_signature_time if indication == Indication.TOTAL_PASSED else None,
        integrity=bool(status and status.intact and status.valid), coverage=coverage.name,
        coverage_description=_coverage_text(sig, coverage, facts.total_revisions),
        signed_revision=sig.signed_revision + 1, total_revisions=facts.total_revisions,
        modifications=_modification(status), pades_level=_pades_level(sig, facts, doc_ts_revisions, dss_revisions),
        reason=_text(sig.sig_object.get("/Reason")), location=_text(sig.sig_object.get("/Location")))
    poe_time = await _signature_poe(sig, anchors_asn1, facts, archived_at)
    out.revocation = revocation_of(sig.signer_cert, facts, status, trusted, poe=poe_time or timing.validation_time)
    if indication != Indication.TOTAL_PASSED and result.failure_msg:
        out.errors.append(result.failure_msg)
    if out.pades_level == "B-B":
        out.warnings.append("no signature timestamp: the signing time is only what the signer's software claimed")
    elif poe_time is None:
        out.warnings.append("the signature timestamp did not validate against the trust anchor: it proves "
                            "nothing about when the signature was made")
    time_verdict(out, poe_time, sig.signer_cert)
    expired_without_poe(out, sig.signer_cert, poe_time, timing.validation_time)
    revocation_after_use(out, poe_time or timing.validation_time)
    _apply_structure_checks(out, coverage, sig)
    if out.revocation and out.revocation.status == "revoked" and out.indication == Indication.TOTAL_PASSED:
        out.warnings.append("the signer's certificate was revoked after the signature was timestamped "
                            f"(revoked {out.revocation.revoked_at.isoformat() if out.revocation.revoked_at else ''}): "
                            "the signature was made while it was valid")
    validity = sig.signer_cert["tbs_certificate"]["validity"]
    out.basis = describe_basis(poe="signature_timestamp" if poe_time else "validation_time", poe_time=poe_time,
                               validated_at=poe_time or timing.validation_time,
                               not_before=validity["not_before"].native, not_after=validity["not_after"].native,
                               revocation=out.revocation)
    return out


def _apply_structure_checks(out: SignatureResult, coverage: SignatureCoverageLevel,
                            sig: EmbeddedPdfSignature) -> None:
    if coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        fail(out, "FORMAT_FAILURE", "the signed byte range does not cover the whole revision it belongs to")
    if out.modifications is not None and not out.modifications.permitted:
        fail(out, "FORMAT_FAILURE", out.modifications.description)
    try:
        found = structure.problems_after(sig.reader, sig.signed_revision,
                                         out.modifications.changed_fields if out.modifications else [])
    except Exception as exc:  # noqa: BLE001 - a structure we cannot walk is not one we vouch for
        found = [f"the changes after this signature could not be examined ({type(exc).__name__})"]
    for problem in found:
        if out.modifications is not None and out.modifications.permitted:
            out.modifications = Modification(level=ModificationLevel.OTHER.name, permitted=False,
                                             description=problem, changed_fields=out.modifications.changed_fields)
        fail(out, "FORMAT_FAILURE", problem)


async def _validate_doc_timestamp(sig: EmbeddedPdfSignature, context: ValidationContext, facts: _FileFacts,
                                  anchors: set[bytes], *, poe: str) -> SignatureResult:
    status = await async_validate_pdf_timestamp(sig, validation_context=context, skip_diff=True)
    coverage = status.coverage or sig.evaluate_signature_coverage()
    chain, trusted = chain_of(status, sig.signer_cert, anchors)
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
        signer=signer_info(sig.signer_cert), chain=chain, chain_trusted=trusted,
        timestamp_time=status.timestamp, integrity=bool(status.intact and status.valid), coverage=coverage.name,
        coverage_description=_coverage_text(sig, coverage, facts.total_revisions),
        signed_revision=sig.signed_revision + 1, total_revisions=facts.total_revisions,
        modifications=_modification(status),
        revocation=revocation_of(sig.signer_cert, facts, status, trusted, poe=status.timestamp))
    validity = sig.signer_cert["tbs_certificate"]["validity"]
    out.basis = describe_basis(poe=poe, poe_time=context.moment if poe == "document_timestamp" else None,
                               validated_at=context.moment, not_before=validity["not_before"].native,
                               not_after=validity["not_after"].native, revocation=out.revocation)
    if indication != Indication.TOTAL_PASSED:
        out.errors.append(f"the timestamp authority's certificate could not be validated as of "
                          f"{context.moment.isoformat()} ({_clip(str(getattr(status, 'trust_problem_indic', '')))})")
    _apply_structure_checks(out, coverage, sig)
    return out


def _text(value) -> str | None:
    return str(value) if value is not None else None


def _broken(sig: EmbeddedPdfSignature | None, index: int, exc: Exception, kind: str = "signature") -> SignatureResult:
    name = None
    with contextlib.suppress(Exception):  # the field's name may itself be what is broken
        name = sig.field_name if sig is not None else None
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


def _archive_chain_holds(report: VerificationReport, signatures: list[EmbeddedPdfSignature]) -> None:
    """A signature validated as of a document timestamp is only as good as that timestamp's chain up to
    now: if one of the document timestamps after it does not pass, neither does the signature."""
    results = report.signatures
    for index, result in enumerate(results):
        if result.kind != "signature" or result.indication != Indication.TOTAL_PASSED:
            continue
        later = [r for r in results[index + 1:] if r.kind == "document_timestamp"]
        broken = next((r for r in later if r.indication != Indication.TOTAL_PASSED), None)
        if broken is not None:
            result.indication, result.sub_indication = Indication.INDETERMINATE, "NO_POE"
            result.errors.append(f"the document timestamp {broken.field_name}, which proves this signature and its "
                                 f"validation data existed, could not be validated now "
                                 f"({broken.sub_indication}): renew the archive timestamp")


def _archive_moments(signatures: list[EmbeddedPdfSignature], now: dt.datetime) -> dict[int, tuple[dt.datetime, str]]:
    """Each document timestamp's validation moment and what proves it: the next document timestamp's time
    (the archive chain, PAdES B-LTA), the newest at ``now``."""
    stamps: list[tuple[int, dt.datetime | None]] = []
    for index, sig in enumerate(signatures):
        try:
            if sig.sig_object_type == "/DocTimeStamp":
                stamps.append((index, _gen_time(sig)))
        except Exception:  # noqa: BLE001 - reported as a broken signature below
            continue
    moments = ltv.archive_moments([t for _, t in stamps], now)
    return {index: (moment, "document_timestamp" if moment != now else "validation_time")
            for (index, _), moment in zip(stamps, moments, strict=True)}


def _gen_time(sig: EmbeddedPdfSignature) -> dt.datetime | None:
    try:
        return sig.signed_data["encap_content_info"]["content"].parsed["gen_time"].native
    except Exception:  # noqa: BLE001
        return None


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
        with ltv.validating_at(now), caches.per_file():
            return run_sync(_verify(pdf, anchors_asn1, report, now))
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
    except MemoryError:
        raise  # the worker's memory limit: a resource refusal, not a statement about the file
    except (PdfReadError, Exception) as exc:  # noqa: BLE001 - any parse failure is a FORMAT_FAILURE report
        if structure.unreadable(pdf):
            raise UnreadablePdf("the file starts like a PDF but cannot be read as one, and holds no signature: "
                                f"{type(exc).__name__}") from None
        report.errors.append(f"the file cannot be read as a PDF: {type(exc).__name__}: {str(exc)[:300]}")
        problem = _tail_problem(pdf, 0)
        if problem:
            report.errors.append(problem)
        _overall(report)
        return report
    _read_dss(reader, facts)
    anchors = {c.dump() for c in anchors_asn1}
    spec = ltv.signature_spec(anchors_asn1)
    timing = ltv.timing(now)
    archive = _archive_moments(signatures, now)
    dss_revisions = _dss_revisions(reader)
    doc_stamps = []
    for sig in signatures:
        try:
            if sig.sig_object_type == "/DocTimeStamp":
                doc_stamps.append((sig.signed_revision, _gen_time(sig)))
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
                moment, poe = archive[index]
                context = ltv.timestamp_context(anchors_asn1, certs=facts.dss_certs, crls=facts.dss_crls,
                                                ocsps=facts.dss_ocsps, moment=moment)
                result = await _validate_doc_timestamp(sig, context, facts, anchors, poe=poe)
            else:
                result = await _validate_signature(sig, spec, facts, anchors_asn1, doc_stamps, dss_revisions, timing)
        except Exception as exc:  # noqa: BLE001 - a signature pyHanko cannot process is a failed signature
            result = _broken(sig, index, exc)
        report.signatures.append(result)
    _archive_chain_holds(report, signatures)
    problem = _tail_problem(pdf, covered_end)
    if problem:
        report.errors.append(problem)
        last = report.signatures[-1] if report.signatures else None
        if last is not None:
            fail(last, "FORMAT_FAILURE", problem)
    _overall(report)
    return report

"""PAdES signatures (ETSI EN 319 142-1) on agreement PDFs, with pyHanko. Pure: bytes in, bytes out, no DB.

- ``issue_signer_certificate``: a short-lived X.509 certificate for one signing event. The key pair is
  generated in memory here and handed back only inside a ``SignerCredential`` that the caller uses once
  and drops; it is never serialised to disk or the database.
- ``sign``: an approval signature, PAdES B-T (the CMS carries an RFC 3161 signature timestamp), with a
  visible field whose appearance is the signer's drawn signature (PNG).
- ``close_lta``: validation data (certificates, CRLs/OCSP) for every signature into the DSS, then a
  document timestamp: PAdES B-LTA.
- ``retimestamp``: a fresh archive document timestamp over an existing B-LTA file.
- ``prepare_external`` / ``finish_external``: pyHanko's interrupted signing, for an institution that
  signs with its own certificate and returns a CMS SignedData.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from PIL import Image
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.stamp import BaseStampStyle, StaticStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ..coroutines import run_sync
from ..pki.hierarchy import PkiUrls, random_serial, revocation_pointers
from ..pki.tsa import other_certificates, to_asn1_cert, to_asn1_key
from ..security.pipl import mask_id_number
from . import validation_data
from .oids import EVIDENCE_DIGEST_OID

MD = "sha256"
SIGNATURE_BYTES_RESERVED = 16384  # DER bytes of the CMS placeholder (twice that in hex in the file)


class SigningFailed(RuntimeError):
    """The PDF could not be signed (bad input, a field clash); nothing was produced."""


@dataclass(frozen=True)
class SignerIdentity:
    name: str
    masked_id: str | None
    case_number: str
    role: str  # shown as the certificate title: 申请人, 被申请人代理人, 调解员 ...


@dataclass
class SignerCredential:
    """A certificate and its in-memory private key, for exactly one signature."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey | None
    chain: tuple[x509.Certificate, ...]

    def pyhanko_signer(self) -> signers.SimpleSigner:
        if self.key is None:
            raise SigningFailed("this signer credential has already been used")
        return signers.SimpleSigner(signing_cert=to_asn1_cert(self.cert), signing_key=to_asn1_key(self.key),
                                    cert_registry=other_certificates(self.cert, self.chain))

    def destroy(self) -> None:
        self.key = None


def signer_subject(identity: SignerIdentity) -> list[x509.NameAttribute]:
    """The signer certificate's subject; the ID number only ever as ``pipl.mask_id_number`` shows it."""
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
             x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _fit(identity.case_number)),
             x509.NameAttribute(NameOID.TITLE, _fit(identity.role))]
    masked_id = mask_id_number(identity.masked_id)
    if masked_id:  # empty exactly when the identity has no ID
        # masked IDs contain '*', which PrintableString (the default for serialNumber) does not allow
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, masked_id, _type=_ASN1Type.UTF8String))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, _fit(identity.name)))
    return attrs


def issue_signer_certificate(*, identity: SignerIdentity, evidence_sha256: bytes, issuing_cert: x509.Certificate,
                             issuing_key, chain: Sequence[x509.Certificate], urls: PkiUrls, now: dt.datetime,
                             lifetime: dt.timedelta) -> SignerCredential:
    """A one-time signer certificate for a P-256 key made here in memory: valid from a minute
    before ``now`` for ``lifetime``, digitalSignature and nonRepudiation, the evidence digest in a private
    extension, the issuing CA's CRL and OCSP pointers; ValueError unless ``evidence_sha256`` is 32 bytes."""
    if len(evidence_sha256) != 32:
        raise ValueError("evidence digest must be a SHA-256 value")
    key = ec.generate_private_key(ec.SECP256R1())
    attrs = signer_subject(identity)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name(attrs)).issuer_name(issuing_cert.subject).public_key(key.public_key())
               .serial_number(random_serial())
               .not_valid_before(now - dt.timedelta(minutes=1)).not_valid_after(now + lifetime)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuing_key.public_key()),
                              critical=False)
               .add_extension(x509.UnrecognizedExtension(EVIDENCE_DIGEST_OID,
                                                         core.OctetString(evidence_sha256).dump()), critical=False))
    builder = revocation_pointers(builder, urls, "ca-issuing", ocsp=True)
    cert = builder.sign(issuing_key, hashes.SHA256())
    return SignerCredential(cert, key, (issuing_cert, *chain))


def evidence_digest_of(cert: x509.Certificate) -> bytes | None:
    """The evidence SHA-256 a signer certificate carries (``EVIDENCE_DIGEST_OID``); None without it."""
    try:
        ext = cert.extensions.get_extension_for_oid(EVIDENCE_DIGEST_OID)
    except x509.ExtensionNotFound:
        return None
    if not isinstance(ext.value, x509.UnrecognizedExtension):  # a private OID: cryptography never parses it
        raise TypeError(f"the evidence digest extension was read as {type(ext.value).__name__}")
    return core.OctetString.load(ext.value.value).native


def _fit(value: str, limit: int = 64) -> str:
    encoded = value.encode()
    while len(encoded) > limit:
        value = value[:-1]
        encoded = value.encode()
    return value


@dataclass(frozen=True)
class FieldPlacement:
    name: str
    page: int  # 0-based; -1 is the last page
    box: tuple[int, int, int, int] | None  # None: an invisible signature (when the document has no such field)


def _run(coro):
    """pyHanko's async API through run_sync (its sync wrappers call asyncio.run, which a running loop refuses)."""
    return run_sync(coro)


def _appearance(png: bytes | None) -> StaticStampStyle | None:
    if not png:
        return None
    image: Image.Image = Image.open(io.BytesIO(png))
    image.load()
    if image.mode not in ("RGB", "L"):
        # flatten onto white: PDF image XObjects here carry no alpha channel
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.convert("RGBA").split()[-1])
        image = background
    return StaticStampStyle(background=PdfImage(image), background_opacity=1.0, border_width=0)


def _page_index(reader: PdfFileReader, page: int) -> int:
    count = int(reader.root["/Pages"]["/Count"])
    return count - 1 if page < 0 else min(page, count - 1)


def _field_spec(writer: IncrementalPdfFileWriter, field: FieldPlacement) -> fields.SigFieldSpec | None:
    """None when the document already has an empty field of that name (the signer's block, placed from the
    layout when it was rendered: see ``appearance``); otherwise a new field, invisible without a box."""
    if any(True for _ in fields.enumerate_sig_fields(writer.prev, filled_status=False, with_name=field.name)):
        return None
    return fields.SigFieldSpec(sig_field_name=field.name, on_page=_page_index(writer.prev, field.page),
                               box=field.box)


def sign(pdf: bytes, *, signer: signers.Signer, timestamper: TimeStamper, field: FieldPlacement,
         appearance_png: bytes | None, reason: str, location: str | None = None,
         contact: str | None = None,
         validation_context: Callable[[], ValidationContext] | None = None,
         stamp_style: BaseStampStyle | None = None) -> bytes:
    """One PAdES B-T approval signature in a new incremental update; returns the new file.

    With ``validation_context`` (called after the signature, so that its CRLs and OCSP answers are issued
    after the signature timestamp, as a verifier requires), a second update puts the
    signature's validation data in the DSS at once, while the one-time certificate is still valid: a
    certificate that expires an hour later can then still be validated years later (PAdES B-LT).

    ``stamp_style`` (``appearance.signer_mark`` / ``seal_mark``) draws the visible mark; without it the drawn
    signature PNG alone is the appearance."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    spec = _field_spec(writer, field)
    meta = signers.PdfSignatureMetadata(field_name=field.name, md_algorithm=MD,
                                        subfilter=fields.SigSeedSubFilter.PADES, reason=reason,
                                        location=location, contact_info=contact)
    style = stamp_style or _appearance(appearance_png)
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper, new_field_spec=spec,
                                   stamp_style=style)
    # A fixed reservation skips pyHanko's size-estimating dry run (a second CMS signature and a second
    # timestamp request per signature): the CMS with our 3-certificate chain and the RFC 3161 token is
    # about 5 KB; an HSM seal embedding its root stays far below the reservation too.
    out = _run(pdf_signer.async_sign_pdf(writer, existing_fields_only=False,
                                        bytes_reserved=SIGNATURE_BYTES_RESERVED))
    if validation_context is None:
        return out.getvalue()
    return add_validation_data(out.getvalue(), context=validation_context(), last_only=True)


def validation_context(*, trust_roots: Sequence[x509.Certificate], other_certs: Sequence[x509.Certificate] = (),
                       crls: Sequence[x509.CertificateRevocationList] = (), ocsps: Sequence[bytes] = (),
                       moment: dt.datetime | None = None) -> ValidationContext:
    """A closed-world context: our roots, and revocation data we produced ourselves (no fetching)."""
    from cryptography.hazmat.primitives.serialization import Encoding

    return ValidationContext(
        trust_roots=[to_asn1_cert(c) for c in trust_roots],
        other_certs=[to_asn1_cert(c) for c in other_certs],
        crls=[crl.public_bytes(Encoding.DER) for crl in crls], ocsps=list(ocsps),
        allow_fetching=False, revocation_mode="hard-fail", moment=moment)


def add_validation_data(pdf: bytes, *, context: ValidationContext, last_only: bool = False) -> bytes:
    """One incremental update adding to the DSS what a later verifier needs for the signatures: the
    signer's chain, its signature timestamp's chain, and the CRLs/OCSP answers of ``context``. Signatures whose
    chain cannot be validated at the context's moment (an expired one-time certificate) are skipped: their data
    went in right after they were made. With ``last_only``, only the newest signature's (an expired one then
    raises ``ExpiredError``)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    paths = _run(_paths_of(pdf, writer.prev, context, last_only=last_only))
    # No VRI: it is optional (ISO 32000-2 §12.8.4.4), pyHanko and Adobe do not need it, and rewriting
    # the VRI dictionary in a later update is a change that difference analysis rightly refuses.
    DocumentSecurityStore.supply_dss_in_writer(writer, None, paths=paths, validation_context=context,
                                               embed_roots=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def _paths_of(pdf: bytes, reader: PdfFileReader, context: ValidationContext, *, last_only: bool,
                    also: tuple[cms.SignedData, ...] = ()) -> list:
    containers = [c for c in validation_data.signature_containers(pdf, reader) if not c.is_document_timestamp]
    return await validation_data.certification_paths(containers[-1:] if last_only else containers, context,
                                                     skip_expired=not last_only, also=also)


def close_lta(pdf: bytes, *, timestamper: TimeStamper, context: ValidationContext) -> bytes:
    """DSS with the validation data of every signature and timestamp, then a document timestamp (B-LTA).

    Everything goes in *before* the document timestamp, so that the timestamp is the proof of existence
    (ETSI EN 319 102-1 §5.6.3) of every certificate, CRL and OCSP answer a verifier needs later. One pass:
    the paths of every signer and TSA (the document timestamp's too, from the token pyHanko sizes the
    timestamp with) are collected with the one ``context``, each certificate validated once, and go into a
    single DSS update in the revision of the document timestamp (one incremental update, the file read once).
    """
    return _run(_close_lta(pdf, timestamper=timestamper, context=context))


async def _close_lta(pdf: bytes, *, timestamper: TimeStamper, context: ValidationContext) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    # The TSA's own certificate; pyHanko caches this token per TimeStamper to size the document timestamp.
    tsa_token = (await timestamper.async_dummy_response(MD))["content"]
    paths = await _paths_of(pdf, writer.prev, context, last_only=False, also=(tsa_token,))
    DocumentSecurityStore.supply_dss_in_writer(writer, None, paths=paths, validation_context=context)
    stamped = await signers.PdfTimeStamper(timestamper).async_timestamp_pdf(writer, MD, in_place=True)
    return stamped.getvalue()


def retimestamp(pdf: bytes, *, timestamper: TimeStamper, context: ValidationContext) -> bytes:
    """Validate the last document timestamp, store its validation data, add a fresh one (archive renewal)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    out = _run(signers.PdfTimeStamper(timestamper).async_update_archival_timestamp_chain(reader, context,
                                                                                     in_place=False))
    return out.getvalue()


def last_timestamp_expiry(pdf: bytes) -> dt.datetime | None:
    """When the certificate of the newest document timestamp's TSA expires (None: no document timestamp)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    stamps = reader.embedded_timestamp_signatures
    if not stamps:
        return None
    cert: asn1_x509.Certificate = stamps[-1].signer_cert
    return cert["tbs_certificate"]["validity"]["not_after"].native


def document_sha256(pdf: bytes) -> str:
    """The hex SHA-256 of the file's bytes."""
    return hashlib.sha256(pdf).hexdigest()


# ---- interrupted signing (an institution's own certificate and token) -------------------------------------

@dataclass
class PreparedExternal:
    """A PDF with a reserved signature placeholder, and the byte-range digest the signer must sign."""

    pdf_with_placeholder: bytes
    document_digest: bytes
    reserved_region_start: int
    reserved_region_end: int


def prepare_external(pdf: bytes, *, signer_cert: x509.Certificate, chain: Sequence[x509.Certificate],
                     field: FieldPlacement, appearance_png: bytes | None, reason: str,
                     bytes_reserved: int = 32768, stamp_style: BaseStampStyle | None = None) -> PreparedExternal:
    """The first half of interrupted signing: the PDF with a PAdES signature placeholder of
    ``bytes_reserved`` bytes in a new incremental update, and the byte-range SHA-256 digest the external
    signer signs (``finish_external`` embeds the result)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    spec = _field_spec(writer, field)
    meta = signers.PdfSignatureMetadata(field_name=field.name, md_algorithm=MD,
                                        subfilter=fields.SigSeedSubFilter.PADES, reason=reason)
    ext = signers.ExternalSigner(signing_cert=to_asn1_cert(signer_cert), signature_value=bytes(512),
                                 cert_registry=SimpleCertificateStore.from_certs([to_asn1_cert(c) for c in chain]))
    pdf_signer = signers.PdfSigner(meta, signer=ext, new_field_spec=spec,
                                   stamp_style=stamp_style or _appearance(appearance_png))
    prep, _tbs, output = _run(pdf_signer.async_digest_doc_for_signing(
        writer, existing_fields_only=False, bytes_reserved=bytes_reserved))
    return PreparedExternal(output.getvalue(), prep.document_digest, prep.reserved_region_start,
                            prep.reserved_region_end)


def finish_external(prepared: PreparedExternal, *, cms_der: bytes, timestamper: TimeStamper,
                    validation_context: Callable[[], ValidationContext] | None = None) -> bytes:
    """Embed the signer's CMS (adding a signature timestamp if it has none) into the reserved placeholder;
    with ``validation_context``, then its validation data, as ``sign`` does."""
    from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest

    content = cms.ContentInfo.load(cms_der)
    content = _with_signature_timestamp(content, timestamper)
    prep = PreparedByteRangeDigest(document_digest=prepared.document_digest,
                                   reserved_region_start=prepared.reserved_region_start,
                                   reserved_region_end=prepared.reserved_region_end)
    output = io.BytesIO(prepared.pdf_with_placeholder)
    _run(PdfTBSDocument.async_finish_signing(output, prep, content))
    if validation_context is None:
        return output.getvalue()
    try:
        return add_validation_data(output.getvalue(), context=validation_context(), last_only=True)
    except (PathValidationError, PathBuildingError, ValueError):
        # an institution's certificate from a CA we cannot validate: its signature stays B-T
        return output.getvalue()


def _with_signature_timestamp(content: cms.ContentInfo, timestamper: TimeStamper) -> cms.ContentInfo:
    signed = content["content"]
    info = signed["signer_infos"][0]
    unsigned = list(info["unsigned_attrs"]) if info["unsigned_attrs"].native else []
    if any(a["type"].native == "signature_time_stamp_token" for a in unsigned):
        return content
    token = _run(timestamper.async_timestamp(hashlib.sha256(info["signature"].native).digest(), MD))
    unsigned.append(cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]}))
    info["unsigned_attrs"] = cms.CMSAttributes(unsigned)
    return cms.ContentInfo({"content_type": "signed_data", "content": signed})


# ---- validation (ETSI EN 319 102-1 §5.6.3, via pyHanko's AdES engine) ------------------------------------

@dataclass(frozen=True)
class SignatureCheck:
    field_name: str
    signer: str
    indication: str  # TOTAL_PASSED | INDETERMINATE | TOTAL_FAILED
    subindication: str | None
    intact: bool
    trusted: bool
    coverage: str
    timestamp_time: dt.datetime | None


def validate_lta(pdf: bytes, *, trust_roots: Sequence[x509.Certificate],
                 now: dt.datetime | None = None) -> list[SignatureCheck]:
    """pyHanko's own AdES long-term validation (ETSI EN 319 102-1 §5.6.3) of every approval signature, under
    the service's policy (``verification.ltv``), offline (DSS only): each signature as of the archive
    timestamp after it (``ltv.archive_poe``; the report checks that chain up to ``now``). A second opinion
    on the report, which runs the same engine with more checks on top."""
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
    from pyhanko.sign.validation.ades import ades_lta_validation

    from ..verification import caches, ltv

    spec = ltv.signature_spec([to_asn1_cert(c) for c in trust_roots])
    now = now or dt.datetime.now(dt.timezone.utc)
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    stamps = [(s.signed_revision, s.signed_data["encap_content_info"]["content"].parsed["gen_time"].native)
              for s in reader.embedded_timestamp_signatures]
    checks = []
    file_caches = caches.FileCaches()
    for sig in reader.embedded_regular_signatures:
        sig.compute_integrity_info(DEFAULT_DIFF_POLICY)
        archived_at = ltv.archive_poe(sig.signed_revision, stamps, now)
        # one file's shared checks (``verification.caches``): each chain once, not once per signature
        with ltv.validating_at(archived_at), caches.per_file(file_caches):
            result = _run(ades_lta_validation(sig, spec, timing_info=ltv.timing(archived_at)))
        status = result.api_status
        checks.append(SignatureCheck(
            field_name=sig.field_name, signer=sig.signer_cert.subject.human_friendly,
            indication=result.ades_subindic.status.name, subindication=result.ades_subindic.name,
            intact=bool(status and status.intact and status.valid), trusted=bool(status and status.trusted),
            coverage=status.coverage.name if status else "UNKNOWN",
            timestamp_time=result.best_signature_time))
    return checks


def key_signer(cert: x509.Certificate, key, chain: Sequence[x509.Certificate]) -> signers.SimpleSigner:
    """A pyHanko signer for a key held in memory (the seal from the KeyStore)."""
    return signers.SimpleSigner(signing_cert=to_asn1_cert(cert), signing_key=to_asn1_key(key),
                                cert_registry=other_certificates(cert, chain))

"""What goes into the Document Security Store (ISO 32000-2 §12.8.4.3; PAdES B-LT / B-LTA, ETSI EN 319 142-1
§5.4-5.5): the certification paths of every signature and of its RFC 3161 signature timestamp.

Two costs of doing this with pyHanko's per-signature helpers are avoided here:

- Reading a signature's CMS through pyHanko's object parser tokenises its ``/Contents`` hex string one byte
  at a time (the 16 KiB reservation is 32,768 hex digits, about 25 ms per signature). The CMS is cut from
  the file instead: the signature dictionary is found through the cross-reference table (the form field's
  ``/V`` is read as a reference, never resolved), and its ``/ByteRange`` says where the hex string lies.
- ``collect_validation_info`` validates the chain of each signature and each timestamp separately, so the
  TSA's certificate was validated once per signature. Here each distinct certificate is validated once,
  with one ``ValidationContext`` for the whole file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as data_field

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import ExpiredError
from pyhanko_certvalidator.path import ValidationPath

_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")
_TST_INFO = "tst_info"


@dataclass(frozen=True)
class EmbeddedContainer:
    """One filled signature field's CMS SignedData, with where its byte range starts its gap."""

    field_name: str
    signed_data: cms.SignedData
    offset: int

    @property
    def is_document_timestamp(self) -> bool:
        return self.signed_data["encap_content_info"]["content_type"].native == _TST_INFO


def signature_containers(pdf: bytes, reader: PdfFileReader) -> list[EmbeddedContainer]:
    """Every filled signature field's CMS (approval signatures and document timestamps), in file order."""
    found = (_cut_container(pdf, reader, name, ref) for name, ref in _filled_sig_fields(reader))
    return sorted((c for c in found if c is not None), key=lambda c: c.offset)


def _filled_sig_fields(reader: PdfFileReader) -> Iterator[tuple[str, generic.IndirectObject]]:
    form = _get(reader.root, "/AcroForm")
    if not isinstance(form, generic.DictionaryObject):
        return
    stack = [(ref, "", None) for ref in list(_get(form, "/Fields", ()))[::-1]]
    seen: set = set()
    while stack:
        ref, parent_name, inherited_type = stack.pop()
        if not isinstance(ref, generic.IndirectObject) or ref.reference in seen:
            continue
        seen.add(ref.reference)
        field = ref.get_object()
        if not isinstance(field, generic.DictionaryObject):
            continue
        name = str(_get(field, "/T", ""))
        full = f"{parent_name}.{name}" if parent_name and name else (name or parent_name)
        field_type = _get(field, "/FT", inherited_type)
        value = field.raw_get("/V") if "/V" in field else None
        if field_type == "/Sig" and isinstance(value, generic.IndirectObject):
            yield full, value
        stack.extend((kid, full, field_type) for kid in list(_get(field, "/Kids", ()))[::-1])


def _get(dictionary: generic.DictionaryObject, key: str, default=None):
    """A value with its reference resolved (``DictionaryObject.get`` is ``dict.get``: it does not resolve)."""
    return dictionary[key] if key in dictionary else default  # noqa: SIM401 - [] resolves, .get() does not


def _cut_container(pdf: bytes, reader: PdfFileReader, name: str,
                   value_ref: generic.IndirectObject) -> EmbeddedContainer | None:
    """The CMS of a signature dictionary, cut from the file at its byte range; parsed the slow way only when
    the dictionary is not a plain object in the file (an object stream, which PAdES does not allow)."""
    marker = reader.xrefs[value_ref.reference]
    if isinstance(marker, int):
        end = pdf.find(b"endobj", marker)
        match = _BYTE_RANGE.search(pdf, marker, end if end > 0 else len(pdf))
        if match:
            start, first_len, second_start = (int(match.group(i)) for i in (1, 2, 3))
            hex_string = pdf[start + first_len:second_start].strip()
            if hex_string[:1] == b"<" and hex_string[-1:] == b">":
                content = cms.ContentInfo.load(bytes.fromhex(hex_string[1:-1].decode("ascii")), strict=False)
                return EmbeddedContainer(name, content["content"], start + first_len)
    contents = _get(value_ref.get_object(), "/Contents")
    if contents is None:
        return None
    return EmbeddedContainer(name, cms.ContentInfo.load(bytes(contents), strict=False)["content"], len(pdf))


async def certification_paths(containers: list[EmbeddedContainer], context: ValidationContext, *,
                              skip_expired: bool, also: tuple[cms.SignedData, ...] = ()) -> list[ValidationPath]:
    """The validated path of each approval signature's signer and of its signature timestamps' TSA (and of
    the signers of ``also``: the document timestamp's TSA), each distinct signer validated once. A signer
    whose one-time certificate has expired since is skipped with ``skip_expired`` (its data went in with its
    signature); otherwise ``ExpiredError`` is raised, as any other validation error always is (a revoked
    signer stops the close)."""
    paths = _Paths()
    for container in containers:
        if container.is_document_timestamp:
            continue
        try:
            await _validated(container.signed_data, context, paths)
        except ExpiredError:
            if not skip_expired:
                raise
            continue
        signer_info = container.signed_data["signer_infos"][0]
        for signed in (False, True):
            for token in extract_tst_data_iter(signer_info, signed=signed):
                await _validated(token, context, paths)
    for signed_data in also:
        await _validated(signed_data, context, paths)
    return list(paths.by_signer.values())


@dataclass
class _Paths:
    by_signer: dict[bytes, ValidationPath] = data_field(default_factory=dict)  # signer certificate -> its path
    containers_seen: set[bytes] = data_field(default_factory=set)
    # Every CMS carries its own copy of the CA certificates; handing the validator one object per certificate
    # lets asn1crypto's cached name forms (RFC 5280 string preparation, half of path building) be reused.
    certificates: dict[bytes, asn1_x509.Certificate] = data_field(default_factory=dict)

    def one_of_each(self, certs: list[asn1_x509.Certificate]) -> list[asn1_x509.Certificate]:
        return [self.certificates.setdefault(_fingerprint(cert.dump()), cert) for cert in certs]


async def _validated(signed_data: cms.SignedData, context: ValidationContext, paths: _Paths) -> None:
    # Keyed first by the signer's identifier and the certificates carried: every token of one TSA has the same
    # ones, so its certificate is picked out (asn1crypto name comparisons, costly) and validated once.
    key = _fingerprint(signed_data["signer_infos"][0]["sid"].dump(), signed_data["certificates"].dump())
    if key in paths.containers_seen:
        return
    paths.containers_seen.add(key)
    signer_cert, other_certs = signer_and_others(signed_data)
    signer = _fingerprint(signer_cert.dump())
    if signer not in paths.by_signer:
        validator = CertificateValidator(signer_cert, intermediate_certs=paths.one_of_each(other_certs),
                                         validation_context=context)
        paths.by_signer[signer] = await validator.async_validate_usage(key_usage=set())


def signer_and_others(signed_data: cms.SignedData) -> tuple[asn1_x509.Certificate, list[asn1_x509.Certificate]]:
    """The signer's certificate and the others carried. The signer is found by its issuer's DER and serial
    (what our signers and TSA write; equal DER is an equal name); any other identifier goes through pyHanko's
    matching, which compares names the RFC 5280 way (string preparation: slow, hence this first step)."""
    sid = signed_data["signer_infos"][0]["sid"]
    certs = [c.chosen.untag() for c in signed_data["certificates"] if c.name == "certificate"]
    if sid.name == "issuer_and_serial_number":
        issuer, serial = sid.chosen["issuer"].dump(), sid.chosen["serial_number"].native
        for index, cert in enumerate(certs):
            if cert.serial_number == serial and cert.issuer.dump() == issuer:
                return cert, certs[:index] + certs[index + 1:]
    info = extract_certificate_info(signed_data)
    return info.signer_cert, list(info.other_certs)


def _fingerprint(*parts: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.digest()

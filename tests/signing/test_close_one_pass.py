"""Closing to B-LTA in one pass (issue 19): one incremental update holding the DSS and the document timestamp,
each distinct certificate path validated once, and the CMS of each signature read from the file as pyHanko
reads it."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import extract_certificate_info
from pyhanko_certvalidator import CertificateValidator

from mediation_svc.pki import hierarchy
from mediation_svc.pki.tsa import make_timestamper
from mediation_svc.signing import pades, validation_data

from .test_pades import SIGNERS, context, credential


@pytest.fixture(scope="module")
def four_signed(agreement_pdf, keystore):
    """Three one-time signers and the seal, each B-T without its own DSS update (the close must do it all)."""
    stamper = make_timestamper(keystore)
    chain = (keystore.certificate(hierarchy.ISSUING), keystore.certificate(hierarchy.ROOT))
    signers = [(f"signer-{i}", credential(keystore, *person).pyhanko_signer()) for i, person in enumerate(SIGNERS)]
    signers.append(("seal", pades.key_signer(keystore.certificate(hierarchy.SEAL),
                                             keystore.private_key(hierarchy.SEAL), chain)))
    pdf = agreement_pdf
    for name, signer in signers:
        pdf = pades.sign(pdf, signer=signer, timestamper=stamper, field=pades.FieldPlacement(name, -1, None),
                         appearance_png=None, reason=name)
    return pdf


def revisions(pdf: bytes) -> int:
    return PdfFileReader(io.BytesIO(pdf), strict=False).xrefs.total_revisions


def test_the_close_adds_one_revision_with_the_dss_and_the_document_timestamp(four_signed, keystore):
    closed = pades.close_lta(four_signed, timestamper=make_timestamper(keystore), context=context(keystore))
    assert revisions(closed) == revisions(four_signed) + 1
    reader = PdfFileReader(io.BytesIO(closed), strict=False)
    [stamp] = reader.embedded_timestamp_signatures
    assert stamp.signed_revision == revisions(closed) - 1  # the timestamp covers the whole last revision
    dss = reader.root["/DSS"]
    assert len(dss["/CRLs"]) == 2 and len(dss["/Certs"]) >= 6  # root, issuing CA, TSA, seal, three signers
    checks = pades.validate_lta(closed, trust_roots=[keystore.certificate(hierarchy.ROOT)])
    assert [c.indication for c in checks] == ["PASSED"] * 4


def test_each_distinct_certificate_is_validated_once(four_signed, keystore, monkeypatch):
    validated: list[str] = []
    original = CertificateValidator.async_validate_usage

    async def counting(self, *args, **kwargs):
        validated.append(self._certificate.subject.human_friendly)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(CertificateValidator, "async_validate_usage", counting)
    pades.close_lta(four_signed, timestamper=make_timestamper(keystore), context=context(keystore))
    # three one-time signers, the seal, the TSA (in every signature timestamp and the document timestamp): 5
    assert len(validated) == 5 == len(set(validated))


def test_the_containers_cut_from_the_file_are_the_ones_pyhanko_reads(four_signed):
    reader = PdfFileReader(io.BytesIO(four_signed), strict=False)
    cut = validation_data.signature_containers(four_signed, reader)
    expected = PdfFileReader(io.BytesIO(four_signed), strict=False).embedded_signatures
    assert [c.field_name for c in cut] == [s.field_name for s in expected]
    assert [c.signed_data.dump() for c in cut] == [s.signed_data.dump() for s in expected]
    assert not any(c.is_document_timestamp for c in cut)
    for container in cut:  # the signer found by DER is the one pyHanko's name matching finds
        signer, others = validation_data.signer_and_others(container.signed_data)
        info = extract_certificate_info(container.signed_data)
        assert signer.dump() == info.signer_cert.dump()
        assert sorted(c.dump() for c in others) == sorted(c.dump() for c in info.other_certs)

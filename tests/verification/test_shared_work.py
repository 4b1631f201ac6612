"""Issue 19: verifying a file with many signatures does each piece of work once.

An 8-signature B-LTA agreement (seven people and the seal, each signature with its own validation data,
then the close). Counted, not timed: every pair (signed revision, later revision) of the difference
analysis runs once; every certificate's revocation check (same certificate, path, moment and revocation
data) and the document-timestamp chain run once for the file; and the report is the same, signature by
signature, as when nothing is shared.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections import Counter

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis.policies import StandardDiffPolicy

from mediation_svc.verification import caches
from mediation_svc.verification.report import verify_pdf

from .conftest import SIGNERS as SIGNERS_FIRST
from .conftest import credential, sign_one, signed_agreement

EXTRA = 4
SIGNERS = EXTRA + 3  # and the seal: 8 signatures
CHECK, CHAIN = caches._original_check_revocation, caches._original_prima_facie  # pyHanko's own functions


@pytest.fixture(scope="module")
def eight_signatures(agreement_pdf, keystore) -> bytes:
    """Four more people first, then what the signing flow does (three people, the seal, the close)."""
    pdf = agreement_pdf
    for index in range(len(SIGNERS_FIRST), len(SIGNERS_FIRST) + EXTRA):
        cred = credential(keystore, f"签署人{index}", None, "申请人", now=dt.datetime.now(dt.timezone.utc))
        pdf = sign_one(keystore, pdf, cred, index, with_data=True)
    return signed_agreement(keystore, pdf)


def _verdicts(report) -> list[tuple]:
    return [(s.field_name, s.indication, s.sub_indication, s.errors, s.warnings, s.pades_level,
             s.revocation.status if s.revocation else None, s.best_signature_time) for s in report.signatures]


def test_each_revision_pair_is_compared_once(eight_signatures, root_cert, monkeypatch):
    pairs: Counter = Counter()
    apply = StandardDiffPolicy.apply

    def counting(self, old, new, *args, **kwargs):
        pairs[(old.revision, new.revision)] += 1
        return apply(self, old, new, *args, **kwargs)

    monkeypatch.setattr(StandardDiffPolicy, "apply", counting)
    report = verify_pdf(eight_signatures, trust_roots=[root_cert])
    assert report.indication.value == "TOTAL_PASSED", report.summary
    reader = PdfFileReader(io.BytesIO(eight_signatures), strict=False)
    total = reader.xrefs.total_revisions
    expected = {(sig.signed_revision, later) for sig in reader.embedded_regular_signatures
                for later in range(sig.signed_revision + 1, total)}
    assert len(reader.embedded_regular_signatures) == SIGNERS + 1
    assert set(pairs) == expected
    assert max(pairs.values()) == 1


def _count_checks(pdf: bytes, root_cert, now, monkeypatch) -> tuple[Counter, int]:
    """(how often each distinct revocation check ran, how often the archive timestamp chain was validated)."""
    runs: Counter = Counter()
    stamp_chains = []
    keyer = caches.FileCaches()  # only to name each check by everything it depends on

    async def counting_check(cert, validation_context, path, proc_state):
        runs[caches._revocation_key(keyer, cert, validation_context, path, proc_state)] += 1
        return await CHECK(cert, validation_context, path, proc_state)

    async def counting_chain(*args, **kwargs):
        stamp_chains.append(kwargs.get("cur_timing_info"))
        return await CHAIN(*args, **kwargs)

    monkeypatch.setattr(caches, "_original_check_revocation", counting_check)
    monkeypatch.setattr(caches, "_original_prima_facie", counting_chain)
    report = verify_pdf(pdf, trust_roots=[root_cert], now=now)
    assert report.indication.value == "TOTAL_PASSED", report.summary
    return runs, len(stamp_chains)


def test_each_chain_is_validated_once_per_file(eight_signatures, root_cert, monkeypatch):
    now = dt.datetime.now(dt.timezone.utc)
    shared, shared_chains = _count_checks(eight_signatures, root_cert, now, monkeypatch)
    with monkeypatch.context() as alone_patch:
        alone_patch.setattr(caches, "per_file", contextlib.nullcontext)
        alone, alone_chains = _count_checks(eight_signatures, root_cert, now, alone_patch)
    # every distinct check (certificate, path, moment, revocation data) still runs, and runs once
    assert set(shared) == set(alone)
    assert max(shared.values()) == 1
    assert sum(alone.values()) > 2 * sum(shared.values())  # what each signature used to redo
    # the archive timestamp chain: once for the file, not once per signature
    assert (shared_chains, alone_chains) == (1, SIGNERS + 1)


def test_shared_work_gives_the_same_report(eight_signatures, root_cert, monkeypatch):
    now = dt.datetime.now(dt.timezone.utc)
    shared = verify_pdf(eight_signatures, trust_roots=[root_cert], now=now)
    monkeypatch.setattr(caches, "per_file", contextlib.nullcontext)
    alone = verify_pdf(eight_signatures, trust_roots=[root_cert], now=now)
    assert _verdicts(shared) == _verdicts(alone)
    assert shared.indication == alone.indication and shared.summary == alone.summary

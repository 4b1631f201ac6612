"""The validation moment reaches pyHanko's AdES engine: inside ``ltv.validating_at`` the engine's modules read
the moment being validated at, not the wall clock (which would judge a file "as of" a later day partly at today's
time, more leniently than a court reading it on that day), in this context only."""

from __future__ import annotations

import datetime as dt
import threading

from pyhanko.sign.validation import ades
from pyhanko_certvalidator.ltv import ades_past, poe

from mediation_svc.verification import ltv

AS_OF = dt.datetime(2035, 6, 1, 8, 30, tzinfo=dt.timezone.utc)


def test_the_engine_reads_the_validation_moment_inside_the_block_and_the_wall_clock_outside():
    for module in (ades, ades_past, poe):
        assert module.datetime.now(dt.timezone.utc).year < 2035
        with ltv.validating_at(AS_OF):
            assert module.datetime.now(dt.timezone.utc) == AS_OF
            assert module.datetime.now() == AS_OF.replace(tzinfo=None)
            assert ltv.current_moment() == AS_OF
        assert ltv.current_moment() is None


def test_another_thread_keeps_its_own_clock():
    seen: list[dt.datetime] = []
    with ltv.validating_at(AS_OF):
        worker = threading.Thread(target=lambda: seen.append(ades.datetime.now(dt.timezone.utc)))
        worker.start()
        worker.join()
    assert seen and seen[0].year < 2035

"""The moment a validation runs at, for pyHanko's AdES engine too (``validating_at``); see ``ltv``, the policy that
sets it, and ``caches``, which reuses results only within one moment."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar

from pyhanko.sign.validation import ades
from pyhanko_certvalidator.ltv import ades_past, poe

# pyHanko's AdES engine reads the wall clock where it has no better time: the POE it gives objects it
# holds no proof of existence for, and the first control time of past validation. A validation "as of"
# another moment would then be judged partly at today's time, which is more lenient than a court reading
# the file on that day would be (a faketime run of the CLI shows it). The engine's modules get, once, a
# clock that answers with the moment of the validation running in this context (a ContextVar, so that
# concurrent validations in other threads keep their own), and the wall clock when none is running.
_MOMENT: ContextVar[dt.datetime | None] = ContextVar("validation_moment", default=None)


class _MomentClock(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        moment = _MOMENT.get()
        if moment is None:
            return dt.datetime.now(tz)
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


for _module in (ades, ades_past, poe):
    _module.datetime = _MomentClock  # type: ignore[attr-defined]


def current_moment() -> dt.datetime | None:
    """The moment of the validation running in this context (None: the wall clock)."""
    return _MOMENT.get()


@contextlib.contextmanager
def validating_at(moment: dt.datetime) -> Iterator[None]:
    """Within the block, pyHanko's AdES engine takes ``moment`` for now (in this context only)."""
    token = _MOMENT.set(moment)
    try:
        yield
    finally:
        _MOMENT.reset(token)

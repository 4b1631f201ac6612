"""Synchronous calls that start an event loop themselves (pyHanko's sync wrappers) work beside a running loop,
as they must under Playwright's sync API in the browser tests."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from mediation_svc.coroutines import call_sync, run_sync

CLOCK = contextvars.ContextVar("clock", default="real")


def _starts_its_own_loop(x: int) -> tuple[int, str]:
    async def twice() -> tuple[int, str]:
        return 2 * x, CLOCK.get()
    return asyncio.run(twice())


def test_without_a_running_loop_the_call_is_direct():
    assert call_sync(_starts_its_own_loop, 4) == (8, "real")


def test_beside_a_running_loop_the_call_runs_apart_with_the_callers_context():
    async def caller():
        CLOCK.set("injected")
        with pytest.raises(RuntimeError):
            _starts_its_own_loop(1)  # what pyHanko's sync wrappers did here before
        return call_sync(_starts_its_own_loop, 5), run_sync(asyncio.sleep(0, result="slept"))

    assert asyncio.run(caller()) == ((10, "injected"), "slept")


def test_errors_come_back_to_the_caller():
    def fails():
        raise ValueError("no")

    async def caller():
        return call_sync(fails)

    with pytest.raises(ValueError, match="no"):
        asyncio.run(caller())

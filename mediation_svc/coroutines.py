"""Running pyHanko's coroutines from synchronous code.

pyHanko's signing, timestamping and validation APIs are ``async``; the services here are synchronous
(FastAPI runs them in its thread pool, the CLI and the demo seeder call them directly). ``asyncio.run``
refuses to start when the calling thread already runs an event loop (an ``async`` caller, or a test
harness such as Playwright's sync API that keeps one marked running), so in that case the coroutine
runs to completion on a short-lived thread of its own, in a copy of the caller's context: the caller
blocks, as it would for any other synchronous call, and never nests loops. The service calls pyHanko's
async API through ``run_sync``; ``call_sync`` is for a library's own synchronous wrapper.
"""
from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion and return its result (or raise its exception)."""
    return call_sync(asyncio.run, coro)


def call_sync(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` for a synchronous function that starts an event loop itself (``asyncio.run``, as
    pyHanko's sync wrappers do): directly when this thread runs no loop, else on a short-lived thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()  # the caller's context variables (the injected validation clock)

    def _worker() -> None:
        try:
            outcome["value"] = context.run(fn, *args, **kwargs)
        except BaseException as exc:  # handed back to the caller's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=_worker, name="run-sync", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]

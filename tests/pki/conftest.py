"""PKI fixtures: a SoftHSM2 token (softhsm2-util) in a temporary SOFTHSM2_CONF directory, and a live
uvicorn server in a thread for clients that need a real URL (openssl ocsp -url, pyHanko fetching, a TSA)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN_LABEL = "mediation-seal-test"
USER_PIN = "seal-user-2468"


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory) -> dict:
    """A fresh SoftHSM2 token for the whole run.

    SoftHSM reads SOFTHSM2_CONF once, when the module is first initialised in this process, so the token
    directory is made once per session and shared by the tests that need an HSM."""
    if not SOFTHSM_MODULE.exists() or shutil.which("softhsm2-util") is None:
        pytest.fail("SoftHSM2 is missing: apt-get install softhsm2 (make setup installs it)")
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", USER_PIN,
                    "--so-pin", "so-1357-9"], check=True, capture_output=True)
    pin_file = directory / "seal.pin"
    pin_file.write_text(USER_PIN + "\n")
    return {"module": SOFTHSM_MODULE, "token": TOKEN_LABEL, "pin_file": pin_file, "conf": conf}


@pytest.fixture(scope="session")
def plain_pdf() -> bytes:
    import weasyprint

    return weasyprint.HTML(string="<h1>调解协议书</h1><p>粤正和调〔2026〕第0001号</p>").write_pdf()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(app, port: int | None = None) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread on 127.0.0.1; yields its base URL."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)

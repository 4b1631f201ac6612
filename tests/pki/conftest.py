"""PKI fixtures: a SoftHSM2 token (softhsm2-util) in a temporary SOFTHSM2_CONF directory."""

from __future__ import annotations

import os
import shutil
import subprocess
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

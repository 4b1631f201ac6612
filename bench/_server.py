"""A real server for endpoint benchmarks: ``mediation-svc serve`` in a subprocess on a free port, against a
benchmark database, with its own keys (so certificates and tokens point at this server), and a staff login.

    with running_server(db_url, port_name="10k") as server:
        client = server.client(username="bench_officer", password=PASSWORD)
        client.get("/api/v1/...")
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "bench-passphrase"


def free_port() -> int:
    """A TCP port nobody listens on now, on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    log: Path
    process: subprocess.Popen

    def client(self, *, username: str, password: str) -> httpx.Client:
        """An HTTP client (keep-alive) holding a bearer token of that user, from ``POST /api/v1/auth/token``."""
        client = httpx.Client(base_url=self.base, timeout=120)
        answer = client.post("/api/v1/auth/token", data={"username": username, "password": password})
        answer.raise_for_status()
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        return client


def _wait_ready(base: str, log: Path, process: subprocess.Popen) -> None:
    for _ in range(900):
        if process.poll() is not None:
            break
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/readyz", timeout=10).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit("the benchmark server did not become ready:\n" + log.read_text()[-3000:])


def make_keys(keys: Path, base: str) -> None:
    """The service's keys and certificates, pointing relying parties at ``base`` (this benchmark's server)."""
    from mediation_svc.pki.hierarchy import PkiUrls
    from mediation_svc.pki.keystore import KeyStore, init_keys

    init_keys(KeyStore(keys, PASSPHRASE.encode()), urls=PkiUrls(base))


@contextlib.contextmanager
def running_server(db_url: str, *, workers: int = 1) -> Iterator[Server]:
    """Serve ``db_url`` until the block ends (SIGTERM, then kill after 30 s)."""
    keys = Path(tempfile.mkdtemp(prefix="bench-server-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = None
    try:
        make_keys(keys, base)
        env = {**os.environ, "MEDIATION_DATABASE_URL": db_url, "MEDIATION_KEY_DIR": str(keys),
               "MEDIATION_KEY_PASSPHRASE": PASSPHRASE, "MEDIATION_LOG_LEVEL": "WARNING",
               "MEDIATION_PUBLIC_BASE_URL": base, "MEDIATION_PASSWORD_HASH_PROFILE": "cheapest"}
        log = keys / "server.log"
        with open(log, "w") as out:
            process = subprocess.Popen([str(Path(sys.executable).parent / "mediation-svc"), "serve",
                                        "--workers", str(workers), "--port", str(port)],
                                       env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True)
        _wait_ready(base, log, process)
        yield Server(base, log, process)
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(keys, ignore_errors=True)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_backends(server_url: str, database: str) -> list[int]:
    """The PostgreSQL backend processes now connected to ``database`` (other databases' are not counted)."""
    import psycopg
    from _postgres import admin_url

    with psycopg.connect(admin_url(server_url), autocommit=True) as conn:
        return [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (database,))]


class CpuMeter:
    """CPU time used by given processes between ``start()`` and ``stop()``: what a benchmark's server and
    its database backends spend, which a loaded machine's waiting does not inflate."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.started, self.used = pids, 0.0, 0.0

    def start(self) -> None:
        self.started = sum(cpu_seconds(pid) for pid in self.pids)

    def stop(self) -> float:
        self.used = sum(cpu_seconds(pid) for pid in self.pids) - self.started
        return self.used

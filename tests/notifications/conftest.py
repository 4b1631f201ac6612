"""Real servers the notification tests talk to: an SMTP server (aiosmtpd) and a tiny HTTP SMS gateway,
each started by the test run on a free local port."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller

from tests.scheduling.conftest import world  # noqa: F401 - the same officer, mediators, case and venue


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """aiosmtpd handler keeping every message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append(SimpleNamespace(rcpt_tos=list(envelope.rcpt_tos), mail_from=envelope.mail_from,
                                             message=message))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SimpleNamespace(host="127.0.0.1", port=controller.port, mailbox=mailbox)
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.mailbox.messages.clear()
    return smtp_server.mailbox


class GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's hook name
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        state = self.server.state
        state.requests.append(SimpleNamespace(path=self.path, headers=dict(self.headers), json=json.loads(body)))
        status = state.statuses.pop(0) if state.statuses else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"ok": status < 300}).encode())

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def sms_gateway_server():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), GatewayHandler)
    server.state = SimpleNamespace(requests=[], statuses=[])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_address[1]}/sms/send", state=server.state)
    server.shutdown()
    server.server_close()


@pytest.fixture
def gateway(sms_gateway_server):
    sms_gateway_server.state.requests.clear()
    sms_gateway_server.state.statuses.clear()
    return sms_gateway_server

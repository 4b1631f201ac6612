"""Transport and operations endpoints: HSTS (RFC 6797) when the service is reached over https, and who may
read /metrics (Prometheus): the scraper with ``MEDIATION_METRICS_TOKEN``, or an admin's access token."""

from __future__ import annotations

import hmac

from fastapi import Request

from ..errors import Forbidden, Unauthenticated

HSTS = b"max-age=31536000; includeSubDomains"


class HstsMiddleware:
    """Strict-Transport-Security on every response, when the public base URL is https (behind the proxy
    that terminates TLS): browsers then never try plain http for this host again."""

    def __init__(self, app, enabled: bool) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.enabled:
            return await self.app(scope, receive, send)

        async def send_with_hsts(message):
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"strict-transport-security"]
                message = {**message, "headers": headers + [(b"strict-transport-security", HSTS)]}
            await send(message)

        return await self.app(scope, receive, send_with_hsts)


def require_metrics_reader(request: Request) -> None:
    from ..accounts.service import user_from_access_token
    from ..db import unit_of_work
    from .roles import Role

    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("/metrics needs the metrics token or an admin's access token")
    expected = request.app.state.settings.metrics_token
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return
    with unit_of_work(request.app.state.engine) as session:
        user = user_from_access_token(session, request.app.state.tokens, token)
        if user.role != Role.ADMIN:
            raise Forbidden("/metrics is for the monitoring system and admins")

"""The client's address, taken from ``X-Forwarded-For`` only when the request came through a proxy we trust.

``MEDIATION_TRUSTED_PROXIES`` lists the proxies' addresses or networks (``10.0.0.5, 10.1.0.0/16``); none by
default, so a client cannot choose its own address (and its own throttling bucket) by sending the header.
Behind trusted proxies the header is read from the right: each hop a trusted proxy appended is skipped,
and the first address no trusted proxy vouches for is the client (RFC 7239 §5.2's reasoning, applied to
the de-facto header). uvicorn's own proxy-header rewriting is switched off in ``serve`` for this reason.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def parse_trusted(spec: str) -> tuple[Network, ...]:
    networks = []
    for item in spec.replace(";", ",").split(","):
        item = item.strip()
        if item:
            networks.append(ipaddress.ip_network(item, strict=False))
    return tuple(networks)


def _trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The address to account a request to: the peer, unless a trusted proxy forwarded it."""
    address = peer or "unknown"
    if not trusted or not forwarded_for or not _trusted(address, trusted):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a malformed chain: do not believe any of it
        if not _trusted(hop, trusted):
            return hop
        address = hop
    return address

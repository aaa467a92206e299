"""The client's address behind reverse proxies: ``X-Forwarded-For`` or ``Forwarded``, trusted.

A proxy header is only as good as whoever wrote it. Anyone can send
``X-Forwarded-For: 203.0.113.9``, so the header is read only when the peer
that connected is one of the configured proxies (``BACKCARE_TRUSTED_PROXIES``),
and then only the one header the proxies are set up to write: a proxy that
appends to ``X-Forwarded-For`` passes a client's own ``Forwarded`` through
untouched, so reading both would let the client choose its address.

The chain is walked from the right (the entry the nearest proxy wrote) past
every trusted proxy; the first address that is not a trusted proxy is the
client. Entries to its left were written by the client or by proxies we do not
know, and are ignored. Only ``scope["client"]`` changes, so the rate limit,
logs and every route see the client's address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "ProxyHeader",
    "ProxyHeadersMiddleware",
    "TrustedProxies",
    "client_address",
    "parse_forwarded",
    "parse_x_forwarded_for",
]

ProxyHeader = Literal["x-forwarded-for", "forwarded"]
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TrustedProxies:
    """The networks whose ``X-Forwarded-For``/``Forwarded`` headers are believed."""

    networks: tuple[_Network, ...] = ()

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        """Comma-separated addresses or CIDR networks, e.g. ``127.0.0.1,10.0.0.0/8``.

        Raises:
            ValueError: an item is neither an address nor a network; the
                message names it.
        """
        networks = []
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise ValueError(
                    f"trusted proxy {item!r} is not an IP address or network (e.g. 10.0.0.0/8)"
                ) from exc
        return cls(tuple(networks))

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: _Address | None) -> bool:
        """Whether ``address`` is one of the trusted proxies."""
        if address is None:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


def _address(text: str) -> _Address | None:
    """An IP address from a header entry (with or without a port); None when it is not one."""
    text = text.strip().strip('"').strip()
    if text.startswith("["):
        # "[2001:db8::1]" or "[2001:db8::1]:4711"
        end = text.find("]")
        if end < 0:
            return None
        text = text[1:end]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]  # "192.0.2.1:4711"
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None  # "unknown", an obfuscated "_hidden", or garbage


def parse_x_forwarded_for(values: Iterable[str]) -> list[_Address | None]:
    """The hops of ``X-Forwarded-For`` header values, leftmost (furthest) first."""
    return [_address(part) for value in values for part in value.split(",") if part.strip()]


def parse_forwarded(values: Iterable[str]) -> list[_Address | None]:
    """The ``for=`` hops of RFC 7239 ``Forwarded`` header values, leftmost first.

    An element without ``for=`` counts as a hop of unknown address, so it
    stops the walk like any entry that is not an address.
    """
    hops: list[_Address | None] = []
    for value in values:
        for element in _split_quoted(value, ","):
            found: _Address | None = None
            for pair in _split_quoted(element, ";"):
                name, _, raw = pair.partition("=")
                if name.strip().lower() == "for":
                    found = _address(raw)
            if element.strip():
                hops.append(found)
    return hops


def _split_quoted(text: str, separator: str) -> list[str]:
    """``text`` split on ``separator`` outside double quotes (backslash escapes honoured)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def client_address(peer: str, hops: Sequence[_Address | None], trusted: TrustedProxies) -> str:
    """The client's address: ``peer`` unless it is trusted, else the walk of ``hops``.

    Args:
        peer: the address that connected to us.
        hops: the header's addresses, leftmost first (None: not an address).
        trusted: the proxies whose hops are believed.
    """
    if not trusted.trusts(_address(peer)):
        return peer
    client = peer
    for hop in reversed(hops):
        if hop is None:
            break  # written by someone we cannot vouch for: the last trusted hop stands
        client = str(hop)
        if not trusted.trusts(hop):
            break
    return client


class ProxyHeadersMiddleware:
    """ASGI middleware that puts the client's address (see the module) in ``scope["client"]``."""

    def __init__(
        self, app: ASGIApp, *, trusted: TrustedProxies, header: ProxyHeader = "x-forwarded-for"
    ) -> None:
        self.app = app
        self.trusted = trusted
        self.header = header.encode("latin-1")
        self._parse = parse_forwarded if header == "forwarded" else parse_x_forwarded_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client and self.trusted:
            values = [
                value.decode("latin-1")
                for name, value in scope.get("headers", [])
                if name == self.header
            ]
            if values:
                address = client_address(client[0], self._parse(values), self.trusted)
                if address != client[0]:
                    scope = {**scope, "client": (address, 0)}
        await self.app(scope, receive, send)

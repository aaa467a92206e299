"""Client addresses behind proxies: headers believed only from trusted peers, spoofs ignored."""

from __future__ import annotations

import ipaddress

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from backcare import Backcare
from backcare.api import RateLimit, TrustedProxies, create_app
from backcare.api.proxies import client_address, parse_forwarded, parse_x_forwarded_for

PROXY = "10.0.0.5"
TRUSTED = TrustedProxies.parse("10.0.0.0/24, ::1")


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


class TestParsing:
    def test_trusted_proxies_parse_addresses_and_networks(self) -> None:
        trusted = TrustedProxies.parse(" 127.0.0.1 , 10.0.0.0/8,,fd00::/8 ")
        assert trusted.trusts(_ip("127.0.0.1")) and trusted.trusts(_ip("10.9.8.7"))
        assert trusted.trusts(_ip("fd00::1"))
        assert not trusted.trusts(_ip("127.0.0.2")) and not trusted.trusts(None)
        assert not TrustedProxies.parse("")

    def test_an_ipv4_mapped_peer_is_the_ipv4_address(self) -> None:
        assert TRUSTED.trusts(_ip("::ffff:10.0.0.5"))

    def test_a_bad_item_is_named(self) -> None:
        with pytest.raises(ValueError, match="'10.0.0.300'"):
            TrustedProxies.parse("127.0.0.1,10.0.0.300")

    def test_x_forwarded_for_entries_with_and_without_ports(self) -> None:
        hops = parse_x_forwarded_for(["203.0.113.9:4711, [2001:db8::1]:80", "unknown,  ::1"])
        assert hops == [_ip("203.0.113.9"), _ip("2001:db8::1"), None, _ip("::1")]

    def test_forwarded_elements_quotes_and_parameters(self) -> None:
        value = 'for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711"'
        hops = parse_forwarded([value, "for=_hidden, proto=https"])
        assert hops == [_ip("192.0.2.60"), _ip("2001:db8:cafe::17"), None, None]

    def test_a_comma_inside_quotes_does_not_split(self) -> None:
        assert parse_forwarded(['for="198.51.100.1";ext="a,b"']) == [_ip("198.51.100.1")]

    @given(st.text(max_size=200))
    def test_any_header_parses_to_addresses_or_none(self, text: str) -> None:
        for hops in (parse_forwarded([text]), parse_x_forwarded_for([text])):
            assert all(
                hop is None or isinstance(hop, ipaddress.IPv4Address | ipaddress.IPv6Address)
                for hop in hops
            )

    @given(st.lists(st.ip_addresses(), min_size=1, max_size=6))
    def test_forwarded_round_trips_addresses(
        self, addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address]
    ) -> None:
        value = ", ".join(f'for="[{a}]:1"' if a.version == 6 else f"for={a}" for a in addresses)
        assert parse_forwarded([value]) == addresses
        assert parse_x_forwarded_for([", ".join(str(a) for a in addresses)]) == addresses


class TestTheWalk:
    def test_an_untrusted_peer_is_the_client_whatever_it_sends(self) -> None:
        assert client_address("198.51.100.7", [_ip("203.0.113.9")], TRUSTED) == "198.51.100.7"

    def test_the_nearest_untrusted_hop_is_the_client(self) -> None:
        hops = [_ip("1.1.1.1"), _ip("203.0.113.9"), _ip("10.0.0.7")]
        # 1.1.1.1 was written by the client itself: left of the first untrusted hop.
        assert client_address(PROXY, hops, TRUSTED) == "203.0.113.9"

    def test_garbage_stops_the_walk_at_the_last_trusted_hop(self) -> None:
        assert client_address(PROXY, [None, _ip("10.0.0.7")], TRUSTED) == "10.0.0.7"
        assert client_address(PROXY, [], TRUSTED) == PROXY

    @given(
        spoofed=st.lists(st.ip_addresses(), max_size=4),
        client=st.ip_addresses().filter(lambda a: not TRUSTED.trusts(a)),
        chain=st.lists(st.sampled_from(["10.0.0.1", "10.0.0.200", "::1"]), max_size=3),
    )
    def test_whatever_the_client_prepends_its_address_wins(
        self, spoofed: list[ipaddress.IPv4Address], client: ipaddress.IPv4Address, chain: list[str]
    ) -> None:
        hops = [*spoofed, client, *(_ip(hop) for hop in chain)]
        assert client_address(PROXY, hops, TRUSTED) == str(client)


def _echo_app(fake_backcare: Backcare, header: str = "x-forwarded-for") -> TestClient:
    app = create_app(
        fake_backcare,
        trusted_proxies=TRUSTED,
        proxy_header=header,  # type: ignore[arg-type]
        rate_limit=RateLimit(rate=0.001, burst=2),
    )

    @app.get("/test/client")
    def whoami(request: Request) -> dict[str, str | None]:
        return {"client": request.client.host if request.client else None}

    return app


def _client(app: object, peer: str) -> TestClient:
    return TestClient(app, client=(peer, 50000))  # type: ignore[arg-type]


class TestThroughTheApp:
    def test_a_trusted_proxy_names_the_client(self, fake_backcare: Backcare) -> None:
        with _client(_echo_app(fake_backcare), PROXY) as http:
            got = http.get("/test/client", headers={"x-forwarded-for": "6.6.6.6, 203.0.113.9"})
            assert got.json() == {"client": "203.0.113.9"}

    def test_spoofed_x_forwarded_for_from_a_client_is_ignored(
        self, fake_backcare: Backcare
    ) -> None:
        with _client(_echo_app(fake_backcare), "198.51.100.7") as http:
            got = http.get("/test/client", headers={"x-forwarded-for": "10.0.0.9, 203.0.113.9"})
            assert got.json() == {"client": "198.51.100.7"}

    def test_spoofed_forwarded_from_a_client_is_ignored(self, fake_backcare: Backcare) -> None:
        app = _echo_app(fake_backcare, header="forwarded")
        with _client(app, "198.51.100.7") as http:
            got = http.get("/test/client", headers={"forwarded": "for=203.0.113.9"})
            assert got.json() == {"client": "198.51.100.7"}
        with _client(app, PROXY) as http:
            got = http.get("/test/client", headers={"forwarded": 'for="[2001:db8::9]:1"'})
            assert got.json() == {"client": "2001:db8::9"}

    def test_only_the_configured_header_is_read(self, fake_backcare: Backcare) -> None:
        # nginx appends to X-Forwarded-For and passes a client's Forwarded through.
        with _client(_echo_app(fake_backcare), PROXY) as http:
            got = http.get(
                "/test/client",
                headers={"forwarded": "for=6.6.6.6", "x-forwarded-for": "203.0.113.9"},
            )
            assert got.json() == {"client": "203.0.113.9"}

    def test_spoofing_does_not_escape_the_rate_limit(self, fake_backcare: Backcare) -> None:
        with _client(_echo_app(fake_backcare), "198.51.100.7") as http:
            statuses = [
                http.get("/v1/entries", headers={"x-forwarded-for": f"203.0.113.{n}"}).status_code
                for n in range(4)
            ]
        assert statuses == [200, 200, 429, 429]

    def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(
        self, fake_backcare: Backcare
    ) -> None:
        with _client(_echo_app(fake_backcare), PROXY) as http:
            statuses = [
                http.get(
                    "/v1/entries", headers={"x-forwarded-for": f"203.0.113.{n % 2}"}
                ).status_code
                for n in range(6)
            ]
        assert statuses == [200, 200, 200, 200, 429, 429]

    def test_without_trusted_proxies_the_header_is_ignored(self, fake_backcare: Backcare) -> None:
        app = create_app(fake_backcare)

        @app.get("/test/client")
        def whoami(request: Request) -> dict[str, str | None]:
            return {"client": request.client.host if request.client else None}

        with _client(app, "127.0.0.1") as http:
            got = http.get("/test/client", headers={"x-forwarded-for": "203.0.113.9"})
            assert got.json() == {"client": "127.0.0.1"}

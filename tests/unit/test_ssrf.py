import socket
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

import httpx
import pytest

from returns_api.webhooks import ssrf
from returns_api.webhooks.ssrf import (
    ResolvedTarget,
    UnresolvableHost,
    UnsafeURL,
    check_url_syntax,
    is_public_address,
    pinned_request_url,
    resolve_public,
)

# What the fake DNS answers; tests never make a real DNS query.
DNS: dict[str, list[str]] = {
    "hooks.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    "rebind.example.com": ["93.184.216.34", "10.0.0.7"],
    "v6-private.example.com": ["2606:4700::1111", "fd00::5"],
    "metadata.example.com": ["169.254.169.254"],
    "localhost": ["127.0.0.1", "::1"],
    "empty.example.com": [],
    "garbage.example.com": ["not-an-ip"],
}


async def fake_resolver(host: str, port: int) -> list[str]:
    try:
        return DNS[host]
    except KeyError:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None


async def no_dns(host: str, port: int) -> list[str]:
    raise AssertionError(f"literal IP host {host!r} must not be looked up")


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://172.16.5.4/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://0.0.0.0/hook",
        "https://100.64.0.1/hook",
        "https://192.0.0.8/hook",
        "https://198.18.0.1/hook",
        "https://224.0.0.1/hook",
        "https://240.0.0.1/hook",
        "https://255.255.255.255/hook",
        "https://[::1]/hook",
        "https://[::]/hook",
        "https://[fc00::1]/hook",
        "https://[fd12::1]/hook",
        "https://[fe80::1]/hook",
        "https://[ff0e::1]/hook",
        "https://[2001:db8::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://[64:ff9b::a00:1]/hook",  # NAT64 well-known prefix, 10.0.0.1
        "https://[64:ff9b::7f00:1]/hook",  # NAT64 well-known prefix, 127.0.0.1
        "https://[64:ff9b:1::a00:1]/hook",  # NAT64 local-use, /96 layout, 10.0.0.1
        "https://[64:ff9b:1:a00:0:100::]/hook",  # NAT64 local-use, /48 layout, 10.0.0.1
        "https://[64:ff9b:1:0:a:0:100:0]/hook",  # NAT64 local-use, /64 layout, 10.0.0.1
        "https://[2002:a00:1::1]/hook",  # 6to4 of 10.0.0.1
        "https://[2002:a9fe:a9fe::1]/hook",  # 6to4 of 169.254.169.254
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",  # Teredo
    ],
)
async def test_non_public_ip_literals_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL, match="non-public"):
        await resolve_public(url, allow_private=False, resolver=no_dns)


@pytest.mark.parametrize(
    "url",
    [
        "https://rebind.example.com/hook",
        "https://v6-private.example.com/hook",
        "https://metadata.example.com/hook",
        "https://localhost/hook",
    ],
)
async def test_host_with_any_non_public_address_is_refused(url: str) -> None:
    with pytest.raises(UnsafeURL, match="non-public"):
        await resolve_public(url, allow_private=False, resolver=fake_resolver)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/hook", "https"),
        ("ftp://hooks.example.com/hook", "https"),
        ("/hook", "https"),
        ("hooks.example.com/hook", "https"),
        ("https://user:pass@hooks.example.com/hook", "user name or password"),
        ("https://user@hooks.example.com/hook", "user name or password"),
        ("https://hooks.example.com\\@evil.example/", "backslash"),
        ("https://hooks.example.com/a b", "whitespace"),
        ("https://hooks.example.com/\n", "whitespace"),
        ("https:///hook", "no host"),
        ("https://:443/hook", "no host"),
        ("https://hooks.example.com:0/hook", "port"),
        ("https://hooks.example.com:65536/hook", "malformed"),
        ("https://hooks.example.com:https/hook", "malformed"),
        ("https://hooks.example.com/" + "a" * 2048, "longer than 2048"),
        ("https://[fe80::1%25eth0]/hook", "zone id"),
        ("https://hooks..example.com/hook", "host name"),
        ("https://hooks_example!.com/hook", "host name"),
        ("https://2130706433/hook", "non-standard form"),
        ("https://127.1/hook", "non-standard form"),
        ("https://0x7f.0.0.1/hook", "non-standard form"),
        ("https://010.0.0.1/hook", "non-standard form"),
    ],
)
async def test_malformed_or_unsafe_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURL, match=reason):
        await resolve_public(url, allow_private=False, resolver=fake_resolver)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://93.184.216.34/x", ["93.184.216.34"]),
        ("https://[2606:4700::1111]/x", ["2606:4700::1111"]),
        ("https://[::ffff:93.184.216.34]/x", ["::ffff:5db8:d822"]),
        ("https://[64:ff9b::5db8:d822]/x", ["64:ff9b::5db8:d822"]),  # NAT64 of 93.184.216.34
        ("https://[64:ff9b:1::5db8:d822]/x", ["64:ff9b:1::5db8:d822"]),
        ("https://[2002:5db8:d822::1]/x", ["2002:5db8:d822::1"]),  # 6to4 of 93.184.216.34
    ],
)
async def test_public_ip_literals_are_accepted_without_dns(url: str, expected: list[str]) -> None:
    resolved = await resolve_public(url, allow_private=False, resolver=no_dns)

    assert resolved.addresses == tuple(ip_address(a) for a in expected)


async def test_host_resolving_only_to_public_addresses_is_accepted() -> None:
    resolved = await resolve_public(
        "https://Hooks.Example.com/hook?x=1#frag", allow_private=False, resolver=fake_resolver
    )

    assert resolved.target.host == "hooks.example.com"
    assert resolved.target.port == 443
    assert resolved.target.request_target == "/hook?x=1"
    assert resolved.addresses == (
        IPv4Address("93.184.216.34"),
        IPv6Address("2606:2800:220:1:248:1893:25c8:1946"),
    )


async def test_duplicate_answers_are_checked_once_in_dns_order() -> None:
    async def repeating(host: str, port: int) -> list[str]:
        return ["93.184.216.35", "93.184.216.34", "93.184.216.35"]

    resolved = await resolve_public("https://a.example/", allow_private=False, resolver=repeating)

    assert resolved.addresses == (IPv4Address("93.184.216.35"), IPv4Address("93.184.216.34"))


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://localhost:8080/hook", "https://[::1]/hook"]
)
async def test_allow_private_accepts_loopback_and_plain_http(url: str) -> None:
    resolved = await resolve_public(url, allow_private=True, resolver=fake_resolver)

    assert all(address.is_loopback for address in resolved.addresses)


async def test_allow_private_still_refuses_userinfo() -> None:
    with pytest.raises(UnsafeURL, match="user name"):
        await resolve_public("http://u:p@127.0.0.1/", allow_private=True, resolver=no_dns)


@pytest.mark.parametrize("url", ["https://nowhere.example/", "https://empty.example.com/"])
async def test_unresolvable_host_is_refused_as_possibly_transient(url: str) -> None:
    with pytest.raises(UnresolvableHost):
        await resolve_public(url, allow_private=False, resolver=fake_resolver)


async def test_resolver_answer_that_is_not_an_address_is_refused() -> None:
    with pytest.raises(UnsafeURL, match="not an IP address"):
        await resolve_public(
            "https://garbage.example.com/", allow_private=False, resolver=fake_resolver
        )


async def test_default_resolver_returns_addresses_of_a_literal() -> None:
    # A numeric host goes through getaddrinfo without touching DNS.
    assert await ssrf._system_resolver("127.0.0.1", 443) == ["127.0.0.1"]


# --- the system resolver: A and AAAA answers ----------------------------------------------

V6_ONLY = "2606:4700::1111"


def fake_getaddrinfo(
    answers: dict[str, list[str]],
) -> Callable[..., list[tuple[Any, ...]]]:
    """socket.getaddrinfo answering `answers` (honouring the family asked for), and the real
    one for any other host."""
    real = socket.getaddrinfo

    def getaddrinfo(
        host: str, port: int, family: int = 0, socktype: int = 0, proto: int = 0, flags: int = 0
    ) -> list[tuple[Any, ...]]:
        if host not in answers:
            return real(host, port, family, socktype, proto, flags)
        infos: list[tuple[Any, ...]] = []
        for answer in answers[host]:
            answer_family = socket.AF_INET6 if ":" in answer else socket.AF_INET
            if family in (socket.AF_UNSPEC, answer_family):
                address = (answer, port, 0, 0) if ":" in answer else (answer, port)
                infos.append((answer_family, socket.SOCK_STREAM, 6, "", address))
        if not infos:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return infos

    return getaddrinfo


async def test_system_resolver_keeps_ipv6_answers() -> None:
    # Numeric hosts go through the real getaddrinfo without touching DNS.
    assert await ssrf._system_resolver("::1", 443) == ["::1"]
    assert await ssrf._system_resolver(V6_ONLY, 443) == [V6_ONLY]


async def test_system_resolver_gives_a_and_aaaa_answers_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dual = {"dual.example": ["93.184.216.34", V6_ONLY]}
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo(dual))

    assert await ssrf._system_resolver("dual.example", 443) == ["93.184.216.34", V6_ONLY]


async def test_host_with_only_an_ipv6_address_is_reachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo({"v6.example": [V6_ONLY]}))

    resolved = await resolve_public("https://v6.example/in", allow_private=False)

    assert resolved.addresses == (IPv6Address(V6_ONLY),)
    url, headers, _ = pinned_request_url(resolved)
    assert (url, headers) == (f"https://[{V6_ONLY}]:443/in", {"Host": "v6.example"})


async def test_private_ipv6_answer_of_the_system_resolver_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = {"sneaky.example": ["93.184.216.34", "fd00::5"]}
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo(answers))

    with pytest.raises(UnsafeURL, match="fd00::5"):
        await resolve_public("https://sneaky.example/", allow_private=False)


# --- limits: host name, URL length, port --------------------------------------------------


async def any_host_is_public(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]


def host_name(length: int) -> str:
    """A valid host name of `length` characters: labels of 63, dot-separated."""
    labels, left = [], length
    while left > 63:
        labels.append("a" * 63)
        left -= 64
    return ".".join([*labels, "b" * left])


async def test_host_name_of_253_characters_is_accepted() -> None:
    host = host_name(253)
    assert len(host) == 253

    resolved = await resolve_public(
        f"https://{host}/", allow_private=False, resolver=any_host_is_public
    )

    assert resolved.target.host == host


async def test_host_name_of_254_characters_is_refused() -> None:
    host = host_name(254)
    assert len(host) == 254

    with pytest.raises(UnsafeURL, match="not a valid host name"):
        await resolve_public(f"https://{host}/", allow_private=False, resolver=any_host_is_public)


def url_of(length: int) -> str:
    base = "https://hooks.example.com/"
    return base + "a" * (length - len(base))


async def test_url_of_exactly_2048_characters_is_accepted() -> None:
    url = url_of(2048)
    assert len(url) == 2048

    resolved = await resolve_public(url, allow_private=False, resolver=fake_resolver)

    assert resolved.target.url == url
    assert resolved.target.request_target == url.removeprefix("https://hooks.example.com")


async def test_url_of_2049_characters_is_refused() -> None:
    with pytest.raises(UnsafeURL, match="longer than 2048"):
        await resolve_public(url_of(2049), allow_private=False, resolver=fake_resolver)


@pytest.mark.parametrize("port", [1, 65535])
async def test_the_first_and_last_ports_are_accepted(port: int) -> None:
    resolved = await resolve_public(
        f"https://hooks.example.com:{port}/in", allow_private=False, resolver=fake_resolver
    )

    assert resolved.target.port == port
    url, headers, _ = pinned_request_url(resolved)
    assert url == f"https://93.184.216.34:{port}/in"
    assert headers == {"Host": f"hooks.example.com:{port}"}


@pytest.mark.parametrize(
    ("url", "host", "port", "target"),
    [
        ("https://hooks.example.com", "hooks.example.com", 443, "/"),
        ("https://hooks.example.com?a=1", "hooks.example.com", 443, "/?a=1"),
        ("https://hooks.example.com:8443/a/b", "hooks.example.com", 8443, "/a/b"),
        ("http://localhost/x", "localhost", 80, "/x"),
        ("https://bücher.example/x", "xn--bcher-kva.example", 443, "/x"),
        ("https://[0:0:0:0:0:0:0:1]/x", "::1", 443, "/x"),
    ],
)
def test_syntax_check_takes_the_url_apart(url: str, host: str, port: int, target: str) -> None:
    parsed = check_url_syntax(url, allow_private=True)

    assert (parsed.host, parsed.port, parsed.request_target, parsed.url) == (
        host,
        port,
        target,
        url,
    )


def test_is_public_address_rejects_scoped_ipv6() -> None:
    assert not is_public_address(IPv6Address("2606:4700::1111%eth0"))
    assert is_public_address(IPv6Address("2606:4700::1111"))


async def test_pinned_url_connects_to_checked_address_with_real_host_name() -> None:
    resolved = await resolve_public(
        "https://hooks.example.com:8443/in?x=1", allow_private=False, resolver=fake_resolver
    )

    url, headers, extensions = pinned_request_url(resolved)

    assert url == "https://93.184.216.34:8443/in?x=1"
    assert headers == {"Host": "hooks.example.com:8443"}
    assert extensions == {"sni_hostname": "hooks.example.com"}


async def test_pinned_url_can_use_another_checked_address() -> None:
    resolved = await resolve_public(
        "https://hooks.example.com/in", allow_private=False, resolver=fake_resolver
    )

    url, headers, _ = pinned_request_url(resolved, resolved.addresses[1])

    assert url == "https://[2606:2800:220:1:248:1893:25c8:1946]:443/in"
    assert headers == {"Host": "hooks.example.com"}


def test_pinned_url_refuses_an_unchecked_address() -> None:
    resolved = ResolvedTarget(
        target=check_url_syntax("https://hooks.example.com/", allow_private=False),
        addresses=(IPv4Address("93.184.216.34"),),
    )

    with pytest.raises(ValueError, match="not one of the checked"):
        pinned_request_url(resolved, IPv4Address("10.0.0.1"))


async def test_pinned_plain_http_needs_no_sni() -> None:
    resolved = await resolve_public(
        "http://localhost:8080/in", allow_private=True, resolver=fake_resolver
    )

    url, headers, extensions = pinned_request_url(resolved)

    assert url == "http://127.0.0.1:8080/in"
    assert headers == {"Host": "localhost:8080"}
    assert extensions == {}


async def test_httpx_sends_pinned_request_to_the_address_with_host_and_sni() -> None:
    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    resolved = await resolve_public(
        "https://hooks.example.com/in", allow_private=False, resolver=fake_resolver
    )
    url, headers, extensions = pinned_request_url(resolved)
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        await client.post(url, content=b"{}", headers=headers, extensions=extensions)

    (request,) = seen
    assert request.url.host == "93.184.216.34"
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"

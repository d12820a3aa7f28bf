"""Checks that keep webhook deliveries from reaching internal networks (OWASP API7 SSRF).

A URL is checked twice: its syntax when an endpoint is registered, and its resolved
addresses at every delivery (DNS answers change). The dispatcher then connects to the
exact address that was checked (`pinned_request_url`), so a second DNS lookup by the
HTTP client cannot swap in a private address (DNS rebinding).
"""

import asyncio
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any
from urllib.parse import urlsplit

IPAddress = IPv4Address | IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}

# A DNS label as found in real hostnames; "_" is tolerated because some providers use it.
_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
# A last label of digits or hex is how inet_aton spells "127.1", "2130706433" or "0x7f.1";
# such hosts are IPv4 addresses in disguise, never DNS names.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")

# Ranges that `is_global` misses on some supported Python patch releases (the stdlib
# tables were corrected in 3.11.10 / 3.12.4): IETF protocol assignments, mostly local.
_ALSO_REFUSED_V4 = (IPv4Network("192.0.0.0/24"),)
_TEREDO = IPv6Network("2001::/32")
_NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE = IPv6Network("64:ff9b:1::/48")


class UnsafeURL(ValueError):
    """A webhook URL we refuse to call; the message says why, in words a merchant reads."""


class UnresolvableHost(UnsafeURL):
    """The host did not resolve. Unlike other refusals this may be transient."""


@dataclass(frozen=True, slots=True)
class ParsedTarget:
    """A syntactically acceptable webhook URL, taken apart.

    ``host`` is lower-case ASCII (IDNA-encoded), without brackets for IPv6;
    ``request_target`` is the path and query to send (``/`` when empty, no fragment).
    """

    scheme: str
    host: str
    port: int
    url: str
    request_target: str


@dataclass(frozen=True, slots=True)
class ResolvedTarget:
    """A target whose every address was checked; connect only to one of ``addresses``."""

    target: ParsedTarget
    addresses: tuple[IPAddress, ...]


def check_url_syntax(url: str, *, allow_private: bool) -> ParsedTarget:
    """Refuse URLs that are malformed or need credentials/plain HTTP; no DNS involved.

    ``allow_private`` (a development setting) also permits ``http``.
    """
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"URL is longer than {MAX_URL_LENGTH} characters")
    # urlsplit quietly strips or tolerates these, and other parsers treat "\" as "/";
    # refusing them avoids judging one URL and requesting another.
    if any(ch <= " " or ch in "\x7f\\" for ch in url):
        raise UnsafeURL("URL contains whitespace, control characters or a backslash")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"URL is malformed: {exc}") from exc

    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed_schemes:
        raise UnsafeURL("URL must start with https://")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("URL must not contain a user name or password")
    if not parts.hostname:
        raise UnsafeURL("URL has no host")
    if port is not None and not 1 <= port <= 65535:
        raise UnsafeURL("URL port must be between 1 and 65535")

    request_target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return ParsedTarget(
        scheme=parts.scheme,
        host=_normalise_host(parts.hostname),
        port=port or DEFAULT_PORTS[parts.scheme],
        url=url,
        request_target=request_target,
    )


def _normalise_host(host: str) -> str:
    """An IP literal as is, or a DNS name in IDNA ASCII form; anything else is refused."""
    if "%" in host:
        # An IPv6 zone id names a local interface: meaningless for a public receiver.
        raise UnsafeURL("URL host must not carry an IPv6 zone id")
    literal = _parse_ip(host)
    if literal is not None:
        return str(literal)  # canonical form: "0:0::1" and "::1" are one host
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise UnsafeURL("URL host is not a valid host name") from exc
    labels = ascii_host.lower().removesuffix(".").split(".")
    if len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise UnsafeURL("URL host is not a valid host name")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        raise UnsafeURL("URL host looks like an IP address in a non-standard form")
    return ascii_host.lower()


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ip_address(text)
    except ValueError:
        return None


def is_public_address(ip: IPAddress) -> bool:
    """Whether ``ip`` is a globally routable unicast address.

    Beyond ``ip.is_global``: multicast, reserved and unspecified addresses are refused
    (``is_global`` is true for e.g. ``224.0.0.1`` and ``ff0e::1``). IPv6 forms that carry
    an IPv4 address are judged by that IPv4 address, because that is where the packets
    end up:

    - IPv4-mapped ``::ffff:a.b.c.d``: the socket layer talks IPv4 to ``a.b.c.d``.
    - NAT64 well-known prefix ``64:ff9b::/96`` (RFC 6052): a NAT64 gateway forwards to
      the IPv4 address in the last 32 bits.
    - NAT64 local-use ``64:ff9b:1::/48`` (RFC 8215): the operator picks where the IPv4
      address sits (RFC 6052 prefix lengths /48, /56, /64 or /96); every placement the
      address is consistent with must give a public IPv4 address.
    - 6to4 ``2002::/16`` (RFC 3056): a relay forwards to the IPv4 address in bits 16..48.

    Teredo ``2001::/32`` (RFC 4380) is refused outright: the server it tunnels through
    and the obfuscated client address make the real destination hard to judge.
    """
    if isinstance(ip, IPv6Address):
        if ip.scope_id is not None or ip in _TEREDO:
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return all(_is_plainly_public(v4) for v4 in embedded)
    return _is_plainly_public(ip)


def _is_plainly_public(ip: IPAddress) -> bool:
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return False
    return not (isinstance(ip, IPv4Address) and any(ip in net for net in _ALSO_REFUSED_V4))


def _embedded_ipv4(ip: IPv6Address) -> tuple[IPv4Address, ...] | None:
    """The IPv4 address(es) an IPv6 address stands for, or None for a native address."""
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip in _NAT64_WELL_KNOWN:
        return (IPv4Address(int(ip) & 0xFFFF_FFFF),)
    if ip in _NAT64_LOCAL_USE:
        return tuple(IPv4Address(v4) for v4 in _rfc6052_placements(int(ip)))
    return None


def _bits(value: int, start: int, length: int) -> int:
    """``length`` bits of a 128-bit ``value`` starting at bit ``start`` (0 = most significant)."""
    return (value >> (128 - start - length)) & ((1 << length) - 1)


def _rfc6052_placements(value: int) -> list[int]:
    """IPv4 addresses embedded per RFC 6052 §2.2 for each prefix length that fits a /48.

    The /96 layout always applies. Shorter layouts skip the "u" octet (bits 64..71,
    always zero) and leave the suffix after the IPv4 address zero; an address that
    breaks either rule cannot be in that layout.
    """
    placements = [_bits(value, 96, 32)]
    if _bits(value, 64, 8) != 0:
        return placements
    for prefix_length in (48, 56, 64):
        head = 64 - prefix_length  # IPv4 bits before the u octet
        tail = 32 - head  # IPv4 bits after it
        suffix_start = 72 + tail
        if _bits(value, suffix_start, 128 - suffix_start) == 0:
            placements.append((_bits(value, prefix_length, head) << tail) | _bits(value, 72, tail))
    return placements


async def _system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [
        str(sockaddr[0])
        for family, _, _, _, sockaddr in infos
        if family in (socket.AF_INET, socket.AF_INET6)
    ]


async def resolve_public(
    url: str, *, allow_private: bool, resolver: Resolver | None = None
) -> ResolvedTarget:
    """Check ``url`` and every address its host resolves to (A and AAAA).

    One non-public address refuses the whole URL: a client (or an attacker's DNS
    answer order) could otherwise pick the private one. An IP-literal host is
    checked as is, without DNS. Raises `UnresolvableHost` when resolution fails or
    yields nothing, `UnsafeURL` for any other refusal.
    """
    target = check_url_syntax(url, allow_private=allow_private)
    literal = _parse_ip(target.host)
    if literal is not None:
        addresses: tuple[IPAddress, ...] = (literal,)
    else:
        try:
            answers = await (resolver or _system_resolver)(target.host, target.port)
        except OSError as exc:
            raise UnresolvableHost(f"{target.host} could not be resolved") from exc
        parsed = [_parse_ip(answer) for answer in answers]
        if any(address is None for address in parsed):
            raise UnsafeURL(f"{target.host} resolved to something that is not an IP address")
        # dict.fromkeys: drop duplicates (one per socket type/protocol) but keep DNS order.
        addresses = tuple(dict.fromkeys(address for address in parsed if address is not None))
    if not addresses:
        raise UnresolvableHost(f"{target.host} resolved to no address")
    if not allow_private:
        refused = [address for address in addresses if not is_public_address(address)]
        if refused:
            raise UnsafeURL(f"{target.host} resolves to a non-public address ({refused[0]})")
    return ResolvedTarget(target=target, addresses=addresses)


def pinned_request_url(
    resolved: ResolvedTarget, address: IPAddress | None = None
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """URL, extra headers and httpx ``extensions`` to reach the checked ``address``.

    The URL names the IP address, so no second DNS lookup happens; ``Host`` and, for
    https, the ``sni_hostname`` extension (honoured by httpcore ≥ 0.17 for the TLS SNI
    *and* certificate check) carry the real host name. ``address`` defaults to the first
    checked address; pass another one of ``resolved.addresses`` to fall back.

    httpcore pools connections by scheme, IP and port, not by SNI: a pooled TLS
    connection verified for one host could carry a request for another host on the same
    IP. Send pinned requests from a client without keep-alive
    (``httpx.Limits(max_keepalive_connections=0)``) or one client per endpoint.
    """
    target = resolved.target
    chosen = resolved.addresses[0] if address is None else address
    if chosen not in resolved.addresses:
        raise ValueError(f"{chosen} is not one of the checked addresses")
    url = f"{target.scheme}://{_bracketed(str(chosen))}:{target.port}{target.request_target}"
    host_header = _bracketed(target.host)
    if target.port != DEFAULT_PORTS[target.scheme]:
        host_header += f":{target.port}"
    extensions: dict[str, Any] = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return url, {"Host": host_header}, extensions


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host

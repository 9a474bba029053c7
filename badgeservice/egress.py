"""Outbound HTTP to URLs that tenants choose (HR endpoints), without reaching inside.

A URL an organisation admin types could name the service's own network: loopback, private
ranges, link-local cloud metadata (``169.254.169.254``), in any spelling (``2130706433``,
``0x7f000001``, ``127.1``, ``0``, ``[::ffff:127.0.0.1]``). So:

* :meth:`EgressPolicy.check_url` refuses, when the URL is saved, a host that is a non-public
  address literal in any of those spellings, or a name that is internal by definition
  (``localhost``, ``*.internal``, ``*.local``, ``*.home.arpa``, a name without a dot);
* :meth:`EgressPolicy.resolve` resolves the host *at delivery time* and refuses it when any
  address it resolves to is not public, and :func:`open_connection` connects to exactly the
  vetted address (Host header and TLS server name stay the URL's host). A DNS answer that
  changes between the check and the connection cannot redirect the request.

An operator (configuration, never the tenant API) can allow named hosts or networks with
``BADGESERVICE_OUTBOUND_ALLOW`` — e.g. ``127.0.0.1/32,::1`` for tests and the demo, or
``hr.intranet.example,10.20.0.0/16`` for an HR system inside the company network.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "EgressPolicy",
    "EgressRefused",
    "IPAddress",
    "IPNetwork",
    "is_public",
    "literal_address",
    "open_connection",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_INTERNAL_SUFFIXES = (".localhost", ".internal", ".local", ".home.arpa", ".localdomain")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# getaddrinfo has no timeout of its own: it runs here, and the caller waits only so long.
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="resolve")


class EgressRefused(Exception):
    """The destination is not one the service may send to; the message says why, without
    the addresses a name resolved to."""


def is_public(address: IPAddress) -> bool:
    """A globally routable unicast address. IPv4 addresses embedded in IPv6 (mapped,
    6to4, Teredo, NAT64) are judged by the IPv4 address they lead to."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
    return bool(
        address.is_global
        and not (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
        )
    )


def is_loopback_name(host: str | None) -> bool:
    """``localhost`` or a loopback address written as one (``127.0.0.1``, ``[::1]``): a
    destination on this machine, where plain HTTP may be allowed (an IdP, a redirect URI,
    the demo's own address)."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address if it is one in any spelling a resolver accepts: IPv6, and
    IPv4 dotted, shortened (``127.1``), decimal (``2130706433``), hex or octal; else None."""
    name = host.strip("[]")
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    if ":" in name:
        return None
    try:
        # The C library's inet_aton: the same reading getaddrinfo gives such a "name".
        return ipaddress.IPv4Address(socket.inet_aton(name))
    except OSError:
        return None


def _entries(raw: Any) -> list[str]:
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple) else str(raw).replace(" ", ",").split(",")
    return [str(item).strip() for item in items if str(item).strip()]


@dataclass(frozen=True)
class EgressPolicy:
    """Where outbound requests may go: public addresses, plus the operator's allow-list of
    networks and host names (which may then resolve to anything)."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> EgressPolicy:
        """From ``OUTBOUND_ALLOW`` (comma-separated networks, addresses and host names);
        ValueError naming the entry that is unusable."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in _entries(config.get("OUTBOUND_ALLOW")):
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            name = entry.lower().rstrip(".")
            if not name or "/" in name or not all(part for part in name.split(".")):
                raise ValueError(f"BADGESERVICE_OUTBOUND_ALLOW: {entry!r} is no host or network")
            hosts.add(name)
        return cls(tuple(networks), frozenset(hosts))

    def allows(self, address: IPAddress) -> bool:
        return is_public(address) or any(address in network for network in self.networks)

    def _allowed_name(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def check_url(self, url: str) -> str | None:
        """Why the service would refuse to send to ``url`` whatever its DNS says, or None.
        (Names are only checked for what they are; their addresses at delivery time.)"""
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        if not host or self._allowed_name(host):
            return None
        address = literal_address(host)
        if address is not None:
            if self.allows(address):
                return None
            return f"{host} is not a public address"
        if host == "localhost" or host.endswith(_INTERNAL_SUFFIXES):
            return f"{host} is an internal host name"
        if "." not in host:
            return f"{host} is a single-label (internal) host name"
        return None

    def resolve(self, host: str, port: int, timeout: float) -> list[IPAddress]:
        """The addresses to connect to for ``host``, every one of them allowed; raises
        :class:`EgressRefused` otherwise (or when the name does not resolve in time)."""
        refusal = self.check_url(f"http://{_bracketed(host)}/")
        if refusal is not None:
            raise EgressRefused(f"refused: {refusal}")
        literal = literal_address(host)
        if literal is not None:
            return [literal]
        future = _RESOLVER.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
        try:
            infos = future.result(timeout=max(timeout, 0.001))
        except FutureTimeout:
            raise EgressRefused(f"{host} did not resolve within {timeout:.3g} s") from None
        except OSError:
            raise EgressRefused(f"{host} does not resolve to a usable address") from None
        addresses = _unique(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos)
        if not addresses:
            raise EgressRefused(f"{host} does not resolve to a usable address")
        if not self._allowed_name(host) and not all(self.allows(a) for a in addresses):
            raise EgressRefused(
                f"refused: {host} resolves to an address that is not public (an operator "
                "can allow it with BADGESERVICE_OUTBOUND_ALLOW)"
            )
        return addresses


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _unique(addresses: Iterable[IPAddress]) -> list[IPAddress]:
    seen: list[IPAddress] = []
    for address in addresses:
        if address not in seen:
            seen.append(address)
    return seen


def open_connection(
    url: str, addresses: list[IPAddress], timeout: float
) -> http.client.HTTPConnection:
    """An unconnected ``http.client`` connection for ``url`` that, when it connects, goes to
    the first of ``addresses`` that answers (never resolving the name again), with the URL's
    host in the Host header and as the TLS server name (certificates are checked for it)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    connection: http.client.HTTPConnection
    if https:
        connection = http.client.HTTPSConnection(host, port, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def pinned(
        _address: tuple[str, int], timeout: float | None = None, source: Any = None
    ) -> socket.socket:
        last: OSError | None = None
        for address in addresses:
            try:
                return socket.create_connection((str(address), port), timeout, source)
            except OSError as exc:
                last = exc
        raise last or OSError("no address to connect to")

    # http.client opens its socket through this attribute (HTTPS then wraps that socket
    # with the URL's host as server_hostname).
    connection._create_connection = pinned  # type: ignore[attr-defined]
    return connection

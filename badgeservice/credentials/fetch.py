"""Fetch what a credential points at: did:web documents and Bitstring status lists.

The library itself never uses the network; a verifier that wants documents resolved builds
a :class:`Fetcher` and hands it to :func:`~.verify.verify_credential` (as the resolver and
the status source). The fetcher applies the policy — HTTPS only (plain HTTP to a loopback
address only when allowed explicitly, for tests), no credentials in URLs, a few redirects
and only to URLs that pass the same policy, an overall deadline, a size cap, an expected
content type, a JSON object — and leaves the bytes to a :class:`Transport`. The real
transport speaks HTTP with :mod:`http.client`; tests and services can swap in their own.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from .did import ChainResolver, DidKeyResolver, DocumentResolver, VerificationMethod, did_web_to_url
from .errors import ResolutionError

__all__ = [
    "DID_MEDIA_TYPES",
    "STATUS_LIST_MEDIA_TYPES",
    "FetchError",
    "Fetcher",
    "HttpRequest",
    "HttpResponse",
    "HttpTransport",
    "StatusListSource",
    "SuppliedStatusLists",
    "Transport",
]

DID_MEDIA_TYPES = frozenset(
    {"application/did+json", "application/did+ld+json", "application/json", "application/ld+json"}
)
STATUS_LIST_MEDIA_TYPES = frozenset(
    {"application/vc", "application/vc+ld+json", "application/ld+json", "application/json"}
)
_USER_AGENT = "badgeservice-verifier"


class FetchError(ResolutionError):
    """A document could not be fetched, or what came back is not acceptable."""

    code = "fetch-error"


@dataclass(frozen=True)
class HttpRequest:
    """One GET: where, what media types are acceptable, and the bounds on the answer."""

    url: str
    accept: str
    max_bytes: int
    timeout: float


@dataclass(frozen=True)
class HttpResponse:
    """An answer: its status, media type (lower case, no parameters), body and redirect."""

    status: int
    content_type: str
    body: bytes = b""
    location: str | None = None


class Transport(Protocol):
    """Sends one request; never follows redirects (the :class:`Fetcher` decides)."""

    def send(self, request: HttpRequest) -> HttpResponse:
        """Answer the request or raise :class:`FetchError` (no connection, too slow, too big)."""
        ...


class HttpTransport:
    """HTTP/1.1 over :mod:`http.client`, TLS verified with the system's trust store.

    ``request.timeout`` bounds the whole exchange, not each socket read, so a server that
    trickles bytes cannot hold the verifier longer than that.
    """

    def __init__(
        self,
        ssl_context: ssl.SSLContext | None = None,
        *,
        connect: Callable[[str, float], http.client.HTTPConnection] | None = None,
    ) -> None:
        """``connect`` makes the (unconnected) connection for a URL and timeout instead of
        plain ``http.client``: a caller that must vet where requests go (a service
        fetching what its users' input names) supplies one; it raises FetchError to
        refuse."""
        self._ssl = ssl_context or ssl.create_default_context()
        self._connect = connect

    def send(self, request: HttpRequest) -> HttpResponse:
        parts = urlsplit(request.url)
        deadline = time.monotonic() + request.timeout
        connection: http.client.HTTPConnection
        if self._connect is not None:
            connection = self._connect(request.url, request.timeout)
        elif parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                parts.hostname or "", parts.port, timeout=request.timeout, context=self._ssl
            )
        else:
            connection = http.client.HTTPConnection(
                parts.hostname or "", parts.port, timeout=request.timeout
            )
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        expired = threading.Event()
        watchdog: threading.Timer | None = None
        try:
            connection.connect()
            sock = connection.sock
            # The deadline covers the whole exchange: when it passes, the socket is shut and
            # whatever read is waiting (headers or body) fails at once.
            watchdog = threading.Timer(
                max(0.0, deadline - time.monotonic()), _expire, (sock, expired)
            )
            watchdog.daemon = True
            watchdog.start()
            connection.request(
                "GET",
                target,
                headers={
                    "Accept": request.accept,
                    "Accept-Encoding": "identity",
                    "User-Agent": _USER_AGENT,
                },
            )
            response = connection.getresponse()
            kind = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            if 300 <= response.status < 400:
                return HttpResponse(response.status, kind, location=response.getheader("Location"))
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > request.max_bytes:
                big = f"{request.url}: {length} bytes, more than {request.max_bytes} bytes"
                raise FetchError(big)
            body = response.read(request.max_bytes + 1)
            if expired.is_set():
                raise TimeoutError
            if len(body) > request.max_bytes:
                raise FetchError(f"{request.url}: more than {request.max_bytes} bytes")
            return HttpResponse(response.status, kind, body)
        except FetchError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            if expired.is_set() or isinstance(exc, TimeoutError):
                late = f"{request.url}: no complete answer within {request.timeout:g} s"
                raise FetchError(late) from None
            raise FetchError(f"{request.url}: {type(exc).__name__}: {exc}") from None
        finally:
            if watchdog is not None:
                watchdog.cancel()
            connection.close()


def _expire(sock: socket.socket | None, expired: threading.Event) -> None:
    expired.set()
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class StatusListSource(Protocol):
    """Where a verifier gets a status list credential by its URL."""

    def status_list(self, url: str) -> Mapping[str, Any]:
        """The list credential (its proof not yet checked); raises a ``CredentialError``
        (usually :class:`FetchError`) when it cannot be had."""
        ...


class SuppliedStatusLists:
    """Status lists given by the caller (offline verification); others are unavailable."""

    def __init__(self, lists: Mapping[str, Mapping[str, Any]]) -> None:
        self._lists = dict(lists)

    def status_list(self, url: str) -> Mapping[str, Any]:
        found = self._lists.get(url)
        if found is None:
            raise FetchError(f"status list {url} was not supplied, and nothing is fetched")
        return found


class Fetcher:
    """Fetches JSON documents by the policy above; a resolver and a status source at once.

    Each URL is fetched at most once per fetcher (a batch of credentials from one issuer
    costs one DID document and one list). ``documents`` are controller documents the
    caller already has; they are used before anything is fetched.
    """

    def __init__(
        self,
        transport: Transport | None = None,
        *,
        allow_loopback_http: bool = False,
        timeout: float = 10.0,
        max_bytes: int = 4 * 1024 * 1024,
        max_redirects: int = 3,
        documents: tuple[Mapping[str, Any], ...] = (),
        status_lists: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.transport: Transport = transport or HttpTransport()
        self.allow_loopback_http = allow_loopback_http
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self._supplied = DocumentResolver(documents)
        self._supplied_lists = dict(status_lists or {})
        self._cache: dict[str, dict[str, Any] | FetchError] = {}

    # -- policy -----------------------------------------------------------------------

    def check_url(self, url: str) -> None:
        """Raise :class:`FetchError` unless ``url`` may be fetched."""
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            parts.port  # noqa: B018 - raises ValueError for a malformed port
        except ValueError:
            raise FetchError(f"not a usable URL: {url!r}") from None
        if not host:
            raise FetchError(f"URL without a host: {url!r}")
        if parts.username is not None or parts.password is not None:
            raise FetchError(f"URL with credentials refused: {url!r}")
        if parts.scheme == "https":
            return
        if parts.scheme == "http" and _is_loopback(host):
            if self.allow_loopback_http:
                return
            raise FetchError(
                f"refusing plain HTTP to {url}: HTTPS only (loopback HTTP needs an explicit "
                "allow_loopback_http, --allow-loopback-http on the command line)"
            )
        raise FetchError(f"refusing {url!r}: only https:// URLs are fetched")

    def get_json(self, url: str, media_types: frozenset[str]) -> dict[str, Any]:
        """GET ``url`` (following redirects by the same policy) as a JSON object."""
        cached = self._cache.get(url)
        if isinstance(cached, FetchError):
            raise cached
        if cached is not None:
            return cached
        try:
            document = self._get_json(url, media_types)
        except FetchError as exc:
            self._cache[url] = exc
            raise
        self._cache[url] = document
        return document

    def _get_json(self, url: str, media_types: frozenset[str]) -> dict[str, Any]:
        current, _type, body = self.get_typed(url, media_types)
        try:
            document = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise FetchError(f"{current}: the answer is not JSON") from None
        if not isinstance(document, dict):
            raise FetchError(f"{current}: the answer is not a JSON object")
        return document

    def get_typed(self, url: str, media_types: frozenset[str]) -> tuple[str, str, bytes]:
        """GET ``url`` (following redirects by the same policy, never cached): the URL that
        answered, the answer's media type (one of ``media_types``) and its bytes."""
        current = url
        for _hop in range(self.max_redirects + 1):
            self.check_url(current)
            response = self.transport.send(
                HttpRequest(current, ", ".join(sorted(media_types)), self.max_bytes, self.timeout)
            )
            if response.status in (301, 302, 303, 307, 308):
                if not response.location:
                    raise FetchError(f"{current}: redirect without a Location")
                current = urljoin(current, response.location)
                continue
            if response.status != 200:
                raise FetchError(f"GET {current} answered HTTP {response.status}")
            if response.content_type not in media_types:
                raise FetchError(
                    f"{current}: content type {response.content_type or '(none)'!r} is not one "
                    f"of {', '.join(sorted(media_types))}"
                )
            if len(response.body) > self.max_bytes:
                raise FetchError(f"{current}: more than {self.max_bytes} bytes")
            return current, response.content_type, response.body
        raise FetchError(f"{url}: more than {self.max_redirects} redirects")

    # -- as a resolver ----------------------------------------------------------------

    def resolve(self, verification_method: str) -> VerificationMethod:
        """Supplied documents first, then did:key, then did:web over HTTPS."""
        did = verification_method.partition("#")[0]
        if not did.startswith("did:web:"):
            return ChainResolver(self._supplied, DidKeyResolver()).resolve(verification_method)
        try:
            return self._supplied.resolve(verification_method)
        except ResolutionError:
            pass
        document = self.get_json(did_web_to_url(did), DID_MEDIA_TYPES)
        if document.get("id") != did:
            raise ResolutionError(
                f"the DID document fetched for {did} has id {document.get('id')!r}"
            )
        return DocumentResolver([document]).resolve(verification_method)

    # -- as a status source -----------------------------------------------------------

    def status_list(self, url: str) -> Mapping[str, Any]:
        """A supplied list, else the list fetched from ``url``."""
        supplied = self._supplied_lists.get(url)
        if supplied is not None:
            return supplied
        return self.get_json(url, STATUS_LIST_MEDIA_TYPES)

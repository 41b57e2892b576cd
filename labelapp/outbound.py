"""Requests the server makes to addresses a person typed: image URLs, webhook targets.

Such a URL must not reach the server's own network (a cloud metadata service on
169.254.169.254, a database on 10.x, the app itself on 127.0.0.1). Every hop of a redirect
chain is resolved and each of its addresses checked, and the connection goes to the very
address that was checked, so a name that resolves differently a second time cannot slip
through. An administrator allows networks with ``OUTBOUND_ALLOWED_NETWORKS``.
"""

import http.client
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from django.conf import settings

MAX_REDIRECTS = 5
TOTAL_TIME_FACTOR = 4  # a whole download may take four times the per-read timeout
READ_CHUNK = 64 * 1024
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "labelapp"
# Query parameters that carry a credential (pre-signed URLs, API keys): never shown.
SECRET_PARAMETER = re.compile(r"(signature|token|secret|password|key|sig|credential)", re.I)
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(ValueError):
    """The request was refused or failed; ``str(error)`` says why, for a person."""


@dataclass(frozen=True)
class Target:
    """A URL split into what a connection needs, with the address that passed the check."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def check_target(url: str) -> Target:
    """Parse ``url`` and resolve its host; raises OutboundRefused when any address of the
    host is private, loopback, link-local or otherwise not public (and not allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused("Only http:// and https:// addresses with a host name are allowed.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise OutboundRefused("The address has an invalid port.") from None
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    address = resolve_allowed(parts.hostname, port)
    return Target(parts.scheme, parts.hostname, port, path, address)


def resolve_allowed(host: str, port: int) -> str:
    """The first address of ``host``, once every address it resolves to is allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise OutboundRefused(f"The host name {host!r} cannot be resolved.") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        refusal = address_refusal(ipaddress.ip_address(address.split("%", 1)[0]))
        if refusal:
            raise OutboundRefused(
                f"{host} leads to {address}, {refusal}; addresses inside the server's own "
                "network are refused (an administrator can allow a network with "
                "OUTBOUND_ALLOWED_NETWORKS)."
            )
    return addresses[0]


def address_refusal(address: IPAddress) -> str:
    """Why the address must not be reached, or "" when it may be."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    allowed = [ipaddress.ip_network(network) for network in settings.OUTBOUND_ALLOWED_NETWORKS]
    if any(address in network for network in allowed if network.version == address.version):
        return ""
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if not address.is_global or address.is_multicast:
        return "not a public address"
    return ""


def fetch(url: str, max_bytes: int, timeout: float = 30.0) -> bytes:
    """GET ``url``, following at most MAX_REDIRECTS redirects, each hop checked.

    Raises OutboundRefused for a refused address, an answer other than 200, a body over
    ``max_bytes`` (the download stops there), a server that cannot be reached, or one that
    sends so slowly that the whole download takes over ``TOTAL_TIME_FACTOR * timeout``.
    """
    deadline = time.monotonic() + TOTAL_TIME_FACTOR * timeout
    for _ in range(MAX_REDIRECTS + 1):
        target = check_target(url)
        connection = _connect(target, timeout)
        try:
            response = _send(connection, target, "GET", None, {})
            if response.status in REDIRECTS and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location", ""))
                continue
            if response.status != 200:
                raise OutboundRefused(f"The server answered {response.status} {response.reason}.")
            return _read_capped(response, max_bytes, deadline)
        except (OSError, http.client.HTTPException) as error:
            raise OutboundRefused(_unreachable(target, error)) from None
        finally:
            connection.close()
    raise OutboundRefused(f"More than {MAX_REDIRECTS} redirects; stopped.")


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = 10.0) -> int:
    """POST ``body`` to ``url`` (redirects are not followed) and return the status code."""
    target = check_target(url)
    connection = _connect(target, timeout)
    try:
        response = _send(connection, target, "POST", body, headers)
        response.read(READ_CHUNK)
        return response.status
    except (OSError, http.client.HTTPException) as error:
        raise OutboundRefused(_unreachable(target, error)) from None
    finally:
        connection.close()


def display_url(url: str) -> str:
    """The URL as it may be shown and stored in reports: no password, no signatures."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = "&".join(
        f"{name}=…" if SECRET_PARAMETER.search(name) else f"{name}={value}" if value else name
        for name, _, value in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _connect(target: Target, timeout: float) -> http.client.HTTPConnection:
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        context = ssl.create_default_context()
        connection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=context
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    pinned = target.address

    def connect_to_checked_address(
        address: tuple[str, int], timeout: float | None, source: tuple[str, int] | None = None
    ) -> socket.socket:
        return socket.create_connection((pinned, address[1]), timeout, source)

    # The host name stays for the Host header and TLS (SNI, certificate); the socket goes
    # to the address that was checked.
    connection._create_connection = connect_to_checked_address  # type: ignore[attr-defined]
    return connection


def _send(
    connection: http.client.HTTPConnection,
    target: Target,
    method: str,
    body: bytes | None,
    headers: dict[str, str],
) -> http.client.HTTPResponse:
    connection.request(
        method, target.path, body=body, headers={"User-Agent": USER_AGENT, **headers}
    )
    return connection.getresponse()


def _read_capped(response: http.client.HTTPResponse, max_bytes: int, deadline: float) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise OutboundRefused(_too_large(int(declared), max_bytes))
    chunks: list[bytes] = []
    received = 0
    while chunk := response.read(READ_CHUNK):
        received += len(chunk)
        if received > max_bytes:
            raise OutboundRefused(
                f"The file is larger than the {max_bytes / 1024**2:.1f} MB limit; "
                "the download was stopped."
            )
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise OutboundRefused("The server sends too slowly; the download was stopped.")
    return b"".join(chunks)


def _too_large(size: int, max_bytes: int) -> str:
    return (
        f"The file is {size / 1024**2:.1f} MB; the limit for one image is "
        f"{max_bytes / 1024**2:.1f} MB."
    )


def _unreachable(target: Target, error: BaseException) -> str:
    reason = type(error).__name__ if isinstance(error, TimeoutError) else str(error) or "no answer"
    return f"The server {target.host}:{target.port} cannot be reached ({reason})."

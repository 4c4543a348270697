"""The client's exception tree, with aiohttp's names and bases.

Every error the client raises is a :class:`ClientError` (or the built-in
``TimeoutError``, which the timeout errors also are); low-level errors from
anyio, ssl or the parser are translated once, where the client meets them.
"""

from __future__ import annotations

import ssl
import warnings
from typing import TYPE_CHECKING, Any, NamedTuple

from multidict import CIMultiDictProxy
from yarl import URL

if TYPE_CHECKING:
    from .response import ClientResponse

__all__ = (
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientConnectorCertificateError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientConnectorSSLError",
    "ClientError",
    "ClientHttpProxyError",
    "ClientOSError",
    "ClientPayloadError",
    "ClientProxyConnectionError",
    "ClientResponseError",
    "ClientSSLError",
    "ConnectionKey",
    "ConnectionTimeoutError",
    "ContentTypeError",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
    "RedirectClientError",
    "RequestInfo",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "SocketTimeoutError",
    "TooManyRedirects",
    "UnixClientConnectorError",
    "WSServerHandshakeError",
)


class RequestInfo(NamedTuple):
    """What was requested: kept on responses and response errors."""

    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL


class ConnectionKey(NamedTuple):
    """What makes two requests able to share a pooled connection."""

    host: str
    port: int | None
    is_ssl: bool
    ssl: Any
    proxy: URL | None
    proxy_auth: Any
    proxy_headers_hash: int | None
    #: The name TLS sends (SNI) and checks the certificate against, when it is
    #: not ``host`` (a request's ``server_hostname=``).
    server_hostname: str | None = None


class ClientError(Exception):
    """Base of every client error."""


class ClientResponseError(ClientError):
    """An error about a response that did arrive (status, redirects, content type)."""

    def __init__(
        self,
        request_info: RequestInfo,
        history: tuple[ClientResponse, ...],
        *,
        code: int | None = None,
        status: int | None = None,
        message: str = "",
        headers: Any = None,
    ) -> None:
        self.request_info = request_info
        if code is not None:
            if status is not None:
                raise ValueError("Both code and status arguments are provided; use status")
            warnings.warn(
                "code argument is deprecated, use status instead", DeprecationWarning, stacklevel=2
            )
            status = code
        self.status = status if status is not None else 0
        self.message = message
        self.headers = headers
        self.history = history
        self.args = (request_info, history)

    def __str__(self) -> str:
        return f"{self.status}, message={self.message!r}, url={str(self.request_info.real_url)!r}"

    def __repr__(self) -> str:
        args = f"{self.request_info!r}, {self.history!r}"
        if self.status:
            args += f", status={self.status!r}"
        if self.message:
            args += f", message={self.message!r}"
        if self.headers is not None:
            args += f", headers={self.headers!r}"
        return f"{type(self).__name__}({args})"


class ContentTypeError(ClientResponseError):
    """``response.json()`` found a body that does not say it is JSON."""


class WSServerHandshakeError(ClientResponseError):
    """The server refused or botched the WebSocket handshake."""


class ClientHttpProxyError(ClientResponseError):
    """The proxy answered CONNECT with an error status."""


class TooManyRedirects(ClientResponseError):
    """More redirects than ``max_redirects``."""


class ClientConnectionError(ClientError):
    """Base of errors about the connection itself."""


class ClientConnectionResetError(ClientConnectionError, ConnectionResetError):
    """The connection was reset while writing."""


class ClientOSError(ClientConnectionError, OSError):
    """An OS-level error on the connection."""


class ClientConnectorError(ClientOSError):
    """A connection could not be established (also an OSError)."""

    def __init__(self, connection_key: ConnectionKey, os_error: OSError) -> None:
        self._conn_key = connection_key
        self._os_error = os_error
        super().__init__(os_error.errno, os_error.strerror)
        self.args = (connection_key, os_error)

    @property
    def os_error(self) -> OSError:
        """The underlying OSError."""
        return self._os_error

    @property
    def host(self) -> str:
        """The host we tried."""
        return self._conn_key.host

    @property
    def port(self) -> int | None:
        """The port we tried."""
        return self._conn_key.port

    @property
    def ssl(self) -> Any:
        """The ssl setting of the attempt."""
        return self._conn_key.ssl

    def __str__(self) -> str:
        ssl_text = "default" if self.ssl is True else self.ssl
        reason = self.strerror or self._os_error
        return f"Cannot connect to host {self.host}:{self.port} ssl:{ssl_text} [{reason}]"

    __reduce__ = BaseException.__reduce__


class ClientConnectorDNSError(ClientConnectorError):
    """The host name could not be resolved."""


class ClientProxyConnectionError(ClientConnectorError):
    """The proxy could not be reached."""


class UnixClientConnectorError(ClientConnectorError):
    """The Unix socket could not be reached."""

    def __init__(self, path: str, connection_key: ConnectionKey, os_error: OSError) -> None:
        self._path = path
        super().__init__(connection_key, os_error)

    @property
    def path(self) -> str:
        """The socket path."""
        return self._path

    def __str__(self) -> str:
        ssl_text = "default" if self.ssl is True else self.ssl
        return f"Cannot connect to unix socket {self.path} ssl:{ssl_text} [{self.strerror}]"


class ServerConnectionError(ClientConnectionError):
    """Base of errors caused by the server's side of the connection."""


class ServerDisconnectedError(ServerConnectionError):
    """The server closed the connection before a complete response."""

    def __init__(self, message: str | None = None) -> None:
        if message is None:
            message = "Server disconnected"
        self.args = (message,)
        self.message = message


class ServerTimeoutError(ServerConnectionError, TimeoutError):
    """A client timeout passed (also the built-in TimeoutError)."""


class ConnectionTimeoutError(ServerTimeoutError):
    """Connecting (``connect`` / ``sock_connect``) took too long."""


class SocketTimeoutError(ServerTimeoutError):
    """Waiting for data from the server (``sock_read``) took too long."""


class ServerFingerprintMismatch(ServerConnectionError):
    """The server certificate's fingerprint is not the expected one."""

    def __init__(self, expected: bytes, got: bytes, host: str, port: int) -> None:
        self.expected = expected
        self.got = got
        self.host = host
        self.port = port
        self.args = (expected, got, host, port)


class ClientPayloadError(ClientError):
    """The response body is broken (truncated, badly chunked, undecodable)."""


class InvalidURL(ClientError, ValueError):
    """The URL cannot be requested."""

    def __init__(self, url: Any, description: str | None = None) -> None:
        self._url = url
        self._description = description
        if description:
            super().__init__(url, description)
        else:
            super().__init__(url)

    @property
    def url(self) -> Any:
        """The URL."""
        return self._url

    @property
    def description(self) -> str | None:
        """Why it is invalid."""
        return self._description

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"

    def __str__(self) -> str:
        if self._description:
            return f"{self._url} - {self._description}"
        return str(self._url)


class InvalidUrlClientError(InvalidURL):
    """The URL of a request is invalid."""


class RedirectClientError(ClientError):
    """A redirect cannot be followed."""


class NonHttpUrlClientError(ClientError):
    """The URL's scheme is not http(s) (or ws(s) for WebSockets)."""


class InvalidUrlRedirectClientError(InvalidUrlClientError, RedirectClientError):
    """A redirect's Location is not a valid URL."""


class NonHttpUrlRedirectClientError(NonHttpUrlClientError, RedirectClientError):
    """A redirect points to a non-HTTP URL."""


class ClientSSLError(ClientConnectorError):
    """Base of TLS errors while connecting."""


class ClientConnectorSSLError(ClientSSLError, ssl.SSLError):
    """The TLS handshake failed."""


class ClientConnectorCertificateError(ClientSSLError, ssl.CertificateError):
    """The server's certificate did not verify."""

    def __init__(self, connection_key: ConnectionKey, certificate_error: Exception) -> None:
        os_error = certificate_error if isinstance(certificate_error, OSError) else OSError()
        super().__init__(connection_key, os_error)
        self._certificate_error = certificate_error
        self.args = (connection_key, certificate_error)

    @property
    def certificate_error(self) -> Exception:
        """The ssl error."""
        return self._certificate_error

    def __str__(self) -> str:
        error = self._certificate_error
        return (
            f"Cannot connect to host {self.host}:{self.port} ssl:{self._conn_key.is_ssl} "
            f"[{type(error).__name__}: {error.args}]"
        )

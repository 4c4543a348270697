"""The HTTP client: ClientSession over a connection pool that lives in a task group."""

from ..helpers import BasicAuth
from ..http.payload import FormData
from ..resolver import DefaultResolver, ThreadedResolver
from .connector import BaseConnector, Connection, Fingerprint, TCPConnector, UnixConnector
from .cookies import CookieJar, DummyCookieJar
from .digest_auth import DigestAuthMiddleware
from .exceptions import *  # noqa: F403 - the exception tree is the module's public list
from .exceptions import __all__ as _exception_names
from .middlewares import ClientHandlerType, ClientMiddlewareType
from .request import ClientRequest, ClientTimeout
from .response import ClientResponse
from .session import ClientSession
from .tracing import *  # noqa: F403
from .tracing import __all__ as _tracing_names

__all__ = [
    "BaseConnector",
    "BasicAuth",
    "ClientHandlerType",
    "ClientMiddlewareType",
    "ClientRequest",
    "ClientResponse",
    "ClientSession",
    "ClientTimeout",
    "Connection",
    "CookieJar",
    "DefaultResolver",
    "DigestAuthMiddleware",
    "DummyCookieJar",
    "Fingerprint",
    "FormData",
    "TCPConnector",
    "ThreadedResolver",
    "UnixConnector",
    *_exception_names,
    *_tracing_names,
]

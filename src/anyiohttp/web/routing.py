"""URL routing: resources, routes, the dispatcher, route tables and class views.

Matching is sans-I/O: :meth:`UrlDispatcher.resolve` takes a method and a
path and returns a match. Resources are indexed by their fixed prefix (the
whole path for plain resources, the segments before the first ``{variable}``
for dynamic ones); a lookup walks the request path's prefixes from the
longest to ``""`` and tries only the resources in those buckets, so a router
with thousands of routes costs a few dict lookups, not a scan of regexes.
Within a bucket, resources are tried in the order they were added.
"""

from __future__ import annotations

import abc
import functools
import inspect
import keyword
import os
import re
import warnings
from collections.abc import (
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
    Sized,
)
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeAlias, overload

from yarl import URL

from .. import hdrs
from ..http._abnf import TOKEN_STR
from .exceptions import HTTPExpectationFailed, HTTPMethodNotAllowed, HTTPNotFound
from .response import StreamResponse

if TYPE_CHECKING:
    from .app import Application
    from .request import Request

__all__ = (
    "AbstractResource",
    "AbstractRoute",
    "AbstractRouteDef",
    "AbstractView",
    "Domain",
    "DynamicResource",
    "MaskDomain",
    "MatchedSubAppResource",
    "PlainResource",
    "PrefixedSubAppResource",
    "Resource",
    "ResourceRoute",
    "RouteDef",
    "RouteTableDef",
    "StaticDef",
    "UrlDispatcher",
    "UrlMappingMatchInfo",
    "View",
    "delete",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "static",
    "view",
)

Handler: TypeAlias = Callable[["Request"], Awaitable[StreamResponse]]
ExpectHandler: TypeAlias = Callable[["Request"], Awaitable[StreamResponse | None]]

_VAR_NAME: Final = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_ROUTE_NAME_PART: Final = re.compile(r"[-.:]")
_PLAIN_SEGMENT: Final = r"[^{}/]+"


async def _default_expect_handler(request: Request) -> None:
    """Accept ``Expect: 100-continue``; refuse any other expectation with 417.

    The ``100 Continue`` itself goes out when the handler first reads the
    body (RFC 9110 10.1.1 lets a server skip it when it answers without
    reading), so a handler that refuses the request never invites the body.
    """
    expect = request.headers.get(hdrs.EXPECT, "")
    if request.version >= (1, 1) and expect.lower() != "100-continue":
        raise HTTPExpectationFailed(text=f"Unknown Expect: {expect}")


# -- routes ------------------------------------------------------------------------


class AbstractRoute(abc.ABC):
    """A method plus a handler, attached to a resource."""

    def __init__(
        self,
        method: str,
        handler: Handler | type[AbstractView],
        *,
        expect_handler: ExpectHandler | None = None,
        resource: AbstractResource | None = None,
    ) -> None:
        if expect_handler is None:
            expect_handler = _default_expect_handler
        if not inspect.iscoroutinefunction(expect_handler):
            raise TypeError(f"expect_handler must be an async function, got {expect_handler!r}")
        method = method.upper()
        if method != hdrs.METH_ANY and TOKEN_STR.fullmatch(method) is None:
            raise ValueError(f"{method} is not allowed HTTP method")
        if not callable(handler):
            raise TypeError(f"Handler {handler!r} is not callable")
        if isinstance(handler, type) and issubclass(handler, AbstractView):
            pass
        elif not _is_async_callable(handler):
            warnings.warn(
                "Bare functions are deprecated, use async ones", DeprecationWarning, stacklevel=4
            )
            handler = _wrap_sync_handler(handler)
        self._method = method
        self._handler: Any = handler
        self._expect_handler = expect_handler
        self._resource = resource

    @property
    def method(self) -> str:
        """The HTTP method (``"*"`` for any)."""
        return self._method

    @property
    def handler(self) -> Handler:
        """The handler (a View class is called like one)."""
        return self._handler  # type: ignore[no-any-return]

    @property
    @abc.abstractmethod
    def name(self) -> str | None:
        """The route's resource name."""

    @property
    def resource(self) -> AbstractResource | None:
        """The resource the route belongs to."""
        return self._resource

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]:
        """Introspection data of the resource."""

    @abc.abstractmethod
    def url_for(self, *args: str, **kwargs: str) -> URL:
        """Build a URL for this route."""

    async def handle_expect_header(self, request: Request) -> StreamResponse | None:
        """Run the route's expect handler."""
        return await self._expect_handler(request)


class ResourceRoute(AbstractRoute):
    """A route of a :class:`Resource`."""

    def __repr__(self) -> str:
        return f"<ResourceRoute [{self.method}] {self._resource} -> {self.handler!r}"

    @property
    def name(self) -> str | None:
        """The name of the route's resource."""
        return None if self._resource is None else self._resource.name

    def url_for(self, *args: str, **kwargs: str) -> URL:
        """Build a URL through the resource."""
        assert self._resource is not None
        return self._resource.url_for(*args, **kwargs)

    def get_info(self) -> dict[str, Any]:
        """The resource's introspection data."""
        assert self._resource is not None
        return self._resource.get_info()


def _is_async_callable(handler: Any) -> bool:
    while isinstance(handler, functools.partial):
        handler = handler.func
    if inspect.iscoroutinefunction(handler):
        return True
    call = getattr(handler, "__call__", None)  # noqa: B004 - we want the bound method
    return not inspect.isfunction(handler) and inspect.iscoroutinefunction(call)


def _wrap_sync_handler(handler: Callable[[Request], Any]) -> Handler:
    @wraps(handler)
    async def handler_wrapper(request: Request) -> StreamResponse:
        result = handler(request)
        if inspect.isawaitable(result):
            result = await result
        return result  # type: ignore[no-any-return]

    return handler_wrapper


# -- match results -----------------------------------------------------------------


class UrlMappingMatchInfo(dict[str, str]):
    """What matched: the path variables (as a dict), the route and the apps."""

    __slots__ = ("_apps", "_current_app", "_frozen", "_route")

    def __init__(self, match_dict: dict[str, str], route: AbstractRoute) -> None:
        super().__init__(match_dict)
        self._route = route
        self._apps: list[Application] = []
        self._current_app: Application | None = None
        self._frozen = False

    @property
    def handler(self) -> Handler:
        """The matched route's handler."""
        return self._route.handler

    @property
    def route(self) -> AbstractRoute:
        """The matched route."""
        return self._route

    @property
    def expect_handler(self) -> ExpectHandler:
        """The matched route's expect handler."""
        return self._route.handle_expect_header

    @property
    def http_exception(self) -> HTTPNotFound | HTTPMethodNotAllowed | None:
        """The error when nothing matched (404/405), else None."""
        return None

    def get_info(self) -> dict[str, Any]:
        """The matched resource's introspection data."""
        return self._route.get_info()

    @property
    def apps(self) -> tuple[Application, ...]:
        """The applications the match went through, outermost first."""
        return tuple(self._apps)

    def add_app(self, app: Application) -> None:
        """Record an application the match went through (for sub-applications)."""
        if self._frozen:
            raise RuntimeError("Cannot change apps stack after .freeze() call")
        if self._current_app is None:
            self._current_app = app
        self._apps.insert(0, app)

    @property
    def current_app(self) -> Application:
        """The innermost application of the match."""
        app = self._current_app
        assert app is not None
        return app

    @current_app.setter
    def current_app(self, app: Application) -> None:
        if app not in self._apps:
            raise RuntimeError(f"Expected one of the following apps {self._apps!r}, got {app!r}")
        self._current_app = app

    def freeze(self) -> None:
        """Make the app stack read-only."""
        self._frozen = True

    def __repr__(self) -> str:
        return f"<MatchInfo {super().__repr__()}: {self._route}>"


class MatchInfoError(UrlMappingMatchInfo):
    """A match that failed: its handler raises the 404 or 405."""

    __slots__ = ("_exception",)

    def __init__(self, http_exception: HTTPNotFound | HTTPMethodNotAllowed) -> None:
        self._exception = http_exception
        super().__init__({}, _SystemRoute(self._exception))

    @property
    def http_exception(self) -> HTTPNotFound | HTTPMethodNotAllowed:
        """The 404 or 405 to raise."""
        return self._exception

    def __repr__(self) -> str:
        return f"<MatchInfoError {self._exception.status}: {self._exception.reason}>"


class _SystemRoute(AbstractRoute):
    def __init__(self, http_exception: HTTPNotFound | HTTPMethodNotAllowed) -> None:
        super().__init__(hdrs.METH_ANY, self._handle)
        self._http_exception = http_exception

    def url_for(self, *args: str, **kwargs: str) -> URL:
        raise RuntimeError(".url_for() is not allowed for SystemRoute")

    @property
    def name(self) -> str | None:
        return None

    def get_info(self) -> dict[str, Any]:
        return {"http_exception": self._http_exception}

    async def _handle(self, request: Request) -> StreamResponse:
        raise self._http_exception

    def __repr__(self) -> str:
        return f"<SystemRoute {self._http_exception.status}: {self._http_exception.reason}>"


# -- resources ---------------------------------------------------------------------


class AbstractResource(Sized, Iterable[AbstractRoute]):
    """Something a URL path can match: a plain path, a pattern, a prefix."""

    def __init__(self, *, name: str | None = None) -> None:
        self._name = name

    @property
    def name(self) -> str | None:
        """The resource name used by ``router[name]``."""
        return self._name

    @property
    @abc.abstractmethod
    def canonical(self) -> str:
        """The canonical path: the plain path, or the pattern's formatter."""

    @property
    @abc.abstractmethod
    def index_key(self) -> str:
        """The fixed path prefix the router indexes this resource by."""

    @abc.abstractmethod
    def url_for(self, **kwargs: str) -> URL:
        """Build a URL for this resource."""

    @abc.abstractmethod
    def resolve(
        self, method: str, path: str, host: str | None = None
    ) -> tuple[UrlMappingMatchInfo | None, set[str]]:
        """Match ``path`` (and ``host``): (match, allowed methods) or (None, allowed)."""

    @abc.abstractmethod
    def add_prefix(self, prefix: str) -> None:
        """Prepend a path prefix (used when an app is mounted as a sub-app)."""

    @abc.abstractmethod
    def get_info(self) -> dict[str, Any]:
        """Introspection data."""

    @abc.abstractmethod
    def raw_match(self, path: str) -> bool:
        """True if the resource was registered with exactly this path."""

    def freeze(self) -> None:
        """Called when the router freezes."""


class Resource(AbstractResource):
    """A resource with routes by method."""

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._routes: dict[str, ResourceRoute] = {}
        self._any_route: ResourceRoute | None = None
        self._allowed_methods: set[str] = set()

    def add_route(
        self,
        method: str,
        handler: Handler | type[AbstractView],
        *,
        expect_handler: ExpectHandler | None = None,
    ) -> ResourceRoute:
        """Add a route for ``method`` (``"*"`` for any) to this resource."""
        method = method.upper()
        if method in self._routes or (method == hdrs.METH_ANY and self._any_route is not None):
            raise RuntimeError(
                f"Added route will never be executed, method {method} is already registered"
            )
        route = ResourceRoute(method, handler, expect_handler=expect_handler, resource=self)
        if method == hdrs.METH_ANY:
            self._any_route = route
        else:
            self._routes[method] = route
            self._allowed_methods.add(method)
        return route

    def resolve(
        self, method: str, path: str, host: str | None = None
    ) -> tuple[UrlMappingMatchInfo | None, set[str]]:
        """Match the path, then pick the route for the method."""
        match_dict = self._match(path)
        if match_dict is None:
            return None, set()
        route = self._routes.get(method, self._any_route)
        if route is not None:
            return UrlMappingMatchInfo(match_dict, route), self._allowed_methods
        return None, self._allowed_methods

    @abc.abstractmethod
    def _match(self, path: str) -> dict[str, str] | None: ...

    def __len__(self) -> int:
        return len(self._routes) + (self._any_route is not None)

    def __iter__(self) -> Iterator[AbstractRoute]:
        yield from self._routes.values()
        if self._any_route is not None:
            yield self._any_route


class PlainResource(Resource):
    """A resource for one fixed path."""

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        if path and not path.startswith("/"):
            raise ValueError("path should be started with / or be empty")
        self._path = path

    @property
    def canonical(self) -> str:
        """The path."""
        return self._path

    @property
    def index_key(self) -> str:
        """The whole path."""
        return self._path

    def freeze(self) -> None:
        """An empty path means the root."""
        if not self._path:
            self._path = "/"

    def add_prefix(self, prefix: str) -> None:
        """Mount under ``prefix``."""
        _check_prefix(prefix)
        self._path = prefix + self._path

    def _match(self, path: str) -> dict[str, str] | None:
        return {} if self._path == path else None

    def raw_match(self, path: str) -> bool:
        """Exact comparison of registered paths."""
        return self._path == path

    def get_info(self) -> dict[str, Any]:
        """``{"path": path}``."""
        return {"path": self._path}

    def url_for(self, **kwargs: str) -> URL:
        """The path as a URL."""
        if kwargs:
            raise TypeError(f"PlainResource.url_for() takes no path parts, got {sorted(kwargs)}")
        return URL.build(path=self._path)

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<PlainResource {name} {self._path}>"


class DynamicResource(Resource):
    """A resource whose path has ``{name}`` or ``{name:regex}`` parts."""

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        if not path.startswith("/"):
            raise ValueError("path should be started with /")
        self._orig_path = path
        pattern, formatter, fixed_prefix = _compile_dynamic(path)
        self._pattern = pattern
        self._formatter = formatter
        self._index_key = fixed_prefix

    @property
    def canonical(self) -> str:
        """The path with plain ``{name}`` placeholders."""
        return self._formatter

    @property
    def index_key(self) -> str:
        """The whole segments before the first variable."""
        return self._index_key

    def add_prefix(self, prefix: str) -> None:
        """Mount under ``prefix``."""
        _check_prefix(prefix)
        self._pattern = re.compile(re.escape(prefix) + self._pattern.pattern)
        self._formatter = prefix + self._formatter
        self._index_key = prefix + self._index_key

    def _match(self, path: str) -> dict[str, str] | None:
        match = self._pattern.fullmatch(path)
        if match is None:
            return None
        return {key: _unquote_path_safe(value) for key, value in match.groupdict().items()}

    def raw_match(self, path: str) -> bool:
        """Exact comparison of registered paths."""
        return self._orig_path == path

    def get_info(self) -> dict[str, Any]:
        """The formatter and the compiled pattern."""
        return {"formatter": self._formatter, "pattern": self._pattern}

    def url_for(self, **parts: str) -> URL:
        """Fill the placeholders, each value percent-encoded.

        A ``/`` stays a ``/`` where the part's pattern spans segments
        (``{tail:.*}``, as aiohttp), and is encoded where the part is one
        segment (``{name}``), so the URL routes back to the same values.
        """
        try:
            values = {k: str(v) for k, v in parts.items()}
            path = self._formatter.format_map(
                {k: _quote_part(v, keep_slash=True) for k, v in values.items()}
            )
            if any("/" in v for v in values.values()) and self._pattern.fullmatch(path) is None:
                path = self._formatter.format_map({k: _quote_part(v) for k, v in values.items()})
        except KeyError as exc:
            raise KeyError(f"url_for() needs the path part {exc.args[0]!r}") from None
        return URL.build(path=path, encoded=True)

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<DynamicResource {name} {self._formatter}>"


def _check_prefix(prefix: str) -> None:
    if not prefix.startswith("/") or prefix.endswith("/") or len(prefix) < 2:
        raise ValueError(f"Bad prefix {prefix!r}: it must start, and not end, with /")


def _split_dynamic(path: str) -> list[str]:
    """Split a path into literal parts and ``{...}`` parts (one level of nested braces)."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, char in enumerate(path):
        if char == "{":
            if depth == 0:
                if i > start:
                    parts.append(path[start:i])
                start = i
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise ValueError(f"Invalid path '{path}': unbalanced '}}'")
            if depth == 0:
                parts.append(path[start : i + 1])
                start = i + 1
    if depth:
        raise ValueError(f"Invalid path '{path}': unbalanced '{{'")
    if start < len(path):
        parts.append(path[start:])
    return parts


def _compile_dynamic(path: str) -> tuple[re.Pattern[str], str, str]:
    pattern = ""
    formatter = ""
    fixed_prefix: str | None = None
    for part in _split_dynamic(path):
        if part.startswith("{"):
            if fixed_prefix is None:
                fixed_prefix = formatter[: formatter.rfind("/")] if "/" in formatter else ""
            name, sep, regex = part[1:-1].partition(":")
            if not _VAR_NAME.fullmatch(name) or (sep and not regex):
                raise ValueError(f"Invalid path '{path}'['{part}']")
            pattern += f"(?P<{name}>{regex if sep else _PLAIN_SEGMENT})"
            formatter += "{" + name + "}"
            continue
        if "{" in part or "}" in part:
            raise ValueError(f"Invalid path '{path}'['{part}']")
        pattern += re.escape(part)
        formatter += part.replace("{", "{{").replace("}", "}}")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"Bad pattern '{pattern}': {exc}") from None
    return compiled, formatter, fixed_prefix if fixed_prefix is not None else formatter


def _quote_part(value: str, *, keep_slash: bool = False) -> str:
    if not value:
        return value
    quoted = URL.build(path=value).raw_path
    return quoted if keep_slash else quoted.replace("/", "%2F")


def _unquote_path_safe(value: str) -> str:
    # path_safe keeps %2F and %25 encoded so "/" in a segment cannot split it;
    # the variable's value gets them decoded.
    if "%" not in value:
        return value
    return value.replace("%2F", "/").replace("%25", "%")


# -- sub-applications ----------------------------------------------------------------


class PrefixedSubAppResource(AbstractResource):
    """A sub-application mounted under a path prefix (``app.add_subapp``)."""

    def __init__(self, prefix: str, app: Application) -> None:
        super().__init__()
        self._prefix = prefix
        self._app = app
        self._prefix_resources(prefix)

    def _prefix_resources(self, prefix: str) -> None:
        router = self._app.router
        for resource in router.resources():
            resource.add_prefix(prefix)
        router._reindex()

    @property
    def app(self) -> Application:
        """The sub-application."""
        return self._app

    @property
    def canonical(self) -> str:
        """The prefix."""
        return self._prefix

    @property
    def index_key(self) -> str:
        """The prefix."""
        return self._prefix

    def add_prefix(self, prefix: str) -> None:
        """Mount deeper (the sub-application's own routes move too)."""
        _check_prefix(prefix)
        self._prefix = prefix + self._prefix
        self._prefix_resources(prefix)

    def url_for(self, **kwargs: str) -> URL:
        """Not for the mount point: use the sub-application's named routes."""
        raise RuntimeError(".url_for() is not supported by sub-application root")

    def get_info(self) -> dict[str, Any]:
        """The app and the prefix."""
        return {"app": self._app, "prefix": self._prefix}

    def raw_match(self, path: str) -> bool:
        """A mount point never equals a route path."""
        return False

    def _applies(self, path: str, host: str | None) -> bool:
        return path == self._prefix or path.startswith(self._prefix + "/")

    def resolve(
        self, method: str, path: str, host: str | None = None
    ) -> tuple[UrlMappingMatchInfo | None, set[str]]:
        """Under the prefix, the sub-application's router decides (404/405 included)."""
        if not self._applies(path, host):
            return None, set()
        match = self._app.router.resolve_path(method, path, host)
        match.add_app(self._app)
        error = match.http_exception
        methods = error.allowed_methods if isinstance(error, HTTPMethodNotAllowed) else set()
        return match, methods

    def __len__(self) -> int:
        return len(self._app.router.routes())

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._app.router.routes())

    def __repr__(self) -> str:
        return f"<PrefixedSubAppResource {self._prefix} -> {self._app!r}>"


class Domain:
    """A host rule for ``app.add_domain``: an exact host (with an optional port)."""

    _PART: re.Pattern[str] = re.compile(r"(?!-)[a-z\d-]{1,63}(?<!-)")

    def __init__(self, domain: str) -> None:
        self._domain = self._validate(domain)

    def _validate(self, domain: str) -> str:
        if not isinstance(domain, str):
            raise TypeError("Domain must be str")
        domain = domain.rstrip(".").lower()
        if not domain:
            raise ValueError("Domain cannot be empty")
        if "://" in domain:
            raise ValueError("Scheme not supported")
        url = URL("http://" + domain)
        host = url.raw_host or ""
        if not all(self._part_ok(part) for part in host.split(".")):
            raise ValueError("Domain not valid")
        if url.port == 80:
            return host
        return f"{host}:{url.port}"

    def _part_ok(self, part: str) -> bool:
        return self._PART.fullmatch(part) is not None

    @property
    def canonical(self) -> str:
        """The domain."""
        return self._domain

    def match_domain(self, host: str) -> bool:
        """True when the Host header names this domain."""
        host = host.lower()
        return host == self._domain or host.partition(":")[0] == self._domain


class MaskDomain(Domain):
    """A host mask such as ``*.example.com``."""

    _PART: re.Pattern[str] = re.compile(r"(?!-)[a-z\d\*-]{1,63}(?<!-)")

    def __init__(self, domain: str) -> None:
        super().__init__(domain)
        mask = self._domain.replace(".", r"\.").replace("*", ".*")
        self._mask = re.compile(mask, re.IGNORECASE)

    def match_domain(self, host: str) -> bool:
        """True when the Host header (without port) fits the mask."""
        return self._mask.fullmatch(host.partition(":")[0]) is not None


class MatchedSubAppResource(PrefixedSubAppResource):
    """A sub-application chosen by the request's Host (``app.add_domain``)."""

    def __init__(self, rule: Domain, app: Application) -> None:
        self._rule = rule
        super().__init__("", app)

    def _prefix_resources(self, prefix: str) -> None:
        if prefix:
            super()._prefix_resources(prefix)

    @property
    def canonical(self) -> str:
        """The domain rule."""
        return self._rule.canonical

    def get_info(self) -> dict[str, Any]:
        """The app and the rule."""
        return {"app": self._app, "rule": self._rule}

    def _applies(self, path: str, host: str | None) -> bool:
        return host is not None and self._rule.match_domain(host)

    def __repr__(self) -> str:
        return f"<MatchedSubAppResource {self._rule.canonical} -> {self._app!r}>"


# -- views -------------------------------------------------------------------------


class AbstractView(abc.ABC):
    """Base of class-based views: constructed with the request, then awaited."""

    def __init__(self, request: Request) -> None:
        self._request = request

    @property
    def request(self) -> Request:
        """The request being handled."""
        return self._request

    @abc.abstractmethod
    def __await__(self) -> Generator[Any, None, StreamResponse]:
        """Handle the request."""


class View(AbstractView):
    """A class-based view: ``get``, ``post``, ... methods handle their HTTP methods."""

    async def _iter(self) -> StreamResponse:
        method = self.request.method
        handler = getattr(self, method.lower(), None) if method in hdrs.METH_ALL else None
        if handler is None:
            self._raise_allowed_methods()
        response: StreamResponse = await handler()
        return response

    def __await__(self) -> Generator[Any, None, StreamResponse]:
        return self._iter().__await__()

    def _raise_allowed_methods(self) -> NoReturn:
        allowed = {m for m in hdrs.METH_ALL if hasattr(self, m.lower())}
        raise HTTPMethodNotAllowed(self.request.method, allowed)


# -- the dispatcher ------------------------------------------------------------------


class UrlDispatcher(Mapping[str, AbstractResource]):
    """The router: resources added by path, resolved by method and path."""

    NAME_SPLIT_RE: Final = _ROUTE_NAME_PART

    def __init__(self) -> None:
        self._resources: list[AbstractResource] = []
        self._named_resources: dict[str, AbstractResource] = {}
        self._index: dict[str, list[AbstractResource]] = {}
        self._domain_resources: list[AbstractResource] = []
        self._frozen = False

    # -- resolving --------------------------------------------------------------

    def resolve_path(self, method: str, path: str, host: str | None = None) -> UrlMappingMatchInfo:
        """Match a method and a (``path_safe``-decoded) path; errors as MatchInfoError.

        ``host`` (the Host header) is for sub-applications added by domain.
        They are tried first, as aiohttp: a sub-app whose domain matches
        answers for every path of that host (its own 404 and 405 included),
        even where the parent app has a route for the same path.
        """
        allowed: set[str] = set()
        for resource in self._domain_resources:
            match, methods = resource.resolve(method, path, host)
            if match is not None:
                return match
            allowed |= methods
        index = self._index
        key = path
        while True:
            bucket = index.get(key)
            if bucket is not None:
                for resource in bucket:
                    match, methods = resource.resolve(method, path, host)
                    if match is not None:
                        return match
                    allowed |= methods
            if not key:
                break
            key = key[: key.rfind("/")]
        if allowed:
            return MatchInfoError(HTTPMethodNotAllowed(method, allowed))
        return MatchInfoError(HTTPNotFound())

    async def resolve(self, request: Request) -> UrlMappingMatchInfo:
        """Match a request (aiohttp's coroutine API)."""
        return self.resolve_path(
            request.method, request.rel_url.path_safe, request.headers.get(hdrs.HOST)
        )

    # -- registering ------------------------------------------------------------

    def _check_frozen(self) -> None:
        if self._frozen:
            raise RuntimeError(
                "Cannot register a resource into frozen router: "
                "routes are fixed once the application started"
            )

    def register_resource(self, resource: AbstractResource) -> None:
        """Add a resource (and its name, checked to be unique and well formed)."""
        self._check_frozen()
        name = resource.name
        if name is not None:
            for part in self.NAME_SPLIT_RE.split(name):
                if not part.isidentifier() or keyword.iskeyword(part):
                    raise ValueError(
                        f"Incorrect route name {name!r}, the name should be a sequence of "
                        "python identifiers separated by dash, dot or column"
                    )
            if name in self._named_resources:
                raise ValueError(
                    f"Duplicate {name!r}, already handled by {self._named_resources[name]!r}"
                )
            self._named_resources[name] = resource
        self._resources.append(resource)
        self._add_to_index(resource)

    def _add_to_index(self, resource: AbstractResource) -> None:
        if isinstance(resource, MatchedSubAppResource):
            self._domain_resources.append(resource)
        else:
            self._index.setdefault(resource.index_key, []).append(resource)

    def _reindex(self) -> None:
        self._index = {}
        self._domain_resources = []
        for resource in self._resources:
            self._add_to_index(resource)

    def add_resource(self, path: str, *, name: str | None = None) -> Resource:
        """Add (or reuse the last, if it has this path and name) a resource."""
        if path and not path.startswith("/"):
            raise ValueError("path should be started with / or be empty")
        if self._resources:
            last = self._resources[-1]
            if isinstance(last, Resource) and last.name == name and last.raw_match(path):
                return last
        resource: Resource
        if "{" not in path and "}" not in path:
            resource = PlainResource(path, name=name)
        else:
            resource = DynamicResource(path, name=name)
        self.register_resource(resource)
        return resource

    def add_route(
        self,
        method: str,
        path: str,
        handler: Handler | type[AbstractView],
        *,
        name: str | None = None,
        expect_handler: ExpectHandler | None = None,
    ) -> AbstractRoute:
        """Add a handler for ``method`` (``"*"``: any) on ``path``."""
        resource = self.add_resource(path, name=name)
        return resource.add_route(method, handler, expect_handler=expect_handler)

    def add_head(self, path: str, handler: Handler, **kwargs: Any) -> AbstractRoute:
        """Add a HEAD handler."""
        return self.add_route(hdrs.METH_HEAD, path, handler, **kwargs)

    def add_options(self, path: str, handler: Handler, **kwargs: Any) -> AbstractRoute:
        """Add an OPTIONS handler."""
        return self.add_route(hdrs.METH_OPTIONS, path, handler, **kwargs)

    def add_get(
        self,
        path: str,
        handler: Handler,
        *,
        name: str | None = None,
        allow_head: bool = True,
        **kwargs: Any,
    ) -> AbstractRoute:
        """Add a GET handler (which also answers HEAD unless ``allow_head=False``)."""
        resource = self.add_resource(path, name=name)
        if allow_head:
            resource.add_route(hdrs.METH_HEAD, handler, **kwargs)
        return resource.add_route(hdrs.METH_GET, handler, **kwargs)

    def add_post(self, path: str, handler: Handler, **kwargs: Any) -> AbstractRoute:
        """Add a POST handler."""
        return self.add_route(hdrs.METH_POST, path, handler, **kwargs)

    def add_put(self, path: str, handler: Handler, **kwargs: Any) -> AbstractRoute:
        """Add a PUT handler."""
        return self.add_route(hdrs.METH_PUT, path, handler, **kwargs)

    def add_patch(self, path: str, handler: Handler, **kwargs: Any) -> AbstractRoute:
        """Add a PATCH handler."""
        return self.add_route(hdrs.METH_PATCH, path, handler, **kwargs)

    def add_delete(self, path: str, handler: Handler, **kwargs: Any) -> AbstractRoute:
        """Add a DELETE handler."""
        return self.add_route(hdrs.METH_DELETE, path, handler, **kwargs)

    def add_view(
        self, path: str, handler: type[AbstractView] | Handler, **kwargs: Any
    ) -> AbstractRoute:
        """Add a class-based view for every method."""
        return self.add_route(hdrs.METH_ANY, path, handler, **kwargs)

    def add_static(
        self, prefix: str, path: str | os.PathLike[str], **kwargs: Any
    ) -> AbstractResource:
        """Serve the files under ``path`` at ``prefix`` (see web.staticfiles.StaticResource).

        ``"/"`` serves them at the root; as aiohttp, a route whose fixed path
        is longer is tried first (``/api`` beside the files). Options: ``name``,
        ``expect_handler``, ``chunk_size``, ``show_index``,
        ``follow_symlinks``, ``append_version``.
        """
        from .staticfiles import StaticResource

        if not prefix.startswith("/"):
            raise ValueError(f"Bad prefix {prefix!r}: it must start with /")
        prefix = prefix.rstrip("/")
        resource = StaticResource(prefix, path, **kwargs)
        self.register_resource(resource)
        return resource

    def add_routes(self, routes: Iterable[AbstractRouteDef]) -> list[AbstractRoute]:
        """Register route definitions (from a RouteTableDef or ``web.get`` & co)."""
        registered: list[AbstractRoute] = []
        for route_def in routes:
            registered.extend(route_def.register(self))
        return registered

    def freeze(self) -> None:
        """Forbid further changes (done when the application starts)."""
        self._frozen = True
        for resource in self._resources:
            resource.freeze()
        self._reindex()

    @property
    def frozen(self) -> bool:
        """True once the router is frozen."""
        return self._frozen

    # -- introspection ----------------------------------------------------------

    def resources(self) -> Sequence[AbstractResource]:
        """All resources, in the order they were added."""
        return tuple(self._resources)

    def routes(self) -> Sequence[AbstractRoute]:
        """All routes of all resources."""
        return tuple(route for resource in self._resources for route in resource)

    def named_resources(self) -> Mapping[str, AbstractResource]:
        """Resources by name."""
        return dict(self._named_resources)

    def __getitem__(self, name: str) -> AbstractResource:
        return self._named_resources[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._named_resources)

    def __len__(self) -> int:
        return len(self._named_resources)

    def __contains__(self, name: object) -> bool:
        return name in self._named_resources

    def __repr__(self) -> str:
        return f"<UrlDispatcher {len(self._resources)} resources>"


# -- route definitions ---------------------------------------------------------------


class AbstractRouteDef(abc.ABC):
    """Something that registers routes on a router."""

    @abc.abstractmethod
    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        """Add the routes to ``router``."""


@dataclass(frozen=True, repr=False)
class RouteDef(AbstractRouteDef):
    """A route waiting to be registered: method, path, handler and options."""

    method: str
    path: str
    handler: Handler | type[AbstractView]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        info = "".join(f", {name}={value!r}" for name, value in sorted(self.kwargs.items()))
        return f"<RouteDef {self.method} {self.path} -> {self.handler.__name__!r}{info}>"

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        """Add this route to ``router``."""
        if self.method in hdrs.METH_ALL:
            reg = getattr(router, "add_" + self.method.lower())
            return [reg(self.path, self.handler, **self.kwargs)]
        return [router.add_route(self.method, self.path, self.handler, **self.kwargs)]


@dataclass(frozen=True, repr=False)
class StaticDef(AbstractRouteDef):
    """A static directory waiting to be registered (``web.static(prefix, path)``)."""

    prefix: str
    path: str | os.PathLike[str]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<StaticDef {self.prefix} -> {self.path}>"

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        """Add the static resource to ``router``."""
        resource = router.add_static(self.prefix, self.path, **self.kwargs)
        return list(resource)


def static(prefix: str, path: str | os.PathLike[str], **kwargs: Any) -> StaticDef:
    """A static directory definition for ``app.add_routes([...])``."""
    return StaticDef(prefix, path, kwargs)


def route(method: str, path: str, handler: Handler | type[AbstractView], **kwargs: Any) -> RouteDef:
    """A route definition for ``app.add_routes([...])``."""
    return RouteDef(method, path, handler, kwargs)


def head(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    """A HEAD route definition."""
    return route(hdrs.METH_HEAD, path, handler, **kwargs)


def options(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    """An OPTIONS route definition."""
    return route(hdrs.METH_OPTIONS, path, handler, **kwargs)


def get(
    path: str,
    handler: Handler,
    *,
    name: str | None = None,
    allow_head: bool = True,
    **kwargs: Any,
) -> RouteDef:
    """A GET route definition (also answering HEAD)."""
    return route(hdrs.METH_GET, path, handler, name=name, allow_head=allow_head, **kwargs)


def post(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    """A POST route definition."""
    return route(hdrs.METH_POST, path, handler, **kwargs)


def put(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    """A PUT route definition."""
    return route(hdrs.METH_PUT, path, handler, **kwargs)


def patch(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    """A PATCH route definition."""
    return route(hdrs.METH_PATCH, path, handler, **kwargs)


def delete(path: str, handler: Handler, **kwargs: Any) -> RouteDef:
    """A DELETE route definition."""
    return route(hdrs.METH_DELETE, path, handler, **kwargs)


def view(path: str, handler: type[AbstractView], **kwargs: Any) -> RouteDef:
    """A class-based view definition."""
    return route(hdrs.METH_ANY, path, handler, **kwargs)


_HandlerT = Callable[..., Any]


class RouteTableDef(Sequence[AbstractRouteDef]):
    """Collect routes with decorators: ``@routes.get("/")``, then ``app.add_routes(routes)``."""

    def __init__(self) -> None:
        self._items: list[AbstractRouteDef] = []

    def __repr__(self) -> str:
        return f"<RouteTableDef count={len(self._items)}>"

    @overload
    def __getitem__(self, index: int) -> AbstractRouteDef: ...
    @overload
    def __getitem__(self, index: slice) -> list[AbstractRouteDef]: ...
    def __getitem__(self, index: int | slice) -> AbstractRouteDef | list[AbstractRouteDef]:
        return self._items[index]

    def __iter__(self) -> Iterator[AbstractRouteDef]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def route(self, method: str, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """Decorator registering a handler for ``method`` on ``path``."""

        def inner(handler: _HandlerT) -> _HandlerT:
            self._items.append(RouteDef(method, path, handler, kwargs))
            return handler

        return inner

    def head(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """``@routes.head(path)``."""
        return self.route(hdrs.METH_HEAD, path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """``@routes.get(path)`` (also answers HEAD)."""
        return self.route(hdrs.METH_GET, path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """``@routes.post(path)``."""
        return self.route(hdrs.METH_POST, path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """``@routes.put(path)``."""
        return self.route(hdrs.METH_PUT, path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """``@routes.patch(path)``."""
        return self.route(hdrs.METH_PATCH, path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """``@routes.delete(path)``."""
        return self.route(hdrs.METH_DELETE, path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """``@routes.options(path)``."""
        return self.route(hdrs.METH_OPTIONS, path, **kwargs)

    def view(self, path: str, **kwargs: Any) -> Callable[[_HandlerT], _HandlerT]:
        """``@routes.view(path)`` on a View class."""
        return self.route(hdrs.METH_ANY, path, **kwargs)

    def static(self, prefix: str, path: str | os.PathLike[str], **kwargs: Any) -> None:
        """Add a static directory to the table."""
        self._items.append(StaticDef(prefix, path, kwargs))

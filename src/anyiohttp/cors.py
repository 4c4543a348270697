"""Cross-origin resource sharing for anyiohttp.web, with aiohttp_cors's API.

A port changes the import only::

    import anyiohttp.cors as aiohttp_cors

    cors = aiohttp_cors.setup(app, defaults={
        "https://app.example.com": aiohttp_cors.ResourceOptions(
            allow_credentials=True, expose_headers="*", allow_headers="*"),
    })
    cors.add(app.router.add_get("/api/items", items))

CORS is enabled per resource (``cors.add(route_or_resource, config)``); the
resource gets an ``OPTIONS`` route that answers preflight requests as the
Fetch standard describes them, and its other responses get the
``Access-Control-*`` headers for the allowed origins.

Configurations the standard forbids are refused when they are made, with a
``ValueError``: credentials for any origin (``"*"`` with
``allow_credentials=True``: name the origins instead), an origin that is not
one (``"https://example.com/"`` with its path never matches), header names
and methods that are not tokens. docs/cors.rst lists what else differs from
aiohttp_cors (``Vary: Origin`` is sent, headers the handler set are kept).
"""

from __future__ import annotations

import collections
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, TypeAlias, TypeVar

from . import hdrs, web

__all__ = (
    "APP_CONFIG_KEY",
    "CorsConfig",
    "CorsViewMixin",
    "ResourceOptions",
    "custom_cors",
    "setup",
)

# RFC 9110 5.6.2: a token (header names and methods are tokens).
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# A serialized origin (RFC 6454 6.2): scheme "://" host [":" port], nothing after.
_ORIGIN: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s@]+")
_ANY: Final = "*"
_TRUE: Final = "true"
# The CORS-safelisted response header names, always readable (Fetch 2.2.6);
# Set-Cookie can never be exposed (Fetch: forbidden response header names).
_NOT_EXPOSED: Final = frozenset(
    h.lower()
    for h in (
        hdrs.CACHE_CONTROL,
        hdrs.CONTENT_LANGUAGE,
        hdrs.CONTENT_LENGTH,
        hdrs.CONTENT_TYPE,
        hdrs.EXPIRES,
        hdrs.LAST_MODIFIED,
        hdrs.PRAGMA,
        hdrs.SET_COOKIE,
        "Set-Cookie2",
        hdrs.ACCESS_CONTROL_ALLOW_ORIGIN,
        hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS,
        hdrs.ACCESS_CONTROL_EXPOSE_HEADERS,
    )
)

_Names: TypeAlias = frozenset[str] | Literal["*"]


def _names(value: Any, what: str, *, upper: bool) -> _Names:
    if value == _ANY:
        return _ANY
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"'{what}' must be either '*', or sequence of strings, got {value!r}")
    names = []
    for name in value:
        if not isinstance(name, str) or _TOKEN.fullmatch(name) is None:
            raise ValueError(f"'{what}': {name!r} is not a valid name (an HTTP token)")
        names.append(name.upper() if upper else name)
    return frozenset(names)


class _Options(NamedTuple):
    allow_credentials: bool
    expose_headers: _Names
    allow_headers: _Names
    max_age: int | None
    allow_methods: _Names | None


class ResourceOptions(_Options):
    """What one origin may do with a resource (aiohttp_cors's options, checked).

    - ``allow_credentials``: send cookies and HTTP auth (never for ``"*"``).
    - ``expose_headers``: response headers the page may read; ``"*"`` exposes
      those the response has.
    - ``allow_headers``: request headers the page may send; ``"*"`` any.
    - ``max_age``: seconds a browser may cache the preflight's answer.
    - ``allow_methods``: methods allowed for every route of the resource
      (``"*"`` all); routes added with ``cors.add(route)`` are allowed anyway.
    """

    __slots__ = ()

    def __new__(
        cls,
        *,
        allow_credentials: bool = False,
        expose_headers: Iterable[str] | Literal["*"] = (),
        allow_headers: Iterable[str] | Literal["*"] = (),
        max_age: int | None = None,
        allow_methods: Iterable[str] | Literal["*"] | None = None,
    ) -> ResourceOptions:
        """Check and normalise the options (header names and methods kept upper-case)."""
        if not isinstance(allow_credentials, bool):
            raise ValueError(f"'allow_credentials' must be boolean, got {allow_credentials!r}")
        if max_age is not None and (
            not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0
        ):
            raise ValueError(f"'max_age' must be non-negative integer, got {max_age!r}")
        return super().__new__(
            cls,
            allow_credentials,
            _names(expose_headers, "expose_headers", upper=False),
            _names(allow_headers, "allow_headers", upper=True),
            max_age,
            None if allow_methods is None else _names(allow_methods, "allow_methods", upper=True),
        )

    def is_method_allowed(self, method: str) -> bool:
        """Whether ``allow_methods`` lets ``method`` through."""
        if self.allow_methods is None:
            return False
        return self.allow_methods == _ANY or method.upper() in self.allow_methods


_ConfigType: TypeAlias = Mapping[str, ResourceOptions | Mapping[str, Any]]
_Config: TypeAlias = Mapping[str, ResourceOptions]
_OPTION_NAMES: Final = frozenset(
    {"allow_credentials", "expose_headers", "allow_headers", "max_age", "allow_methods"}
)


def _parse_config(config: _ConfigType | None) -> dict[str, ResourceOptions]:
    """Check a ``{origin: options}`` mapping; ValueError for what the standard forbids."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise ValueError(f"Config must be mapping, got {config!r}")
    parsed: dict[str, ResourceOptions] = {}
    for origin, options in config.items():
        if not isinstance(origin, str):
            raise ValueError(f"Origin must be string, got {origin!r}")
        if origin not in (_ANY, "null") and _ORIGIN.fullmatch(origin) is None:
            raise ValueError(
                f"{origin!r} is not an origin: an origin is scheme://host[:port] as the "
                "browser sends it in the Origin header (no path, no trailing slash), or '*'"
            )
        if isinstance(options, ResourceOptions):
            resource_options = options
        elif isinstance(options, Mapping):
            unexpected = set(options) - _OPTION_NAMES
            if unexpected:
                raise ValueError(
                    f"Unexpected keywords in resource options: {','.join(sorted(unexpected))}"
                )
            resource_options = ResourceOptions(**options)
        else:
            raise ValueError(
                "Origin options must be either anyiohttp.cors.ResourceOptions instance "
                f"or mapping, got {options!r}"
            )
        if origin == _ANY and resource_options.allow_credentials:
            raise ValueError(
                "allow_credentials=True for every origin ('*') is refused: the Fetch standard "
                "forbids credentials with a wildcard origin, and answering any origin with "
                "credentials lets every site act as the user. List the trusted origins "
                "instead, e.g. {'https://app.example.com': ResourceOptions("
                "allow_credentials=True, ...)}"
            )
        parsed[origin] = resource_options
    return parsed


def _options_for(config: Mapping[str, ResourceOptions], origin: str) -> ResourceOptions | None:
    return config.get(origin, config.get(_ANY))


def _add_vary_origin(headers: Any) -> None:
    vary = headers.get(hdrs.VARY)
    if vary is None:
        headers[hdrs.VARY] = "Origin"
    elif vary.strip() != "*" and "origin" not in {v.strip().lower() for v in vary.split(",")}:
        headers[hdrs.VARY] = f"{vary}, Origin"


def _forbidden(reason: str) -> web.HTTPForbidden:
    return web.HTTPForbidden(text=f"CORS preflight request failed: {reason}")


async def _preflight(request: web.Request, config: _Config | None) -> web.Response:
    """Answer a CORS preflight (Fetch 3.2.2/3.2.3) for ``config``, or 403."""
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is None:
        raise _forbidden("origin header is not specified in the request")
    method = request.headers.get(hdrs.ACCESS_CONTROL_REQUEST_METHOD)
    if method is None:
        raise _forbidden("'Access-Control-Request-Method' header is not specified")
    if _TOKEN.fullmatch(method) is None:
        raise _forbidden(f"{method!r} is not a method")
    if config is None:
        raise _forbidden(f"request method {method!r} is not allowed for {origin!r} origin")
    if not config:
        raise _forbidden("no origins are allowed")
    options = _options_for(config, origin)
    if options is None:
        raise _forbidden(f"origin '{origin}' is not allowed")
    requested = [
        name.strip(" \t")
        for name in request.headers.get(hdrs.ACCESS_CONTROL_REQUEST_HEADERS, "").split(",")
    ]
    requested = [name for name in requested if name]
    for name in requested:
        if _TOKEN.fullmatch(name) is None:
            raise _forbidden(f"{name!r} is not a header name")
    if options.allow_headers != _ANY:
        refused = sorted({n.lower() for n in requested if n.upper() not in options.allow_headers})
        if refused:
            raise _forbidden(f"headers are not allowed: {', '.join(refused)}")
    response = web.Response()
    headers = response.headers
    headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
    if options.allow_credentials:
        headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = _TRUE
    if options.max_age is not None:
        headers[hdrs.ACCESS_CONTROL_MAX_AGE] = str(options.max_age)
    headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = method
    if requested:
        # Listed by name, never as "*": a "*" means "any" only without credentials.
        headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = ",".join(
            sorted({n.lower() for n in requested})
        )
    _add_vary_origin(headers)
    return response


# -- class-based views --------------------------------------------------------------

_F = TypeVar("_F", bound=Callable[..., Any])


def custom_cors(config: _ConfigType) -> Callable[[_F], _F]:
    """Give one method of a :class:`CorsViewMixin` view its own CORS config."""
    parsed = _parse_config(config)

    def wrapper(function: _F) -> _F:
        setattr(function, f"{function.__name__}_cors_config", parsed)
        return function

    return wrapper


class CorsViewMixin:
    """Mix into a ``web.View`` to serve it with CORS: it answers preflights itself.

    ``cors_config`` (class attribute) holds the view's ``{origin: options}``;
    ``@custom_cors`` gives one method its own. The app's defaults fill in.
    """

    cors_config: _ConfigType | None = None

    if TYPE_CHECKING:

        @property
        def request(self) -> web.Request:
            """The request (``web.View``'s)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("cors_config") is not None:
            cls.cors_config = _parse_config(cls.cors_config)

    @classmethod
    def get_request_config(cls, request: web.Request, request_method: str) -> _Config:
        """The config for ``request_method``: the method's, the class's, the app's defaults."""
        cors = request.config_dict.get(APP_CONFIG_KEY)
        if cors is None:
            raise ValueError("anyiohttp.cors is not configured: call anyiohttp.cors.setup(app)")
        method = getattr(cls, request_method.lower(), None)
        if method is None:
            raise KeyError(request_method)
        custom = getattr(method, f"{request_method.lower()}_cors_config", None) or {}
        return collections.ChainMap(custom, dict(cls.cors_config or {}), cors.defaults)

    async def options(self) -> web.StreamResponse:
        """Answer the CORS preflight."""
        method = self.request.headers.get(hdrs.ACCESS_CONTROL_REQUEST_METHOD, "")
        try:
            config: _Config | None = self.get_request_config(self.request, method)
        except KeyError:
            config = None
        return await _preflight(self.request, config)


def _is_cors_view(route: web.AbstractRoute) -> bool:
    handler: Any = route.handler
    return isinstance(handler, type) and issubclass(handler, CorsViewMixin)


def _is_view(route: web.AbstractRoute) -> bool:
    handler: Any = route.handler
    return isinstance(handler, type) and issubclass(handler, web.AbstractView)


# -- the configuration ----------------------------------------------------------------


class _ResourceConfig:
    def __init__(self, default_config: _Config) -> None:
        self.default_config = default_config
        self.method_config: dict[str, _Config] = {}


class CorsConfig:
    """The app's CORS settings: the defaults, and the resources ``add()`` enabled."""

    def __init__(self, app: web.Application, *, defaults: _ConfigType | None = None) -> None:
        """Hold ``defaults`` for ``app``, whose responses it then completes."""
        self.defaults: dict[str, ResourceOptions] = _parse_config(defaults)
        self._app = app
        self._resource_config: dict[web.AbstractResource, _ResourceConfig] = {}
        self._preflight_routes: set[web.AbstractRoute] = set()
        self._view_routes: set[web.AbstractRoute] = set()
        app.on_response_prepare.append(self._on_response_prepare)

    def add(
        self,
        routing_entity: web.AbstractResource | web.AbstractRoute,
        config: _ConfigType | None = None,
        webview: bool = False,
    ) -> Any:
        """Enable CORS for a resource, or for a route (and so its resource); returns it.

        A route's ``config`` applies to its method; a resource's to all its
        routes. The resource gets an ``OPTIONS`` route for preflights
        (ValueError if it has an ``OPTIONS`` or ``*`` route of its own; a
        class-based view must derive from :class:`CorsViewMixin`).
        """
        if webview:
            warnings.warn(
                "webview argument is deprecated, views are handled automatically",
                DeprecationWarning,
                stacklevel=2,
            )
        parsed = _parse_config(config)
        if isinstance(routing_entity, web.AbstractRoute):
            resource = routing_entity.resource
            if resource is None:
                raise ValueError(f"Resource or ResourceRoute expected, got {routing_entity!r}")
            self._add_preflight(resource)
            if resource not in self._resource_config:
                self._resource_config[resource] = _ResourceConfig(parsed)
            methods = self._resource_config[resource].method_config
            if routing_entity.method in methods:
                raise ValueError(
                    f"Can't setup CORS for {routing_entity!r} route: CORS already configured "
                    f"on resource {resource!r} for {routing_entity.method} method"
                )
            methods[routing_entity.method] = parsed
        elif isinstance(routing_entity, web.AbstractResource):
            self._add_preflight(routing_entity)
            if routing_entity in self._resource_config:
                raise ValueError(f"CORS is already configured for {routing_entity!r} resource.")
            self._resource_config[routing_entity] = _ResourceConfig(parsed)
        else:
            raise ValueError(f"Resource or ResourceRoute expected, got {routing_entity!r}")
        return routing_entity

    def _add_preflight(self, resource: web.AbstractResource) -> None:
        if resource in self._resource_config:
            return
        for route in resource:
            if route.method == hdrs.METH_OPTIONS:
                raise ValueError(f"{resource!r} already has OPTIONS handler {route.handler!r}")
            if route.method == hdrs.METH_ANY:
                if _is_cors_view(route):
                    self._view_routes.add(route)
                    return
                if _is_view(route):
                    raise ValueError(
                        "web view should be derived from anyiohttp.cors.CorsViewMixin "
                        "for working with the library"
                    )
                raise ValueError(f"{resource!r} already has a '*' handler for all methods")
        if isinstance(resource, web.Resource):
            route = resource.add_route(hdrs.METH_OPTIONS, self._preflight_handler)
        elif isinstance(resource, web.StaticResource):
            route = _add_static_options_route(resource, self._preflight_handler)
        else:
            raise ValueError(f"Resource or ResourceRoute expected, got {resource!r}")
        self._preflight_routes.add(route)

    def _route_config(self, route: web.AbstractRoute) -> _ResourceConfig | None:
        resource = route.resource
        return None if resource is None else self._resource_config.get(resource)

    async def _preflight_handler(self, request: web.Request) -> web.StreamResponse:
        """The ``OPTIONS`` route added to CORS-enabled resources."""
        resource_config = self._route_config(request.match_info.route)
        assert resource_config is not None
        origin = request.headers.get(hdrs.ORIGIN, "")
        method = request.headers.get(hdrs.ACCESS_CONTROL_REQUEST_METHOD, "")
        defaulted = collections.ChainMap(dict(resource_config.default_config), self.defaults)
        options = _options_for(defaulted, origin)
        config: _Config | None
        if options is not None and options.is_method_allowed(method):
            config = collections.ChainMap(
                dict(resource_config.method_config.get(method, {})), defaulted
            )
        elif method in resource_config.method_config:
            config = collections.ChainMap(dict(resource_config.method_config[method]), defaulted)
        elif options is None:
            config = defaulted  # refused for the origin, whatever the method
        else:
            config = None
        return await _preflight(request, config)

    async def _on_response_prepare(
        self, request: web.Request, response: web.StreamResponse
    ) -> None:
        """Add the CORS headers to a CORS-enabled resource's response (Fetch 3.2.3)."""
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None:
            return
        route = request.match_info.route
        resource_config = self._route_config(route)
        if resource_config is None or route in self._preflight_routes:
            return
        if route in self._view_routes:
            if request.method == hdrs.METH_OPTIONS:
                return  # the view's preflight answer
            handler: Any = route.handler
            try:
                method_config = handler.get_request_config(request, request.method)
            except KeyError:
                method_config = {}
        else:
            method_config = resource_config.method_config.get(request.method, {})
        config = collections.ChainMap(
            dict(method_config), dict(resource_config.default_config), self.defaults
        )
        options = _options_for(config, origin)
        if options is None:
            return
        headers = response.headers
        if hdrs.ACCESS_CONTROL_ALLOW_ORIGIN in headers:
            return  # the handler answered CORS itself
        if options.expose_headers == _ANY:
            exposed = sorted({n for n in headers if n.lower() not in _NOT_EXPOSED})
            if exposed:
                headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = ",".join(exposed)
        elif options.expose_headers:
            headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = ",".join(sorted(options.expose_headers))
        headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
        if options.allow_credentials:
            headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = _TRUE
        _add_vary_origin(headers)


def _add_static_options_route(
    resource: web.StaticResource, handler: Callable[[web.Request], Any]
) -> web.AbstractRoute:
    """An OPTIONS route on a static resource (aiohttp's ``set_options_route``)."""
    resource.set_options_route(handler)
    return next(route for route in resource if route.method == hdrs.METH_OPTIONS)


#: Where ``setup()`` keeps the app's :class:`CorsConfig`.
APP_CONFIG_KEY: Final = web.AppKey("aiohttp_cors", CorsConfig)


def setup(app: web.Application, *, defaults: _ConfigType | None = None) -> CorsConfig:
    """Make the app's :class:`CorsConfig` with ``defaults`` ``{origin: ResourceOptions}``.

    Nothing is CORS-enabled yet: ``cors.add(route_or_resource)`` does that,
    before the app starts (routes are frozen then).
    """
    cors = CorsConfig(app, defaults=defaults)
    app[APP_CONFIG_KEY] = cors
    return cors

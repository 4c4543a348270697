"""Jinja2 templates for anyiohttp.web, with aiohttp_jinja2's API.

A port changes the import only::

    import anyiohttp.templating as aiohttp_jinja2

    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader("templates"))

    @aiohttp_jinja2.template("index.html")
    async def index(request: web.Request) -> dict[str, Any]:
        return {"name": "world"}

What differs is how a long template is rendered (docs/templating.rst): the
``@template`` decorator and the ``*_async`` functions never hold the event
loop for long. A synchronous environment renders inline for at most
``inline_render_budget`` seconds (1 ms by default) and then finishes the
template in a worker thread (``anyio.to_thread``); an environment made with
``enable_async=True`` renders in the event loop and lets other tasks run
every 64 KiB of output. The synchronous ``render_string`` and
``render_template`` keep aiohttp_jinja2's behaviour: they render inline.

Needs the ``jinja2`` extra: ``pip install anyiohttp[jinja2]``.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import aclosing
from typing import Any, Final, Protocol, TypeAlias, TypedDict, TypeVar, overload

import anyio
import anyio.lowlevel
import anyio.to_thread
import jinja2
from yarl import URL

from . import web

__all__ = (
    "APP_CONTEXT_PROCESSORS_KEY",
    "APP_KEY",
    "REQUEST_CONTEXT_KEY",
    "context_processors_middleware",
    "get_env",
    "render_string",
    "render_string_async",
    "render_template",
    "render_template_async",
    "request_processor",
    "setup",
    "static_root_key",
    "static_url",
    "template",
    "url_for",
)

#: A template filter, and the ways ``setup(filters=...)`` takes them.
Filter: TypeAlias = Callable[..., str]
Filters: TypeAlias = Iterable[tuple[str, Filter]] | Mapping[str, Filter]

_TemplateReturnType: TypeAlias = Awaitable[web.StreamResponse | Mapping[str, Any]]
_SimpleTemplateHandler: TypeAlias = Callable[[web.Request], _TemplateReturnType]
_ContextProcessor: TypeAlias = Callable[[web.Request], Awaitable[dict[str, Any]]]

#: Where ``setup()`` keeps the environment (pass another ``app_key`` for a second one).
APP_KEY: Final = web.AppKey("APP_KEY", jinja2.Environment)
#: The context processors given to ``setup()``.
APP_CONTEXT_PROCESSORS_KEY: Final = web.AppKey(
    "APP_CONTEXT_PROCESSORS_KEY", tuple[_ContextProcessor, ...]
)
#: The request key under which context processors collect the shared context
#: (aiohttp_jinja2's string, so code that reads it keeps working).
REQUEST_CONTEXT_KEY: Final = "aiohttp_jinja2_context"
#: The URL root that the ``static()`` template global prefixes to file names.
static_root_key: Final = web.AppKey("static_root_key", str)

# The environment attribute (jinja2's Environment.extend) holding the budget.
_BUDGET_ATTR: Final = "anyiohttp_inline_render_budget"
#: Inline render time of a synchronous template before the rest goes to a thread.
DEFAULT_INLINE_RENDER_BUDGET: Final = 0.001
# Output of an async template between two checkpoints (other tasks run there).
_ASYNC_CHECKPOINT_BYTES: Final = 64 * 1024

_T = TypeVar("_T")
_AbstractView = TypeVar("_AbstractView", bound=web.AbstractView)


class _TemplateWrapper(Protocol):
    @overload
    def __call__(
        self, func: _SimpleTemplateHandler
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]: ...

    @overload
    def __call__(
        self, func: Callable[[_AbstractView], _TemplateReturnType]
    ) -> Callable[[_AbstractView], Awaitable[web.StreamResponse]]: ...

    @overload
    def __call__(
        self, func: Callable[[_T, web.Request], _TemplateReturnType]
    ) -> Callable[[_T, web.Request], Awaitable[web.StreamResponse]]: ...


# -- set up ---------------------------------------------------------------------


def setup(
    app: web.Application,
    *args: Any,
    app_key: web.AppKey[jinja2.Environment] = APP_KEY,
    context_processors: Iterable[_ContextProcessor] = (),
    filters: Filters | None = None,
    default_helpers: bool = True,
    inline_render_budget: float | None = DEFAULT_INLINE_RENDER_BUDGET,
    **kwargs: Any,
) -> jinja2.Environment:
    """Make the app's jinja2 Environment (``args``/``kwargs`` go to it) and return it.

    As aiohttp_jinja2: ``autoescape`` defaults to True, the ``url`` and
    ``static`` globals are installed unless ``default_helpers=False``, the
    ``app`` global is the application, and ``context_processors`` (async
    functions of the request returning a dict) feed every template's
    context through a middleware.

    ``inline_render_budget`` (anyiohttp's own) is how many seconds a
    synchronous template may render in the event loop before the rest of it
    is rendered in a worker thread: ``0`` sends every render to a thread,
    ``None`` renders inline always (aiohttp_jinja2's behaviour).
    """
    if inline_render_budget is not None and inline_render_budget < 0:
        raise ValueError(f"inline_render_budget must be >= 0 or None, got {inline_render_budget}")
    kwargs.setdefault("autoescape", True)
    env = jinja2.Environment(*args, **kwargs)
    env.extend(**{_BUDGET_ATTR: inline_render_budget})
    if default_helpers:
        env.globals.update(GLOBAL_HELPERS)
    if filters is not None:
        env.filters.update(filters)
    app[app_key] = env
    processors = tuple(context_processors)
    if processors:
        app[APP_CONTEXT_PROCESSORS_KEY] = processors
        app.middlewares.append(context_processors_middleware)
    env.globals["app"] = app
    return env


def get_env(
    app: web.Application, *, app_key: web.AppKey[jinja2.Environment] = APP_KEY
) -> jinja2.Environment:
    """The environment ``setup()`` made for ``app``; RuntimeError before ``setup()``."""
    try:
        return app[app_key]
    except KeyError:
        raise RuntimeError("anyiohttp.templating.setup(...) must be called first.") from None


# -- rendering --------------------------------------------------------------------


def _server_error(text: str) -> web.HTTPInternalServerError:
    # The message goes in both the reason and the body, as aiohttp_jinja2: it
    # shows on the console and on the page.
    return web.HTTPInternalServerError(reason=text, text=text)


def _prepare(
    template_name: str,
    request: web.Request,
    context: Mapping[str, Any],
    app_key: web.AppKey[jinja2.Environment],
) -> tuple[jinja2.Template, Mapping[str, Any]]:
    env = request.config_dict.get(app_key)
    if env is None:
        raise _server_error(
            "Template engine is not initialized, call anyiohttp.templating.setup() first"
        )
    try:
        template = env.get_template(template_name)
    except jinja2.TemplateNotFound as exc:
        raise _server_error(f"Template '{template_name}' not found") from exc
    if not isinstance(context, Mapping):
        raise _server_error(f"context should be mapping, not {type(context)}")
    shared = request.get(REQUEST_CONTEXT_KEY)
    if shared:
        context = dict(shared, **context)
    return template, context


def render_string(
    template_name: str,
    request: web.Request,
    context: Mapping[str, Any],
    *,
    app_key: web.AppKey[jinja2.Environment] = APP_KEY,
) -> str:
    """Render a template to a string, inline (it holds the event loop while it runs).

    aiohttp_jinja2's synchronous function; ``await render_string_async(...)``
    renders the same without blocking other requests.
    """
    template, context = _prepare(template_name, request, context, app_key)
    return template.render(context)


async def render_string_async(
    template_name: str,
    request: web.Request,
    context: Mapping[str, Any],
    *,
    app_key: web.AppKey[jinja2.Environment] = APP_KEY,
) -> str:
    """Render a template to a string without holding the event loop for long.

    Works with either kind of environment (aiohttp_jinja2's needs
    ``enable_async=True``): an async one renders in the event loop with a
    checkpoint every 64 KiB of output, a synchronous one moves to a worker
    thread once it has used up ``inline_render_budget``.
    """
    template, context = _prepare(template_name, request, context, app_key)
    if template.environment.is_async:
        return await _render_async(template, context)
    parts, rest = _render_inline(template, context)
    if rest is not None:
        parts.append(await anyio.to_thread.run_sync(_finish, rest))
    return "".join(parts)


async def _render_async(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """Render an async template in the loop, yielding to other tasks every 64 KiB."""
    parts: list[str] = []
    since = 0
    async with aclosing(template.generate_async(context)) as generated:
        async for part in generated:
            parts.append(part)
            since += len(part)
            if since >= _ASYNC_CHECKPOINT_BYTES:
                since = 0
                await anyio.lowlevel.checkpoint()
    return "".join(parts)


def _render_inline(
    template: jinja2.Template, context: Mapping[str, Any]
) -> tuple[list[str], Iterator[str] | None]:
    """Render until the budget is spent: the parts so far and the unfinished rest."""
    budget: float | None = getattr(template.environment, _BUDGET_ATTR, None)
    if budget is None:
        return [template.render(context)], None
    parts = template.generate(context)
    if budget == 0:
        return [], parts
    done: list[str] = []
    deadline = time.perf_counter() + budget
    for part in parts:
        done.append(part)
        if time.perf_counter() >= deadline:
            return done, parts
    return done, None


def _finish(parts: Iterator[str]) -> str:
    """The rest of a synchronous render (run in a worker thread)."""
    return "".join(parts)


def _new_response(encoding: str, status: int) -> web.Response:
    response = web.Response(status=status)
    response.content_type = "text/html"
    response.charset = encoding
    return response


def render_template(
    template_name: str,
    request: web.Request,
    context: Mapping[str, Any] | None,
    *,
    app_key: web.AppKey[jinja2.Environment] = APP_KEY,
    encoding: str = "utf-8",
    status: int = 200,
) -> web.Response:
    """A ``text/html`` Response of the rendered template, rendered inline.

    aiohttp_jinja2's synchronous function; ``await render_template_async(...)``
    (and ``@template``) render without holding the event loop.
    """
    response = _new_response(encoding, status)
    response.text = render_string(template_name, request, context or {}, app_key=app_key)
    return response


async def render_template_async(
    template_name: str,
    request: web.Request,
    context: Mapping[str, Any] | None,
    *,
    app_key: web.AppKey[jinja2.Environment] = APP_KEY,
    encoding: str = "utf-8",
    status: int = 200,
) -> web.Response:
    """A ``text/html`` Response of the rendered template, rendered as ``render_string_async``."""
    response = _new_response(encoding, status)
    response.text = await render_string_async(
        template_name, request, context or {}, app_key=app_key
    )
    return response


def template(
    template_name: str,
    *,
    app_key: web.AppKey[jinja2.Environment] = APP_KEY,
    encoding: str = "utf-8",
    status: int = 200,
) -> _TemplateWrapper:
    """Decorate a handler (function or View method) that returns a template context.

    The handler returns a mapping, rendered with ``template_name`` into a
    ``text/html`` response of ``status``; a response it returns instead is
    passed through untouched. Rendering is ``render_template_async``'s.
    """

    @overload
    def wrapper(
        func: _SimpleTemplateHandler,
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]: ...

    @overload
    def wrapper(
        func: Callable[[_AbstractView], _TemplateReturnType],
    ) -> Callable[[_AbstractView], Awaitable[web.StreamResponse]]: ...

    @overload
    def wrapper(
        func: Callable[[_T, web.Request], _TemplateReturnType],
    ) -> Callable[[_T, web.Request], Awaitable[web.StreamResponse]]: ...

    def wrapper(
        func: Callable[..., _TemplateReturnType],
    ) -> Callable[..., Awaitable[web.StreamResponse]]:
        @functools.wraps(func)
        async def wrapped(*args: Any) -> web.StreamResponse:
            context = await func(*args)
            if isinstance(context, web.StreamResponse):
                return context
            # A View's method gets the view; a handler or method the request last.
            request = args[0].request if isinstance(args[0], web.AbstractView) else args[-1]
            response = await render_template_async(
                template_name, request, context, app_key=app_key, encoding=encoding
            )
            response.set_status(status)
            return response

        return wrapped

    return wrapper


# -- context processors -------------------------------------------------------------


@web.middleware
async def context_processors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Run the app's context processors and keep their context for the templates."""
    if REQUEST_CONTEXT_KEY not in request:
        request[REQUEST_CONTEXT_KEY] = {}
    for processor in request.config_dict[APP_CONTEXT_PROCESSORS_KEY]:
        request[REQUEST_CONTEXT_KEY].update(await processor(request))
    return await handler(request)


async def request_processor(request: web.Request) -> dict[str, web.Request]:
    """A context processor that makes ``request`` available to every template."""
    return {"request": request}


# -- template globals ---------------------------------------------------------------


class _Context(TypedDict, total=False):
    app: web.Application


@jinja2.pass_context
def url_for(
    context: _Context,
    __route_name: str,
    query_: Mapping[str, str] | None = None,
    **parts: str | int,
) -> URL:
    """The ``url`` global: ``{{ url('item', id=1, query_={'q': 'x'}) }}`` -> ``/items/1?q=x``.

    Path parts must be ``str`` or ``int`` (not ``bool``), as aiohttp_jinja2.
    """
    app = context["app"]
    clean: dict[str, str] = {}
    for key, value in parts.items():
        if isinstance(value, str) or type(value) is int:
            clean[key] = str(value)
        else:
            raise TypeError(
                f"argument value should be str or int, got {key} -> [{type(value)}] {value!r}"
            )
    url = app.router[__route_name].url_for(**clean)
    if query_:
        url = url.with_query(query_)
    return url


@jinja2.pass_context
def static_url(context: _Context, static_file_path: str) -> str:
    """The ``static`` global: ``{{ static('app.css') }}`` -> ``<static root>/app.css``.

    The root is ``app[static_root_key]`` (``"/static"``, or a CDN's URL).
    """
    app = context["app"]
    try:
        root = app[static_root_key]
    except KeyError:
        try:
            root = app["static_root_url"]
        except KeyError:
            raise RuntimeError(
                "app does not define a static root url, you need to set the url root "
                "with app[anyiohttp.templating.static_root_key] = '<static root>'."
            ) from None
        warnings.warn(
            "'static_root_url' is deprecated, use anyiohttp.templating.static_root_key.",
            DeprecationWarning,
            stacklevel=2,
        )
    return "{}/{}".format(str(root).rstrip("/"), static_file_path.lstrip("/"))


#: The globals ``setup()`` installs unless ``default_helpers=False``.
GLOBAL_HELPERS: Final[dict[str, Callable[..., Any]]] = {"url": url_for, "static": static_url}

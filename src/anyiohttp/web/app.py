"""Application: routes, middlewares, state, signals and the app's lifetime.

An Application is configuration until it starts serving; then it is frozen
(routes, middlewares and signals can no longer change). While it serves it
owns ``app.task_group`` for work that outlives a request but not the app.
The lifetime itself (startup, shutdown, cleanup) is driven by the runner,
in aiohttp's order: cleanup_ctx entered, on_startup, serving, on_shutdown,
cleanup_ctx exited in reverse, on_cleanup. ``app.startup()``,
``app.shutdown()`` and ``app.cleanup()`` run the same steps by hand (tests,
tools that use an app without serving it), as aiohttp's do.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import warnings
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
)
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast, overload

import anyio
from anyio.abc import TaskGroup, TaskStatus

from .. import hdrs
from .._backend import NO_LOOP, NoLoop, note_asyncio_under_trio, on_asyncio, refuse_loop
from .._signal import FrozenList, Signal
from ..typedefs import Handler, Middleware
from .exceptions import CleanupError, NotAppKeyWarning
from .keys import AppKey, StateMapping
from .log import web_logger
from .request import DEFAULT_CLIENT_MAX_FIELDS, DEFAULT_CLIENT_MAX_SIZE, Request
from .response import StreamResponse
from .routing import (
    AbstractResource,
    AbstractRoute,
    AbstractRouteDef,
    Domain,
    MaskDomain,
    MatchedSubAppResource,
    PrefixedSubAppResource,
    UrlDispatcher,
    UrlMappingMatchInfo,
)

if TYPE_CHECKING:
    from ..http.parser import RequestHead
    from ..http.streams import StreamReader
    from .request import BaseRequest, ConnectionInfo

__all__ = ("AppTaskGroup", "Application", "CleanupContext", "FrozenList", "Signal", "middleware")

_T = TypeVar("_T")


# An old-style middleware: ``async def factory(app, handler) -> handler``.
_MiddlewareFactory: TypeAlias = Callable[["Application", Handler], Awaitable[Handler]]


def middleware(f: _T) -> _T:
    """Mark a ``async def mw(request, handler)`` as a (new-style) middleware."""
    f.__middleware_version__ = 1  # type: ignore[attr-defined]
    return f


CleanupCallback = Callable[["Application"], AsyncIterator[None] | AbstractAsyncContextManager[None]]


class CleanupContext(FrozenList[CleanupCallback]):
    """What runs around the app's life: code before ``yield`` at startup, after
    it at cleanup (in reverse order).

    An item is an async generator function ``(app)`` or, as aiohttp, a
    function returning an async context manager (an
    ``@asynccontextmanager``-decorated one).
    """

    __slots__ = ()


class Application(StateMapping[AppKey[Any]]):
    """A web application: a router, middlewares, state and lifecycle signals.

    While it is served (by ``run_app``, ``serve`` or an ``AppRunner``), the
    application owns :attr:`task_group` for background work that outlives a
    request but not the application, and the contexts of ``cleanup_ctx``.
    Its life runs in the server's task: ``cleanup_ctx`` entered,
    ``on_startup``, serving, then at shutdown ``on_shutdown``, the jobs of
    ``task_group`` given until the shutdown deadline and then cancelled,
    ``cleanup_ctx`` exited in reverse order, ``on_cleanup``. Once started
    it is frozen: routes, middlewares and sub-applications can no longer
    change.
    """

    def __init__(
        self,
        *,
        logger: logging.Logger = web_logger,
        middlewares: Iterable[Middleware] = (),
        handler_args: dict[str, Any] | None = None,
        client_max_size: int = DEFAULT_CLIENT_MAX_SIZE,
        client_max_fields: int = DEFAULT_CLIENT_MAX_FIELDS,
        debug: bool = False,
        loop: NoLoop = NO_LOOP,
    ) -> None:
        refuse_loop(self, loop)
        self._router = UrlDispatcher()
        self._handler_args = handler_args
        self.logger = logger
        self._middlewares: FrozenList[Middleware] = FrozenList(middlewares)
        self._state_dict: dict[str | AppKey[Any], Any] = {}
        self._frozen = False
        self._pre_frozen = False
        self._subapps: list[Application] = []
        self._on_response_prepare: Signal = Signal(self)
        self._on_startup: Signal = Signal(self)
        self._on_shutdown: Signal = Signal(self)
        self._on_cleanup: Signal = Signal(self)
        self._cleanup_ctx = CleanupContext()
        self._client_max_size = client_max_size
        self._client_max_fields = client_max_fields
        self._debug = debug
        self._task_group: AppTaskGroup | None = None
        self._handler_cache: dict[Any, Handler] = {}
        # The cleanup contexts startup entered, for cleanup to exit.
        self._entered: list[AbstractAsyncContextManager[None]] = []
        # (middleware, is it new-style), set when the app freezes.
        self._middleware_kinds: tuple[tuple[Middleware, bool], ...] = ()
        self._has_legacy_middlewares = False
        #: How many tasks of ``task_group`` the last shutdown had to cancel.
        self.background_cancelled = 0
        self._run_middlewares = True
        # Whether this app or one below has on_response_prepare receivers (set
        # at freeze): without any, a response is prepared without the hook.
        self._has_prepare_receivers = True

    def __init_subclass__(cls: type[Application]) -> None:
        warnings.warn(
            f"Inheritance class {cls.__name__} from web.Application is discouraged",
            DeprecationWarning,
            stacklevel=3,
        )

    # -- state ------------------------------------------------------------------

    def _check_frozen(self) -> None:
        if self._frozen:
            warnings.warn(
                "Changing state of started or joined application is deprecated",
                DeprecationWarning,
                stacklevel=3,
            )

    # -- the dict interface (StateMapping), typed ----------------------------------

    @overload
    def __getitem__(self, key: AppKey[_T]) -> _T: ...
    @overload
    def __getitem__(self, key: str) -> Any: ...
    def __getitem__(self, key: str | AppKey[_T]) -> Any:
        return self._state_dict[key]

    @overload
    def __setitem__(self, key: AppKey[_T], value: _T) -> None: ...
    @overload
    def __setitem__(self, key: str, value: Any) -> None: ...
    def __setitem__(self, key: str | AppKey[_T], value: Any) -> None:
        self._check_frozen()
        if not isinstance(key, AppKey):
            warnings.warn(
                "It is recommended to use web.AppKey instances for keys.\n"
                "https://docs.aiohttp.org/en/stable/web_advanced.html#application-s-config",
                category=NotAppKeyWarning,
                stacklevel=2,
            )
        self._state_dict[key] = value

    def __delitem__(self, key: str | AppKey[_T]) -> None:
        self._check_frozen()
        del self._state_dict[key]

    def __repr__(self) -> str:
        return f"<Application 0x{id(self):x}>"

    # -- configuration ----------------------------------------------------------

    @property
    def router(self) -> UrlDispatcher:
        """The URL dispatcher."""
        return self._router

    def add_subapp(self, prefix: str, subapp: Application) -> PrefixedSubAppResource:
        """Mount ``subapp`` under ``prefix``; it keeps its own middlewares, signals and state.

        Its startup and cleanup run with this app's. Configure it fully first:
        its routes are frozen when it is added.
        """
        if not isinstance(prefix, str):
            raise TypeError("Prefix must be str")
        prefix = prefix.rstrip("/")
        if not prefix:
            raise ValueError("Prefix cannot be empty")
        resource = PrefixedSubAppResource(prefix, subapp)
        self._add_subapp(resource, subapp)
        return resource

    def add_domain(self, domain: str, subapp: Application) -> MatchedSubAppResource:
        """Serve ``subapp`` for requests whose Host is ``domain`` (``*.example.com`` masks)."""
        if not isinstance(domain, str):
            raise TypeError("Domain must be str")
        rule = MaskDomain(domain) if "*" in domain else Domain(domain)
        resource = MatchedSubAppResource(rule, subapp)
        self._add_subapp(resource, subapp)
        return resource

    def _add_subapp(self, resource: AbstractResource, subapp: Application) -> None:
        # Not from on_startup either (as aiohttp): the sub-application would
        # miss the startup already under way.
        if self._frozen or self._pre_frozen or self._on_startup.frozen:
            raise RuntimeError("Cannot add sub application to frozen application")
        if subapp.frozen:
            raise RuntimeError("Cannot add frozen application")
        self._router.register_resource(resource)
        self._subapps.append(subapp)
        subapp.pre_freeze()

    def add_routes(self, routes: Iterable[AbstractRouteDef]) -> list[AbstractRoute]:
        """Register route definitions (``web.get(...)``, a RouteTableDef) on the router."""
        return self._router.add_routes(routes)

    @property
    def middlewares(self) -> FrozenList[Middleware]:
        """The middlewares, outermost first."""
        return self._middlewares

    @property
    def on_response_prepare(self) -> Signal:
        """Callbacks ``(request, response)`` run before a response's head is sent."""
        return self._on_response_prepare

    @property
    def on_startup(self) -> Signal:
        """Callbacks ``(app)`` run at startup, after the cleanup contexts were entered."""
        return self._on_startup

    @property
    def on_shutdown(self) -> Signal:
        """Callbacks ``(app)`` run at shutdown, once connections are done."""
        return self._on_shutdown

    @property
    def on_cleanup(self) -> Signal:
        """Callbacks ``(app)`` run last, after the cleanup contexts were exited."""
        return self._on_cleanup

    @property
    def cleanup_ctx(self) -> CleanupContext:
        """Async generator functions ``(app)`` wrapping the app's life."""
        return self._cleanup_ctx

    @property
    def debug(self) -> bool:
        """Debug mode (tracebacks in 500 pages)."""
        return self._debug

    @property
    def client_max_size(self) -> int:
        """The default largest request body ``request.read()`` accepts."""
        return self._client_max_size

    @property
    def client_max_fields(self) -> int:
        """The default most form fields ``request.post()`` accepts (0: no limit)."""
        return self._client_max_fields

    @property
    def frozen(self) -> bool:
        """True once the app started (or was frozen by hand)."""
        return self._frozen

    @property
    def pre_frozen(self) -> bool:
        """True once routes and signals are frozen."""
        return self._pre_frozen

    def pre_freeze(self) -> None:
        """Freeze routes, middlewares and signals."""
        if self._pre_frozen:
            return
        self._pre_frozen = True
        self._middlewares.freeze()
        self._router.freeze()
        self._on_response_prepare.freeze()
        self._on_startup.freeze()
        self._on_shutdown.freeze()
        self._on_cleanup.freeze()
        self._cleanup_ctx.freeze()
        for subapp in self._subapps:
            subapp.pre_freeze()
        kinds = []
        for mw in self._middlewares:
            new_style = _is_new_style(mw)
            if not new_style:
                warnings.warn(
                    f'old-style middleware "{mw!r}" deprecated: write it as '
                    "'async def mw(request, handler)' decorated with @web.middleware",
                    DeprecationWarning,
                    stacklevel=2,
                )
            kinds.append((mw, new_style))
        self._middleware_kinds = tuple(kinds)
        self._run_middlewares = bool(self._middlewares) or any(
            app._run_middlewares for app in self._subapps
        )
        self._has_prepare_receivers = bool(self._on_response_prepare) or any(
            app._has_prepare_receivers for app in self._subapps
        )
        self._has_legacy_middlewares = not all(new for _, new in kinds) or any(
            app._has_legacy_middlewares for app in self._subapps
        )

    def freeze(self) -> None:
        """Freeze the app (done when it starts serving)."""
        if self._frozen:
            return
        self.pre_freeze()
        self._frozen = True
        for subapp in self._subapps:
            subapp.freeze()

    def __call__(self) -> Application:
        """gunicorn compatibility: an app is its own factory."""
        return self

    # -- background work --------------------------------------------------------

    @property
    def task_group(self) -> AppTaskGroup:
        """A task group for work that outlives a request but not the app.

        Exists while the app serves. On shutdown its tasks get the shutdown
        timeout to finish, then they are cancelled.
        """
        if self._task_group is None:
            raise RuntimeError(
                "app.task_group exists only while the application serves "
                "(between startup and cleanup, e.g. in handlers or on_startup) under a "
                "runner; app.startup() called by hand opens none, nothing would own its tasks"
            )
        return self._task_group

    # -- lifecycle --------------------------------------------------------------

    async def startup(self) -> None:
        """Start the app by hand, as aiohttp's ``app.startup()``.

        The cleanup contexts are entered (this app's, then its
        sub-applications'), then on_startup is sent (this app first); its
        callbacks may still add routes. Then the app is frozen. A failure
        leaves what was entered for :meth:`cleanup` to exit, as aiohttp.

        Runners do all this themselves; call it for tests and tools that use
        the app without serving it, and call :meth:`cleanup` from the same
        task (a cleanup context may hold a task group or a cancel scope,
        which only the task that entered it can exit). ``app.task_group``
        exists only under a runner: nothing would own its tasks here.
        """
        self._freeze_for_startup()
        await self._enter_contexts()
        await self._send_startup()
        self.freeze()

    async def shutdown(self) -> None:
        """Send on_shutdown (this app, then its sub-applications), as aiohttp's ``app.shutdown()``.

        Runners call it once the connections are done; by hand, call it
        after :meth:`startup` and before :meth:`cleanup`.
        """
        await self._send_shutdown()

    async def cleanup(self) -> None:
        """Exit the cleanup contexts in reverse, then send on_cleanup (aiohttp's ``app.cleanup()``).

        Sub-applications go first (their contexts, then their on_cleanup).
        Every step runs even if an earlier one failed; one error is raised
        as itself, several as CleanupError. After a failed :meth:`startup`
        it exits what was entered; on_cleanup is sent only if the app got
        frozen (as aiohttp, where the signal cannot be sent before).
        Contexts are exited once: a second call does not exit them again.
        """
        errors = await self._exit_contexts(send_cleanup=self._on_cleanup.frozen)
        self._report_cleanup_errors(errors, failed=False)

    @asynccontextmanager
    async def _lifetime(self) -> AsyncIterator[None]:
        """The app's life around the serving: driven by the runner.

        :meth:`startup` with ``task_group`` open (shared with the
        sub-applications) around on_startup and the serving. On exit it
        waits for the task group until the deadline the runner set
        (:meth:`_drain_background_by`), then runs :meth:`cleanup`'s steps,
        on_cleanup included after a failed start. on_shutdown is sent by
        the runner once connections are done (:meth:`_send_shutdown`).
        """
        self._freeze_for_startup()
        failed = False
        try:
            await self._enter_contexts()
            group = AppTaskGroup(self)
            try:
                async with anyio.create_task_group() as task_group:
                    group.task_group = task_group
                    self._set_task_group(group)
                    await self._send_startup()
                    self.freeze()
                    yield
            finally:
                self._set_task_group(None)
            self.background_cancelled = group.cancelled_at_deadline
            if group.cancelled_at_deadline:
                self.logger.warning(
                    "%d task(s) in app.task_group were still running at the shutdown "
                    "deadline and were cancelled",
                    group.cancelled_at_deadline,
                )
        except BaseException:
            failed = True
            raise
        finally:
            errors = await self._exit_contexts(send_cleanup=True)
            self._report_cleanup_errors(errors, failed=failed)

    def _freeze_for_startup(self) -> None:
        # As aiohttp's runner: only on_startup freezes before it is sent, so
        # its callbacks may still add routes (the router freezes after it).
        # The state freezes after startup too, so cleanup_ctx and on_startup
        # may fill it in.
        self._on_startup.freeze()

    async def _enter_contexts(self) -> None:
        """Enter this app's cleanup contexts, then its sub-applications' (kept for the exit)."""
        for factory in self._cleanup_ctx:
            context = _cleanup_context(factory, self)
            await context.__aenter__()
            self._entered.append(context)
        for subapp in self._subapps:
            await subapp._enter_contexts()

    async def _exit_contexts(self, *, send_cleanup: bool) -> list[Exception]:
        """Exit what :meth:`_enter_contexts` entered, in reverse; return the errors.

        Sub-applications first, each followed by its on_cleanup (when
        ``send_cleanup``); then this app's contexts and its on_cleanup.
        Every step runs even if an earlier one failed.
        """
        errors: list[Exception] = []
        for subapp in reversed(self._subapps):
            errors += await subapp._exit_contexts(send_cleanup=send_cleanup)
        entered, self._entered = self._entered, []
        for context in reversed(entered):
            try:
                await context.__aexit__(None, None, None)
            except Exception as exc:
                errors.append(exc)
        if send_cleanup:
            # After a failed start the signal may not be frozen yet; nothing
            # may be added to it any more either way.
            self._on_cleanup.freeze()
            try:
                await self._on_cleanup.send(self)
            except Exception as exc:
                errors.append(exc)
        return errors

    def _report_cleanup_errors(self, errors: list[Exception], *, failed: bool) -> None:
        """One error raised as itself, several as CleanupError (as aiohttp).

        When the app is already failing they are logged instead, so that the
        first error is not hidden.
        """
        if not errors:
            return
        if failed:
            for error in errors:
                self.logger.error("Error during cleanup", exc_info=error)
            return
        if len(errors) == 1:
            raise errors[0]
        raise CleanupError("Multiple errors on cleanup stage", errors)

    def _set_task_group(self, group: AppTaskGroup | None) -> None:
        self._task_group = group
        for subapp in self._subapps:
            subapp._set_task_group(group)

    async def _send_startup(self) -> None:
        await self._on_startup.send(self)
        for subapp in self._subapps:
            await subapp._send_startup()

    async def _send_shutdown(self) -> None:
        """Send on_shutdown to this app, then to its sub-applications."""
        await self._on_shutdown.send(self)
        for subapp in self._subapps:
            await subapp._send_shutdown()

    def _drain_background_by(self, deadline: float) -> None:
        """Give ``task_group``'s tasks until ``deadline``, then cancel them."""
        if isinstance(self._task_group, AppTaskGroup):
            self._task_group.drain_by(deadline)

    # -- request handling -------------------------------------------------------

    def _make_request(
        self, head: RequestHead, payload: StreamReader, conn: ConnectionInfo, secure: bool
    ) -> Request:
        """The server's request factory (called with positional arguments: cheaper)."""
        request = Request(head, payload, conn, secure)
        # (limits set only when they differ from the class defaults)
        if self._client_max_size != DEFAULT_CLIENT_MAX_SIZE:
            request._client_max_size = self._client_max_size
        if self._client_max_fields != DEFAULT_CLIENT_MAX_FIELDS:
            request._client_max_fields = self._client_max_fields
        return request

    async def _chain(self, handler: Handler, match_info: UrlMappingMatchInfo) -> Handler:
        """The handler wrapped in the middlewares of the matched apps, outermost first.

        Cached per route, except for 404/405 (a new system route each time)
        and when an old-style middleware factory is in use: aiohttp calls
        those factories for every request.
        """
        apps = match_info.apps
        cacheable = not self._has_legacy_middlewares and match_info.http_exception is None
        key = (handler, *apps)
        if cacheable and (chain := self._handler_cache.get(key)) is not None:
            return chain
        chain = handler
        for owner, enters in reversed(_middleware_layers(apps)):
            for mw, new_style in reversed(owner._middleware_kinds):
                if new_style:
                    chain = functools.update_wrapper(functools.partial(mw, handler=chain), chain)  # type: ignore[call-arg]
                else:
                    factory = cast(_MiddlewareFactory, mw)
                    chain = await factory(owner, chain)
            if enters:
                chain = _entering_app(owner, chain)
        if cacheable:
            self._handler_cache[key] = chain
        return chain

    async def _handle(self, request: BaseRequest) -> StreamResponse:
        """Route the request, run its expect handler and middlewares, then the handler."""
        assert isinstance(request, Request)
        head = request._head
        router = self._router
        match_info: UrlMappingMatchInfo = router.resolve_path(
            head.method,
            request._routing_path(),
            # the Host only where a sub-app by domain may want it: no headers decoded else
            head.headers.get(hdrs.HOST) if router._domain_resources else None,
        )
        match_info.add_app(self)
        match_info.freeze()
        request._match_info = match_info
        if self._has_prepare_receivers:
            request._response_prepare_hook = self._prepare_response
        if head.expect is not None:
            resp = await match_info.expect_handler(request)
            if resp is not None:
                return resp
        handler = match_info.handler
        if self._run_middlewares:
            handler = await self._chain(handler, match_info)
        return await handler(request)

    async def _prepare_response(self, response: StreamResponse) -> None:
        request = response._req
        assert isinstance(request, Request)
        for app in request.match_info.apps:
            if app._on_response_prepare:
                await app._on_response_prepare.send(request, response)


def _middleware_layers(apps: Sequence[Application]) -> list[tuple[Application, bool]]:
    """The apps whose middlewares wrap a handler, outermost first, and whether
    entering each one changes ``request.app``.

    As aiohttp: inside an app's middlewares ``request.app`` is that app, and
    the handler sees the innermost app (the one owning the route), which is
    also what ``request.app`` is before any middleware runs. An app is
    entered only where that changes something.
    """
    innermost = apps[-1]
    current = innermost
    layers: list[tuple[Application, bool]] = []
    for app in apps:
        if app._middlewares:
            layers.append((app, app is not current))
            current = app
    if current is not innermost:
        layers.append((innermost, True))  # back to the route's app for the handler
    return layers


def _entering_app(app: Application, handler: Handler) -> Handler:
    """``handler`` run with ``request.app`` set to ``app``, restored afterwards."""

    async def entered(request: Request) -> StreamResponse:
        match_info = request.match_info
        previous = match_info.current_app
        match_info.current_app = app
        try:
            return await handler(request)
        finally:
            match_info.current_app = previous

    return entered


def _is_new_style(mw: Any) -> bool:
    """``@web.middleware``-marked: ``(request, handler)``; else an old-style factory."""
    return getattr(mw, "__middleware_version__", None) == 1


def _cleanup_context(
    factory: CleanupCallback, app: Application
) -> AbstractAsyncContextManager[None]:
    """The context manager of one cleanup_ctx item, made as it is about to be entered."""
    made = factory(app)
    if isinstance(made, AbstractAsyncContextManager):
        return made  # e.g. an @asynccontextmanager function's (as aiohttp)
    if inspect.isasyncgen(made):
        return _generator_context(factory, cast(AsyncGenerator[None, None], made))
    raise TypeError(
        f"cleanup_ctx item {factory!r} returned {made!r}: expected an async generator "
        "(an async function with one 'yield') or an async context manager"
    )


@asynccontextmanager
async def _generator_context(
    factory: CleanupCallback, gen: AsyncGenerator[None, None]
) -> AsyncIterator[None]:
    try:
        await gen.__anext__()
    except StopAsyncIteration:
        raise RuntimeError(f"cleanup_ctx {factory!r} did not yield") from None
    try:
        yield
    finally:
        try:
            await gen.__anext__()
        except StopAsyncIteration:
            pass
        else:
            raise RuntimeError(f"cleanup_ctx {factory!r} has more than one 'yield'")


class AppTaskGroup:
    """``app.task_group``: the app's task group, counting the tasks it runs.

    It has the TaskGroup methods that start work (``start_soon``, ``start``)
    and its ``cancel_scope``; it cannot be entered, the app owns it. The
    count tells shutdown how many tasks it had to cancel at the deadline.
    """

    def __init__(self, app: Application) -> None:
        self._app = app
        self.task_group: TaskGroup | None = None
        self._running = 0
        self._deadline = math.inf
        self.cancelled_at_deadline = 0

    @property
    def cancel_scope(self) -> anyio.CancelScope:
        """The task group's cancel scope."""
        assert self.task_group is not None
        return self.task_group.cancel_scope

    def drain_by(self, deadline: float) -> None:
        """Let the tasks run until ``deadline``, then cancel them."""
        self._deadline = deadline
        assert self.task_group is not None
        self.task_group.cancel_scope.deadline = deadline

    async def _run(
        self,
        func: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        status: _Status | None = None,
    ) -> None:
        self._running += 1
        try:
            await func(*args)
        except anyio.get_cancelled_exc_class():
            if anyio.current_time() >= self._deadline:
                self.cancelled_at_deadline += 1
            raise
        except Exception as exc:
            if status is not None and not status.done:
                raise  # start() raises it to its caller, as a task group's does
            # As a handler's error: logged, and the server goes on (DESIGN 3).
            # Raising would cancel the app's task group and take the server
            # down with it; fail-fast is a task group of the user's own.
            if not on_asyncio():
                note_asyncio_under_trio(exc)
            self._app.logger.error(
                "Error in task %s of app.task_group", _task_name(func), exc_info=exc
            )
        finally:
            self._running -= 1

    def start_soon(
        self, func: Callable[..., Awaitable[Any]], *args: Any, name: object = None
    ) -> Any:
        """Run ``func(*args)`` in the app's task group.

        An exception it raises is logged with its traceback (the app's logger),
        and the app goes on serving.
        """
        assert self.task_group is not None
        return self.task_group.start_soon(self._run, func, args, name=name or func)

    async def start(
        self, func: Callable[..., Awaitable[Any]], *args: object, name: object = None
    ) -> Any:
        """Run ``func(*args, task_status=...)`` and wait until it calls ``started()``.

        An exception before ``started()`` is raised here; one after it is
        logged, as for :meth:`start_soon`.
        """
        assert self.task_group is not None

        async def run(*, task_status: TaskStatus[Any]) -> None:
            status = _Status(task_status)
            await self._run(partial(func, task_status=status), args, status)

        return await self.task_group.start(run, name=name or func)

    async def __aenter__(self) -> AppTaskGroup:
        raise RuntimeError("app.task_group belongs to the application: use start_soon()/start()")

    async def __aexit__(self, *exc_info: object) -> None:
        raise RuntimeError("app.task_group belongs to the application")


class _Status(TaskStatus[Any]):
    """A task status that remembers whether ``started()`` was called."""

    __slots__ = ("_status", "done")

    def __init__(self, status: TaskStatus[Any]) -> None:
        self._status = status
        self.done = False

    def started(self, value: Any = None) -> None:
        self._status.started(value)
        self.done = True


def _task_name(func: Callable[..., Any]) -> str:
    target = getattr(func, "func", func)  # a partial
    return str(getattr(target, "__qualname__", None) or target)

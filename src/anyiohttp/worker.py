"""Gunicorn worker classes: run an anyiohttp app under Gunicorn, as aiohttp's worker does.

    gunicorn myapp:app --worker-class anyiohttp.worker.GunicornWebWorker
    gunicorn myapp:app --worker-class anyiohttp.worker.GunicornTrioWebWorker

``myapp:app`` is a ``web.Application`` or an async function returning one.
Each worker serves Gunicorn's listening sockets with an AppRunner; SIGTERM
shuts it down gracefully within 95% of Gunicorn's ``graceful_timeout``.
"""

from __future__ import annotations

import inspect
import os
import signal
import ssl
import sys
from typing import Any, ClassVar

import anyio
from gunicorn.workers import base  # type: ignore[import-untyped]  # gunicorn has no types

from ._groups import single_error
from .web.app import Application
from .web.log import AccessLogger
from .web.runner import AppRunner, SockSite

__all__ = ("GunicornTrioWebWorker", "GunicornWebWorker")

_GUNICORN_SIGNALS = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGABRT,
    signal.SIGWINCH,
)


class GunicornWebWorker(base.Worker):  # type: ignore[misc]  # base.Worker is untyped (Any)
    """A Gunicorn worker serving an anyiohttp app on asyncio."""

    backend: ClassVar[str] = "asyncio"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exit_code = 0
        self._wakeup: anyio.Event | None = None

    def init_signals(self) -> None:
        """Signals are received inside the event loop (see ``_handle_signals``)."""
        for signum in self.SIGNALS:
            signal.signal(signum, signal.SIG_DFL)

    def run(self) -> None:
        """The worker's main loop: serve until told to stop."""
        anyio.run(self._run, backend=self.backend)
        sys.exit(self.exit_code)

    async def _app(self) -> Application:
        app = self.wsgi
        if isinstance(app, Application):
            return app
        if inspect.iscoroutinefunction(app):
            app = await app()
            if isinstance(app, Application):
                return app
        raise RuntimeError(
            f"the app should be a web.Application or an async function returning one, got {app!r}"
        )

    async def _run(self) -> None:
        # A startup failure (on_startup raising, say) reaches Gunicorn's log
        # as itself, not wrapped by the task group of the signal watcher.
        with single_error():
            await self._serve()

    async def _serve(self) -> None:
        app = await self._app()
        access_log = self.log.access_log if self.cfg.accesslog else None
        runner = AppRunner(
            app,
            keepalive_timeout=self.cfg.keepalive,
            access_log=access_log,
            access_log_format=_log_format(self.cfg.access_log_format),
            shutdown_timeout=self.cfg.graceful_timeout / 100 * 95,
        )
        ssl_context = self._ssl_context() if self.cfg.is_ssl else None
        async with anyio.create_task_group() as tg:
            await tg.start(self._handle_signals)
            async with runner:
                for sock in self.sockets:
                    raw = getattr(sock, "sock", sock)
                    await SockSite(runner, raw, ssl_context=ssl_context).start()
                self.booted = True
                parent = os.getppid()
                while self.alive:  # type: ignore[has-type]  # set by gunicorn's Worker
                    self.notify()
                    if parent != os.getppid():
                        self.log.info("Parent changed, shutting down: %s", self)
                        self.alive = False
                        break
                    self._wakeup = wakeup = anyio.Event()
                    with anyio.move_on_after(1.0):
                        await wakeup.wait()
            tg.cancel_scope.cancel()

    async def _handle_signals(self, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        with anyio.open_signal_receiver(*_GUNICORN_SIGNALS) as signals:
            task_status.started()
            async for signum in signals:
                if signum == signal.SIGUSR1:
                    self.log.reopen_files()
                    continue
                if signum == signal.SIGWINCH:
                    continue
                if signum in (signal.SIGINT, signal.SIGQUIT, signal.SIGABRT):
                    self.exit_code = 1 if signum == signal.SIGABRT else 0
                self.alive = False
                if self._wakeup is not None:
                    self._wakeup.set()

    def _ssl_context(self) -> ssl.SSLContext:
        cfg = self.cfg
        context = ssl.SSLContext(cfg.ssl_version)
        context.load_cert_chain(cfg.certfile, cfg.keyfile)
        context.verify_mode = cfg.cert_reqs
        if cfg.ca_certs:
            context.load_verify_locations(cfg.ca_certs)
        if cfg.ciphers:
            context.set_ciphers(cfg.ciphers)
        return context


class GunicornTrioWebWorker(GunicornWebWorker):
    """A Gunicorn worker serving an anyiohttp app on trio."""

    backend: ClassVar[str] = "trio"


def _log_format(source: str) -> str:
    # Gunicorn's default access log format is for WSGI; use ours then.
    if source == base.Worker.__dict__.get("_default_log_format", None) or "%(" in source:
        return AccessLogger.LOG_FORMAT
    return source

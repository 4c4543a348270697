"""The access log, with aiohttp's (Apache-like) format directives.

Directives: ``%%``, ``%a`` remote address, ``%t`` time the request started,
``%P`` process id, ``%r`` first line of the request, ``%s`` status, ``%b``
response size in bytes (head included, as aiohttp), ``%T`` seconds taken,
``%Tf`` seconds with fractions, ``%D`` microseconds, ``%{NAME}i`` a request
header, ``%{NAME}o`` a response header, ``%{NAME}e`` an environment variable.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
from collections.abc import Callable
from typing import Any, Final

from ..abc import AbstractAccessLogger
from .request import BaseRequest
from .response import StreamResponse

__all__ = ("AccessLogger", "access_logger", "server_logger", "web_logger")

access_logger: Final = logging.getLogger("anyiohttp.access")
server_logger: Final = logging.getLogger("anyiohttp.server")
web_logger: Final = logging.getLogger("anyiohttp.web")

_DIRECTIVE: Final = re.compile(r"%(\{([A-Za-z0-9_\-]+)\}([ioe])|[atPrsbOD]|Tf?|%)")

_Getter = Callable[[BaseRequest, StreamResponse, float], Any]


class AccessLogger(AbstractAccessLogger):
    """Formats one line per request with the directives of aiohttp's access log."""

    __slots__ = ("_getters", "_template")

    LOG_FORMAT: Final = '%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"'

    def __init__(self, logger: logging.Logger, log_format: str = LOG_FORMAT) -> None:
        super().__init__(logger, log_format)
        self._template, self._getters = self._compile(log_format)

    @classmethod
    def _compile(cls, log_format: str) -> tuple[str, list[_Getter]]:
        getters: list[_Getter] = []
        pieces: list[str] = []
        pos = 0
        for match in _DIRECTIVE.finditer(log_format):
            pieces.append(log_format[pos : match.start()].replace("%", "%%"))
            pos = match.end()
            key = match.group(1)
            if key == "%":
                pieces.append("%%")
                continue
            pieces.append("%s")
            getters.append(cls._getter(key, match.group(2), match.group(3)))
        pieces.append(log_format[pos:].replace("%", "%%"))
        return "".join(pieces), getters

    @staticmethod
    def _getter(key: str, name: str | None, kind: str | None) -> _Getter:
        if name is not None:
            if kind == "i":
                return lambda req, resp, t: req.headers.get(name, "-")
            if kind == "o":
                return lambda req, resp, t: resp.headers.get(name, "-")
            return lambda req, resp, t: os.environ.get(name, "-")
        simple: dict[str, _Getter] = {
            "a": lambda req, resp, t: req.remote if req.remote is not None else "-",
            "t": lambda req, resp, t: _start_time(t),
            "P": lambda req, resp, t: f"<{os.getpid()}>",
            "r": lambda req, resp, t: (
                f"{req.method} {req.raw_path} HTTP/{req.version.major}.{req.version.minor}"
            ),
            "s": lambda req, resp, t: resp.status,
            "b": lambda req, resp, t: resp.body_length,
            "O": lambda req, resp, t: resp.body_length,
            "T": lambda req, resp, t: round(t),
            "Tf": lambda req, resp, t: f"{t:.6f}",
            "D": lambda req, resp, t: round(t * 1_000_000),
        }
        return simple[key]

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        """Write one access log line at INFO level."""
        try:
            values = tuple(getter(request, response, time) for getter in self._getters)
            self.logger.info(self._template, *values)
        except Exception:
            self.logger.exception("Error in logging")

    @property
    def enabled(self) -> bool:
        """True when the logger would emit INFO records."""
        return self.logger.isEnabledFor(logging.INFO)


def _start_time(elapsed: float) -> str:
    started = datetime.datetime.now(datetime.UTC).astimezone() - datetime.timedelta(seconds=elapsed)
    return started.strftime("[%d/%b/%Y:%H:%M:%S %z]")

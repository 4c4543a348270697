"""Abstract bases users subclass, as in ``aiohttp.abc``."""

from __future__ import annotations

import abc
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .web.request import BaseRequest
    from .web.response import StreamResponse

__all__ = ("AbstractAccessLogger",)


class AbstractAccessLogger(abc.ABC):
    """Base for access loggers: ``log`` is called once per finished response.

    ``log`` runs in the connection's task after the response was sent; keep
    it quick (it delays the next request on that connection).
    """

    __slots__ = ("log_format", "logger")

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        self.logger = logger
        self.log_format = log_format

    @abc.abstractmethod
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        """Log one request; ``time`` is the seconds it took."""

    @property
    def enabled(self) -> bool:
        """Whether logging is on (checked before building the log line)."""
        return True

"""Static files: FileResponse and the router's add_static resource.

(Not ``static.py``: ``web.static`` is aiohttp's route-definition function.)

A FileResponse answers conditional requests (If-None-Match, If-Match,
If-Modified-Since, If-Unmodified-Since → 304/412), byte ranges as aiohttp
(one ``bytes=`` range: 206, anything else in a Range header: 416), and
streams the file in chunks read in a worker thread. The static resource maps
``/prefix/<path>`` (``/<path>`` for ``add_static("/", ...)``) to files under
a directory and never serves anything outside it: absolute paths, ``..``
(encoded or not) and symlinks leading out (unless ``follow_symlinks=True``)
are answered 404, directories 403 (or aiohttp's index page with
``show_index=True``).
"""

from __future__ import annotations

import hashlib
import html
import mimetypes
import os
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, Any, Final

import anyio
from yarl import URL

from .. import hdrs
from ..helpers import parse_http_date
from ..http.stream_writer import StreamWriter
from .exceptions import HTTPForbidden, HTTPNotFound
from .response import Response, StreamResponse
from .routing import (
    AbstractResource,
    AbstractRoute,
    ResourceRoute,
    UrlMappingMatchInfo,
    _check_prefix,
)

if TYPE_CHECKING:
    from .request import BaseRequest, Request
    from .routing import Handler

__all__ = ("FileResponse", "StaticResource")

CHUNK_SIZE: Final = 256 * 1024


def _etag(stat: os.stat_result) -> str:
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def _etags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


# The media type of a file compressed as a whole, by the encoding mimetypes names.
_COMPRESSED_TYPES: Final = {
    "gzip": "application/gzip",
    "br": "application/x-brotli",
    "bzip2": "application/x-bzip2",
    "compress": "application/x-compress",
    "xz": "application/x-xz",
}


# Pre-compressed siblings tried, in order, when the client accepts their coding.
_PRECOMPRESSED: Final = ((".br", "br"), (".gz", "gzip"))


def _if_range_holds(value: str, etag: str, stat: os.stat_result) -> bool:
    """If-Range (RFC 9110 13.1.5): the file is still the one the client has part of."""
    value = value.strip()
    if value.startswith(('"', "W/")):
        return value == etag  # a strong comparison: a weak tag never matches
    date = parse_http_date(value)
    return date is not None and int(stat.st_mtime) <= date.timestamp()


class FileResponse(StreamResponse):
    """Serve a file, with conditional requests and byte ranges."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        chunk_size: int = CHUNK_SIZE,
        status: int = 200,
        reason: str | None = None,
        headers: Any = None,
    ) -> None:
        super().__init__(status=status, reason=reason, headers=headers)
        self._path = Path(path)
        self._send_path = self._path  # or a pre-compressed sibling, chosen in prepare()
        self._chunk_size = chunk_size

    async def prepare(self, request: BaseRequest) -> StreamWriter:
        """Check the file and the request's conditions, send the head, stream the body."""
        if self._req is not None:
            return await super().prepare(request)
        accept = request.headers.get(hdrs.ACCEPT_ENCODING, "").lower()
        try:
            self._send_path, stat, encoding = await anyio.to_thread.run_sync(
                self._pick_file, accept
            )
        except OSError:
            return await self._replace(request, HTTPNotFound())
        if not S_ISREG(stat.st_mode):
            return await self._replace(request, HTTPForbidden())
        if encoding is not None:
            # A pre-compressed copy (x.css.gz beside x.css), sent as the file's
            # content in that coding (as aiohttp); never compressed again.
            self._headers[hdrs.CONTENT_ENCODING] = encoding
            self._headers[hdrs.VARY] = hdrs.ACCEPT_ENCODING
            self._compression = False
        etag = _etag(stat)
        headers = request.headers
        if_match = headers.get(hdrs.IF_MATCH)
        if if_match is not None and if_match.strip() != "*" and etag not in _etags(if_match):
            return await self._precondition_failed(request)
        unmodified = parse_http_date(headers.get(hdrs.IF_UNMODIFIED_SINCE))
        if if_match is None and unmodified is not None and stat.st_mtime > unmodified.timestamp():
            return await self._precondition_failed(request)
        if_none_match = headers.get(hdrs.IF_NONE_MATCH)
        modified_since = parse_http_date(headers.get(hdrs.IF_MODIFIED_SINCE))
        not_modified = (
            (if_none_match.strip() == "*" or etag in _etags(if_none_match))
            if if_none_match is not None
            else modified_since is not None and int(stat.st_mtime) <= modified_since.timestamp()
        )
        if not_modified and request.method in (hdrs.METH_GET, hdrs.METH_HEAD):
            self.set_status(304)
            self._set_validators(stat, etag)
            return await super().prepare(request)
        start, end = 0, stat.st_size
        if_range = headers.get(hdrs.IF_RANGE)
        if hdrs.RANGE in headers and (if_range is None or _if_range_holds(if_range, etag, stat)):
            byte_range = _byte_range(request, stat.st_size)
            if byte_range is None:
                self.set_status(416)
                self._headers[hdrs.CONTENT_RANGE] = f"bytes */{stat.st_size}"
                self.content_length = 0
                return await super().prepare(request)
            # As aiohttp: a range covering the whole file is still a 206.
            start, end = byte_range
            self.set_status(206)
            self._headers[hdrs.CONTENT_RANGE] = f"bytes {start}-{end - 1}/{stat.st_size}"
        self._set_validators(stat, etag)
        if hdrs.CONTENT_TYPE not in self._headers:
            guessed, encoding = mimetypes.guess_type(self._path.name)
            if encoding:
                # A compressed file (x.tar.gz) is sent as the file it is, not
                # as compressed content the client would unpack (as aiohttp).
                guessed = _COMPRESSED_TYPES.get(encoding, "application/octet-stream")
            self._headers[hdrs.CONTENT_TYPE] = guessed or "application/octet-stream"
        self._headers[hdrs.ACCEPT_RANGES] = "bytes"
        self.content_length = end - start
        writer = await super().prepare(request)
        if request.method != hdrs.METH_HEAD and end > start:
            await self._send_file(start, end)
        await self.write_eof()
        return writer

    def _pick_file(self, accept_encoding: str) -> tuple[Path, os.stat_result, str | None]:
        """The file to send: a regular pre-compressed sibling the client accepts, else the file."""
        for suffix, encoding in _PRECOMPRESSED:
            if encoding not in accept_encoding:
                continue
            sibling = self._path.with_name(self._path.name + suffix)
            try:
                stat = sibling.lstat()  # lstat: a symlinked sibling is not followed
            except OSError:
                continue
            if S_ISREG(stat.st_mode):
                return sibling, stat, encoding
        return self._path, self._path.stat(), None

    def _set_validators(self, stat: os.stat_result, etag: str) -> None:
        self._headers.setdefault(hdrs.ETAG, etag)
        self._headers.setdefault(hdrs.LAST_MODIFIED, formatdate(stat.st_mtime, usegmt=True))

    async def _precondition_failed(self, request: BaseRequest) -> StreamWriter:
        self.set_status(412)
        self.content_length = 0
        return await super().prepare(request)

    async def _replace(self, request: BaseRequest, error: Response) -> StreamWriter:
        # The file is missing: answer with the error's status and text instead.
        self.set_status(error.status, error.reason)
        self._headers[hdrs.CONTENT_TYPE] = "text/plain; charset=utf-8"
        body = error.body or b""
        self.content_length = len(body)
        writer = await super().prepare(request)
        await self.write_eof(body)
        return writer

    async def _send_file(self, start: int, end: int) -> None:
        with self._send_path.open("rb") as file:
            await anyio.to_thread.run_sync(file.seek, start)
            remaining = end - start
            while remaining > 0:
                chunk = await anyio.to_thread.run_sync(file.read, min(self._chunk_size, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                await self.write(chunk)


def _byte_range(request: BaseRequest, size: int) -> tuple[int, int] | None:
    """The bytes the Range header asks for, as (start, end-exclusive), as aiohttp.

    ``request.http_range`` parses the header: one ``bytes=first-last``,
    ``bytes=first-`` or ``bytes=-suffix`` range in ASCII digits. Anything
    else (another unit, several ranges, a malformed value) and a start at or
    past the end are None: 416. A suffix longer than the file, or a last
    byte past its end, are cut to the file.
    """
    try:
        wanted = request.http_range
    except ValueError:
        return None
    start = 0 if wanted.start is None else wanted.start
    if start < 0:
        start, end = max(0, size + start), size
    else:
        end = size if wanted.stop is None else min(wanted.stop, size)
    if start >= size:
        return None
    return start, end


class StaticResource(AbstractResource):
    """``router.add_static(prefix, directory)``: files under ``directory``."""

    def __init__(
        self,
        prefix: str,
        directory: str | os.PathLike[str],
        *,
        name: str | None = None,
        expect_handler: Any = None,
        chunk_size: int = CHUNK_SIZE,
        show_index: bool = False,
        follow_symlinks: bool = False,
        append_version: bool = False,
    ) -> None:
        super().__init__(name=name)
        if prefix:  # "" serves the directory at the root: add_static("/", ...)
            _check_prefix(prefix)
        try:
            root = Path(directory).expanduser().resolve(strict=True)
        except FileNotFoundError:
            raise ValueError(f"No directory exists at '{directory}'") from None
        if not root.is_dir():
            raise ValueError(f"No directory exists at '{directory}'")
        self._prefix = prefix
        self._directory = root
        self._chunk_size = chunk_size
        self._show_index = show_index
        self._follow_symlinks = follow_symlinks
        self._append_version = append_version
        self._routes = {
            method: ResourceRoute(
                method, self._handle, expect_handler=expect_handler, resource=self
            )
            for method in (hdrs.METH_GET, hdrs.METH_HEAD)
        }

    @property
    def canonical(self) -> str:
        """The prefix."""
        return self._prefix

    @property
    def index_key(self) -> str:
        """The prefix."""
        return self._prefix

    def add_prefix(self, prefix: str) -> None:
        """Mount under ``prefix`` (for sub-applications)."""
        _check_prefix(prefix)
        self._prefix = prefix + self._prefix

    def raw_match(self, path: str) -> bool:
        """Never equal to a route path."""
        return False

    def get_info(self) -> dict[str, Any]:
        """The directory and the prefix."""
        return {"directory": self._directory, "prefix": self._prefix, "routes": self._routes}

    def url_for(  # type: ignore[override]  # aiohttp's signature for static resources
        self, *, filename: str | os.PathLike[str], append_version: bool | None = None
    ) -> URL:
        """The URL of ``filename``; ``append_version`` adds ``?v=<hash of the file>``."""
        name = str(filename).lstrip("/")
        url = URL.build(path=f"{self._prefix}/{name}")
        if append_version if append_version is not None else self._append_version:
            path = self._directory / name
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            except OSError:
                return url
            url = url.with_query({"v": digest})
        return url

    def set_options_route(self, handler: Handler) -> None:
        """Answer OPTIONS under the prefix with ``handler`` (as aiohttp; CORS preflights)."""
        if hdrs.METH_OPTIONS in self._routes:
            raise RuntimeError("OPTIONS route was set already")
        self._routes[hdrs.METH_OPTIONS] = ResourceRoute(hdrs.METH_OPTIONS, handler, resource=self)

    def resolve(
        self, method: str, path: str, host: str | None = None
    ) -> tuple[UrlMappingMatchInfo | None, set[str]]:
        """Paths under the prefix; GET and HEAD (and OPTIONS once set)."""
        if not path.startswith(self._prefix + "/") and path != self._prefix:
            return None, set()
        allowed = set(self._routes)
        route = self._routes.get(method)
        if route is None:
            return None, allowed
        filename = path[len(self._prefix) + 1 :].replace("%2F", "/").replace("%25", "%")
        return UrlMappingMatchInfo({"filename": filename}, route), allowed

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes.values())

    def _file_for(self, filename: str) -> Path:
        """The file ``filename`` names under the directory, or an HTTP error."""
        if "\x00" in filename or Path(filename).is_absolute():
            raise HTTPNotFound()
        parts = Path(filename).parts
        if ".." in parts:
            raise HTTPNotFound()
        candidate = self._directory.joinpath(*parts)
        try:
            real = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            raise HTTPNotFound() from None
        if not self._follow_symlinks and not real.is_relative_to(self._directory):
            raise HTTPNotFound()  # a symlink leading out of the directory
        return real if not self._follow_symlinks else candidate

    async def _handle(self, request: Request) -> StreamResponse:
        filename = request.match_info["filename"]
        path, index = await anyio.to_thread.run_sync(self._target, filename)
        if index is not None:
            return Response(text=index, content_type="text/html")
        return FileResponse(path, chunk_size=self._chunk_size)

    def _target(self, filename: str) -> tuple[Path, str | None]:
        """The file to serve, or the directory and its index page (file system work: a thread)."""
        path = self._file_for(filename)
        try:
            if not path.is_dir():
                return path, None
            if not self._show_index:
                raise HTTPForbidden()
            return path, self._index_page(path)
        except PermissionError:
            raise HTTPForbidden() from None

    def _index_page(self, directory: Path) -> str:
        """The directory listing in aiohttp's HTML.

        The title is ``Index of /<directory>`` (``/.`` at the root, as
        aiohttp); one link per entry, sorted, directories shown with a
        trailing ``/``. The links are percent-encoded paths and, unlike
        aiohttp, also HTML-escaped, so a name with ``&`` cannot turn into
        a character reference: the same page for any other name.
        """
        title = f"Index of /{html.escape(directory.relative_to(self._directory).as_posix())}"
        items = []
        for entry in sorted(directory.iterdir()):
            href = URL.build(path=f"{self._prefix}/{entry.relative_to(self._directory).as_posix()}")
            name = f"{entry.name}/" if entry.is_dir() else entry.name
            items.append(f'<li><a href="{html.escape(href.raw_path)}">{html.escape(name)}</a></li>')
        listing = "\n".join(items)
        return (
            f"<html>\n<head>\n<title>{title}</title>\n</head>\n"
            f"<body>\n<h1>{title}</h1>\n<ul>\n{listing}\n</ul>\n</body>\n</html>"
        )

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<StaticResource {name} {self._prefix} -> {self._directory!r}>"

"""Compare aiohttp.ClientSession with anyiohttp.ClientSession against one aiohttp.web server.

Run:  . .venv/bin/activate && python compat/client_vs_aiohttp.py [-v] [--trio] [filter]

Prints every case whose normalised outcome differs (with both results).
-v prints every case. --trio also runs anyiohttp on trio and reports where its
results differ from anyiohttp on asyncio.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json as jsonlib
import socket
import sys
import threading
import traceback
import zlib
import gzip
from http.cookies import SimpleCookie

import aiohttp
import anyio
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

import anyiohttp

HOST = "127.0.0.1"
PORT = 0
UA_SEEN: dict[str, str] = {}

# ---------------------------------------------------------------------------------------
# server
# ---------------------------------------------------------------------------------------


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    try:
        btxt = body.decode("utf-8")
    except UnicodeDecodeError:
        btxt = "b64:" + base64.b64encode(body).decode()
    hdrs = []
    for k, v in request.raw_headers:
        k = k.decode("latin-1")
        v = v.decode("latin-1")
        if k.lower() == "user-agent":
            UA_SEEN[request.headers.get("X-Client", "?")] = v
            v = "<UA>"
        if k.lower() == "x-client":
            v = "<client>"
        hdrs.append([k, v])
    if "order" not in request.query:
        hdrs.sort(key=lambda h: h[0].lower())
    data = {
        "method": request.method,
        "path": request.raw_path,
        "query_string": request.query_string,
        "version": list(request.version),
        "headers": hdrs,
        "body": btxt,
    }
    return web.json_response(data)


async def setcookie(request: web.Request) -> web.Response:
    resp = web.Response(text="cookies")
    resp.set_cookie("a", "1")
    resp.set_cookie("b", "2", path="/sub")
    resp.set_cookie("c", "3", max_age=0)
    resp.set_cookie("d", "hello world")  # needs quoting
    resp.set_cookie("e", "5", httponly=True, secure=False, samesite="Lax")
    return resp


async def redirect(request: web.Request) -> web.StreamResponse:
    code = int(request.match_info["code"])
    to = request.query.get("to", "/echo")
    headers = {}
    if "nolocation" not in request.query:
        headers["Location"] = to
    if "cookie" in request.query:
        r = web.Response(status=code, headers=headers)
        r.set_cookie("redir" + request.query["cookie"], "yes")
    if "body" in request.query:
        r = web.Response(status=code, headers=headers, text="redirect body " * 10)
    else:
        r = web.Response(status=code, headers=headers)
    if "cookie" in request.query:
        r.set_cookie("redir" + request.query["cookie"], "yes")
    return r


async def chain(request: web.Request) -> web.Response:
    n = int(request.match_info["n"])
    if n <= 0:
        return await echo(request)
    r = web.Response(status=302, headers={"Location": f"/chain/{n - 1}"})
    r.set_cookie(f"hop{n}", str(n))
    return r


async def status(request: web.Request) -> web.Response:
    code = int(request.match_info["code"])
    reason = request.query.get("reason")
    ct = request.query.get("ct", "text/plain")
    return web.Response(status=code, reason=reason, body=f"error body {code}".encode(),
                        headers={"Content-Type": ct, "X-Err": "yes"})


async def gz(request: web.Request) -> web.Response:
    kind = request.match_info["kind"]
    payload = ("hello compressed " * 20).encode()
    if kind == "gzip":
        body, enc = gzip.compress(payload, mtime=0), "gzip"
    elif kind == "deflate":
        body, enc = zlib.compress(payload), "deflate"
    elif kind == "rawdeflate":
        c = zlib.compressobj(wbits=-15)
        body, enc = c.compress(payload) + c.flush(), "deflate"
    elif kind == "br":
        import brotli
        body, enc = brotli.compress(payload), "br"
    elif kind == "badgzip":
        body, enc = b"this is not gzip", "gzip"
    elif kind == "unknown":
        body, enc = payload, "compress"
    elif kind == "upper":
        body, enc = gzip.compress(payload, mtime=0), "GZIP"
    elif kind == "identity":
        body, enc = payload, "identity"
    else:
        raise web.HTTPNotFound()
    return web.Response(body=body, headers={"Content-Encoding": enc, "Content-Type": "text/plain"})


async def chunked(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse()
    resp.content_type = "text/plain"
    resp.enable_chunked_encoding()
    if "gzip" in request.query:
        resp.headers["Content-Encoding"] = "gzip"
        data = gzip.compress(b"".join(f"chunk{i}\n".encode() for i in range(5)))
        await resp.prepare(request)
        for i in range(0, len(data), 7):
            await resp.write(data[i:i + 7])
    else:
        await resp.prepare(request)
        for i in range(5):
            await resp.write(f"chunk{i}\n".encode())
    await resp.write_eof()
    return resp


async def ctype(request: web.Request) -> web.Response:
    ct = request.query.get("ct")
    body = request.query.get("body", '{"a": 1}').encode("utf-8")
    headers = {}
    if ct is not None:
        headers["Content-Type"] = ct
    r = web.Response(body=body, headers=headers)
    if ct is None:
        # aiohttp.web adds application/octet-stream for bytes bodies; remove it
        r.headers.pop("Content-Type", None)
    return r


async def latin1(request: web.Request) -> web.Response:
    ct = request.query.get("ct", "text/plain; charset=latin-1")
    return web.Response(body="café ü".encode("latin-1"), headers={"Content-Type": ct})


async def nocharset(request: web.Request) -> web.Response:
    return web.Response(body="héllo ✓".encode("utf-8"), headers={"Content-Type": "text/html"})


async def empty(request: web.Request) -> web.Response:
    ct = request.query.get("ct")
    r = web.Response(body=b"", headers={"Content-Type": ct} if ct else {})
    return r


async def no_content(request: web.Request) -> web.Response:
    return web.Response(status=204)


async def not_modified(request: web.Request) -> web.Response:
    return web.Response(status=304, headers={"ETag": '"x"'})


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(float(request.query.get("d", "2")))
    return web.Response(text="slow")


async def slowbody(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse()
    resp.content_type = "text/plain"
    resp.content_length = 20
    await resp.prepare(request)
    await resp.write(b"0123456789")
    await asyncio.sleep(float(request.query.get("d", "2")))
    try:
        await resp.write(b"0123456789")
    except Exception:
        pass
    return resp


async def lines(request: web.Request) -> web.Response:
    return web.Response(text="line1\nline2\r\nline3 no newline", content_type="text/plain")


async def multi_headers(request: web.Request) -> web.Response:
    r = web.Response(text="multi", headers=CIMultiDict(
        [("X-Dup", "one"), ("X-Dup", "two"), ("x-lower", "v"),
         ("Link", '<http://example.com/next>; rel="next", </prev>; rel=prev'),
         ("Content-Disposition", 'attachment; filename="f.txt"')]))
    return r


async def big(request: web.Request) -> web.Response:
    return web.Response(body=b"x" * 200_000, content_type="application/octet-stream")


async def truncated(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse()
    resp.content_length = 100
    await resp.prepare(request)
    await resp.write(b"short")
    request.transport.close()
    return resp


async def close_body(request: web.Request) -> web.StreamResponse:
    # HTTP/1.0-style close-delimited body
    resp = web.StreamResponse()
    resp.force_close()
    resp.headers["Content-Type"] = "text/plain"
    await resp.prepare(request)
    await resp.write(b"closing body")
    await resp.write_eof()
    return resp


async def post_fields(request: web.Request) -> web.Response:
    form = await request.post()
    out = []
    for k, v in form.items():
        if isinstance(v, web.FileField):
            out.append([k, "FILE", v.filename, v.content_type, v.file.read().decode("latin-1")])
        elif isinstance(v, (bytes, bytearray)):
            out.append([k, "FIELD(bytes)", bytes(v).decode("latin-1")])
        else:
            out.append([k, "FIELD", v])
    return web.json_response(out)


def make_app() -> web.Application:
    app = web.Application()
    r = app.router
    r.add_route("*", "/echo", echo)
    r.add_route("*", "/echo/{tail:.*}", echo)
    r.add_route("*", "/api/{tail:.*}", echo)
    r.add_route("*", "/sub/{tail:.*}", echo)
    r.add_route("*", "/setcookie", setcookie)
    r.add_route("*", "/redirect/{code}", redirect)
    r.add_route("*", "/chain/{n}", chain)
    r.add_route("*", "/status/{code}", status)
    r.add_get("/enc/{kind}", gz)
    r.add_get("/chunked", chunked)
    r.add_get("/ctype", ctype)
    r.add_get("/latin1", latin1)
    r.add_get("/nocharset", nocharset)
    r.add_get("/empty", empty)
    r.add_route("*", "/204", no_content)
    r.add_get("/304", not_modified)
    r.add_get("/slow", slow)
    r.add_get("/slowbody", slowbody)
    r.add_get("/lines", lines)
    r.add_get("/multi", multi_headers)
    r.add_get("/big", big)
    r.add_get("/truncated", truncated)
    r.add_get("/closebody", close_body)
    r.add_post("/post", post_fields)
    return app


def start_server() -> tuple[int, int]:
    ready = threading.Event()
    box: dict = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)

        async def main() -> None:
            runner = web.AppRunner(make_app(), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, HOST, 0)
            await site.start()
            box["port"] = site._server.sockets[0].getsockname()[1]
            ready.set()
            await asyncio.Event().wait()

        loop.run_until_complete(main())

    threading.Thread(target=run, daemon=True).start()
    ready.wait(10)
    s = socket.socket()
    s.bind((HOST, 0))
    closed = s.getsockname()[1]
    s.close()
    return box["port"], closed


# ---------------------------------------------------------------------------------------
# normalisation
# ---------------------------------------------------------------------------------------

DROP_RESP_HEADERS = {"date"}


def norm(x, depth=0):
    if depth > 6:
        return "..."
    if isinstance(x, BaseException):
        return norm_exc(x)
    if isinstance(x, URL):
        return "URL:" + str(x)
    if isinstance(x, (CIMultiDictProxy, CIMultiDict, MultiDictProxy, MultiDict)):
        return [[k, ("<UA>" if k.lower() == "user-agent" else
                     "<client>" if k.lower() == "x-client" else norm(v, depth + 1))]
                for k, v in x.items() if k.lower() not in DROP_RESP_HEADERS]
    if isinstance(x, SimpleCookie):
        return sorted([k, m.value, {a: m[a] for a in m if m[a]}] for k, m in x.items())
    if type(x).__name__ == "RequestInfo":
        return {"url": norm(x.url), "method": x.method, "headers": norm(x.headers),
                "real_url": norm(x.real_url)}
    if type(x).__name__ == "ClientResponse":
        return f"<resp {x.status} {x.url}>"
    if isinstance(x, dict):
        return {k: norm(v, depth + 1) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [norm(v, depth + 1) for v in x]
    if isinstance(x, (str, int, float, bool, type(None), bytes)):
        return x
    if type(x).__name__ == "HttpVersion":
        return list(x)
    return f"<{type(x).__name__}>"


def norm_exc(e: BaseException) -> dict:
    d = {"exc": type(e).__name__, "str": str(e),
         "bases": sorted({c.__name__ for c in type(e).__mro__
                          if c.__name__ not in ("object", "BaseException", "Exception", type(e).__name__)})}
    for a in ("status", "message", "headers", "request_info", "history", "host", "port", "ssl",
              "url", "description", "errno", "strerror"):
        if hasattr(e, a):
            try:
                d[a] = norm(getattr(e, a))
            except Exception as x:  # noqa
                d[a] = f"<err {type(x).__name__}>"
    if hasattr(e, "os_error"):
        oe = e.os_error
        d["os_error"] = {"type": type(oe).__name__, "errno": getattr(oe, "errno", None),
                         "str": str(oe)}
    if "ClientConnectorError" in d["bases"] or d["exc"] == "ClientConnectorError":
        pass
    return d


def obs(resp, body=None) -> dict:
    d = {
        "status": resp.status,
        "reason": resp.reason,
        "ok": resp.ok,
        "url": str(resp.url),
        "real_url": str(resp.real_url),
        "history": [(h.status, str(h.url)) for h in resp.history],
        "content_type": resp.content_type,
        "charset": resp.charset,
        "resp_headers": norm(resp.headers),
    }
    if body is not None:
        try:
            d["body"] = jsonlib.loads(body)
        except Exception:
            d["body"] = body
        if isinstance(d["body"], dict) and "headers" in d["body"]:
            # echo: its length follows the request headers, already compared
            d["resp_headers"] = [h for h in d["resp_headers"] if h[0].lower() != "content-length"]
    return d


# ---------------------------------------------------------------------------------------
# cases: each is async fn(m, base) -> value (m is aiohttp or anyiohttp)
# ---------------------------------------------------------------------------------------

CASES = {}


def case(name):
    def deco(fn):
        CASES[name] = fn
        return fn
    return deco


def S(m, **kw):
    hdrs = kw.pop("headers", {}) or {}
    return m.ClientSession(headers={"X-Client": m.__name__, **hdrs}, **kw)


async def simple(m, base, method, path, *, session_kw=None, read="text", **kw):
    async with S(m, **(session_kw or {})) as s:
        async with s.request(method, base + path, **kw) as r:
            body = await getattr(r, read)() if read else None
            return obs(r, body)


def _reqcase(name, method, path, read="text", session_kw=None, **kw):
    @case(name)
    async def _c(m, base):
        return await simple(m, base, method, path, session_kw=session_kw, read=read, **kw)


# --- plain requests: what the server sees ---------------------------------------------
for meth in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND", "get"]:
    _reqcase(f"method:{meth} no body", meth, "/echo")
_reqcase("HEAD /echo", "HEAD", "/echo", read="read")
_reqcase("GET 204", "GET", "/204", read="read")
_reqcase("POST 204 with body", "POST", "/204", read="read", data=b"abc")
_reqcase("GET 304", "GET", "/304", read="read")
_reqcase("GET empty body", "GET", "/empty", read="read")
_reqcase("GET empty body text()", "GET", "/empty", read="text")
_reqcase("GET path unicode", "GET", "/echo/päth ü?q=ä b")
_reqcase("GET path percent-encoded slash", "GET", "/echo/a%2Fb%20c")
_reqcase("GET URL with fragment", "GET", "/echo?x=1#frag")
_reqcase("GET path dot segments", "GET", "/echo/../echo/./x")
_reqcase("GET trailing ?", "GET", "/echo?")
_reqcase("session headers + request headers override", "GET", "/echo",
         session_kw={"headers": {"Accept": "text/html", "X-S": "s"}},
         headers={"X-S": "r", "X-R": "1"})
_reqcase("headers as list with duplicates", "GET", "/echo",
         headers=[("X-Dup", "1"), ("X-Dup", "2")])
_reqcase("headers override Host", "GET", "/echo", headers={"Host": "example.com"})
_reqcase("header order GET", "GET", "/echo?order=1", headers={"X-A": "1"})
_reqcase("header order POST bytes", "POST", "/echo?order=1", data=b"x", headers={"X-A": "1"})
_reqcase("headers override User-Agent", "GET", "/echo", headers={"User-Agent": "mine"})
_reqcase("headers override Accept-Encoding", "GET", "/echo", headers={"Accept-Encoding": "identity"})
_reqcase("skip_auto_headers UA/Accept", "GET", "/echo",
         skip_auto_headers=["User-Agent", "Accept", "Accept-Encoding"])
_reqcase("session skip_auto_headers Content-Type", "POST", "/echo",
         session_kw={"skip_auto_headers": ["Content-Type"]}, data=b"x")
_reqcase("header value int", "GET", "/echo", headers={"X-Int": 5})
_reqcase("header value with newline", "GET", "/echo", headers={"X-Bad": "a\r\nX-Injected: 1"})
_reqcase("header value non-ascii", "GET", "/echo", headers={"X-U": "ü"})


@case("version 1.0")
async def _c(m, base):
    return await simple(m, base, "GET", "/echo", session_kw={"version": m.HttpVersion10})

# --- params --------------------------------------------------------------------------
PARAMS = {
    "str": "a=1&b=x y",
    "dict": {"a": "1", "b": "x y&z"},
    "int": {"a": 1},
    "float": {"a": 1.5},
    "list of pairs": [("a", "1"), ("a", "2")],
    "tuple of pairs": (("a", "1"), ("b", "2")),
    "MultiDict": MultiDict([("a", "1"), ("a", "2")]),
    "bool": {"a": True},
    "None value": {"a": None},
    "list value": {"a": ["1", "2"]},
    "unicode": {"ä": "ü €"},
    "empty dict": {},
    "empty str": "",
    "str with percent": "a=%20b",
    "bytes": b"a=1",
    "plus sign": {"a": "1+1"},
    "special chars": {"q": "a/b?c=d&e#f"},
}
for pname, pval in PARAMS.items():
    _reqcase(f"params {pname}", "GET", "/echo", params=pval)
    _reqcase(f"params {pname} merged with URL query", "GET", "/echo?a=0&z=9", params=pval)

# --- request bodies ----------------------------------------------------------------------


async def agen():
    yield b"part1-"
    yield b"part2"


DATA = {
    "dict": lambda: {"a": "1", "b": "x y"},
    "dict int": lambda: {"a": 1},
    "list of pairs": lambda: [("a", "1"), ("a", "2")],
    "MultiDict": lambda: MultiDict([("a", "1"), ("a", "2")]),
    "str": lambda: "hello ü",
    "bytes": lambda: b"hello bytes",
    "bytearray": lambda: bytearray(b"ba"),
    "empty bytes": lambda: b"",
    "empty str": lambda: "",
    "empty dict": lambda: {},
    "BytesIO": lambda: io.BytesIO(b"from bytesio"),
    "StringIO": lambda: io.StringIO("from stringio"),
    "file": lambda: open(__file__, "rb"),
    "async gen": lambda: agen(),
    "int": lambda: 5,
    "memoryview": lambda: memoryview(b"mv"),
    "FormData fields": lambda: _formdata(False),
    "FormData with file": lambda: _formdata(True),
}

_MOD = {"m": None}


def _formdata(with_file):
    fd = _MOD["m"].FormData()
    fd.add_field("a", "1")
    fd.add_field("b", "ü")
    if with_file:
        fd.add_field("f", io.BytesIO(b"filedata"), filename="f.txt", content_type="text/plain")
    return fd


def _datacase(dname, factory, **kw):
    @case(f"POST data={dname}" + (f" {kw}" if kw else ""))
    async def _c(m, base):
        _MOD["m"] = m
        data = factory()
        try:
            r = await simple(m, base, "POST", "/echo", data=data, **kw)
        finally:
            if hasattr(data, "close") and not isinstance(data, io.IOBase) or isinstance(data, io.BufferedReader):
                try:
                    data.close()
                except Exception:
                    pass
        b = r.get("body")
        if isinstance(b, dict) and b.get("body", "").startswith("--"):
            # multipart: normalise boundary
            hs = dict((k.lower(), v) for k, v in b["headers"])
            ct = hs.get("content-type", "")
            bnd = ct.split("boundary=")[-1].strip('"')
            b["body"] = b["body"].replace(bnd, "<BND>")
            b["headers"] = [[k, v.replace(bnd, "<BND>")] for k, v in b["headers"]]
        if isinstance(b, dict) and "file" in dname:
            b["body"] = len(b["body"])
        return r


for dname, fac in DATA.items():
    _datacase(dname, fac)
_datacase("bytes", DATA["bytes"], chunked=True)
_datacase("bytes", DATA["bytes"], compress=True)
_datacase("bytes", DATA["bytes"], compress="gzip")
_datacase("bytes", DATA["bytes"], expect100=True)
_datacase("dict", DATA["dict"], headers={"Content-Type": "text/plain"})
_datacase("bytes", DATA["bytes"], headers={"Content-Length": "11"})
_datacase("bytes", DATA["bytes"], headers={"Content-Length": "11"}, chunked=True)
_datacase("str", DATA["str"], headers={"Content-Type": "text/plain; charset=latin-1"})
_reqcase("POST json=dict", "POST", "/echo", json={"a": [1, 2], "u": "ü"})
_reqcase("POST json=None", "POST", "/echo", json=None)
_reqcase("POST json='' ", "POST", "/echo", json="")
_reqcase("POST json=0", "POST", "/echo", json=0)
_reqcase("POST json + data", "POST", "/echo", json={"a": 1}, data=b"x")
_reqcase("POST json with explicit Content-Type", "POST", "/echo", json={"a": 1},
         headers={"Content-Type": "application/vnd.x+json"})
_reqcase("GET with data", "GET", "/echo", data=b"getbody")
_reqcase("custom json_serialize", "POST", "/echo", json={"a": 1},
         session_kw={"json_serialize": lambda o: "CUSTOM"})

# --- redirects -----------------------------------------------------------------------------
for code in (301, 302, 303, 307, 308):
    for meth in ("GET", "POST", "PUT", "HEAD"):
        for withbody in (False, True):
            q = "?body=1" if withbody else ""
            kw = {"data": b"payload"} if meth in ("POST", "PUT") else {}
            _reqcase(f"redirect {code} {meth}{' redirect-has-body' if withbody else ''}",
                     meth, f"/redirect/{code}{q}", allow_redirects=True,
                     read="read" if meth == "HEAD" else "text", **kw)
    _reqcase(f"redirect {code} POST json=", "POST", f"/redirect/{code}", json={"j": 1})
    _reqcase(f"redirect {code} POST form dict", "POST", f"/redirect/{code}", data={"f": "1"})
    _reqcase(f"redirect {code} allow_redirects=False", "GET", f"/redirect/{code}?body=1",
             allow_redirects=False)
    _reqcase(f"redirect {code} no Location", "GET", f"/redirect/{code}?nolocation=1")


@case("redirect 307 POST async gen body")
async def _c(m, base):
    return await simple(m, base, "POST", "/redirect/307", data=agen())


@case("redirect 302 POST async gen body")
async def _c(m, base):
    return await simple(m, base, "POST", "/redirect/302", data=agen())


@case("redirect 307 POST BytesIO body")
async def _c(m, base):
    return await simple(m, base, "POST", "/redirect/307", data=io.BytesIO(b"bio"))


for to in ["echo/rel", "/echo?x=1", "/echo#frag", "//127.0.0.1:{port}/echo/pr",
           "http://127.0.0.1:{port}/echo/abs", "/echo/ü space", "/echo/%C3%BC%20",
           "ftp://example.com/x", "http://[bad", "http://:80/x", "mailto:x@y", "", "  /echo"]:
    @case(f"redirect 302 Location={to!r}")
    async def _c(m, base, to=to):
        port = URL(base).port
        return await simple(m, base, "GET", "/redirect/302", params={"to": to.format(port=port)})


@case("redirect 302 Location=relative with requote_redirect_url=False")
async def _c(m, base):
    return await simple(m, base, "GET", "/redirect/302", params={"to": "/echo/%7Efoo ü"},
                        session_kw={"requote_redirect_url": False})


_reqcase("redirect chain 3", "GET", "/chain/3")
_reqcase("redirect chain 5 max_redirects=2", "GET", "/chain/5", max_redirects=2)
_reqcase("redirect chain 2 max_redirects=2", "GET", "/chain/2", max_redirects=2)
_reqcase("redirect chain 1 max_redirects=0", "GET", "/chain/1", max_redirects=0)
_reqcase("redirect chain 12 default max", "GET", "/chain/12")
_reqcase("redirect chain 5 session max_redirects=2", "GET", "/chain/5",
         session_kw={"max_redirects": 2})
_reqcase("redirect chain 5 raise_for_status", "GET", "/chain/1", raise_for_status=True)


@case("redirect history details")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/chain/2") as r:
            await r.read()
            return {"history": [(h.status, str(h.url), h.reason, h.closed, h.method,
                                 norm(h.request_info), norm(h.headers)) for h in r.history],
                    "ri": norm(r.request_info)}


@case("redirect 302 relative from path with query")
async def _c(m, base):
    return await simple(m, base, "GET", "/redirect/302?x=1&to=other")


# auth across origins
@case("auth redirect same origin")
async def _c(m, base):
    return await simple(m, base, "GET", "/redirect/302", auth=m.BasicAuth("u", "p"))


@case("auth redirect to other origin (localhost)")
async def _c(m, base):
    port = URL(base).port
    return await simple(m, base, "GET", "/redirect/302", auth=m.BasicAuth("u", "p"),
                        params={"to": f"http://localhost:{port}/echo"})


@case("Authorization header redirect to other origin")
async def _c(m, base):
    port = URL(base).port
    return await simple(m, base, "GET", "/redirect/302", headers={"Authorization": "Bearer t"},
                        params={"to": f"http://localhost:{port}/echo"})


@case("URL creds redirect to other origin")
async def _c(m, base):
    port = URL(base).port
    b = base.replace("http://", "http://u:p@")
    return await simple(m, b, "GET", "/redirect/302", params={"to": f"http://localhost:{port}/echo"})


@case("GET localhost (server on 127.0.0.1 only)")
async def _c(m, base):
    port = URL(base).port
    return await simple(m, f"http://localhost:{port}", "GET", "/echo")


# --- auth ----------------------------------------------------------------------------------


def _auth_case(name, path_fn, **kw):
    @case(name)
    async def _c(m, base):
        k = dict(kw)
        for key, v in list(k.items()):
            if callable(v) and key in ("auth",):
                k[key] = v(m)
        sk = k.pop("session_kw", None)
        if sk and "auth" in sk and callable(sk["auth"]):
            sk = dict(sk, auth=sk["auth"](m))
        async with S(m, **(sk or {})) as s:
            async with s.get(path_fn(base), **k) as r:
                return obs(r, await r.text()) | {"ri_url": str(r.request_info.url),
                                                  "ri_real_url": str(r.request_info.real_url)}


_auth_case("auth anyio BasicAuth (own module)", lambda b: b + "/echo", auth=lambda m: m.BasicAuth("user", "pass"))
_auth_case("auth BasicAuth non-ascii default encoding", lambda b: b + "/echo",
           auth=lambda m: m.BasicAuth("üser", "päss"))
_auth_case("auth BasicAuth encoding utf-8", lambda b: b + "/echo",
           auth=lambda m: m.BasicAuth("üser", "päss", encoding="utf-8"))
_auth_case("URL credentials", lambda b: b.replace("http://", "http://user:pass@") + "/echo")
_auth_case("URL credentials percent-encoded", lambda b: b.replace("http://", "http://us%40er:p%3Ass@") + "/echo")
_auth_case("URL credentials user only", lambda b: b.replace("http://", "http://user@") + "/echo")
_auth_case("URL credentials + auth=", lambda b: b.replace("http://", "http://user:pass@") + "/echo",
           auth=lambda m: m.BasicAuth("x", "y"))
_auth_case("session auth + URL credentials", lambda b: b.replace("http://", "http://user:pass@") + "/echo",
           session_kw={"auth": lambda m: m.BasicAuth("x", "y")})
_auth_case("session auth", lambda b: b + "/echo", session_kw={"auth": lambda m: m.BasicAuth("x", "y")})
_auth_case("auth + Authorization header", lambda b: b + "/echo",
           auth=lambda m: m.BasicAuth("x", "y"), headers={"Authorization": "Bearer z"})


@case("BasicAuth objects")
async def _c(m, base):
    out = {}
    for label, fn in {
        "encode": lambda: m.BasicAuth("u", "p").encode(),
        "decode": lambda: tuple(m.BasicAuth.decode("Basic dTpw")),
        "decode bad": lambda: m.BasicAuth.decode("Bearer x"),
        "decode no colon": lambda: m.BasicAuth.decode("Basic " + base64.b64encode(b"nocolon").decode()),
        "login with colon": lambda: m.BasicAuth("a:b", "p"),
        "login None": lambda: m.BasicAuth(None, "p"),
        "password None": lambda: m.BasicAuth("u", None),
        "from_url": lambda: tuple(m.BasicAuth.from_url(URL("http://a:b@h/"))),
        "from_url no creds": lambda: m.BasicAuth.from_url(URL("http://h/")),
        "from_url str": lambda: m.BasicAuth.from_url("http://a:b@h/"),
    }.items():
        try:
            v = fn()
            out[label] = tuple(v) if isinstance(v, tuple) else norm(v)
        except Exception as e:
            out[label] = norm_exc(e)
    return out


# --- base_url -------------------------------------------------------------------------------
def _base_case(name, base_fn, path):
    @case(name)
    async def _c(m, base):
        async with S(m, base_url=base_fn(base)) as s:
            async with s.get(path) as r:
                return obs(r, await r.text())


_base_case("base_url /api/ + 'x'", lambda b: b + "/api/", "x")
_base_case("base_url /api/ + '/echo'", lambda b: b + "/api/", "/echo")
_base_case("base_url /api/ + '../echo'", lambda b: b + "/api/", "../echo")
_base_case("base_url /api/ + '?q=1'", lambda b: b + "/api/", "?q=1")
_base_case("base_url /api/ + ''", lambda b: b + "/api/", "")
_base_case("base_url origin + 'echo'", lambda b: b, "echo")
_base_case("base_url origin + '/echo'", lambda b: b, "/echo")
_base_case("base_url /api/ + absolute", lambda b: b + "/api/", "http://127.0.0.1:{}/echo")
_base_case("base_url URL obj", lambda b: URL(b + "/api/"), "y")


@case("base_url /api/ + absolute url")
async def _c(m, base):
    async with S(m, base_url=base + "/api/") as s:
        async with s.get(base + "/echo/abs") as r:
            return obs(r, await r.text())


@case("base_url without trailing slash")
async def _c(m, base):
    async with S(m, base_url=base + "/api") as s:
        async with s.get("x") as r:
            return obs(r, await r.text())


@case("base_url relative")
async def _c(m, base):
    async with S(m, base_url="/api/") as s:
        async with s.get("x") as r:
            return obs(r, await r.text())


@case("base_url with query")
async def _c(m, base):
    async with S(m, base_url=base + "/api/?k=v") as s:
        async with s.get("x") as r:
            return obs(r, await r.text())


# --- cookies ---------------------------------------------------------------------------------
def jar_list(jar):
    out = []
    for c in jar:
        out.append((c.key, c.value, c["domain"], c["path"]))
    return sorted(out)


@case("cookies: resp.cookies from /setcookie")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/setcookie") as r:
            return {"resp.cookies": norm(r.cookies), "jar": jar_list(s.cookie_jar),
                    "set-cookie": r.headers.getall("Set-Cookie")}


@case("cookies: unsafe jar after /setcookie and follow-ups")
async def _c(m, base):
    async with S(m, cookie_jar=m.CookieJar(unsafe=True)) as s:
        async with s.get(base + "/setcookie") as r:
            await r.read()
        jar = jar_list(s.cookie_jar)
        async with s.get(base + "/echo") as r:
            e1 = await r.json()
        async with s.get(base + "/sub/x") as r:
            e2 = await r.json()
        return {"jar": jar, "cookie hdr /echo": [v for k, v in e1["headers"] if k.lower() == "cookie"],
                "cookie hdr /sub/x": [v for k, v in e2["headers"] if k.lower() == "cookie"],
                "len": len(s.cookie_jar)}


@case("cookies: jar after redirect chain (default jar, IP host)")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/chain/3") as r:
            e = await r.json()
        return {"jar": jar_list(s.cookie_jar),
                "final cookie hdr": [v for k, v in e["headers"] if k.lower() == "cookie"],
                "hist cookies": [norm(h.cookies) for h in r.history],
                "resp.cookies": norm(r.cookies)}


@case("cookies: jar after redirect chain (unsafe jar)")
async def _c(m, base):
    async with S(m, cookie_jar=m.CookieJar(unsafe=True)) as s:
        async with s.get(base + "/chain/3") as r:
            e = await r.json()
        return {"jar": jar_list(s.cookie_jar),
                "final cookie hdr": [v for k, v in e["headers"] if k.lower() == "cookie"],
                "hist cookies": [norm(h.cookies) for h in r.history]}


@case("cookies: per-request cookies=")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/echo", cookies={"x": "1", "y": "a b"}) as r:
            e = await r.json()
        return {"cookie": [v for k, v in e["headers"] if k.lower() == "cookie"],
                "jar": jar_list(s.cookie_jar)}


@case("cookies: per-request cookies= through redirect")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/redirect/302?cookie=1", cookies={"x": "1"}) as r:
            e = await r.json()
        return {"cookie": [v for k, v in e["headers"] if k.lower() == "cookie"],
                "jar": jar_list(s.cookie_jar)}


@case("cookies: session cookies= (IP host, default jar)")
async def _c(m, base):
    async with S(m, cookies={"s": "1"}) as s:
        async with s.get(base + "/echo") as r:
            e = await r.json()
        return {"cookie": [v for k, v in e["headers"] if k.lower() == "cookie"],
                "jar": jar_list(s.cookie_jar)}


@case("cookies: per-request cookies + Cookie header")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/echo", cookies={"x": "1"}, headers={"Cookie": "h=2"}) as r:
            e = await r.json()
        return {"cookie": [v for k, v in e["headers"] if k.lower() == "cookie"]}


@case("cookies: per-request cookies as list / SimpleCookie")
async def _c(m, base):
    sc = SimpleCookie()
    sc["k"] = "v"
    out = {}
    async with S(m) as s:
        for label, ck in {"list": [("a", "1"), ("b", "2")], "SimpleCookie": sc}.items():
            try:
                async with s.get(base + "/echo", cookies=ck) as r:
                    e = await r.json()
                out[label] = [v for k, v in e["headers"] if k.lower() == "cookie"]
            except Exception as exc:
                out[label] = norm_exc(exc)
    return out


@case("cookies: DummyCookieJar")
async def _c(m, base):
    async with S(m, cookie_jar=m.DummyCookieJar()) as s:
        async with s.get(base + "/setcookie") as r:
            rc = norm(r.cookies)
        return {"resp.cookies": rc, "len": len(s.cookie_jar)}


@case("cookies: jar filter_cookies / update_cookies API")
async def _c(m, base):
    async with S(m, cookie_jar=m.CookieJar(unsafe=True)) as s:
        s.cookie_jar.update_cookies({"a": "1", "b": "2"}, URL(base + "/"))
        f = s.cookie_jar.filter_cookies(URL(base + "/x"))
        return {"filter": norm(f), "type": type(f).__name__, "jar": jar_list(s.cookie_jar)}


# --- status / errors --------------------------------------------------------------------------
for code in (400, 401, 403, 404, 418, 429, 500, 502, 503, 599):
    _reqcase(f"status {code}", "GET", f"/status/{code}")


@case("status 404 custom reason")
async def _c(m, base):
    return await simple(m, base, "GET", "/status/404?reason=Nope%20Here")


@case("status 404 non-ascii reason")
async def _c(m, base):
    return await simple(m, base, "GET", "/status/404?reason=Nicht%20gef%C3%BCnden")


@case("raise_for_status() on 404 (fields/str)")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/status/404?reason=Gone%20Away") as r:
            try:
                r.raise_for_status()
            except Exception as e:
                out = norm_exc(e)
                out["resp.closed after"] = r.closed
                try:
                    out["text after raise"] = await r.text()
                except Exception as e2:
                    out["text after raise"] = norm_exc(e2)
                return out


@case("raise_for_status() after reading body")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/status/500") as r:
            t = await r.text()
            try:
                r.raise_for_status()
            except Exception as e:
                out = norm_exc(e)
                out["text"] = t
                try:
                    out["text again"] = await r.text()
                except Exception as e2:
                    out["text again"] = norm_exc(e2)
                return out


@case("raise_for_status() on 200 returns")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/echo") as r:
            return repr(r.raise_for_status())


@case("session raise_for_status=True 404")
async def _c(m, base):
    return await simple(m, base, "GET", "/status/404", session_kw={"raise_for_status": True})


@case("request raise_for_status=True 503 after redirect")
async def _c(m, base):
    return await simple(m, base, "GET", "/redirect/302?to=/status/503", raise_for_status=True)


@case("raise_for_status callable")
async def _c(m, base):
    async def cb(resp):
        raise RuntimeError(f"cb {resp.status} {await resp.text()}")
    return await simple(m, base, "GET", "/status/404", raise_for_status=cb)


@case("raise_for_status=False on session True")
async def _c(m, base):
    return await simple(m, base, "GET", "/status/404", raise_for_status=False,
                        session_kw={"raise_for_status": True})


@case("ClientResponseError construct/str/repr-fields")
async def _c(m, base):
    ri = m.RequestInfo(URL("http://h/x"), "GET", CIMultiDictProxy(CIMultiDict()), URL("http://h/x#f"))
    e = m.ClientResponseError(ri, (), status=404, message="Not Found")
    e2 = m.ClientResponseError(ri, ())
    return {"e": norm_exc(e), "args": norm(e.args), "e2": norm_exc(e2)}


# --- content / encodings ---------------------------------------------------------------------------
for kind in ("gzip", "deflate", "rawdeflate", "br", "badgzip", "unknown", "upper", "identity"):
    _reqcase(f"Content-Encoding {kind}", "GET", f"/enc/{kind}", read="read")
    _reqcase(f"Content-Encoding {kind} auto_decompress=False", "GET", f"/enc/{kind}", read="read",
             auto_decompress=False)
_reqcase("chunked body", "GET", "/chunked", read="read")
_reqcase("chunked gzip body", "GET", "/chunked?gzip=1", read="read")
_reqcase("close-delimited body", "GET", "/closebody", read="read")
_reqcase("truncated body (Content-Length 100, 5 sent)", "GET", "/truncated", read="read")
_reqcase("big body", "GET", "/big", read=None)


def _ctcase(name, ct, body='{"a": 1}', what=("json",), **jkw):
    @case(name)
    async def _c(m, base):
        params = {"body": body}
        if ct is not None:
            params["ct"] = ct
        out = {}
        async with S(m) as s:
            async with s.get(base + "/ctype", params=params) as r:
                out["content_type"] = r.content_type
                out["charset"] = r.charset
                try:
                    out["get_encoding before read"] = r.get_encoding()
                except Exception as e:
                    out["get_encoding before read"] = norm_exc(e)
                await r.read()
                out["get_encoding"] = r.get_encoding()
                for w in what:
                    try:
                        if w == "json":
                            out["json"] = await r.json(**jkw)
                        else:
                            out["text"] = await r.text(**jkw)
                    except Exception as e:
                        out[w] = norm_exc(e)
        return out


_ctcase("json: application/json", "application/json")
_ctcase("json: application/json; charset=utf-8", "application/json; charset=utf-8")
_ctcase("json: APPLICATION/JSON uppercase", "APPLICATION/JSON")
_ctcase("json: application/vnd.api+json", "application/vnd.api+json")
_ctcase("json: application/jsonp", "application/jsonp")
_ctcase("json: application/x-json-stream", "application/x-json-stream")
_ctcase("json: application/problem+json; charset=x", "application/problem+json; charset=x")
_ctcase("json: text/json", "text/json")
_ctcase("json: text/plain (wrong)", "text/plain")
_ctcase("json: text/plain; charset=utf-8 (wrong, message)", "text/plain; charset=utf-8")
_ctcase("json: text/html uppercase params (wrong)", "Text/HTML; Charset=UTF-8")
_ctcase("json: no content-type", None)
_ctcase("json: empty content-type", "")
_ctcase("json: content_type=None on text/plain", "text/plain", content_type=None)
_ctcase("json: content_type='text/plain' on text/plain", "text/plain", content_type="text/plain")
_ctcase("json: content_type='' on text/plain", "text/plain", content_type="")
_ctcase("json: invalid json body", "application/json", body="{not json")
_ctcase("json: empty body application/json", "application/json", body="")
_ctcase("json: whitespace body text/plain", "text/plain", body="  ")
_ctcase("json: latin-1 charset", "application/json; charset=latin-1", body='{"a": "é"}')
_ctcase("json: bogus charset", "application/json; charset=bogus", body='{"a": 1}')
_ctcase("text: bogus charset", "text/plain; charset=bogus", body="x", what=("text",))
_ctcase("text: quoted charset", 'text/plain; charset="utf-8"', body="x", what=("text",))
_ctcase("text: uppercase charset", "text/plain; charset=UTF-8", body="x", what=("text",))
_ctcase("text: charset=utf8", "text/plain; charset=utf8", body="x", what=("text",))
_ctcase("text: charset=ascii", "text/plain; charset=us-ascii", body="x", what=("text",))
_ctcase("text: application/rdap+json no charset", "application/rdap+json", body="x", what=("text",))
_ctcase("text: application/json no charset", "application/json", body="x", what=("text",))
_ctcase("text: malformed content type", "textplain;;charset", body="x", what=("text",))


def _textcase(name, path, **tkw):
    @case(name)
    async def _c(m, base):
        out = {}
        async with S(m) as s:
            async with s.get(base + path) as r:
                out["content_type"] = r.content_type
                out["charset"] = r.charset
                try:
                    out["get_encoding before read"] = r.get_encoding()
                except Exception as e:
                    out["get_encoding before read"] = norm_exc(e)
                try:
                    out["text"] = await r.text(**tkw)
                except Exception as e:
                    out["text"] = norm_exc(e)
                out["get_encoding"] = r.get_encoding()
        return out


_textcase("text: latin-1 with charset", "/latin1")
_textcase("text: latin-1 charset=iso-8859-1", "/latin1?ct=text/plain;%20charset=iso-8859-1")
_textcase("text: latin-1 without charset", "/latin1?ct=text/plain")
_textcase("text: latin-1 without charset errors=replace", "/latin1?ct=text/plain", errors="replace")
_textcase("text: latin-1 without charset encoding=latin-1", "/latin1?ct=text/plain", encoding="latin-1")
_textcase("text: utf-8 text/html no charset", "/nocharset")
_textcase("text: empty body no content type", "/empty")
_textcase("text: empty body ct json", "/empty?ct=application/json")
_textcase("text: 204", "/204")


# --- response attributes -------------------------------------------------------------------
@case("response attributes /multi")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/multi") as r:
            d = {
                "version": list(r.version), "raw_headers": [h for h in r.raw_headers if h[0].lower() != b"date"],
                "X-Dup getall": r.headers.getall("X-Dup"), "x-dup get": r.headers.get("x-dup"),
                "headers type": type(r.headers).__name__, "content_length": r.content_length,
                "content_disposition": (r.content_disposition and
                                        (r.content_disposition.type, dict(r.content_disposition.parameters),
                                         r.content_disposition.filename)
                                        if not isinstance(r.content_disposition, str) else r.content_disposition),
                "links": {k: {kk: norm(vv) for kk, vv in v.items()} for k, v in r.links.items()},
                "host": r.host, "method": r.method, "closed before read": r.closed,
                "raw_headers type": type(r.raw_headers).__name__,
            }
            await r.read()
            d["closed after read"] = r.closed
            d["connection after read"] = r.connection is None
        d["closed after exit"] = r.closed
        return d


@case("request_info fields")
async def _c(m, base):
    async with S(m) as s:
        async with s.post(base + "/echo?q=1#frag", data=b"abc", headers={"X-A": "1"}) as r:
            ri = r.request_info
            return {"ri": norm(ri), "type": type(ri).__name__, "fields": list(getattr(ri, "_fields", [])),
                    "url": str(r.url), "real_url": str(r.real_url), "len": len(ri)}


@case("request_info after redirect")
async def _c(m, base):
    async with S(m) as s:
        async with s.post(base + "/redirect/303#frag", data=b"abc") as r:
            return {"ri": norm(r.request_info), "hist_ri": [norm(h.request_info) for h in r.history],
                    "url": str(r.url), "real_url": str(r.real_url),
                    "hist": [(str(h.url), str(h.real_url)) for h in r.history]}


@case("resp awaited without async with, then released")
async def _c(m, base):
    async with S(m) as s:
        r = await s.get(base + "/echo")
        t = await r.json()
        r.release()
        return {"status": r.status, "closed": r.closed, "t": t["method"]}


def _content_case(name, fn, path="/lines"):
    @case(name)
    async def _c(m, base):
        async with S(m, read_bufsize=2**16) as s:
            async with s.get(base + path) as r:
                try:
                    return await fn(r)
                except Exception as e:
                    return norm_exc(e)


async def _readlines(r):
    out = []
    while True:
        l = await r.content.readline()
        out.append(l)
        if not l:
            break
    return out


async def _readany(r):
    out = []
    while True:
        c = await r.content.readany()
        out.append(len(c))
        if not c:
            break
    return sum(out), out[-1]


async def _iter_chunked(r):
    return [c async for c in r.content.iter_chunked(7)]


async def _iter_any(r):
    return b"".join([c async for c in r.content.iter_any()])


async def _iter_lines(r):
    return [c async for c in r.content]


async def _read_n(r):
    return [await r.content.read(5), await r.content.read(5), await r.content.read(), await r.content.read(3)]


async def _readexactly(r):
    a = await r.content.readexactly(5)
    try:
        b = await r.content.readexactly(1000)
    except Exception as e:
        b = norm_exc(e) | {"partial": getattr(e, "partial", None), "expected": getattr(e, "expected", None)}
    return [a, b]


async def _readuntil(r):
    return [await r.content.readuntil(b"\r\n"), await r.content.readuntil(b"zz")]


async def _at_eof(r):
    a = r.content.at_eof()
    await r.read()
    return [a, r.content.at_eof(), r.content.is_eof(), await r.content.read(), await r.content.readline()]


async def _read_zero(r):
    return [await r.content.read(0), await r.content.read(-1)]


async def _read_then_content(r):
    b = await r.read()
    return [b, await r.content.read(), await r.read()]


async def _readchunk(r):
    out = []
    while True:
        c = await r.content.readchunk()
        out.append(c)
        if c == (b"", False):
            break
    return b"".join(c[0] for c in out)


async def _unread(r):
    return [await r.content.read(3), r.content.total_bytes if hasattr(r.content, "total_bytes") else None]


async def _release_then_read(r):
    r.release()
    out = {"closed": r.closed}
    for label, fn in {"read": r.read, "text": r.text, "content.read": r.content.read,
                      "readline": r.content.readline, "readany": r.content.readany}.items():
        try:
            out[label] = await fn()
        except Exception as e:
            out[label] = norm_exc(e)
    return out


async def _close_then_read(r):
    r.close()
    out = {"closed": r.closed}
    for label, fn in {"read": r.read, "content.read": r.content.read}.items():
        try:
            out[label] = await fn()
        except Exception as e:
            out[label] = norm_exc(e)
    return out


async def _read_release_read(r):
    b = await r.read()
    r.release()
    out = {"first": b}
    for label, fn in {"read": r.read, "text": r.text, "json": lambda: r.json(content_type=None),
                      "content.read": r.content.read}.items():
        try:
            out[label] = await fn()
        except Exception as e:
            out[label] = norm_exc(e)
    return out


async def _partial_release_read(r):
    a = await r.content.read(3)
    r.release()
    out = {"first": a}
    for label, fn in {"read": r.read, "content.read": r.content.read}.items():
        try:
            out[label] = await fn()
        except Exception as e:
            out[label] = norm_exc(e)
    return out


_content_case("content.readline loop", _readlines)
_content_case("content.readany loop", _readany, path="/big")
_content_case("content.iter_chunked(7)", _iter_chunked)
_content_case("content.iter_any", _iter_any)
_content_case("content async for (lines)", _iter_lines)
_content_case("content.read(n)", _read_n)
_content_case("content.readexactly past end", _readexactly)
_content_case("content.readuntil", _readuntil)
_content_case("content at_eof/is_eof", _at_eof)
_content_case("content.read(0)/read(-1)", _read_zero)
_content_case("read() then content.read()", _read_then_content)
_content_case("content.readchunk loop (chunked)", _readchunk, path="/chunked")
_content_case("content.readline on chunked", _readlines, path="/chunked")
_content_case("release then read", _release_then_read)
_content_case("close then read", _close_then_read)
_content_case("read, release, read again", _read_release_read)
_content_case("partial read, release, read", _partial_release_read)


@case("read after async with exit")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/lines") as r:
            pass
        out = {"closed": r.closed}
        for label, fn in {"read": r.read, "text": r.text}.items():
            try:
                out[label] = await fn()
            except Exception as e:
                out[label] = norm_exc(e)
        return out


@case("readline limit exceeded (big body, read_bufsize=16)")
async def _c(m, base):
    async with S(m, read_bufsize=16) as s:
        async with s.get(base + "/big") as r:
            try:
                l = await r.content.readline()
                return len(l)
            except Exception as e:
                return norm_exc(e)


# --- timeouts -----------------------------------------------------------------------------------
def _tcase(name, path, session_timeout=None, req_timeout=None, read=True):
    @case(name)
    async def _c(m, base):
        kw = {}
        if session_timeout is not None:
            kw["timeout"] = session_timeout(m)
        async with S(m, **kw) as s:
            rkw = {}
            if req_timeout is not None:
                rkw["timeout"] = req_timeout(m)
            try:
                async with s.get(base + path, **rkw) as r:
                    stage = "body"
                    try:
                        return {"status": r.status, "body": await r.read() if read else None}
                    except BaseException as e:
                        return {"stage": "body", **norm_exc(e)}
            except BaseException as e:
                return {"stage": "head", **norm_exc(e)}


_tcase("timeout total=0.3 slow head", "/slow?d=1.5", lambda m: m.ClientTimeout(total=0.3))
_tcase("timeout sock_read=0.3 slow head", "/slow?d=1.5", lambda m: m.ClientTimeout(sock_read=0.3))
_tcase("timeout per-request total=0.3 slow head", "/slow?d=1.5", None, lambda m: m.ClientTimeout(total=0.3))
_tcase("timeout total=0.3 slow body", "/slowbody?d=1.5", lambda m: m.ClientTimeout(total=0.3))
_tcase("timeout sock_read=0.3 slow body", "/slowbody?d=1.5", lambda m: m.ClientTimeout(sock_read=0.3))
_tcase("timeout connect=0.3 slow head (not a connect problem)", "/slow?d=0.6", lambda m: m.ClientTimeout(connect=0.3))
_tcase("timeout float number per request", "/slow?d=0.5", None, lambda m: 0.2)
_tcase("timeout total=None", "/slow?d=0.2", lambda m: m.ClientTimeout(total=None))
_tcase("timeout request None uses session", "/slow?d=1.5", lambda m: m.ClientTimeout(total=0.3), lambda m: None)


@case("ClientTimeout defaults/repr fields")
async def _c(m, base):
    t = m.ClientTimeout()
    d = m.ClientTimeout(total=5)
    s = S(m)
    st = s.timeout
    await s.close()
    return {"ClientTimeout()": [t.total, t.connect, t.sock_read, t.sock_connect, t.ceil_threshold],
            "session default": [st.total, st.connect, st.sock_read, st.sock_connect],
            "eq": t == m.ClientTimeout(), "d": d.total}


@case("timeout exception when reading body in read() with sock_read (class hierarchy)")
async def _c(m, base):
    async with S(m, timeout=m.ClientTimeout(sock_read=0.3)) as s:
        try:
            async with s.get(base + "/slowbody?d=1") as r:
                await r.read()
        except Exception as e:
            return {"isinstance TimeoutError": isinstance(e, TimeoutError),
                    "isinstance asyncio.TimeoutError": isinstance(e, asyncio.TimeoutError),
                    "isinstance ClientError": isinstance(e, m.ClientError),
                    "isinstance ServerTimeoutError": isinstance(e, m.ServerTimeoutError),
                    "isinstance ClientPayloadError": isinstance(e, m.ClientPayloadError),
                    **norm_exc(e)}


# --- connection errors / invalid URLs ----------------------------------------------------------
@case("connection refused")
async def _c(m, base):
    closed = CLOSED_PORT
    async with S(m) as s:
        try:
            await s.get(f"http://127.0.0.1:{closed}/x")
        except Exception as e:
            d = norm_exc(e)
            d["isinstance OSError"] = isinstance(e, OSError)
            d["args_types"] = [type(a).__name__ for a in e.args]
            d["conn_key"] = norm(getattr(e, "_conn_key", None) and tuple(e._conn_key))
            return d


@case("connection refused https")
async def _c(m, base):
    async with S(m) as s:
        try:
            await s.get(f"https://127.0.0.1:{CLOSED_PORT}/x")
        except Exception as e:
            return norm_exc(e)


@case("connection refused ssl=False")
async def _c(m, base):
    async with S(m) as s:
        try:
            await s.get(f"http://127.0.0.1:{CLOSED_PORT}/x", ssl=False)
        except Exception as e:
            return norm_exc(e)


@case("https to plain http server")
async def _c(m, base):
    async with S(m) as s:
        try:
            await s.get(base.replace("http://", "https://") + "/echo")
        except Exception as e:
            d = norm_exc(e)
            d["str"] = d["str"][:60]
            if "os_error" in d:
                d["os_error"]["str"] = d["os_error"]["str"][:40]
            return d


@case("DNS failure .invalid")
async def _c(m, base):
    async with S(m) as s:
        try:
            await s.get("http://nonexistent-host.invalid/x")
        except Exception as e:
            return norm_exc(e)


INVALID = ["no-scheme.example/path", "/relative/path", "", "http:///path", "http://", "http://:80/",
           "http://127.0.0.1:99999/", "http://127.0.0.1:abc/", "http://[::1/", "ftp://example.com/",
           "file:///etc/passwd", "ws://127.0.0.1:1/", "mailto:a@b", "HTTP://127.0.0.1:{port}/echo",
           "http://127.0.0.1:{port}/echo with space", "  http://127.0.0.1:{port}/echo  ",
           "http://127.0.0.1:{port}", "http://user@:80/", "//127.0.0.1:{port}/echo",
           "http://127.0.0.1:-1/", "http://exa mple.com/"]
for u in INVALID:
    @case(f"URL {u!r}")
    async def _c(m, base, u=u):
        port = URL(base).port
        async with S(m) as s:
            try:
                async with s.get(u.format(port=port)) as r:
                    return obs(r, await r.text())
            except Exception as e:
                return norm_exc(e)


@case("URL as yarl.URL encoded=True")
async def _c(m, base):
    return await simple(m, "", "GET", "", ) if False else await (_enc(m, base))


async def _enc(m, base):
    async with S(m) as s:
        async with s.get(URL(base + "/echo/%7Ex%2f", encoded=True)) as r:
            return obs(r, await r.text())


@case("URL non-str/URL type")
async def _c(m, base):
    async with S(m) as s:
        try:
            await s.get(12345)
        except Exception as e:
            return norm_exc(e)


# --- session misc ----------------------------------------------------------------------------------
@case("closed session request")
async def _c(m, base):
    s = S(m)
    async with s:
        pass
    try:
        await s.get(base + "/echo")
    except Exception as e:
        return norm_exc(e) | {"closed": s.closed}


@case("session attributes")
async def _c(m, base):
    async with S(m, headers={"X-H": "1"}, skip_auto_headers=["Accept"]) as s:
        return {"headers": norm(s.headers), "skip": sorted(s.skip_auto_headers),
                "closed": s.closed, "version": list(s.version), "auto_decompress": s.auto_decompress,
                "trust_env": s.trust_env, "raise_for_status": s.raise_for_status,
                "requote": s.requote_redirect_url, "connector_owner": s.connector_owner,
                "headers_type": type(s.headers).__name__, "skip_type": type(s.skip_auto_headers).__name__,
                "cookie_jar_type": type(s.cookie_jar).__name__,
                "json_serialize": s.json_serialize is jsonlib.dumps}


@case("keep-alive reuse: two sequential requests same connection")
async def _c(m, base):
    async with S(m) as s:
        peers = []
        for _ in range(3):
            async with s.get(base + "/echo") as r:
                await r.read()
                peers.append(r.status)
        return {"limit": s.connector.limit, "limit_per_host": s.connector.limit_per_host,
                "statuses": peers}


@case("UA format")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/echo") as r:
            await r.read()
    ua = UA_SEEN.get(m.__name__, "")
    import re
    return re.sub(r"(aiohttp|anyiohttp)/[\w.]+", "LIB/VER", ua)


# --- round 2 -------------------------------------------------------------------------------
def _fd_upload(kind):
    @case(f"upload parsed by aiohttp.web request.post(): {kind}")
    async def _c(m, base):
        path = __file__
        if kind == "FormData BytesIO no filename":
            data = m.FormData()
            data.add_field("f", io.BytesIO(b"filedata"))
        elif kind == "FormData bytes no filename":
            data = m.FormData()
            data.add_field("f", b"rawbytes")
        elif kind == "FormData str field":
            data = m.FormData()
            data.add_field("f", "text")
            data.add_field("g", io.BytesIO(b"x"), filename="g.bin")
        elif kind == "dict with open file":
            data = {"f": open(path, "rb"), "x": "1"}
        elif kind == "FormData open file":
            data = m.FormData()
            data.add_field("f", open(path, "rb"))
        elif kind == "FormData(dict with BytesIO)":
            data = m.FormData({"f": io.BytesIO(b"bio"), "x": "1"})
        elif kind == "dict with BytesIO":
            data = {"f": io.BytesIO(b"bio"), "x": "1"}
        async with S(m) as s:
            async with s.post(base + "/post", data=data) as r:
                j = await r.json()
        for row in j:
            if row[1] == "FILE" and len(row[4]) > 100:
                row[4] = len(row[4])
        return j


for _k in ["FormData BytesIO no filename", "FormData bytes no filename", "FormData str field",
           "dict with open file", "FormData open file", "FormData(dict with BytesIO)", "dict with BytesIO"]:
    _fd_upload(_k)


@case("session cookies= against localhost")
async def _c(m, base):
    port = URL(base).port
    async with S(m, cookies={"s": "1"}) as s:
        async with s.get(f"http://localhost:{port}/echo") as r:
            e = await r.json()
        return {"cookie": [v for k, v in e["headers"] if k.lower() == "cookie"],
                "jar": jar_list(s.cookie_jar)}


@case("jar.update_cookies(dict) without URL then filter_cookies(localhost)")
async def _c(m, base):
    async with S(m) as s:
        s.cookie_jar.update_cookies({"k": "v"})
        return {"len": len(s.cookie_jar),
                "filter": sorted(s.cookie_jar.filter_cookies(URL("http://localhost/")).keys())}


@case("cross-origin redirect: per-request cookies= and Cookie header")
async def _c(m, base):
    port = URL(base).port
    async with S(m) as s:
        async with s.get(base + "/redirect/302", params={"to": f"http://localhost:{port}/echo"},
                         cookies={"secret": "1"}) as r:
            e1 = await r.json()
        async with s.get(base + "/redirect/302", params={"to": f"http://localhost:{port}/echo"},
                         headers={"Cookie": "hdr=1"}) as r:
            e2 = await r.json()
        return {"cookies=": [v for k, v in e1["headers"] if k.lower() == "cookie"],
                "Cookie header": [v for k, v in e2["headers"] if k.lower() == "cookie"]}


@case("cross-origin redirect: Proxy-Authorization header")
async def _c(m, base):
    port = URL(base).port
    async with S(m) as s:
        async with s.get(base + "/redirect/302", params={"to": f"http://localhost:{port}/echo"},
                         headers={"Proxy-Authorization": "Basic eDp5"}) as r:
            e = await r.json()
        return [v for k, v in e["headers"] if k.lower() == "proxy-authorization"]


@case("redirect Location http:/echo/noauth (no authority)")
async def _c(m, base):
    return await simple(m, base, "GET", "/redirect/302", params={"to": "http:/echo/noauth"})


@case("raise_for_status() outside async with, then text()")
async def _c(m, base):
    async with S(m) as s:
        r = await s.get(base + "/status/404")
        try:
            r.raise_for_status()
        except Exception as e:
            out = {"exc": type(e).__name__, "closed": r.closed}
            try:
                out["text"] = await r.text()
            except Exception as e2:
                out["text"] = norm_exc(e2)
            return out


@case("raise_for_status() inside async with; read body in except (common pattern)")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/status/500") as r:
            try:
                r.raise_for_status()
            except m.ClientResponseError:
                try:
                    return {"json": await r.json(content_type=None) if False else None,
                            "text": await r.text()}
                except Exception as e:
                    return norm_exc(e)


@case("await resp.release() (old aiohttp idiom)")
async def _c(m, base):
    async with S(m) as s:
        r = await s.get(base + "/echo")
        await r.read()
        try:
            await r.release()
            return "ok"
        except Exception as e:
            return norm_exc(e)


@case("URL creds + Authorization header")
async def _c(m, base):
    return await simple(m, base.replace("http://", "http://u:p@"), "GET", "/echo",
                        headers={"Authorization": "Bearer z"})


@case("session auth + Authorization header")
async def _c(m, base):
    async with S(m, auth=m.BasicAuth("x", "y")) as s:
        try:
            async with s.get(base + "/echo", headers={"Authorization": "Bearer z"}) as r:
                e = await r.json()
                return [v for k, v in e["headers"] if k.lower() == "authorization"]
        except Exception as e:
            return norm_exc(e)


@case("session auth + session Authorization header")
async def _c(m, base):
    try:
        async with S(m, auth=m.BasicAuth("x", "y"), headers={"Authorization": "Bearer z"}) as s:
            async with s.get(base + "/echo") as r:
                e = await r.json()
                return [v for k, v in e["headers"] if k.lower() == "authorization"]
    except Exception as e:
        return norm_exc(e)


@case("session timeout as number")
async def _c(m, base):
    try:
        async with S(m, timeout=5) as s:
            return "accepted"
    except Exception as e:
        return norm_exc(e)


@case("request timeout=int 1 on fast handler")
async def _c(m, base):
    return await simple(m, base, "GET", "/echo", timeout=1, read=None)


@case("request timeout=None disables session total")
async def _c(m, base):
    return await simple(m, base, "GET", "/slow?d=0.6", timeout=None,
                        session_kw={"timeout": aiohttp.ClientTimeout(total=0.2)}
                        if m is aiohttp else {"timeout": anyiohttp.ClientTimeout(total=0.2)})


@case("session without async with (aiohttp style)")
async def _c(m, base):
    s = S(m)
    try:
        r = await s.get(base + "/echo")
        st = r.status
        r.release()
        return st
    except Exception as e:
        return norm_exc(e)
    finally:
        await s.close()


@case("session kwargs from aiohttp 3.14")
async def _c(m, base):
    out = {}
    for kw in [{"fallback_charset_resolver": lambda r, b: "latin-1"}, {"middlewares": ()},
               {"max_headers": 128}, {"json_serialize_bytes": None}, {"read_timeout": 1},
               {"conn_timeout": 1}, {"ssl_shutdown_timeout": None}, {"max_redirects": 3}]:
        k = next(iter(kw))
        try:
            async with S(m, **kw):
                out[k] = "ok"
        except Exception as e:
            out[k] = type(e).__name__
    return out


@case("request kwargs from aiohttp 3.14")
async def _c(m, base):
    out = {}
    for kw in [{"server_hostname": None}, {"middlewares": ()}, {"read_until_eof": True},
               {"max_line_size": 8190}, {"max_field_size": 8190}, {"max_headers": 128},
               {"trace_request_ctx": None}, {"verify_ssl": None}, {"fingerprint": None},
               {"ssl_context": None}, {"proxy_headers": None}, {"expect100": False}]:
        k = next(iter(kw))
        async with S(m) as s:
            try:
                async with s.get(base + "/echo", **kw) as r:
                    out[k] = r.status
            except Exception as e:
                out[k] = type(e).__name__
    return out


@case("fallback_charset_resolver latin-1 body")
async def _c(m, base):
    try:
        async with S(m, fallback_charset_resolver=lambda r, b: "latin-1") as s:
            async with s.get(base + "/latin1?ct=text/plain") as r:
                return await r.text()
    except Exception as e:
        return norm_exc(e)


@case("resp.json(loads=...) and encoding=")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/ctype", params={"ct": "application/json", "body": '{"a": 1}'}) as r:
            return [await r.json(loads=lambda t: ("custom", t)), await r.json(encoding="ascii")]


@case("response .history / .request_info types")
async def _c(m, base):
    async with S(m) as s:
        async with s.get(base + "/chain/1") as r:
            await r.read()
            return {"history": type(r.history).__name__, "ri": type(r.request_info).__name__,
                    "ri_headers": type(r.request_info.headers).__name__,
                    "hdrs": type(r.headers).__name__, "raw": type(r.raw_headers).__name__,
                    "version": type(r.version).__name__, "cookies": type(r.cookies).__name__}


@case("ClientSession.request with str method 'GET' and data None + json None")
async def _c(m, base):
    return await simple(m, base, "GET", "/echo", data=None, json=None)


@case("redirect 307 POST open file body")
async def _c(m, base):
    f = io.BytesIO(b"abc")
    f.seek(1)
    return await simple(m, base, "POST", "/redirect/307", data=f)


@case("POST BytesIO at non-zero position")
async def _c(m, base):
    f = io.BytesIO(b"abcdef")
    f.seek(3)
    return await simple(m, base, "POST", "/echo", data=f)


@case("POST same bytes payload reused across two requests")
async def _c(m, base):
    async with S(m) as s:
        out = []
        f = io.BytesIO(b"reuse")
        for _ in range(2):
            async with s.post(base + "/echo", data=f) as r:
                out.append((await r.json())["body"])
        return out


# ---------------------------------------------------------------------------------------
# runner
# ---------------------------------------------------------------------------------------


async def run_all(m, base, names):
    results = {}
    for name in names:
        try:
            with anyio.fail_after(10):
                results[name] = norm(await CASES[name](m, base))
        except BaseException as e:  # noqa
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            results[name] = {"RAISED": norm_exc(e)}
    return results


def main():
    global CLOSED_PORT
    verbose = "-v" in sys.argv
    use_trio = "--trio" in sys.argv
    filt = [a for a in sys.argv[1:] if not a.startswith("-")]
    port, CLOSED_PORT = start_server()
    base = f"http://{HOST}:{port}"
    names = [n for n in CASES if not filt or any(f in n for f in filt)]

    a = asyncio.run(run_all(aiohttp, base, names))
    b = anyio.run(run_all, anyiohttp, base, names, backend="asyncio")
    c = anyio.run(run_all, anyiohttp, base, names, backend="trio") if use_trio else None

    ndiff = 0
    for n in names:
        same = a[n] == b[n]
        if not same or verbose:
            ndiff += not same
            print(("DIFF " if not same else "same ") + n)
            print("   aiohttp  :", _short(a[n]))
            print("   anyiohttp:", _short(b[n]))
            if not same and isinstance(a[n], dict) and isinstance(b[n], dict):
                keys = sorted(set(a[n]) | set(b[n]), key=str)
                for k in keys:
                    if a[n].get(k, "<missing>") != b[n].get(k, "<missing>"):
                        print(f"     key {k!r}: aiohttp={_short(a[n].get(k, '<missing>'), 600)}")
                        print(f"     {' ' * (len(repr(k)) + 4)} anyiohttp={_short(b[n].get(k, '<missing>'), 600)}")
        if c is not None and c[n] != b[n]:
            print("TRIO-DIFF " + n)
            print("   asyncio:", _short(b[n]))
            print("   trio   :", _short(c[n]))
    print(f"\n{ndiff} differing cases out of {len(names)}")
    print("UA seen:", UA_SEEN)


def _short(x, n=1500):
    s = repr(x)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


CLOSED_PORT = 1

if __name__ == "__main__":
    main()

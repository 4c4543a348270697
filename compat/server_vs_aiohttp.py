#!/usr/bin/env python
"""Differential test: aiohttp.web vs anyiohttp.web serving the same app.

Usage (from the project root, with .venv active):
    python compat/server_vs_aiohttp.py            # all cases, all targets
    python compat/server_vs_aiohttp.py -k static  # only cases matching 'static'
Targets: aiohttp (asyncio), anyiohttp on asyncio (default parser = httptools when
installed), anyiohttp on asyncio with ANYIOHTTP_PARSER=h11, anyiohttp on trio.
Each server runs in its own subprocess on 127.0.0.1:0; requests are raw bytes.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
"""One application, built against whichever `web` module is passed in."""
import json
import os


def build_app(web, static_dir):
    order_key = "order"

    @web.middleware
    async def mw_outer(request, handler):
        request[order_key] = request.get(order_key, []) + ["outer-in"]
        resp = await handler(request)
        resp.headers.add("X-Order", "outer-out")
        return resp

    @web.middleware
    async def mw_inner(request, handler):
        request[order_key] = request.get(order_key, []) + ["inner-in"]
        resp = await handler(request)
        resp.headers.add("X-Order", "inner-out")
        return resp

    async def on_prepare(request, response):
        response.headers["X-Prepared"] = "1"
        if request.path == "/prep/inspect":
            response.headers["X-Seen"] = ",".join(sorted(k.lower() for k in response.headers if k != "X-Prepared"))
        if request.path == "/prep/server":
            response.headers["Server"] = "Custom"
            response.headers["Date"] = "Custom"
        if request.path == "/prep/noserver":
            response.headers.pop("Server", None)
            response.headers.pop("Date", None)
        if request.path == "/prep/cl":
            response.headers["Content-Length"] = "1"
        if request.path == "/prep/change":
            response.headers["Content-Type"] = "text/x-changed"
            response.set_cookie("prep", "1")

    # ---------------------------------------------------------------- basic
    async def hello(request):
        return web.Response(text="Hello, World!")

    async def order(request):
        return web.Response(text=",".join(request.get(order_key, [])))

    async def prep_change(request):
        return web.Response(text="x")

    # ---------------------------------------------------------------- responses
    resp_table = {
        "text": lambda: web.Response(text="héllo"),
        "body": lambda: web.Response(body=b"bytes"),
        "body-str": lambda: web.Response(body="str body"),
        "body-ct": lambda: web.Response(body=b"x", content_type="application/octet-stream"),
        "text-html": lambda: web.Response(text="<b>x</b>", content_type="text/html"),
        "text-charset": lambda: web.Response(text="é", content_type="text/plain", charset="latin-1"),
        "body-charset": lambda: web.Response(body=b"x", content_type="text/plain", charset="utf-8"),
        "text-json-ct": lambda: web.Response(text="{}", content_type="application/json"),
        "hdr-ct": lambda: web.Response(text="x", headers={"Content-Type": "application/custom"}),
        "hdr-ct-body": lambda: web.Response(body=b"x", headers={"Content-Type": "application/custom"}),
        "empty": lambda: web.Response(),
        "s204": lambda: web.Response(status=204),
        "s204-body": lambda: web.Response(status=204, text="should not be sent"),
        "s304": lambda: web.Response(status=304),
        "s201": lambda: web.Response(status=201, text="created"),
        "reason": lambda: web.Response(status=299, reason="Custom Thing"),
        "s599": lambda: web.Response(status=599),
        "s418": lambda: web.Response(status=418),
        "json": lambda: web.json_response({"a": 1, "b": [1, 2]}),
        "json-dumps": lambda: web.json_response({"a": 1}, dumps=lambda o: json.dumps(o, indent=2)),
        "json-ct": lambda: web.json_response({"a": 1}, content_type="application/vnd.x+json"),
        "json-text": lambda: web.json_response(text='{"t":1}'),
        "json-status": lambda: web.json_response({"e": 1}, status=422),
        "json-none": lambda: web.json_response(None),
        "text-csv": lambda: web.Response(text="x", content_type="text/csv"),
        "custom-hdrs": lambda: web.Response(text="x", headers={"X-A": "1", "Cache-Control": "no-cache"}),
        "conn-close-hdr": lambda: web.Response(text="x", headers={"Connection": "close"}),
        "cl-hdr-wrong": lambda: web.Response(text="abc", headers={"Content-Length": "3"}),
        "te-hdr": lambda: web.Response(text="abc", headers={"Transfer-Encoding": "chunked"}),
    }

    async def resp(request):
        name = request.match_info["name"]
        try:
            return resp_table[name]()
        except KeyError:
            raise web.HTTPNotFound(text="no such resp")

    async def resp_ctor_err(request):
        # content_type with charset inside text= ctor is an error in aiohttp
        return web.Response(text="x", content_type="text/plain; charset=utf-8")

    async def resp_set_props(request):
        r = web.Response(body=b"abc")
        r.content_type = "text/plain"
        r.charset = "koi8-r"
        r.last_modified = 0
        r.etag = "abc"
        r.headers["X-Multi"] = "1"
        r.headers.add("X-Multi", "2")
        return r

    # ---------------------------------------------------------------- redirects / exceptions
    async def found(request):
        raise web.HTTPFound("/target?x=1")

    async def see_other(request):
        raise web.HTTPSeeOther(location="/other")

    async def found_return(request):
        return web.HTTPFound("/ret")  # aiohttp: deprecated but works

    async def moved_text(request):
        raise web.HTTPMovedPermanently("/moved", text="moved here")

    async def found_abs(request):
        raise web.HTTPFound("http://other.example/a b?x=é#frag")

    async def found_url(request):
        from yarl import URL
        raise web.HTTPFound(URL("/y").with_query(q="1 2"))

    async def found_unicode(request):
        raise web.HTTPFound("/ünï cöde")

    exc_table = {
        "default404": lambda: web.HTTPNotFound(),
        "text": lambda: web.HTTPBadRequest(text="bad thing"),
        "body": lambda: web.HTTPForbidden(body=b"nope"),
        "ct": lambda: web.HTTPConflict(text="<b>x</b>", content_type="text/html"),
        "reason": lambda: web.HTTPBadRequest(reason="Very Bad"),
        "hdrs": lambda: web.HTTPUnauthorized(headers={"WWW-Authenticate": "Basic realm=x"}),
        "405": lambda: web.HTTPMethodNotAllowed("POST", ["GET", "PUT"]),
        "204": lambda: web.HTTPNoContent(),
        "304": lambda: web.HTTPNotModified(),
        "500": lambda: web.HTTPInternalServerError(),
        "503": lambda: web.HTTPServiceUnavailable(text="later", headers={"Retry-After": "5"}),
        "413": lambda: web.HTTPRequestEntityTooLarge(max_size=10, actual_size=20),
        "json-ct": lambda: web.HTTPBadRequest(text='{"e":1}', content_type="application/json"),
        "body-ct": lambda: web.HTTPBadRequest(body=b"raw", content_type="application/x-raw"),
        "409": lambda: web.HTTPConflict(),
        "451": lambda: web.HTTPUnavailableForLegalReasons("http://l.example"),
    }

    async def exc(request):
        raise exc_table[request.match_info["name"]]()

    async def plain_exc(request):
        raise ValueError("boom secret")

    async def exc_after_prepare(request):
        r = web.StreamResponse()
        await r.prepare(request)
        await r.write(b"part")
        raise ValueError("late boom")

    async def return_none(request):
        return None

    async def return_str(request):
        return "a string"

    # ---------------------------------------------------------------- cookies
    async def cookie(request):
        r = web.Response(text="c")
        r.set_cookie("plain", "v")
        r.set_cookie(
            "full", "val ue;x",
            expires="Wed, 21 Oct 2031 07:28:00 GMT", domain="example.com", max_age=3600,
            path="/p", secure=True, httponly=True, version="1", samesite="Lax",
        )
        r.set_cookie("quoted", '"q"')
        r.set_cookie("maxage0", "x", max_age=0)
        r.set_cookie("strict", "x", samesite="Strict", secure=False, httponly=False)
        r.del_cookie("gone")
        r.del_cookie("gone2", domain="example.com", path="/p")
        return r

    async def cookie_read(request):
        return web.json_response(dict(request.cookies))

    # ---------------------------------------------------------------- streaming
    async def stream(request):
        r = web.StreamResponse()
        r.content_type = "text/plain"
        await r.prepare(request)
        for i in range(3):
            await r.write(f"chunk{i};".encode())
        await r.write_eof()
        return r

    async def stream_cl(request):
        r = web.StreamResponse()
        r.content_length = 6
        await r.prepare(request)
        await r.write(b"abc")
        await r.write(b"def")
        return r

    async def stream_noct(request):
        r = web.StreamResponse(status=202, reason="Streamy")
        await r.prepare(request)
        await r.write(b"x")
        return r

    async def stream_compress(request):
        r = web.StreamResponse()
        r.content_type = "text/plain"
        r.enable_compression()
        await r.prepare(request)
        for i in range(3):
            await r.write(b"compress me " * 50)
        return r

    async def resp_compress(request):
        r = web.Response(text="compress me " * 100)
        r.enable_compression()
        return r

    async def resp_compress_force(request):
        r = web.Response(text="compress me " * 100)
        r.enable_compression(web.ContentCoding.gzip)
        return r

    async def resp_chunked(request):
        r = web.Response(text="chunky")
        r.enable_chunked_encoding()
        return r

    async def force_close(request):
        r = web.Response(text="fc")
        r.force_close()
        return r

    def sync_handler(request):
        return web.Response(text="sync")

    class MyView(web.View):
        async def get(self):
            return web.Response(text="view get")

        async def post(self):
            return web.Response(text="view post")

    async def resp_validators(request):
        import datetime
        r = web.Response(text="v")
        r.last_modified = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        r.etag = web.__name__ and "weak-one"
        r.headers["ETag"] = 'W/"weak-one"'
        return r

    async def stream_empty(request):
        r = web.StreamResponse()
        await r.prepare(request)
        return r

    # ---------------------------------------------------------------- request props
    def props(request):
        out = {}

        def norm(v):
            if v is None or isinstance(v, (bool, int, float, str)):
                return v
            if isinstance(v, bytes):
                return v.decode("latin-1")
            if hasattr(v, "items") and hasattr(v, "getall"):
                return [[k, norm(x)] for k, x in v.items()]
            if isinstance(v, (list, tuple)):
                return [norm(x) for x in v]
            if isinstance(v, dict):
                return {k: norm(x) for k, x in v.items()}
            return str(v)

        for name in [
            "method", "version", "path", "path_qs", "raw_path", "query_string", "query",
            "rel_url", "url", "host", "scheme", "secure", "remote", "forwarded",
            "headers", "raw_headers", "keep_alive", "content_type", "charset",
            "content_length", "has_body", "can_read_body", "body_exists", "cookies",
            "if_modified_since", "if_unmodified_since", "if_range", "http_range",
            "match_info", "if_match", "if_none_match",
        ]:
            try:
                v = getattr(request, name)
                if name == "http_range":
                    v = (v.start, v.stop, v.step)
                elif name == "match_info":
                    v = dict(v)
                elif name == "version":
                    v = tuple(v)
                elif name in ("if_match", "if_none_match") and v is not None:
                    v = [(e.value, e.is_weak) for e in v]
                out[name] = norm(v)
            except Exception as e:
                out[name] = f"EXC {type(e).__name__}: {e}"
        try:
            out["getall_x_rep"] = request.headers.getall("X-Rep")
        except Exception as e:
            out["getall_x_rep"] = f"EXC {type(e).__name__}: {e}"
        return out

    async def echo(request):
        return web.json_response(props(request))

    # ---------------------------------------------------------------- bodies
    async def post(request):
        try:
            data = await request.post()
        except web.HTTPException:
            raise
        out = []
        for k, v in data.items():
            if hasattr(v, "file"):
                out.append([k, {"filename": v.filename, "content_type": v.content_type,
                                "content": v.file.read().decode("latin-1"),
                                "headers": sorted((a.lower(), b) for a, b in v.headers.items())}])
            else:
                out.append([k, v])
        return web.json_response(out)

    async def json_in(request):
        data = await request.json()
        return web.json_response({"got": data})

    async def read(request):
        data = await request.read()
        return web.Response(text=f"len={len(data)}")

    async def text_in(request):
        data = await request.text()
        return web.Response(text=f"text={data!s}")

    async def noread(request):
        return web.Response(text="did not read")

    async def expect_read(request):
        data = await request.read()
        return web.Response(text=f"got {len(data)}")

    # ---------------------------------------------------------------- routing
    async def mi(request):
        return web.json_response(dict(request.match_info))

    async def url_for(request):
        r = request.app.router
        out = {}
        cases = {
            "named": lambda: r["named"].url_for(),
            "dyn": lambda: r["dyn"].url_for(name="a b/c"),
            "dyn_q": lambda: r["dyn"].url_for(name="x").with_query({"q": "1 2"}),
            "num": lambda: r["num"].url_for(id="12"),
            "tail": lambda: r["tail"].url_for(tail="a/b c"),
            "static": lambda: r["static"].url_for(filename="a.txt"),
            "static_sub": lambda: r["static"].url_for(filename="sub/b.html"),
            "named_missing_param": lambda: r["dyn"].url_for(),
        }
        for k, f in cases.items():
            try:
                out[k] = str(f())
            except Exception as e:
                out[k] = f"EXC {type(e).__name__}"
        return web.json_response(out)

    async def slash_handler(request):
        return web.Response(text="slash:" + request.path)

    # ---------------------------------------------------------------- view / any
    async def any_handler(request):
        return web.Response(text="any:" + request.method)

    # ---------------------------------------------------------------- subapp with a renamed middleware arg
    async def sub_ok(request):
        return web.Response(text=",".join(request.get(order_key, [])))

    @web.middleware
    async def mw_sub(request, handler):
        request[order_key] = request.get(order_key, []) + ["sub-in"]
        return await handler(request)

    sub = web.Application(middlewares=[mw_sub])
    sub.router.add_get("/ok", sub_ok)

    @web.middleware
    async def mw_renamed(request, nxt):
        return await nxt(request)

    sub2 = web.Application(middlewares=[mw_renamed])
    sub2.router.add_get("/ok", sub_ok)

    # ---------------------------------------------------------------- app
    norm_mw = web.normalize_path_middleware(append_slash=True, merge_slashes=True)
    app = web.Application(middlewares=[mw_outer, mw_inner, norm_mw], client_max_size=2048)
    app.on_response_prepare.append(on_prepare)
    add = app.router
    add.add_get("/hello", hello, name="named")
    add.add_get("/order", order)
    add.add_get("/prep/change", prep_change)
    add.add_get("/prep/inspect", prep_change)
    add.add_get("/prep/server", prep_change)
    add.add_get("/prep/noserver", prep_change)
    add.add_get("/prep/cl", prep_change)
    add.add_get("/prep/stream-inspect", stream)
    add.add_get("/resp/{name}", resp)
    add.add_get("/resp-ctor-err", resp_ctor_err)
    add.add_get("/resp-set-props", resp_set_props)
    add.add_get("/found", found)
    add.add_get("/seeother", see_other)
    add.add_get("/found-return", found_return)
    add.add_get("/moved-text", moved_text)
    add.add_get("/found-unicode", found_unicode)
    add.add_get("/found-abs", found_abs)
    add.add_get("/found-url", found_url)
    add.add_get("/exc/{name}", exc)
    add.add_get("/plain-exc", plain_exc)
    add.add_get("/exc-after-prepare", exc_after_prepare)
    add.add_get("/return-none", return_none)
    add.add_get("/return-str", return_str)
    add.add_get("/cookie", cookie)
    add.add_get("/cookie-read", cookie_read)
    add.add_get("/stream", stream)
    add.add_get("/stream-cl", stream_cl)
    add.add_get("/stream-noct", stream_noct)
    add.add_get("/stream-compress", stream_compress)
    add.add_get("/resp-compress", resp_compress)
    add.add_get("/resp-compress-force", resp_compress_force)
    add.add_get("/stream-empty", stream_empty)
    add.add_get("/resp-chunked", resp_chunked)
    add.add_get("/force-close", force_close)
    add.add_get("/resp-validators", resp_validators)
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            add.add_get("/sync", sync_handler)
    except Exception as e:
        print("sync handler rejected:", e, file=sys.stderr)
    add.add_view("/view", MyView)
    add.add_route("*", "/echo", echo)
    add.add_post("/post", post)
    add.add_post("/json", json_in)
    add.add_post("/read", read)
    add.add_post("/text", text_in)
    add.add_post("/noread", noread)
    add.add_post("/expect", expect_read)
    add.add_get("/m/{name}", mi, name="dyn")
    add.add_get("/n/{id:\\d+}", mi, name="num")
    add.add_get("/t/{tail:.*}", mi, name="tail")
    add.add_get("/x/{a}-{b}.json", mi)
    add.add_get("/url-for", url_for)
    add.add_get("/slash/", slash_handler)
    add.add_get("/noslash", slash_handler)
    add.add_post("/only-post", hello)
    add.add_route("GET", "/multi", hello)
    add.add_route("PUT", "/multi", hello)
    add.add_route("*", "/any", any_handler)
    add.add_static("/static", static_dir, name="static")
    add.add_static("/sindex", static_dir, show_index=True)
    app.add_subapp("/sub/", sub)
    app.add_subapp("/sub2/", sub2)
    return app


def make_static_dir(path):
    os.makedirs(os.path.join(path, "sub"), exist_ok=True)
    with open(os.path.join(path, "a.txt"), "wb") as f:
        f.write(b"0123456789abcdefghij")
    with open(os.path.join(path, "sub", "b.html"), "wb") as f:
        f.write(b"<p>b</p>")
    with open(os.path.join(path, "data.json"), "wb") as f:
        f.write(b"{}")
    with open(os.path.join(path, "noext"), "wb") as f:
        f.write(b"noext")
    with open(os.path.join(path, "x.unknownext"), "wb") as f:
        f.write(b"u")
    with open(os.path.join(path, "arch.tar.gz"), "wb") as f:
        f.write(b"\x1f\x8bfake")
    import gzip
    with open(os.path.join(path, "z.txt"), "wb") as f:
        f.write(b"plain z " * 10)
    with open(os.path.join(path, "z.txt.gz"), "wb") as f:
        f.write(gzip.compress(b"plain z " * 10))
    with open(os.path.join(path, "sp ace.txt"), "wb") as f:
        f.write(b"space")
    os.utime(os.path.join(path, "a.txt"), (1_600_000_000, 1_600_000_000))
    with open(os.path.join(path, "frac.txt"), "wb") as f:
        f.write(b"fractional mtime")
    os.utime(os.path.join(path, "frac.txt"), (1_600_000_000.5, 1_600_000_000.5))

# ====================================================================== servers
def serve_aiohttp(static_dir):
    import asyncio
    from aiohttp import web

    async def main():
        app = build_app(web, static_dir)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def serve_anyiohttp(static_dir, backend):
    import anyio
    from anyiohttp import web

    async def main():
        app = build_app(web, static_dir)
        async with web.AppRunner(app, access_log=None) as runner:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            print(runner.addresses[0][1], flush=True)
            await anyio.sleep_forever()

    anyio.run(main, backend=backend)


TARGETS = {
    # name: (argv kind, extra env)
    "aiohttp": ("aiohttp", {}),
    "anyio/asyncio": ("anyio-asyncio", {}),  # default parser (httptools when installed)
    "anyio/asyncio/h11": ("anyio-asyncio", {"ANYIOHTTP_PARSER": "h11"}),
    "anyio/trio": ("anyio-trio", {}),
}


def start_servers(static_dir, only=None):
    procs, ports = {}, {}
    for name, (kind, env) in TARGETS.items():
        if only and name not in only and name != "aiohttp":
            continue
        e = dict(os.environ, **env)
        errf = open(os.path.join(OUT, f"stderr-{kind}{'-h11' if env else ''}.log"), "w")
        p = subprocess.Popen([sys.executable, __file__, "serve", kind, static_dir],
                             stdout=subprocess.PIPE, stderr=errf, env=e, text=True)
        procs[name] = p
    for name, p in procs.items():
        line = p.stdout.readline()
        if not line:
            raise SystemExit(f"{name} failed to start, see {OUT}/stderr-*.log")
        ports[name] = int(line)
    return procs, ports


# ====================================================================== raw client
class Resp:
    def __init__(self):
        self.status_line = None
        self.headers = []
        self.body = b""
        self.framing = None


def _parse(buf, head):
    """Parse as many responses as are complete. Returns (responses, rest, incomplete_tail)."""
    out = []
    while buf:
        i = buf.find(b"\r\n\r\n")
        if i < 0:
            return out, buf, True
        head_bytes = buf[:i].decode("latin-1")
        lines = head_bytes.split("\r\n")
        r = Resp()
        r.status_line = lines[0]
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            r.headers.append((k, v.strip()))
        rest = buf[i + 4:]
        try:
            code = int(r.status_line.split(" ")[1])
        except Exception:
            code = 0
        hd = {k.lower(): v for k, v in r.headers}
        if 100 <= code < 200 or code in (204, 304) or head:
            r.framing = "none"
            out.append(r)
            buf = rest
            continue
        if "chunked" in hd.get("transfer-encoding", "").lower():
            body, pos, sizes = b"", 0, []
            while True:
                j = rest.find(b"\r\n", pos)
                if j < 0:
                    return out, buf, True
                try:
                    size = int(rest[pos:j].split(b";")[0], 16)
                except ValueError:
                    r.framing = "BAD-CHUNK"
                    r.body = rest
                    out.append(r)
                    return out, b"", False
                sizes.append(size)
                if size == 0:
                    k = rest.find(b"\r\n\r\n", j)
                    if k < 0:
                        if rest[j:j + 4] == b"\r\n\r\n":
                            k = j
                        else:
                            return out, buf, True
                    pos = k + 4
                    break
                if len(rest) < j + 2 + size + 2:
                    return out, buf, True
                body += rest[j + 2:j + 2 + size]
                pos = j + 2 + size + 2
            r.body = body
            r.framing = f"chunked({len(sizes)} chunks)"
            out.append(r)
            buf = rest[pos:]
            continue
        if "content-length" in hd:
            n = int(hd["content-length"])
            if len(rest) < n:
                return out, buf, True
            r.body = rest[:n]
            r.framing = "content-length"
            out.append(r)
            buf = rest[n:]
            continue
        # read until close
        r.body = rest
        r.framing = "until-close"
        out.append(r)
        return out, b"", "until-close"
    return out, b"", False


def exchange(port, steps, head=False, n_final=1, total_timeout=4.0):
    """steps: bytes to send, or ('wait', seconds) to pause and snapshot what arrived."""
    s = socket.create_connection(("127.0.0.1", port))
    buf = b""
    snaps = []
    closed = None
    err = None

    def recv_for(t):
        nonlocal buf, closed
        end = time.monotonic() + t
        while closed is None:
            rem = end - time.monotonic()
            if rem <= 0:
                return
            s.settimeout(rem)
            try:
                d = s.recv(65536)
            except socket.timeout:
                return
            except ConnectionResetError:
                closed = "reset"
                return
            if not d:
                closed = "closed"
                return
            buf += d

    for st in steps:
        if isinstance(st, tuple):
            recv_for(st[1])
            snaps.append(buf)
        else:
            try:
                s.sendall(st)
            except (BrokenPipeError, ConnectionResetError) as e:
                err = f"send failed: {type(e).__name__}"
                break
    end = time.monotonic() + total_timeout
    while time.monotonic() < end and closed is None:
        resps, rest, inc = _parse(buf, head)
        finals = [r for r in resps if not r.status_line.split(" ")[1:2] == ["100"]
                  and not (len(r.status_line.split(" ")) > 1 and r.status_line.split(" ")[1].startswith("1"))]
        if len(finals) >= n_final and not inc:
            recv_for(0.4)  # does the server close?
            break
        recv_for(0.2)
    s.close()
    resps, rest, inc = _parse(buf, head)
    return {"resps": resps, "leftover": rest, "incomplete": inc, "conn": closed or "open",
            "snaps": snaps, "err": err, "raw": buf}


# ====================================================================== request builders
def req(method, path, headers=(), body=b"", version="HTTP/1.1", host="example.com:8080",
        cl=True):
    lines = [f"{method} {path} {version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    for k, v in headers:
        lines.append(f"{k}: {v}")
    if body and cl and not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def httpx_encode(method, path, **kw):
    """Let httpx build the body (multipart etc.); returns raw bytes of the request."""
    import httpx
    r = httpx.Request(method, "http://example.com:8080" + path, **kw)
    body = r.read()
    lines = [f"{method} {path} HTTP/1.1"]
    for k, v in r.headers.raw:
        k = k.decode()
        if k.lower() in ("accept-encoding", "user-agent", "accept", "connection"):
            continue
        lines.append(f"{k}: {v.decode('latin-1')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

# ====================================================================== cases
def build_cases():
    C = []  # (name, steps, opts)

    def add(name, *steps, **opts):
        C.append((name, list(steps), opts))

    # --- routing defaults
    add("404 default", req("GET", "/nope"))
    add("405 with Allow (POST-only route, GET)", req("GET", "/only-post"))
    add("405 multi-method route (POST on GET+PUT)", req("POST", "/multi", body=b"x"))
    add("HEAD on GET route", req("HEAD", "/hello"), head=True)
    add("HEAD on json route", req("HEAD", "/resp/json"), head=True)
    add("HEAD on stream route", req("HEAD", "/stream"), head=True)
    add("HEAD on 404", req("HEAD", "/nope"), head=True)
    add("OPTIONS on GET route", req("OPTIONS", "/hello"))
    add("OPTIONS on * route", req("OPTIONS", "/any"))
    add("OPTIONS * (asterisk form)", req("OPTIONS", "*"))
    add("custom method FOO on * route", req("FOO", "/any"))
    add("lowercase method 'get'", req("get", "/hello"))
    add("hello", req("GET", "/hello"))
    add("middleware order", req("GET", "/order"))
    add("on_response_prepare changes CT + cookie", req("GET", "/prep/change"))
    for n in ["inspect", "server", "noserver", "cl"]:
        add(f"on_response_prepare {n}", req("GET", f"/prep/{n}"))
    add("subapp middleware order", req("GET", "/sub/ok"))
    add("subapp prefix without slash", req("GET", "/sub"))
    add("subapp middleware with param not named handler", req("GET", "/sub2/ok"))

    # --- normalize_path_middleware
    add("append_slash redirect", req("GET", "/slash"))
    add("append_slash redirect keeps query", req("GET", "/slash?x=1&y=%20"))
    add("append_slash on POST", req("POST", "/slash", body=b"x"))
    add("merge_slashes //hello", req("GET", "//hello"))
    add("merge_slashes /slash//", req("GET", "/slash//"))
    add("no remove_slash /noslash/", req("GET", "/noslash/"))
    add("already ok /slash/", req("GET", "/slash/"))

    # --- match_info / url_for
    add("match {name}", req("GET", "/m/abc"))
    add("match {name} percent space", req("GET", "/m/a%20b"))
    add("match {name} encoded slash %2F", req("GET", "/m/a%2Fb"))
    add("match {name} utf8 pct", req("GET", "/m/caf%C3%A9"))
    add("match {name} raw utf8 bytes", req("GET", "/m/caf\u00c3\u00a9"))
    add("match {id:\\d+} ok", req("GET", "/n/123"))
    add("match {id:\\d+} no", req("GET", "/n/abc"))
    add("match {tail:.*} empty", req("GET", "/t/"))
    add("match {tail:.*} deep + pct", req("GET", "/t/a/b%20c/%2Fd?q=1"))
    add("match {a}-{b}.json", req("GET", "/x/foo-bar.json"))
    add("match dot segments /t/a/../b", req("GET", "/t/a/../b"))
    add("url_for", req("GET", "/url-for"))

    # --- redirects / HTTPException
    add("HTTPFound raised", req("GET", "/found"))
    add("HTTPSeeOther raised", req("GET", "/seeother"))
    add("HTTPFound returned", req("GET", "/found-return"))
    add("HTTPMovedPermanently text=", req("GET", "/moved-text"))
    add("HTTPFound unicode location", req("GET", "/found-unicode"))
    add("HTTPFound absolute url w/ space+unicode", req("GET", "/found-abs"))
    add("HTTPFound yarl URL", req("GET", "/found-url"))
    for n in ["default404", "text", "body", "ct", "reason", "hdrs", "405", "204", "304", "500",
              "503", "413", "json-ct", "body-ct", "409", "451"]:
        add(f"HTTPException {n}", req("GET", f"/exc/{n}"))
    add("plain Exception -> 500", req("GET", "/plain-exc"))
    add("plain Exception then keepalive", req("GET", "/plain-exc") + req("GET", "/hello"), n_final=2)
    add("Exception after prepare", req("GET", "/exc-after-prepare"))
    add("handler returns None", req("GET", "/return-none"))
    add("handler returns str", req("GET", "/return-str"))

    # --- responses
    for n in ["text", "body", "body-str", "body-ct", "text-html", "text-charset", "body-charset",
              "text-json-ct", "hdr-ct", "hdr-ct-body", "empty", "s204", "s204-body", "s304", "s201",
              "reason", "s599", "s418", "json", "json-dumps", "json-ct", "json-text", "json-status",
              "json-none", "text-csv", "custom-hdrs", "conn-close-hdr", "cl-hdr-wrong", "te-hdr"]:
        add(f"Response {n}", req("GET", f"/resp/{n}"))
    add("Response text= with charset in content_type", req("GET", "/resp-ctor-err"))
    add("Response props set after ctor", req("GET", "/resp-set-props"))

    # --- cookies
    add("set_cookie / del_cookie", req("GET", "/cookie"))
    for i, ck in enumerate(['a=1; b="x y"', "a=1; c=%20", "a=1; bad cookie=2", "a=1; d=", "a=1; e={\"j\":1}",
                            "a=1; f=x y", "a=1; g=é", "a=1;b=2", "a=1; a=2", "a=1; $Version=1; path=/",
                            "a=1; secure; b=2", "a=1; h=[x]", "a=1; i=x,y", "a=1; k=\\x"]):
        add(f"request.cookies #{i}: {ck}", req("GET", "/cookie-read", [("Cookie", ck)]))
    add("request.cookies two Cookie headers", req("GET", "/cookie-read", [("Cookie", "a=1"), ("Cookie", "b=2")]))
    add("request.cookies", req("GET", "/cookie-read", [("Cookie", 'a=1; b="x y"; c=%20; bad cookie=2; d=')]))

    # --- streaming / compression
    add("StreamResponse chunked", req("GET", "/stream"))
    add("StreamResponse content_length", req("GET", "/stream-cl"))
    add("StreamResponse no CT, custom reason", req("GET", "/stream-noct"))
    add("StreamResponse empty", req("GET", "/stream-empty"))
    add("Response enable_chunked_encoding", req("GET", "/resp-chunked"))
    add("Response enable_chunked_encoding HTTP/1.0", req("GET", "/resp-chunked", version="HTTP/1.0"))
    add("force_close", req("GET", "/force-close"))
    add("last_modified datetime + weak etag", req("GET", "/resp-validators"))
    add("sync (non-async) handler", req("GET", "/sync"))
    add("View GET", req("GET", "/view"))
    add("View DELETE (405)", req("DELETE", "/view"))
    add("stream enable_compression gzip", req("GET", "/stream-compress", [("Accept-Encoding", "gzip, deflate")]))
    add("stream enable_compression none accepted", req("GET", "/stream-compress"))
    add("Response enable_compression deflate", req("GET", "/resp-compress", [("Accept-Encoding", "deflate")]))
    add("Response enable_compression br,gzip", req("GET", "/resp-compress", [("Accept-Encoding", "br, gzip")]))
    add("Response enable_compression forced gzip no AE", req("GET", "/resp-compress-force"))
    add("HTTP/1.0 stream (no chunked allowed)", req("GET", "/stream", version="HTTP/1.0"))
    add("HTTP/1.0 keep-alive stream", req("GET", "/stream", [("Connection", "keep-alive")], version="HTTP/1.0"))

    # --- request properties
    echo_hdrs = [("X-Rep", "one"), ("X-Rep", "two"), ("X-Forwarded-For", "1.2.3.4"),
                 ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "fwd.example"),
                 ("Forwarded", 'for=5.6.7.8;proto=https;host="h.example", for=9.9.9.9'),
                 ("Cookie", "a=1; b=2"), ("If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT"),
                 ("Range", "bytes=5-9"), ("If-None-Match", 'W/"x", "y"'), ("Content-Type", "text/plain; charset=latin-1"),
                 ("mixed-Case-Header", "v"), ("X-Empty", ""), ("X-Spaces", "  padded  ")]
    add("request props (GET, query, pct, repeated hdrs, XFF)",
        req("GET", "/echo?a=1&a=2&b=%20x&c=caf%C3%A9&d=+&e&f=%2F&g=a+b", echo_hdrs))
    add("request props POST body", req("POST", "/echo?x", [("Content-Type", "application/json")], body=b"{}"))
    add("request props chunked body", req("POST", "/echo", [("Transfer-Encoding", "chunked")], body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("request props HTTP/1.0 no Host", req("GET", "/echo", version="HTTP/1.0", host=None))
    add("request props Host without port", req("GET", "/echo", host="example.com"))
    add("request props absolute-form URI", req("GET", "http://abs.example:81/echo?q=1"))
    add("request props pct-encoded path", req("GET", "/echo%3Fnot-query?real=1"))
    add("request props fragment in target", req("GET", "/echo?a=1#frag"))
    add("request props IPv6 Host", req("GET", "/echo", host="[::1]:8080"))
    add("request props bad If-Modified-Since/Range", req("GET", "/echo", [("If-Modified-Since", "garbage"), ("Range", "items=1-2")]))
    add("request props HEAD", req("HEAD", "/echo"), head=True)

    # --- bodies
    add("post() urlencoded", req("POST", "/post", [("Content-Type", "application/x-www-form-urlencoded")],
                                 body=b"a=1&a=2&b=%C3%A9+x&c=&d"))
    add("post() urlencoded latin-1 charset", req("POST", "/post", [("Content-Type", "application/x-www-form-urlencoded; charset=latin-1")],
                                                 body=b"b=%E9"))
    add("post() multipart (httpx)", httpx_encode("POST", "/post", data={"f": "v", "g": "é"},
                                                 files={"up": ("fïle name.txt", b"filecontent", "text/x-custom")}))
    add("post() multipart file without CT", httpx_encode("POST", "/post", files={"up": ("a.bin", b"\x00\x01")}))
    add("post() text/plain body", req("POST", "/post", [("Content-Type", "text/plain")], body=b"a=1"))
    add("post() no content-type", req("POST", "/post", body=b"a=1"))
    add("post() multipart malformed", req("POST", "/post", [("Content-Type", "multipart/form-data; boundary=XX")],
                                          body=b"garbage without boundary"))
    add("post() multipart no boundary", req("POST", "/post", [("Content-Type", "multipart/form-data")], body=b"x"))
    add("json() bad JSON", req("POST", "/json", [("Content-Type", "application/json")], body=b"{bad"))
    add("json() empty body", req("POST", "/json", [("Content-Type", "application/json")]))
    add("json() wrong content-type", req("POST", "/json", [("Content-Type", "text/plain")], body=b"[1]"))
    add("json() ok", req("POST", "/json", [("Content-Type", "application/json")], body=b'{"a":[1]}'))
    add("text() latin-1", req("POST", "/text", [("Content-Type", "text/plain; charset=latin-1")], body=b"\xe9"))
    add("text() bad utf-8", req("POST", "/text", [("Content-Type", "text/plain")], body=b"\xff\xfe"))
    add("text() unknown charset", req("POST", "/text", [("Content-Type", "text/plain; charset=nope")], body=b"x"))
    add("client_max_size exceeded read()", req("POST", "/read", body=b"x" * 3000))
    add("client_max_size exceeded read() then keepalive", req("POST", "/read", body=b"x" * 3000) + req("GET", "/hello"), n_final=2)
    add("client_max_size exceeded chunked", req("POST", "/read", [("Transfer-Encoding", "chunked")],
                                                body=b"bb8\r\n" + b"x" * 3000 + b"\r\n0\r\n\r\n"))
    add("client_max_size exceeded post()", req("POST", "/post", [("Content-Type", "application/x-www-form-urlencoded")],
                                               body=b"a=" + b"x" * 3000))
    add("client_max_size exceeded multipart", httpx_encode("POST", "/post", files={"up": ("a", b"x" * 3000)}))
    add("client_max_size exactly 2048", req("POST", "/read", body=b"x" * 2048))
    add("body unread + pipelined", req("POST", "/noread", body=b"0123456789") + req("GET", "/hello"), n_final=2)
    add("big body unread (no Expect)", req("POST", "/noread", body=b"x" * 100000))
    add("GET with body", req("GET", "/hello", body=b"abc"))

    # --- Expect
    add("Expect 100-continue, handler reads",
        req("POST", "/expect", [("Expect", "100-continue"), ("Content-Length", "5")]), ("wait", 0.5), b"hello")
    add("Expect 100-continue, handler does not read",
        req("POST", "/noread", [("Expect", "100-continue"), ("Content-Length", "5")]), ("wait", 0.5), b"hello")
    add("Expect 100-continue over client_max_size",
        req("POST", "/read", [("Expect", "100-continue"), ("Content-Length", "5000")]), ("wait", 0.5), b"x" * 5000)
    add("Expect 100-continue on 404",
        req("POST", "/nope", [("Expect", "100-continue"), ("Content-Length", "5")]), ("wait", 0.5), b"hello")
    add("Expect: unknown", req("POST", "/read", [("Expect", "something")], body=b"x"))
    add("Expect 100-continue HTTP/1.0",
        req("POST", "/expect", [("Expect", "100-continue"), ("Content-Length", "5")], version="HTTP/1.0"), ("wait", 0.5), b"hello")

    # --- keep-alive / versions
    add("HTTP/1.0 no keep-alive", req("GET", "/hello", version="HTTP/1.0"))
    add("HTTP/1.0 keep-alive", req("GET", "/hello", [("Connection", "keep-alive")], version="HTTP/1.0"))
    add("HTTP/1.0 keep-alive 404", req("GET", "/nope", [("Connection", "keep-alive")], version="HTTP/1.0"))
    add("HTTP/1.1 Connection: close", req("GET", "/hello", [("Connection", "close")]))
    add("HTTP/1.1 Connection: Close, Upgrade mixed", req("GET", "/hello", [("Connection", "Keep-Alive, CLOSE")]))
    add("HTTP/1.1 keep-alive after 404", req("GET", "/nope") + req("GET", "/hello"), n_final=2)
    add("HTTP/1.1 keep-alive after 405", req("GET", "/only-post") + req("GET", "/hello"), n_final=2)
    add("pipelined 3", req("GET", "/hello") + req("GET", "/resp/json") + req("GET", "/stream"), n_final=3)
    add("HTTP/1.1 no Host", req("GET", "/hello", host=None))
    add("HTTP/1.1 two Host headers", req("GET", "/echo", [("Host", "other.example")]))
    add("HTTP/2.0 version", req("GET", "/hello", version="HTTP/2.0"))
    add("HTTP/1.2 version", req("GET", "/hello", version="HTTP/1.2"))
    add("HTTP/0.9 style", b"GET /hello\r\n\r\n")
    add("Upgrade h2c on plain route", req("GET", "/hello", [("Connection", "Upgrade, HTTP2-Settings"), ("Upgrade", "h2c"), ("HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA")]))
    add("Upgrade websocket on plain route", req("GET", "/hello", [("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]))
    add("PRI * HTTP/2.0 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    add("CONNECT authority-form", req("CONNECT", "example.com:443"))

    # --- malformed
    add("bad request line GARBAGE", b"GARBAGE\r\n\r\n")
    add("request line extra token", b"GET /hello HTTP/1.1 extra\r\nHost: x\r\n\r\n")
    add("bad method chars", req("GE(T", "/hello"))
    add("target without slash", req("GET", "hello"))
    add("space in target", b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n")
    add("control char in target", b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n")
    add("header without colon", b"GET /hello HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
    add("space before colon", b"GET /hello HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n")
    add("NUL in header value", b"GET /hello HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n")
    add("non-ascii header value", b"GET /echo HTTP/1.1\r\nHost: x\r\nX-A: caf\xc3\xa9\r\n\r\n")
    add("obs-fold continuation", b"GET /hello HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  b\r\n\r\n")
    add("header name underscore", b"GET /echo HTTP/1.1\r\nHost: x\r\nX_Under: 1\r\n\r\n")
    add("empty header name", b"GET /hello HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n")
    add("bare LF line endings", b"GET /hello HTTP/1.1\nHost: x\n\n")
    add("oversized header line (9000)", req("GET", "/hello", [("X-Big", "a" * 9000)]))
    add("header line 8100 (under limit)", req("GET", "/hello", [("X-Big", "a" * 8100)]))
    add("oversized request line (9000)", req("GET", "/hello?" + "a" * 9000))
    add("request line 8150 (under limit)", req("GET", "/hello?" + "a" * 8150))
    add("too many headers (200)", req("GET", "/hello", [(f"X-H{i}", "v") for i in range(200)]))
    add("many headers (100)", req("GET", "/hello", [(f"X-H{i}", "v") for i in range(100)]))
    add("total headers big (30 x 8000)", req("GET", "/hello", [(f"X-H{i}", "v" * 8000) for i in range(30)]))
    add("CL + TE", req("POST", "/read", [("Content-Length", "3"), ("Transfer-Encoding", "chunked")],
                       body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("bad chunk size", req("POST", "/read", [("Transfer-Encoding", "chunked")], body=b"zz\r\nabc\r\n0\r\n\r\n"))
    add("bad chunk size, handler does not read", req("POST", "/noread", [("Transfer-Encoding", "chunked")], body=b"zz\r\nabc\r\n0\r\n\r\n"))
    add("chunk missing CRLF after data", req("POST", "/read", [("Transfer-Encoding", "chunked")], body=b"3\r\nabcXX0\r\n\r\n"))
    add("chunk ext + trailers", req("POST", "/read", [("Transfer-Encoding", "chunked")],
                                    body=b"3;ext=1\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n"))
    add("chunk size with leading spaces/0x", req("POST", "/read", [("Transfer-Encoding", "chunked")], body=b"0x3\r\nabc\r\n0\r\n\r\n"))
    add("two different Content-Length", req("POST", "/read", [("Content-Length", "3"), ("Content-Length", "4")], body=b"abcd"))
    add("two equal Content-Length", req("POST", "/read", [("Content-Length", "3"), ("Content-Length", "3")], body=b"abc"))
    add("Content-Length list '3, 3'", req("POST", "/read", [("Content-Length", "3, 3")], body=b"abc"))
    add("Content-Length abc", req("POST", "/read", [("Content-Length", "abc")], body=b"abc"))
    add("Content-Length -1", req("POST", "/read", [("Content-Length", "-1")], body=b"abc"))
    add("Content-Length +3", req("POST", "/read", [("Content-Length", "+3")], body=b"abc"))
    add("TE gzip (not chunked last)", req("POST", "/read", [("Transfer-Encoding", "gzip")], body=b"abc"))
    add("TE chunked, gzip (unknown final)", req("POST", "/read", [("Transfer-Encoding", "chunked, gzip")], body=b"abc"))
    add("TE identity", req("POST", "/read", [("Transfer-Encoding", "identity"), ("Content-Length", "3")], body=b"abc"))
    add("TE gzip, chunked", req("POST", "/read", [("Transfer-Encoding", "gzip, chunked")],
                                body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("TE chunked on HTTP/1.0", req("POST", "/read", [("Transfer-Encoding", "chunked")],
                                      body=b"3\r\nabc\r\n0\r\n\r\n", version="HTTP/1.0"))
    add("TE Chunked (case)", req("POST", "/read", [("Transfer-Encoding", "Chunked")], body=b"3\r\nabc\r\n0\r\n\r\n"))
    add("POST no body framing", req("POST", "/read"))
    add("Content-Encoding gzip request body", req("POST", "/read", [("Content-Encoding", "gzip")], body=__import__("gzip").compress(b"hello" * 10)))
    add("Content-Encoding gzip invalid data", req("POST", "/read", [("Content-Encoding", "gzip")], body=b"notgzip"))
    add("Content-Encoding unknown", req("POST", "/read", [("Content-Encoding", "zzz")], body=b"abc"))

    # --- static
    add("static file", req("GET", "/static/a.txt"))
    add("static HEAD", req("HEAD", "/static/a.txt"), head=True)
    add("static range 5-9", req("GET", "/static/a.txt", [("Range", "bytes=5-9")]))
    add("static range suffix -3", req("GET", "/static/a.txt", [("Range", "bytes=-3")]))
    add("static range open 15-", req("GET", "/static/a.txt", [("Range", "bytes=15-")]))
    add("static range end beyond size", req("GET", "/static/a.txt", [("Range", "bytes=15-100")]))
    add("static range unsatisfiable 100-200", req("GET", "/static/a.txt", [("Range", "bytes=100-200")]))
    add("static multi-range", req("GET", "/static/a.txt", [("Range", "bytes=0-1,5-6")]))
    add("static range bad unit", req("GET", "/static/a.txt", [("Range", "items=0-1")]))
    add("static range malformed", req("GET", "/static/a.txt", [("Range", "bytes=abc")]))
    add("static range start>end", req("GET", "/static/a.txt", [("Range", "bytes=5-2")]))
    add("static If-Modified-Since later -> 304", req("GET", "/static/a.txt", [("If-Modified-Since", "Wed, 21 Oct 2037 07:28:00 GMT")]))
    add("static If-Modified-Since earlier -> 200", req("GET", "/static/a.txt", [("If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT")]))
    add("static If-Unmodified-Since earlier -> 412", req("GET", "/static/a.txt", [("If-Unmodified-Since", "Wed, 21 Oct 2015 07:28:00 GMT")]))
    add("static If-None-Match *", req("GET", "/static/a.txt", [("If-None-Match", "*")]))
    add("static If-Match wrong", req("GET", "/static/a.txt", [("If-Match", '"nope"')]))
    add("static If-Range old date + Range", req("GET", "/static/a.txt", [("Range", "bytes=0-1"), ("If-Range", "Wed, 21 Oct 2015 07:28:00 GMT")]))
    add("static If-Range later date + Range", req("GET", "/static/a.txt", [("Range", "bytes=0-1"), ("If-Range", "Wed, 21 Oct 2037 07:28:00 GMT")]))
    add("static frac mtime plain", req("GET", "/static/frac.txt"))
    add("static frac mtime IMS = floor (...:40)", req("GET", "/static/frac.txt", [("If-Modified-Since", "Sun, 13 Sep 2020 12:26:40 GMT")]))
    add("static frac mtime IMS = ceil (...:41)", req("GET", "/static/frac.txt", [("If-Modified-Since", "Sun, 13 Sep 2020 12:26:41 GMT")]))
    add("static frac mtime IUS = floor (...:40)", req("GET", "/static/frac.txt", [("If-Unmodified-Since", "Sun, 13 Sep 2020 12:26:40 GMT")]))
    add("static frac If-Range floor + Range", req("GET", "/static/frac.txt", [("Range", "bytes=0-1"), ("If-Range", "Sun, 13 Sep 2020 12:26:40 GMT")]))
    add("static frac If-Range ceil + Range", req("GET", "/static/frac.txt", [("Range", "bytes=0-1"), ("If-Range", "Sun, 13 Sep 2020 12:26:41 GMT")]))
    add("static If-Range exact date + Range", req("GET", "/static/a.txt", [("Range", "bytes=0-1"), ("If-Range", "Sun, 13 Sep 2020 12:26:40 GMT")]))
    add("static If-Range matching etag + Range", req("GET", "/static/a.txt", [("Range", "bytes=0-1"), ("If-Range", '"16345785d8a00000-14"')]))
    add("static If-None-Match matching etag", req("GET", "/static/a.txt", [("If-None-Match", '"16345785d8a00000-14"')]))
    add("static If-None-Match weak etag", req("GET", "/static/a.txt", [("If-None-Match", 'W/"16345785d8a00000-14"')]))
    add("static IMS + INM mismatch", req("GET", "/static/a.txt", [("If-None-Match", '"zzz"'), ("If-Modified-Since", "Wed, 21 Oct 2037 07:28:00 GMT")]))
    add("static HEAD range", req("HEAD", "/static/a.txt", [("Range", "bytes=0-1")]), head=True)
    add("static range 0-0", req("GET", "/static/a.txt", [("Range", "bytes=0-0")]))
    add("static range -0", req("GET", "/static/a.txt", [("Range", "bytes=-0")]))
    add("static range -100 (suffix > size)", req("GET", "/static/a.txt", [("Range", "bytes=-100")]))
    add("static range with spaces", req("GET", "/static/a.txt", [("Range", "bytes= 1-2")]))
    add("static html in subdir", req("GET", "/static/sub/b.html"))
    add("static json", req("GET", "/static/data.json"))
    add("static no extension", req("GET", "/static/noext"))
    add("static unknown ext", req("GET", "/static/x.unknownext"))
    add("static .tar.gz", req("GET", "/static/arch.tar.gz"))
    add("static gz sibling with AE gzip", req("GET", "/static/z.txt", [("Accept-Encoding", "gzip")]))
    add("static gz sibling without AE", req("GET", "/static/z.txt"))
    add("static space in name (pct)", req("GET", "/static/sp%20ace.txt"))
    add("static missing", req("GET", "/static/missing.txt"))
    add("static dir no index", req("GET", "/static/sub"))
    add("static dir no index trailing slash", req("GET", "/static/sub/"))
    add("static dir index", req("GET", "/sindex/"))
    add("static dir index sub", req("GET", "/sindex/sub/"))
    add("static traversal ..", req("GET", "/static/../app_def.py"))
    add("static traversal %2e%2e", req("GET", "/static/%2e%2e/%2e%2e/etc/passwd"))
    add("static traversal %2F", req("GET", "/static/..%2F..%2Fetc%2Fpasswd"))
    add("static POST", req("POST", "/static/a.txt", body=b"x"))
    add("static root prefix no slash", req("GET", "/static"))
    return C

# ====================================================================== normalization / diff
IGNORED_VALUE_HEADERS = {"date", "server"}


def _decode_body(r):
    enc = next((v for k, v in r.headers if k.lower() == "content-encoding"), "").lower()
    body = r.body
    try:
        if enc == "gzip":
            body = b"[gunzipped] " + zlib.decompress(body, 47)
        elif enc == "deflate":
            try:
                body = b"[inflated] " + zlib.decompress(body)
            except zlib.error:
                body = b"[raw-inflated] " + zlib.decompress(body, -15)
        elif enc == "br":
            body = b"[br, not decoded] len=%d" % len(body)
    except Exception as e:
        body = b"[decode error %s] " % str(e).encode() + body[:50]
    return body


def normalize(res, port, multi=False):
    def p(s):
        return s.replace(str(port), "<PORT>")

    out = {"conn": res["conn"], "send-error": res["err"], "leftover": p(res["leftover"][:200].decode("latin-1")) or None,
           "incomplete": res["incomplete"], "n_responses": len(res["resps"])}
    for i, snap in enumerate(res["snaps"]):
        out[f"received-during-wait{i}"] = p(snap.decode("latin-1")) if snap else "(nothing)"
    for i, r in enumerate(res["resps"]):
        pre = f"r{i}." if (multi or len(res["resps"]) > 1) else ""
        out[pre + "status-line"] = r.status_line
        out[pre + "framing"] = r.framing
        hdrs = {}
        for k, v in r.headers:
            kl = k.lower()
            if kl in IGNORED_VALUE_HEADERS and v != "Custom":
                v = "<present>"
            hdrs.setdefault(kl, []).append(p(v))
        for k, vs in hdrs.items():
            if k == "set-cookie":
                vs = sorted(vs)
            out[pre + "hdr:" + k] = " || ".join(vs)
        out[pre + "hdr-names-as-sent"] = [k for k, _ in r.headers if k.lower() not in IGNORED_VALUE_HEADERS]
        body = _decode_body(r)
        txt = p(body.decode("utf-8", "backslashreplace"))
        # structured compare of JSON bodies
        try:
            obj = json.loads(body)
            if isinstance(obj, dict):
                for k, v in obj.items():
                    out[pre + f"json[{k}]"] = p(json.dumps(v, ensure_ascii=False))
                txt = "<json dict, compared per key>"
        except Exception:
            pass
        out[pre + "body"] = txt
    return out


def diff(a, b):
    keys = list(dict.fromkeys(list(a) + list(b)))
    d = {}
    for k in keys:
        va, vb = a.get(k, "<absent>"), b.get(k, "<absent>")
        if k.endswith("hdr-names-as-sent"):
            # only report case differences of common names, order ignored
            sa, sb = set(va if va != "<absent>" else []), set(vb if vb != "<absent>" else [])
            la = {x.lower(): x for x in sa}
            lb = {x.lower(): x for x in sb}
            case = sorted(f"{la[n]}/{lb[n]}" for n in la.keys() & lb.keys() if la[n] != lb[n])
            if case:
                d[k.replace("hdr-names-as-sent", "hdr-name-case")] = ("(aiohttp/anyio) " + ", ".join(case), "")
            continue
        if va != vb:
            d[k] = (va, vb)
    return d


def short(v, n=400):
    s = v if isinstance(v, str) else repr(v)
    s = s.replace("\r", "\\r").replace("\n", "\\n")
    return s if len(s) <= n else s[:n] + f"...(+{len(s) - n})"


# ====================================================================== httpx pass
HTTPX_CASES = [
    ("GET", "/hello", {}), ("HEAD", "/hello", {}), ("GET", "/nope", {}), ("POST", "/hello", {}),
    ("GET", "/slash", {}), ("GET", "/found", {}), ("GET", "/cookie", {}), ("GET", "/stream", {}),
    ("GET", "/stream-compress", {}), ("GET", "/resp-compress", {}), ("GET", "/resp/json-none", {}),
    ("GET", "/found-unicode", {}), ("GET", "/plain-exc", {}),
    ("POST", "/post", {"data": {"a": "1", "b": "é"}}),
    ("POST", "/post", {"files": {"f": ("n.txt", b"abc", "text/plain")}, "data": {"x": "y"}}),
    ("POST", "/json", {"content": b"{bad", "headers": {"Content-Type": "application/json"}}),
    ("POST", "/read", {"content": b"x" * 3000}),
    ("GET", "/cookie-read", {"headers": {"Cookie": "session=abc; tracking=a b"}}),
    ("GET", "/static/arch.tar.gz", {}), ("GET", "/static/z.txt", {}),
    ("GET", "/static/a.txt", {"headers": {"Range": "bytes=0-1", "If-Range": "Sun, 13 Sep 2020 12:26:40 GMT"}}),
]


def run_httpx(ports):
    import httpx
    print("\n\n################ httpx pass (status, selected headers, decoded body)")
    n = 0
    for method, path, kw in HTTPX_CASES:
        got = {}
        for t, port in ports.items():
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=False) as c:
                try:
                    r = c.request(method, path, **kw)
                    body = r.content
                    got[t] = {"status": f"{r.status_code} {r.reason_phrase}",
                              "content-type": r.headers.get("content-type"),
                              "content-encoding": r.headers.get("content-encoding"),
                              "location": r.headers.get("location"),
                              "allow": r.headers.get("allow"),
                              "set-cookie": sorted(r.headers.get_list("set-cookie")),
                              "body": body[:200].decode("utf-8", "replace").replace(str(port), "<PORT>")}
                except Exception as e:
                    got[t] = {"error": f"{type(e).__name__}: {e}"}
        base = got.pop("aiohttp")
        for t, g in got.items():
            d = {k: (base.get(k), g.get(k)) for k in set(base) | set(g) if base.get(k) != g.get(k)}
            if d:
                n += 1
                print(f"=== httpx {method} {path} {str(kw)[:60]} [{t}]")
                for k, (a, b) in d.items():
                    print(f"    {k}: aiohttp={short(a, 200)} | anyio={short(b, 200)}")
    print(f"{n} httpx diffs")


# ====================================================================== main
def run_all(only_cases=None, only_targets=None):
    os.makedirs(OUT, exist_ok=True)
    static_dir = tempfile.mkdtemp(prefix="static-", dir=OUT)
    make_static_dir(static_dir)
    procs, ports = start_servers(static_dir, only_targets)
    rawlog = open(os.path.join(OUT, "raw.log"), "w")
    n_diff = 0
    try:
        cases = build_cases()
        if only_cases:
            cases = [c for c in cases if any(o.lower() in c[0].lower() for o in only_cases)]
        for name, steps, opts in cases:
            results = {}

            def one(t):
                results[t] = exchange(ports[t], steps, head=opts.get("head", False),
                                      n_final=opts.get("n_final", 1))

            ths = [threading.Thread(target=one, args=(t,)) for t in ports]
            for th in ths:
                th.start()
            for th in ths:
                th.join()
            rawlog.write(f"\n######## {name}\n>>> {steps!r:.600}\n")
            for t in ports:
                rawlog.write(f"--- {t} [{results[t]['conn']}]\n{results[t]['raw'][:3000].decode('latin-1')}\n")
            multi = opts.get("n_final", 1) > 1 or any(isinstance(x, tuple) for x in steps)
            base = normalize(results["aiohttp"], ports["aiohttp"], multi)
            diffs = {}
            for t in ports:
                if t == "aiohttp":
                    continue
                diffs[t] = diff(base, normalize(results[t], ports[t], multi))
            # group identical diffs
            groups = {}
            for t, d in diffs.items():
                key = json.dumps(d, sort_keys=True, default=str)
                groups.setdefault(key, []).append(t)
            if all(not d for d in diffs.values()):
                continue
            n_diff += 1
            print(f"\n=== {name}")
            for key, ts in groups.items():
                d = diffs[ts[0]]
                if not d:
                    print(f"  [{', '.join(ts)}] same as aiohttp")
                    continue
                label = "anyio(all)" if len(ts) == len(diffs) else ", ".join(ts)
                print(f"  [{label}]")
                for k, (va, vb) in d.items():
                    if k.endswith("hdr-name-case"):
                        print(f"    {k}: {va}")
                    else:
                        print(f"    {k}:\n       aiohttp: {short(va)}\n       {'anyio':7}: {short(vb)}")
        if not only_cases:
            run_httpx(ports)
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            p.wait(5)
        rawlog.close()
    print(f"\n{n_diff} cases differ; raw exchanges in {OUT}/raw.log, server stderr in {OUT}/stderr-*.log")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        kind, static_dir = sys.argv[2], sys.argv[3]
        if kind == "aiohttp":
            serve_aiohttp(static_dir)
        else:
            serve_anyiohttp(static_dir, kind.split("-", 1)[1])
    else:
        import argparse
        ap = argparse.ArgumentParser()
        ap.add_argument("-k", action="append", help="only cases containing this text")
        ap.add_argument("-t", action="append", help="only these anyio targets")
        a = ap.parse_args()
        run_all(a.k, a.t)

"""HTTP header and method names as case-insensitive constants (as ``aiohttp.hdrs``)."""

from multidict import istr

METH_ANY = "*"
METH_CONNECT = "CONNECT"
METH_HEAD = "HEAD"
METH_GET = "GET"
METH_DELETE = "DELETE"
METH_OPTIONS = "OPTIONS"
METH_PATCH = "PATCH"
METH_POST = "POST"
METH_PUT = "PUT"
METH_TRACE = "TRACE"

METH_ALL = frozenset(
    {
        METH_CONNECT,
        METH_HEAD,
        METH_GET,
        METH_DELETE,
        METH_OPTIONS,
        METH_PATCH,
        METH_POST,
        METH_PUT,
        METH_TRACE,
    }
)

ACCEPT: istr = istr("Accept")
ACCEPT_CHARSET: istr = istr("Accept-Charset")
ACCEPT_ENCODING: istr = istr("Accept-Encoding")
ACCEPT_LANGUAGE: istr = istr("Accept-Language")
ACCEPT_RANGES: istr = istr("Accept-Ranges")
ACCESS_CONTROL_MAX_AGE: istr = istr("Access-Control-Max-Age")
ACCESS_CONTROL_ALLOW_CREDENTIALS: istr = istr("Access-Control-Allow-Credentials")
ACCESS_CONTROL_ALLOW_HEADERS: istr = istr("Access-Control-Allow-Headers")
ACCESS_CONTROL_ALLOW_METHODS: istr = istr("Access-Control-Allow-Methods")
ACCESS_CONTROL_ALLOW_ORIGIN: istr = istr("Access-Control-Allow-Origin")
ACCESS_CONTROL_EXPOSE_HEADERS: istr = istr("Access-Control-Expose-Headers")
ACCESS_CONTROL_REQUEST_HEADERS: istr = istr("Access-Control-Request-Headers")
ACCESS_CONTROL_REQUEST_METHOD: istr = istr("Access-Control-Request-Method")
AGE: istr = istr("Age")
ALLOW: istr = istr("Allow")
AUTHORIZATION: istr = istr("Authorization")
CACHE_CONTROL: istr = istr("Cache-Control")
CONNECTION: istr = istr("Connection")
CONTENT_DISPOSITION: istr = istr("Content-Disposition")
CONTENT_ENCODING: istr = istr("Content-Encoding")
CONTENT_LANGUAGE: istr = istr("Content-Language")
CONTENT_LENGTH: istr = istr("Content-Length")
CONTENT_LOCATION: istr = istr("Content-Location")
CONTENT_MD5: istr = istr("Content-MD5")
CONTENT_RANGE: istr = istr("Content-Range")
CONTENT_TRANSFER_ENCODING: istr = istr("Content-Transfer-Encoding")
CONTENT_TYPE: istr = istr("Content-Type")
COOKIE: istr = istr("Cookie")
DATE: istr = istr("Date")
DESTINATION: istr = istr("Destination")
DIGEST: istr = istr("Digest")
ETAG: istr = istr("ETag")
EXPECT: istr = istr("Expect")
EXPIRES: istr = istr("Expires")
FORWARDED: istr = istr("Forwarded")
FROM: istr = istr("From")
HOST: istr = istr("Host")
IF_MATCH: istr = istr("If-Match")
IF_MODIFIED_SINCE: istr = istr("If-Modified-Since")
IF_NONE_MATCH: istr = istr("If-None-Match")
IF_RANGE: istr = istr("If-Range")
IF_UNMODIFIED_SINCE: istr = istr("If-Unmodified-Since")
KEEP_ALIVE: istr = istr("Keep-Alive")
LAST_EVENT_ID: istr = istr("Last-Event-ID")
LAST_MODIFIED: istr = istr("Last-Modified")
LINK: istr = istr("Link")
LOCATION: istr = istr("Location")
MAX_FORWARDS: istr = istr("Max-Forwards")
ORIGIN: istr = istr("Origin")
PRAGMA: istr = istr("Pragma")
PROXY_AUTHENTICATE: istr = istr("Proxy-Authenticate")
PROXY_AUTHORIZATION: istr = istr("Proxy-Authorization")
RANGE: istr = istr("Range")
REFERER: istr = istr("Referer")
RETRY_AFTER: istr = istr("Retry-After")
SEC_WEBSOCKET_ACCEPT: istr = istr("Sec-WebSocket-Accept")
SEC_WEBSOCKET_VERSION: istr = istr("Sec-WebSocket-Version")
SEC_WEBSOCKET_PROTOCOL: istr = istr("Sec-WebSocket-Protocol")
SEC_WEBSOCKET_EXTENSIONS: istr = istr("Sec-WebSocket-Extensions")
SEC_WEBSOCKET_KEY: istr = istr("Sec-WebSocket-Key")
SEC_WEBSOCKET_KEY1: istr = istr("Sec-WebSocket-Key1")
SERVER: istr = istr("Server")
SET_COOKIE: istr = istr("Set-Cookie")
TE: istr = istr("TE")
TRAILER: istr = istr("Trailer")
TRANSFER_ENCODING: istr = istr("Transfer-Encoding")
UPGRADE: istr = istr("Upgrade")
URI: istr = istr("URI")
USER_AGENT: istr = istr("User-Agent")
VARY: istr = istr("Vary")
VIA: istr = istr("Via")
WANT_DIGEST: istr = istr("Want-Digest")
WARNING: istr = istr("Warning")
WWW_AUTHENTICATE: istr = istr("WWW-Authenticate")
X_FORWARDED_FOR: istr = istr("X-Forwarded-For")
X_FORWARDED_HOST: istr = istr("X-Forwarded-Host")
X_FORWARDED_PROTO: istr = istr("X-Forwarded-Proto")

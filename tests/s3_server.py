"""An S3-compatible server on loopback for the store tests and benchmarks/s3_bench.py.

moto in server mode (`ThreadedMotoServer`, as s3fs's own test suite runs it) speaks the S3 HTTP
API; migrator reaches it through s3fs over real HTTP, configured the way a user configures any
S3-compatible store: `AWS_ENDPOINT_URL` and the usual credential variables. Nothing in the
process under test is patched.

In front of moto sits a tiny counting proxy: every response body that leaves the server is
counted per object key, so a test can say how many bytes an audit moved for each artifact,
measured where the bytes leave the store, not where the client thinks it asked for them.
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_HOP_HEADERS = frozenset({"connection", "keep-alive", "transfer-encoding", "proxy-connection"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Counts:
    """Bytes of response bodies and requests per object key (`bucket/key`), thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.bytes: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.calls: list[str] = []  # "METHOD /path?query", in order
        self.whole: Counter[str] = Counter()  # object GETs without a Range: whole downloads
        self.holds: list[Hold] = []  # requests to keep waiting (`S3Server.hold`)

    def add(self, key: str, size: int, call: str = "", whole: bool = False) -> None:
        with self._lock:
            self.bytes[key] += size
            self.requests[key] += 1
            self.calls.append(call)
            if whole:
                self.whole[key] += 1

    def reset(self) -> None:
        with self._lock:
            self.bytes.clear()
            self.requests.clear()
            self.calls.clear()
            self.whole.clear()

    def total(self) -> int:
        with self._lock:
            return sum(self.bytes.values())

    def under(self, prefix: str) -> int:
        """Bytes sent for keys starting with `prefix` (an artifact's file or folder)."""
        with self._lock:
            return sum(n for k, n in self.bytes.items() if k.startswith(prefix))


class Hold:
    """Requests the proxy keeps waiting, never answered, once `matches(method, "bucket/key")`
    says so: a test freezes a client at a known request, e.g. to kill it there. `held` is set
    when the first one arrives."""

    def __init__(self, matches: Any) -> None:
        self.matches = matches
        self.held = threading.Event()
        self.released = threading.Event()


_ACCESS_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Access Denied</Message></Error>"
)


def _proxy_handler(
    upstream: tuple[str, int], counts: Counts, denied: set[str], latency: list[float]
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes: without this, Nagle's algorithm and
            # the client's delayed ACK add ~40 ms to every response.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                parts = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _deny(self) -> None:
            """What S3 answers a caller whose policy does not allow the bucket."""
            self.send_response(403, "Forbidden")
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(_ACCESS_DENIED)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(_ACCESS_DENIED)

        def _forward(self) -> None:
            body = self._body()
            if latency[0]:
                time.sleep(latency[0])  # a real store's round trip (benchmarks/s3_bench.py)
            bucket = urllib.parse.urlsplit(self.path).path.lstrip("/").split("/")[0]
            if bucket in denied:
                self._deny()
                return
            key = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/")
            for hold in list(counts.holds):
                if hold.matches(self.command, key):
                    hold.held.set()
                    hold.released.wait(600)
                    self.close_connection = True  # dropped unanswered
                    return
            conn = getattr(self, "_upstream", None)
            if conn is None:
                conn = self._upstream = http.client.HTTPConnection(*upstream, timeout=600)
                conn.connect()
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
            if body or self.command in ("PUT", "POST"):
                headers["Content-Length"] = str(len(body))
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                self._upstream = None
                raise
            whole = self.command == "GET" and "Range" not in self.headers and "/" in key
            counts.add(key, len(payload), f"{self.command} {self.path}", whole)
            self.send_response(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in _HOP_HEADERS and name.lower() != "content-length":
                    self.send_header(name, value)
            if self.command == "HEAD":
                self.send_header("Content-Length", response.getheader("Content-Length") or "0")
                self.end_headers()
                return
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward

    return Handler


class S3Server:
    """moto on one loopback port, the counting proxy on another; `endpoint` is the proxy's."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        self.moto_port = free_port()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self.counts = Counts()
        self.denied: set[str] = set()
        self.latency = [0.0]  # seconds the proxy waits before each request (set [0] to change)
        self._proxy = ThreadingHTTPServer(
            ("127.0.0.1", 0),
            _proxy_handler(("127.0.0.1", self.moto_port), self.counts, self.denied, self.latency),
        )
        self._proxy.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._proxy.server_address[1]}"
        self.moto_endpoint = f"http://127.0.0.1:{self.moto_port}"

    def start(self) -> S3Server:
        self._moto.start()
        threading.Thread(target=self._proxy.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._proxy.shutdown()
        self._proxy.server_close()
        self._moto.stop()

    def hold(self, matches: Any) -> Hold:
        """From now on, keep the requests for which `matches(method, "bucket/key")` is true
        waiting unanswered (until `release`)."""
        hold = Hold(matches)
        self.counts.holds.append(hold)
        return hold

    def release(self, hold: Hold) -> None:
        self.counts.holds.remove(hold)
        hold.released.set()

    def deny(self, bucket: str) -> None:
        """From now on, answer every request for `bucket` with S3's 403 AccessDenied."""
        self.denied.add(bucket)

    def client(self, direct: bool = True) -> Any:
        """A boto3 client for seeding and checking (straight to moto unless `direct=False`)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.moto_endpoint if direct else self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def environment(self) -> dict[str, str]:
        """What a user would set to point s3fs (and so migrator) at this store."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }


@contextmanager
def running_s3() -> Iterator[S3Server]:
    """A started server, with the process environment pointing s3fs at it, restored after."""
    server = S3Server().start()
    saved = {k: os.environ.get(k) for k in server.environment()}
    os.environ.update(server.environment())
    try:
        yield server
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


def upload_tree(client: Any, bucket: str, prefix: str, root: Any) -> int:
    """Copy every file under local `root` to `s3://bucket/prefix/...`; returns the count."""
    count = 0
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            client.upload_file(full, bucket, f"{prefix}/{rel}" if prefix else rel)
            count += 1
    return count

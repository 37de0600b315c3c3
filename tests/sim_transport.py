"""The simulator's transport (see vspc_sim.py): TCP listeners with their
own accept thread, the connection and request log, TLS connections handed
to an HTTP/1.1 request handler, raw response framing (send(): length,
chunked, close, cut short), the misbehaving actions (hang, drip, reset,
close) and RawServer, for what goes wrong below HTTP.

Standard library only."""

import json
import select
import socket
import ssl
import struct
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler

MIB = 1024 * 1024
# Connections the kernel queues before the accept thread takes them: a
# storm of a few hundred checks connects at once (the kernel caps it at
# net.core.somaxconn).
LISTEN_BACKLOG = 1024


# --------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------

class _Log:
    """Connections and requests, in arrival order, thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.conns = []
        self.reqs = []

    def add_conn(self, peer):
        with self.lock:
            rec = {"id": len(self.conns), "peer": peer, "probe": False,
                   "t": time.monotonic(), "state": "open",
                   "tls_error": None, "tls_version": None}
            self.conns.append(rec)
            return rec

    def add_req(self, rec):
        with self.lock:
            rec["id"] = len(self.reqs)
            self.reqs.append(rec)
            return rec


class _Listener:
    """A TCP listener with its own accept thread.  Accepted connections are
    recorded before they are handed over, in kernel accept-queue (FIFO)
    order, which is what settle() relies on."""

    def __init__(self, host, port, on_conn, log):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        self.sock.bind((host, port))
        self.sock.listen(LISTEN_BACKLOG)
        self.port = self.sock.getsockname()[1]
        self.on_conn = on_conn
        self.log = log
        self.stopping = threading.Event()
        self.open = set()
        self.open_lock = threading.Lock()
        self.probe_ports = set()
        self.thread = threading.Thread(target=self._loop, daemon=True,
                                       name="listener:%d" % self.port)

    def start(self):
        self.thread.start()

    def _loop(self):
        while not self.stopping.is_set():
            try:
                ready, _, _ = select.select([self.sock], [], [], 0.2)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            try:
                conn, peer = self.sock.accept()
            except OSError:
                continue
            try:
                # as Kestrel does: no Nagle delay between the pieces of
                # an answer (head, body) written one after the other
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            rec = self.log.add_conn(peer[:2])
            with self.open_lock:
                if peer[1] in self.probe_ports:
                    self.probe_ports.discard(peer[1])
                    rec["probe"] = True
                self.open.add(conn)
            threading.Thread(target=self._run, args=(conn, peer, rec),
                             daemon=True).start()

    def _run(self, conn, peer, rec):
        try:
            self.on_conn(conn, peer, rec)
        except Exception:  # a misbehaving client must not kill the server
            pass
        finally:
            with self.open_lock:
                self.open.discard(conn)
            if rec["state"] in ("open", "handshaking"):
                rec["state"] = "closed"
            try:
                conn.close()
            except OSError:
                pass

    def probe(self, timeout=10.0):
        """Connect once and wait until the accept thread has seen us: every
        connection made before this call has then been accepted and
        recorded.  The probe itself is flagged and not counted."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.bind((self.host, 0))
            lport = s.getsockname()[1]
            with self.open_lock:
                self.probe_ports.add(lport)
            s.settimeout(timeout)
            s.connect((self.host, self.port))
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                with self.log.lock:
                    if any(c["probe"] and c["peer"][1] == lport
                           for c in self.log.conns):
                        return
                time.sleep(0.005)
            raise RuntimeError("listener %d did not accept the probe"
                               % self.port)
        finally:
            s.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()
        with self.open_lock:
            conns = list(self.open)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _wait_peer_close(sock, stopping, limit=None):
    """Block until the peer closes (or resets) sock, the server stops, or
    limit seconds pass; discard whatever the peer sends meanwhile."""
    end = None if limit is None else time.monotonic() + limit
    while not stopping.is_set():
        if end is not None and time.monotonic() >= end:
            return
        try:
            ready, _, _ = select.select([sock], [], [], 0.25)
            if ready and not sock.recv(4096):
                return
        except (OSError, ValueError):
            return


def _rst_close(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


# --------------------------------------------------------------------------
# Raw (non-HTTP) servers: for what goes wrong below HTTP
# --------------------------------------------------------------------------

class RawServer:
    """A TCP server that never speaks TLS.  Modes:
      silent      accept, then say nothing until the peer gives up
      reset       accept, then reset the connection
      close       accept, then close it at once
      plain_http  answer a plain-text HTTP response to whatever comes
    """

    def __init__(self, mode, host="127.0.0.1", port=0):
        if mode not in ("silent", "reset", "close", "plain_http"):
            raise ValueError("unknown mode " + mode)
        self.mode = mode
        self.log = _Log()
        self.listener = _Listener(host, port, self._on_conn, self.log)
        self.host = host
        self.port = self.listener.port

    def start(self):
        self.listener.start()
        return self

    def stop(self):
        self.listener.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _on_conn(self, conn, peer, rec):
        rec["state"] = "raw"
        if rec["probe"]:
            return
        if self.mode == "silent":
            _wait_peer_close(conn, self.listener.stopping)
        elif self.mode == "reset":
            _rst_close(conn)
        elif self.mode == "plain_http":
            conn.settimeout(5)
            try:
                conn.recv(4096)
                body = b"plain HTTP here\n"
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n"
                             b"Content-Type: text/plain\r\nContent-Length: "
                             + str(len(body)).encode() +
                             b"\r\nConnection: close\r\n\r\n" + body)
            except OSError:
                pass

    def mark(self):
        with self.log.lock:
            return len(self.log.conns)

    def connections(self, since=0):
        with self.log.lock:
            return [c for c in self.log.conns[since:] if not c["probe"]]

    def settle(self, timeout=10.0):
        self.listener.probe(timeout)


# --------------------------------------------------------------------------
# TLS connections and the HTTP request handler
# --------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections
    server_version = "vspc-sim"
    sys_version = ""

    def __init__(self, request, client_address, sim, conn_rec):
        self.sim = sim
        self.conn_rec = conn_rec
        self.graceful = True
        super().__init__(request, client_address, sim)

    def log_message(self, fmt, *args):
        if self.sim.verbose:
            sys.stderr.write("vspc_sim: %s - %s\n" % (
                self.client_address[0], fmt % args))

    def _dispatch(self):
        try:
            self.sim._handle(self)
        except OSError:  # the client went away: broken pipe, reset, TLS
            self.close_connection = True
            self.graceful = False

    do_GET = _dispatch
    do_HEAD = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_PATCH = _dispatch
    do_DELETE = _dispatch
    do_OPTIONS = _dispatch


def serve_tls(ctx, conn, peer, rec, app):
    """Run one accepted connection (rec: its log record): the TLS
    handshake with ctx, then HTTP requests handed to app._handle(handler)
    until the connection ends; a clean close_notify unless the handler
    gave up on the connection (handler.graceful false)."""
    rec["state"] = "handshaking"
    conn.settimeout(10)
    try:
        tls = ctx.wrap_socket(conn, server_side=True,
                              do_handshake_on_connect=False)
        tls.do_handshake()
    except (ssl.SSLError, OSError) as exc:
        rec["state"] = "tls_failed"
        rec["tls_error"] = str(exc)
        return
    rec["state"] = "tls"
    rec["tls_version"] = tls.version()
    handler = None
    try:
        handler = _Handler(tls, peer, app, rec)
    except (OSError, ssl.SSLError):
        pass
    finally:
        if handler is None or handler.graceful:
            try:
                tls.settimeout(0.5)
                tls.unwrap()  # close_notify: a clean end of stream
            except (OSError, ssl.SSLError, ValueError):
                pass
        try:
            tls.close()
        except OSError:
            pass


# --------------------------------------------------------------------------
# Raw framing
# --------------------------------------------------------------------------

def send(h, status, reason, headers, size, chunks, framing, version,
         extra_length=0, close=False):
    """Write one answer on handler h: the status line (reason None: the
    standard phrase), Date and Server, headers, then the body pieces
    (chunks, size bytes in all) framed as framing says: "length"
    (Content-Length, plus extra_length: then the connection closes, the
    body cut short), "chunked" or "close" (the end of the body is the end
    of the connection).  The status goes into h.current_req before
    anything leaves, so that a record is complete by the time the client
    has its answer."""
    if reason is None:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown Error" if status == 520 else "Status"
    hdrs = [("Date", h.date_time_string()),
            ("Server", "vspc-sim")] + list(headers)
    if framing == "length":
        hdrs.append(("Content-Length", str(size + extra_length)))
    elif framing == "chunked":
        hdrs.append(("Transfer-Encoding", "chunked"))
    elif framing == "close":
        close = True
    else:
        raise ValueError("unknown framing " + framing)
    if extra_length or version != "HTTP/1.1" or h.close_connection:
        close = True
    if close and version == "HTTP/1.1":
        hdrs.append(("Connection", "close"))
    rec = getattr(h, "current_req", None)
    if rec is not None:
        rec["status"] = status
    head = "%s %d %s\r\n" % (version, status, reason)
    head += "".join("%s: %s\r\n" % kv for kv in hdrs) + "\r\n"
    out = h.wfile
    out.write(head.encode("latin-1"))
    if h.command != "HEAD":
        for chunk in chunks:
            if not chunk:
                continue
            if framing == "chunked":
                out.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            else:
                out.write(chunk)
        if framing == "chunked":
            out.write(b"0\r\n\r\n")
    out.flush()
    if close:
        h.close_connection = True


def send_json(h, status, obj, extra_headers=()):
    """A JSON answer, Content-Length framed."""
    body = json.dumps(obj).encode("utf-8")
    send(h, status, None,
         [("Content-Type", "application/json; charset=utf-8")]
         + list(extra_headers), len(body), [body],
         framing="length", version="HTTP/1.1")


def big_body(size):
    """(size, pieces): a valid JSON job padded with filler to size bytes,
    made in 64 KiB pieces."""
    head = b'{"data": {"protectedVmCount": 5, "filler": "'
    tail = b'"}, "meta": null, "errors": null}'
    fill = max(0, size - len(head) - len(tail))

    def gen():
        yield head
        piece = b"a" * 65536
        left = fill
        while left > 0:
            k = min(left, len(piece))
            yield piece[:k]
            left -= k
        yield tail
    return len(head) + fill + len(tail), gen()


def coalesce(pieces, size):
    """Join small byte strings into pieces of about size bytes."""
    out, cur, n = [], [], 0
    for p in pieces:
        cur.append(p)
        n += len(p)
        if n >= size:
            out.append(b"".join(cur))
            cur, n = [], 0
    if cur:
        out.append(b"".join(cur))
    return out


def act(h, action, stopping):
    """A misbehaving answer on handler h: "hang" (read the request, never
    answer), "drip_headers", "drip_body" (one byte every 0.5 s until the
    server stops or the peer goes), "reset" (TCP RST), "close" (close
    without answering).  Returns the status sent (200 for the drips) or
    None."""
    sock = h.connection
    h.close_connection = True
    if action == "hang":
        _wait_peer_close(sock, stopping)
        h.graceful = False
        return None
    if action in ("drip_headers", "drip_body"):
        if action == "drip_headers":
            start = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json"
                     b"\r\nX-Drip: ")
        else:
            start = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json;"
                     b" charset=utf-8\r\nContent-Length: 100000000\r\n\r\n"
                     b'{"data": {"protectedVmCount": 5, "filler": "')
        h.graceful = False
        try:
            h.wfile.write(start)
            h.wfile.flush()
            while not stopping.wait(0.5):
                h.wfile.write(b"a")
                h.wfile.flush()
        except (OSError, ssl.SSLError):
            pass
        return 200
    if action == "reset":
        h.graceful = False
        for f in (h.rfile, h.wfile):
            try:
                f.close()
            except OSError:
                pass
        _rst_close(sock)
        return None
    if action == "close":
        return None
    raise ValueError("unknown action " + action)

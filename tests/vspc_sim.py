#!/usr/bin/env python3
"""Veeam Service Provider Console (VSPC) REST API v3 simulator.

Serves GET /api/v3/infrastructure/backupServers/jobs/replicationVmJobs/{jobUid}
over real HTTPS (HTTP/1.1, keep-alive, Content-Length) the way VSPC 9.2 (API
3.6.2) does, and misbehaves on request so that check_vspc_replication can be
tested against everything a server or a network can do to it.

Standard library only.  Used two ways:
  * imported by tests/e2e (in-process, scenarios changed at run time, every
    connection and request recorded);
  * standalone, for the demo and the README quick start:
      python3 tests/vspc_sim.py --make-certs DIR
      python3 tests/vspc_sim.py --cert DIR/server.pem --key DIR/server.key \
          --token-file TOKENFILE [--bind 127.0.0.1] [--port 0] [--fixtures F]
    prints "PORT <n>" on stdout once listening and runs until killed.

Scenarios are configured per job UID.  A scenario is one step (a dict) or a
dict {"steps": [step, ...]}: request n of that UID is answered by step n, the
last step repeating (so [429, 200] means "first request 429, then 200").
Step keys:
  data          job object: 200 with the {"data","meta","errors"} envelope;
                key order varies per request unless "shuffle": false
  error         {"status", "message", "type", "code", ...extra keys}: the
                VSPC errors envelope ("retryAfter" goes into the item)
  status, reason, headers ([[name, value], ...] or {name: value}),
  body (str, bytes or a JSON value), body_b64, content_type (None: omit)
                an arbitrary answer
  big           body size in bytes: a valid JSON job padded with filler,
                streamed in 64 KiB pieces
  framing       "length" (default), "chunked" or "close" (end of body is
                the end of the connection)
  extra_length  announce Content-Length this much longer than the body,
                send the body, then close (a response cut short)
  http_version  "HTTP/1.1" (default) or "HTTP/1.0"
  close         send Connection: close and close after the answer
  delay         seconds to wait before answering
  action        "hang" (read the request, never answer), "drip_headers",
                "drip_body" (one byte every 0.5 s, forever), "reset" (TCP
                RST after the request), "close" (close without answering)
In a fixtures file (JSON: {uid: scenario}) use body_b64 for raw bytes.
"""

import argparse
import base64
import copy
import json
import os
import random
import select
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler

API_PREFIX = "/api/v3/infrastructure/backupServers/jobs/replicationVmJobs/"
LATEST_API_VERSION = "3.6.2"
MIB = 1024 * 1024
ZERO_UUID = "00000000-0000-0000-0000-000000000000"

DEFAULT_TOKEN = "sim-token-Zq8Xv2Lr7Tn4Wp"

# Built-in jobs.  The seed job is the one the project was started from.
SEED_UID = "bc04d2e5-dd4c-4f85-af0e-424106a32a75"
SEED_UNIQUE_UID = "e6c1a0f4-2b9d-4c1e-9f3a-5d7b8c9e0a12"
SEED_SOURCE_WAN = "3f2a9c1e-5b7d-4e8f-9a6b-2c4d6e8f0a1b"
SEED_TARGET_WAN = "7e1d4b2c-9a8f-4c3e-b5d6-1f2e3a4b5c6d"
SEED_TARGET_HOST = "5a6b7c8d-1e2f-4a3b-8c9d-0e1f2a3b4c5d"

CLOUD_UID = "1d0c2f3e-4b5a-4968-8776-a5b4c3d2e1f0"
CLOUD_HOST = "c7ca9843-26b7-4a1c-b6f5-0fa2cec9ec2e"

WAN_UID = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"
WAN_SOURCE_WAN = "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901"
WAN_TARGET_WAN = "8a9b0c1d-2e3f-4051-8263-748596a7b8c9"
WAN_TARGET_HOST = "4e5f6071-8293-4a4b-9c5d-6e7f8091a2b3"

# The UID of the collection example in the official specification: its
# version nibble is 6, so it is not an RFC 4122 UUID, yet VSPC hands it out.
SPEC_EXAMPLE_UID = "cc2b33a6-f11b-6f5f-b297-a5ee7cdbfc84"

BAD_TYPE_UID = "0badf00d-0000-4000-8000-00000000dead"
SERVER_ERROR_UID = "5e520520-0000-4000-8000-000000000520"
EMPTY_JOB_UID = "0e0e0e0e-0000-4000-8000-000000000000"

MSG_UNAUTHORIZED = "Authorization has been denied for this request."
MSG_JOB_MISSING = "Backup server replication VM job does not exist."
MSG_NO_ROUTE = "The requested resource does not exist."
MSG_SERVER_ERROR = "Internal server error. Contact your service provider."


# --------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------

_OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca]
default_ca = sim_ca
[sim_ca]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = any_policy
unique_subject = no
copy_extensions = none
[any_policy]
commonName = supplied
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
subjectAltName = IP:127.0.0.1,IP:::1,DNS:localhost
[v3_wrong]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
subjectAltName = DNS:wrong.example
[v3_self]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = IP:127.0.0.1,IP:::1,DNS:localhost
"""


def _openssl(args, cwd):
    env = dict(os.environ)
    env.pop("OPENSSL_CONF", None)
    res = subprocess.run(["openssl"] + args, cwd=cwd, env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=False)
    if res.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (
            " ".join(args), res.stderr.decode(errors="replace")))


def make_certs(directory):
    """Create the test PKI in directory with the openssl CLI.

    Returns a dict of absolute paths:
      ca            test CA certificate (PEM), to pass as --ca-file
      server_cert, server_key   signed by the CA, SAN IP:127.0.0.1, IP:::1,
                                DNS:localhost
      wrong_cert, wrong_key     signed by the CA, SAN DNS:wrong.example only
      self_cert, self_key       self-signed, good SAN, not issued by the CA
      expired_cert, expired_key signed by the CA, good SAN, expired in 2020
    """
    d = os.path.abspath(directory)
    os.makedirs(d, exist_ok=True)
    cnf = os.path.join(d, "openssl.cnf")
    with open(cnf, "w", encoding="ascii") as f:
        f.write(_OPENSSL_CNF.format(dir=d))
    with open(os.path.join(d, "index.txt"), "w", encoding="ascii"):
        pass
    with open(os.path.join(d, "serial"), "w", encoding="ascii") as f:
        f.write("1000\n")
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
              "-nodes"]
    _openssl(["req", "-config", cnf, "-x509", "-new"] + newkey +
             ["-keyout", "ca.key", "-out", "ca.pem", "-days", "3650",
              "-subj", "/CN=check_vspc_replication test CA",
              "-extensions", "v3_ca"], d)
    for name, ext, cn in (("server", "v3_server", "vspc-sim"),
                          ("wrong", "v3_wrong", "wrong.example")):
        _openssl(["req", "-config", cnf, "-new"] + newkey +
                 ["-keyout", name + ".key", "-out", name + ".csr",
                  "-subj", "/CN=" + cn], d)
        _openssl(["x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                  "-CAkey", "ca.key", "-CAcreateserial", "-days", "3650",
                  "-sha256", "-extfile", cnf, "-extensions", ext,
                  "-out", name + ".pem"], d)
    _openssl(["req", "-config", cnf, "-x509", "-new"] + newkey +
             ["-keyout", "self.key", "-out", "self.pem", "-days", "3650",
              "-subj", "/CN=vspc-sim self-signed", "-extensions", "v3_self"],
             d)
    _openssl(["req", "-config", cnf, "-new"] + newkey +
             ["-keyout", "expired.key", "-out", "expired.csr",
              "-subj", "/CN=vspc-sim expired"], d)
    _openssl(["ca", "-batch", "-config", cnf, "-notext",
              "-cert", "ca.pem", "-keyfile", "ca.key",
              "-startdate", "20200101000000Z", "-enddate", "20200201000000Z",
              "-extfile", cnf, "-extensions", "v3_server",
              "-in", "expired.csr", "-out", "expired.pem"], d)
    paths = {"dir": d}
    for key, fname in (("ca", "ca.pem"), ("ca_key", "ca.key"),
                       ("server_cert", "server.pem"),
                       ("server_key", "server.key"),
                       ("wrong_cert", "wrong.pem"), ("wrong_key", "wrong.key"),
                       ("self_cert", "self.pem"), ("self_key", "self.key"),
                       ("expired_cert", "expired.pem"),
                       ("expired_key", "expired.key")):
        paths[key] = os.path.join(d, fname)
    return paths


# --------------------------------------------------------------------------
# Job data and response helpers
# --------------------------------------------------------------------------

def make_job(uid, protected=5, cloud=False, cloud_host=None,
             target_host=SEED_TARGET_HOST, source_wan=None, target_wan=None,
             through_wan=False, embedded=True, **override):
    """A BackupServerReplicationVmJob as VSPC 9.2 sends it, with the keys a
    plugin must ignore (uniqueUid, _embedded, originalUid inside it).
    Keyword arguments named like API fields override or add fields."""
    job = {
        "instanceUid": uid,
        "uniqueUid": str(uuid.uuid5(uuid.NAMESPACE_URL, "vspc-sim:" + uid)),
        "protectedVmCount": protected,
        "isCloudJob": cloud,
        "cloudHostUid": cloud_host,
        "targetHostUid": target_host,
        "sourceWanAcceleratorUid": source_wan,
        "targetWanAcceleratorUid": target_wan,
        "throughWanAccelerators": through_wan,
    }
    if embedded:
        job["_embedded"] = {"backupServerJob": {
            "instanceUid": uid,
            "originalUid": "6a4c2357-29f4-4a28-b7a8-1870ea6f4e5a",
            "name": "Replica job " + uid[:8],
            "description": "Created by Powershell at 7/17/2024 6:48:08 PM.",
            "status": "Warning",
            "type": "ReplicationVM",
            "lastRun": "2024-07-17T21:48:09.763-04:00",
            "lastEndTime": "2024-07-17T21:54:52.48-04:00",
            "lastDuration": 402,
            "isEnabled": True,
            "schedule": None,
            "failureMessage": "vm01:\r\nOne or more source networks "
                              "were possibly mapped onto the same cloud "
                              "network.\r\n",
            "lastSessionTasks": [{"objectName": "vm01", "totalObjects": 6,
                                  "failureMessages": ["x"],
                                  "status": "Warning"}],
        }}
    job.update(override)
    return job


def seed_job():
    return make_job(SEED_UID, protected=5, cloud=False, cloud_host=None,
                    target_host=SEED_TARGET_HOST, source_wan=SEED_SOURCE_WAN,
                    target_wan=SEED_TARGET_WAN, through_wan=False,
                    uniqueUid=SEED_UNIQUE_UID)


def default_jobs():
    """Built-in scenarios: uid -> scenario."""
    return {
        SEED_UID: {"data": seed_job()},
        CLOUD_UID: {"data": make_job(
            CLOUD_UID, protected=1, cloud=True, cloud_host=CLOUD_HOST,
            target_host=ZERO_UUID, source_wan=None, target_wan=None,
            through_wan=False)},
        WAN_UID: {"data": make_job(
            WAN_UID, protected=12, cloud=False, cloud_host=None,
            target_host=WAN_TARGET_HOST, source_wan=WAN_SOURCE_WAN,
            target_wan=WAN_TARGET_WAN, through_wan=True)},
        SPEC_EXAMPLE_UID: {"data": make_job(
            SPEC_EXAMPLE_UID, protected=1, cloud=True, cloud_host=CLOUD_HOST,
            target_host=ZERO_UUID, originalUid=str(uuid.uuid4()))},
        BAD_TYPE_UID: {"data": make_job(BAD_TYPE_UID, protected="5")},
        SERVER_ERROR_UID: {"error": {"status": 520,
                                     "message": MSG_SERVER_ERROR,
                                     "type": "unspecified", "code": 500}},
        EMPTY_JOB_UID: {"data": make_job(EMPTY_JOB_UID, protected=0)},
    }


def error_envelope(message, etype="logical", code=0, **extra):
    item = {"message": message, "type": etype, "code": code}
    item.update(extra)
    return {"errors": [item]}


def _parse_version(text):
    try:
        return tuple(int(p) for p in text.strip().split("."))
    except (ValueError, AttributeError):
        return None


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
        self.sock.listen(128)
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
# The VSPC simulator
# --------------------------------------------------------------------------

class _Scenario:
    def __init__(self, spec):
        if isinstance(spec, list):
            steps = spec
        elif isinstance(spec, dict) and "steps" in spec:
            steps = spec["steps"]
        elif isinstance(spec, dict):
            steps = [spec]
        else:
            raise TypeError("scenario must be a dict or a list of steps")
        if not steps:
            raise ValueError("scenario without steps")
        self.steps = [dict(s) for s in steps]
        self.count = 0
        self.lock = threading.Lock()

    def next_step(self):
        with self.lock:
            n = self.count
            self.count += 1
        return n, self.steps[min(n, len(self.steps) - 1)]


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


class VspcSim:
    """The simulator.  Start with start() (or use as a context manager);
    every accepted connection and every request is recorded."""

    def __init__(self, cert, key, *, token=DEFAULT_TOKEN, api_keys=(),
                 host="127.0.0.1", port=0, jobs=None, defaults=True,
                 verbose=False):
        self.token = token
        self.api_keys = set(api_keys)
        self.verbose = verbose
        self.log = _Log()
        self.jobs_lock = threading.Lock()
        self.jobs = {}
        if defaults:
            for uid, spec in default_jobs().items():
                self.set_job(uid, spec)
        for uid, spec in (jobs or {}).items():
            self.set_job(uid, spec)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.ctx.set_alpn_protocols(["http/1.1"])
        self.listener = _Listener(host, port, self._on_conn, self.log)
        self.host = host
        self.port = self.listener.port
        self.stopping = self.listener.stopping

    # -- life cycle ---------------------------------------------------------
    def start(self):
        self.listener.start()
        return self

    def stop(self):
        self.listener.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def authority(self):
        if ":" in self.host:
            return "[%s]:%d" % (self.host, self.port)
        return "%s:%d" % (self.host, self.port)

    # -- configuration ------------------------------------------------------
    def set_job(self, uid, spec):
        scen = _Scenario(copy.deepcopy(spec))
        with self.jobs_lock:
            self.jobs[uid] = scen

    def add_job(self, spec):
        """Register spec under a fresh random UID and return the UID."""
        uid = str(uuid.uuid4())
        self.set_job(uid, spec)
        return uid

    def remove_job(self, uid):
        with self.jobs_lock:
            self.jobs.pop(uid, None)

    def hits(self, uid):
        with self.jobs_lock:
            scen = self.jobs.get(uid)
        return scen.count if scen else 0

    # -- records ------------------------------------------------------------
    def mark(self):
        with self.log.lock:
            return (len(self.log.conns), len(self.log.reqs))

    def connections(self, since=(0, 0)):
        with self.log.lock:
            return [dict(c) for c in self.log.conns[since[0]:]
                    if not c["probe"]]

    def requests(self, since=(0, 0)):
        with self.log.lock:
            return [dict(r) for r in self.log.reqs[since[1]:]]

    def settle(self, timeout=10.0):
        """Wait until every connection made before this call has been
        accepted and has finished its TLS handshake attempt."""
        self.listener.probe(timeout)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.log.lock:
                busy = [c for c in self.log.conns
                        if not c["probe"] and c["state"] in ("open",
                                                             "handshaking")]
            if not busy:
                return
            time.sleep(0.01)

    # -- connection handling ------------------------------------------------
    def _on_conn(self, conn, peer, rec):
        if rec["probe"]:
            return
        rec["state"] = "handshaking"
        conn.settimeout(10)
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True,
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
            handler = _Handler(tls, peer, self, rec)
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

    def _handle(self, h):
        path, _, query = h.path.partition("?")
        client_version = h.headers.get("X-Client-Version")
        req = self.log.add_req({
            "conn": h.conn_rec["id"], "method": h.command, "target": h.path,
            "path": path, "query": query, "version": h.request_version,
            "headers": list(h.headers.items()),
            "client_version": client_version, "t": time.monotonic(),
            "uid": None, "status": None,
        })
        try:
            self._answer(h, req, path, client_version)
        finally:
            self._note(req)

    def _answer(self, h, req, path, client_version):
        length = h.headers.get("Content-Length")
        if length and length.isdigit() and int(length) <= MIB:
            h.rfile.read(int(length))

        if not self._authorized(h.headers.get_all("Authorization") or []):
            req["status"] = 401
            self._send_json(h, 401, error_envelope(
                MSG_UNAUTHORIZED, "security", 401),
                extra_headers=[("WWW-Authenticate", "Bearer")])
            return
        if not path.startswith(API_PREFIX) or "/" in path[len(API_PREFIX):]:
            req["status"] = 404
            self._send_json(h, 404, error_envelope(MSG_NO_ROUTE, "logical",
                                                   404))
            return
        if h.command != "GET":
            req["status"] = 405
            self._send_json(h, 405, error_envelope(
                "The requested method is not allowed.", "logical", 405),
                extra_headers=[("Allow", "GET")])
            return
        uid = path[len(API_PREFIX):]
        req["uid"] = uid
        with self.jobs_lock:
            scen = self.jobs.get(uid)
        if scen is None:
            req["status"] = 404
            self._send_json(h, 404, error_envelope(MSG_JOB_MISSING,
                                                   "logical", 404))
            return
        n, step = scen.next_step()
        req["step"] = n
        legacy = False
        ver = _parse_version(client_version) if client_version else None
        if ver is not None and ver < (3, 5, 1):
            legacy = True
        req["status"] = self._play(h, step, n, legacy)

    def _note(self, req):
        if self.verbose:
            sys.stderr.write("vspc_sim: conn %d %s %s -> %s\n" % (
                req["conn"], req["method"], req["target"], req["status"]))
            sys.stderr.flush()

    def _authorized(self, values):
        if len(values) != 1:
            return False
        scheme, _, cred = values[0].strip().partition(" ")
        if scheme.lower() != "bearer":
            return False
        cred = cred.strip()
        return cred == self.token or cred in self.api_keys

    # -- answering ----------------------------------------------------------
    def _play(self, h, step, n, legacy):
        if step.get("delay"):
            self.stopping.wait(float(step["delay"]))
        action = step.get("action")
        if action:
            return self._act(h, action)
        status = int(step.get("status", 200))
        headers = step.get("headers") or []
        if isinstance(headers, dict):
            headers = list(headers.items())
        headers = [(str(k), str(v)) for k, v in headers]
        ctype = step.get("content_type",
                         "application/json; charset=utf-8")
        if "big" in step:
            size, chunks = self._big_body(int(step["big"]))
        else:
            body = self._body(h, step, n, legacy)
            if "error" in step:
                status = int(step["error"].get("status", status))
            size, chunks = len(body), [body]
        if ctype is not None and not any(k.lower() == "content-type"
                                         for k, _ in headers):
            headers.insert(0, ("Content-Type", ctype))
        if status == 202 and not any(k.lower() == "location"
                                     for k, _ in headers):
            headers.append(("Location", "https://%s/api/v3/asyncActions/%s"
                            % (h.headers.get("Host", self.authority),
                               uuid.uuid4())))
        self._send(h, status, step.get("reason"), headers, size, chunks,
                   framing=step.get("framing", "length"),
                   version=step.get("http_version", "HTTP/1.1"),
                   extra_length=int(step.get("extra_length", 0)),
                   close=bool(step.get("close")))
        return status

    def _body(self, h, step, n, legacy):
        if "data" in step:
            data = copy.deepcopy(step["data"])
            if legacy and isinstance(data, dict) and "uniqueUid" in data:
                # API 3.5: instanceUid held the VSPC UID; the Veeam B&R
                # job UID travelled as originalUid.
                data["originalUid"] = data.get("instanceUid")
                data["instanceUid"] = data.pop("uniqueUid")
            env = {"data": data, "meta": None, "errors": None}
            env.update(step.get("envelope_extra", {}))
            if step.get("shuffle", True):
                rnd = random.Random(n * 7919 + len(h.path))
                env = _shuffled(env, rnd)
            return json.dumps(env, ensure_ascii=False).encode("utf-8")
        if "error" in step:
            err = dict(step["error"])
            err.pop("status", None)
            item = {"message": err.pop("message", "Error."),
                    "type": err.pop("type", "logical"),
                    "code": err.pop("code", 0)}
            item.update(err)
            return json.dumps({"errors": [item]}).encode("utf-8")
        if "body_b64" in step:
            return base64.b64decode(step["body_b64"])
        body = step.get("body", b"")
        if isinstance(body, bytes):
            return body
        if isinstance(body, str):
            return body.encode("utf-8")
        return json.dumps(body).encode("utf-8")

    @staticmethod
    def _big_body(size):
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

    def _send(self, h, status, reason, headers, size, chunks, framing,
              version, extra_length=0, close=False):
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

    def _send_json(self, h, status, obj, extra_headers=()):
        body = json.dumps(obj).encode("utf-8")
        self._send(h, status, None,
                   [("Content-Type", "application/json; charset=utf-8")]
                   + list(extra_headers), len(body), [body],
                   framing="length", version="HTTP/1.1")

    def _act(self, h, action):
        sock = h.connection
        h.close_connection = True
        if action == "hang":
            _wait_peer_close(sock, self.stopping)
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
                while not self.stopping.wait(0.5):
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


def _shuffled(obj, rnd):
    """A copy of obj with the keys of every object in a random order."""
    if isinstance(obj, dict):
        items = list(obj.items())
        rnd.shuffle(items)
        return {k: _shuffled(v, rnd) for k, v in items}
    if isinstance(obj, list):
        return [_shuffled(v, rnd) for v in obj]
    return obj


# --------------------------------------------------------------------------
# Standalone
# --------------------------------------------------------------------------

def _load_fixtures(path):
    with open(path, encoding="utf-8") as f:
        obj = json.load(f)
    if not isinstance(obj, dict):
        raise ValueError("fixtures file must hold a JSON object")
    return obj.get("jobs", obj)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="VSPC REST API v3 simulator (HTTPS) for "
                    "check_vspc_replication")
    ap.add_argument("--make-certs", metavar="DIR",
                    help="create a test CA and server certificates in DIR, "
                         "print their paths and exit")
    ap.add_argument("--cert", help="server certificate (PEM)")
    ap.add_argument("--key", help="server private key (PEM)")
    ap.add_argument("--bind", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1; ::1 "
                         "for IPv6)")
    ap.add_argument("--port", type=int, default=0,
                    help="port (default 0: any free port)")
    ap.add_argument("--token", help="accepted bearer token")
    ap.add_argument("--token-file", help="file whose first line is the "
                                         "accepted bearer token")
    ap.add_argument("--api-key", action="append", default=[],
                    help="further accepted key (repeatable)")
    ap.add_argument("--fixtures", help="JSON file {uid: scenario} added to "
                                       "(or overriding) the built-in jobs")
    ap.add_argument("--no-defaults", action="store_true",
                    help="do not serve the built-in jobs")
    ap.add_argument("--log", action="store_true",
                    help="log each request on stderr")
    args = ap.parse_args(argv)

    if args.make_certs:
        for k, v in sorted(make_certs(args.make_certs).items()):
            print("%s %s" % (k, v))
        return 0
    if not args.cert or not args.key:
        ap.error("--cert and --key are required (see --make-certs)")
    token = args.token
    if args.token_file:
        with open(args.token_file, encoding="utf-8") as f:
            token = f.readline().strip()
    if not token:
        ap.error("a token is required (--token or --token-file)")
    jobs = _load_fixtures(args.fixtures) if args.fixtures else {}

    sim = VspcSim(args.cert, args.key, token=token, api_keys=args.api_key,
                  host=args.bind, port=args.port, jobs=jobs,
                  defaults=not args.no_defaults, verbose=args.log)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    sim.start()
    sys.stdout.write("PORT %d\n" % sim.port)
    sys.stdout.flush()
    while not done.wait(1.0):
        pass
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

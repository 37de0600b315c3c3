"""Plain http: refused unless --allow-http asks for it (the token would
cross the network in clear)."""

import http.server
import json
import threading

import pytest

import vspc_sim as S
from e2e_util import TOKEN, assert_state, run_plugin


class _PlainVspc(http.server.BaseHTTPRequestHandler):
    """Just enough of VSPC over plain HTTP: the seed replication job."""
    protocol_version = "HTTP/1.1"
    requests = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.requests.append((self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            code, body = 401, {"errors": [{"message": "Denied.", "type": "security",
                                           "code": 401}]}
        else:
            code, body = 200, {"data": S.make_job(S.SEED_UID, protected=5),
                               "meta": None, "errors": None}
        raw = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture
def plain():
    _PlainVspc.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PlainVspc)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _args(port, *extra):
    return ["-H", "127.0.0.1", "-p", str(port), "-j", S.SEED_UID, "--token", TOKEN,
            "--no-job-status"] + list(extra)


def test_allow_http_speaks_plain_http(plain):
    run = run_plugin(_args(plain, "--allow-http"), secrets=[TOKEN])
    assert_state(run, "OK")
    assert "protects 5 VMs" in run.summary
    assert _PlainVspc.requests == [
        ("/api/v3/infrastructure/backupServers/jobs/replicationVmJobs/" + S.SEED_UID,
         "Bearer " + TOKEN)]


def test_without_allow_http_no_plain_request_is_made(plain):
    run = run_plugin(_args(plain), secrets=[TOKEN])
    assert_state(run, "UNKNOWN")
    # the plugin spoke TLS: the plain server never saw a request, nor the token
    assert _PlainVspc.requests == []


def test_http_url_is_a_usage_error(plain):
    run = run_plugin(["-H", "http://127.0.0.1:%d" % plain, "-j", S.SEED_UID,
                      "--token", TOKEN], secrets=[TOKEN])
    assert_state(run, "UNKNOWN")
    assert "--allow-http" in run.summary and "http://" in run.summary
    assert _PlainVspc.requests == []

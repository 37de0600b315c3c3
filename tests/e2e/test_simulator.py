"""The simulator itself, checked with Python's own HTTPS client, so that a
failing plugin test points at the plugin and not at the simulator."""

import http.client
import json
import os
import socket
import ssl
import subprocess
import sys

import pytest

import vspc_sim as S
from e2e_util import API_KEY, TOKEN, WRONG_TOKEN

SIM_PATH = S.__file__


def client(sim, certs, timeout=10):
    ctx = ssl.create_default_context(cafile=certs["ca"])
    return http.client.HTTPSConnection(sim.host, sim.port, context=ctx,
                                       timeout=timeout)


def get(conn, uid, token=TOKEN, version="3.6"):
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    if version is not None:
        headers["X-Client-Version"] = version
    conn.request("GET", S.API_PREFIX + uid, headers=headers)
    resp = conn.getresponse()
    return resp, resp.read()


def test_seed_job_and_keep_alive(vspc, sim, certs):
    conn = client(sim, certs)
    r1, b1 = get(conn, S.SEED_UID)
    r2, b2 = get(conn, S.SEED_UID)
    conn.close()
    assert r1.status == r2.status == 200
    assert r1.getheader("Content-Type") == "application/json; charset=utf-8"
    assert int(r1.getheader("Content-Length")) == len(b1)
    d1, d2 = json.loads(b1), json.loads(b2)
    assert set(d1) == {"data", "meta", "errors"}
    job = d1["data"]
    assert job["protectedVmCount"] == 5 and job["isCloudJob"] is False
    assert job["throughWanAccelerators"] is False
    assert job["cloudHostUid"] is None
    assert job["sourceWanAcceleratorUid"] == S.SEED_SOURCE_WAN
    assert job["targetWanAcceleratorUid"] == S.SEED_TARGET_WAN
    assert job["targetHostUid"] == S.SEED_TARGET_HOST
    assert job["instanceUid"] == S.SEED_UID
    assert "uniqueUid" in job and "_embedded" in job
    assert d1 == d2
    vspc.settle()
    assert len(vspc.connections()) == 1  # both requests on one connection
    assert len(vspc.requests()) == 2
    assert b1 != b2  # same content, the key order varies between answers


def test_cloud_and_wan_jobs(sim, certs):
    conn = client(sim, certs)
    _, body = get(conn, S.CLOUD_UID)
    cloud = json.loads(body)["data"]
    _, body = get(conn, S.WAN_UID)
    wan = json.loads(body)["data"]
    conn.close()
    assert cloud["isCloudJob"] is True
    assert cloud["targetHostUid"] == S.ZERO_UUID
    assert cloud["cloudHostUid"] == S.CLOUD_HOST
    assert wan["throughWanAccelerators"] is True
    assert wan["sourceWanAcceleratorUid"] and wan["targetWanAcceleratorUid"]


@pytest.mark.parametrize("token", [None, WRONG_TOKEN, ""])
def test_auth_required(sim, certs, token):
    conn = client(sim, certs)
    resp, body = get(conn, S.SEED_UID, token=token)
    conn.close()
    assert resp.status == 401
    err = json.loads(body)["errors"][0]
    assert err["type"] == "security" and err["message"] == S.MSG_UNAUTHORIZED


def test_api_key_accepted(sim, certs):
    conn = client(sim, certs)
    resp, _ = get(conn, S.SEED_UID, token=API_KEY)
    conn.close()
    assert resp.status == 200


def test_unknown_job_404(sim, certs):
    conn = client(sim, certs)
    resp, body = get(conn, "deadbeef-0000-4000-8000-000000000404")
    conn.close()
    assert resp.status == 404
    assert json.loads(body)["errors"][0]["message"] == S.MSG_JOB_MISSING


def test_legacy_version_swaps_instance_uid(sim, certs):
    conn = client(sim, certs)
    _, body = get(conn, S.SEED_UID, version="3.5")
    conn.close()
    data = json.loads(body)["data"]
    assert data["instanceUid"] == S.SEED_UNIQUE_UID
    assert "uniqueUid" not in data


def test_steps_count_per_uid(vspc, sim, certs):
    uid = vspc.job(steps_before=[{"error": {"status": 429, "message": "slow",
                                            "type": "retryableLogical",
                                            "code": 429, "retryAfter": 1}}],
                   protected=2)
    conn = client(sim, certs)
    r1, b1 = get(conn, uid)
    r2, b2 = get(conn, uid)
    r3, _ = get(conn, uid)
    conn.close()
    assert (r1.status, r2.status, r3.status) == (429, 200, 200)
    assert json.loads(b1)["errors"][0]["retryAfter"] == 1
    assert json.loads(b2)["data"]["protectedVmCount"] == 2


def test_520_202_and_redirect(vspc, sim, certs):
    conn = client(sim, certs)
    resp, body = get(conn, S.SERVER_ERROR_UID)
    assert resp.status == 520
    assert json.loads(body)["errors"][0]["message"] == S.MSG_SERVER_ERROR
    uid = vspc.add({"status": 202, "body": b"", "content_type": None})
    resp, body = get(conn, uid)
    assert resp.status == 202 and body == b""
    assert "/api/v3/asyncActions/" in resp.getheader("Location")
    uid = vspc.add({"status": 302, "headers": {"Location": "https://x/"}})
    resp, _ = get(conn, uid)
    assert resp.status == 302 and resp.getheader("Location") == "https://x/"
    conn.close()


@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
def test_big_body(vspc, sim, certs, framing):
    uid = vspc.add({"big": 9 * S.MIB, "framing": framing})
    conn = client(sim, certs)
    resp, body = get(conn, uid)
    conn.close()
    assert resp.status == 200
    assert len(body) == 9 * S.MIB
    assert json.loads(body)["data"]["protectedVmCount"] == 5
    if framing == "length":
        assert resp.getheader("Content-Length") == str(9 * S.MIB)
    else:
        assert resp.getheader("Content-Length") is None


def test_cut_short(vspc, sim, certs):
    uid = vspc.job(step_extra={"extra_length": 100})
    conn = client(sim, certs)
    conn.request("GET", S.API_PREFIX + uid,
                 headers={"Authorization": "Bearer " + TOKEN})
    resp = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        resp.read()
    conn.close()


def test_raw_body_bytes(vspc, sim, certs):
    raw = b'{"data": {"protectedVmCount": 5, "x": "\xff"}}'
    uid = vspc.add({"status": 200, "body": raw})
    conn = client(sim, certs)
    _, body = get(conn, uid)
    conn.close()
    assert body == raw


def test_hang_and_drip(vspc, sim, certs):
    for action, expect_bytes in (("hang", False), ("drip_body", True)):
        uid = vspc.add({"action": action})
        ctx = ssl.create_default_context(cafile=certs["ca"])
        with socket.create_connection((sim.host, sim.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=sim.host) as s:
                s.sendall(("GET %s%s HTTP/1.1\r\nHost: x\r\nAuthorization: "
                           "Bearer %s\r\n\r\n" % (S.API_PREFIX, uid, TOKEN))
                          .encode())
                s.settimeout(1.2)
                try:
                    got = s.recv(1024)
                except socket.timeout:
                    got = None
                if expect_bytes:
                    assert got, (action, got)
                else:
                    assert got is None, (action, got)


def test_reset(vspc, sim, certs):
    uid = vspc.add({"action": "reset"})
    conn = client(sim, certs)
    with pytest.raises((ConnectionError, http.client.HTTPException,
                        ssl.SSLError, OSError)):
        get(conn, uid)
    conn.close()


def test_settle_sees_bare_connections(vspc, sim):
    s = socket.create_connection((sim.host, sim.port))
    s.close()
    vspc.settle()
    conns = vspc.connections()
    assert len(conns) == 1 and conns[0]["state"] == "tls_failed"
    assert vspc.requests() == []


def test_certificates(certs, sim_wrong_name, sim_self_signed, sim_expired):
    def handshake(server):
        ctx = ssl.create_default_context(cafile=certs["ca"])
        with socket.create_connection(("127.0.0.1", server.port)) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1"):
                pass
    for bad in (sim_wrong_name, sim_self_signed, sim_expired):
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(bad)


def test_standalone_prints_port_and_serves(certs, tmp_path):
    tok = tmp_path / "tok"
    tok.write_text("standalone-token\n")
    fixtures = tmp_path / "fixtures.json"
    fixtures.write_text(json.dumps({
        "12345678-1234-4234-8234-123456789012": {"data": S.make_job(
            "12345678-1234-4234-8234-123456789012", protected=42)}}))
    proc = subprocess.Popen(
        [sys.executable, SIM_PATH, "--cert", certs["server_cert"], "--key",
         certs["server_key"], "--token-file", str(tok), "--fixtures",
         str(fixtures)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE":
             "1"})
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("PORT "), line
        port = int(line.split()[1])
        ctx = ssl.create_default_context(cafile=certs["ca"])
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                           timeout=10)
        conn.request("GET", S.API_PREFIX +
                     "12345678-1234-4234-8234-123456789012",
                     headers={"Authorization": "Bearer standalone-token"})
        resp = conn.getresponse()
        data = json.loads(resp.read())["data"]
        assert data["protectedVmCount"] == 42
        conn.request("GET", S.API_PREFIX + S.SEED_UID,
                     headers={"Authorization": "Bearer standalone-token"})
        resp = conn.getresponse()
        assert json.loads(resp.read())["data"]["protectedVmCount"] == 5
        conn.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        finally:
            proc.stdout.close()
            proc.stderr.close()
    assert proc.returncode == 0


def test_ipv6_loopback_check_is_real(sim6, certs):
    ctx = ssl.create_default_context(cafile=certs["ca"])
    conn = http.client.HTTPSConnection("::1", sim6.port, context=ctx,
                                       timeout=10)
    resp, _ = get(conn, S.SEED_UID)
    conn.close()
    assert resp.status == 200


def test_stray_clients_do_not_stop_the_server(sim, certs):
    for junk in (b"", b"\x16\x03\x01\x00", b"GET / HTTP/1.1\r\n\r\n"):
        s = socket.create_connection((sim.host, sim.port))
        if junk:
            s.sendall(junk)
        s.close()
    conn = client(sim, certs)
    resp, _ = get(conn, S.SEED_UID)
    conn.close()
    assert resp.status == 200

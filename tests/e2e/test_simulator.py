"""The simulator itself, checked with Python's own HTTPS client, so that a
failing plugin test points at the plugin and not at the simulator."""

import calendar
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse

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


# --- job status, collections, fleets -----------------------------------------

def get_path(conn, path, token=TOKEN, version="3.6"):
    headers = {"Accept": "application/json",
               "Authorization": "Bearer " + token}
    if version is not None:
        headers["X-Client-Version"] = version
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    return resp, resp.read()


_TS_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)"
                    r"(?:\.(\d{1,7}))?(Z|[+-]\d\d:\d\d)$")


def parse_ts(text):
    """RFC 3339 with up to 7 fraction digits -> epoch (float)."""
    m = _TS_RE.match(text)
    assert m, text
    y, mo, d, h, mi, s = (int(x) for x in m.group(1, 2, 3, 4, 5, 6))
    epoch = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    if m.group(7):
        epoch += int(m.group(7)) / 10 ** len(m.group(7))
    off = m.group(8)
    if off != "Z":
        secs = int(off[1:3]) * 3600 + int(off[4:6]) * 60
        epoch -= secs if off[0] == "+" else -secs
    return epoch


BSJ_KEYS = {"instanceUid", "uniqueUid", "name", "description", "createdBy",
            "creationTime", "backupServerUid", "locationUid", "siteUid",
            "organizationUid", "mappedOrganizationUid", "status", "type",
            "lastRun", "lastEndTime", "lastDuration", "processingRate",
            "avgDuration", "transferredData", "backupChainSize",
            "bottleneck", "isEnabled", "scheduleType", "schedule",
            "failureMessage", "targetType", "destination", "retentionLimit",
            "retentionLimitType", "isGfsOptionEnabled", "lastSessionTasks"}


def test_backup_server_job_endpoint(vspc, sim, certs):
    conn = client(sim, certs)
    t0 = time.time()
    resp, body = get_path(conn, S.JOB_PREFIX + S.SEED_UID)
    t1 = time.time()
    conn.close()
    assert resp.status == 200
    env = json.loads(body)
    assert set(env) == {"data", "meta", "errors"}
    job = env["data"]
    assert set(job) == BSJ_KEYS, set(job) ^ BSJ_KEYS
    assert job["instanceUid"] == S.SEED_UID
    assert job["uniqueUid"] == S.SEED_UNIQUE_UID
    assert job["status"] == "Success" and job["type"] == "ReplicationVM"
    assert job["isEnabled"] is True and job["failureMessage"] is None
    assert job["lastDuration"] == 402
    assert job["transferredData"] == 16115584998
    end = parse_ts(job["lastEndTime"])
    assert int(t0) - 3600 <= end <= int(t1) - 3600
    assert parse_ts(job["lastRun"]) == end - 402
    assert job["lastEndTime"].endswith("-04:00")
    assert isinstance(job["lastSessionTasks"], list)
    req = vspc.requests()[0]
    assert req["endpoint"] == "job" and req["end"] == end
    assert (req["end_whole"], req["end_frac"]) == (end, 0.0)


@pytest.mark.parametrize("shape", [
    "-04:00", "Z", "+05:30", "frac1-04:00", "frac7-07:00", ".8-04:00",
    ".48-04:00", ".9999999+05:30", ".123Z", "+14:00", "-12:00", "+05:45"])
def test_end_age_and_shapes(vspc, sim, certs, shape):
    uid = vspc.health(name="Shape", end_age=93600, end_shape=shape)
    conn = client(sim, certs)
    _, body = get_path(conn, S.JOB_PREFIX + uid)
    conn.close()
    text = json.loads(body)["data"]["lastEndTime"]
    req = vspc.requests()[0]
    digits, off, _ = S.parse_shape(shape)
    assert text.endswith(off)
    frac = text[19:len(text) - len(off)]
    assert frac == ("." + digits if digits else ""), (text, shape)
    assert parse_ts(text) == pytest.approx(req["end"], abs=1e-6)
    assert req["end_whole"] == req["anchor"] - 93600
    assert req["end_frac"] == S.shape_fraction(shape)
    assert parse_ts(text) == pytest.approx(
        req["anchor"] - 93600 + S.shape_fraction(shape), abs=1e-6)


def test_statuses_failure_messages_never_run(vspc, sim, certs):
    conn = client(sim, certs)
    for status in S.JOB_STATUSES + ("Paused",):
        uid = vspc.health(name="S", status=status)
        _, body = get_path(conn, S.JOB_PREFIX + uid)
        job = json.loads(body)["data"]
        assert job["status"] == status
        if status in ("Warning", "Failed"):
            assert "\r\n" in job["failureMessage"]
    uid = vspc.health(name="N", never_run=True)
    _, body = get_path(conn, S.JOB_PREFIX + uid)
    job = json.loads(body)["data"]
    assert job["status"] == "None"
    assert (job["lastRun"], job["lastEndTime"], job["lastDuration"]) == (
        None, None, None)
    uid = vspc.health(name="D", enabled=False, last_end="yesterday")
    _, body = get_path(conn, S.JOB_PREFIX + uid)
    job = json.loads(body)["data"]
    assert job["isEnabled"] is False and job["lastEndTime"] == "yesterday"
    conn.close()


def test_steps_per_endpoint_and_uid(vspc, sim, certs):
    uid = vspc.health(name="Steps", job=[{"error": {
        "status": 520, "message": "x", "type": "unspecified", "code": 500}}])
    conn = client(sim, certs)
    statuses = []
    for prefix in (S.API_PREFIX, S.JOB_PREFIX, S.API_PREFIX, S.JOB_PREFIX):
        resp, body = get_path(conn, prefix + uid)
        statuses.append(resp.status)
    conn.close()
    assert statuses == [200, 520, 200, 200]
    assert sim.hits(uid) == 2 and sim.hits(uid, "job") == 2
    reqs = vspc.requests()
    assert [r["endpoint"] for r in reqs] == ["replication", "job"] * 2


def test_single_replication_answer_has_a_decoy(vspc, sim, certs):
    uid = vspc.health(name="Decoy", status="Success", protected=3)
    conn = client(sim, certs)
    _, body = get_path(conn, S.API_PREFIX + uid)
    conn.close()
    data = json.loads(body)["data"]
    assert data["protectedVmCount"] == 3
    assert data["_embedded"]["backupServerJob"]["status"] == "Failed"


def test_unknown_backup_server_job_404(sim, certs):
    conn = client(sim, certs)
    resp, body = get_path(conn, S.JOB_PREFIX +
                          "deadbeef-0000-4000-8000-000000000404")
    conn.close()
    assert resp.status == 404
    assert json.loads(body)["errors"][0]["message"] == S.MSG_BSJOB_MISSING


def collection(conn, query="", server=None):
    path = S.COLLECTION_PATH if server is None else \
        S.BASE_PATH + server + "/jobs/replicationVmJobs"
    resp, body = get_path(conn, path + ("?" + query if query else ""))
    return resp.status, body


def test_collection_paging_and_expand(vspc, sim, certs, fleet):
    f = fleet({"count": 1234, "seed": 3})
    conn = client(sim, certs)
    status, body = collection(conn)
    page = json.loads(body)
    assert status == 200 and len(page["data"]) == 100  # default limit
    assert page["meta"]["pagingInfo"] == {"total": 1234, "count": 100,
                                          "offset": 0}
    assert "_embedded" not in page["data"][0]
    seen, orders = [], []
    for offset in (0, 500, 1000):
        status, body = collection(
            conn, "expand=BackupServerJob&limit=500&offset=%d" % offset)
        orders.append(body.index(b'"meta"') < body.index(b'"data"'))
        page = json.loads(body)
        assert page["errors"] is None
        info = page["meta"]["pagingInfo"]
        assert info == {"total": 1234, "count": len(page["data"]),
                        "offset": offset}
        for item in page["data"]:
            emb = item["_embedded"]["backupServerJob"]
            assert emb["instanceUid"] == item["instanceUid"]
            assert set(emb) == BSJ_KEYS
            seen.append(item["instanceUid"])
    conn.close()
    assert orders == [False, True, False]  # meta before data on odd pages
    assert seen == [sp["uid"] for sp in f.specs()]
    assert len(set(seen)) == 1234
    assert re.match(r"^Replica 00042 (SQL|Exchange|Web|File|DC|ERP)$",
                    f.spec_at(42)["name"])


@pytest.mark.parametrize("query,param", [
    ("limit=0", "limit"), ("limit=501", "limit"), ("limit=abc", "limit"),
    ("offset=-1", "offset"), ("offset=x", "offset"),
    ("expand=Nope", "expand"), ("filter=%5Bnot%20json", "filter"),
    ("filter=%7B%7D", "filter"),
    ("filter=" + urllib.parse.quote('[{"property": "isCloudJob"}]'),
     "filter"),
])
def test_collection_bad_queries_are_400(sim, certs, query, param):
    conn = client(sim, certs)
    status, body = collection(conn, query)
    conn.close()
    assert status == 400
    err = json.loads(body)["errors"][0]
    assert err["type"] == "logical" and err["parameterName"] == param


def test_collection_filter(sim, certs, fleet):
    f = fleet({"count": 300, "seed": 4})
    conn = client(sim, certs)

    def listed(expr):
        q = "limit=500&filter=" + urllib.parse.quote(json.dumps(expr))
        status, body = collection(conn, q)
        assert status == 200, body
        return [i["instanceUid"] for i in json.loads(body)["data"]]
    cloud = listed([{"property": "isCloudJob", "operation": "equals",
                     "value": True}])
    assert cloud == [sp["uid"] for sp in f.specs() if sp["cloud"]]
    some = [f.spec_at(i)["uid"] for i in (3, 7, 11)]
    assert listed([{"property": "instanceUid", "operation": "in",
                    "value": some}]) == some
    assert listed([{"property": "instanceUid", "operation": "equals",
                    "value": some[0].upper()}]) == some[:1]
    names = listed([{"property": "_embedded.backupServerJob.name",
                     "operation": "equals",
                     "value": f.spec_at(10)["name"]}])
    assert names == [f.spec_at(10)["uid"]]
    conn.close()


def test_collection_per_server(sim, certs, fleet):
    f = fleet({"count": 400, "seed": 5})
    conn = client(sim, certs)
    server = S.FLEET_SERVERS[1]
    status, body = collection(conn, "limit=500&expand=BackupServerJob",
                              server=server)
    page = json.loads(body)
    want = [sp["uid"] for sp in f.specs() if sp["server"] == server]
    assert [i["instanceUid"] for i in page["data"]] == want
    assert page["meta"]["pagingInfo"]["total"] == len(want)
    assert {i["_embedded"]["backupServerJob"]["backupServerUid"]
            for i in page["data"]} == {server}
    status, body = collection(conn, "", server=S.ZERO_UUID)
    assert status == 200 and json.loads(body)["data"] == []
    conn.close()


def test_collection_hostile_knobs(sim, certs, fleet):
    conn = client(sim, certs)

    def page(offset):
        status, body = collection(conn, "limit=500&offset=%d" % offset)
        assert status == 200, body
        return json.loads(body)

    fleet({"count": 1200, "seed": 6, "stall_at": 500})
    assert page(500)["data"] == [] and \
        page(500)["meta"]["pagingInfo"]["total"] == 1200
    fleet({"count": 1000, "seed": 6, "insert_at": {500: 1}})
    p0, p1 = page(0), page(500)
    assert p0["data"][-1]["instanceUid"] == p1["data"][0]["instanceUid"]
    assert p1["meta"]["pagingInfo"]["total"] == 1001
    fleet({"count": 1100, "seed": 6, "grow_at": {500: 500},
           "shrink_at": {1000: 100}})
    assert page(0)["meta"]["pagingInfo"]["total"] == 1100
    assert page(500)["meta"]["pagingInfo"]["total"] == 1600
    assert page(1000)["meta"]["pagingInfo"]["total"] == 1500
    fleet({"count": 1000, "seed": 6, "oversize": {0: 600},
           "count_override": {500: 700}, "total_override": {500: 5}})
    assert len(page(0)["data"]) == 600
    assert page(500)["meta"]["pagingInfo"] == {"total": 5, "count": 700,
                                               "offset": 500}
    fleet({"count": 20, "non_objects": {1: 42, 2: None},
           "big_tasks": {3: 2000}, "paging": "absent"})
    status, body = collection(conn, "expand=BackupServerJob")
    p = json.loads(body)
    assert "meta" not in p
    assert p["data"][1] == 42 and p["data"][2] is None
    assert len(p["data"][3]["_embedded"]["backupServerJob"][
        "lastSessionTasks"]) == 2000
    fleet({"count": 1200, "seed": 6, "pages": {
        500: {"steps": [{"error": {"status": 520, "message": "m",
                                   "type": "unspecified", "code": 500}},
                        {"truncate": 100}, {}]}}})
    status, _ = collection(conn, "limit=500&offset=500")
    assert status == 520
    status, body = collection(conn, "limit=500&offset=500")
    assert status == 200 and len(body) == 100
    with pytest.raises(ValueError):
        json.loads(body)
    assert len(page(500)["data"]) == 500
    conn.close()


def test_fleet_jobs_on_the_single_endpoints(sim, certs, fleet):
    f = fleet({"count": 50, "seed": 8})
    sp = f.spec_at(42)
    conn = client(sim, certs)
    resp, body = get_path(conn, S.JOB_PREFIX + sp["uid"])
    assert resp.status == 200
    assert json.loads(body)["data"]["name"] == sp["name"]
    resp, body = get_path(conn, S.API_PREFIX + sp["uid"])
    assert json.loads(body)["data"]["protectedVmCount"] == sp["protected"]
    resp, _ = get_path(conn, S.JOB_PREFIX + S.fleet_uid(8, 50))
    assert resp.status == 404  # beyond the fleet
    conn.close()


def test_standalone_fleet(certs, tmp_path):
    tok = tmp_path / "tok"
    tok.write_text("standalone-token\n")
    proc = subprocess.Popen(
        [sys.executable, SIM_PATH, "--cert", certs["server_cert"], "--key",
         certs["server_key"], "--token-file", str(tok), "--fleet", "700"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE":
             "1"})
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("PORT "), line
        ctx = ssl.create_default_context(cafile=certs["ca"])
        conn = http.client.HTTPSConnection("127.0.0.1", int(line.split()[1]),
                                           context=ctx, timeout=10)
        resp, body = get_path(conn, S.COLLECTION_PATH + "?limit=500",
                              token="standalone-token")
        page = json.loads(body)
        assert page["meta"]["pagingInfo"]["total"] == 705
        assert page["data"][0]["instanceUid"] == S.SEED_UID
        conn.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        finally:
            proc.stdout.close()
            proc.stderr.close()
    assert proc.returncode == 0

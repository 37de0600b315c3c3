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
import uuid

import pytest

import vspc_profiles as P
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
# BackupServerJob.schedule exists from API 3.6.1 on (these tests ask 3.6)
BSJ_KEYS_36 = BSJ_KEYS - {"schedule"}


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
    assert set(job) == BSJ_KEYS_36, set(job) ^ BSJ_KEYS_36
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
            assert set(emb) == BSJ_KEYS_36
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


# --- server versions (vspc_profiles) -----------------------------------------

FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json; charset=utf-8"


def call(sim, certs, method, target, headers=(), body=None, conn=None):
    """One request with exactly these headers (besides Host and
    Accept-Encoding), repeated names allowed: (response, body)."""
    own = conn is None
    if own:
        conn = client(sim, certs)
    conn.putrequest(method, target)
    for k, v in headers:
        conn.putheader(k, v)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    resp = conn.getresponse()
    data = resp.read()
    if own:
        conn.close()
    return resp, data


def vget(sim, certs, target, version, token=TOKEN, conn=None):
    headers = [("Accept", "application/json")]
    if token is not None:
        headers.append(("Authorization", "Bearer " + token))
    if version is not None:
        headers.append(("X-Client-Version", version))
    return call(sim, certs, "GET", target, headers, conn=conn)


def login(sim, certs, user, password, version, read_only=None,
          conn=None, grant=None):
    fields = grant or {"grant_type": "password", "username": user,
                       "password": password}
    if read_only is not None:
        fields = dict(fields, readOnly=read_only)
    headers = [("Content-Type", FORM), ("Accept", "application/json")]
    if version is not None:
        headers.append(("X-Client-Version", version))
    return call(sim, certs, "POST", S.TOKEN_PATH, headers,
                urllib.parse.urlencode(fields).encode(), conn=conn)


def refusal_bytes(sim, target, version):
    """The exact body ASP.NET API Versioning answers, written out by hand
    (not with vspc_profiles) so that the test checks the simulator."""
    return ('{"error":{"code":"UnsupportedApiVersion","message":"The HTTP '
            "resource that matches the request URI 'https://127.0.0.1:%d%s' "
            "does not support the API version '%s'.\",\"innerError\":null}}"
            % (sim.port, target, version)).encode()


def assert_refused(sim, resp, body, target, version):
    assert resp.status == 400, (resp.status, body)
    assert resp.getheader("Content-Type") == JSON_TYPE
    assert body == refusal_bytes(sim, target, version), body
    err = json.loads(body)
    assert set(err) == {"error"}
    assert set(err["error"]) == {"code", "message", "innerError"}
    assert "'%s'" % version in err["error"]["message"]


def keys_anywhere(obj):
    """Every key of every object in obj, however deep."""
    out = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(k)
            out |= keys_anywhere(v)
    elif isinstance(obj, list):
        for v in obj:
            out |= keys_anywhere(v)
    return out


def test_profiles_table():
    assert P.SERVER_VERSIONS == ["8.0", "8.1", "9.0", "9.1", "9.2"]
    assert P.PROFILES == {
        "8.0": {"3.4"},
        "8.1": {"3.4", "3.5", "3.5.1"},
        "9.0": {"3.4", "3.5", "3.5.1", "3.6"},
        "9.1": {"3.4", "3.5", "3.5.1", "3.6", "3.6.1"},
        "9.2": {"3.4", "3.5", "3.5.1", "3.6", "3.6.1", "3.6.2"}}
    assert [P.newest(v) for v in P.SERVER_VERSIONS] == [
        "3.4", "3.5.1", "3.6", "3.6.1", "3.6.2"]
    assert S.SERVER_VERSIONS is P.SERVER_VERSIONS


def test_default_sim_plays_9_2(sim):
    assert sim.server_version == "9.2"
    assert sim.accepted_versions == P.PROFILES["9.2"]
    assert sim.paging_style == "standard"


@pytest.mark.parametrize("server", P.SERVER_VERSIONS)
@pytest.mark.parametrize("api", P.API_VERSIONS)
def test_versions_accepted_and_refused(view_for, certs, server, api):
    v = view_for(server)
    assert v.sim.server_version == server
    uid = v.health(name="Versioned")
    user, password = "ver-" + uuid.uuid4().hex[:8], "pw-" + uuid.uuid4().hex
    v.sim.add_account(user, password)
    conn = client(v.sim, certs)
    resp, body = vget(v.sim, certs, S.JOB_PREFIX + uid, api, conn=conn)
    tresp, tbody = login(v.sim, certs, user, password, api, conn=conn)
    conn.close()
    reqs = v.requests()
    assert [r["endpoint"] for r in reqs] == ["job", "token"]
    if api in P.PROFILES[server]:
        assert resp.status == 200, body
        assert json.loads(body)["data"]["name"] == "Versioned"
        assert tresp.status == 200, tbody
        assert json.loads(tbody)["access_token"]
        assert [r["api_version"] for r in reqs] == [api, api]
        assert reqs[1]["outcome"] == "token"
        assert v.sim.counts(user)["logins"] == 1
    else:
        assert_refused(v.sim, resp, body, S.JOB_PREFIX + uid, api)
        assert_refused(v.sim, tresp, tbody, S.TOKEN_PATH, api)
        for r in reqs:
            assert r["outcome"] == "unsupported_version", r
            assert r["version_error"] == "unsupported", r
            assert r["status"] == 400 and r["api_version"] is None, r
            assert r["server_version"] == server
        assert reqs[0]["uid"] == uid
        assert reqs[1]["grant_type"] == "password"
        assert reqs[1]["username"] == user and reqs[1]["issued"] is None
        # refused before any account saw it
        assert v.sim.counts(user) == {"password_grants": 0,
                                      "refresh_grants": 0, "logins": 0,
                                      "refreshes": 0, "mfa_prompts": 0}
        assert v.sim.issued(user) == []
        assert v.sim.hits(uid, "job") == 0


@pytest.mark.parametrize("token", [TOKEN, WRONG_TOKEN, None])
def test_version_checked_before_authentication(view_for, certs, token):
    v = view_for("8.1")
    resp, body = vget(v.sim, certs, S.API_PREFIX + S.SEED_UID, "3.6",
                      token=token)
    assert_refused(v.sim, resp, body, S.API_PREFIX + S.SEED_UID, "3.6")
    assert v.requests()[0]["auth"] is None  # never looked at
    resp, _ = vget(v.sim, certs, S.API_PREFIX + S.SEED_UID, "3.5.1",
                   token=token)
    assert resp.status == (200 if token == TOKEN else 401)


def test_refusal_names_the_full_request_uri(view_for, certs):
    v = view_for("8.0")
    flt = urllib.parse.quote(json.dumps([{"property": "instanceUid",
                                          "operation": "equals",
                                          "value": S.SEED_UID}]))
    target = (S.COLLECTION_PATH + "?expand=BackupServerJob&limit=500"
              "&offset=0&filter=" + flt)
    resp, body = vget(v.sim, certs, target, "3.5")
    assert_refused(v.sim, resp, body, target, "3.5")
    assert "filter=%5B%7B%22property" in json.loads(body)["error"]["message"]
    req = v.requests()[0]
    assert req["endpoint"] == "collection" and req["status"] == 400
    server_target = S.BASE_PATH + S.DEFAULT_SERVER + "/jobs/replicationVmJobs"
    resp, body = vget(v.sim, certs, server_target, "3.6.2")
    assert_refused(v.sim, resp, body, server_target, "3.6.2")


def test_unknown_route_is_still_404(view_for, certs):
    v = view_for("8.0")
    resp, _ = vget(v.sim, certs, "/api/v3/nothing/here", "3.6")
    assert resp.status == 404


@pytest.mark.parametrize("value", ["", "latest", "3.6;", "v3.6", "3.6 beta",
                                   "3.6.0", "3,6", "03.6", "3.6.2.1"])
def test_malformed_or_unknown_spellings_refused(sim, vspc, certs, value):
    resp, body = vget(sim, certs, S.JOB_PREFIX + S.SEED_UID, value)
    assert_refused(sim, resp, body, S.JOB_PREFIX + S.SEED_UID, value)
    req = vspc.requests()[0]
    assert req["outcome"] == "unsupported_version"
    malformed = value not in ("3.6.0", "03.6", "3.6.2.1")
    assert req["version_error"] == ("malformed" if malformed
                                    else "unsupported")


def test_several_version_headers(sim, vspc, certs):
    target = S.JOB_PREFIX + S.SEED_UID
    auth = ("Authorization", "Bearer " + TOKEN)
    resp, body = call(sim, certs, "GET", target, [
        auth, ("X-Client-Version", "3.5"), ("X-Client-Version", "3.6")])
    assert resp.status == 400
    assert json.loads(body) == {"error": {
        "code": "AmbiguousApiVersion",
        "message": "The following API versions were requested: 3.5, 3.6. "
                   "At most, only a single API version may be specified. "
                   "Please update the intended API version and retry the "
                   "request.", "innerError": None}}
    resp, body = call(sim, certs, "GET", target, [
        auth, ("X-Client-Version", "3.5.1"), ("X-Client-Version", "3.5.1")])
    assert resp.status == 200
    reqs = vspc.requests()
    assert reqs[0]["version_error"] == "ambiguous"
    assert reqs[1]["api_version"] == "3.5.1"


@pytest.mark.parametrize("server,api", [
    ("8.0", "3.4"), ("8.1", "3.5.1"), ("9.0", "3.6"), ("9.1", "3.6.1"),
    ("9.2", "3.6.2")])
def test_no_header_is_the_newest_version(view_for, certs, server, api):
    v = view_for(server)
    uid = v.health(name="Newest", unique_uid=str(uuid.uuid4()))
    resp, body = vget(v.sim, certs, S.JOB_PREFIX + uid, None)
    assert resp.status == 200
    job = json.loads(body)["data"]
    assert v.requests()[0]["api_version"] == api
    assert v.requests()[0]["client_version"] is None
    assert job["instanceUid"] == uid
    assert ("uniqueUid" in job) == (api != "3.4")
    assert ("schedule" in job) == (api in ("3.6.1", "3.6.2"))
    # the token endpoint too
    user, password = "new-" + uuid.uuid4().hex[:8], "pw"
    v.sim.add_account(user, password)
    resp, _ = login(v.sim, certs, user, password, None, read_only="true")
    assert resp.status == 200
    rec = v.requests()[-1]
    assert rec["api_version"] == api
    assert rec["read_only"] is (api not in ("3.4", "3.5.1"))


SHAPE_APIS = ["3.4", "3.5", "3.5.1", "3.6", "3.6.1", "3.6.2"]


def check_uids(obj, api, bnr, vspc_uid, what):
    if api == "3.4":
        assert obj["instanceUid"] == bnr, what
        assert "uniqueUid" not in obj and "originalUid" not in obj, what
    elif api == "3.5":
        assert obj["instanceUid"] == vspc_uid, what
        assert obj["originalUid"] == bnr, what
        assert "uniqueUid" not in obj, what
    else:
        assert obj["instanceUid"] == bnr, what
        assert obj["uniqueUid"] == vspc_uid, what


@pytest.mark.parametrize("api", SHAPE_APIS)
def test_fields_per_version_single_answers(vspc, sim, certs, api):
    vspc_uid = str(uuid.uuid4())
    uid = vspc.health(name="Shaped", unique_uid=vspc_uid, chain_size=12345)
    conn = client(sim, certs)
    r1, b1 = vget(sim, certs, S.API_PREFIX + uid, api, conn=conn)
    r2, b2 = vget(sim, certs, S.JOB_PREFIX + uid, api, conn=conn)
    conn.close()
    assert r1.status == r2.status == 200  # the B&R UID in the URL, always
    repl, bsj = json.loads(b1)["data"], json.loads(b2)["data"]
    check_uids(repl, api, uid, vspc_uid, "replication")
    check_uids(bsj, api, uid, vspc_uid, "BackupServerJob")
    decoy = repl["_embedded"]["backupServerJob"]
    if api in ("3.4", "3.5"):
        check_uids(decoy, api, uid, vspc_uid, "decoy")
    else:  # the decoy carries no uniqueUid of its own
        assert decoy["instanceUid"] == uid and "originalUid" not in decoy
    assert bsj["backupChainSize"] == 12345
    assert ("schedule" in bsj) == (api in ("3.6.1", "3.6.2"))
    if "schedule" in bsj:
        assert bsj["schedule"]["dailyScheduleOptions"]["kind"] == "Everyday"
        assert bsj["schedule"]["startDateTimeUtc"].endswith("Z")
    if api == "3.4":
        assert not {"uniqueUid", "originalUid"} & keys_anywhere(repl)
        assert not {"uniqueUid", "originalUid"} & keys_anywhere(bsj)


@pytest.mark.parametrize("api", SHAPE_APIS)
def test_fields_per_version_collection(sim, certs, fleet, api):
    vspc_uid = str(uuid.uuid4())
    bnr = str(uuid.uuid4())
    fleet({"jobs": [{"uid": bnr, "unique_uid": vspc_uid, "name": "Coll"}],
           "count": 3, "seed": 21})
    conn = client(sim, certs)
    _, body = vget(sim, certs, S.COLLECTION_PATH + "?expand=BackupServerJob",
                   api, conn=conn)
    conn.close()
    items = json.loads(body)["data"]
    assert len(items) == 4
    check_uids(items[0], api, bnr, vspc_uid, "item")
    emb = items[0]["_embedded"]["backupServerJob"]
    check_uids(emb, api, bnr, vspc_uid, "embedded")
    assert emb["name"] == "Coll"
    for item in items[1:]:
        gen = item["_embedded"]["backupServerJob"]
        assert ("schedule" in gen) == (api in ("3.6.1", "3.6.2"))
        assert "backupChainSize" in gen
        if api == "3.5":
            assert item["originalUid"].startswith("f1ee7")
            assert gen["originalUid"] == item["originalUid"]
            assert gen["instanceUid"] == item["instanceUid"]
    if api == "3.4":
        assert not {"uniqueUid", "originalUid"} & keys_anywhere(items)


@pytest.mark.parametrize("api", SHAPE_APIS)
def test_fields_per_version_data_steps(sim, certs, api):
    # the built-in seed job is a data step: make_job() with its _embedded
    # carrying an originalUid of its own
    _, body = vget(sim, certs, S.API_PREFIX + S.SEED_UID, api)
    data = json.loads(body)["data"]
    check_uids(data, api, S.SEED_UID, S.SEED_UNIQUE_UID, "seed")
    emb = data["_embedded"]["backupServerJob"]
    assert ("schedule" in emb) == (api in ("3.6.1", "3.6.2"))
    if api == "3.4":
        assert not {"uniqueUid", "originalUid"} & keys_anywhere(data)
    elif api == "3.5":
        assert emb["instanceUid"] == S.SEED_UNIQUE_UID
        assert emb["originalUid"] == S.SEED_UID
    else:
        assert emb["originalUid"] == "6a4c2357-29f4-4a28-b7a8-1870ea6f4e5a"


def test_versioned_false_serves_data_verbatim(vspc, sim, certs):
    uid = str(uuid.uuid4())
    uid = vspc.set(uid, {"data": S.make_job(uid), "versioned": False})
    _, body = vget(sim, certs, S.API_PREFIX + uid, "3.4")
    data = json.loads(body)["data"]
    assert "uniqueUid" in data and "schedule" in data["_embedded"][
        "backupServerJob"]


def test_collection_filter_sees_the_version(sim, certs, fleet):
    vspc_uid, bnr = str(uuid.uuid4()), str(uuid.uuid4())
    fleet({"jobs": [{"uid": bnr, "unique_uid": vspc_uid}], "count": 5,
           "seed": 22})
    conn = client(sim, certs)

    def listed(prop, value, api):
        q = "?filter=" + urllib.parse.quote(json.dumps([{
            "property": prop, "operation": "equals", "value": value}]))
        resp, body = vget(sim, certs, S.COLLECTION_PATH + q, api, conn=conn)
        assert resp.status == 200, body
        return len(json.loads(body)["data"])
    assert listed("instanceUid", bnr, "3.6") == 1
    assert listed("instanceUid", vspc_uid, "3.6") == 0
    assert listed("instanceUid", bnr, "3.5") == 0
    assert listed("instanceUid", vspc_uid, "3.5") == 1
    assert listed("originalUid", bnr, "3.5") == 1
    assert listed("uniqueUid", vspc_uid, "3.4") == 0
    assert listed("uniqueUid", vspc_uid, "3.5.1") == 1
    conn.close()


@pytest.mark.parametrize("api", SHAPE_APIS)
def test_read_only_honoured_from_3_6(sim, vspc, certs, api):
    user, password = "ro-" + uuid.uuid4().hex[:8], "pw-" + uuid.uuid4().hex
    sim.add_account(user, password)
    honoured = api in ("3.6", "3.6.1", "3.6.2")
    conn = client(sim, certs)
    r1, b1 = login(sim, certs, user, password, api, read_only="true",
                   conn=conn)
    r2, b2 = login(sim, certs, user, password, api, conn=conn)
    # a refresh (readOnly sent again) of the first login's token
    r3, b3 = login(sim, certs, user, password, api, conn=conn,
                   read_only="true", grant={
                       "grant_type": "refresh_token",
                       "refresh_token": json.loads(b2)["refresh_token"]})
    r4, b4 = login(sim, certs, user, password, api, conn=conn, grant={
        "grant_type": "refresh_token",
        "refresh_token": json.loads(b1)["refresh_token"]})
    conn.close()
    assert r1.status == r2.status == r3.status == r4.status == 200
    recs = vspc.requests()
    assert [r["read_only_sent"] for r in recs] == [True, False, True, False]
    assert [r["read_only"] for r in recs] == [honoured, False, honoured,
                                              honoured]
    access = {r["value"]: r for r in sim.issued(user)
              if r["kind"] == "access"}
    for body, want in ((b1, honoured), (b2, False), (b3, honoured),
                       (b4, honoured)):
        assert access[json.loads(body)["access_token"]]["read_only"] is want


def test_read_only_kept_by_a_refresh_under_an_older_version(sim, vspc,
                                                            certs):
    user, password = "rk-" + uuid.uuid4().hex[:8], "pw"
    sim.add_account(user, password)
    _, b1 = login(sim, certs, user, password, "3.6", read_only="true")
    _, b2 = login(sim, certs, user, password, "3.5.1", grant={
        "grant_type": "refresh_token",
        "refresh_token": json.loads(b1)["refresh_token"]})
    assert [r["read_only"] for r in vspc.requests()] == [True, True]
    recs = {r["value"]: r for r in sim.issued(user)}
    assert recs[json.loads(b2)["access_token"]]["read_only"] is True
    # and a job request with it says so
    _, b3 = login(sim, certs, user, password, "3.5.1", read_only="true")
    for body, want in ((b2, True), (b3, False)):
        resp, _ = vget(sim, certs, S.JOB_PREFIX + S.SEED_UID, "3.6",
                       token=json.loads(body)["access_token"])
        assert resp.status == 200
        assert vspc.requests()[-1]["bearer_read_only"] is want


def test_failed_login_records_no_read_only(sim, vspc, certs):
    user = "rf-" + uuid.uuid4().hex[:8]
    sim.add_account(user, "right")
    resp, _ = login(sim, certs, user, "wrong", "3.6", read_only="true")
    assert resp.status == 400
    rec = vspc.requests()[0]
    assert rec["outcome"] == "bad_credentials"
    assert rec["read_only_sent"] is True and rec["read_only"] is None


@pytest.mark.parametrize("style,info", [
    ("standard", {"total": 7, "count": 3, "offset": 4}),
    ("skip", {"total": 7, "count": 3, "skip": 4}),
    ("total_only", {"total": 7})])
def test_paging_styles(sim, vspc, certs, fleet, style, info):
    fleet({"count": 7, "seed": 23})
    sim.set_paging_style(style)
    assert sim.paging_style == style
    _, body = vget(sim, certs, S.COLLECTION_PATH + "?limit=3&offset=4",
                   "3.6")
    page = json.loads(body)
    assert page["meta"] == {"pagingInfo": info}
    assert [i["instanceUid"] for i in page["data"]] == [
        S.fleet_uid(23, n) for n in (4, 5, 6)]
    assert vspc.requests()[0]["paging_style"] == style


def test_paging_style_fleet_key_wins(sim, certs, fleet):
    fleet({"count": 3, "seed": 24, "paging_style": "skip"})
    sim.set_paging_style("total_only")
    _, body = vget(sim, certs, S.COLLECTION_PATH, "3.6")
    assert json.loads(body)["meta"]["pagingInfo"] == {
        "total": 3, "count": 3, "skip": 0}
    with pytest.raises(ValueError):
        sim.set_paging_style("offset")
    with pytest.raises(ValueError):
        S.Fleet({"paging_style": "nope"})


def test_set_server_version_takes_effect(sim, vspc, certs):
    conn = client(sim, certs)
    target = S.JOB_PREFIX + S.SEED_UID
    r1, _ = vget(sim, certs, target, "3.6.2", conn=conn)
    sim.set_server_version("8.1")  # "downgrade" between two requests
    assert sim.server_version == "8.1"
    r2, b2 = vget(sim, certs, target, "3.6.2", conn=conn)
    r3, b3 = vget(sim, certs, target, None, conn=conn)
    sim.set_server_version("9.1")
    r4, b4 = vget(sim, certs, target, None, conn=conn)
    conn.close()
    assert r1.status == 200
    assert_refused(sim, r2, b2, target, "3.6.2")
    assert r3.status == 200 and "schedule" not in json.loads(b3)["data"]
    assert r4.status == 200 and "schedule" in json.loads(b4)["data"]
    assert [r["server_version"] for r in vspc.requests()] == [
        "9.2", "8.1", "8.1", "9.1"]
    assert [r["api_version"] for r in vspc.requests()] == [
        "3.6.2", None, "3.5.1", "3.6.1"]
    with pytest.raises(ValueError):
        sim.set_server_version("9.3")
    assert sim.server_version == "9.1"
    # left at 9.1 on purpose: the next test checks the fixture undoes it
    sim.set_paging_style("skip")


def test_server_version_does_not_leak_between_tests(sim, sim_version):
    # runs after test_set_server_version_takes_effect, which left the
    # shared simulator at 9.1 with paging style skip
    assert sim.server_version == "9.2"
    assert sim.paging_style == "standard"
    for v in P.SERVER_VERSIONS:
        assert sim_version(v).server_version == v


def test_sim_version_fixture(sim, sim_version, view_for, certs):
    s80 = sim_version("8.0")
    assert s80 is sim_version("8.0") and s80 is not sim
    assert s80.server_version == "8.0" and s80.port != sim.port
    v = view_for("8.0")
    assert v.sim is s80 and v.port == s80.port
    assert "-p" in v.hargs() and str(s80.port) in v.hargs()
    with pytest.raises(ValueError):
        sim_version("7.0")
    resp, _ = vget(s80, certs, S.JOB_PREFIX + S.SEED_UID, "3.4",
                   token=API_KEY)
    assert resp.status == 200  # same token and API key as the sim fixture


def test_constructor_server_version(certs):
    with pytest.raises(ValueError):
        S.VspcSim(certs["server_cert"], certs["server_key"],
                  server_version="8.2")
    s = S.VspcSim(certs["server_cert"], certs["server_key"],
                  server_version="9.0", paging_style="skip")
    try:
        assert s.server_version == "9.0" and s.paging_style == "skip"
        assert s.accepted_versions == P.PROFILES["9.0"]
    finally:
        s.listener.sock.close()


@pytest.mark.parametrize("literal", [
    "2026-11-30T08:00:00", "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+00:00", "1900-01-01T00:00:00Z"])
def test_literal_timestamps(vspc, sim, certs, fleet, literal):
    spec = {"name": "Literal", "last_end": literal, "last_run": literal}
    uid = vspc.health(**spec)
    _, body = vget(sim, certs, S.JOB_PREFIX + uid, "3.6")
    job = json.loads(body)["data"]
    assert job["lastEndTime"] == literal and job["lastRun"] == literal
    assert vspc.requests()[0]["end"] is None
    fleet({"jobs": [dict(spec, uid=uid)]})
    _, body = vget(sim, certs, S.COLLECTION_PATH + "?expand=BackupServerJob",
                   "3.6")
    emb = json.loads(body)["data"][0]["_embedded"]["backupServerJob"]
    assert emb["lastEndTime"] == literal and emb["lastRun"] == literal
    assert ('"lastEndTime": "%s"' % literal).encode() in body  # verbatim


@pytest.mark.parametrize("shape,offset,frac", [
    ("naive", 0, ""), (".123naive", 0, ".123"), ("naive+02:00", 7200, ""),
    ("frac7naive-04:00", -14400, ".0000000")])
def test_naive_shape(vspc, sim, certs, shape, offset, frac):
    uid = vspc.health(name="Naive", end_age=3600, end_shape=shape,
                      duration=60)
    _, body = vget(sim, certs, S.JOB_PREFIX + uid, "3.6")
    job = json.loads(body)["data"]
    req = vspc.requests()[0]
    want = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(
        req["anchor"] - 3600 + offset)) + frac
    assert job["lastEndTime"] == want
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$",
                    job["lastRun"])
    assert req["end_whole"] == req["anchor"] - 3600  # the true moment
    assert req["end_frac"] == pytest.approx(0.123 if frac == ".123" else 0)
    assert S.parse_shape(shape)[1] == ""


def test_standalone_server_version(certs, tmp_path):
    help_text = subprocess.run(
        [sys.executable, SIM_PATH, "--help"], stdout=subprocess.PIPE,
        env={"PATH": os.environ.get("PATH", ""),
             "PYTHONDONTWRITEBYTECODE": "1"}, check=True).stdout.decode()
    assert "--server-version {8.0,8.1,9.0,9.1,9.2}" in help_text
    assert "--paging-style" in help_text
    tok = tmp_path / "tok"
    tok.write_text("standalone-token\n")
    proc = subprocess.Popen(
        [sys.executable, SIM_PATH, "--cert", certs["server_cert"], "--key",
         certs["server_key"], "--token-file", str(tok),
         "--server-version", "8.0", "--paging-style", "total_only"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE":
             "1"})
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("PORT "), line
        ctx = ssl.create_default_context(cafile=certs["ca"])
        conn = http.client.HTTPSConnection("127.0.0.1", int(line.split()[1]),
                                           context=ctx, timeout=10)
        resp, body = get_path(conn, S.JOB_PREFIX + S.SEED_UID,
                              token="standalone-token", version="3.6")
        assert resp.status == 400
        assert json.loads(body)["error"]["code"] == "UnsupportedApiVersion"
        resp, body = get_path(conn, S.JOB_PREFIX + S.SEED_UID,
                              token="standalone-token", version="3.4")
        assert resp.status == 200
        assert "uniqueUid" not in json.loads(body)["data"]
        resp, body = get_path(conn, S.COLLECTION_PATH,
                              token="standalone-token", version="3.4")
        assert set(json.loads(body)["meta"]["pagingInfo"]) == {"total"}
        conn.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        finally:
            proc.stdout.close()
            proc.stderr.close()
    assert proc.returncode == 0

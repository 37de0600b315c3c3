"""The simulator itself, checked with Python's own HTTPS client, so that a
failing plugin test points at the plugin and not at the simulator."""

import calendar
import http.client
import json
import os
import random
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
    with S.running(["--cert", certs["server_cert"], "--key",
                    certs["server_key"], "--token-file", str(tok),
                    "--fixtures", str(fixtures)]) as (proc, port):
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


def test_frozen_clock_keeps_every_timestamp(sim, certs, fleet):
    f = fleet({"count": 3, "seed": 9})
    uid = f.spec_at(1)["uid"]
    conn = client(sim, certs)

    def seen():
        _, job = get_path(conn, S.JOB_PREFIX + uid)
        _, page = collection(conn, "expand=BackupServerJob")
        emb = json.loads(page)["data"][1]["_embedded"]["backupServerJob"]
        return json.loads(job)["data"]["lastEndTime"], emb["lastEndTime"]

    then = int(time.time()) - 7200
    assert sim.freeze_clock(then) == then and sim.clock() == then
    first = seen()
    time.sleep(1.1)  # the clock would have moved on by a second
    assert seen() == first
    assert int(parse_ts(first[0])) == then - f.spec_at(1)["end_age"]
    assert first[0] == first[1]
    assert sim.freeze_clock(None) is None
    assert abs(sim.clock() - time.time()) < 2
    assert parse_ts(seen()[0]) > parse_ts(first[0]) + 7000
    conn.close()


def test_scope_shows_a_credential_its_organizations_only(sim, certs, fleet):
    f = fleet({"count": 40, "seed": 10})
    org = S.FLEET_ORGS[1]
    mine = [sp["uid"] for sp in f.specs()
            if org in (sp["org"], sp["mapped_org"])]
    other = next(sp["uid"] for sp in f.specs()
                 if org not in (sp["org"], sp["mapped_org"]))
    assert 0 < len(mine) < 40
    sim.set_scope([org.upper()], token=API_KEY)
    conn = client(sim, certs)
    try:
        status, body = collection(conn, "limit=500")
        assert status == 200 and len(json.loads(body)["data"]) == 40
        resp, body = get_path(conn, S.COLLECTION_PATH + "?limit=500",
                              token=API_KEY)
        page = json.loads(body)
        assert [i["instanceUid"] for i in page["data"]] == mine
        assert page["meta"]["pagingInfo"]["total"] == len(mine)
        for uid, want in ((mine[0], 200), (other, 404)):
            for prefix in (S.API_PREFIX, S.JOB_PREFIX):
                resp, _ = get_path(conn, prefix + uid, token=API_KEY)
                assert resp.status == want, (prefix, uid)
        # a built-in job of no organization the scope names: not seen
        resp, _ = get_path(conn, S.API_PREFIX + S.SEED_UID, token=API_KEY)
        assert resp.status == 404
        resp, _ = get_path(conn, S.API_PREFIX + S.SEED_UID)
        assert resp.status == 200
        reqs = sim.requests()
        assert reqs[-1]["principal"] == ("token", TOKEN)
        assert reqs[-2]["principal"] == ("token", API_KEY)
        sim.set_scope(None, token=API_KEY)
        resp, _ = get_path(conn, S.API_PREFIX + other, token=API_KEY)
        assert resp.status == 200
    finally:
        sim.set_scope(None, token=API_KEY)
        conn.close()


def test_standalone_fleet(certs, tmp_path):
    tok = tmp_path / "tok"
    tok.write_text("standalone-token\n")
    proc, port = S.start_process(
        ["--cert", certs["server_cert"], "--key", certs["server_key"],
         "--token-file", str(tok), "--fleet", "700"])
    try:
        ctx = ssl.create_default_context(cafile=certs["ca"])
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                           timeout=10)
        resp, body = get_path(conn, S.COLLECTION_PATH + "?limit=500",
                              token="standalone-token")
        page = json.loads(body)
        assert page["meta"]["pagingInfo"]["total"] == 705
        assert page["data"][0]["instanceUid"] == S.SEED_UID
        conn.close()
    finally:
        S.stop_process(proc)
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


def test_constructor_server_version(certs, make_sim):
    with pytest.raises(ValueError):
        S.VspcSim(certs["server_cert"], certs["server_key"],
                  server_version="8.2")
    s = make_sim(server_version="9.0", paging_style="skip")
    assert s.server_version == "9.0" and s.paging_style == "skip"
    assert s.accepted_versions == P.PROFILES["9.0"]


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
    proc, port = S.start_process(
        ["--cert", certs["server_cert"], "--key", certs["server_key"],
         "--token-file", str(tok), "--server-version", "8.0",
         "--paging-style", "total_only"])
    try:
        ctx = ssl.create_default_context(cafile=certs["ca"])
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                           timeout=10)
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
        S.stop_process(proc)
    assert proc.returncode == 0


# --- CDP replication policies ------------------------------------------------

LAST_PERIOD_DEFAULTS = {
    "successCount": 1440, "warningCount": 0, "errorsCount": 0, "sla": 100,
    "maxDelay": 4, "syncInterval": 15, "averageDuration": 3,
    "maximumDuration": 9, "averageData": 2048, "maximumData": 8192,
    "totalData": 2949120, "bottleneck": "Source"}
# the schema's BackupServerCdpReplicationJob keys, written out by hand
CDP_ITEM_KEYS = {"instanceUid", "uniqueUid", "rpo", "rpoUnit",
                 "shortTermRetention", "shortTermRetentionUnit",
                 "longTermRetention", "longTermRetentionUnit",
                 "keepRestorePointsInDays", "sourceProxyAutoDetect",
                 "targetProxyAutoDetect", "isApplicationAwareEnabled",
                 "lastPeriod", "lastDay"}
LAST_DAY_KEYS = {"successCount", "warningCount", "errorsCount", "totalSize",
                 "readData", "transferredData", "sla", "maxDelay",
                 "bottleneck"}
CDP_COLLECTION = "/api/v3/infrastructure/backupServers/jobs/cdpReplicationJobs"
CDP_ONE = CDP_COLLECTION + "/"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{12}$")


def page_of(conn, path, query="", version="3.6"):
    resp, body = get_path(conn, path + ("?" + query if query else ""),
                          version=version)
    assert resp.status == 200, body
    return json.loads(body)


def uids_of(page):
    return [i["instanceUid"] for i in page["data"]]


def test_cdp_paths_are_the_spec_s():
    assert S.CDP_COLLECTION_PATH == CDP_COLLECTION
    assert S.collection_path("cdp", "x") == \
        "/api/v3/infrastructure/backupServers/x/jobs/cdpReplicationJobs"
    assert S.collection_path() == S.COLLECTION_PATH


def test_cdp_single_policy(vspc, sim, certs):
    conn = client(sim, certs)
    resp, body = get_path(conn, CDP_ONE + S.CDP_UID)
    conn.close()
    assert resp.status == 200, body
    env = json.loads(body)
    assert set(env) == {"data", "meta", "errors"}
    cdp = env["data"]
    assert set(cdp) == CDP_ITEM_KEYS  # no _embedded by default
    assert cdp["instanceUid"] == S.CDP_UID
    assert UUID_RE.match(cdp["uniqueUid"]) and cdp["uniqueUid"] != S.CDP_UID
    assert (cdp["rpo"], cdp["rpoUnit"]) == (15, "Seconds")
    assert cdp["lastPeriod"] == LAST_PERIOD_DEFAULTS
    assert set(cdp["lastDay"]) == LAST_DAY_KEYS
    assert cdp["sourceProxyAutoDetect"] is True
    assert cdp["isApplicationAwareEnabled"] is False
    req = vspc.requests()[0]
    assert req["endpoint"] == "cdp" and req["uid"] == S.CDP_UID


def test_cdp_built_in_policies(sim, certs):
    conn = client(sim, certs)

    def one(uid):
        resp, body = get_path(conn, CDP_ONE + uid)
        assert resp.status == 200, (uid, body)
        return json.loads(body)["data"]
    no_sla = one(S.CDP_NO_SLA_UID)["lastPeriod"]
    assert "sla" in no_sla and no_sla["sla"] is None
    assert "maxDelay" in no_sla and no_sla["maxDelay"] is None
    no_period = one(S.CDP_NO_PERIOD_UID)
    assert "lastPeriod" in no_period and no_period["lastPeriod"] is None
    assert one(S.CDP_UNKNOWN_UNIT_UID)["rpoUnit"] == "Unknown"
    assert one(S.CDP_UID)["lastPeriod"]["sla"] == 100
    # the default fleet's CDP collection lists the four, and only them
    page = page_of(conn, CDP_COLLECTION)
    assert uids_of(page) == [S.CDP_UID, S.CDP_NO_SLA_UID,
                             S.CDP_NO_PERIOD_UID, S.CDP_UNKNOWN_UNIT_UID]
    assert not set(uids_of(page)) & set(uids_of(page_of(
        conn, S.COLLECTION_PATH)))
    conn.close()


def test_backup_server_job_type(sim, certs):
    conn = client(sim, certs)
    _, body = get_path(conn, S.JOB_PREFIX + S.CDP_UID)
    cdp_job = json.loads(body)["data"]
    _, body = get_path(conn, S.JOB_PREFIX + S.SEED_UID)
    vm_job = json.loads(body)["data"]
    conn.close()
    assert cdp_job["type"] == "CdpReplicationVM"
    assert cdp_job["name"] == "CDP SQL cluster"
    assert cdp_job["scheduleType"] == "Continuously"
    assert set(cdp_job) == BSJ_KEYS_36
    assert vm_job["type"] == "ReplicationVM"


def test_cdp_and_replication_endpoints_do_not_mix(sim, certs):
    conn = client(sim, certs)
    for path, message in (
            (CDP_ONE + "deadbeef-0000-4000-8000-000000000404",
             S.MSG_CDP_MISSING),
            (CDP_ONE + S.SEED_UID, S.MSG_CDP_MISSING),  # a VM job
            (S.API_PREFIX + S.CDP_UID, S.MSG_JOB_MISSING)):  # a policy
        resp, body = get_path(conn, path)
        assert resp.status == 404, path
        assert json.loads(body)["errors"][0]["message"] == message
    conn.close()


def test_other_job_types_only_on_the_job_endpoint(vspc, sim, certs, fleet):
    uid = vspc.health(name="A backup job", type="BackupVm")
    conn = client(sim, certs)
    resp, body = get_path(conn, S.JOB_PREFIX + uid)
    assert resp.status == 200
    assert json.loads(body)["data"]["type"] == "BackupVm"
    for path in (S.API_PREFIX + uid, CDP_ONE + uid):
        resp, _ = get_path(conn, path)
        assert resp.status == 404, path
    # in a fleet: listed by no collection, served by .../jobs/{uid} only
    other = str(uuid.uuid4())
    cdp_other = str(uuid.uuid4())
    fleet({"jobs": [{"uid": other, "type": "BackupVm", "name": "Backup"},
                    {"uid": S.SEED_UID}],
           "cdp_jobs": [{"uid": cdp_other, "type": "BackupCopy"},
                        {"uid": S.CDP_UID}]})
    assert uids_of(page_of(conn, S.COLLECTION_PATH)) == [S.SEED_UID]
    assert uids_of(page_of(conn, CDP_COLLECTION)) == [S.CDP_UID]
    for u, want in ((other, "BackupVm"), (cdp_other, "BackupCopy")):
        resp, body = get_path(conn, S.JOB_PREFIX + u)
        assert resp.status == 200 and \
            json.loads(body)["data"]["type"] == want
    for path in (S.API_PREFIX + other, CDP_ONE + cdp_other):
        resp, _ = get_path(conn, path)
        assert resp.status == 404, path
    conn.close()


def test_cdp_spec_keys(vspc, sim, certs):
    uid = vspc.cdp(name="Keys", rpo=7, rpo_unit="Fortnights",
                   short_term_retention=3, short_term_retention_unit="Hours",
                   long_term_retention=9, long_term_retention_unit="Days",
                   keep_restore_points_in_days=14,
                   source_proxy_auto_detect=False,
                   target_proxy_auto_detect=False,
                   is_application_aware_enabled=True,
                   last_period={"sla": None, "errorsCount": 3,
                                "bottleneck": "Throttling"},
                   last_day=None)
    conn = client(sim, certs)
    _, body = get_path(conn, CDP_ONE + uid)
    cdp = json.loads(body)["data"]
    assert (cdp["rpo"], cdp["rpoUnit"]) == (7, "Fortnights")
    assert (cdp["shortTermRetention"], cdp["shortTermRetentionUnit"]) == (
        3, "Hours")
    assert (cdp["longTermRetention"], cdp["longTermRetentionUnit"]) == (
        9, "Days")
    assert cdp["keepRestorePointsInDays"] == 14
    assert cdp["sourceProxyAutoDetect"] is False
    assert cdp["targetProxyAutoDetect"] is False
    assert cdp["isApplicationAwareEnabled"] is True
    want = dict(LAST_PERIOD_DEFAULTS, sla=None, errorsCount=3,
                bottleneck="Throttling")
    assert cdp["lastPeriod"] == want
    assert "lastDay" in cdp and cdp["lastDay"] is None
    _, body = get_path(conn, S.JOB_PREFIX + uid)
    job = json.loads(body)["data"]
    assert job["name"] == "Keys" and job["type"] == "CdpReplicationVM"

    uid = vspc.cdp(rpo_unit=7, last_period="absent", last_day="absent",
                   cdp_omit=["rpo", "uniqueUid"],
                   cdp_extra={"keepRestorePointsInDays": "2",
                              "surprise": [1]})
    _, body = get_path(conn, CDP_ONE + uid)
    cdp = json.loads(body)["data"]
    assert cdp["rpoUnit"] == 7
    assert "lastPeriod" not in cdp and "lastDay" not in cdp
    assert "rpo" not in cdp and "uniqueUid" not in cdp
    assert cdp["keepRestorePointsInDays"] == "2" and cdp["surprise"] == [1]
    uid = vspc.cdp(last_period=None, last_day={"maxDelay": -5})
    _, body = get_path(conn, CDP_ONE + uid)
    cdp = json.loads(body)["data"]
    assert cdp["lastPeriod"] is None and cdp["lastDay"]["maxDelay"] == -5
    uid = vspc.cdp(never_run=True)
    _, body = get_path(conn, CDP_ONE + uid)
    idle = json.loads(body)["data"]["lastPeriod"]
    assert idle["successCount"] == 0 and idle["sla"] is None
    assert idle["bottleneck"] == "NotDefined"
    conn.close()


@pytest.mark.parametrize("mode,want", [
    ("absent", "no key"), ("null", None), ("empty", {"backupServerJob": None}),
    ("job", "job")])
def test_cdp_single_embedded(vspc, sim, certs, mode, want):
    uid = vspc.cdp(name="Embedded", single_embedded=mode)
    conn = client(sim, certs)
    _, body = get_path(conn, CDP_ONE + uid)
    conn.close()
    cdp = json.loads(body)["data"]
    if want == "no key":
        assert "_embedded" not in cdp
    elif want == "job":
        job = cdp["_embedded"]["backupServerJob"]
        assert job["instanceUid"] == uid and job["name"] == "Embedded"
        assert job["type"] == "CdpReplicationVM"
    else:
        assert "_embedded" in cdp and cdp["_embedded"] == want


def test_cdp_steps_and_hits(vspc, sim, certs):
    uid = vspc.cdp(cdp=[{"error": {"status": 429, "message": "slow",
                                   "type": "retryableLogical", "code": 429}}],
                   name="Stepped")
    conn = client(sim, certs)
    statuses = [get_path(conn, CDP_ONE + uid)[0].status for _ in range(3)]
    conn.close()
    assert statuses == [429, 200, 200]
    assert sim.hits(uid, "cdp") == 3 and sim.hits(uid, "job") == 0
    sim.remove_job(uid)
    conn = client(sim, certs)
    assert get_path(conn, CDP_ONE + uid)[0].status == 404
    conn.close()


def test_cdp_collection_with_and_without_expand(vspc, sim, certs, fleet):
    mine = str(uuid.uuid4())
    f = fleet({"jobs": [{"uid": S.SEED_UID}], "cdp_jobs": [
        {"uid": mine, "name": "Mine", "last_period": {"sla": 42}}],
        "cdp_count": 6, "cdp_seed": 9})
    conn = client(sim, certs)
    bare = page_of(conn, CDP_COLLECTION)
    assert bare["meta"]["pagingInfo"] == {"total": 7, "count": 7,
                                          "offset": 0}
    assert uids_of(bare) == [mine] + [S.cdp_uid(9, i) for i in range(6)]
    for item in bare["data"]:
        assert set(item) == CDP_ITEM_KEYS | {"_embedded"}
        assert item["_embedded"] == {"backupServerJob": None}
    assert bare["data"][0]["lastPeriod"]["sla"] == 42
    full = page_of(conn, CDP_COLLECTION, "expand=BackupServerJob")
    assert uids_of(full) == uids_of(bare)
    for item in full["data"]:
        job = item["_embedded"]["backupServerJob"]
        assert job["instanceUid"] == item["instanceUid"]
        assert job["type"] == "CdpReplicationVM"
        assert set(job) == BSJ_KEYS_36
    assert full["data"][0]["_embedded"]["backupServerJob"]["name"] == "Mine"
    assert [sp["uid"] for sp in f.cdp_specs()] == uids_of(bare)
    # the VM collection of that fleet: VM jobs only
    assert uids_of(page_of(conn, S.COLLECTION_PATH)) == [S.SEED_UID]
    conn.close()
    reqs = vspc.requests()
    assert [r["kind"] for r in reqs] == ["cdp", "cdp", "vm"]
    assert [r["endpoint"] for r in reqs] == ["collection"] * 3
    assert reqs[0]["expand"] is False and reqs[1]["expand"] is True
    assert reqs[0]["uids"] == uids_of(bare)


@pytest.mark.parametrize("mode,with_expand,without", [
    (False, "no key", "no key"), ("absent", "no key", "no key"),
    ("null", None, None), ("empty", {"backupServerJob": None},
                           {"backupServerJob": None}),
    ("job", "job", "job")])
def test_cdp_collection_embedded_key(sim, certs, fleet, mode, with_expand,
                                     without):
    uid = str(uuid.uuid4())
    fleet({"cdp_jobs": [{"uid": uid, "embedded": mode}]})
    conn = client(sim, certs)
    for query, want in (("expand=BackupServerJob", with_expand),
                        ("", without)):
        item = page_of(conn, CDP_COLLECTION, query)["data"][0]
        if want == "no key":
            assert "_embedded" not in item, (mode, query)
        elif want == "job":
            assert item["_embedded"]["backupServerJob"]["instanceUid"] == uid
        else:
            assert "_embedded" in item and item["_embedded"] == want
    conn.close()


def test_cdp_collection_filter_with_expand(sim, certs, fleet):
    f = fleet({"cdp_count": 40, "cdp_seed": 10})
    target = f.spec_at(17, kind="cdp")
    conn = client(sim, certs)
    flt = urllib.parse.quote(json.dumps([{
        "property": "instanceUid", "operation": "equals",
        "value": target["uid"]}]))
    page = page_of(conn, CDP_COLLECTION,
                   "expand=BackupServerJob&filter=" + flt)
    assert uids_of(page) == [target["uid"]]
    assert page["meta"]["pagingInfo"]["total"] == 1
    job = page["data"][0]["_embedded"]["backupServerJob"]
    assert job["instanceUid"] == target["uid"]
    assert job["name"] == target["name"]
    # a nested property of the policy
    flt = urllib.parse.quote(json.dumps([{
        "property": "lastPeriod.sla", "operation": "equals", "value": 100}]))
    page = page_of(conn, CDP_COLLECTION, "limit=500&filter=" + flt)
    want = [sp["uid"] for sp in f.cdp_specs()
            if (sp.get("last_period") or {}).get("sla") == 100]
    assert want and uids_of(page) == want
    conn.close()


def test_cdp_collection_paging(sim, certs, fleet):
    f = fleet({"cdp_count": 1234, "cdp_seed": 11})
    conn = client(sim, certs)
    seen = []
    for offset in (0, 500, 1000):
        page = page_of(conn, CDP_COLLECTION, "limit=500&offset=%d" % offset)
        assert page["meta"]["pagingInfo"] == {
            "total": 1234, "count": len(page["data"]), "offset": offset}
        seen += uids_of(page)
    assert seen == [sp["uid"] for sp in f.cdp_specs()]
    assert len(set(seen)) == 1234
    assert page_of(conn, CDP_COLLECTION)["meta"]["pagingInfo"]["count"] == \
        100  # the default limit
    conn.close()


@pytest.mark.parametrize("query,param", [
    ("limit=0", "limit"), ("limit=501", "limit"), ("offset=-1", "offset"),
    ("expand=Nope", "expand"), ("filter=%5Bnot%20json", "filter"),
    ("filter=" + urllib.parse.quote(
        '[{"property": "protectedVmCount", "operation": "equals", '
        '"value": 1}]'), "filter"),  # a VM job's key, not a policy's
])
def test_cdp_collection_bad_queries_are_400(sim, certs, query, param):
    conn = client(sim, certs)
    resp, body = get_path(conn, CDP_COLLECTION + "?" + query)
    conn.close()
    assert resp.status == 400, body
    err = json.loads(body)["errors"][0]
    assert err["type"] == "logical" and err["parameterName"] == param


def test_unknown_filter_property_is_400(sim, certs, fleet):
    # it used to drop the connection without an answer
    fleet({"count": 3})
    conn = client(sim, certs)
    flt = urllib.parse.quote(json.dumps([{
        "property": "nope", "operation": "equals", "value": 1}]))
    resp, body = get_path(conn, S.COLLECTION_PATH + "?filter=" + flt)
    conn.close()
    assert resp.status == 400
    err = json.loads(body)["errors"][0]
    assert err["parameterName"] == "filter" and "nope" in err["message"]


def test_cdp_collection_per_server(sim, certs, fleet):
    f = fleet({"cdp_count": 200, "cdp_seed": 12, "count": 50})
    server = S.FLEET_SERVERS[2]
    conn = client(sim, certs)
    page = page_of(conn, S.collection_path("cdp", server),
                   "limit=500&expand=BackupServerJob")
    want = [sp["uid"] for sp in f.cdp_specs() if sp["server"] == server]
    assert want and uids_of(page) == want
    assert page["meta"]["pagingInfo"]["total"] == len(want)
    assert {i["_embedded"]["backupServerJob"]["backupServerUid"]
            for i in page["data"]} == {server}
    assert page_of(conn, S.collection_path("cdp", S.ZERO_UUID))["data"] == []
    conn.close()


def test_cdp_fleet_generation(sim, certs, fleet):
    a = S.Fleet({"cdp_count": 600, "cdp_seed": 13})
    b = S.Fleet({"cdp_count": 600, "cdp_seed": 13})
    specs = list(a.cdp_specs())
    assert specs == list(b.cdp_specs())  # deterministic
    assert [sp["uid"] for sp in S.Fleet(
        {"cdp_count": 5, "cdp_seed": 14}).cdp_specs()] != [
        sp["uid"] for sp in specs[:5]]
    assert re.match(r"^CDP 00042 (SQL|Exchange|Web|File|DC|ERP)$",
                    specs[42]["name"])
    for i, sp in enumerate(specs):
        assert sp["uid"] == "cdcd000d-0000-4000-8000-%012x" % i
        assert UUID_RE.match(sp["uid"]) and str(uuid.UUID(sp["uid"])) == \
            sp["uid"]
    assert list(a.specs()) == []  # no VM jobs in that fleet
    periods = [sp.get("last_period", "never") for sp in specs]
    slas = {p["sla"] for p in periods if isinstance(p, dict)}
    assert None in slas and 100 in slas and any(
        s is not None and s < 90 for s in slas)
    assert None in periods  # a few lastPeriod null
    delays = [p["maxDelay"] for p in periods if isinstance(p, dict)]
    assert None in delays and len({d for d in delays if d is not None}) > 20
    assert {p.get("errorsCount", 0) for p in periods
            if isinstance(p, dict)} - {0}
    assert len({sp["status"] for sp in specs}) >= 5
    assert len({(sp["rpo"], sp["rpo_unit"]) for sp in specs}) >= 4
    # served by the single endpoints, not beyond the fleet
    f = fleet({"cdp_count": 50, "cdp_seed": 13})
    sp = f.spec_at(42, kind="cdp")
    assert f.lookup_cdp(sp["uid"]) is sp and f.lookup(sp["uid"]) is None
    conn = client(sim, certs)
    resp, body = get_path(conn, CDP_ONE + sp["uid"])
    assert resp.status == 200
    cdp = json.loads(body)["data"]
    assert (cdp["rpo"], cdp["rpoUnit"]) == (sp["rpo"], sp["rpo_unit"])
    resp, body = get_path(conn, S.JOB_PREFIX + sp["uid"])
    job = json.loads(body)["data"]
    assert job["name"] == sp["name"] and job["type"] == "CdpReplicationVM"
    for path in (CDP_ONE + S.cdp_uid(13, 50), S.JOB_PREFIX + S.cdp_uid(13, 50),
                 S.API_PREFIX + sp["uid"]):
        assert get_path(conn, path)[0].status == 404, path
    conn.close()


@pytest.mark.parametrize("api", SHAPE_APIS)
def test_cdp_uids_per_version(vspc, sim, certs, fleet, api):
    vspc_uid, bnr = str(uuid.uuid4()), str(uuid.uuid4())
    vspc.cdp(uid=bnr, unique_uid=vspc_uid, single_embedded="job")
    fleet({"cdp_jobs": [{"uid": bnr, "unique_uid": vspc_uid}]})
    conn = client(sim, certs)
    resp, body = vget(sim, certs, CDP_ONE + bnr, api, conn=conn)
    assert resp.status == 200  # the B&R UID in the URL, always
    one = json.loads(body)["data"]
    check_uids(one, api, bnr, vspc_uid, "single")
    check_uids(one["_embedded"]["backupServerJob"], api, bnr, vspc_uid,
               "single embedded")
    _, body = vget(sim, certs, CDP_COLLECTION + "?expand=BackupServerJob",
                   api, conn=conn)
    item = json.loads(body)["data"][0]
    check_uids(item, api, bnr, vspc_uid, "item")
    check_uids(item["_embedded"]["backupServerJob"], api, bnr, vspc_uid,
               "embedded")
    assert ("schedule" in item["_embedded"]["backupServerJob"]) == (
        api in ("3.6.1", "3.6.2"))
    conn.close()


def test_cdp_served_by_vspc_8_0(view_for, certs):
    v = view_for("8.0")
    resp, body = vget(v.sim, certs, CDP_ONE + S.CDP_UID, "3.4")
    assert resp.status == 200
    assert "uniqueUid" not in json.loads(body)["data"]
    resp, body = vget(v.sim, certs, CDP_COLLECTION, "3.4")
    assert resp.status == 200 and len(json.loads(body)["data"]) == 4
    resp, body = vget(v.sim, certs, CDP_COLLECTION, "3.5")
    assert resp.status == 400  # 8.0 does not know 3.5, CDP or not
    assert v.requests()[-1]["kind"] == "cdp"


def test_standalone_cdp_fleet(certs, tmp_path):
    tok = tmp_path / "tok"
    tok.write_text("standalone-token\n")
    with S.running(["--cert", certs["server_cert"], "--key",
                    certs["server_key"], "--token-file", str(tok),
                    "--cdp-fleet", "30", "--cdp-fleet-seed", "5"]) as (
                        proc, port):
        ctx = ssl.create_default_context(cafile=certs["ca"])
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                           timeout=10)
        resp, body = get_path(conn, CDP_COLLECTION + "?limit=500",
                              token="standalone-token")
        page = json.loads(body)
        assert page["meta"]["pagingInfo"]["total"] == 34
        assert uids_of(page)[:2] == [S.CDP_UID, S.CDP_NO_SLA_UID]
        assert uids_of(page)[4] == S.cdp_uid(5, 0)
        resp, body = get_path(conn, CDP_ONE + S.CDP_NO_SLA_UID,
                              token="standalone-token")
        assert json.loads(body)["data"]["lastPeriod"]["sla"] is None
        resp, body = get_path(conn, S.COLLECTION_PATH,
                              token="standalone-token")
        assert json.loads(body)["meta"]["pagingInfo"]["total"] == 5
        conn.close()
    assert proc.returncode == 0


# --- collection misbehaviours, both collections ------------------------------

def kind_fleet(kind, n=30, **keys):
    """A fleet spec with n generated jobs (vm) or policies (cdp)."""
    if kind == "vm":
        return dict(keys, count=n, seed=31)
    return dict(keys, cdp_count=n, cdp_seed=31)


def kind_uid(kind, i):
    return S.fleet_uid(31, i) if kind == "vm" else S.cdp_uid(31, i)


def kind_path(kind):
    return S.COLLECTION_PATH if kind == "vm" else CDP_COLLECTION


KINDS = ["vm", "cdp"]


@pytest.mark.parametrize("kind", KINDS)
def test_ignore_offset_with_expand(vspc, sim, certs, fleet, kind):
    fleet(kind_fleet(kind, ignore_offset_with_expand=True))
    conn = client(sim, certs)
    page = page_of(conn, kind_path(kind),
                   "limit=10&offset=10&expand=BackupServerJob")
    assert uids_of(page) == [kind_uid(kind, i) for i in range(10)]
    assert page["meta"]["pagingInfo"] == {"total": 30, "count": 10,
                                          "offset": 0}
    page = page_of(conn, kind_path(kind), "limit=10&offset=10")
    assert uids_of(page) == [kind_uid(kind, i) for i in range(10, 20)]
    assert page["meta"]["pagingInfo"]["offset"] == 10
    conn.close()
    r1, r2 = vspc.requests()
    assert (r1["offset"], r1["offset_served"], r1["offset_echoed"]) == (
        10, 0, 0)
    assert r1["applied"] == ["ignore_offset_with_expand"]
    assert (r2["offset"], r2["offset_served"], r2["offset_echoed"]) == (
        10, 10, 10)
    assert r2["applied"] == []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("style,key", [("standard", "offset"),
                                       ("skip", "skip")])
def test_echo_offset(vspc, sim, certs, fleet, kind, style, key):
    fleet(kind_fleet(kind, echo_offset={10: 3}, paging_style=style))
    conn = client(sim, certs)
    page = page_of(conn, kind_path(kind), "limit=10&offset=10")
    assert page["meta"]["pagingInfo"][key] == 3
    assert uids_of(page) == [kind_uid(kind, i) for i in range(10, 20)]
    assert page_of(conn, kind_path(kind), "limit=10&offset=20")[
        "meta"]["pagingInfo"][key] == 20
    conn.close()
    assert [r["offset_echoed"] for r in vspc.requests()] == [3, 20]
    assert vspc.requests()[0]["applied"] == ["echo_offset"]


@pytest.mark.parametrize("kind", KINDS)
def test_reorder_at(vspc, sim, certs, fleet, kind):
    fleet(kind_fleet(kind, reorder_at={10: 7}))
    conn = client(sim, certs)
    pages = [uids_of(page_of(conn, kind_path(kind), "limit=10&offset=%d" % o))
             for o in (0, 10, 20)]
    again = uids_of(page_of(conn, kind_path(kind), "limit=10&offset=10"))
    conn.close()
    order = list(range(30))
    random.Random(7).shuffle(order)
    assert pages[0] == [kind_uid(kind, i) for i in range(10)]
    assert pages[1] == [kind_uid(kind, i) for i in order[10:20]]
    assert pages[2] == [kind_uid(kind, i) for i in order[20:30]]
    assert again == pages[1]  # deterministic
    walked = pages[0] + pages[1] + pages[2]
    assert len(set(walked)) < 30  # items moved between pages
    assert vspc.requests()[1]["applied"] == ["reorder_at"]


@pytest.mark.parametrize("kind", KINDS)
def test_repeat_at(vspc, sim, certs, fleet, kind):
    fleet(kind_fleet(kind, repeat_at={10: 3}))
    conn = client(sim, certs)
    p0 = page_of(conn, kind_path(kind), "limit=10&offset=0")
    p1 = page_of(conn, kind_path(kind), "limit=10&offset=10")
    conn.close()
    assert uids_of(p1)[:3] == uids_of(p0)[-3:]
    assert uids_of(p1)[3:] == [kind_uid(kind, i) for i in range(10, 20)]
    assert p1["meta"]["pagingInfo"] == {"total": 30, "count": 13,
                                        "offset": 10}
    rec = vspc.requests()[1]
    assert rec["uids"] == uids_of(p1) and rec["applied"] == ["repeat_at"]


@pytest.mark.parametrize("kind", KINDS)
def test_shift_at(vspc, sim, certs, fleet, kind):
    fleet(kind_fleet(kind, shift_at={10: 3}))
    conn = client(sim, certs)
    p1 = page_of(conn, kind_path(kind), "limit=10&offset=10")
    conn.close()
    assert uids_of(p1) == [kind_uid(kind, i) for i in range(7, 17)]
    assert p1["meta"]["pagingInfo"] == {"total": 30, "count": 10,
                                        "offset": 10}
    assert vspc.requests()[0]["offset_served"] == 7


@pytest.mark.parametrize("kind", KINDS)
def test_short_at(vspc, sim, certs, fleet, kind):
    fleet(kind_fleet(kind, short_at={10: 4}))
    conn = client(sim, certs)
    p1 = page_of(conn, kind_path(kind), "limit=10&offset=10")
    p2 = page_of(conn, kind_path(kind), "limit=10&offset=14")
    conn.close()
    assert uids_of(p1) == [kind_uid(kind, i) for i in range(10, 14)]
    assert p1["meta"]["pagingInfo"] == {"total": 30, "count": 4,
                                        "offset": 10}
    assert uids_of(p2) == [kind_uid(kind, i) for i in range(14, 24)]
    assert vspc.requests()[0]["items"] == 4


def test_misbehave_in_limits_the_keys(sim, certs, fleet):
    both = {"count": 30, "seed": 31, "cdp_count": 30, "cdp_seed": 31,
            "short_at": {0: 2}, "stall_at": 20}
    conn = client(sim, certs)
    for mis, vm_len, cdp_len in ((None, 2, 2), (["cdp"], 10, 2),
                                 ("vm", 2, 10)):
        spec = dict(both) if mis is None else dict(both, misbehave_in=mis)
        fleet(spec)
        assert len(page_of(conn, S.COLLECTION_PATH, "limit=10")[
            "data"]) == vm_len, mis
        assert len(page_of(conn, CDP_COLLECTION, "limit=10")[
            "data"]) == cdp_len, mis
    with pytest.raises(ValueError):
        S.Fleet({"misbehave_in": ["tape"]})
    conn.close()


def test_older_misbehaviours_on_the_cdp_collection(sim, certs, fleet):
    conn = client(sim, certs)
    fleet({"cdp_count": 20, "insert_at": {10: 1}})
    p0 = page_of(conn, CDP_COLLECTION, "limit=10&offset=0")
    p1 = page_of(conn, CDP_COLLECTION, "limit=10&offset=10")
    assert uids_of(p0)[-1] == uids_of(p1)[0]
    assert p1["meta"]["pagingInfo"]["total"] == 21
    fleet({"cdp_count": 20, "stall_at": 10, "total_override": {0: 99},
           "paging": "null"})
    p0 = page_of(conn, CDP_COLLECTION, "limit=10")
    assert p0["meta"] is None and len(p0["data"]) == 10
    assert page_of(conn, CDP_COLLECTION, "limit=10&offset=10")["data"] == []
    fleet({"cdp_count": 5, "pages": {0: {"error": {
        "status": 520, "message": "m", "type": "unspecified", "code": 500}}},
        "misbehave_in": ["cdp"]})
    resp, _ = get_path(conn, CDP_COLLECTION)
    assert resp.status == 520
    assert get_path(conn, S.COLLECTION_PATH)[0].status == 200
    conn.close()


def test_new_misbehaviour_keys_are_checked():
    for bad in ({"repeat_at": {0: -1}}, {"short_at": {"x": 1}},
                {"echo_offsets": {}}):
        with pytest.raises(ValueError):
            S.Fleet(bad)


# --- sort --------------------------------------------------------------------

def sort_q(*exprs):
    return "sort=" + urllib.parse.quote(json.dumps(list(exprs)))


@pytest.mark.parametrize("kind", KINDS)
def test_sort_by_instance_uid(vspc, sim, certs, fleet, kind):
    uids = [str(uuid.uuid4()) for _ in range(25)]
    key = "jobs" if kind == "vm" else "cdp_jobs"
    fleet({key: [{"uid": u} for u in uids]})
    conn = client(sim, certs)
    asc = page_of(conn, kind_path(kind), "limit=500&" + sort_q(
        {"property": "instanceUid", "direction": "ascending"}))
    desc = page_of(conn, kind_path(kind), "limit=500&" + sort_q(
        {"property": "instanceUid", "direction": "descending",
         "collation": "ordinal"}))
    plain = page_of(conn, kind_path(kind), "limit=500")
    # sorted before paging: the second page of the sorted list
    second = page_of(conn, kind_path(kind), "limit=10&offset=10&" + sort_q(
        {"property": "instanceUid", "direction": "ascending"}))
    conn.close()
    assert uids_of(asc) == sorted(uids)
    assert uids_of(desc) == sorted(uids, reverse=True)
    assert uids_of(plain) == uids  # without sort: the fleet's order
    assert uids_of(second) == sorted(uids)[10:20]
    recs = vspc.requests()
    assert recs[0]["sort"] == [{"property": "instanceUid",
                                "direction": "ascending", "collation": None}]
    assert recs[1]["sort"][0]["direction"] == "descending"
    assert recs[2]["sort"] is None


def test_sort_by_embedded_and_nested_properties(sim, certs, fleet):
    names = ["delta", "Alpha", "charlie", "bravo"]
    vm = [{"uid": str(uuid.uuid4()), "name": n} for n in names]
    cdp = [{"uid": str(uuid.uuid4()), "name": n,
            "last_period": {"sla": sla}}
           for n, sla in zip(names, (50, None, 100, 75))]
    fleet({"jobs": vm, "cdp_jobs": cdp})
    conn = client(sim, certs)

    def names_of(page):
        return [i["_embedded"]["backupServerJob"]["name"]
                for i in page["data"]]
    by_name = {"property": "_embedded.backupServerJob.name",
               "direction": "ascending"}
    page = page_of(conn, S.COLLECTION_PATH,
                   "expand=BackupServerJob&" + sort_q(by_name))
    assert names_of(page) == ["Alpha", "bravo", "charlie", "delta"]
    page = page_of(conn, S.COLLECTION_PATH, "expand=BackupServerJob&" +
                   sort_q(dict(by_name, collation="ordinal")))
    assert names_of(page) == ["Alpha", "bravo", "charlie", "delta"]
    page = page_of(conn, CDP_COLLECTION, sort_q(
        {"property": "lastPeriod.sla", "direction": "descending"}))
    assert [i["lastPeriod"]["sla"] for i in page["data"]] == [
        100, 75, 50, None]
    page = page_of(conn, CDP_COLLECTION, sort_q(
        {"property": "lastPeriod.sla", "direction": "ascending"}))
    assert [i["lastPeriod"]["sla"] for i in page["data"]] == [
        None, 50, 75, 100]
    conn.close()


def test_sort_several_expressions(sim, certs, fleet):
    jobs = [{"uid": "%08x-0000-4000-8000-000000000000" % i,
             "protected": p} for i, p in enumerate((3, 1, 3, 2, 1))]
    fleet({"jobs": jobs})
    conn = client(sim, certs)
    page = page_of(conn, S.COLLECTION_PATH, sort_q(
        {"property": "protectedVmCount", "direction": "ascending"},
        {"property": "instanceUid", "direction": "descending"}))
    conn.close()
    assert [(i["protectedVmCount"], i["instanceUid"][:8])
            for i in page["data"]] == [
        (1, "00000004"), (1, "00000001"), (2, "00000003"), (3, "00000002"),
        (3, "00000000")]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", [
    "[not json", '{"property": "instanceUid", "direction": "ascending"}',
    '[{"direction": "ascending"}]', '[{"property": "instanceUid"}]',
    '[{"property": "instanceUid", "direction": "up"}]',
    '[{"property": "instanceUid", "direction": "ascending", '
    '"collation": "klingon"}]', '["instanceUid"]',
    '[{"property": "nope", "direction": "ascending"}]'])
def test_bad_sort_is_400(sim, certs, fleet, kind, value):
    fleet(kind_fleet(kind, n=3))
    conn = client(sim, certs)
    resp, body = get_path(conn, kind_path(kind) + "?sort=" +
                          urllib.parse.quote(value))
    conn.close()
    assert resp.status == 400, body
    err = json.loads(body)["errors"][0]
    assert err["type"] == "logical" and err["parameterName"] == "sort"
    assert "sort" in err["message"]


# --- the start/stop helpers -----------------------------------------------

def test_start_process_and_stop_process(certs, tmp_path):
    tok = tmp_path / "tok"
    tok.write_text("helper-token\n")
    proc, port = S.start_process(["--cert", certs["server_cert"], "--key",
                                  certs["server_key"], "--token-file",
                                  str(tok), "--log"])
    assert isinstance(port, int) and port > 0 and proc.poll() is None
    ctx = ssl.create_default_context(cafile=certs["ca"])
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                       timeout=10)
    resp, _ = get_path(conn, S.JOB_PREFIX + S.SEED_UID,
                       token="helper-token")
    conn.close()
    assert resp.status == 200
    assert S.stop_process(proc) == 0
    assert proc.poll() == 0
    assert "vspc_sim: conn" in proc.sim_stderr  # --log went to stderr
    assert S.stop_process(proc) == 0  # a second stop does no harm


def test_start_process_failure_is_reported(certs):
    with pytest.raises(RuntimeError) as info:
        S.start_process(["--cert", certs["server_cert"]], timeout=20)
    assert "--cert and --key are required" in str(info.value)
    with pytest.raises(RuntimeError):
        S.start_process(["--make-certs", os.devnull + "/x"], timeout=20)


def test_running_stops_the_process(certs, tmp_path):
    tok = tmp_path / "tok"
    tok.write_text("helper-token\n")
    with S.running(["--cert", certs["server_cert"], "--key",
                    certs["server_key"], "--token-file", str(tok)]) as (
                        proc, port):
        assert proc.poll() is None
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert proc.returncode == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


_MADE = []


def test_make_sim(make_sim, certs, sim):
    s = make_sim(server_version="8.1", defaults=False)
    w = make_sim(cert="wrong_cert", key="wrong_key")
    assert s.port not in (sim.port, w.port)
    assert s.server_version == "8.1"
    resp, _ = vget(s, certs, S.JOB_PREFIX + S.SEED_UID, "3.5.1",
                   token=API_KEY)
    assert resp.status == 404  # no built-in jobs; the session's API key
    resp, _ = vget(s, certs, S.JOB_PREFIX + S.SEED_UID, "3.5.1",
                   token=WRONG_TOKEN)
    assert resp.status == 401
    with pytest.raises(ssl.SSLCertVerificationError):
        vget(w, certs, S.JOB_PREFIX + S.SEED_UID, "3.6")
    _MADE.extend([s, w])


def test_make_sim_stops_them_after_the_test():
    # runs after test_make_sim
    assert len(_MADE) == 2
    for s in _MADE:
        assert s.stopping.is_set()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", s.port), timeout=5).close()


def test_start_sim(certs):
    s = S.start_sim(certs, token="own", defaults=False,
                    fleet={"cdp_count": 2})
    try:
        resp, body = vget(s, certs, CDP_COLLECTION, "3.6", token="own")
        assert resp.status == 200 and len(json.loads(body)["data"]) == 2
    finally:
        s.stop()


def test_outage_answers_every_request(make_sim, certs):
    s = make_sim()
    throttled = {"error": {"status": 429, "message": "Too many requests.",
                           "type": "transport", "code": 429,
                           "retryAfter": 2}}
    s.set_outage(throttled)
    mark = s.mark()
    targets = [("GET", S.API_PREFIX + S.SEED_UID, TOKEN),
               ("GET", S.COLLECTION_PATH + "?limit=5", None),
               ("POST", S.TOKEN_PATH, None),
               ("GET", "/no/such/path", WRONG_TOKEN)]
    for method, target, token in targets:
        headers = [("Authorization", "Bearer " + token)] if token else []
        resp, body = call(s, certs, method, target, headers, body=b"")
        assert resp.status == 429, (target, resp.status)
        item = json.loads(body)["errors"][0]
        assert item["retryAfter"] == 2 and item["code"] == 429, item
    reqs = s.requests(mark)
    assert [r["outcome"] for r in reqs] == ["outage"] * 4, reqs
    assert [r["endpoint"] for r in reqs] == ["replication", "collection",
                                             "token", None], reqs
    s.set_outage({"status": 503, "body": {"errors": []}})
    resp, _ = vget(s, certs, S.API_PREFIX + S.SEED_UID, "3.6")
    assert resp.status == 503
    s.set_outage({"action": "hang"})
    conn = client(s, certs, timeout=1.0)
    with pytest.raises((socket.timeout, TimeoutError)):
        get(conn, S.SEED_UID)
    conn.close()
    s.set_outage(None)
    resp, _ = vget(s, certs, S.API_PREFIX + S.SEED_UID, "3.6")
    assert resp.status == 200

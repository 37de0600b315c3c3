"""Every VSPC in the field: the API version negotiation against each
simulator server profile (tests/vspc_profiles.py), the remembered version,
pinned versions, the error envelopes, API 3.5's identity fields, read-only
logins, the timestamps and paging that real servers send, and a throttled
login."""

import os
import re
import time
import uuid

import pytest

import vspc_profiles as P
import vspc_sim as S
from auth_util import AuthBench
from e2e_util import TOKEN, assert_state, run_plugin
from health_util import assert_fleet, fleet_expectation

# The version auto settles on, per server profile, and what it costs the
# first time: one refused request per version stepped down.
AGREED = {"8.0": "3.4", "8.1": "3.5.1", "9.0": "3.6", "9.1": "3.6",
          "9.2": "3.6"}
REFUSED = {"8.0": ["3.6", "3.5.1"], "8.1": ["3.6"], "9.0": [], "9.1": [],
           "9.2": []}


def header_values(req, name):
    return [v for k, v in req["headers"] if k.lower() == name.lower()]


def versions_sent(reqs):
    return [header_values(r, "X-Client-Version") for r in reqs]


def refused(reqs):
    return [r for r in reqs if r.get("outcome") == "unsupported_version"]


def comparable(run):
    """What must not depend on the server version: state, summary and
    perfdata without the request time, and the age of the last session to
    the minute (a run may straddle a second)."""
    perf = {k: v.raw for k, v in run.perf.items()
            if k not in ("time", "last_run_age")}
    if "last_run_age" in run.perf:
        perf["last_run_age minutes"] = int(run.perf["last_run_age"].value) // 60
    return run.state, run.summary, perf


def cache_args(tmp_path, name="cache"):
    return ["--token-cache", str(tmp_path / name)]


def memory_files(directory):
    return sorted(f for f in os.listdir(directory)
                  if re.match(r"^api-[0-9a-f]{16}$", f))


# --- negotiation ---------------------------------------------------------------

@pytest.mark.parametrize("version", P.SERVER_VERSIONS)
def test_auto_finds_the_version_once_then_remembers_it(view_for, tmp_path,
                                                       version):
    v = view_for(version)
    args = v.hargs(S.SEED_UID, "-v", *cache_args(tmp_path))
    run = run_plugin(args)
    assert_state(run, "OK")
    v.settle()
    reqs = v.requests()
    steps = REFUSED[version]
    # the first request is repeated once per refused version, then both
    # requests go with the agreed one, all over one connection
    assert versions_sent(reqs) == [[x] for x in steps] + \
        [[AGREED[version]]] * 2, run
    assert [r["status"] for r in refused(reqs)] == [400] * len(steps)
    assert len(v.handshakes()) == 1, run
    how = "negotiated: the server refused " + ", ".join(steps) if steps \
        else "the newest this plugin speaks"
    assert "VSPC API version %s (%s)" % (AGREED[version], how) in run.stdout
    assert len(memory_files(tmp_path / "cache")) == (1 if steps else 0)

    v.restart_records()
    run = run_plugin(args)
    assert_state(run, "OK")
    v.settle()
    assert versions_sent(v.requests()) == [[AGREED[version]]] * 2, \
        "a later run paid again: %r" % run
    if steps:
        assert "remembered for this server" in run.stdout, run


def _core_runs(v, tmp_path, version):
    """The same command lines against one server profile."""
    failed = v.health(uid=str(uuid.UUID(int=0xfa11ed)), name="Replica failed",
                      status="Failed")
    disabled = v.health(uid=str(uuid.UUID(int=0xd15ab1ed)),
                        name="Replica off", enabled=False, end_age=30 * 3600)
    missing = "0badc0de-0000-4000-8000-000000000000"
    f = v.sim.set_fleet({"count": 40, "seed": 21})
    _, counts, _ = fleet_expectation(list(f.specs()))
    cache = cache_args(tmp_path, "cache-" + version)
    return counts, [
        run_plugin(v.hargs(S.SEED_UID, *cache)),
        run_plugin(v.hargs(failed, *cache)),
        run_plugin(v.hargs(disabled, "--max-age-critical=1d", *cache)),
        run_plugin(v.hargs(missing, *cache)),
        run_plugin(v.args(S.SEED_UID, "-c", "10:", *cache)),
        run_plugin(v.fargs(*cache)),
    ]


def test_same_command_line_same_result_on_every_server(view_for, tmp_path):
    results = {}
    for version in P.SERVER_VERSIONS:
        counts, runs = _core_runs(view_for(version), tmp_path, version)
        results[version] = [comparable(r) for r in runs]
        if version == "9.2":
            assert_fleet(runs[-1], counts)
    assert [s for s, _, _ in results["9.2"][:5]] == \
        ["OK", "CRITICAL", "CRITICAL", "CRITICAL", "CRITICAL"], \
        results["9.2"]
    for version in P.SERVER_VERSIONS:
        assert results[version] == results["9.2"], \
            "VSPC %s answers differently: %r" % (version, results[version])


@pytest.mark.parametrize("version", P.SERVER_VERSIONS)
def test_fleet_on_every_server(view_for, tmp_path, version):
    v = view_for(version)
    f = v.sim.set_fleet({"count": 1234, "seed": 22})
    _, counts, vms = fleet_expectation(list(f.specs()))
    run = run_plugin(v.fargs(*cache_args(tmp_path)))
    assert_fleet(run, counts, vms)
    v.settle()
    pages = [r for r in v.requests() if r["endpoint"] == "collection"
             and r.get("outcome") != "unsupported_version"]
    # three pages of VM replication jobs, one (empty) of CDP policies
    assert [r["api_version"] for r in pages] == [AGREED[version]] * 4
    assert [r["kind"] for r in pages] == ["vm"] * 3 + ["cdp"]


def test_pinned_version_is_sent_as_is_and_never_replaced(view_for, tmp_path):
    v = view_for("8.1")
    run = run_plugin(v.hargs(S.SEED_UID, "--api-version=3.5", "-v",
                             *cache_args(tmp_path)))
    assert_state(run, "OK")
    assert versions_sent(v.requests()) == [["3.5"], ["3.5"]]
    assert "VSPC API version 3.5 (pinned with --api-version)" in run.stdout
    assert not os.path.exists(tmp_path / "cache"), \
        "a pinned version needs no cache"

    v.restart_records()
    run = run_plugin(v.hargs(S.SEED_UID, "--api-version=3.6",
                             *cache_args(tmp_path)))
    assert_state(run, "UNKNOWN")
    v.settle()
    assert versions_sent(v.requests()) == [["3.6"]], run
    assert "does not support API version 3.6 given with --api-version" in \
        run.summary, run
    assert "UnsupportedApiVersion" in run.summary, run
    assert "leave --api-version out" in run.summary, run


def test_every_version_refused_names_what_was_tried(certs, token_file,
                                                    view_of, tmp_path,
                                                    monkeypatch):
    # a server that knows none of the plugin's versions (VSPC 7, API 3.3)
    monkeypatch.setitem(P.PROFILES, "8.0", frozenset({"3.3"}))
    v = view_of_version(view_of, certs, "8.0")
    try:
        run = run_plugin(v.hargs(S.SEED_UID, *cache_args(tmp_path)))
        assert_state(run, "UNKNOWN")
        v.settle()
        assert versions_sent(v.requests()) == [["3.6"], ["3.5.1"], ["3.4"]]
        assert "refused every API version this plugin speaks (tried 3.6, " \
            "3.5.1, 3.4)" in run.summary, run
        assert "does not support the API version '3.4'" in run.summary, run
        assert "--api-version" in run.summary, run
        assert memory_files(tmp_path / "cache") == [], \
            "a refusal was remembered"
    finally:
        v.sim.stop()


def view_of_version(view_of, certs, version):
    sim = S.VspcSim(certs["server_cert"], certs["server_key"], token=TOKEN,
                    server_version=version).start()
    return view_of(sim)


def test_restored_server_is_negotiated_again(view_of, certs, tmp_path):
    v = view_of_version(view_of, certs, "8.1")
    try:
        args = v.hargs(S.SEED_UID, "-v", *cache_args(tmp_path))
        assert_state(run_plugin(args), "OK")
        # restored to 8.0: the remembered 3.5.1 is refused, and the run
        # negotiates again, without trying 3.5.1 twice
        v.sim.set_server_version("8.0")
        v.restart_records()
        run = run_plugin(args)
        assert_state(run, "OK")
        v.settle()
        assert versions_sent(v.requests()) == [["3.5.1"], ["3.6"], ["3.4"],
                                               ["3.4"]], run
        assert "VSPC refused API version 3.5.1" in run.stdout, run
        v.restart_records()
        assert_state(run_plugin(args), "OK")
        assert versions_sent(v.requests()) == [["3.4"], ["3.4"]]
    finally:
        v.sim.stop()


def test_upgraded_server_is_noticed_after_a_week(view_of, certs, tmp_path):
    v = view_of_version(view_of, certs, "8.1")
    try:
        args = v.hargs(S.SEED_UID, "-v", *cache_args(tmp_path))
        assert_state(run_plugin(args), "OK")
        v.sim.set_server_version("9.2")
        v.restart_records()
        assert_state(run_plugin(args), "OK")
        assert versions_sent(v.requests()) == [["3.5.1"], ["3.5.1"]], \
            "a fresh memory is trusted"
        # a week later
        (name,) = memory_files(tmp_path / "cache")
        path = tmp_path / "cache" / name
        text = path.read_text()
        old = int(time.time()) - 8 * 86400
        path.write_text(re.sub(r"agreed=\d+", "agreed=%d" % old, text))
        v.restart_records()
        run = run_plugin(args)
        assert_state(run, "OK")
        assert versions_sent(v.requests()) == [["3.6"], ["3.6"]], run
        assert "is old: trying the newest again" in run.stdout, run
        assert "version=3.6\n" in path.read_text()
    finally:
        v.sim.stop()


@pytest.mark.parametrize("content", [
    "garbage\n", "check_vspc_replication api version 1\nversion=9.9\n",
    "check_vspc_replication api version 1\nversion=3.4\nagreed=x\n"],
    ids=["garbage", "truncated", "bad-time"])
def test_bad_memory_file_is_ignored(view_for, tmp_path, content):
    v = view_for("8.1")
    args = v.hargs(S.SEED_UID, "-v", *cache_args(tmp_path))
    assert_state(run_plugin(args), "OK")
    (name,) = memory_files(tmp_path / "cache")
    path = tmp_path / "cache" / name
    path.write_text(content)
    os.chmod(path, 0o600)
    v.restart_records()
    run = run_plugin(args)
    assert_state(run, "OK")
    assert versions_sent(v.requests()) == [["3.6"], ["3.5.1"], ["3.5.1"]]
    assert "version=3.5.1\n" in path.read_text(), "not rewritten"


def test_memory_file_others_can_write_is_not_trusted(view_for, tmp_path):
    v = view_for("8.1")
    args = v.hargs(S.SEED_UID, "-v", *cache_args(tmp_path))
    assert_state(run_plugin(args), "OK")
    (name,) = memory_files(tmp_path / "cache")
    path = tmp_path / "cache" / name
    # planted by someone else: says 3.4 and is group-writable
    path.write_text("check_vspc_replication api version 1\nversion=3.4\n"
                    "agreed=%d\n" % int(time.time()))
    os.chmod(path, 0o664)
    v.restart_records()
    run = run_plugin(args)
    assert_state(run, "OK")
    assert versions_sent(v.requests())[0] == ["3.6"], run
    assert "not a private file" in run.stdout, run


def test_no_token_cache_remembers_nothing(view_for, tmp_path):
    v = view_for("8.0")
    xdg = tmp_path / "xdg"
    xdg.mkdir()
    for _ in range(2):
        v.restart_records()
        run = run_plugin(v.hargs(S.SEED_UID, "--no-token-cache"),
                         env={"XDG_CACHE_HOME": str(xdg)})
        assert_state(run, "OK")
        assert len(v.requests()) == 4, run
    assert os.listdir(xdg) == []


# --- error envelopes -----------------------------------------------------------

ENVELOPES = [
    ({"errors": [{"message": "The job is locked.", "type": "logical",
                  "code": 409}]}, "The job is locked."),
    ({"error": {"code": "InternalError", "message": "Something broke.",
                "innerError": {"message": "database timeout"}}},
     "Something broke. (InternalError) / database timeout"),
    ({"error": "server_error", "error_description": "Try again later."},
     "Try again later. (server_error)"),
]


@pytest.mark.parametrize("status", [400, 409, 500, 520])
@pytest.mark.parametrize("body,shown", ENVELOPES,
                         ids=["vspc", "aspnet", "oauth2"])
def test_every_error_envelope_is_shown(vspc, status, body, shown):
    uid = vspc.add({"status": status, "body": body})
    run = run_plugin(vspc.args(uid))
    assert_state(run, "UNKNOWN")
    assert shown in run.summary, run
    assert str(status) in run.summary, run


def test_unsupported_version_on_a_404_is_a_version_problem(vspc):
    # whatever the status, the code tells what went wrong
    body = {"error": {"code": "UnsupportedApiVersion", "message":
                      "The HTTP resource ... is not supported.",
                      "innerError": None}}
    uid = vspc.add({"status": 404, "body": body})
    run = run_plugin(vspc.args(uid, "--api-version=3.6"))
    assert_state(run, "UNKNOWN")
    assert "does not support API version 3.6" in run.summary, run


# --- API 3.5: instanceUid is the VSPC UID ----------------------------------

@pytest.mark.parametrize("version", ["8.1", "9.0", "9.2"])
def test_api_35_job_status_is_matched_by_original_uid(view_for, version):
    v = view_for(version)
    uid = v.health(name="Replica 3.5", status="Warning")
    run = run_plugin(v.hargs(uid, "--api-version=3.5"))
    assert_state(run, "WARNING")
    assert "last session Warning" in run.summary, run
    reqs = v.requests()
    assert [r["api_version"] for r in reqs] == ["3.5", "3.5"]


def test_api_35_answer_for_another_job_is_still_refused(view_for):
    v = view_for("8.1")
    uid = v.health(name="Replica other")
    other = str(uuid.uuid4())
    v.set_bsjob(uid, {"job": {"uid": other, "name": "Someone else"}})
    run = run_plugin(v.hargs(uid, "--api-version=3.5"))
    assert_state(run, "UNKNOWN")
    assert "session answer describes job" in run.summary, run


# --- read-only logins ------------------------------------------------------

@pytest.fixture
def bench_for(view_for, tmp_path):
    def make(version):
        return AuthBench(view_for(version), tmp_path / version)
    return make


@pytest.mark.parametrize("version,read_only", [
    ("9.2", True), ("9.0", True), ("8.1", False), ("8.0", False)])
def test_read_only_login_where_the_api_has_it(bench_for, version, read_only):
    bench = bench_for(version)
    acct = bench.account()
    run = bench.run(bench.args(acct, "-v", status=True))
    assert_state(run, "OK")
    logins = [r for r in bench.logins(run) if r.get("outcome") == "token"]
    assert len(logins) == 1, run
    assert logins[0]["read_only_sent"] is read_only, run
    assert logins[0]["read_only"] is read_only, run
    form = logins[0]["form"]
    assert ("readOnly" in form) is read_only
    if read_only:
        assert "the token is read-only" in run.stdout, run
        assert "full rights" not in run.stdout, run
    else:
        assert "full rights" in run.stdout and "read-only API key" in \
            run.stdout, run
    # the cached token is described the same way
    run = bench.run(bench.args(acct, "-v"))
    assert bench.logins(run) == [], run
    assert ("the token is read-only" in run.stdout) is read_only, run


def test_refresh_keeps_read_only(bench_for):
    bench = bench_for("9.2")
    acct = bench.account(expires_in=30)  # within the renewal margin
    bench.run(bench.args(acct))
    run = bench.run(bench.args(acct, "-v"))
    refreshes = bench.refreshes(run)
    assert len(refreshes) == 1 and refreshes[0]["outcome"] == "token", run
    assert refreshes[0]["read_only_sent"] is True
    assert refreshes[0]["form"]["readOnly"] == ["true"]
    assert "the token is read-only" in run.stdout, run


def test_login_negotiates_on_an_old_server(bench_for):
    bench = bench_for("8.0")
    acct = bench.account()
    run = bench.run(bench.args(acct, status=True))
    assert_state(run, "OK")
    toks = bench.token_reqs(run)
    assert [r["api_version"] for r in toks] == [None, None, "3.4"], run
    assert all("readOnly" not in r["form"] for r in toks[1:]), \
        "readOnly was sent to an API without it"
    assert [r["api_version"] for r in bench.gets(run)] == ["3.4", "3.4"]


# --- a throttled login -----------------------------------------------------

def test_throttled_login_is_retried(bench):
    acct = bench.account(steps=[
        {"error": {"status": 429, "message": "Too many requests.",
                   "type": "retryableLogical", "code": 429,
                   "retryAfter": 1}},
        {}])
    run = bench.run(bench.args(acct, "-v"))
    assert_state(run, "OK")
    toks = bench.token_reqs(run)
    assert [r["status"] for r in toks] == [429, 200], run
    assert toks[1]["t"] - toks[0]["t"] >= 0.9, "retryAfter not honoured"
    assert "HTTP 429: retrying in 1.0 s" in run.stdout


def test_throttled_login_past_the_deadline_is_unknown(bench):
    acct = bench.account(steps=[
        {"error": {"status": 429, "message": "Too many requests.",
                   "type": "retryableLogical", "code": 429,
                   "retryAfter": 30}}])
    run = bench.run(bench.args(acct, "-t", "3"))
    assert_state(run, "UNKNOWN")
    assert "429" in run.summary and "Too many requests." in run.summary
    assert len(bench.token_reqs(run)) == 1, run


@pytest.fixture
def bench(vspc, tmp_path):
    return AuthBench(vspc, tmp_path)


# --- timestamps as servers send them ---------------------------------------

def test_end_time_without_offset_is_utc(vspc):
    uid = vspc.health(name="Replica naive", end_age=3600, end_shape="naive")
    run = vspc.run_aligned(vspc.hargs(uid, "-v", "--max-age-warning=2h"))
    assert_state(run, "OK")
    age = int(run.perf["last_run_age"].value)
    assert 3600 <= age <= 3602, run
    assert "has no UTC offset: read as UTC" in run.stdout, run


def test_end_time_without_offset_beyond_the_limit(vspc):
    uid = vspc.health(name="Replica naive old", end_age=3 * 3600,
                      end_shape=".1234567naive")
    run = run_plugin(vspc.hargs(uid, "--max-age-warning=2h"))
    assert_state(run, "WARNING")
    assert "beyond the warning age 2h" in run.summary, run


PLACEHOLDERS = ["0001-01-01T00:00:00", "0001-01-01T00:00:00+00:00",
                "0001-01-01T00:00:00.0000000Z", "1900-01-01T00:00:00",
                "1969-12-31T23:59:59Z"]


@pytest.mark.parametrize("text", PLACEHOLDERS)
def test_placeholder_end_time_means_never_ended(vspc, text):
    uid = vspc.health(name="Replica placeholder", status="Running",
                      last_end=text)
    run = run_plugin(vspc.hargs(uid, "-v", "--max-age-critical=1d"))
    assert_state(run, "WARNING")
    assert "no session has ended yet" in run.summary, run
    assert "last_run_age" not in run.perf, run
    assert " ago" not in run.stdout, "an age was shown: %r" % run
    assert "is a placeholder for no end time" in run.stdout, run
    run = run_plugin(vspc.hargs(uid, "--max-age-critical=1d",
                                "--never-run-state=critical"))
    assert_state(run, "CRITICAL")
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "OK")
    assert "last_run_age" not in run.perf, run
    assert "ago" not in run.summary, run


@pytest.mark.parametrize("text", PLACEHOLDERS[:2])
def test_placeholder_in_the_fleet(vspc, fleet, text):
    jobs = [{"uid": str(uuid.uuid4()), "name": "Replica cont", "status":
             "Running", "last_end": text},
            {"uid": str(uuid.uuid4()), "name": "Replica fine"}]
    fleet({"jobs": jobs})
    run = run_plugin(vspc.fargs("--max-age-warning=1d"))
    assert_state(run, "WARNING")
    assert "1 warning" in run.summary, run
    assert "no session has ended yet" in run.stdout, run


# --- paging ----------------------------------------------------------------

@pytest.mark.parametrize("style", ["skip", "total_only"])
def test_paging_info_with_only_what_the_walk_needs(vspc, fleet, style):
    f = fleet({"count": 1100, "seed": 23, "paging_style": style})
    _, counts, vms = fleet_expectation(list(f.specs()))
    run = run_plugin(vspc.fargs())
    assert_fleet(run, counts, vms)
    pages = [r for r in vspc.requests() if r["endpoint"] == "collection"
             and r["kind"] == "vm"]
    assert [int(r["params"]["offset"][0]) for r in pages] == [0, 500, 1000]
    assert {r["paging_style"] for r in pages} == {style}

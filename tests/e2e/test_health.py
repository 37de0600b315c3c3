"""Single job with its job status (the default): a second request,
GET /api/v3/infrastructure/backupServers/jobs/{uid}, on the same
connection; status, failureMessage, isEnabled, never-run jobs and the age
of lastEndTime, in every timestamp shape VSPC writes."""

import json
import re
import time

import pytest

import vspc_sim as S
from e2e_util import (DEADLINE_SLACK, TOKEN, WRAPPER, assert_measured,
                      assert_state, names_any, run_plugin)
from health_util import (age_bounds, age_tokens, job_request, shows_age)

W26H = 26 * 3600
C2D = 2 * 86400
HEALTH_PERF = ["protected_vms", "last_run_age", "last_duration",
               "transferred", "time"]


def header_values(req, name):
    return [v for k, v in req["headers"] if k.lower() == name.lower()]


def has_status(text, code):
    return re.search(r"(?<![0-9])%d(?![0-9])" % code, text) is not None


def names_job(run, name, uid):
    assert "'%s' (%s)" % (name, uid) in run.summary, \
        "summary does not name '%s' (%s): %r" % (name, uid, run)


def assert_two_requests(vspc, run, uid):
    """One connection, one handshake, the replication job and the
    BackupServerJob of uid, nothing else."""
    vspc.assert_one_exchange(run, requests=2)
    paths = sorted(r["path"] for r in vspc.requests())
    assert paths == sorted([S.API_PREFIX + uid, S.JOB_PREFIX + uid]), \
        (paths, run)


def age_perf(run):
    assert "last_run_age" in run.perf, "no last_run_age perfdata: %r" % run
    pv = run.perf["last_run_age"]
    assert pv.uom == "s" and pv.min == "0" and pv.max == "", run
    assert re.match(r"^[0-9]+$", pv.value), "age not whole seconds: %r" % run
    return int(pv.value)


def check_age(vspc, run, age, warn=None, crit=None, state=None):
    """The plugin saw lastEndTime `age` seconds before the second the run
    ran in: its last_run_age and state follow from that exactly when the
    run was aligned on a second (and the timestamp had no fraction), and
    are at least consistent with each other and the clock otherwise."""
    req = job_request(vspc.requests())
    lo, hi = age_bounds(run, req)
    seen = age_perf(run)
    assert lo <= seen <= hi, \
        "last_run_age %d outside %d..%d: %r" % (seen, lo, hi, run)
    want = "OK"
    if crit is not None and seen > crit:
        want = "CRITICAL"
    elif warn is not None and seen > warn:
        want = "WARNING"
    assert_state(run, want)
    pv = run.perf["last_run_age"]
    assert (pv.warn, pv.crit) == ("" if warn is None else str(warn),
                                  "" if crit is None else str(crit)), run
    if state is not None:
        if not WRAPPER:
            assert run.aligned, "could not fit a run into one second: %r" % (
                run,)
        if run.aligned:
            assert (lo, hi) == (age, age), (lo, hi, age, run)
            assert_state(run, state)


# --- the second request ------------------------------------------------------

def test_seed_job_two_requests_one_handshake(vspc):
    run = run_plugin(vspc.hargs(S.SEED_UID))
    assert_state(run, "OK")
    assert_two_requests(vspc, run, S.SEED_UID)
    assert len(vspc.handshakes()) == 1
    names_job(run, "Replica seed SQL", S.SEED_UID)
    assert "Success" in run.summary, run
    assert re.search(r"(?<![0-9.])5 VMs", run.summary), run
    assert list(run.perf) == HEALTH_PERF, run
    assert_measured(run, 5)
    assert run.perf["last_duration"].raw == "402s;;;0;", run
    assert run.perf["transferred"].raw == "16115584998B;;;0;", run
    lo, hi = age_bounds(run, job_request(vspc.requests()))
    assert lo <= age_perf(run) <= hi, run
    assert shows_age(run.summary, lo, hi), run


def test_both_requests_carry_the_same_headers(vspc):
    run = run_plugin(vspc.hargs(S.SEED_UID, "--api-version=3.6.2"))
    assert_state(run, "OK")
    assert_two_requests(vspc, run, S.SEED_UID)
    for req in vspc.requests():
        assert req["method"] == "GET" and req["query"] == "", req
        assert req["version"] == "HTTP/1.1", req
        assert header_values(req, "Authorization") == ["Bearer " + TOKEN]
        assert header_values(req, "Accept") == ["application/json"]
        assert header_values(req, "X-Client-Version") == ["3.6.2"]
        assert header_values(req, "X-Request-id") == []
        assert header_values(req, "Host") == ["127.0.0.1:%d" % vspc.port]


def test_no_job_status_is_one_request(vspc):
    uid = vspc.health(name="Replica failed but unasked", status="Failed",
                      enabled=False)
    run = run_plugin(vspc.args(uid))  # args() adds --no-job-status
    assert "--no-job-status" in run.cmd
    assert_state(run, "OK")
    vspc.assert_one_exchange(run, requests=1)
    assert vspc.requests()[0]["path"] == S.API_PREFIX + uid
    assert list(run.perf) == ["protected_vms", "time"], run
    # the summary of the first release (README)
    assert run.summary == "job %s protects 5 VMs" % uid, run
    assert "Replica failed but unasked" not in run.stdout, run
    assert "Failed" not in run.stdout and "disabled" not in run.stdout, run


def test_embedded_job_in_the_replication_answer_is_not_used(vspc):
    # The simulator's replication answer carries an _embedded job that
    # says Failed and disabled; only the BackupServerJob endpoint counts.
    uid = vspc.health(name="Replica fine", status="Success")
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "OK")
    assert "DECOY" not in run.stdout, run
    assert_two_requests(vspc, run, uid)


def test_reconnects_when_the_server_closes_after_the_first_answer(vspc):
    uid = vspc.health(name="Replica close")
    # the replication answer says Connection: close and closes
    vspc.set(uid, {"job": {"uid": uid, "name": "Replica close"},
                   "close": True})
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "OK")
    vspc.settle()
    conns = vspc.connections()
    assert [c["state"] for c in conns] == ["tls", "tls"], (conns, run)
    assert len(vspc.requests()) == 2, run


def test_vvv_masks_the_token_in_both_requests(vspc):
    run = run_plugin(vspc.hargs(S.SEED_UID, "-vvv"))
    assert_state(run, "OK")
    assert_two_requests(vspc, run, S.SEED_UID)
    assert run.stdout.count("Authorization: Bearer ****") >= 1, run
    assert TOKEN[:8] not in run.stdout and TOKEN[-8:] not in run.stdout


# --- status ------------------------------------------------------------------

STATUS_CASES = [
    ("Success", "OK"), ("Warning", "WARNING"), ("Failed", "CRITICAL"),
    ("Running", "OK"), ("Starting", "OK"), ("Stopping", "OK"),
    ("Idle", "OK"), ("Enabling", "OK"), ("Disabling", "OK"),
    ("WaitingTape", "OK"), ("WaitingRepository", "OK"),
    ("Unknown", "UNKNOWN"), ("Paused", "UNKNOWN"),
    ("ArchivedIn2030", "UNKNOWN"),
]


@pytest.mark.parametrize("status,state", STATUS_CASES,
                         ids=[c[0] for c in STATUS_CASES])
def test_status_mapping(vspc, status, state):
    name = "Replica status %s" % status
    uid = vspc.health(name=name, status=status, protected=7)
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, state)
    names_job(run, name, uid)
    assert status in run.summary, "status %s not named: %r" % (status, run)
    assert_measured(run, 7)
    assert "last_run_age" in run.perf, run
    assert_two_requests(vspc, run, uid)


@pytest.mark.parametrize("raw", ['""', "3", "null", "true", '["Success"]',
                                 '{"value": "Success"}'],
                         ids=["empty", "number", "null", "bool", "array",
                              "object"])
def test_status_of_a_wrong_shape_is_unknown(vspc, raw):
    uid = vspc.health(name="Replica odd status", status=json.loads(raw))
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "UNKNOWN")
    assert "status" in run.summary, run


def test_status_missing_is_unknown(vspc):
    uid = vspc.health(name="Replica no status", job_omit=["status"])
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "UNKNOWN")
    assert "status" in run.summary, run


# --- failureMessage ----------------------------------------------------------

FAILURE_LINES = ["vm-sql01:",
                 "Error: Failed to connect to host 10.0.0.17 (port 2500).",
                 "Processing vm-sql01 Error: Task failed unexpectedly."]


@pytest.mark.parametrize("status,state", [("Warning", "WARNING"),
                                          ("Failed", "CRITICAL")])
def test_failure_message_lines(vspc, status, state):
    uid = vspc.health(name="Replica with message", status=status,
                      failure="\r\n".join(FAILURE_LINES) + "\r\n")
    run = run_plugin(vspc.hargs(uid))  # no -v: always shown
    assert_state(run, state)
    rest = run.lines[1:]
    for text in FAILURE_LINES:
        holders = [r for r in rest if text in r]
        assert holders, "failure line %r not shown: %r" % (text, run)
        for other in FAILURE_LINES:
            if other != text:
                assert not any(other in r for r in holders), \
                    "two failure lines on one output line: %r" % run


def test_failure_message_cannot_inject(vspc):
    evil = ("first|evil=1;;;; \r\nVSPC REPLICATION OK - injected|x=1\r\n"
            "third\rfourth\nfifth\tsixth\r\n")
    uid = vspc.health(name="Replica evil message", status="Failed",
                      failure=evil)
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "CRITICAL")
    assert "evil" not in run.perf and "x" not in run.perf, run
    assert run.first.count("|") == 1, run
    assert any("first" in r for r in run.lines[1:]), run


def test_failure_message_null_with_failed_status(vspc):
    uid = vspc.health(name="Replica failed silently", status="Failed",
                      failure=None)
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "CRITICAL")
    assert "Failed" in run.summary


# --- disabled, never run -----------------------------------------------------

@pytest.mark.parametrize("option,state", [
    (None, "WARNING"), ("ok", "OK"), ("warning", "WARNING"),
    ("critical", "CRITICAL"), ("unknown", "UNKNOWN"), ("2", "CRITICAL"),
    ("0", "OK")])
def test_disabled_job(vspc, option, state):
    uid = vspc.health(name="Replica disabled", status="Success",
                      enabled=False)
    extra = [] if option is None else ["--disabled-state=" + option]
    run = run_plugin(vspc.hargs(uid, *extra))
    assert_state(run, state)
    if state != "OK":
        assert "disabled" in run.summary.lower(), run
    assert_measured(run, 5)


def test_disabled_and_failed_is_critical(vspc):
    uid = vspc.health(name="Replica disabled failed", status="Failed",
                      enabled=False)
    run = run_plugin(vspc.hargs(uid, "--disabled-state=ok"))
    assert_state(run, "CRITICAL")
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "CRITICAL")
    assert "disabled" in run.summary.lower() and "Failed" in run.summary


@pytest.mark.parametrize("raw", ['"false"', "0", "null"],
                         ids=["string", "number", "null"])
def test_is_enabled_of_a_wrong_type(vspc, raw):
    uid = vspc.health(name="Replica odd enabled", enabled=json.loads(raw))
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "UNKNOWN")
    assert "isEnabled" in run.summary, run


def test_is_enabled_missing(vspc):
    uid = vspc.health(name="Replica no isEnabled", job_omit=["isEnabled"])
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "UNKNOWN")
    assert "isEnabled" in run.summary, run


@pytest.mark.parametrize("option,state", [
    (None, "WARNING"), ("ok", "OK"), ("warning", "WARNING"),
    ("critical", "CRITICAL"), ("unknown", "UNKNOWN"), ("1", "WARNING")])
def test_never_run_job(vspc, option, state):
    uid = vspc.health(name="Replica new", never_run=True, protected=3)
    extra = [] if option is None else ["--never-run-state=" + option]
    run = run_plugin(vspc.hargs(uid, *extra))
    assert_state(run, state)
    assert "never" in run.summary.lower(), run
    names_job(run, "Replica new", uid)
    assert_measured(run, 3)
    assert "last_run_age" not in run.perf, run
    assert "last_duration" not in run.perf, run
    assert_two_requests(vspc, run, uid)


def test_status_none_with_an_end_time_is_never_run_state(vspc):
    uid = vspc.health(name="Replica none", status="None", end_age=60)
    run = run_plugin(vspc.hargs(uid, "--never-run-state=critical"))
    assert_state(run, "CRITICAL")


def test_null_end_time_without_threshold(vspc):
    uid = vspc.health(name="Replica no end", status="Success", end_age=None)
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "OK")
    assert "last_run_age" not in run.perf, run


@pytest.mark.parametrize("option,extra,state", [
    ("--max-age-warning=26h", [], "WARNING"),
    ("--max-age-critical=2d", [], "WARNING"),
    ("--max-age-warning=26h", ["--never-run-state=critical"], "CRITICAL"),
    ("--max-age-critical=2d", ["--never-run-state=ok"], "OK"),
], ids=["warning", "critical", "warning-never-critical", "critical-never-ok"])
def test_null_end_time_with_threshold_is_never_run(vspc, option, extra,
                                                   state):
    uid = vspc.health(name="Replica no end", status="Success", end_age=None)
    run = run_plugin(vspc.hargs(uid, option, *extra))
    assert_state(run, state)
    if state != "OK":
        assert names_any(run.summary, ["never", "no session", "not ended",
                                       "lastEndTime"]), run
    assert "last_run_age" not in run.perf, run


# --- ages and timestamp shapes -----------------------------------------------

# Shapes whose fraction is zero: the age is exact to the second.
EXACT_SHAPES = ["-04:00", "Z", "+05:30", "+00:00", "-07:00", "+14:00",
                "-12:00", "+05:45", "frac1-04:00", "frac2Z", "frac3+05:30",
                "frac4-09:30", "frac5+01:00", "frac6Z", "frac7-07:00"]


@pytest.mark.parametrize("shape", EXACT_SHAPES)
def test_warning_age_boundary_in_every_shape(vspc, shape):
    for age, state in ((W26H, "OK"), (W26H + 1, "WARNING")):
        uid = vspc.health(name="Replica aged", status="Success",
                          end_age=age, end_shape=shape)
        run = vspc.run_aligned(vspc.hargs(uid, "--max-age-warning=26h"))
        check_age(vspc, run, age, warn=W26H, state=state)
        if state == "WARNING":
            assert "26h" in run.summary or str(W26H) in run.summary, run


@pytest.mark.parametrize("shape", ["-04:00", "frac7-07:00", "+05:30"])
def test_age_boundaries_warning_and_critical(vspc, shape):
    opts = ["--max-age-warning=26h", "--max-age-critical=2d"]
    for age, state in ((W26H - 1, "OK"), (W26H, "OK"),
                       (W26H + 1, "WARNING"), (C2D - 1, "WARNING"),
                       (C2D, "WARNING"), (C2D + 1, "CRITICAL")):
        uid = vspc.health(name="Replica aged", status="Success",
                          end_age=age, end_shape=shape)
        run = vspc.run_aligned(vspc.hargs(uid, *opts))
        check_age(vspc, run, age, warn=W26H, crit=C2D, state=state)


DURATIONS = [("3600", 3600), ("90m", 5400), ("26h", W26H), ("2d", C2D),
             ("1d12h", 129600), ("1w", 604800), ("45s", 45),
             ("1h30m", 5400), ("1w2d3h4m5s", 788645)]


@pytest.mark.parametrize("text,secs", DURATIONS,
                         ids=[d[0] for d in DURATIONS])
def test_duration_forms_warning(vspc, text, secs):
    for age, state in ((secs, "OK"), (secs + 1, "WARNING")):
        uid = vspc.health(name="Replica aged", end_age=age)
        run = vspc.run_aligned(vspc.hargs(uid, "--max-age-warning=" + text))
        check_age(vspc, run, age, warn=secs, state=state)


@pytest.mark.parametrize("text,secs", [("3600", 3600), ("90m", 5400),
                                       ("2d", C2D)])
def test_duration_forms_critical(vspc, text, secs):
    for age, state in ((secs - 1, "OK"), (secs, "OK"),
                       (secs + 1, "CRITICAL")):
        uid = vspc.health(name="Replica aged", end_age=age,
                          end_shape=".0000000-07:00")
        run = vspc.run_aligned(vspc.hargs(uid,
                                          "--max-age-critical=" + text))
        check_age(vspc, run, age, crit=secs, state=state)


# Shapes with a real fraction: the whole-second age is the age or one less
# depending on how the fraction is rounded, so test two seconds away.
FRACTION_SHAPES = [".8-04:00", ".48-04:00", ".763-04:00", ".9999999+05:30",
                   ".1234567-07:00", ".5Z", ".0000001Z", ".05+05:45"]


@pytest.mark.parametrize("shape", FRACTION_SHAPES)
def test_fractional_seconds_are_parsed(vspc, shape):
    for age, state in ((W26H + 2, "WARNING"), (W26H - 1, "OK")):
        uid = vspc.health(name="Replica frac", end_age=age, end_shape=shape)
        run = run_plugin(vspc.hargs(uid, "--max-age-warning=26h"))
        assert_state(run, state)
        req = job_request(vspc.requests())
        lo, hi = age_bounds(run, req)
        assert lo <= age_perf(run) <= hi, (lo, hi, run)
        vspc.restart_records()


@pytest.mark.parametrize("age", [42, 17 * 60, 3 * 3600 + 5 * 60,
                                 2 * 86400 + 4 * 3600, 27 * 3600])
def test_age_in_summary(vspc, age):
    uid = vspc.health(name="Replica age text", end_age=age)
    run = vspc.run_aligned(vspc.hargs(uid))
    assert_state(run, "OK")
    lo, hi = age_bounds(run, job_request(vspc.requests()))
    assert shows_age(run.summary, lo, hi), \
        "no age %d..%d in %r (durations seen: %r)" % (
            lo, hi, run.summary, age_tokens(run.summary))
    assert " ago" in run.summary, run


def test_age_problem_names_age_and_threshold(vspc):
    uid = vspc.health(name="Replica old", end_age=27 * 3600)
    run = vspc.run_aligned(vspc.hargs(uid, "--max-age-warning=26h"))
    assert_state(run, "WARNING")
    assert "26h" in run.summary or str(W26H) in run.summary, run
    lo, hi = age_bounds(run, job_request(vspc.requests()))
    assert shows_age(run.summary, lo, hi), run


# (a time without an offset is read as UTC: tests/e2e/test_versions.py)
BAD_TIMES = [
    ("hour-25", "2024-07-17T25:37:51"),
    ("bad-offset", "2024-07-17T21:37:51+4"),
    ("month-13", "2024-13-17T21:37:51-04:00"),
    ("yesterday", "yesterday"),
    ("empty", ""),
    ("date-only", "2024-07-17"),
    ("hour-25", "2024-07-17T25:37:51Z"),
    ("minute-60", "2024-07-17T21:60:51Z"),
    ("day-32", "2024-07-32T21:37:51Z"),
    ("trailing-junk", "2024-07-17T21:37:51Zjunk"),
    ("offset-hour-25", "2024-07-17T21:37:51+25:00"),
    ("dot-without-digits", "2024-07-17T21:37:51.-04:00"),
    ("number", 1721267871),
    ("bool", True),
    ("object", {"dateTime": "2024-07-17T21:37:51Z"}),
    ("array", ["2024-07-17T21:37:51Z"]),
]


@pytest.mark.parametrize("value", [b[1] for b in BAD_TIMES],
                         ids=[b[0] for b in BAD_TIMES])
def test_bad_end_time_is_unknown(vspc, value):
    uid = vspc.health(name="Replica bad time", status="Success",
                      last_end=value)
    run = run_plugin(vspc.hargs(uid, "--max-age-critical=2d"))
    assert_state(run, "UNKNOWN")
    assert "lastEndTime" in run.summary, run


@pytest.mark.parametrize("value", ["yesterday", "2024-07-17T21:37:51 UTC",
                                   "2024-13-17T21:37:51-04:00", 1721267871],
                         ids=["yesterday", "zone-name", "month-13", "number"])
def test_bad_end_time_without_threshold_is_unknown(vspc, value):
    # the age is shown and is perfdata even without a threshold: a bad
    # lastEndTime must not silently drop it
    uid = vspc.health(name="Replica bad time", status="Success",
                      last_end=value)
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "UNKNOWN")
    assert "lastEndTime" in run.summary, run


def test_end_time_in_the_future_does_not_crash(vspc):
    uid = vspc.health(name="Replica future", end_age=-300)
    run = run_plugin(vspc.hargs(uid, "--max-age-warning=1h"))
    assert run.state in ("OK", "UNKNOWN"), run


# --- worst state wins --------------------------------------------------------

@pytest.mark.parametrize("spec,options,state", [
    ({"status": "Failed", "end_age": 30 * 3600}, ["--max-age-warning=26h"],
     "CRITICAL"),
    ({"status": "Warning", "end_age": 3 * 86400},
     ["--max-age-warning=26h", "--max-age-critical=2d"], "CRITICAL"),
    ({"status": "Unknown", "enabled": False}, [], "WARNING"),
    ({"status": "Paused", "end_age": 30 * 3600}, ["--max-age-warning=26h"],
     "WARNING"),
    ({"status": "Unknown"}, ["--disabled-state=critical"], "UNKNOWN"),
    ({"status": "Success"}, ["--wan=yes"], "WARNING"),
    ({"status": "Warning"}, ["--wan=yes", "--mismatch-state=critical"],
     "CRITICAL"),
    ({"status": "Warning"}, ["-c", "10:"], "CRITICAL"),
    ({"status": "Success", "end_age": 30 * 3600},
     ["-w", "10:", "--max-age-critical=1d"], "CRITICAL"),
    ({"status": "Running", "end_age": 30 * 3600}, ["--max-age-warning=26h"],
     "WARNING"),
    ({"status": "Idle", "enabled": False}, ["--disabled-state=ok"], "OK"),
], ids=["failed+age", "warning+age-critical", "unknown+disabled",
        "paused+age-warning", "unknown-enabled", "mismatch",
        "warning+critical-mismatch", "warning+critical-threshold",
        "threshold-warning+age-critical", "running+age", "idle-disabled-ok"])
def test_worst_state_wins(vspc, spec, options, state):
    uid = vspc.health(name="Replica combined", **spec)
    run = run_plugin(vspc.hargs(uid, *options))
    assert_state(run, state)
    warn = options[options.index("-w") + 1] if "-w" in options else ""
    crit = options[options.index("-c") + 1] if "-c" in options else ""
    assert_measured(run, 5, warn, crit)


# --- perfdata ----------------------------------------------------------------

def test_perfdata_order_and_thresholds(vspc):
    uid = vspc.health(name="Replica perf", end_age=600, duration=1234,
                      transferred=0)
    run = run_plugin(vspc.hargs(uid, "--max-age-warning=26h",
                                "--max-age-critical=2d", "-w", "3:"))
    assert_state(run, "OK")
    assert list(run.perf) == HEALTH_PERF, run
    assert_measured(run, 5, "3:", "")
    age = run.perf["last_run_age"]
    assert (age.warn, age.crit, age.min, age.max) == (
        str(W26H), str(C2D), "0", ""), run
    assert run.perf["last_duration"].raw == "1234s;;;0;", run
    assert run.perf["transferred"].raw == "0B;;;0;", run


def test_transferred_is_an_exact_int64(vspc):
    big = 2 ** 53 + 1  # not a double
    uid = vspc.health(name="Replica big transfer", transferred=big)
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "OK")
    assert run.perf["transferred"].raw == "%dB;;;0;" % big, run


def test_unknown_duration_and_transfer_are_left_out(vspc):
    uid = vspc.health(name="Replica sparse", duration=None,
                      job_extra={"transferredData": None})
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "OK")
    assert "last_duration" not in run.perf, run
    assert "transferred" not in run.perf, run
    assert "last_run_age" in run.perf, run


# --- server text -------------------------------------------------------------

def test_job_name_is_sanitised(vspc):
    name = "Rep|evil=1;;;; \r\nVSPC REPLICATION OK - injected\nthird"
    uid = vspc.health(name=name, status="Warning", failure=None)
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "WARNING")
    assert run.first.count("|") == 1, run
    assert "evil" not in run.perf, run
    assert uid in run.summary, run
    assert sum(1 for line in run.lines
               if line.startswith("VSPC REPLICATION")) == 1, run


def test_unicode_job_name(vspc):
    name = "R\u00e9plica \u65e5\u672c \U0001f600 'quoted' \"x\" \\ back"
    uid = vspc.health(name=name, status="Success")
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "OK")
    assert "R\u00e9plica \u65e5\u672c \U0001f600" in run.summary, run


# --- the second request failing ----------------------------------------------

def _err(status, message, etype="logical"):
    return {"error": {"status": status, "message": message, "type": etype,
                      "code": status}}


def test_second_request_404_is_critical(vspc):
    uid = vspc.health(name="Replica gone", job=[
        _err(404, "Backup server job does not exist.")])
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "CRITICAL")
    assert uid in run.summary, run
    assert_two_requests(vspc, run, uid)


def test_second_request_404_html(vspc):
    uid = vspc.health(name="Replica gone", job=[
        {"status": 404, "content_type": "text/html",
         "body": "<html><body>Not here</body></html>"}])
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "CRITICAL")
    assert uid in run.summary, run


@pytest.mark.parametrize("step,code,words", [
    (_err(401, S.MSG_UNAUTHORIZED, "security"), 401,
     [S.MSG_UNAUTHORIZED]),
    (_err(403, "Access is denied.", "security"), 403, ["Access is denied."]),
    (_err(520, S.MSG_SERVER_ERROR, "unspecified"), 520,
     [S.MSG_SERVER_ERROR]),
    ({"status": 500, "content_type": "text/html", "body": "<h1>500</h1>"},
     500, []),
    ({"status": 202, "body": b"", "content_type": None}, 202, []),
], ids=["401", "403", "520", "500-html", "202"])
def test_second_request_http_errors_are_unknown(vspc, step, code, words):
    uid = vspc.health(name="Replica error", job=[step])
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "UNKNOWN")
    assert has_status(run.summary, code), run
    for w in words:
        assert w in run.summary, run
    assert "<h1>" not in run.stdout, run


@pytest.mark.parametrize("step,words", [
    ({"status": 200, "body": "this is not json"}, ["json", "parse",
                                                   "invalid"]),
    ({"status": 200, "body": '{"data": null, "meta": null}'}, ["data"]),
    ({"status": 200, "body": '{"data": [], "meta": null}'}, ["data"]),
    ({"status": 200, "body": '{"meta": null, "errors": null}'}, ["data"]),
    ({"status": 200, "body": "<html>maintenance</html>",
      "content_type": "text/html"}, ["json", "html", "content", "answer",
                                     "body", "parse"]),
], ids=["not-json", "data-null", "data-array", "data-missing", "html"])
def test_second_request_bad_bodies_are_unknown(vspc, step, words):
    uid = vspc.health(name="Replica bad body", job=[step])
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "UNKNOWN")
    assert names_any(run.summary, words), run


def bsj_text(uid, **spec):
    job, _ = S.backup_server_job(dict(spec, uid=uid), int(time.time()))
    return json.dumps({"data": job, "meta": None, "errors": None})


JSONERR = ["json", "parse", "invalid", "malformed", "syntax", "truncated",
           "premature", "unexpected", "lexical", "answer", "body"]
HOSTILE_BSJ = [
    ("duplicate-status", lambda u: bsj_text(u, status="Failed").replace(
        '"status": "Failed"', '"status": "Failed", "status": "Success"'),
     ["status", "duplicate"]),
    ("trailing-garbage", lambda u: bsj_text(u) + " garbage", JSONERR),
    ("invalid-utf8-name", lambda u: bsj_text(u, name="X-NAME-X").encode()
     .replace(b"X-NAME-X", b"\xc3\x28"), JSONERR + ["utf-8", "utf8"]),
    ("deep-nesting", lambda u: bsj_text(u).replace(
        '"schedule": ', '"schedule": ' + "[" * 100000 + "]" * 100000 +
        ', "x": ', 1), JSONERR + ["deep", "nest", "depth"]),
    ("nul-in-status", lambda u: bsj_text(u).replace(
        '"status": "Success"', '"status": "Success\\u0000Failed"'),
     ["status"]),
]


@pytest.mark.parametrize("maker,words", [h[1:] for h in HOSTILE_BSJ],
                         ids=[h[0] for h in HOSTILE_BSJ])
def test_second_request_hostile_bodies(vspc, maker, words):
    uid = vspc.health(name="Replica hostile")
    vspc.set_bsjob(uid, {"status": 200, "body": maker(uid)})
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "UNKNOWN")
    assert names_any(run.summary, words), run


def test_second_request_cut_short(vspc):
    uid = vspc.health(name="Replica cut")
    vspc.set_bsjob(uid, {"job": {"uid": uid}, "truncate": 200})
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "UNKNOWN")
    uid2 = vspc.health(name="Replica cut")
    vspc.set_bsjob(uid2, {"job": {"uid": uid2}, "extra_length": 500})
    run = run_plugin(vspc.hargs(uid2, "-t", "5"))
    assert_state(run, "UNKNOWN")
    assert run.elapsed <= 5 + DEADLINE_SLACK, run


def test_second_request_over_8_mib(vspc):
    uid = vspc.health(name="Replica huge", job=[{"big": 40 * S.MIB,
                                                 "framing": "chunked"}])
    run = run_plugin(vspc.hargs(uid, "-t", "20"), measure_rss=True)
    assert_state(run, "UNKNOWN")
    if not WRAPPER:
        assert run.maxrss_kib < 64 * 1024, run.maxrss_kib


def test_second_request_reset(vspc):
    # every answer of the second request is a reset (an HTTP client may
    # retry a request on a fresh connection once when a reused one dies)
    uid = vspc.health(name="Replica reset")
    vspc.set_bsjob(uid, {"action": "reset"})
    run = run_plugin(vspc.hargs(uid, "-t", "5"))
    assert_state(run, "UNKNOWN")
    assert run.elapsed <= 5 + DEADLINE_SLACK, run
    assert len([r for r in vspc.requests() if r["endpoint"] == "job"]) <= 2


def test_second_request_reset_once_then_fine(vspc):
    uid = vspc.health(name="Replica reset once", job=[{"action": "reset"}])
    run = run_plugin(vspc.hargs(uid, "-t", "5"))
    # a reused connection that dies may be retried once on a new one
    assert run.state in ("OK", "UNKNOWN"), run
    if run.state == "OK":
        vspc.settle()
        assert len(vspc.connections()) == 2, vspc.connections()


@pytest.mark.parametrize("spec,state", [("2", "UNKNOWN"),
                                        ("2:critical", "CRITICAL")])
def test_second_request_hangs_until_the_deadline(vspc, spec, state):
    uid = vspc.health(name="Replica hang", job=[{"action": "hang"}])
    run = run_plugin(vspc.hargs(uid, "-t", spec))
    assert_state(run, state)
    assert re.search(r"time(d)?[ -]?out|deadline", run.summary, re.I), run
    assert run.elapsed <= 2 + DEADLINE_SLACK, run


def test_second_request_slow_first_fast_share_one_deadline(vspc):
    # 1.2 s + 1.2 s of delays do not fit into -t 2: one deadline for both
    uid = vspc.health(name="Replica slow")
    vspc.set(uid, {"job": {"uid": uid}, "delay": 1.2})
    vspc.set_bsjob(uid, {"job": {"uid": uid}, "delay": 1.2})
    run = run_plugin(vspc.hargs(uid, "-t", "2"))
    assert_state(run, "UNKNOWN")
    assert run.elapsed <= 2 + DEADLINE_SLACK, run


def test_second_request_429_is_retried(vspc):
    uid = vspc.health(name="Replica busy", job=[{"error": {
        "status": 429, "message": "Request rate limit exceeded.",
        "type": "retryableLogical", "code": 429, "retryAfter": 1}}])
    run = run_plugin(vspc.hargs(uid, "-t", "10"))
    assert_state(run, "OK")
    reqs = vspc.requests()
    assert [r["status"] for r in reqs if r["endpoint"] == "job"] == [
        429, 200], run
    vspc.settle()
    assert len(vspc.handshakes()) == 1, vspc.connections()


def test_first_request_404_still_critical(vspc):
    uid = "deadbeef-0000-4000-8000-000000000404"
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "CRITICAL")
    assert uid in run.summary


# --- usage -------------------------------------------------------------------

USAGE = [
    ("max-age-warning-letters", ["--max-age-warning=abc"],
     ["max-age-warning"]),
    ("max-age-warning-unit", ["--max-age-warning=10x"], ["max-age-warning"]),
    ("max-age-warning-negative", ["--max-age-warning=-5"],
     ["max-age-warning"]),
    ("max-age-warning-decimal", ["--max-age-warning=1.5h"],
     ["max-age-warning"]),
    ("max-age-warning-empty", ["--max-age-warning="], ["max-age-warning"]),
    ("max-age-warning-unit-only", ["--max-age-warning=h"],
     ["max-age-warning"]),
    ("max-age-warning-trailing-number", ["--max-age-warning=1d12"],
     ["max-age-warning"]),
    ("max-age-warning-space", ["--max-age-warning=1h 30m"],
     ["max-age-warning"]),
    ("max-age-warning-huge", ["--max-age-warning=99999999999999999999"],
     ["max-age-warning"]),
    ("max-age-critical-letters", ["--max-age-critical=soon"],
     ["max-age-critical"]),
    ("max-age-critical-uppercase-unit", ["--max-age-critical=2D"],
     ["max-age-critical"]),
    ("never-run-state-bogus", ["--never-run-state=bogus"],
     ["never-run-state"]),
    ("never-run-state-4", ["--never-run-state=4"], ["never-run-state"]),
    ("never-run-state-empty", ["--never-run-state="], ["never-run-state"]),
    ("disabled-state-maybe", ["--disabled-state=maybe"],
     ["disabled-state"]),
    ("disabled-state-9", ["--disabled-state=9"], ["disabled-state"]),
]


@pytest.mark.parametrize("extra,names", [u[1:] for u in USAGE],
                         ids=[u[0] for u in USAGE])
def test_usage_errors(vspc, extra, names):
    run = run_plugin(vspc.hargs(S.SEED_UID, *extra))
    assert_state(run, "UNKNOWN")
    assert names_any(run.summary, names), run
    vspc.assert_no_traffic(run)


def test_help_mentions_the_new_options(vspc):
    run = run_plugin(["--help"], status_line=False)
    assert run.rc == 3, run
    for word in ("--no-job-status", "--never-run-state", "--disabled-state",
                 "--max-age-warning", "--max-age-critical", "--all",
                 "--backup-server", "--organization", "--name",
                 "--exclude-name", "--min-jobs", "--perfdata-per-job",
                 "--list"):
        assert word in run.stdout, (word, run)
    vspc.assert_no_traffic(run)

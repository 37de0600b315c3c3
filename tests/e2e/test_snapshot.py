"""--snapshot-max-age: -j, --all and --list answered from the shared SQLite
snapshot of every job collection in the cache directory.

A fresh snapshot costs no request at all; a missing or stale one costs
exactly one walk, however many checks start at once; a failed refresh is
reported by every check until its back-off ends, without a request; a job
the snapshot lacks is asked for directly; each identity has its own file,
which holds no token or password; a damaged file is rebuilt, an untrusted
one is left alone and not used; a run killed in the middle of a refresh
leaves the old snapshot whole; and every answer from the snapshot is the
answer of the direct check.

The simulator's clock is frozen where answers are compared
(VspcSim.freeze_clock), so that a job has the same lastEndTime in the
snapshot and in a direct answer; the plugin's own clock still moves, so a
direct run and its snapshot run are compared when both ran within the same
wall-clock second (same_second)."""

import concurrent.futures
import fcntl
import glob
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import threading
import time
import uuid

import pytest

import e2e_util as U
import vspc_profiles as P
import vspc_sim as S
from conftest import write_secret
from e2e_util import assert_state, run_plugin
from health_util import ORG_A, ORG_B, ORG_C, SERVER_B, SERVER_C, spec

MAX_AGE = "--snapshot-max-age=1h"
APPLICATION_ID = 0x56535043
SCHEMA_VERSION = 1
ANSWERED_RE = re.compile(
    r"^answered from the snapshot (/\S+/snapshot-[0-9a-f]{32}\.db) \("
    r"(made by an earlier run|refreshed by this run|refreshed by another "
    r"run), ")
# a snapshot that was looked in but could not answer (a note says why)
LOOKED_RE = re.compile(
    r"^looked in the snapshot (/\S+/snapshot-[0-9a-f]{32}\.db) \("
    r"(made by an earlier run|refreshed by this run|refreshed by another "
    r"run), ")
API_LINE = "VSPC API version "
# the walk of the default fleet: one page of each collection
DEFAULT_WALK = [("vm", 0), ("cdp", 0)]
DEFAULT_VM = [S.SEED_UID, S.CLOUD_UID, S.WAN_UID, S.SPEC_EXAMPLE_UID,
              S.EMPTY_JOB_UID]
DEFAULT_CDP = [S.CDP_UID, S.CDP_NO_SLA_UID, S.CDP_NO_PERIOD_UID,
               S.CDP_UNKNOWN_UNIT_UID]
# served by the single-job endpoints only, in no collection
DEFAULT_OTHERS = [S.BAD_TYPE_UID, S.SERVER_ERROR_UID]


# --------------------------------------------------------------------------
# The cache directory and the snapshot files
# --------------------------------------------------------------------------

def cache_dir():
    """The default cache directory of this test's runs."""
    return os.path.join(U.cache_home_for_test(), "check_vspc_replication")


def snapshot_files(d=None):
    return sorted(glob.glob(os.path.join(d or cache_dir(),
                                         "snapshot-*.db")))


def only_snapshot(d=None):
    files = snapshot_files(d)
    assert len(files) == 1, "want one snapshot file: %r" % (
        os.listdir(d or cache_dir()),)
    return files[0]


def connect(path):
    """The existing database at path, for reading and changing it."""
    return sqlite3.connect("file:%s?mode=rw" % path, uri=True, timeout=10,
                           isolation_level=None)


def query(path, sql, args=()):
    c = connect(path)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def change(path, *statements):
    c = connect(path)
    try:
        for s in statements:
            c.execute(s)
    finally:
        c.close()


def snapshot_row(path):
    rows = query(path, "SELECT taken_at, api_version, vm_jobs, cdp_jobs, "
                 "skipped_kinds FROM snapshot")
    if not rows:
        return None
    keys = ("taken_at", "api_version", "vm_jobs", "cdp_jobs", "skipped")
    return dict(zip(keys, rows[0]))


def failure_row(path):
    rows = query(path, "SELECT failed_at, retry_at, state, message FROM "
                 "failure")
    if not rows:
        return None
    return dict(zip(("failed_at", "retry_at", "state", "message"), rows[0]))


def jobs_digest(path):
    """A digest of every stored job and name, in order."""
    h = hashlib.sha256()
    for row in query(path, "SELECT seq, kind, page_index, uid, name, "
                     "backup_server, body FROM jobs ORDER BY seq"):
        h.update(repr(row).encode())
    for row in query(path, "SELECT uid, seq FROM names ORDER BY uid, seq"):
        h.update(repr(row).encode())
    return h.hexdigest()


def stored_uids(path):
    """The instanceUid of every stored job, in the order of the walk."""
    return [r[0] for r in query(path, "SELECT uid FROM jobs ORDER BY seq")]


def stored_names(path):
    """Every UID a stored job can be found by."""
    return {r[0] for r in query(path, "SELECT uid FROM names")}


def assert_sound(path, vm, cdp):
    """A whole snapshot of our schema holding vm and cdp jobs."""
    assert query(path, "PRAGMA integrity_check") == [("ok",)]
    assert query(path, "PRAGMA application_id") == [(APPLICATION_ID,)]
    assert query(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    row = snapshot_row(path)
    assert row is not None and (row["vm_jobs"], row["cdp_jobs"]) == (vm,
                                                                      cdp)
    kinds = query(path, "SELECT kind, count(*) FROM jobs GROUP BY kind "
                  "ORDER BY kind")
    assert kinds == sorted([(k, n) for k, n in (("vm", vm), ("cdp", cdp))
                            if n]), kinds
    return row


def age_snapshot(path, seconds):
    change(path, "UPDATE snapshot SET taken_at = taken_at - %d" % seconds)


def end_back_off(path):
    """As if the back-off of the stored failure had passed: failed_at and
    retry_at two hours earlier."""
    change(path, "UPDATE failure SET failed_at = failed_at - 7200, "
           "retry_at = retry_at - 7200")


def file_state(path):
    """What must not change about a file the plugin leaves alone."""
    st = os.lstat(path)
    out = {"mode": st.st_mode, "uid": st.st_uid, "gid": st.st_gid,
           "ino": st.st_ino, "size": st.st_size, "mtime": st.st_mtime_ns}
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            out["sha"] = hashlib.sha256(f.read()).hexdigest()
    elif stat.S_ISLNK(st.st_mode):
        out["target"] = os.readlink(path)
    elif stat.S_ISDIR(st.st_mode):
        out["entries"] = sorted(os.listdir(path))
    return out


def lock_is_free(path):
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def secrets_in_dir(d, secrets):
    """{file: [secret, ...]} of every file under d holding one of the
    secrets, as bytes anywhere in it."""
    found = {}
    for dirpath, _, names in os.walk(d):
        for name in names:
            path = os.path.join(dirpath, name)
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            with open(path, "rb") as f:
                data = f.read()
            hits = [s for s in secrets if s.encode() in data]
            if hits:
                found[path] = hits
    return found


# --------------------------------------------------------------------------
# What the simulator saw
# --------------------------------------------------------------------------

def walk_of(reqs):
    """The collection pages asked for, (kind, offset) in order: those of
    walks, not the filtered ones that look for one CDP policy."""
    return [(r["kind"], r["offset"]) for r in reqs
            if r["endpoint"] == "collection" and
            "filter" not in r.get("params", {})]


def single_requests(reqs):
    return [r for r in reqs if r["endpoint"] in ("replication", "cdp",
                                                 "job")]


def assert_one_walk(view, run, walk=DEFAULT_WALK):
    """The run asked for the pages of one walk of every collection and
    nothing else."""
    view.settle()
    reqs = view.requests()
    assert walk_of(reqs) == walk, (walk_of(reqs), run)
    assert single_requests(reqs) == [], run
    for r in reqs:
        assert r["endpoint"] == "collection", (r["target"], run)
        p = r["params"]
        assert p["limit"] == ["500"] and p["expand"] == ["BackupServerJob"]
        assert "filter" not in p, p
        assert r["server"] is None, r["path"]


def served_line(run):
    """The snapshot the -v output says answered, and how it was made."""
    hits = [ANSWERED_RE.match(line) for line in run.lines[1:]]
    hits = [m for m in hits if m]
    assert len(hits) == 1, "no (or more than one) answered line: %r" % run
    return hits[0].group(1), hits[0].group(2)


def looked_line(run):
    """The snapshot the -v output says was looked in, without answering,
    and how it was made; no line may claim it answered."""
    hits = [m for m in (LOOKED_RE.match(line) for line in run.lines[1:])
            if m]
    assert len(hits) == 1 and not any(
        ANSWERED_RE.match(line) for line in run.lines[1:]), \
        "no (or more than one) looked-in line: %r" % run
    return hits[0].group(1), hits[0].group(2)


def is_source_note(line):
    """A note about the snapshot, or about asking VSPC instead."""
    return line.startswith("note:") and ("snapshot" in line or
                                          "asking VSPC" in line)


def assert_served(run, how="made by an earlier run"):
    path, made = served_line(run)
    assert made == how, run
    assert not any(is_source_note(line) for line in run.lines[1:]), run
    assert not any(line.startswith(API_LINE) for line in run.lines[1:]), \
        "a snapshot answer needs no API version: %r" % run
    return path


# --------------------------------------------------------------------------
# Direct and snapshot runs compared
# --------------------------------------------------------------------------

def comparable(run, side):
    """state, summary, perfdata without the request time, and the other
    lines of the output (-v) without what only says where the answer came
    from: the API version line (direct) and the snapshot's own line."""
    if run.state is None:  # --list: the output as it is
        return run.stdout
    drop = (API_LINE,) if side == "direct" else (
        API_LINE, "answered from the snapshot ", "looked in the snapshot ")
    perf = [(k, v.raw) for k, v in run.perf.items() if k != "time"]
    rest = [line for line in run.lines[1:] if not line.startswith(drop)]
    return run.state, run.summary, perf, rest


def in_one_second(*runs):
    return len({int(t) for r in runs for t in (r.wall0, r.wall1)}) == 1


def run_one(args):
    """run_plugin(args); a listing has no status line and may be empty."""
    listing = is_listing(args)
    return run_plugin(args, status_line=not listing, allow_empty=listing)


def run_many(arg_lists):
    """run_one() of every argument list at once (threads)."""
    with concurrent.futures.ThreadPoolExecutor(len(arg_lists)) as pool:
        return list(pool.map(run_one, arg_lists))


def same_second(cases, batch=6, attempts=12, prepare=None):
    """cases: [(direct args, snapshot args), ...].  Runs both runs of each
    pair at once, a few pairs together, until both fell into one second of
    the wall clock (the plugin's "now"); returns [(direct, snapshot)] in
    the order of cases.  A pair that straddled a second is tried again in
    a smaller group started at the top of a second (a loaded machine).
    prepare(i), if given, runs before every attempt of case i."""
    out = [None] * len(cases)
    todo = list(range(len(cases)))
    for attempt in range(attempts):
        if not todo:
            break
        size = max(1, batch >> attempt)
        again = []
        for k in range(0, len(todo), size):
            group = todo[k:k + size]
            frac = time.time() % 1.0
            if frac > (0.8 if attempt == 0 else 0.05):
                time.sleep(1.0 - frac + 0.005)
            for i in group:
                if prepare:
                    prepare(i)
            runs = run_many([a for i in group for a in cases[i]])
            for j, i in enumerate(group):
                d, s = runs[2 * j], runs[2 * j + 1]
                if in_one_second(d, s):
                    out[i] = (d, s)
                else:
                    again.append(i)
        todo = again
    assert not todo, "could not fit %d pairs into one second each: %r" % (
        len(todo), [cases[i] for i in todo])
    return out


def together(cases):
    """Both runs of every pair at once, once: for answers that do not
    depend on the clock (timeless jobs), where the seconds need not
    agree."""
    runs = run_many([a for case in cases for a in case])
    return [(runs[2 * i], runs[2 * i + 1]) for i in range(len(cases))]


def is_listing(args):
    return any(a == "--list" or a.startswith("--list=") for a in args)


def assert_same(direct, snap, served=True):
    """The snapshot run's answer is the direct run's; with served, the
    snapshot answered (-v says so, no note, no API version)."""
    if served and snap.state is not None:
        assert_served(snap)
    assert comparable(snap, "snapshot") == comparable(direct, "direct"), \
        "the snapshot answers differently:\n direct:   %r\n snapshot: %r" % (
            direct, snap)


def snapshot_case(args):
    return list(args), list(args) + [MAX_AGE]


# jobs without a lastEndTime: their answers do not depend on the clock
TIMELESS_UID = "71e1e550-0000-4000-8000-000000000001"
TIMELESS_CDP_UID = "71e1e550-0000-4000-8000-000000000002"
TIMELESS = {"uid": TIMELESS_UID, "name": "Replica timeless",
            "status": "Warning", "end_age": None, "duration": None,
            "protected": 3}
TIMELESS_CDP = {"uid": TIMELESS_CDP_UID, "name": "CDP timeless",
                "kind": "cdp", "status": "Success", "end_age": None,
                "duration": None, "last_period": {"sla": 97}}
TIMELESS_ONLY = "--name=* timeless"


def timeless_fleet():
    """The default fleet and the two timeless jobs."""
    default = S.default_fleet()
    return {"jobs": default["jobs"] + [TIMELESS],
            "cdp_jobs": default["cdp_jobs"] + [TIMELESS_CDP]}


def make_snapshot(view, *extra):
    """A fresh snapshot of view's simulator (one run that refreshes it)."""
    view.restart_records()
    run = run_plugin(view.fargs("-v", MAX_AGE, *extra))
    served_line(run)
    return run


# --------------------------------------------------------------------------
# 1. warm, cold, stale
# --------------------------------------------------------------------------

def test_cold_is_one_walk_then_every_mode_is_warm(vspc):
    t0 = int(time.time())
    run = run_plugin(vspc.hargs(S.SEED_UID, "-v", MAX_AGE))
    t1 = int(time.time())
    assert_state(run, "OK")
    assert "'Replica seed SQL' (%s)" % S.SEED_UID in run.summary, run
    path, how = served_line(run)
    assert how == "refreshed by this run", run
    assert_one_walk(vspc, run)
    assert path == only_snapshot()
    row = assert_sound(path, len(DEFAULT_VM), len(DEFAULT_CDP))
    assert t0 <= row["taken_at"] <= t1, (t0, row, t1)  # when it ended
    assert row["api_version"] == "3.6" and row["skipped"] == 0, row
    assert failure_row(path) is None
    assert sorted(stored_uids(path)) == sorted(DEFAULT_VM + DEFAULT_CDP)
    # beside the remembered API version: the database and its lock file,
    # private (SQLite's -wal and -shm are gone once the last run closed it)
    names = set(os.listdir(cache_dir()))
    ours = {os.path.basename(path), os.path.basename(path)[:-3] + ".lock"}
    assert ours <= names and all(n.startswith("api-") for n in names - ours)
    assert stat.S_IMODE(os.stat(cache_dir()).st_mode) == 0o700
    for name in names:
        st = os.lstat(os.path.join(cache_dir(), name))
        assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == \
            0o600 and st.st_uid == os.geteuid(), name

    warm = [vspc.hargs(S.SEED_UID, "-v"), vspc.args(S.WAN_UID, "-v"),
            vspc.hargs(S.CDP_UID, "-v"),
            vspc.hargs(S.CDP_NO_SLA_UID, "-v", "--kind=cdp"),
            vspc.fargs("-v"), vspc.fargs("-v", "--kind=vm"),
            vspc.fargs("-v", "--name=CDP*", "--organization=" + S.DEFAULT_ORG,
                       "--backup-server=" + S.DEFAULT_SERVER)]
    for args in warm:
        vspc.restart_records()
        run = run_plugin(args + [MAX_AGE])
        assert run.state in ("OK", "WARNING"), run
        assert assert_served(run) == path
        vspc.assert_no_traffic(run)
    for fmt in (None, "table", "json"):
        vspc.restart_records()
        run = run_plugin(vspc.largs(MAX_AGE, fmt=fmt), status_line=False)
        assert run.rc == 0, run
        for uid in DEFAULT_VM + DEFAULT_CDP:
            assert uid in run.stdout, run
        vspc.assert_no_traffic(run)
    assert snapshot_row(path)["taken_at"] == row["taken_at"]


@pytest.mark.parametrize("mode", ["job", "job-no-status", "all", "all-kind",
                                  "list", "list-json"])
def test_cold_snapshot_is_made_by_one_walk_whatever_the_mode(vspc, mode):
    args = {"job": vspc.hargs(S.CDP_UID),
            "job-no-status": vspc.args(S.SEED_UID),
            "all": vspc.fargs(),
            "all-kind": vspc.fargs("--kind=cdp"),
            "list": vspc.largs(fmt="table"),
            "list-json": vspc.largs(fmt="json")}[mode]
    listing = mode.startswith("list")
    run = run_plugin(args + [MAX_AGE], status_line=not listing)
    if listing:
        assert run.rc == 0 and S.SEED_UID in run.stdout, run
    else:
        assert_state(run, "OK")
    # the whole of every collection, whatever the run itself needed
    assert_one_walk(vspc, run)
    assert_sound(only_snapshot(), len(DEFAULT_VM), len(DEFAULT_CDP))


def test_stale_snapshot_is_refreshed_by_one_walk(vspc, fleet):
    jobs = [spec("Replica changing", status="Success")]
    default = S.default_fleet()
    fleet({"jobs": default["jobs"] + jobs, "cdp_jobs": default["cdp_jobs"]})
    uid = jobs[0]["uid"]
    run = run_plugin(vspc.hargs(uid, MAX_AGE))
    assert_state(run, "OK")
    path = only_snapshot()
    first = snapshot_row(path)["taken_at"]

    # the job fails; the snapshot, younger than its maximum age, still
    # says what it saw
    fleet({"jobs": default["jobs"] + [dict(jobs[0], status="Failed")],
           "cdp_jobs": default["cdp_jobs"]})
    vspc.restart_records()
    run = run_plugin(vspc.hargs(uid, "-v", MAX_AGE))
    assert_state(run, "OK")
    assert_served(run)
    vspc.assert_no_traffic(run)

    # two hours old: too old for 1h, young enough for 3h
    age_snapshot(path, 7200)
    vspc.restart_records()
    run = run_plugin(vspc.hargs(uid, "-v", "--snapshot-max-age=3h"))
    assert_state(run, "OK")
    assert_served(run)
    vspc.assert_no_traffic(run)
    assert snapshot_row(path)["taken_at"] == first - 7200

    vspc.restart_records()
    run = run_plugin(vspc.hargs(uid, "-v", MAX_AGE))
    assert_state(run, "CRITICAL")
    assert served_line(run)[1] == "refreshed by this run", run
    assert_one_walk(vspc, run)
    assert snapshot_row(path)["taken_at"] >= first
    assert_sound(path, len(DEFAULT_VM) + 1, len(DEFAULT_CDP))

    # and the refreshed snapshot answers everyone again
    vspc.restart_records()
    run = run_plugin(vspc.fargs("-v", MAX_AGE))
    assert_state(run, "CRITICAL")
    assert_served(run)
    vspc.assert_no_traffic(run)


def test_snapshot_from_the_future_is_not_believed(vspc):
    run = run_plugin(vspc.hargs(S.SEED_UID, MAX_AGE))
    path = only_snapshot()
    age_snapshot(path, -3600)
    vspc.restart_records()
    run = run_plugin(vspc.hargs(S.SEED_UID, "-v", MAX_AGE))
    assert_state(run, "OK")
    assert served_line(run)[1] == "refreshed by this run", run
    assert_one_walk(vspc, run)


# --------------------------------------------------------------------------
# 2. many checks at once
# --------------------------------------------------------------------------

CONCURRENT = 200


def concurrent_specs():
    """Jobs whose answers do not depend on the clock (no lastEndTime):
    every check's answer can be compared with its direct check's whenever
    each ran."""
    statuses = ["Success", "Warning", "Failed", "Running", "Idle",
                "Unknown", "None"]
    out = []
    for i in range(CONCURRENT):
        sp = spec("Replica concurrent %03d" % i, status=statuses[i % 7],
                  protected=i % 13, end_age=None, duration=None,
                  enabled=i % 11 != 0, server=S.FLEET_SERVERS[i % 4],
                  org=S.FLEET_ORGS[i % 5])
        if i % 17 == 0:
            sp.update(through_wan=True, source_wan=S.WAN_SOURCE_WAN,
                      target_wan=S.WAN_TARGET_WAN)
        out.append(sp)
    return out


def start_plugin(args):
    cmd = U.WRAPPER + [U.PLUGIN] + [str(a) for a in args]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=U.clean_env(), cwd="/")
    return cmd, proc, time.time()


def finish_plugin(cmd, proc, wall0):
    out, err = proc.communicate(timeout=U.RUN_TIMEOUT)
    run = U.Run(cmd, proc.returncode, out, err, 0.0, None, wall0,
                time.time())
    U.check_run(run)
    return run


def test_many_cold_checks_at_once_make_one_walk(vspc, fleet):
    jobs = concurrent_specs()
    fleet({"jobs": jobs})
    opts = ["-w", "8:", "-c", "4:", "--wan=no", "-t", "40", "-v"]
    started = [start_plugin(vspc.hargs(sp["uid"], *opts, MAX_AGE))
               for sp in jobs]
    runs = [finish_plugin(*s) for s in started]
    hows = [served_line(r)[1] for r in runs]
    assert hows.count("refreshed by this run") == 1, hows
    assert set(hows) <= {"refreshed by this run", "refreshed by another run",
                         "made by an earlier run"}, hows
    for r, how in zip(runs, hows):
        # only the one that walked spoke to VSPC
        banned = ("note:",) if how == "refreshed by this run" else \
            ("note:", API_LINE)
        assert not any(line.startswith(banned) for line in r.lines[1:]), r
    assert_one_walk(vspc, runs, [("vm", 0), ("cdp", 0)])
    path = only_snapshot()
    assert_sound(path, CONCURRENT, 0)

    direct = []
    for k in range(0, len(jobs), 8):
        direct += run_many([vspc.hargs(sp["uid"], *opts)
                            for sp in jobs[k:k + 8]])
    states = set()
    for d, s in zip(direct, runs):
        assert comparable(s, "snapshot") == comparable(d, "direct"), (d, s)
        states.add(s.state)
    assert states == {"OK", "WARNING", "CRITICAL", "UNKNOWN"}, states


@pytest.mark.parametrize("start", ["empty", "foreign", "old-schema"])
def test_rebuild_while_other_runs_read_the_file(vspc, start):
    # other checks hold the file open and read it while one rebuilds it
    # (200 checks starting on a missing snapshot each open the empty file
    # it begins as); this reader stands in for them, reading in a loop
    make_snapshot(vspc)
    path = only_snapshot()
    if start == "empty":
        _empty(path)
    elif start == "foreign":
        _foreign(path)
    else:
        _user_version(0)(path)
    reader = sqlite3.connect(path, timeout=0.05, isolation_level=None,
                             check_same_thread=False)
    stop = threading.Event()
    reads = []

    def read():
        while not stop.is_set():
            try:
                reader.execute("SELECT count(*) FROM sqlite_master")
                reads.append(True)
            except sqlite3.OperationalError:  # locked while it is rebuilt
                reads.append(False)

    t = threading.Thread(target=read)
    t.start()
    try:
        vspc.restart_records()
        run = run_plugin(vspc.hargs(S.SEED_UID, "-v", MAX_AGE))
    finally:
        stop.set()
        t.join()
        reader.close()
    assert any(reads), "the reader never read"
    assert_state(run, "OK")
    assert not any(is_source_note(x) and "rebuilt" not in x
                   for x in run.lines), run
    assert served_line(run)[1] == "refreshed by this run", run
    assert_one_walk(vspc, run)
    assert_sound(path, len(DEFAULT_VM), len(DEFAULT_CDP))


# --------------------------------------------------------------------------
# 3. a refresh that fails
# --------------------------------------------------------------------------

def _throttled(retry_after):
    return {"pages": {0: {"error": {
        "status": 429, "message": "The API rate limit has been exceeded.",
        "type": "transient", "code": 429, "retryAfter": retry_after}}},
        "misbehave_in": ["vm"]}


# kind: (fleet of the failing refresh or None, back-off in s, run options,
# words of the failure)
FAILURES = {
    "down": (None, 60, [], "HTTPS request to 127.0.0.1 failed"),
    "401": (None, 60, [], "HTTP 401"),
    "429": (_throttled(120), 120, [], "HTTP 429"),
    "429-fraction": (_throttled(90.25), 91, [], "HTTP 429"),
    "429-capped": (_throttled(7200), 3600, [], "HTTP 429"),
    "5xx": ({"pages": {0: {"error": {"status": 503,
                                     "message": "Service unavailable.",
                                     "type": "transient", "code": 503}}},
             "misbehave_in": ["cdp"]}, 60, [], "HTTP 503"),
    "timeout": ({"pages": {500: {"action": "hang"}}, "count": 600,
                 "misbehave_in": ["vm"]}, 60, ["-t", "2"],
                "timed out after 2 s"),
}


@pytest.mark.parametrize("kind", list(FAILURES))
def test_failed_refresh_is_reported_by_everyone_until_the_back_off_ends(
        make_sim, view_of, secrets_dir, kind):
    failing, back_off, opts, words = FAILURES[kind]
    sim = make_sim()
    v = view_of(sim)
    token = v.token_file
    if kind == "401":
        token = write_secret(secrets_dir, "rejected-" + uuid.uuid4().hex,
                             U.WRONG_TOKEN + "\n")
    args = v.base_args(token=False) + ["-T", token]

    def job(*extra):
        return args + ["-j", S.SEED_UID, "-v", MAX_AGE] + opts + list(extra)

    # a snapshot to start from (accepted token), then two hours old
    if kind == "401":
        sim.api_keys.add(U.WRONG_TOKEN)
        v.restart_records()
        served_line(run_plugin(job()))
        sim.api_keys.discard(U.WRONG_TOKEN)
    else:
        make_snapshot(v)
    path = only_snapshot()
    age_snapshot(path, 7200)
    old = snapshot_row(path)
    old_jobs = jobs_digest(path)

    port = sim.port
    if kind == "down":
        sim.stop()
    elif failing is not None:
        sim.set_fleet(dict(S.default_fleet(), **failing))
    v.restart_records()
    t0 = int(time.time())
    run = run_plugin(job())
    assert_state(run, "UNKNOWN")
    assert words in run.summary, run
    assert ("the snapshot refresh failed: every check reports it for %d s"
            % back_off) in run.lines[1:], run
    stored = failure_row(path)
    assert stored is not None, run
    assert stored["state"] == U.STATES[run.state], stored
    assert stored["message"] == run.summary, (stored, run)
    assert stored["retry_at"] - stored["failed_at"] == back_off, stored
    assert t0 <= stored["failed_at"] <= int(time.time())
    # the failed refresh changed nothing else
    assert snapshot_row(path) == old and jobs_digest(path) == old_jobs
    assert query(path, "PRAGMA integrity_check") == [("ok",)]

    # VSPC is fine again: within the back-off nobody asks it
    if kind == "down":
        sim = make_sim(port=port)
        v = view_of(sim)
    else:
        sim.set_fleet(None)
        sim.api_keys.add(U.WRONG_TOKEN)
    later = [job(), args + ["--all", "-v", MAX_AGE] + opts,
             args + ["-j", S.CDP_UID, "--kind=cdp", MAX_AGE] + opts]
    for a in later:
        v.restart_records()
        r = run_plugin(a)
        assert r.state == run.state, r
        m = re.match(r"^(.*) \(the snapshot refresh failed (.+) ago; VSPC "
                     r"is asked again in (.+)\)$", r.summary)
        assert m and m.group(1) == stored["message"], (stored, r)
        assert set(r.perf) <= {"time"}, r  # nothing measured
        v.assert_no_traffic(r)
    for fmt in ("table", "json"):
        v.restart_records()
        r = run_plugin(args + ["--list=" + fmt, MAX_AGE] + opts,
                       status_line=False)
        assert r.rc == 3 and stored["message"] in r.first, r
        v.assert_no_traffic(r)
    assert failure_row(path) == stored

    # the back-off is over: one run refreshes, for everyone
    end_back_off(path)
    v.restart_records()
    r = run_plugin(job())
    assert_state(r, "OK")
    assert served_line(r)[1] == "refreshed by this run", r
    assert_one_walk(v, r)
    assert failure_row(path) is None
    assert snapshot_row(path)["taken_at"] >= t0
    v.restart_records()
    r = run_plugin(args + ["--all", "-v", MAX_AGE])
    assert_served(r)
    v.assert_no_traffic(r)


def test_failed_first_refresh_is_reported_too(vspc, fleet):
    # no snapshot yet, and VSPC fails: the same, with nothing to keep
    fleet(dict(S.default_fleet(), **_throttled(300)))
    run = run_plugin(vspc.hargs(S.SEED_UID, MAX_AGE))
    assert_state(run, "UNKNOWN")
    path = only_snapshot()
    assert snapshot_row(path) is None
    assert query(path, "SELECT count(*) FROM jobs") == [(0,)]
    f = failure_row(path)
    assert f["retry_at"] - f["failed_at"] == 300 and \
        f["message"] == run.summary, f
    vspc.restart_records()
    r = run_plugin(vspc.fargs(MAX_AGE))
    assert_state(r, "UNKNOWN")
    assert r.summary.startswith(f["message"] + " (the snapshot refresh "
                                "failed "), r
    vspc.assert_no_traffic(r)


# --------------------------------------------------------------------------
# 4. jobs the snapshot does not hold
# --------------------------------------------------------------------------

def alone(view, args, walked=0):
    """One run by itself: (run, the targets it asked for but those of a
    walk), after checking that it walked walked times."""
    view.restart_records()
    run = run_plugin(args)
    view.settle()
    reqs = view.requests()
    walk = [r for r in reqs if r["endpoint"] == "collection" and
            "filter" not in r["params"]]
    assert walk_of(reqs) == DEFAULT_WALK * walked, (walk_of(reqs), run)
    return run, [r["target"] for r in reqs if r not in walk]


@pytest.mark.parametrize("kind", ["vm", "cdp"])
def test_new_job_is_asked_for_directly(vspc, fleet, kind):
    make_snapshot(vspc)
    default = S.default_fleet()
    new = spec("Replica born later", status="Failed", protected=3,
               end_age=None)
    if kind == "cdp":
        new.update(kind="cdp", last_period={"sla": 50})
    fleet({"jobs": default["jobs"] + ([new] if kind == "vm" else []),
           "cdp_jobs": default["cdp_jobs"] + ([new] if kind == "cdp"
                                              else [])})
    uid = new["uid"]
    opts = ["-v"] + (["--sla-critical=90:"] if kind == "cdp" else [])
    direct, direct_paths = alone(vspc, vspc.hargs(uid, *opts))
    snap, snap_paths = alone(vspc, vspc.hargs(uid, *opts, MAX_AGE))
    assert_state(snap, "CRITICAL")
    assert not_in_snapshot(uid) in snap.lines, snap
    looked_line(snap)
    # the direct requests, and no walk
    assert snap_paths == direct_paths and direct_paths, (snap_paths,
                                                         direct_paths)
    (d, s), = together([snapshot_case(vspc.hargs(uid, *opts))])
    assert _without_note(s, uid) == comparable(d, "direct"), (d, s)


def not_in_snapshot(uid):
    return "note: job %s is not in the snapshot (new, or deleted): asking " \
        "VSPC" % uid


def _without_note(run, uid):
    state, summary, perf, rest = comparable(run, "snapshot")
    note = not_in_snapshot(uid)
    assert rest.count(note) == 1, run
    return state, summary, perf, [line for line in rest if line != note]


def test_deleted_job_is_not_found_as_the_direct_check_says(vspc, fleet):
    default = S.default_fleet()
    gone = spec("Replica to delete", status="Success")
    fleet({"jobs": default["jobs"] + [gone],
           "cdp_jobs": default["cdp_jobs"]})
    uid = gone["uid"]
    run = run_plugin(vspc.hargs(uid, MAX_AGE))
    assert_state(run, "OK")
    path = only_snapshot()
    assert uid in stored_uids(path)

    fleet(default)
    direct, direct_paths = alone(vspc, vspc.hargs(uid))
    assert_state(direct, "CRITICAL")
    assert "not found" in direct.summary, direct
    # a snapshot younger than its maximum age still knows the job: that
    # is what --snapshot-max-age allows
    snap, paths = alone(vspc, vspc.hargs(uid, "-v", MAX_AGE))
    assert_state(snap, "OK")
    assert_served(snap)
    assert paths == []
    # older: the refresh no longer finds it, so VSPC is asked
    age_snapshot(path, 7200)
    for i, opts in enumerate(([], ["--no-job-status"], ["--kind=vm"])):
        d, direct_paths = alone(vspc, vspc.hargs(uid, *opts))
        # the first refreshes the snapshot, the others read it
        s, paths = alone(vspc, vspc.hargs(uid, "-v", MAX_AGE, *opts),
                         walked=1 if i == 0 else 0)
        assert_state(s, "CRITICAL")
        assert s.summary == d.summary and "not found" in s.summary, (d, s)
        assert uid not in stored_names(path)
        assert not_in_snapshot(uid) in s.lines, s
        assert paths == direct_paths, (paths, direct_paths)
    assert_sound(path, len(DEFAULT_VM), len(DEFAULT_CDP))


@pytest.mark.parametrize("opts", [[], ["--no-job-status"], ["--kind=cdp"]],
                         ids=["probe", "no-status", "kind-cdp"])
def test_uid_never_seen_is_not_found_as_the_direct_check_says(vspc, opts):
    make_snapshot(vspc)
    uid = str(uuid.uuid4())
    direct, direct_paths = alone(vspc, vspc.hargs(uid, *opts))
    snap, snap_paths = alone(vspc, vspc.hargs(uid, "-v", MAX_AGE, *opts))
    assert_state(direct, "CRITICAL")
    assert_state(snap, "CRITICAL")
    assert snap.summary == direct.summary, (direct, snap)
    assert "not found" in snap.summary
    assert snap_paths == direct_paths, (snap_paths, direct_paths)
    assert not_in_snapshot(uid) in snap.lines, snap


# --------------------------------------------------------------------------
# 5. one snapshot per identity; no secret in the cache directory
# --------------------------------------------------------------------------

def tenant_fleet():
    return {"count": 120, "seed": 51, "cdp_count": 40, "cdp_seed": 52}


def seen_by(sim, orgs):
    """The jobs and policies of sim's fleet that a credential restricted
    to orgs sees (organizationUid or mappedOrganizationUid)."""
    out = set()
    for kind in ("vm", "cdp"):
        for sp in sim.fleet.specs(kind=kind):
            org = sp.get("org", S.DEFAULT_ORG)
            if {org, sp.get("mapped_org", org)} & set(orgs):
                out.add(sp["uid"])
    return out


def test_two_tokens_of_two_tenants_have_two_snapshots(make_sim, view_of,
                                                      secrets_dir):
    sim = make_sim(fleet=tenant_fleet())
    sim.freeze_clock(True)
    sim.set_scope([ORG_A], token=U.TOKEN)
    sim.set_scope([ORG_B, ORG_C], token=U.API_KEY)
    v = view_of(sim)
    key_file = write_secret(secrets_dir, "key-" + uuid.uuid4().hex,
                            U.API_KEY + "\n")
    a = v.base_args(token=False) + ["-T", v.token_file]
    b = v.base_args(token=False) + ["-T", key_file]
    sees_a, sees_b = seen_by(sim, [ORG_A]), seen_by(sim, [ORG_B, ORG_C])
    assert sees_a - sees_b and sees_b - sees_a and \
        len(sees_a | sees_b) < 160

    runs = {}
    for who, args in (("a", a), ("b", b)):
        v.restart_records()
        runs[who] = run_plugin(args + ["--all", "-v", MAX_AGE])
        assert served_line(runs[who])[1] == "refreshed by this run"
        assert_one_walk(v, runs[who])
    path_a, path_b = served_line(runs["a"])[0], served_line(runs["b"])[0]
    assert path_a != path_b and sorted([path_a, path_b]) == snapshot_files()
    assert set(stored_uids(path_a)) == sees_a
    assert set(stored_uids(path_b)) == sees_b

    # each answers from its own, as its direct checks say; a job of the
    # other tenant is not in it, and VSPC does not know it for this token
    mine_a, mine_b = sorted(sees_a - sees_b)[0], sorted(sees_b - sees_a)[0]
    cases, expect = [], []
    for args, path, mine, theirs in ((a, path_a, mine_a, mine_b),
                                     (b, path_b, mine_b, mine_a)):
        for extra in (["--all"], ["--all", "--kind=cdp"], ["-j", mine]):
            cases.append(snapshot_case(args + extra + ["-v"]))
            expect.append((path, None))
        cases.append(snapshot_case(args + ["-j", theirs, "-v"]))
        expect.append((path, theirs))
    for (d, s), (path, theirs) in zip(same_second(cases), expect):
        assert (served_line if theirs is None else looked_line)(s)[0] == \
            path, s
        if theirs is None:
            assert_same(d, s)
        else:
            assert_state(s, "CRITICAL")
            assert "not found" in s.summary, s
            assert _without_note(s, theirs) == comparable(d, "direct"), (d,
                                                                         s)

    # neither token is anywhere in the cache directory
    assert secrets_in_dir(U.cache_home_for_test(),
                          [U.TOKEN, U.API_KEY, U.WRONG_TOKEN]) == {}


def test_refresh_removes_snapshots_nobody_has_written_for_two_days(vspc):
    """A token that was replaced leaves its snapshot behind: a refresh
    removes every other snapshot (with its -wal, -shm and lock) that
    nothing has written for two days, and leaves alone a younger one, one
    whose WAL is young, one whose lock is held, one that is not private and
    files of other names. A check served from the snapshot removes
    nothing."""
    make_snapshot(vspc)
    mine = only_snapshot()
    d = os.path.dirname(mine)
    old = time.time() - 3 * 86400

    def fake(suffixes, mtime=old, mode=0o600):
        base = os.path.join(d, "snapshot-" + uuid.uuid4().hex)
        made = []
        for suffix in suffixes:
            path = base + suffix
            shutil.copyfile(mine if suffix == ".db" else os.devnull, path)
            os.chmod(path, mode if suffix == ".db" else 0o600)
            os.utime(path, (mtime, mtime))
            made.append(path)
        return made
    gone = [fake([".db", ".lock"]), fake([".db", ".db-wal", ".db-shm",
                                         ".lock"]), fake([".db"])]
    young = fake([".db", ".lock"], mtime=time.time() - 86400)
    young_wal = fake([".db", ".db-wal", ".lock"])
    os.utime(young_wal[1], (time.time() - 3600,) * 2)
    held = fake([".db", ".lock"])
    shared = fake([".db"], mode=0o644)
    other = os.path.join(d, "snapshot-notmine.db")
    shutil.copyfile(mine, other)
    os.chmod(other, 0o600)
    os.utime(other, (old, old))
    kept = young + young_wal + held + shared + [other, mine]

    fd = os.open(held[1], os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        run = run_plugin(vspc.fargs("-v", MAX_AGE))  # served: no refresh
        assert_served(run)
        assert all(os.path.exists(p) for made in gone for p in made)

        age_snapshot(mine, 7200)
        vspc.restart_records()
        run = run_plugin(vspc.fargs("-v", MAX_AGE))
        assert served_line(run)[1] == "refreshed by this run", run
        assert_one_walk(vspc, run)
    finally:
        os.close(fd)
    assert [p for made in gone for p in made if os.path.exists(p)] == []
    assert [p for p in kept if not os.path.exists(p)] == []
    assert_sound(mine, len(DEFAULT_VM), len(DEFAULT_CDP))


def test_login_snapshot_is_keyed_by_the_user_name(vspc, fleet, secrets_dir):
    vspc.sim.freeze_clock(True)
    fleet(tenant_fleet())
    users = []
    for org in (ORG_A, ORG_B):
        name = "svc-snap-%s" % uuid.uuid4().hex[:8]
        password = "pw-%s +&=%%;#" % uuid.uuid4().hex
        vspc.sim.add_account(name, password)
        vspc.sim.set_scope([org], username=name)
        cred = write_secret(secrets_dir, "cred-" + name,
                            "username=%s\npassword=%s\n" % (name, password))
        users.append((name, password, cred))

    def args(cred, *extra):
        return vspc.base_args(token=False) + ["--credentials-file", cred] + \
            list(extra)

    def grants():
        return [r["grant_type"] for r in vspc.requests()
                if r["endpoint"] == "token"]

    paths = []
    for name, _, cred in users:
        vspc.restart_records()
        run = run_plugin(args(cred, "--all", "-v", MAX_AGE))
        assert served_line(run)[1] == "refreshed by this run", run
        paths.append(served_line(run)[0])
        assert grants() == ["password"]
        assert walk_of(vspc.requests()) == DEFAULT_WALK
    assert len(set(paths)) == 2 and sorted(paths) == snapshot_files()
    assert set(stored_uids(paths[0])) == seen_by(vspc.sim, [ORG_A])
    assert set(stored_uids(paths[1])) == seen_by(vspc.sim, [ORG_B])

    # a new login of the same user (another token) finds the same snapshot
    for n in os.listdir(cache_dir()):
        if n.startswith("token-"):
            os.unlink(os.path.join(cache_dir(), n))
    name, password, cred = users[0]
    vspc.restart_records()
    run = run_plugin(args(cred, "--all", "-v", MAX_AGE))
    assert_served(run)
    assert served_line(run)[0] == paths[0]
    vspc.assert_no_traffic(run)  # the snapshot answered: no login needed
    vspc.restart_records()
    run = run_plugin(args(cred, "-j", NOWHERE, "-v", MAX_AGE))
    assert_state(run, "CRITICAL")
    assert looked_line(run)[0] == paths[0]
    assert grants() == ["password"]
    assert walk_of(vspc.requests()) == []

    # the same user name from another credentials file: the same snapshot
    copy = write_secret(secrets_dir, "copy-" + name,
                        "# a copy\nusername=%s\npassword=%s\n" % (name,
                                                                 password))
    vspc.restart_records()
    run = run_plugin(args(copy, "--all", "-v", MAX_AGE))
    assert served_line(run)[0] == paths[0]
    vspc.assert_no_traffic(run)
    assert len(snapshot_files()) == 2

    # no password in any file of the cache directory; no password and no
    # token, issued or static, in any snapshot file
    passwords = [p for _, p, _ in users]
    issued = [t for n, _, _ in users for t in vspc.sim.issued_secrets(n)]
    assert len(issued) >= 4
    assert secrets_in_dir(U.cache_home_for_test(), passwords) == {}
    for path in snapshot_files():
        for f in glob.glob(path[:-3] + "*"):
            with open(f, "rb") as fh:
                data = fh.read()
            for secret in passwords + issued + list(U.SECRETS):
                assert secret.encode() not in data, (f, secret)


# --------------------------------------------------------------------------
# 6. damaged and untrusted files
# --------------------------------------------------------------------------

def _random_bytes(path):
    with open(path, "wb") as f:
        f.write(os.urandom(3 * 4096 + 17))


def _header_garbage(path):
    # the SQLite header intact, the rest of the first page garbage
    with open(path, "r+b") as f:
        f.seek(100)
        f.write(os.urandom(3996))


def _foreign(path):
    os.unlink(path)
    c = sqlite3.connect(path)
    c.executescript("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);"
                    "INSERT INTO notes (text) VALUES ('not a snapshot');"
                    "PRAGMA application_id = 1234;")
    c.close()
    os.chmod(path, 0o600)


def _other_application(path):
    change(path, "PRAGMA application_id = 305419896")


def _user_version(n):
    def damage(path):
        change(path, "PRAGMA user_version = %d" % n)
    return damage


def _empty(path):
    with open(path, "wb"):
        pass


def _truncated(path):
    os.truncate(path, os.path.getsize(path) // 2)


REBUILT = {
    "random-bytes": _random_bytes,
    "header-garbage": _header_garbage,
    "foreign": _foreign,
    "other-application-id": _other_application,
    "user-version-0": _user_version(0),
    "user-version-99": _user_version(99),
    "empty-file": _empty,
    "truncated": _truncated,
}
REBUILT_NOTE = "note: the snapshot is rebuilt: "


def without_lines(cmp, prefix):
    state, summary, perf, rest = cmp
    return state, summary, perf, [x for x in rest
                                  if not x.startswith(prefix)]


@pytest.mark.parametrize("damage", list(REBUILT))
def test_damaged_snapshot_is_rebuilt_and_the_answer_is_right(vspc, fleet,
                                                            damage):
    fleet(timeless_fleet())
    make_snapshot(vspc)
    path = only_snapshot()
    REBUILT[damage](path)
    vspc.restart_records()
    (d, s), = together([snapshot_case(vspc.hargs(TIMELESS_UID, "-v"))])
    assert_state(s, "WARNING")
    # rebuilt by one walk (the direct -j walks nothing), then the answer
    # of the direct check
    assert served_line(s)[1] == "refreshed by this run", s
    vspc.settle()
    assert walk_of(vspc.requests()) == DEFAULT_WALK
    assert without_lines(comparable(s, "snapshot"), REBUILT_NOTE) == \
        comparable(d, "direct"), (d, s)
    assert_sound(path, len(DEFAULT_VM) + 1, len(DEFAULT_CDP) + 1)
    vspc.restart_records()
    r = run_plugin(vspc.fargs("-v", MAX_AGE))
    assert_served(r)
    vspc.assert_no_traffic(r)


def test_job_row_that_makes_no_sense(vspc, fleet):
    fleet(timeless_fleet())
    make_snapshot(vspc)
    path = only_snapshot()
    taken = snapshot_row(path)["taken_at"]
    (seq, uid), = query(path, "SELECT seq, uid FROM jobs WHERE uid = ?",
                        (TIMELESS_UID,))
    change(path, "UPDATE jobs SET body = '{\"instanceUid\": ' WHERE seq = "
           "%d" % seq)
    # the fleet check cannot add it up: UNKNOWN naming the snapshot, no
    # count that misses a job, no request; the next run makes a new one
    vspc.restart_records()
    r = run_plugin(vspc.fargs(MAX_AGE))
    assert_state(r, "UNKNOWN")
    assert "snapshot could not be read" in r.summary and \
        "the next run makes a new one" in r.summary, r
    vspc.assert_no_traffic(r)
    assert snapshot_row(path)["taken_at"] == 0
    # the single check of that job asks VSPC instead
    change(path, "UPDATE snapshot SET taken_at = %d" % taken)
    (d, s), = together([snapshot_case(vspc.hargs(uid, "-v"))])
    notes = [x for x in s.lines if x.startswith("note: ")]
    assert len(notes) == 1 and "not JSON" in notes[0] and \
        notes[0].endswith("asking VSPC (the next run makes a new one)"), s
    assert without_lines(comparable(s, "snapshot"), "note: ") == \
        comparable(d, "direct"), (d, s)
    # and the next one does
    vspc.restart_records()
    r = run_plugin(vspc.fargs("-v", MAX_AGE))
    assert served_line(r)[1] == "refreshed by this run", r
    assert_one_walk(vspc, r)
    assert_sound(path, len(DEFAULT_VM) + 1, len(DEFAULT_CDP) + 1)


def _directory(path):
    os.unlink(path)
    os.mkdir(path, 0o700)


def _owner(uid):
    def damage(path):
        os.chown(path, uid, -1)
    return damage


def _mode(mode):
    def damage(path):
        os.chmod(path, mode)
    return damage


def _symlink(path):
    target = os.path.join(os.path.dirname(os.path.dirname(path)),
                          "elsewhere.db")
    os.rename(path, target)
    os.symlink(target, path)


def _lock_symlink(path):
    lock = path[:-3] + ".lock"
    os.unlink(lock)
    os.symlink("/dev/null", lock)


def _wal_other_owner(path):
    with open(path + "-wal", "wb"):
        pass
    os.chmod(path + "-wal", 0o600)
    os.chown(path + "-wal", 65534, -1)


# damage, the file the note names (suffix of the database's name), whether
# it needs root
UNTRUSTED = {
    "directory": (_directory, ".db", False),
    "other-owner": (_owner(65534), ".db", True),
    "group-writable": (_mode(0o660), ".db", False),
    "world-writable": (_mode(0o606), ".db", False),
    "world-readable": (_mode(0o604), ".db", False),
    "symlink": (_symlink, ".db", False),
    "lock-symlink": (_lock_symlink, ".lock", False),
    "wal-other-owner": (_wal_other_owner, ".db-wal", True),
}
UNTRUSTED_NOTE = "note: not using a snapshot: "


@pytest.mark.parametrize("damage", list(UNTRUSTED))
def test_untrusted_snapshot_is_not_used_and_left_alone(vspc, fleet, damage):
    make, named, root = UNTRUSTED[damage]
    if root and os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    fleet(timeless_fleet())
    make_snapshot(vspc)
    path = only_snapshot()
    base = path[:-3]
    make(path)
    watched = {p: file_state(p) for p in glob.glob(base + "*")}
    if damage == "symlink":
        watched[os.readlink(path)] = file_state(os.readlink(path))
    cases = [snapshot_case(vspc.hargs(TIMELESS_UID, "-v")),
             snapshot_case(vspc.args(TIMELESS_CDP_UID, "-v")),
             snapshot_case(vspc.fargs("-v", TIMELESS_ONLY)),
             snapshot_case(vspc.largs(TIMELESS_ONLY, fmt="json"))]
    for d, s in together(cases):
        if s.state is None:
            assert s.stdout == d.stdout and s.rc == d.rc == 0, (d, s)
            continue
        # not used: a note for -v, VSPC asked, the direct answer
        assert not any(ANSWERED_RE.match(x) for x in s.lines), s
        notes = [x for x in s.lines if x.startswith(UNTRUSTED_NOTE)]
        assert len(notes) == 1, s
        assert os.path.basename(base) + named + " " in notes[0], s
        assert any(x.startswith(API_LINE) for x in s.lines), s
        assert without_lines(comparable(s, "snapshot"), UNTRUSTED_NOTE) == \
            comparable(d, "direct"), (d, s)
    # and left as it was, nothing added beside it
    for p, before in watched.items():
        assert file_state(p) == before, "%s was changed" % p
    assert sorted(glob.glob(base + "*")) == sorted(
        p for p in watched if p.startswith(base))


@pytest.fixture
def strace():
    path = shutil.which("strace")
    if path is None:
        pytest.skip("strace is not installed: no way to make an open() "
                    "fail with EACCES for root")
    probe = subprocess.run([path, "-f", "-o", "/dev/null", "true"],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        pytest.skip("strace cannot trace here (no ptrace)")
    return path


def test_snapshot_that_cannot_be_opened_is_not_used(vspc, fleet, strace):
    fleet(timeless_fleet())
    make_snapshot(vspc)
    path = only_snapshot()
    before = file_state(path)
    args = vspc.hargs(TIMELESS_UID, "-v")
    # every open() of the database fails with EACCES, as for a file this
    # user may not read
    cmd = [strace, "-f", "-qq", "-o", "/dev/null", "-P", path,
           "-e", "trace=open,openat",
           "-e", "inject=open,openat:error=EACCES"] + U.WRAPPER + \
        [U.PLUGIN] + args + [MAX_AGE]
    # LeakSanitizer refuses to work under ptrace (and says so on stderr):
    # a sanitizer build keeps its other checks
    opts = os.environ.get("ASAN_OPTIONS", "")
    env = U.clean_env({"ASAN_OPTIONS": (opts + ":" if opts else "") +
                       "detect_leaks=0"})
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                          env=env, timeout=U.RUN_TIMEOUT, cwd="/")
    s = U.Run(cmd, proc.returncode, proc.stdout, proc.stderr, 0.0, None)
    U.check_run(s)
    assert_state(s, "WARNING")
    d = run_plugin(args)
    notes = [x for x in s.lines if x.startswith(UNTRUSTED_NOTE)]
    assert len(notes) == 1 and "unable to open" in notes[0], s
    assert without_lines(comparable(s, "snapshot"), UNTRUSTED_NOTE) == \
        comparable(d, "direct"), (d, s)
    assert file_state(path) == before


# --------------------------------------------------------------------------
# 7. a refresh killed half way
# --------------------------------------------------------------------------

def test_refresh_killed_half_way_leaves_the_old_snapshot_whole(make_sim,
                                                               view_of):
    big = {"count": 1234, "seed": 61, "cdp_count": 3, "cdp_seed": 62}
    sim = make_sim(fleet=big)
    v = view_of(sim)
    make_snapshot(v)
    path = only_snapshot()
    assert_sound(path, 1234, 3)
    age_snapshot(path, 7200)
    old, old_jobs = snapshot_row(path), jobs_digest(path)

    # the second page keeps the refresh waiting, the first one stored
    # (not committed) by then
    sim.set_fleet(dict(big, pages={500: [{"delay": 30}, {}]},
                       misbehave_in=["vm"]))
    mark = sim.mark()
    cmd, proc, _ = start_plugin(v.fargs("-t", "40", MAX_AGE))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if any(r["endpoint"] == "collection" and r["offset"] == 500
               for r in sim.requests(mark)):
            break
        time.sleep(0.01)
    else:
        proc.kill()
        proc.communicate()
        pytest.fail("the refresh never asked for the second page")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    assert lock_is_free(path[:-3] + ".lock")
    assert query(path, "PRAGMA integrity_check") == [("ok",)]
    assert snapshot_row(path) == old
    assert jobs_digest(path) == old_jobs
    assert failure_row(path) is None

    # the next run refreshes it (the second page answers at once now)
    v.restart_records()
    r = run_plugin(v.fargs("-v", MAX_AGE))
    assert served_line(r)[1] == "refreshed by this run", r
    assert_one_walk(v, r, [("vm", 0), ("vm", 500), ("vm", 1000),
                           ("cdp", 0)])
    assert r.summary.startswith("1237 jobs:"), r
    assert_sound(path, 1234, 3)
    assert snapshot_row(path)["taken_at"] > old["taken_at"]


# --------------------------------------------------------------------------
# 8. the snapshot's answer is the direct answer
# --------------------------------------------------------------------------

FAILURE_LINES = "vm-sql01:\r\nError: Failed to connect to host 10.0.0.17 " \
    "(port 2500).\r\nProcessing vm-sql01 Error: Task failed.\r\n"
EVIL = ("first|evil=1;;;; \r\nVSPC REPLICATION OK - injected|x=1\r\n"
        "third\rfourth\nfifth\tsixth\r\n")
W26H = 26 * 3600
NOWHERE = "5eed0000-0000-4000-8000-00000000f00d"

# the job specs of test_health.py, test_fleet.py and test_versions.py
VM_SCENARIOS = [
    {"status": st} for st in ("Success", "Warning", "Failed", "Running",
                              "Starting", "Stopping", "Idle", "Enabling",
                              "Disabling", "WaitingTape",
                              "WaitingRepository", "Unknown", "Paused")
] + [
    {"status": ""}, {"status": 3}, {"status": None}, {"status": True},
    {"status": ["Success"]}, {"job_omit": ["status"]},
    {"status": "Warning", "failure": FAILURE_LINES},
    {"status": "Failed", "failure": EVIL},
    {"status": "Failed", "failure": None},
    {"enabled": False}, {"status": "Failed", "enabled": False},
    {"enabled": "false"}, {"enabled": None}, {"job_omit": ["isEnabled"]},
    {"never_run": True, "protected": 3}, {"status": "None", "end_age": 60},
    {"end_age": None},
    {"end_age": W26H + 1, "end_shape": "Z"},
    {"end_age": W26H, "end_shape": "+05:45"},
    {"end_age": W26H + 2, "end_shape": ".9999999+05:30"},
    {"end_age": 2 * 86400 + 1, "end_shape": "frac7-07:00"},
    {"end_age": 42, "end_shape": ".5Z"},
    {"end_age": 3 * 3600, "end_shape": "naive"},
    {"end_age": 3 * 3600, "end_shape": ".123naive+02:00"},
    {"last_end": "2024-07-17T25:37:51Z"}, {"last_end": "yesterday"},
    {"last_end": 1721267871}, {"last_end": "0001-01-01T00:00:00"},
    {"last_end": "1900-01-01T00:00:00Z"}, {"end_age": -300},
    {"end_age": 600, "duration": 1234, "transferred": 0},
    {"transferred": 2 ** 53 + 1},
    {"duration": None, "job_extra": {"transferredData": None}},
    {"name": "Rep|evil=1;;;; \r\nVSPC REPLICATION OK - injected\nthird",
     "status": "Warning", "failure": None},
    {"name": "R\u00e9plica \u65e5\u672c \U0001f600 'quoted' \"x\" \\ back"},
    {"cloud": True, "protected": 1},
    {"through_wan": True, "source_wan": S.WAN_SOURCE_WAN,
     "target_wan": S.WAN_TARGET_WAN},
    {"protected": 0}, {"repl_extra": {"protectedVmCount": "5"}},
    {"repl_omit": ["protectedVmCount"]},
    {"embedded": False},
    {"org": ORG_B, "server": SERVER_B, "status": "Warning"},
    {"org": ORG_C, "mapped_org": ORG_A, "server": SERVER_C},
    {"type": "BackupVm"},
]
# the policy specs of test_cdp.py
CDP_SCENARIOS = [
    {}, {"last_period": {"sla": 95}}, {"last_period": {"sla": 60}},
    {"last_period": {"maxDelay": 400}}, {"last_period": {"maxDelay": 4000}},
    {"last_period": {"errorsCount": 2}}, {"rpo": 1, "rpo_unit": "Minutes"},
    {"rpo": 30}, {"last_period": {"sla": None}},
    {"last_period": {"maxDelay": None}}, {"last_period": None},
    {"cdp_omit": ["lastPeriod"]}, {"last_period": {"sla": "100"}},
    {"cdp_extra": {"lastPeriod": [1, 2]}}, {"rpo_unit": "Fortnights"},
    {"cdp_extra": {"rpo": "15"}}, {"never_run": True},
    {"status": "Failed", "enabled": False},
    {"embedded": False}, {"embedded": "null"}, {"embedded": "empty"},
    {"org": ORG_B, "server": SERVER_B},
    {"last_period": {"sla": 97, "maxDelay": 12, "errorsCount": 1,
                     "warningCount": 3, "successCount": 1400,
                     "syncInterval": 15, "totalData": 12345}},
]

VM_FULL = ["--max-age-warning=26h", "--max-age-critical=2d", "-w", "3:",
           "-c", "1:", "--disabled-state=critical", "--never-run-state=ok",
           "--wan=no", "--mismatch-state=warning"]
CDP_RULES = ["--sla-warning=99:", "--sla-critical=90:",
             "--max-delay-warning=5m", "--max-delay-critical=1h",
             "--errors-warning=0", "--rpo=15s"]
CDP_FULL = CDP_RULES + ["--max-age-warning=1m", "--never-run-state=critical"]
# what the thresholds and expectations judge, what --no-job-status reads
JUDGED = {"end_age", "last_end", "never_run", "enabled", "through_wan",
          "protected", "repl_extra", "repl_omit", "cloud", "last_period",
          "rpo", "rpo_unit", "cdp_extra", "cdp_omit"}
CONFIGURED = {"protected", "repl_extra", "repl_omit", "cloud",
              "through_wan", "embedded", "type", "rpo", "rpo_unit",
              "cdp_extra", "cdp_omit"}


def all_options(sp, kind):
    """The option sets a job is checked with: with its job status always;
    with thresholds and expectations where it has something they judge;
    with --no-job-status where what it is configured with is what the
    check reads (sp None: a UID of no collection, every set)."""
    full, bare = (VM_FULL, []) if kind == "vm" else (CDP_FULL, CDP_RULES)
    keys = set(sp or JUDGED | CONFIGURED)
    out = [[]]
    if keys & JUDGED or sp.get("status") in ("Failed", "None"):
        out.append(full)
    if keys & CONFIGURED:
        out.append(["--no-job-status"] + bare)
    return out


def few_options(sp, kind):
    """A few jobs with their job status, two without too; none of the
    others (--all -v shows them all)."""
    if sp["uid"] in (S.WAN_UID, S.CDP_UID):
        return [[], ["--no-job-status"]]
    if sp["uid"] == S.SPEC_EXAMPLE_UID or \
            sp["name"].startswith(("Replica scenario", "CDP scenario")):
        return [[]]
    return []
FLEET_FORMS = [
    [], ["--kind=vm"], ["--kind=cdp"], ["--name=*scenario 1*"],
    ["--exclude-name=Replica*"],
    ["--organization=" + ORG_B, "--organization=" + ORG_A],
    ["--max-age-warning=26h", "-w", "2:", "--disabled-state=ok",
     "--min-jobs=500"],
    ["--perfdata-per-job", "--sla-critical=90:", "--rpo=15s"],
    ["--backup-server=" + S.DEFAULT_SERVER],
    ["--backup-server=" + SERVER_B, "--kind=vm"],
    ["--backup-server=" + SERVER_B, "--name=CDP*", "--kind=cdp"],
]
LIST_FORMS = [[], ["--kind=cdp"], ["--name=*scenario 2*"],
              ["--organization=" + ORG_C], ["--exclude-name=CDP*",
                                            "--kind=vm"],
              ["--backup-server=" + SERVER_B]]
NO_SESSION = "note: the snapshot has no BackupServerJob for job %s: asking " \
    "VSPC"
CANNOT_TELL = "note: the snapshot cannot tell about this backup server or " \
    "collection: asking VSPC"


def scenario_fleet(vm_scenarios=VM_SCENARIOS, cdp_scenarios=CDP_SCENARIOS):
    """The default fleet and one job or policy per scenario."""
    default = S.default_fleet()
    vm = []
    for i, sc in enumerate(vm_scenarios):
        sc = dict(sc)
        vm.append(spec(sc.pop("name", "Replica scenario %02d" % i), **sc))
    cdp = [spec("CDP scenario %02d" % i, kind="cdp", end_age=60, **sc)
           for i, sc in enumerate(cdp_scenarios)]
    return {"jobs": default["jobs"] + vm,
            "cdp_jobs": default["cdp_jobs"] + cdp}


def without_session(f):
    """The jobs the walk brings without their BackupServerJob."""
    return {sp["uid"] for k in ("vm", "cdp") for sp in f.specs(kind=k)
            if sp.get("embedded") in (False, "null", "empty")}


def check_jobs(view, f, path, options_of, pinned=(), absent=True):
    """-j of every job of the fleet f (with absent, also of the built-in
    jobs of no collection, of f's jobs of other types and of a UID nobody
    knows), with each set of options options_of(spec or None, kind)
    gives, directly and from the snapshot at path: the same answers.
    Returns the states seen."""
    names = stored_names(path)
    lacking = without_session(f)
    jobs = [(sp["uid"], options_of(sp, "vm")) for sp in f.specs()] + \
        [(sp["uid"], options_of(sp, "cdp")) for sp in f.specs(kind="cdp")]
    if absent:
        jobs += [(u, options_of(None, "vm"))
                 for u in DEFAULT_OTHERS + [NOWHERE]] + \
            [(sp["uid"], options_of(sp, "vm")) for sp in f.others]
    cases, uid_of = [], []
    for uid, options in jobs:
        for opts in options:
            cases.append(snapshot_case(view.hargs(uid, "-v", *opts,
                                                  *pinned)))
            uid_of.append((uid, "--no-job-status" in opts))
    states = set()
    for (d, s), (uid, no_status) in zip(same_second(cases), uid_of):
        if uid not in names:
            # new, deleted or of no collection: asked for
            looked_line(s)
            assert _without_note(s, uid) == comparable(d, "direct"), (d, s)
        elif uid in lacking and not no_status:
            note = NO_SESSION % uid
            assert note in s.lines, s
            looked_line(s)
            assert without_lines(comparable(s, "snapshot"), note) == \
                comparable(d, "direct"), (d, s)
        else:
            assert_same(d, s)
        states.add(s.state)
    return states


def check_fleets(view, forms, can_tell):
    """--all in each form, directly and from the snapshot: the same; a
    backup server can be served only when every stored job names one
    (can_tell)."""
    cases = [snapshot_case(view.fargs("-v", *f)) for f in forms]
    pairs = same_second(cases)
    for (d, s), form in zip(pairs, forms):
        server = any(o.startswith("--backup-server=") for o in form)
        if server and not can_tell:
            assert CANNOT_TELL in s.lines, s
            looked_line(s)
            assert without_lines(comparable(s, "snapshot"), CANNOT_TELL) \
                == comparable(d, "direct"), (d, s)
        else:
            assert_same(d, s)
    return pairs


def check_listings(view, forms, can_tell, formats=("table", "json")):
    """--list (table and json) in each form, directly and from the
    snapshot, one pair at a time: the same output, and only the direct
    run walked (each page asked for once), unless the snapshot cannot
    tell about a backup server."""
    for fmt in formats:
        for form in forms:
            args = snapshot_case(view.largs(*form, fmt=fmt))
            (d, s), = same_second([args],
                                  prepare=lambda _: view.restart_records())
            assert s.stdout == d.stdout and s.rc == d.rc == 0, (d, s)
            assert s.stdout.strip(), s
            view.settle()
            pages = [(r["path"], r["offset"]) for r in view.requests()]
            server = any(o.startswith("--backup-server=") for o in form)
            twice = server and not can_tell
            assert pages and sorted(pages) == sorted(
                sorted(set(pages)) * (2 if twice else 1)), (pages, d)


def test_every_job_and_form_answers_as_the_direct_check(vspc, fleet):
    vspc.sim.freeze_clock(True)
    f = fleet(scenario_fleet())
    path = served_line(make_snapshot(vspc))[0]
    listed = {sp["uid"] for k in ("vm", "cdp") for sp in f.specs(kind=k)}
    assert set(stored_uids(path)) == listed
    assert [sp["uid"] for sp in f.others] and \
        not stored_names(path) & {sp["uid"] for sp in f.others}
    states = check_jobs(vspc, f, path, all_options)
    assert states == {"OK", "WARNING", "CRITICAL", "UNKNOWN"}, states
    pairs = check_fleets(vspc, FLEET_FORMS, can_tell=False)
    counts = [int(n) for n in re.findall(r"\d+", pairs[0][1].summary)]
    assert len(counts) == 5 and all(counts), pairs[0][1]
    check_listings(vspc, LIST_FORMS, can_tell=False)


def test_backup_server_is_answered_when_every_job_names_one(vspc, fleet):
    vspc.sim.freeze_clock(True)
    fleet(scenario_fleet([sc for sc in VM_SCENARIOS
                          if "embedded" not in sc],
                         [sc for sc in CDP_SCENARIOS
                          if "embedded" not in sc]))
    make_snapshot(vspc)
    forms = [f for f in FLEET_FORMS
             if any(o.startswith("--backup-server=") for o in f)]
    check_fleets(vspc, forms, can_tell=True)
    check_listings(vspc, [["--backup-server=" + SERVER_B],
                          ["--backup-server=" + S.DEFAULT_SERVER,
                           "--kind=cdp"]], can_tell=True)
    # a server the snapshot knows no job of may be gone: VSPC is asked
    other = "11111111-2222-4333-8444-555555555555"
    (d, s), = same_second([snapshot_case(vspc.fargs(
        "-v", "--backup-server=" + other))])
    assert CANNOT_TELL in s.lines, s
    looked_line(s)
    assert without_lines(comparable(s, "snapshot"), CANNOT_TELL) == \
        comparable(d, "direct"), (d, s)


# server profile, pinned API version or None (auto)
PROFILES = [(v, None) for v in P.SERVER_VERSIONS] + [("8.1", "3.5")]


def test_every_server_version_answers_as_the_direct_check(view_for):
    few_vm = [{"end_age": 3 * 3600, "end_shape": "naive", "status": "Failed"},
              {"org": ORG_B, "server": SERVER_B, "never_run": True}]
    few_cdp = [{"org": ORG_B, "server": SERVER_B, "last_period": None}]
    fleet_spec = scenario_fleet(few_vm, few_cdp)
    fleets = {}
    for version, pin in PROFILES:
        v = view_for(version)
        v.sim.freeze_clock(True)
        f = v.sim.set_fleet(fleet_spec)
        pinned = ["--api-version=" + pin] if pin else []
        path = served_line(make_snapshot(v, *pinned))[0]
        assert {sp["uid"] for k in ("vm", "cdp") for sp in f.specs(kind=k)} \
            <= stored_names(path)
        check_jobs(v, f, path, few_options, pinned, absent=False)
        forms = [form + pinned for form in
                 [[], ["--backup-server=" + SERVER_B, "--kind=cdp"]]]
        pairs = check_fleets(v, forms, can_tell=True)
        check_listings(v, [pinned], can_tell=True, formats=("json",))
        fleets[(version, pin)] = [(s.state, s.summary) for _, s in pairs]
    # as without the snapshot, every server says the same
    for key, seen in fleets.items():
        assert seen == fleets[("9.2", None)], key

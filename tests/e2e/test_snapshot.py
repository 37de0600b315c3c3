"""--snapshot-max-age: -j, --all and --list answered from the shared SQLite
snapshot of every job collection in the cache directory.  The first test:
a refresh that rebuilds the file while other checks read it; the others
follow in the next commit."""

import concurrent.futures
import fcntl
import glob
import hashlib
import os
import re
import sqlite3
import stat
import threading
import time

import pytest

import e2e_util as U
import vspc_sim as S
from e2e_util import assert_state, run_plugin

MAX_AGE = "--snapshot-max-age=1h"
APPLICATION_ID = 0x56535043
SCHEMA_VERSION = 1
ANSWERED_RE = re.compile(
    r"^answered from the snapshot (/\S+/snapshot-[0-9a-f]{32}\.db) \("
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
    drop = (API_LINE,) if side == "direct" else (API_LINE, "answered from "
                                                 "the snapshot ")
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
# A rebuild while other runs read the file
# --------------------------------------------------------------------------

def _foreign(path):
    os.unlink(path)
    c = sqlite3.connect(path)
    c.executescript("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);"
                    "INSERT INTO notes (text) VALUES ('not a snapshot');"
                    "PRAGMA application_id = 1234;")
    c.close()
    os.chmod(path, 0o600)


def _user_version(n):
    def damage(path):
        change(path, "PRAGMA user_version = %d" % n)
    return damage


def _empty(path):
    with open(path, "wb"):
        pass



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

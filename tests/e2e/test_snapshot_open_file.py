"""--snapshot-max-age on a cold cache: the first run creates the snapshot
file empty, and every run that starts before the refresh has stored its
walk opens that same file.  The refresh must give that file its schema
where it is: a database unlinked under the runs that have it open makes
their SQLite take the new file's journal (same name, another inode) for a
stale one of theirs and delete it, so that the refresh fails with a disk
I/O error and its runs go to VSPC one by one.

A connection of Python's sqlite3 (the same SQLite library) plays a run
that opened the file before the refresh."""

import os
import re
import sqlite3

import vspc_sim
from e2e_util import assert_state, run_plugin

ANSWERED_RE = re.compile(r"answered from the snapshot (\S+) \(([a-z ]+),")


def snapshot_run(vspc, cache, *extra):
    run = run_plugin(vspc.hargs(vspc_sim.SEED_UID, "--snapshot-max-age",
                                "1h", "--cache-dir", cache, "-v", *extra))
    m = ANSWERED_RE.search(run.stdout)
    assert m, run
    return run, m.group(1), m.group(2)


def test_refresh_keeps_the_file_other_runs_have_open(vspc, tmp_path):
    # the file's name, from a run of the same server and token elsewhere
    first = tmp_path / "first"
    first.mkdir(mode=0o700)
    _, path, _ = snapshot_run(vspc, str(first))
    name = os.path.basename(path)

    cache = tmp_path / "cold"
    cache.mkdir(mode=0o700)
    path = str(cache / name)
    # what the first run of a cold cache leaves for the others to open
    os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    other = sqlite3.connect(path)
    try:
        assert other.execute("SELECT count(*) FROM sqlite_schema"
                             ).fetchone() == (0,)
        ino = os.stat(path).st_ino
        vspc.restart_records()
        run, answered, how = snapshot_run(vspc, str(cache))
        assert_state(run, "OK")
        assert "note:" not in run.stdout, run
        assert (answered, how) == (path, "refreshed by this run"), run
        # the refresh wrote into the file the other run has open
        assert os.stat(path).st_ino == ino
        assert other.execute("SELECT count(*) FROM snapshot WHERE "
                             "taken_at > 0").fetchone() == (1,)
        assert other.execute("SELECT count(*) FROM names WHERE uid = ?",
                             (vspc_sim.SEED_UID,)).fetchone()[0] >= 1
    finally:
        other.close()
    # and the file serves the next run without a request
    vspc.restart_records()
    run, answered, how = snapshot_run(vspc, str(cache))
    assert_state(run, "OK")
    assert (answered, how) == (path, "made by an earlier run"), run
    vspc.assert_no_traffic(run)

"""Kills mid-write: the plugin killed with SIGKILL (an OOM killer, an
engine that gives up on it, a reboot) while it logs in, writes the token
cache or refreshes the job snapshot.

Each test kills many runs, at random delays after their start (0-300 ms,
against a simulator made slow enough that the kills fall into the login,
the token request, the cache write, the walk and its commit) and at
exact system calls (strace's inject=SYSCALL:signal=SIGKILL:when=N, before
a write, fsync, rename, lock or unlock of the cache or the snapshot).
After every kill:
  - no lock is left held and a normal run works: a run with -t 3 gives
    the right answer (a held lock would make it wait and time out);
  - the snapshot is whole, the old walk or the new one (PRAGMA
    integrity_check, and the jobs it holds are the vm_jobs + cdp_jobs its
    snapshot row claims, which are the fleet's);
  - a token cache file, if there is one, is whole and holds tokens the
    simulator issued; every file is private.
A killed writer may leave its temporary file (token-HASH.XXXXXX): it is
private, never read as a cache, and the next run removes it once it is a
minute old, which the end of each test checks (mtimes moved back).
"""

import os
import random
import shutil
import signal
import subprocess
import time

import pytest

import auth_util as A
import e2e_util as U
import fault_util as F
import vspc_sim as S

pytestmark = pytest.mark.skipif(
    bool(U.WRAPPER), reason="under %s a kill hits the wrapper, not the "
    "plugin's writes" % (U.WRAPPER[0] if U.WRAPPER else ""))

STRACE_PROBLEM = F.strace_problem()

KILL_DELAY_MAX = 0.3
RANDOM_KILLS = 100  # per test: two tests, 200 in all, and the exact ones
FLEET = {"jobs": [], "count": 600, "seed": 11, "cdp_count": 100,
         "cdp_seed": 11,
         # every page of the walk a little slow: 2 VM pages, 1 CDP page
         "pages": {0: {"delay": 0.05}, 500: {"delay": 0.05}}}
FLEET_JOBS = (600, 100)
# a check run after a kill refreshes the snapshot every REFRESH_EVERY
# kills; the others answer from what the kill left (the walk made stale
# two hours back is still fresh for an age of 1d)
REFRESH_EVERY = 3
TARGET = S.fleet_uid(11, 7)


def start(cmd, env, cwd):
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=cwd)


def kill_after(cmd, env, cwd, delay):
    """Starts cmd and kills it with SIGKILL after delay seconds; the exit
    status (negative: killed by that signal; a run may end first)."""
    proc = start(cmd, env, cwd)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    return proc.returncode


def answer(run):
    """What a run says, time= aside."""
    vms = run.perf.get("protected_vms")
    return run.state, run.summary, vms.raw if vms else None


class Killer:
    """Runs of one scenario: kill one, then check what is left."""

    def __init__(self, bench, args, check_args):
        self.bench = bench
        self.args = args
        self.check_args = check_args
        self.env = U.clean_env({"TMPDIR": bench.tmp})
        self.kills = 0
        self.base = bench.run(check_args)
        self.window = KILL_DELAY_MAX

    def fit_window(self):
        """Kill within the time a whole run takes here, at most
        KILL_DELAY_MAX: on a quiet machine a run may end well before
        KILL_DELAY_MAX, and a kill after its end kills nothing."""
        t0 = time.monotonic()
        proc = start([U.PLUGIN] + self.args, self.env, self.bench.cwd)
        proc.communicate(timeout=U.RUN_TIMEOUT)
        took = time.monotonic() - t0
        self.window = max(0.005, min(KILL_DELAY_MAX, 0.8 * took))

    def kill_randomly(self, rnd):
        rc = kill_after([U.PLUGIN] + self.args, self.env, self.bench.cwd,
                        rnd.uniform(0, self.window))
        self.kills += rc == -signal.SIGKILL
        return rc

    def kill_at(self, call):
        """Killed by strace just before call."""
        def run(prefix):
            proc = start(list(prefix) + [U.PLUGIN] + self.args, self.env,
                         self.bench.cwd)
            proc.communicate(timeout=U.RUN_TIMEOUT)
            return proc.returncode
        rc, hit = F.inject(run, call, "signal=SIGKILL", self.bench.tmp)
        assert hit is not None and hit.key() == call.key(), (hit, call)
        self.kills += 1
        return rc

    def check(self, what, snapshot_jobs=None):
        """After a kill: everything in the module text."""
        b = self.bench
        bad = F.private_files(b.cache)
        assert not bad, "%s: files open to others: %r" % (what, bad)
        issued = set(b.sim.issued_secrets())
        for name in b.cache_files():
            why = F.token_cache_problem(os.path.join(b.cache, name), issued)
            assert why is None, "%s: %s" % (what, why)
        if snapshot_jobs is not None:
            dbs = F.snapshot_files(b.cache)
            assert len(dbs) == 1, (what, os.listdir(b.cache))
            why = F.snapshot_problem(dbs[0])
            assert why is None, "%s: %s" % (what, why)
            row = F.snapshot_state(dbs[0])["row"]
            assert row is not None and row[1:] == snapshot_jobs, \
                "%s: the snapshot lost its walk: %r" % (what, row)
        run = b.run(self.check_args, scan=False)
        assert answer(run) == answer(self.base), \
            "%s: the next run (-t 3) is not right: %r" % (what, run)
        return run

    def sweep_leftovers(self):
        """The temporary files of killed writers, a minute old, are gone
        after the next run."""
        b = self.bench
        F.age_files(b.cache, F.temporary_files(b.cache), 120)
        b.run(self.check_args, scan=False)
        assert F.temporary_files(b.cache) == [], os.listdir(b.cache)
        b.scan_tree()


@pytest.fixture
def slow_sim(make_sim, view_of):
    return view_of(make_sim(fleet=FLEET))


def test_kills_during_login_and_token_cache_write(slow_sim, tmp_path):
    bench = A.AuthBench(slow_sim, tmp_path)
    # a slow token endpoint (the login and the refresh take 0.1 s), a token
    # that needs a refresh on every run, refresh tokens rotated
    acct = bench.account(expires_in=30, steps=[{"delay": 0.1}])
    args = bench.args(acct)
    killer = Killer(bench, args, args + ["-t", "3"])
    shutil.rmtree(bench.cache)
    killer.fit_window()  # a cold login, the longer of the two runs
    rnd = random.Random(20261202)
    for i in range(RANDOM_KILLS):
        if i % 2 == 0:
            shutil.rmtree(bench.cache)  # a cold login
        rc = killer.kill_randomly(rnd)
        killer.check("kill %d (exit %d)" % (i, rc))
    if not STRACE_PROBLEM:
        # exactly before each system call of a refresh that touches the
        # cache: the lock, the temporary file, its write, fsync, rename
        killer.check("before the exact kills")
        _, calls = F.record(lambda p: bench.run(args, prefix=p, scan=False),
                            (bench.cache,), bench.tmp)
        assert {"flock", "write", "fsync", "rename"} <= \
            set(c.name for c in calls), calls
        for call in calls:
            killer.kill_at(call)
            killer.check("killed before %r" % call)
    assert killer.kills >= RANDOM_KILLS * 3 // 4, \
        "only %d runs were killed: most ended before the kill" % killer.kills
    killer.sweep_leftovers()


def test_kills_during_snapshot_refresh(slow_sim, tmp_path):
    bench = A.AuthBench(slow_sim, tmp_path)
    args = slow_sim.args(TARGET) + ["--cache-dir", bench.cache,
                                    "--snapshot-max-age", "1h"]
    strict = args + ["-t", "3"]
    lenient = args[:-1] + ["1d", "-t", "3"]
    killer = Killer(bench, args, strict)
    dbs = F.snapshot_files(bench.cache)
    assert len(dbs) == 1, os.listdir(bench.cache)
    jobs = F.snapshot_state(dbs[0])["row"][1:]
    assert jobs == FLEET_JOBS, jobs
    F.make_stale(dbs[0], 7200)
    killer.fit_window()  # a refresh
    rnd = random.Random(20261203)
    for i in range(RANDOM_KILLS):
        F.make_stale(dbs[0], 7200)  # every killed run refreshes
        what = "kill %d (exit %d)" % (i, killer.kill_randomly(rnd))
        killer.check_args = strict if i % REFRESH_EVERY == 0 else lenient
        run = killer.check(what, jobs)
        assert "time" in run.perf, run
    if not STRACE_PROBLEM:
        # and exactly before system calls of a refresh: SQLite's writes of
        # the WAL and the database, its syncs, locks and truncations. A
        # refresh's calls follow the file's pages, so each kill starts from
        # the very file the recorded refresh started from.
        F.make_stale(dbs[0], 7200)
        saved = os.path.join(bench.tmp, "snapshot.saved")
        shutil.copyfile(dbs[0], saved)
        _, calls = F.record(lambda p: bench.run(args, prefix=p, scan=False),
                            (bench.cache,), bench.tmp)
        for i, call in enumerate(F.sites(calls, 2)):
            for side in ("-wal", "-shm"):
                if os.path.exists(dbs[0] + side):
                    os.unlink(dbs[0] + side)
            shutil.copyfile(saved, dbs[0])
            killer.kill_at(call)
            killer.check_args = strict if i % REFRESH_EVERY == 0 else lenient
            run = killer.check("killed before %r" % call, jobs)
            assert "time" in run.perf, run
    killer.check_args = strict
    assert killer.kills >= RANDOM_KILLS * 3 // 4, \
        "only %d runs were killed: most ended before the kill" % killer.kills
    killer.sweep_leftovers()

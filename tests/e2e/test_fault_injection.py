"""Injected I/O faults: a full disk, a read-only remount, a dying disk, an
interrupted call, no memory, while the plugin logs in, refreshes a token,
refreshes the job snapshot or answers from it.

Every faulted run must end with exit code 0-3 and one status line that
tells the truth: the right state when only a cache (the token cache, the
remembered API version, the snapshot) could not be used or written, since
those are optimisations; UNKNOWN naming the file and the error when the
fault hits what the check needs (the credentials or token file).  The run
after it, without faults, must give the right answer again; no file may
be left that a later run would wrongly trust (a token cache that is not
whole, a snapshot that claims jobs it does not have); and no secret (a
password, a token, a refresh token) may be in any file the plugin leaves
under the cache directory or the TMPDIR the test gives it, token cache
files aside.

strace fails one call at a time: each scenario is recorded once, and
every call that touches the cache directory or the secret file (up to a
few of each system call) is failed in a run of its own, with two errnos
of ENOSPC, EIO, EACCES, EROFS, EINTR and ENOMEM by turns.  libfiu fails
whole fault points (every call, or only the first) and random ones.
"""

import os
import shutil

import pytest

import auth_util as A
import e2e_util as U
import fault_util as F

STRACE_PROBLEM = F.strace_problem()
FIU_PROBLEM = F.fiu_problem()
needs_strace = pytest.mark.skipif(bool(STRACE_PROBLEM),
                                  reason=STRACE_PROBLEM or "")
needs_fiu = pytest.mark.skipif(bool(FIU_PROBLEM), reason=FIU_PROBLEM or "")

SCENARIOS = ("cold_login", "refresh", "snapshot_refresh", "snapshot_read")
# calls failed per system call and scenario
SITES_PER_SYSCALL = 3
# points whose every call failing leaves the check without its secret
SECRET_POINTS = ("posix/io/oc/open", "posix/io/rw/read")
EVERY_CALL_ERRNOS = tuple(e for e in F.ERRNOS if e != "EINTR")


class Scenario:
    """One situation the plugin is in when a fault strikes: its command
    line, the cache directory it starts from (a copy of a template made
    by a run without faults), the secret file it reads, and the answer a
    run without faults gives."""

    def __init__(self, name, bench, tmp):
        self.name = name
        self.bench = bench
        self.template = os.path.join(tmp, "template")
        self.logdir = os.path.join(tmp, "strace")
        os.makedirs(self.logdir)
        if name in ("cold_login", "refresh"):
            # refresh: a token with less than a minute left and a refresh
            # token that stays valid (no rotation), so that every copy of
            # the template refreshes
            acct = bench.account(expires_in=30, rotate=False)
            self.args = bench.args(acct)
            self.secret = acct.cred_file
        else:
            self.args = bench.vspc.args() + [
                "--cache-dir", bench.cache, "--snapshot-max-age", "1h"]
            self.secret = bench.vspc.token_file
        base = bench.run(self.args)
        U.assert_state(base, "OK")
        self.summary = base.summary
        self.vms = base.perf["protected_vms"].raw
        if name == "cold_login":
            os.makedirs(self.template)  # an empty cache
        else:
            if name == "snapshot_refresh":
                for db in F.snapshot_files(bench.cache):
                    F.make_stale(db)
            shutil.copytree(bench.cache, self.template)
        self.restore()

    def restore(self):
        shutil.rmtree(self.bench.cache, ignore_errors=True)
        shutil.copytree(self.template, self.bench.cache)
        os.chmod(self.bench.cache, 0o700)

    def run(self, prefix=(), **kw):
        return self.bench.run(self.args, prefix=prefix, scan=False, **kw)

    def correct(self, run):
        """The answer a run without faults gives (time= aside)."""
        return (run.state == "OK" and run.summary == self.summary and
                "protected_vms" in run.perf and
                run.perf["protected_vms"].raw == self.vms and
                "time" in run.perf and len(run.lines) == 1)

    def names_fault(self, run, path, errno):
        """UNKNOWN, naming path and the error."""
        return (run.state == "UNKNOWN" and len(run.lines) == 1 and
                path in run.summary and
                os.strerror(F.ERRNO_VALUE[errno]) in run.summary)

    def leftovers(self):
        """What is wrong with the files the last run left, or None."""
        b = self.bench
        try:
            b.scan_tree()
        except AssertionError as exc:
            return str(exc)
        bad = F.private_files(b.cache)
        if bad:
            return "files open to others: %r" % bad
        issued = set(b.sim.issued_secrets())
        for name in b.cache_files():
            why = F.token_cache_problem(os.path.join(b.cache, name), issued)
            if why:
                return why
        for db in F.snapshot_files(b.cache):
            why = F.snapshot_problem(db)
            if why:
                return why
        return None

    def after(self):
        """The next run without faults: the right answer, no token that a
        server refuses; None or what is wrong."""
        run = self.run()
        if not self.correct(run):
            return "the next run without faults: %r" % run
        refused = [r for r in run.reqs if r["status"] == 401]
        if refused:
            return "the next run sent a token it should not have trusted " \
                "(HTTP 401): %r" % run
        return self.leftovers()


@pytest.fixture(params=SCENARIOS)
def scenario(request, vspc, tmp_path):
    bench = A.AuthBench(vspc, tmp_path / "bench")
    return Scenario(request.param, bench, str(tmp_path))


def judge(sc, run, path, errno, secret_hit):
    """None if the faulted run told the truth, else what it did."""
    if secret_hit:
        if sc.names_fault(run, path, errno):
            return None
        if errno == "EINTR" and sc.correct(run):
            return None  # retried
        return "a fault in the secret file %s (%s) must be UNKNOWN naming " \
            "both" % (path, errno)
    if sc.correct(run):
        return None
    return "a fault in the cache (%s) must not change the answer" % errno


def check_site(sc, problems, label, run, path, errno, secret_hit):
    why = judge(sc, run, path, errno, secret_hit) or sc.leftovers()
    if why is None:
        sc.restore()  # the next run starts where the faulted one did
        why = sc.after()
    if why:
        problems.append("%s: %s\n    %r" % (label, why, run))


# --------------------------------------------------------------------------
# strace: one call at a time
# --------------------------------------------------------------------------

@needs_strace
def test_each_call_failing_alone(scenario):
    sc = scenario
    roots = (sc.bench.cache, sc.secret)
    _, calls = F.record(sc.run, roots, sc.logdir)
    sc.restore()
    chosen = F.sites(calls, SITES_PER_SYSCALL)
    # what each scenario must reach, so that the test cannot pass by
    # failing nothing
    want = {"cold_login": {"mkdir", "openat", "read", "flock", "fchmod",
                           "write", "fsync", "rename"},
            "refresh": {"openat", "read", "flock", "write", "fsync",
                        "rename"},
            "snapshot_refresh": {"openat", "pread64", "pwrite64",
                                 "fdatasync", "fcntl", "flock", "mmap"},
            "snapshot_read": {"openat", "pread64", "fcntl", "mmap"}}[sc.name]
    if F.asan_build():
        # AddressSanitizer's allocator maps its heap with mmap as it grows,
        # at points that move from run to run: the Nth mmap of the run
        # recorded may be one of the sanitizer's in the run faulted, whose
        # failure is the sanitizer's own fatal error. The plain build fails
        # SQLite's mmap of the -shm file.
        chosen = [c for c in chosen if c.name != "mmap"]
        want = want - {"mmap"}
    names = set(c.name for c in chosen)
    assert want <= names, "calls not reached: %r in %r" % (
        want - names, calls)
    problems = []
    for k, call in enumerate(chosen):
        for errno in (F.ERRNOS[k % 6], F.ERRNOS[(k + 3) % 6]):
            sc.restore()
            run, hit = F.inject(sc.run, call, "error=" + errno, sc.logdir)
            label = "%s %s with %s" % (sc.name, call, errno)
            if hit is None or hit.key() != call.key():
                problems.append("%s: strace failed %r instead" % (label, hit))
                continue
            check_site(sc, problems, label, run, sc.secret, errno,
                       sc.secret in call.paths)
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------
# libfiu: whole fault points, every call or the first only
# --------------------------------------------------------------------------

FIU_POINTS = ("posix/io/oc/open", "posix/io/rw/read", "posix/io/rw/write",
              "posix/io/rw/pread", "posix/io/rw/pwrite",
              "posix/io/rw/ftruncate", "posix/io/sync/fsync",
              "posix/io/sync/fdatasync", "posix/io/dir/rename",
              "posix/io/dir/unlink", "posix/mm/mmap")


@needs_fiu
def test_fault_points_failing(scenario):
    sc = scenario
    problems = []
    for k, point in enumerate(FIU_POINTS):
        for onetime in (False, True):
            # EINTR on every call for ever is no fault a host has: the
            # retry loops (the plugin's, SQLite's) would spin until the
            # deadline
            errno = F.ERRNOS[k % 6] if onetime else EVERY_CALL_ERRNOS[k % 5]
            sc.restore()
            run = sc.run(F.fiu_run([F.fiu_enable(point, errno, onetime)]))
            label = "%s %s%s with %s" % (sc.name, point,
                                         " (first call)" if onetime else "",
                                         errno)
            secret_hit = point in SECRET_POINTS and not onetime
            if onetime and sc.names_fault(run, sc.secret, errno):
                secret_hit = True
            check_site(sc, problems, label, run, sc.secret, errno,
                       secret_hit)
    assert not problems, "\n".join(problems)


@needs_fiu
@pytest.mark.parametrize("points", [
    ("posix/io/*", 0.1), ("libc/mm/*", 0.01)], ids=["io", "memory"])
def test_random_faults(scenario, points):
    """Faults at random (libfiu picks the errno): every run is the right
    answer or UNKNOWN, and the run after it is right."""
    sc = scenario
    point, probability = points
    problems = []
    for i in range(10):
        sc.restore()
        run = sc.run(F.fiu_run([F.fiu_random(point, probability)]))
        label = "%s %s at %s, run %d" % (sc.name, point, probability, i)
        if not (sc.correct(run) or
                (run.state == "UNKNOWN" and len(run.lines) == 1)):
            problems.append("%s: neither the answer nor UNKNOWN: %r"
                            % (label, run))
            continue
        why = sc.leftovers()
        if why is None:
            sc.restore()
            why = sc.after()
        if why:
            problems.append("%s: %s\n    %r" % (label, why, run))
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------
# What the issue found already, and a lock that cannot be taken
# --------------------------------------------------------------------------

@pytest.fixture
def bench(vspc, tmp_path):
    return A.AuthBench(vspc, tmp_path)


def test_a_token_cache_that_cannot_be_locked_is_no_cache(bench):
    """A token cache whose lock file cannot be opened (a directory where
    it belongs, here; a full or read-only disk on a host) is no cache: the
    check logs in without it and answers, as with no usable cache
    directory.  The --timeout state is for a wait on another check's lock
    that ran out, not for a disk fault."""
    acct = bench.account()
    args = bench.args(acct, "-t", "10:critical", "-v")
    bench.run(args)
    lock = bench.only_cache_file() + ".lock"
    os.unlink(lock)
    os.mkdir(lock, 0o700)
    for _ in range(2):
        run = bench.run(args)
        U.assert_state(run, "OK")
        assert len(bench.logins(run)) == 1, run
        assert "not caching tokens: cannot open %s: %s" % (
            lock, os.strerror(21)) in run.stdout, run


def complete_or_unknown(run, summary, vms):
    """A whole line (summary and both perfdata items) or UNKNOWN: never
    an "OK - " that lacks part of the result."""
    if run.state == "UNKNOWN":
        return run.summary != ""
    return (run.state == "OK" and run.summary == summary and
            run.perf.get("protected_vms") is not None and
            run.perf["protected_vms"].raw == vms and "time" in run.perf)


@needs_fiu
def test_realloc_failing_at_random_on_a_warm_cache(bench):
    """realloc fails at random (libfiu, probability 0.2) while the token
    comes from a warm cache: every run is the whole answer or UNKNOWN.
    (Taking the cached token into the run's buffer failed without a word,
    and the run printed "OK - " and nothing else.)"""
    acct = bench.account()
    args = bench.args(acct)
    base = bench.run(args)
    U.assert_state(base, "OK")
    vms = base.perf["protected_vms"].raw
    prefix = F.fiu_run([F.fiu_random("libc/mm/realloc", 0.2)])
    for _ in range(40):
        run = bench.run(args, prefix=prefix)
        assert complete_or_unknown(run, base.summary, vms), run
    run = bench.run(args)
    assert complete_or_unknown(run, base.summary, vms) and \
        run.state == "OK", run


@needs_fiu
def test_malloc_failing_at_random_with_a_credentials_file(bench):
    """malloc fails at random (libfiu, probability 0.05) in the plugin,
    libcurl, OpenSSL and the libraries libcurl brings, with a credentials
    file, on a cold and a warm token cache: never a signal death (the
    fatal-signal handler's line when a library crashes), never a word on
    stderr (Icinga 2 would show it as the status: GnuTLS, loaded with
    libcurl, printed "Error in GnuTLS initialization" there), one line
    with exit code 0-3 (run_plugin asserts all of that for every run)."""
    acct = bench.account()
    args = bench.args(acct)
    base = bench.run(args)
    vms = base.perf["protected_vms"].raw
    prefix = F.fiu_run([F.fiu_random("libc/mm/malloc", 0.05)])
    for i in range(40):
        if i % 2:
            shutil.rmtree(bench.cache, ignore_errors=True)  # a cold login
        run = bench.run(args, prefix=prefix)
        assert len(run.lines) == 1, run
        assert complete_or_unknown(run, base.summary, vms), run
        if "fatal signal" in run.summary:
            assert run.summary.startswith("plugin fault: fatal signal "), run
    U.assert_state(bench.run(args), "OK")


@needs_fiu
def test_failed_rename_and_unlink_leave_no_tokens_behind(bench):
    """posix/io/dir/* (rename, unlink and opendir fail): the token cache
    can neither be put in place nor its temporary file removed.  The
    check still answers; the file left holds no token (it was emptied);
    the next normal run, once that file is a minute old (its mtime moved
    back rather than waited for), removes it and caches the tokens."""
    acct = bench.account()
    args = bench.args(acct)
    run = bench.run(args, prefix=F.fiu_run([F.fiu_enable("posix/io/dir/*")]))
    U.assert_state(run, "OK")
    assert bench.cache_files() == [], "the cache was put in place " \
        "although rename failed: %r" % os.listdir(bench.cache)
    temps = F.temporary_files(bench.cache)
    assert temps, "no temporary file left although unlink failed: %r" % (
        os.listdir(bench.cache),)
    bench.scan_tree()  # no token in what is left
    F.age_files(bench.cache, temps, 120)
    run = bench.run(args)
    U.assert_state(run, "OK")
    assert F.temporary_files(bench.cache) == [], os.listdir(bench.cache)
    path = bench.only_cache_file()
    assert F.token_cache_problem(path, set(bench.sim.issued_secrets())) \
        is None
    run = bench.run(args)
    assert A.AuthBench.token_reqs(run) == [], "the cache is not used: " \
        "%r" % run


@needs_fiu
def test_a_young_temporary_file_is_left_alone(bench):
    """privdir_sweep takes only a file a minute old for a dead writer's:
    a younger one may be a write in progress."""
    acct = bench.account()
    args = bench.args(acct)
    bench.run(args, prefix=F.fiu_run([F.fiu_enable("posix/io/dir/*")]))
    temps = F.temporary_files(bench.cache)
    assert temps, os.listdir(bench.cache)
    F.age_files(bench.cache, temps, 30)
    bench.run(args)
    assert F.temporary_files(bench.cache) == temps


@needs_strace
@pytest.mark.parametrize("errno", ["EIO", "ENOMEM"])
def test_the_secret_file_failing_fstat(vspc, tmp_path, errno):
    """fstat() of the credentials or token file fails: UNKNOWN naming the
    file and that error (the error came from a stat buffer fstat had not
    filled)."""
    for name in ("cold_login", "snapshot_read"):
        sc = Scenario(name, A.AuthBench(vspc, tmp_path / name / "bench"),
                      str(tmp_path / name))
        _, calls = F.record(sc.run, (sc.secret,), sc.logdir,
                            syscalls=("newfstatat",))
        assert calls, "no fstat of %s" % sc.secret
        for call in calls:
            sc.restore()
            run, hit = F.inject(sc.run, call, "error=" + errno, sc.logdir)
            assert hit is not None and hit.key() == call.key(), (hit, call)
            assert sc.names_fault(run, sc.secret, errno), run

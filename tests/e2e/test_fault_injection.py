"""Injected I/O faults: a full disk, a read-only remount, a dying disk, an
interrupted call, no memory, while the plugin logs in, refreshes a token,
refreshes the job snapshot or answers from it."""

import os
import shutil

import pytest

import auth_util as A
import e2e_util as U
import fault_util as F

FIU_PROBLEM = F.fiu_problem()
needs_fiu = pytest.mark.skipif(bool(FIU_PROBLEM), reason=FIU_PROBLEM or "")


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

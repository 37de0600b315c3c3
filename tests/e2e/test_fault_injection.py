"""Injected I/O faults: a full disk, a read-only remount, a dying disk, an
interrupted call, no memory, while the plugin logs in, refreshes a token,
refreshes the job snapshot or answers from it."""

import os

import pytest

import auth_util as A
import e2e_util as U


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

"""Bad command lines: exit 3, one status line naming the option, and not a
single byte sent to the server (the simulator is running and reachable, so
a plugin that went ahead would be caught)."""

import pytest

import vspc_sim as S
from e2e_util import TOKEN, assert_state, names_any, run_plugin

SEED = S.SEED_UID
JOB = ["-j", "--job", "job"]
PORT = ["-p", "--port", "port"]
WARN = ["-w", "--warning", "warning"]
CRIT = ["-c", "--critical", "critical"]
TIMEOUT = ["-t", "--timeout", "timeout"]

# (id, arguments replacing/added to the good ones, names)
# "{H}" / "{P}" / "{J}" stand for the simulator's host, port, a good UID.
CASES = [
    ("job-not-uuid", ["-j", "not-a-uuid"], JOB),
    ("job-short", ["-j", SEED[:-1]], JOB),
    ("job-long", ["-j", SEED + "0"], JOB),
    ("job-trailing-junk", ["-j", SEED + "x"], JOB),
    ("job-non-hex", ["-j", SEED[:-1] + "g"], JOB),
    ("job-path-traversal", ["-j", "../../../../api/v3/about"], JOB),
    ("job-query", ["-j", SEED + "?select=x"], JOB),
    ("job-slash", ["-j", SEED[:8] + "/" + SEED[9:]], JOB),
    ("job-empty", ["-j", ""], JOB),
    ("job-space", ["-j", " " + SEED], JOB),
    ("job-newline", ["-j", SEED + "\n"], JOB),
    ("warning-abc", ["-w", "abc"], WARN),
    ("warning-empty", ["-w", ""], WARN),
    ("warning-inverted", ["-w", "10:5"], WARN),
    ("warning-trailing", ["-w", "5x"], WARN),
    ("warning-at-only", ["-w", "@"], WARN),
    ("warning-comma", ["-w", "4,5"], WARN),
    ("critical-abc", ["-c", "abc"], CRIT),
    ("critical-inverted", ["-c", "@10:1"], CRIT),
    ("critical-double-colon", ["-c", "1:2:3"], CRIT),
    ("port-zero", ["-p", "0"], PORT),
    ("port-too-big", ["-p", "65536"], PORT),
    ("port-huge", ["-p", "99999999999999999999"], PORT),
    ("port-negative", ["-p", "-1"], PORT),
    ("port-letters", ["-p", "abc"], PORT),
    ("port-trailing", ["-p", "1280x"], PORT),
    ("port-empty", ["-p", ""], PORT),
    ("unknown-long-option", ["--bogus"], ["bogus"]),
    ("unknown-short-option", ["-Z"], ["-Z", "Z"]),
    ("wan-maybe", ["--wan=maybe"], ["wan"]),
    ("wan-empty", ["--wan="], ["wan"]),
    ("cloud-maybe", ["--cloud=maybe"], ["cloud"]),
    ("source-wan-bad", ["--source-wan=abc"], ["source-wan"]),
    ("target-wan-bad", ["--target-wan=" + SEED[:-2]], ["target-wan"]),
    ("cloud-host-bad", ["--cloud-host=yes"], ["cloud-host"]),
    ("target-host-bad", ["--target-host=nothing"], ["target-host"]),
    ("mismatch-state-ok", ["--mismatch-state=ok"], ["mismatch-state"]),
    ("mismatch-state-bogus", ["--mismatch-state=bogus"], ["mismatch-state"]),
    ("timeout-letters", ["-t", "abc"], TIMEOUT),
    ("timeout-zero", ["-t", "0"], TIMEOUT),
    ("timeout-negative", ["-t", "-5"], TIMEOUT),
    ("timeout-trailing", ["-t", "10s"], TIMEOUT),
    ("timeout-bad-state", ["-t", "10:bogus"], TIMEOUT),
    ("timeout-state-4", ["-t", "10:4"], TIMEOUT),
    ("timeout-empty-state", ["-t", "10:"], TIMEOUT),
    ("timeout-huge", ["-t", "99999999999999999999"], TIMEOUT),
    ("hostname-empty", ["-H", ""], ["-H", "--hostname", "host"]),
    ("missing-argument", ["-w"], WARN),
]


def good_args(vspc):
    """The seed job with its job status: two requests when all is well."""
    return ["-H", vspc.host, "-p", str(vspc.port), "-j", SEED,
            "--ca-file", vspc.certs["ca"], "-T", vspc.token_file]


def apply(args, change):
    """Replace the value of an option already in args, else append."""
    args = list(args)
    if len(change) == 2 and change[0] in args and change[0].startswith("-") \
            and not change[0].startswith("--"):
        i = args.index(change[0])
        args[i + 1] = change[1]
        return args
    return args + change


@pytest.mark.parametrize("change,names", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_usage_error(vspc, change, names):
    run = run_plugin(apply(good_args(vspc), change))
    assert_state(run, "UNKNOWN")
    assert run.first.startswith("VSPC REPLICATION UNKNOWN - ")
    assert names_any(run.summary, names), \
        "status line names none of %r: %r" % (names, run)
    vspc.assert_no_traffic(run)


@pytest.mark.parametrize("drop,names", [
    ("-H", ["-H", "--hostname", "host"]),
    ("-j", JOB),
], ids=["hostname", "job"])
def test_missing_required_option(vspc, drop, names):
    args = good_args(vspc)
    i = args.index(drop)
    del args[i:i + 2]
    run = run_plugin(args)
    assert_state(run, "UNKNOWN")
    assert names_any(run.summary, names), run
    vspc.assert_no_traffic(run)


def test_no_arguments_at_all(vspc):
    run = run_plugin([])
    assert_state(run, "UNKNOWN")
    vspc.assert_no_traffic(run)


def test_job_checked_before_token(vspc):
    # A bad UID with no token anywhere: still no traffic, still UNKNOWN.
    run = run_plugin(["-H", vspc.host, "-p", str(vspc.port), "-j", "nope"],
                     env={"VSPC_TOKEN": None})
    assert_state(run, "UNKNOWN")
    vspc.assert_no_traffic(run)


def test_usage_error_with_token_on_command_line(vspc):
    run = run_plugin(["-H", vspc.host, "-p", str(vspc.port), "-j", "nope",
                      "--token", TOKEN])
    assert_state(run, "UNKNOWN")
    vspc.assert_no_traffic(run)


@pytest.mark.parametrize("opt", ["-h", "--help"])
def test_help(vspc, opt):
    run = run_plugin([opt], status_line=False)
    assert run.rc == 3, run
    for word in ("--hostname", "--job", "--warning", "--critical",
                 "--timeout", "--token-file"):
        assert word in run.stdout, (word, run)
    vspc.assert_no_traffic(run)


@pytest.mark.parametrize("opt", ["-V", "--version"])
def test_version(vspc, opt):
    run = run_plugin([opt], status_line=False)
    assert run.rc == 3, run
    assert "check_vspc_replication" in run.first
    assert any(ch.isdigit() for ch in run.first), run
    vspc.assert_no_traffic(run)


def test_help_wins_over_bad_options(vspc):
    run = run_plugin(["-j", "nope", "--help"], status_line=False)
    assert run.rc == 3, run
    vspc.assert_no_traffic(run)


@pytest.mark.parametrize("extra", [["-v"], ["-vv"], ["-vvv"],
                                   ["-v", "-v", "-v"], ["--verbose"]],
                         ids=["v", "vv", "vvv", "v-v-v", "verbose"])
def test_verbosity_levels_are_accepted(vspc, extra):
    run = run_plugin(good_args(vspc) + extra)
    assert_state(run, "OK")
    vspc.assert_one_exchange(run, requests=2)


@pytest.mark.parametrize("spec", ["10", "10:critical", "10:3", "1:ok",
                                  "30:warning"])
def test_good_timeouts_are_accepted(vspc, spec):
    run = run_plugin(good_args(vspc) + ["-t", spec])
    assert_state(run, "OK")
    vspc.assert_one_exchange(run, requests=2)

"""The output format: verbosity, header dumps with the token masked,
perfdata under a German locale."""

import re

import pytest

import vspc_sim as S
from e2e_util import TOKEN, assert_measured, assert_state, run_plugin


def test_plain_output_is_the_status_line(vspc):
    run = run_plugin(vspc.args())
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert run.stdout.endswith("\n"), run
    assert run.first.count("|") == 1, run
    assert list(run.perf) == ["protected_vms", "time"], run


def test_verbose_adds_lines_after_the_first(vspc):
    plain = run_plugin(vspc.args())
    verbose = run_plugin(vspc.args(S.SEED_UID, "-v"))
    assert_state(verbose, "OK")
    assert verbose.summary == plain.summary
    assert len(verbose.lines) > len(plain.lines), verbose
    assert_measured(verbose, 5)


def test_more_verbosity_more_lines(vspc):
    counts = []
    for flag in ([], ["-v"], ["-vv"], ["-vvv"]):
        run = run_plugin(vspc.args(S.SEED_UID, *flag))
        assert_state(run, "OK")
        counts.append(len(run.lines))
    assert counts[0] < counts[1] <= counts[2] < counts[3], counts


def test_vvv_shows_headers_with_masked_token(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "-vvv"))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    rest = "\n".join(run.lines[1:])
    assert "Authorization: Bearer ****" in rest, run
    assert re.search(r"^.*Authorization: Bearer \*\*\*\*\s*$", rest, re.M), \
        "something follows the masked token: %r" % run
    assert re.search(r"X-Client-Version: 3\.6\b", rest), run
    assert re.search(r"Accept: application/json", rest), run
    assert re.search(r"HTTP/1\.1 200", rest), run
    assert re.search(r"content-type: application/json", rest, re.I), run
    assert TOKEN not in run.stdout
    # no part of the token either
    assert TOKEN[:8] not in run.stdout and TOKEN[-8:] not in run.stdout


def test_vvv_on_error_masks_token(vspc):
    run = run_plugin(vspc.args(S.SERVER_ERROR_UID, "-vvv"))
    assert_state(run, "UNKNOWN")
    assert "Authorization: Bearer ****" in run.stdout, run
    assert re.search(r"\b520\b", run.summary), run


def test_vvv_with_token_from_env(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "-vvv", token=False),
                     env={"VSPC_TOKEN": TOKEN})
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert "Authorization: Bearer ****" in run.stdout, run


@pytest.mark.parametrize("env", [
    {"LC_ALL": "de_DE.UTF-8"},
    {"LC_ALL": None, "LANG": "de_DE.UTF-8", "LC_NUMERIC": "de_DE.UTF-8"},
], ids=["LC_ALL", "LC_NUMERIC"])
def test_perfdata_dot_decimal_under_german_locale(vspc, de_locale, env):
    env = dict(env, LOCPATH=de_locale)
    run = run_plugin(vspc.args(S.SEED_UID, "-w", "4.5", "-c", "@0.5:1.5"),
                     env=env)
    # 4.5 must be read as four and a half whatever the locale says
    assert_state(run, "WARNING")
    assert_measured(run, 5, "4.5", "@0.5:1.5")
    vspc.assert_one_exchange(run)
    assert "," not in run.first.partition("|")[2], run


def test_perfdata_dot_decimal_with_missing_locale(vspc):
    run = run_plugin(vspc.args(S.SEED_UID),
                     env={"LC_ALL": "de_DE.UTF-8", "LOCPATH": "/nonexistent"})
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert_measured(run, 5)


def test_time_perfdata_is_plausible(vspc):
    run = run_plugin(vspc.args())
    t = float(run.perf["time"].value)
    assert 0 <= t <= run.elapsed + 0.5, run


def test_summary_of_a_warning_keeps_the_count(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "-w", "10:"))
    assert_state(run, "WARNING")
    assert re.search(r"(?<![0-9.])5(?![0-9.])", run.summary), run
    assert "10:" in run.first

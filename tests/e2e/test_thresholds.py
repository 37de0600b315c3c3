"""Monitoring Plugins ranges on protectedVmCount, and how thresholds and
failed expectations combine.  The seed job protects 5 VMs."""

import pytest

import vspc_sim as S
from e2e_util import (assert_measured, assert_mismatch, assert_state,
                      checks_named, run_json, run_plugin)

# (warning, critical, expected state) for a count of 5.  None: not given.
CASES = [
    (None, None, "OK"),
    ("10:", None, "WARNING"),        # 5 < 10
    (None, "10:", "CRITICAL"),
    ("10:", "5:", "WARNING"),        # inside 5:, outside 10:
    ("10:", "10:", "CRITICAL"),      # worst wins
    ("5:", None, "OK"),              # start is inclusive
    ("6:", None, "WARNING"),
    ("5", None, "OK"),               # 0..5, end is inclusive
    ("4", None, "WARNING"),          # above 4
    ("0", None, "WARNING"),
    ("~:5", None, "OK"),
    ("~:4", None, "WARNING"),
    ("5:5", None, "OK"),
    (None, "6:6", "CRITICAL"),
    ("3:7", None, "OK"),
    ("6:7", None, "WARNING"),
    (None, "@5:5", "CRITICAL"),      # inside 5..5 alerts
    (None, "@6:10", "OK"),
    (None, "@0:4", "OK"),
    (None, "@~:5", "CRITICAL"),
    (None, "@5", "CRITICAL"),        # inside 0..5
    ("@4", "@3", "OK"),
    ("4.5", None, "WARNING"),        # decimals are valid range bounds
    ("5.5", None, "OK"),
    ("4.5:", None, "OK"),
    ("5.5:", None, "WARNING"),
    ("@4.5:5.5", None, "WARNING"),
    ("1:", "@6:", "OK"),
    ("@5:", "@6:", "WARNING"),
    ("10", "4", "CRITICAL"),
]


def _id(case):
    w, c, _ = case
    return "w=%s,c=%s" % (w, c)


@pytest.mark.parametrize("warn,crit,state", CASES, ids=[_id(c) for c in CASES])
def test_ranges_on_seed_job(vspc, warn, crit, state):
    extra = []
    if warn is not None:
        extra += ["-w", warn]
    if crit is not None:
        extra += ["-c", crit]
    run = run_plugin(vspc.args(S.SEED_UID, *extra))
    assert_state(run, state)
    assert_measured(run, 5, warn or "", crit or "")
    vspc.assert_one_exchange(run)
    # the result tree: one sub-check for the count, in the state of the run
    _, tree = run_json(vspc.args(S.SEED_UID, *extra))
    (count,) = checks_named(tree, "protectedVmCount")
    assert (tree["state"], count["state"]) == (state, state), tree
    assert count["text"] == "protectedVmCount 5 (warning %s, critical %s)" % (
        warn or "none", crit or "none"), count


def test_long_options_and_equals_form(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "--warning=10:",
                               "--critical=@5:5"))
    assert_state(run, "CRITICAL")
    assert_measured(run, 5, "10:", "@5:5")


def test_threshold_on_other_counts(vspc):
    uid = vspc.job(protected=2147483647)  # the int32 maximum is a count
    run = run_plugin(vspc.args(uid, "-w", "~:100", "-c", "~:2147483646"))
    assert_state(run, "CRITICAL")
    assert_measured(run, 2147483647, "~:100", "~:2147483646")
    run = run_plugin(vspc.args(uid, "-c", "~:2147483647"))
    assert_state(run, "OK")


# --- thresholds and expectations together ------------------------------------

def test_mismatch_is_warning_by_default(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "--wan=yes"))
    assert_state(run, "WARNING")
    assert_mismatch(run.first, "throughWanAccelerators", "true", "false")
    assert_measured(run, 5)


def test_mismatch_state_critical(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "--wan=yes",
                               "--mismatch-state=critical"))
    assert_state(run, "CRITICAL")
    assert_mismatch(run.first, "throughWanAccelerators", "true", "false")


def test_mismatch_state_warning_explicit(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "--wan=yes",
                               "--mismatch-state=warning"))
    assert_state(run, "WARNING")


def test_critical_threshold_beats_warning_mismatch(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "--wan=yes", "-c", "10:"))
    assert_state(run, "CRITICAL")
    assert "throughWanAccelerators" in run.stdout
    assert_measured(run, 5, "", "10:")


def test_critical_mismatch_beats_warning_threshold(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "--cloud=yes", "-w", "10:",
                               "--mismatch-state=critical"))
    assert_state(run, "CRITICAL")
    assert "isCloudJob" in run.stdout


def test_warning_threshold_and_warning_mismatch(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "--cloud=yes", "-w", "10:"))
    assert_state(run, "WARNING")
    assert "isCloudJob" in run.stdout


def test_thresholds_met_but_mismatch(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "--source-wan=none", "-w", "1:",
                               "-c", "1:"))
    assert_state(run, "WARNING")
    assert_mismatch(run.first, "sourceWanAcceleratorUid", "none",
                    S.SEED_SOURCE_WAN)

"""--wan, --cloud, --source-wan, --target-wan, --cloud-host, --target-host:
each failed expectation names the API field, the expected and the actual
value."""

import pytest

import vspc_sim as S
from e2e_util import (assert_measured, assert_mismatch, assert_state,
                      checks_named, run_json, run_plugin)

OTHER = "abcdef01-2345-4678-9abc-def012345678"
NULL = "(?:none|null)"

# (job, option, field, expected as shown, actual as shown)
MISMATCHES = [
    (S.SEED_UID, "--wan=yes", "throughWanAccelerators", "true", "false"),
    (S.WAN_UID, "--wan=no", "throughWanAccelerators", "false", "true"),
    (S.SEED_UID, "--cloud=yes", "isCloudJob", "true", "false"),
    (S.CLOUD_UID, "--cloud=no", "isCloudJob", "false", "true"),
    (S.SEED_UID, "--source-wan=none", "sourceWanAcceleratorUid", "none",
     S.SEED_SOURCE_WAN),
    (S.SEED_UID, "--source-wan=" + OTHER, "sourceWanAcceleratorUid", OTHER,
     S.SEED_SOURCE_WAN),
    (S.CLOUD_UID, "--source-wan=" + OTHER, "sourceWanAcceleratorUid", OTHER,
     NULL),
    (S.SEED_UID, "--target-wan=none", "targetWanAcceleratorUid", "none",
     S.SEED_TARGET_WAN),
    (S.CLOUD_UID, "--target-wan=" + OTHER, "targetWanAcceleratorUid", OTHER,
     NULL),
    (S.SEED_UID, "--cloud-host=" + OTHER, "cloudHostUid", OTHER, NULL),
    (S.CLOUD_UID, "--cloud-host=none", "cloudHostUid", "none", S.CLOUD_HOST),
    (S.CLOUD_UID, "--cloud-host=" + OTHER, "cloudHostUid", OTHER,
     S.CLOUD_HOST),
    (S.SEED_UID, "--target-host=" + OTHER, "targetHostUid", OTHER,
     S.SEED_TARGET_HOST),
    (S.SEED_UID, "--target-host=" + S.ZERO_UUID, "targetHostUid",
     S.ZERO_UUID, S.SEED_TARGET_HOST),
    (S.CLOUD_UID, "--target-host=" + S.SEED_TARGET_HOST, "targetHostUid",
     S.SEED_TARGET_HOST, S.ZERO_UUID),
]


JOB_NAMES = {S.SEED_UID: "seed", S.CLOUD_UID: "cloud", S.WAN_UID: "wan"}


@pytest.mark.parametrize(
    "job,option,field,expected,actual", MISMATCHES,
    ids=["%02d-%s-%s" % (i, JOB_NAMES[m[0]], m[1].lstrip("-").split("=")[0])
         for i, m in enumerate(MISMATCHES)])
def test_single_mismatch(vspc, job, option, field, expected, actual):
    run = run_plugin(vspc.args(job, option))
    assert_state(run, "WARNING")
    assert_mismatch(run.first, field, expected, actual)
    assert "protected_vms" in run.perf
    vspc.assert_one_exchange(run)
    # the tree: the expectation's sub-check alone is WARNING
    _, tree = run_json(vspc.args(job, option))
    states = {c["name"]: c["state"] for c in tree["checks"]}
    assert states == {"protectedVmCount": "OK", field: "WARNING"}, tree


@pytest.mark.parametrize("job,options", [
    (S.SEED_UID, ["--source-wan=" + S.SEED_SOURCE_WAN.upper()]),
    (S.CLOUD_UID, ["--source-wan=none", "--target-wan=none",
                   "--cloud-host=" + S.CLOUD_HOST]),
    (S.CLOUD_UID, ["--target-host=" + S.ZERO_UUID, "--cloud=yes"]),
    (S.WAN_UID, ["--wan=yes", "--source-wan=" + S.WAN_SOURCE_WAN]),
    (S.SEED_UID, ["--cloud-host=none", "--wan=no", "--cloud=no"]),
], ids=["uppercase-uid", "cloud-nulls", "cloud-target", "wan", "seed-nulls"])
def test_met_expectations(vspc, job, options):
    run = run_plugin(vspc.args(job, *options))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert "protected_vms" in run.perf
    _, tree = run_json(vspc.args(job, *options))
    assert [c["state"] for c in tree["checks"]] == ["OK"] * (1 + len(options))
    assert len(checks_named(tree, "protectedVmCount")) == 1


def test_several_mismatches_are_all_named(vspc):
    run = run_plugin(vspc.args(S.SEED_UID, "--wan=yes", "--cloud=yes",
                               "--cloud-host=" + OTHER,
                               "--target-wan=none"))
    assert_state(run, "WARNING")
    for field in ("throughWanAccelerators", "isCloudJob", "cloudHostUid",
                  "targetWanAcceleratorUid"):
        assert field in run.stdout, (field, run)
    assert_measured(run, 5)


def test_several_mismatches_critical(vspc):
    run = run_plugin(vspc.args(S.CLOUD_UID, "--wan=yes", "--cloud=no",
                               "--mismatch-state=critical"))
    assert_state(run, "CRITICAL")
    for field in ("throughWanAccelerators", "isCloudJob"):
        assert field in run.stdout, (field, run)


def test_mismatch_with_server_text_is_sanitised(vspc):
    # An actual value with a '|' and a line break must not break the status
    # line or inject perfdata or lines.
    evil = "x|evil=1;;;; \r\nVSPC REPLICATION OK - injected"
    uid = vspc.job(target_host=evil)
    run = run_plugin(vspc.args(uid, "--target-host=" + OTHER))
    assert run.state in ("WARNING", "UNKNOWN"), run
    assert "evil" not in run.perf
    assert not any(line.startswith("VSPC REPLICATION OK")
                   for line in run.lines), run
    assert sum(1 for line in run.lines
               if line.startswith("VSPC REPLICATION")) == 1, run

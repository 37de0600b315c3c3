"""CDP replication policies end to end: finding the kind of a job, the SLA,
delay, error and RPO rules, their perfdata, nulls and broken fields, the
usage errors of options of the other kind, --all and --list over both
kinds, and the result tree (--output-format=test-json) they produce."""

import json
import uuid

import pytest

import vspc_sim as S
from e2e_util import (assert_state, checks_named, run_json, run_plugin)
from health_util import assert_fleet, fleet_expectation

KINDS_PATHS = {"vm": "/replicationVmJobs", "cdp": "/cdpReplicationJobs"}


def cdp_spec(name="CDP policy", **kw):
    spec = {"uid": str(uuid.uuid4()), "name": name, "status": "Success",
            "end_age": 60, "kind": "cdp"}
    spec.update(kw)
    return spec


@pytest.fixture
def cdp(vspc, fleet):
    """cdp(**spec) -> UID of a CDP policy the simulator serves (its
    collection, single endpoint and BackupServerJob); the built-in jobs and
    policies stay."""
    made = []

    def make(**kw):
        spec = cdp_spec(**kw)
        made.append(spec)
        default = S.default_fleet()
        fleet({"jobs": default["jobs"],
               "cdp_jobs": default["cdp_jobs"] + made})
        return spec["uid"]
    return make


def paths(vspc):
    return [r["path"] for r in vspc.requests()]


# --- finding the kind ------------------------------------------------------

def test_cdp_policy_with_job_status_costs_two_requests(vspc, cdp):
    uid = cdp(name="CDP SQL")
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "OK")
    assert "'CDP SQL' (%s) last session Success" % uid in run.summary, run
    assert "SLA 100%, max delay 4s, 0 sync errors in the last period" in \
        run.summary, run
    vspc.assert_one_exchange(run, requests=2)
    p = paths(vspc)
    assert p[0].endswith("/replicationVmJobs/" + uid), p
    assert p[1].endswith("/jobs/cdpReplicationJobs"), p
    q = vspc.requests()[1]["params"]
    assert q["expand"] == ["BackupServerJob"]
    assert json.loads(q["filter"][0]) == [
        {"property": "instanceUid", "operation": "equals", "value": uid}]


def test_cdp_policy_without_job_status_costs_two_requests(vspc, cdp):
    uid = cdp(name="CDP files")
    run = run_plugin(vspc.args(uid))
    assert_state(run, "OK")
    assert "SLA 100%" in run.summary, run
    vspc.assert_one_exchange(run, requests=2)
    assert paths(vspc)[1].endswith("/cdpReplicationJobs/" + uid)


@pytest.mark.parametrize("status", [True, False])
def test_kind_cdp_saves_the_probe(vspc, cdp, status):
    uid = cdp(name="CDP direct")
    args = vspc.hargs(uid, "--kind=cdp") if status else \
        vspc.args(uid, "--kind=cdp")
    run = run_plugin(args)
    assert_state(run, "OK")
    vspc.assert_one_exchange(run, requests=1)
    assert "cdpReplicationJobs" in paths(vspc)[0]


def test_vm_job_costs_what_it_did(vspc):
    run = run_plugin(vspc.hargs(S.SEED_UID))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run, requests=2)
    vspc.restart_records()
    run = run_plugin(vspc.args(S.SEED_UID))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run, requests=1)


def test_unknown_uid_is_critical_after_probing(vspc):
    uid = "deadbeef-0000-4000-8000-00000000c0de"
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "CRITICAL")
    assert uid in run.summary and "not found" in run.summary, run
    assert "no VM replication job or CDP policy" in run.summary, run
    assert S.MSG_JOB_MISSING in run.summary, run
    assert len(vspc.requests()) == 3


def test_kind_cdp_unknown_uid_is_critical(vspc):
    uid = "deadbeef-0000-4000-8000-00000000c0d1"
    run = run_plugin(vspc.hargs(uid, "--kind=cdp"))
    assert_state(run, "CRITICAL")
    assert "CDP policy %s not found" % uid in run.summary, run
    assert len(vspc.requests()) == 1


def test_job_of_another_kind_is_unknown_naming_its_type(vspc):
    uid = str(uuid.uuid4())
    vspc.set_bsjob(uid, {"job": {"uid": uid, "name": "Nightly backup",
                                 "type": "BackupVm"}})
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "UNKNOWN")
    assert "is a BackupVm job" in run.summary, run
    assert len(vspc.requests()) == 3


# --- the rules -------------------------------------------------------------

RULES = [
    ({}, ["--sla-critical=90:"], "OK", "sla", "OK"),
    ({"last_period": {"sla": 95}}, ["--sla-warning=99:", "--sla-critical=90:"],
     "WARNING", "sla", "WARNING"),
    ({"last_period": {"sla": 60}}, ["--sla-critical=90:"], "CRITICAL", "sla",
     "CRITICAL"),
    ({"last_period": {"maxDelay": 400}}, ["--max-delay-warning=5m"],
     "WARNING", "maxDelay", "WARNING"),
    ({"last_period": {"maxDelay": 4000}},
     ["--max-delay-warning=5m", "--max-delay-critical=1h"], "CRITICAL",
     "maxDelay", "CRITICAL"),
    ({"last_period": {"errorsCount": 2}}, ["--errors-warning=0"], "WARNING",
     "errorsCount", "WARNING"),
    ({"last_period": {"errorsCount": 2}}, ["--errors-critical=1"], "CRITICAL",
     "errorsCount", "CRITICAL"),
    ({"rpo": 1, "rpo_unit": "Minutes"}, ["--rpo=60s"], "OK", "rpo", "OK"),
    ({"rpo": 30}, ["--rpo=15s"], "WARNING", "rpo", "WARNING"),
    ({"rpo": 30}, ["--rpo=15s", "--mismatch-state=critical"], "CRITICAL",
     "rpo", "CRITICAL"),
]


@pytest.mark.parametrize("spec,options,state,check,check_state", RULES)
def test_rules(vspc, cdp, spec, options, state, check, check_state):
    uid = cdp(**spec)
    run, tree = run_json(vspc.hargs(uid, *options))
    assert tree["state"] == state, tree
    (node,) = checks_named(tree, check)
    assert node["state"] == check_state, tree
    # the text form says the same
    text = run_plugin(vspc.hargs(uid, *options))
    assert_state(text, state)


NULLS = [
    ({"last_period": {"sla": None}}, ["--sla-critical=90:"], "sla",
     "VSPC reports no SLA for the last period"),
    ({"last_period": {"maxDelay": None}}, ["--max-delay-warning=1m"],
     "maxDelay", "VSPC reports no max delay for the last period"),
    ({"last_period": None}, ["--sla-critical=90:", "--errors-warning=0"],
     "lastPeriod", "VSPC reports no figures for the last period"),
]


@pytest.mark.parametrize("spec,options,check,says", NULLS)
@pytest.mark.parametrize("never", [None, "critical", "ok"])
def test_no_figure_is_the_never_run_state(vspc, cdp, spec, options, check,
                                          says, never):
    uid = cdp(**spec)
    extra = ["--never-run-state=" + never] if never else []
    run, tree = run_json(vspc.hargs(uid, *options, *extra))
    want = (never or "warning").upper()
    assert tree["state"] == want, tree
    (node,) = checks_named(tree, check)
    assert node["state"] == want and node["text"] == says, tree
    assert says in tree["summary"], tree


BROKEN = [
    ({"cdp_omit": ["lastPeriod"]}, ["--sla-critical=90:"],
     "lastPeriod is missing"),
    ({"last_period": {"sla": "100"}}, ["--sla-critical=90:"],
     "lastPeriod.sla is string"),
    ({"cdp_extra": {"lastPeriod": [1, 2]}}, ["--errors-warning=0"],
     "lastPeriod is array"),
    ({"rpo_unit": "Fortnights"}, ["--rpo=15s"],
     "rpoUnit 'Fortnights' is not a unit of time"),
    ({"rpo_unit": "Unknown"}, ["--rpo=15s"], "rpoUnit 'Unknown'"),
    ({"cdp_extra": {"rpo": "15"}}, ["--rpo=15s"], "rpo is string"),
]


@pytest.mark.parametrize("spec,options,says", BROKEN)
def test_broken_fields_a_rule_needs_are_unknown(vspc, cdp, spec, options,
                                                says):
    uid = cdp(**spec)
    run = run_plugin(vspc.hargs(uid, *options))
    assert_state(run, "UNKNOWN")
    assert says in run.summary, run


@pytest.mark.parametrize("spec", [s for s, _, _ in BROKEN])
def test_broken_fields_no_rule_needs_are_ignored(vspc, cdp, spec):
    uid = cdp(**spec)
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "OK")


def test_builtin_policy_without_sla(vspc):
    run = run_plugin(vspc.hargs(S.CDP_NO_SLA_UID, "--sla-critical=90:"))
    assert_state(run, "WARNING")
    assert "VSPC reports no SLA for the last period" in run.summary, run


# --- perfdata --------------------------------------------------------------

def test_perfdata(vspc, cdp):
    uid = cdp(last_period={"sla": 97, "maxDelay": 12, "errorsCount": 1,
                           "warningCount": 3, "successCount": 1400,
                           "syncInterval": 15, "totalData": 12345})
    run = run_plugin(vspc.hargs(uid, "--sla-warning=99:", "--sla-critical=90:",
                                "--max-delay-warning=1m",
                                "--max-delay-critical=5m",
                                "--errors-critical=5"))
    assert_state(run, "WARNING")
    p = run.perf
    assert (p["sla"].value, p["sla"].uom, p["sla"].warn, p["sla"].crit,
            p["sla"].min, p["sla"].max) == ("97", "%", "99:", "90:", "0", "100")
    assert (p["max_delay"].value, p["max_delay"].uom, p["max_delay"].warn,
            p["max_delay"].crit) == ("12", "s", "60", "300")
    assert (p["sessions_success"].value, p["sessions_warning"].value,
            p["sessions_error"].value) == ("1400", "3", "1")
    assert p["sessions_error"].crit == "5"
    assert (p["sync_interval"].value, p["sync_interval"].uom) == ("15", "s")
    assert (p["total_data"].value, p["total_data"].uom) == ("12345", "KB")
    for label in ("last_run_age", "last_duration", "time"):
        assert label in p, run
    assert "protected_vms" not in p, run


def test_perfdata_leaves_out_what_is_not_known(vspc, cdp):
    uid = cdp(last_period={"sla": None, "maxDelay": None, "totalData": None})
    run = run_plugin(vspc.hargs(uid))
    assert_state(run, "OK")
    for label in ("sla", "max_delay", "total_data"):
        assert label not in run.perf, run
    assert "sessions_success" in run.perf, run


# --- options of the other kind ----------------------------------------------

@pytest.mark.parametrize("option", ["-w", "-c"])
def test_vm_threshold_on_a_cdp_policy_is_a_usage_error(vspc, cdp, option):
    uid = cdp()
    run = run_plugin(vspc.hargs(uid, option, "1:"))
    assert_state(run, "UNKNOWN")
    assert "does not apply to job %s" % uid in run.summary, run
    assert "CDP policy" in run.summary, run


@pytest.mark.parametrize("option", ["--wan=yes", "--target-host=" +
                                    S.ZERO_UUID])
def test_vm_expectation_on_a_cdp_policy_is_a_usage_error(vspc, cdp, option):
    run = run_plugin(vspc.hargs(cdp(), option))
    assert_state(run, "UNKNOWN")
    assert option.split("=")[0] in run.summary, run


@pytest.mark.parametrize("option", ["--sla-critical=90:", "--rpo=15s",
                                    "--max-delay-warning=1m",
                                    "--errors-warning=0"])
def test_cdp_option_on_a_vm_job_is_a_usage_error(vspc, option):
    run = run_plugin(vspc.hargs(S.SEED_UID, option))
    assert_state(run, "UNKNOWN")
    assert option.split("=")[0] in run.summary, run
    assert "VM replication job" in run.summary, run


def test_kind_given_checks_options_before_any_request(vspc):
    run = run_plugin(vspc.hargs(S.SEED_UID, "--kind=vm", "--sla-warning=95:"))
    assert_state(run, "UNKNOWN")
    assert "--sla-warning" in run.summary, run
    vspc.assert_no_traffic(run)


# --- --all and --list over both kinds ---------------------------------------

def cdp_fleet_specs(n, seed):
    return [cdp_spec("CDP %03d" % i, last_period={"sla": 100 - (i % 5) * 10})
            for i in range(n)]


def test_all_covers_both_kinds(vspc, fleet):
    vm = [{"uid": str(uuid.uuid4()), "name": "VM %d" % i} for i in range(3)]
    cdps = cdp_fleet_specs(6, 1)
    fleet({"jobs": vm, "cdp_jobs": cdps})
    run, tree = run_json(vspc.fargs("--sla-critical=75:", "-c", "1:"))
    jobs = checks_named(tree, "job")
    assert sorted(j["kind"] for j in jobs) == ["cdp"] * 6 + ["vm"] * 3
    by_id = {j["id"]: j for j in jobs}
    for sp in cdps:
        sla = sp["last_period"]["sla"]
        want = "CRITICAL" if sla < 75 else "OK"
        assert by_id[sp["uid"]]["state"] == want, (sp, by_id[sp["uid"]])
    for sp in vm:
        assert by_id[sp["uid"]]["state"] == "OK"
        # -c applies to VM jobs only: it names protectedVmCount there
        assert [c["name"] for c in by_id[sp["uid"]]["checks"]][0] == \
            "protectedVmCount"
    assert tree["state"] == "CRITICAL"
    text = run_plugin(vspc.fargs("--sla-critical=75:", "-c", "1:"))
    critical = sum(1 for sp in cdps if sp["last_period"]["sla"] < 75)
    assert critical == 2
    assert text.summary.startswith("9 jobs: %d critical, 0 warning, 0 unknown, "
                                   "%d ok" % (critical, 9 - critical)), text
    kinds = [r["path"] for r in vspc.requests() if r["endpoint"] ==
             "collection"]
    assert any(p.endswith("/replicationVmJobs") for p in kinds)
    assert any(p.endswith("/cdpReplicationJobs") for p in kinds)


@pytest.mark.parametrize("kind,n", [("vm", 3), ("cdp", 6)])
def test_kind_limits_the_fleet(vspc, fleet, kind, n):
    vm = [{"uid": str(uuid.uuid4()), "name": "VM %d" % i} for i in range(3)]
    fleet({"jobs": vm, "cdp_jobs": cdp_fleet_specs(6, 2)})
    run = run_plugin(vspc.fargs("--kind=" + kind))
    assert run.summary.startswith("%d jobs:" % n), run
    seen = {r["path"].rsplit("/", 1)[1] for r in vspc.requests()}
    assert seen == {KINDS_PATHS[kind][1:]}, seen


def test_list_shows_the_kind(vspc, fleet):
    vm = [{"uid": str(uuid.uuid4()), "name": "VM one"}]
    cdps = [cdp_spec("CDP one", last_period={"sla": 87})]
    fleet({"jobs": vm, "cdp_jobs": cdps})
    run = run_plugin(vspc.largs(), status_line=False)
    assert run.rc == 0, run
    header, *rows = run.lines
    assert header.split()[:2] == ["UID", "KIND"], header
    kinds = {r.split()[0]: r.split()[1] for r in rows}
    assert kinds == {vm[0]["uid"]: "vm", cdps[0]["uid"]: "cdp"}, run
    cdp_row = [r for r in rows if r.startswith(cdps[0]["uid"])][0]
    assert " 87% " in cdp_row, cdp_row
    run = run_plugin(vspc.largs(fmt="json"), status_line=False)
    objs = [json.loads(line) for line in run.lines]
    assert {o["instanceUid"]: o["kind"] for o in objs} == \
        {vm[0]["uid"]: "vm", cdps[0]["uid"]: "cdp"}
    cdp_obj = [o for o in objs if o["kind"] == "cdp"][0]
    assert (cdp_obj["sla"], cdp_obj["maxDelay"], cdp_obj["protectedVmCount"]) \
        == (87, 4, None)


def test_list_kind_cdp(vspc, fleet):
    fleet({"jobs": [{"uid": str(uuid.uuid4()), "name": "VM"}],
           "cdp_jobs": cdp_fleet_specs(4, 3)})
    run = run_plugin(vspc.largs("--kind=cdp", fmt="json"), status_line=False)
    assert [json.loads(x)["kind"] for x in run.lines] == ["cdp"] * 4


def test_fleet_expectation_counts_cdp(vspc, fleet):
    # the generated CDP fleet: the count comes out right page after page
    f = fleet({"cdp_count": 1234, "cdp_seed": 5})
    run = run_plugin(vspc.fargs("--kind=cdp"))
    assert run.summary.startswith("1234 jobs:"), run
    pages = [r for r in vspc.requests() if r["endpoint"] == "collection"]
    assert [int(r["params"]["offset"][0]) for r in pages] == [0, 500, 1000]
    assert f is not None


# --- the tree ----------------------------------------------------------------

def test_tree_of_a_single_vm_job(vspc):
    run, tree = run_json(vspc.hargs(S.SEED_UID, "-c", "10:", "--wan=no"))
    assert tree["state"] == "CRITICAL"
    names = [c["name"] for c in tree["checks"]]
    assert names[:2] == ["protectedVmCount", "throughWanAccelerators"], names
    assert "status" in names and "isEnabled" not in names, names
    (count,) = checks_named(tree, "protectedVmCount")
    assert count["state"] == "CRITICAL"
    assert count["text"].startswith("protectedVmCount 5 ("), count
    assert "protected_vms=5;;10:;0;" in tree["perfdata"], tree


def test_tree_state_is_the_worst_check(vspc):
    uid = vspc.health(name="Replica off", enabled=False, status="Warning")
    run, tree = run_json(vspc.hargs(uid, "--disabled-state=critical"))
    states = {c["name"]: c["state"] for c in tree["checks"]}
    assert states["status"] == "WARNING" and states["isEnabled"] == "CRITICAL"
    assert tree["state"] == "CRITICAL"


# --- API 3.5: instanceUid is the VSPC UID ------------------------------------

@pytest.mark.parametrize("status", [True, False])
def test_cdp_policy_under_api_35(view_for, status):
    # a filter on instanceUid cannot find the B&R UID under 3.5: the policy
    # and its BackupServerJob are asked for one by one, and matched by
    # originalUid
    v = view_for("8.1")
    spec = cdp_spec("CDP under 3.5", last_period={"sla": 93})
    v.sim.set_fleet({"cdp_jobs": [spec]})
    v.sim.set_cdp_job(spec)
    args = v.hargs(spec["uid"], "--api-version=3.5", "--sla-critical=95:") \
        if status else v.args(spec["uid"], "--api-version=3.5",
                              "--sla-critical=95:")
    run = run_plugin(args)
    assert_state(run, "CRITICAL")
    assert "SLA 93% is outside the critical range 95:" in run.summary, run
    if status:
        assert "last session Success" in run.summary, run
    paths = [r["path"] for r in v.requests()]
    assert all("filter" not in r["query"] for r in v.requests()), paths
    assert len(paths) == (3 if status else 2), paths

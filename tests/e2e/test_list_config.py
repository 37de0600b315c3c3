"""--list=icinga2, --list=icinga2-array and --list=nagios: monitoring
configuration with one service per job, printed as the walk goes.

Each listing is read back strictly (tests/e2e/listing_util.py) and its
service names compared with a model of the documented rules; the engine
tests give the same output to the real Icinga 2 and Nagios."""

import json
import os
import subprocess
import uuid

import pytest

import vspc_sim as S
import e2e_util as U
from conftest import write_secret
from e2e_util import run_plugin
from health_util import ORG_B, spec
from listing_util import (NAGIOS_ILLEGAL, expected_names, nagios_clean,
                          read_array, read_icinga2, read_nagios, walk_order)

FORMS = ["icinga2", "icinga2-array", "nagios"]
NAMED_FORMS = ["icinga2", "nagios"]
HOST = "127.0.0.1"


def cdp(name, **kw):
    kw.setdefault("uid", str(uuid.uuid4()))
    kw.update(name=name, kind="cdp")
    kw.setdefault("status", "Success")
    return kw


def mixed_fleet():
    vm = [spec("Replica SQL", protected=4), spec("Replica Files"),
          spec("Replica cloud", cloud=True)]
    cdps = [cdp("CDP SQL cluster"), cdp("CDP Exchange")]
    return vm, cdps


def read(form, run):
    if form == "icinga2":
        return read_icinga2(run.stdout)
    if form == "nagios":
        return read_nagios(run.stdout)
    return read_array(run.stdout)


def listed(vspc, form, *extra):
    """A listing that worked: exit 0, no status line, read back."""
    run = run_plugin(vspc.largs(*extra, fmt=form), status_line=False)
    assert run.rc == 0, run
    assert not any(l.startswith("VSPC REPLICATION") for l in run.lines), run
    lst = read(form, run)
    if form != "icinga2-array":
        assert lst.complete() and lst.rest == [], run
    return run, lst


def assert_names(lst, form, specs, counts=None):
    """The listing's entries are the specs' jobs in walk order, with the
    service names of the model and a note before each suffixed one."""
    want = expected_names(specs, form)
    got = [(uid, kind, key, note) for key, uid, kind, note in lst.entries]
    assert got == want, "\n".join("%r\n%r" % (g, w) for g, w in
                                  zip(got, want) if g != w) or (got, want)
    assert len(set(lst.keys())) == len(lst.keys())
    assert lst.footer == len(specs)
    n_cdp = sum(1 for sp in specs if sp.get("kind") == "cdp")
    assert lst.counts == (counts or {"vm": len(specs) - n_cdp, "cdp": n_cdp})


# --- every form, both kinds ------------------------------------------------

@pytest.mark.parametrize("form", NAMED_FORMS)
def test_named_forms_list_every_job_of_both_kinds(vspc, fleet, form):
    vm, cdps = mixed_fleet()
    fleet({"jobs": vm, "cdp_jobs": cdps})
    run, lst = listed(vspc, form)
    assert_names(lst, form, vm + cdps)
    if form == "icinga2":
        assert lst.name == "vspc-replication-jobs-" + HOST
    else:
        assert lst.group == "vspc-replication-" + HOST
        for svc in lst.services:
            kind = svc["_VSPC_KIND"]
            assert svc["use"] == "vspc-replication-%s-job" % kind, svc
            assert svc["host_name"] == HOST, svc
            assert svc["servicegroups"] == lst.group, svc
            assert nagios_clean(svc["service_description"]), svc


def test_array_form_lists_the_uids_per_kind(vspc, fleet):
    vm, cdps = mixed_fleet()
    fleet({"jobs": vm, "cdp_jobs": cdps})
    run, arrays = listed(vspc, "icinga2-array")
    assert list(json.loads(run.stdout)) == [
        "vars.vspc_replication_vm_jobs", "vars.vspc_replication_cdp_jobs"]
    assert arrays == {
        "vm": [sp["uid"] for sp in walk_order(vm)],
        "cdp": [sp["uid"] for sp in walk_order(cdps)]}, run


@pytest.mark.parametrize("kind", ["vm", "cdp"])
def test_array_form_has_only_the_kinds_walked(vspc, fleet, kind):
    vm, cdps = mixed_fleet()
    fleet({"jobs": vm, "cdp_jobs": cdps})
    run, arrays = listed(vspc, "icinga2-array", "--kind=" + kind)
    assert arrays == {kind: [sp["uid"] for sp in
                             walk_order(vm if kind == "vm" else cdps)]}, run


@pytest.mark.parametrize("form", FORMS)
def test_empty_fleet_is_a_complete_empty_configuration(vspc, fleet, form):
    fleet({"jobs": []})
    run, lst = listed(vspc, form)
    if form == "icinga2-array":
        # empty arrays: the variables are emptied, the services go
        assert lst == {"vm": [], "cdp": []}, run
    else:
        assert lst.entries == [] and lst.footer == 0, run
        assert lst.counts == {"vm": 0, "cdp": 0}, run


# --- names -----------------------------------------------------------------

HOSTILE = [
    'He said "hi"',
    "C:\\Backups\\SQL\\",
    "trailing backslash\\",
    "two\r\nlines",
    "lone\nnewline",
    "tab\there",
    "bell\x07 escape\x1b[31m red\x1b[0m",
    "NUL \x00 in the middle",
    "\x017 digits after a control byte 123",
    "$USER1$ and $host.name$ and $$",
    "semi;colon ; comment",
    "# not a comment",
    "define service {",
    "}",
    "null",
    "+additive",
    "a!b (with) <all> `the` ~illegal, chars? & more | 'quotes' = %^*",
    "  padded with spaces  ",
    "R\u00e9plica \u65e5\u672c \U0001f600 \u00fc\u00f1\u00ef",
    "/* comment */ // too",
    "\u2028line separator",
    "x" * 300,
    "\u65e5" * 100,
    "",
    "   ",
    None,
]


@pytest.mark.parametrize("form", NAMED_FORMS)
def test_names_that_need_escaping(vspc, fleet, form):
    vm = [spec(n, protected=i) for i, n in enumerate(HOSTILE)]
    cdps = [cdp(n) for n in HOSTILE[:6]]
    fleet({"jobs": vm, "cdp_jobs": cdps})
    run, lst = listed(vspc, form)
    assert_names(lst, form, vm + cdps)
    if form == "nagios":
        for svc in lst.services:
            for value in svc.values():
                assert nagios_clean(value), svc
        # the name that was illegal characters only is not empty
        assert all(k for k in lst.keys()), lst.keys()
    else:
        # Icinga 2 keeps quotes, backslashes, $ and the rest exactly
        keys = set(lst.keys())
        for n in HOSTILE[:3] + HOSTILE[9:12]:
            assert n in keys, (n, keys)


@pytest.mark.parametrize("form", NAMED_FORMS)
def test_long_names_are_cut_at_a_character(vspc, fleet, form):
    vm = [spec("N" * 254 + "\u00e9"), spec("\U0001f600" * 70)]
    fleet({"jobs": vm})
    run, lst = listed(vspc, form)
    assert_names(lst, form, vm)
    for key in lst.keys():
        assert len(key.encode()) <= 255 and "\ufffd" not in key, key


# --- duplicates ------------------------------------------------------------

@pytest.mark.parametrize("form", NAMED_FORMS)
def test_duplicate_names_get_their_uid(vspc, fleet, form):
    a, b, c = (spec("SQL", uid="%s-0000-4000-8000-000000000000" % p)
               for p in ("aaaaaaaa", "bbbbbbbb", "cccccccc"))
    # a job literally named as b's suffixed name, and a CDP policy
    # named like the VM jobs: one namespace per host
    literal = spec("SQL [bbbbbbbb]",
                   uid="00000000-0000-4000-8000-000000000000")
    policy = cdp("SQL", uid="dddddddd-0000-4000-8000-000000000000")
    # names that only meet after the language's rules
    d1 = spec("a;b", uid="eeeeeeee-0000-4000-8000-000000000001")
    d2 = spec("a!b", uid="eeeeeeee-0000-4000-8000-000000000002")
    d3 = spec("a b ", uid="eeeeeeee-0000-4000-8000-000000000003")
    d4 = spec("a\nb", uid="eeeeeeee-0000-4000-8000-000000000004")
    specs = [c, a, b, literal, d1, d2, d3, d4, policy]
    fleet({"jobs": specs[:-1], "cdp_jobs": [policy]})
    run, lst = listed(vspc, form)
    assert_names(lst, form, specs)
    keys = dict((uid, key) for key, uid, _, _ in lst.entries)
    assert keys[a["uid"]] == "SQL"
    assert keys[b["uid"]] == "SQL [bbbbbbbb] #2"
    assert keys[c["uid"]] == "SQL [cccccccc]"
    assert keys[policy["uid"]] == "SQL [dddddddd]"
    assert keys[literal["uid"]] == "SQL [bbbbbbbb]"
    notes = [e for e in lst.entries if e[3]]
    # Nagios also meets a;b with a!b and "a b " with "a\nb"
    assert len(notes) == (5 if form == "nagios" else 3), lst.entries


@pytest.mark.parametrize("form", NAMED_FORMS)
def test_names_are_stable_between_runs(vspc, fleet, form):
    f = fleet({"count": 40, "seed": 7, "cdp_count": 5,
               "jobs": [spec("Replica 00003 File"), spec("Replica 00003 File")]})
    first = listed(vspc, form)[1]
    second = listed(vspc, form)[1]
    assert first.entries == second.entries
    assert len(set(first.keys())) == 47
    assert len(first.entries) == 47, f


# --- filters and large fleets ----------------------------------------------

@pytest.mark.parametrize("form", FORMS)
def test_filters_pick_the_jobs(vspc, fleet, form):
    f = fleet({"count": 600, "seed": 41})
    mine = [sp for sp in f.specs()
            if (sp["org"] == ORG_B or sp["mapped_org"] == ORG_B)
            and sp["name"].endswith(" SQL")]
    assert mine
    run, lst = listed(vspc, form, "--organization=" + ORG_B, "--name=*SQL")
    if form == "icinga2-array":
        assert lst["vm"] == [sp["uid"] for sp in walk_order(mine)], run
    else:
        assert_names(lst, form, mine, counts={"vm": len(mine), "cdp": 0})


@pytest.mark.parametrize("form", NAMED_FORMS)
def test_every_page_of_a_large_fleet(vspc, fleet, form):
    f = fleet({"count": 1234, "seed": 40, "cdp_count": 3})
    specs = list(f.specs()) + list(f.cdp_specs())
    run, lst = listed(vspc, form)
    assert_names(lst, form, specs)


# --- a listing that fails is never a complete configuration ----------------

def assert_failed(run, form):
    """Exit 3, the UNKNOWN status line last, and nothing a reader would
    take for a complete configuration."""
    assert run.rc == 3, run
    status = [l for l in run.lines if l.startswith("VSPC REPLICATION")]
    assert len(status) == 1 and run.lines[-1] == status[0], run
    assert status[0].startswith("VSPC REPLICATION UNKNOWN - "), run
    assert "complete:" not in run.stdout, run
    if form == "icinga2-array":
        with pytest.raises(ValueError):
            json.loads(run.stdout)
    else:
        lst = read(form, run)
        assert not lst.complete() and lst.rest, run
        if form == "nagios":
            assert lst.group is None, run
    return status[0]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("step", [
    {"error": {"status": 520, "message": S.MSG_SERVER_ERROR,
               "type": "unspecified", "code": 500}},
    {"truncate": 3000},
    {"status": 200, "body": "not json"},
], ids=["520", "cut", "garbage"])
def test_walk_that_fails_midway(vspc, fleet, form, step):
    fleet({"count": 1200, "seed": 43, "pages": {500: step}})
    run = run_plugin(vspc.largs(fmt=form), status_line=False)
    assert_failed(run, form)
    if form != "icinga2-array":
        # the first page was printed as it came
        assert len(read(form, run).entries) >= 500, run


@pytest.mark.parametrize("form", FORMS)
def test_walk_that_fails_in_the_second_kind(vspc, fleet, form):
    fleet({"count": 10, "cdp_count": 700, "misbehave_in": "cdp",
           "pages": {500: {"truncate": 2000}}})
    assert_failed(run_plugin(vspc.largs(fmt=form), status_line=False), form)


@pytest.mark.parametrize("form", FORMS)
def test_an_element_that_is_not_a_job_fails_the_configuration(vspc, fleet,
                                                              form):
    jobs = [spec("Replica %d" % i) for i in range(6)]
    fleet({"jobs": jobs, "non_objects": {3: 42}})
    line = assert_failed(run_plugin(vspc.largs(fmt=form),
                                    status_line=False), form)
    assert "element" in line and "not a job" in line, line
    # a table shows what it can, as before
    run = run_plugin(vspc.largs(fmt="json"), status_line=False)
    assert run.rc == 0 and len(run.lines) == 5, run


@pytest.mark.parametrize("form", FORMS)
def test_a_job_without_its_name_fails_the_configuration(vspc, fleet, form):
    bare = cdp("CDP without its BackupServerJob", embedded=False)
    fleet({"jobs": [spec("Replica SQL")], "cdp_jobs": [bare]})
    line = assert_failed(run_plugin(vspc.largs(fmt=form),
                                    status_line=False), form)
    assert bare["uid"] in line and "_embedded" in line, line


@pytest.mark.parametrize("form", FORMS)
def test_a_bad_token_fails_before_any_entry(vspc, fleet, secrets_dir, form):
    path = write_secret(secrets_dir, "tok-wrong-config", U.WRONG_TOKEN + "\n")
    fleet({"jobs": [spec("Replica SQL")]})
    args = vspc.largs(fmt=form)
    args[args.index("-T") + 1] = path
    run = run_plugin(args, status_line=False)
    assert "401" in assert_failed(run, form), run


@pytest.mark.parametrize("form", FORMS)
def test_a_listing_that_cannot_be_written_exits_3(vspc, fleet, form):
    """stdout on a full disk (/dev/full): the cron recipe keeps the old
    file because the exit code is 3."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    fleet({"count": 50, "seed": 5})
    with open("/dev/full", "wb") as full:
        res = subprocess.run(U.WRAPPER + [U.PLUGIN] + vspc.largs(fmt=form),
                             stdin=subprocess.DEVNULL, stdout=full,
                             stderr=subprocess.PIPE, env=U.clean_env(),
                             timeout=U.RUN_TIMEOUT, check=False)
    assert res.returncode == 3, res
    assert res.stderr == b"", res


def test_nagios_names_have_no_illegal_character(vspc, fleet):
    names = ["".join(chr(c) for c in range(1, 128)), "\x7f;\\", "ok"]
    fleet({"jobs": [spec(n) for n in names]})
    run, lst = listed(vspc, "nagios")
    for key in lst.keys():
        assert not set(key) & NAGIOS_ILLEGAL, key
        assert all(ord(c) >= 0x20 and ord(c) != 0x7F for c in key), key

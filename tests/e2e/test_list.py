"""--list[=table|json]: the jobs for people and scripts.  Exit 0 when the
listing worked (whatever state the jobs are in), 3 with a
"VSPC REPLICATION UNKNOWN - " line when it did not."""

import json
import re

import pytest

import vspc_sim as S
from conftest import write_secret
from e2e_util import WRONG_TOKEN, assert_state, names_any, run_plugin
from health_util import (LIST_JSON_KEYS, ORG_B, SERVER_C, TABLE_COLUMNS,
                         collection_requests, list_lines, offsets_sent,
                         printable_runs, shows_age, spec)

TAIL_RE = re.compile(r"\s(\d+)\s+(on|off)\s+(yes|no)\s*$")


def jobs_for_listing():
    return [
        spec("Replica SQL", status="Success", protected=4, end_age=3600,
             end_shape=".48-04:00", org=S.FLEET_ORGS[1]),
        spec("Replica WAN", status="Warning", protected=12, end_age=7260,
             end_shape="Z", through_wan=True, source_wan=S.WAN_SOURCE_WAN,
             target_wan=S.WAN_TARGET_WAN, server=S.FLEET_SERVERS[2]),
        spec("Replica cloud", status="Failed", protected=1, end_age=90000,
             end_shape=".0000000-07:00", cloud=True),
        spec("Replica new", never_run=True, protected=0),
        spec("Replica paused", status="Paused", enabled=False, protected=3,
             end_age=600, end_shape="+05:30"),
    ]


def expected_end(sp, anchor):
    if sp.get("never_run"):
        return None
    return S.format_time(anchor - sp["end_age"], sp.get("end_shape",
                                                        "-04:00"))


def expected_age_range(run, sp, anchor):
    """The ageSeconds the plugin can have computed for sp."""
    if sp.get("never_run"):
        return None
    end = anchor - sp["end_age"] + S.shape_fraction(sp.get("end_shape",
                                                           "-04:00"))
    return (int(run.wall0 - end) - 1, int(run.wall1 - end) + 1)


def list_ok(run):
    assert run.rc == 0, "listing should exit 0: %r" % run
    assert not any(line.startswith("VSPC REPLICATION") for line in
                   run.lines), run


def test_table(vspc, fleet):
    jobs = jobs_for_listing()
    fleet({"jobs": jobs})
    run = run_plugin(vspc.largs(), status_line=False)
    list_ok(run)
    header, rows = list_lines(run)
    pos = [header.find(c) for c in TABLE_COLUMNS]
    assert all(p >= 0 for p in pos) and pos == sorted(pos), \
        "header %r lacks the columns %r in order" % (header, TABLE_COLUMNS)
    assert len(rows) == len(jobs), run
    anchor = collection_requests(vspc.requests())[0]["anchor"]
    by_uid = {row.split()[0]: row for row in rows}
    assert set(by_uid) == {sp["uid"] for sp in jobs}, run
    for sp in jobs:
        row = by_uid[sp["uid"]]
        assert sp["name"] in row, (sp["name"], row)
        status = sp.get("status", "None")
        assert re.search(r"\s%s\s" % status, row), (status, row)
        end = expected_end(sp, anchor)
        m = TAIL_RE.search(row)
        assert m, "row does not end in VMS WAN CLOUD: %r" % row
        assert m.group(1) == str(sp["protected"]), row
        assert m.group(2) == ("on" if sp.get("through_wan") else "off"), row
        assert m.group(3) == ("yes" if sp.get("cloud") else "no"), row
        if end is None:
            assert re.search(r"\s-\s+-\s", row), \
                "never-run job needs '-' for LAST END and AGE: %r" % row
        else:
            assert end in row, (end, row)
            lo, hi = expected_age_range(run, sp, anchor)
            rest = row.split(end, 1)[1]
            assert shows_age(rest, lo, hi), (lo, hi, row)


def test_table_is_the_default_format(vspc, fleet):
    jobs = jobs_for_listing()
    fleet({"jobs": jobs})
    a = run_plugin(vspc.largs(), status_line=False)
    b = run_plugin(vspc.largs(fmt="table"), status_line=False)
    list_ok(a)
    list_ok(b)
    assert a.lines[0] == b.lines[0], (a, b)
    assert [r.split()[0] for r in a.lines[1:]] == \
        [r.split()[0] for r in b.lines[1:]], (a, b)


def test_json(vspc, fleet):
    jobs = jobs_for_listing()
    fleet({"jobs": jobs})
    run = run_plugin(vspc.largs(fmt="json"), status_line=False)
    list_ok(run)
    assert len(run.lines) == len(jobs), run
    anchor = collection_requests(vspc.requests())[0]["anchor"]
    objs = {}
    for line in run.lines:
        obj = json.loads(line)
        assert isinstance(obj, dict) and set(obj) == LIST_JSON_KEYS, line
        objs[obj["instanceUid"]] = obj
    assert set(objs) == {sp["uid"] for sp in jobs}, run
    for sp in jobs:
        o = objs[sp["uid"]]
        assert o["name"] == sp["name"], o
        assert o["status"] == sp.get("status", "None"), o
        assert o["protectedVmCount"] == sp["protected"], o
        assert o["throughWanAccelerators"] is bool(sp.get("through_wan")), o
        assert o["isCloudJob"] is bool(sp.get("cloud")), o
        assert o["backupServerUid"] == sp.get("server", S.DEFAULT_SERVER), o
        assert o["organizationUid"] == sp.get("org", S.DEFAULT_ORG), o
        assert o["lastEndTime"] == expected_end(sp, anchor), o
        rng = expected_age_range(run, sp, anchor)
        if rng is None:
            assert o["ageSeconds"] is None, o
        else:
            assert type(o["ageSeconds"]) is int, o
            assert rng[0] <= o["ageSeconds"] <= rng[1], (rng, o)


HOSTILE_NAMES = [
    'He said "hi"',
    "C:\\Backups\\SQL\\",
    "R\u00e9plica \u65e5\u672c \U0001f600",
    "tab\there",
    "two\r\nlines",
    "lone\rreturn and lone\nnewline",
    "bell\x07 escape\x1b[31m red",
    "slash / and </script>",
    "'single' and \\u0041 literal",
]


def test_json_names_are_valid_json(vspc, fleet):
    jobs = [spec(n, protected=i) for i, n in enumerate(HOSTILE_NAMES)]
    fleet({"jobs": jobs})
    run = run_plugin(vspc.largs(fmt="json"), status_line=False)
    list_ok(run)
    assert len(run.lines) == len(jobs), \
        "one JSON object per line, whatever the names: %r" % run
    got = {}
    for line in run.lines:
        obj = json.loads(line)
        got[obj["instanceUid"]] = obj["name"]
    for sp in jobs:
        name = got[sp["uid"]]
        if not re.search(r"[\x00-\x1f]", sp["name"]):
            assert name == sp["name"], (name, sp["name"])
        else:
            for part in printable_runs(sp["name"]):
                assert part in name, (part, name)


def test_table_names_cannot_break_lines(vspc, fleet):
    jobs = [spec(n, protected=i) for i, n in enumerate(HOSTILE_NAMES)]
    fleet({"jobs": jobs})
    run = run_plugin(vspc.largs(), status_line=False)
    list_ok(run)
    header, rows = list_lines(run)
    assert len(rows) == len(jobs), run
    assert {r.split()[0] for r in rows} == {sp["uid"] for sp in jobs}, run


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_listing_pages(vspc, fleet, fmt):
    f = fleet({"count": 1234, "seed": 40})
    run = run_plugin(vspc.largs(fmt=fmt), status_line=False)
    list_ok(run)
    rows = run.lines[1:] if fmt == "table" else run.lines
    uids = [r.split()[0] if fmt == "table" else json.loads(r)["instanceUid"]
            for r in rows]
    assert sorted(uids) == sorted(sp["uid"] for sp in f.specs()), run
    assert offsets_sent(vspc.requests()) == [0, 500, 1000], run
    vspc.settle()
    assert len(vspc.connections()) == 1, vspc.connections()


def test_listing_with_failed_jobs_exits_0(vspc, fleet):
    fleet({"jobs": [spec("Replica failed", status="Failed"),
                    spec("Replica unknown", status="Unknown")]})
    run = run_plugin(vspc.largs(fmt="json"), status_line=False)
    list_ok(run)
    assert {json.loads(line)["status"] for line in run.lines} == {
        "Failed", "Unknown"}, run


def test_listing_filters(vspc, fleet):
    f = fleet({"count": 800, "seed": 41})
    mine = [sp for sp in f.specs() if sp["server"] == SERVER_C
            and (sp["org"] == ORG_B or sp["mapped_org"] == ORG_B)
            and sp["name"].endswith(" SQL")]
    assert mine
    run = run_plugin(vspc.largs("--backup-server=" + SERVER_C,
                                "--organization=" + ORG_B, "--name=*SQL",
                                fmt="json"), status_line=False)
    list_ok(run)
    assert sorted(json.loads(r)["instanceUid"] for r in run.lines) == \
        sorted(sp["uid"] for sp in mine), run
    for r in collection_requests(vspc.requests()):
        assert r["path"] == S.BASE_PATH + SERVER_C + \
            "/jobs/replicationVmJobs", r["path"]


def test_listing_exclude(vspc, fleet):
    f = fleet({"count": 60, "seed": 42})
    mine = [sp for sp in f.specs() if not sp["name"].endswith("Web")]
    run = run_plugin(vspc.largs("--exclude-name=*Web"), status_line=False)
    list_ok(run)
    assert sorted(r.split()[0] for r in run.lines[1:]) == \
        sorted(sp["uid"] for sp in mine), run


def test_empty_listing(vspc, fleet):
    fleet({"jobs": []})
    run = run_plugin(vspc.largs(), status_line=False)
    list_ok(run)
    assert len(run.lines) == 1, "only the header: %r" % run
    run = run_plugin(vspc.largs(fmt="json"), status_line=False,
                     allow_empty=True)
    assert run.rc == 0 and run.stdout == "", run


@pytest.mark.parametrize("fmt", ["table", "json"])
@pytest.mark.parametrize("step", [
    {"error": {"status": 520, "message": S.MSG_SERVER_ERROR,
               "type": "unspecified", "code": 500}},
    {"truncate": 3000},
    {"status": 200, "body": "not json"},
], ids=["520", "cut", "garbage"])
def test_listing_that_fails_exits_3(vspc, fleet, fmt, step):
    fleet({"count": 1200, "seed": 43, "pages": {500: step}})
    run = run_plugin(vspc.largs(fmt=fmt), status_line=False)
    assert run.rc == 3, run
    status = [line for line in run.lines
              if line.startswith("VSPC REPLICATION")]
    assert len(status) == 1, run
    assert status[0].startswith("VSPC REPLICATION UNKNOWN - "), run


def test_listing_with_a_bad_token_exits_3(vspc, fleet, secrets_dir):
    path = write_secret(secrets_dir, "tok-wrong-list", WRONG_TOKEN + "\n")
    fleet({"jobs": jobs_for_listing()})
    args = vspc.largs()
    args[args.index("-T") + 1] = path
    run = run_plugin(args, status_line=False)
    assert run.rc == 3, run
    status = [line for line in run.lines
              if line.startswith("VSPC REPLICATION")]
    assert len(status) == 1, run
    assert status[0].startswith("VSPC REPLICATION UNKNOWN - "), run
    assert "401" in status[0], run


@pytest.mark.parametrize("option,names", [
    ("--list=xml", ["list", "xml"]),
    ("--list=", ["list"]),
    ("--list=csv", ["list", "csv"]),
])
def test_list_usage_errors(vspc, option, names):
    run = run_plugin(vspc.base_args() + [option])
    assert_state(run, "UNKNOWN")
    assert names_any(run.summary, names), run
    vspc.assert_no_traffic(run)

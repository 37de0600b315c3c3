"""--all: every replication job the token can see, page by page
(limit=500, expand=BackupServerJob) on one connection within one deadline;
the per-job rules applied to each job; filters; --min-jobs; per-job
perfdata; a server that pages badly; memory that does not grow with the
number of jobs."""

import fnmatch

import pytest

import vspc_sim as S
from e2e_util import DEADLINE_SLACK, WRAPPER, assert_state, names_any, \
    run_plugin
from health_util import (JOB_LINE_EXACT_RE, ORG_A, ORG_B, ORG_C, ORG_D,
                         ORG_E, SERVER_B, assert_fleet, assert_page_queries,
                         collection_requests, fleet_expectation, job_lines,
                         job_state, offsets_sent, parse_fleet, spec,
                         state_lines)


def mix():
    """Ten jobs, one of each kind: 4 ok, 3 warning, 1 critical,
    2 unknown."""
    return [
        spec("Replica A ok", status="Success", protected=4),
        spec("Replica B running", status="Running", protected=2),
        spec("Replica C warning", status="Warning", protected=3),
        spec("Replica D failed", status="Failed", protected=6),
        spec("Replica E new", never_run=True, protected=1),
        spec("Replica F unknown", status="Unknown", protected=2),
        spec("Replica G paused", status="Paused", protected=5),
        spec("Replica H disabled", status="Success", enabled=False,
             protected=7),
        spec("Replica I idle", status="Idle", protected=0),
        spec("Replica J waiting", status="WaitingRepository", protected=9),
    ]


def one_handshake(vspc, run):
    vspc.settle()
    conns = vspc.connections()
    assert len(conns) == 1 and conns[0]["state"] == "tls", (conns, run)


def names_page(text, offset, code=None):
    words = [str(offset), "page", "offset"]
    if code is not None:
        words.append(str(code))
    return names_any(text, words)


# --- aggregation -------------------------------------------------------------

def test_known_mix(vspc, fleet):
    jobs = mix()
    fleet({"jobs": jobs})
    states, counts, vms = fleet_expectation(jobs)
    assert counts == {"OK": 4, "WARNING": 3, "CRITICAL": 1, "UNKNOWN": 2}
    run = run_plugin(vspc.fargs())
    assert_fleet(run, counts, vms)
    assert_state(run, "CRITICAL")
    lines = job_lines(run)
    want = {uid: st for uid, st in states.items() if st != "OK"}
    assert {uid: v[0] for uid, v in lines.items()} == want, run
    for sp in jobs:
        if sp["uid"] in lines:
            assert lines[sp["uid"]][1] == sp["name"], run
    assert "Paused" in lines[jobs[6]["uid"]][2], run
    assert "disabled" in lines[jobs[7]["uid"]][2].lower(), run
    assert "never" in lines[jobs[4]["uid"]][2].lower(), run
    one_handshake(vspc, run)
    assert_page_queries(run, vspc.requests(), [0])
    assert vspc.requests()[0]["path"] == S.COLLECTION_PATH


def test_job_line_format(vspc, fleet):
    # the documented shape: [STATE] 'name' (uid): what
    jobs = mix()
    fleet({"jobs": jobs})
    run = run_plugin(vspc.fargs())
    lines = state_lines(run)
    assert len(lines) == 6, run
    for line in lines:
        assert JOB_LINE_EXACT_RE.match(line), \
            "not [STATE] 'name' (uid): what -- %r" % line


def test_verbose_lists_every_job(vspc, fleet):
    jobs = mix()
    fleet({"jobs": jobs})
    states, counts, vms = fleet_expectation(jobs)
    run = run_plugin(vspc.fargs("-v"))
    assert_fleet(run, counts, vms)
    lines = job_lines(run)
    assert {uid: v[0] for uid, v in lines.items()} == states, run


@pytest.mark.parametrize("statuses,state", [
    (["Success", "Running", "Idle"], "OK"),
    (["Success", "Unknown"], "UNKNOWN"),
    (["Success", "Unknown", "Warning"], "WARNING"),
    (["Paused", "Warning", "Failed"], "CRITICAL"),
], ids=["ok", "unknown", "warning-beats-unknown", "critical"])
def test_worst_state(vspc, fleet, statuses, state):
    jobs = [spec("Replica %d" % i, status=st) for i, st in
            enumerate(statuses)]
    fleet({"jobs": jobs})
    _, counts, vms = fleet_expectation(jobs)
    run = run_plugin(vspc.fargs())
    assert_fleet(run, counts, vms, state=state)


def test_no_jobs_at_all(vspc, fleet):
    fleet({"jobs": []})
    run = run_plugin(vspc.fargs())
    assert_fleet(run, {"OK": 0, "WARNING": 0, "CRITICAL": 0, "UNKNOWN": 0},
                 0, state="OK")
    assert run.summary.startswith("0 jobs: "), run
    assert_page_queries(run, vspc.requests(), [0])


# --- paging ------------------------------------------------------------------

@pytest.mark.parametrize("count,offsets", [
    (1234, [0, 500, 1000]), (1000, [0, 500]), (500, [0]), (501, [0, 500]),
    (1, [0])])
def test_paging(vspc, fleet, count, offsets):
    f = fleet({"count": count, "seed": 11})
    _, counts, vms = fleet_expectation(list(f.specs()))
    run = run_plugin(vspc.fargs())
    assert_fleet(run, counts, vms)
    assert_page_queries(run, vspc.requests(), offsets)
    one_handshake(vspc, run)
    assert [r["status"] for r in collection_requests(vspc.requests())] == \
        [200] * len(offsets)
    # and one empty page of the (empty) CDP policy collection
    assert offsets_sent(vspc.requests(), "cdp") == [0]


@pytest.mark.parametrize("paging,count,offsets", [
    ("null", 1234, [0, 500, 1000]), ("absent", 1234, [0, 500, 1000]),
    ("empty", 700, [0, 500]), ("null", 1000, [0, 500, 1000])],
    ids=["null", "absent", "empty-meta", "null-exact-multiple"])
def test_paging_without_paging_info_stops_at_a_short_page(vspc, fleet,
                                                          paging, count,
                                                          offsets):
    f = fleet({"count": count, "seed": 12, "paging": paging})
    _, counts, vms = fleet_expectation(list(f.specs()))
    run = run_plugin(vspc.fargs())
    assert_fleet(run, counts, vms)
    assert_page_queries(run, vspc.requests(), offsets)


@pytest.mark.parametrize("meta_first", [True, False])
def test_envelope_key_order(vspc, fleet, meta_first):
    f = fleet({"count": 620, "seed": 13, "meta_first": meta_first})
    _, counts, vms = fleet_expectation(list(f.specs()))
    run = run_plugin(vspc.fargs())
    assert_fleet(run, counts, vms)


PAGE_FAILURES = [
    ("520", {"error": {"status": 520, "message": S.MSG_SERVER_ERROR,
                       "type": "unspecified", "code": 500}}, 520),
    ("500-html", {"status": 500, "content_type": "text/html",
                  "body": "<html><h1>Proxy error</h1></html>"}, 500),
    ("401", {"error": {"status": 401, "message": S.MSG_UNAUTHORIZED,
                       "type": "security", "code": 401}}, 401),
    ("404", {"error": {"status": 404, "message": S.MSG_NO_ROUTE,
                       "type": "logical", "code": 404}}, 404),
    ("429-forever", {"error": {"status": 429, "message": "Slow down.",
                               "type": "retryableLogical", "code": 429,
                               "retryAfter": 60}}, 429),
    ("202", {"status": 202, "body": b"", "content_type": None}, 202),
    ("not-json", {"status": 200, "body": "not json at all"}, None),
    ("data-object", {"status": 200, "body": '{"data": {}, "meta": null}'},
     None),
    ("data-null", {"status": 200, "body": '{"data": null, "meta": null}'},
     None),
    ("data-missing", {"status": 200, "body": '{"meta": null}'}, None),
    ("cut-json", {"truncate": 5000}, None),
    ("cut-transport", {"extra_length": 5000}, None),
    ("reset", {"action": "reset"}, None),
]


@pytest.mark.parametrize("step,code", [p[1:] for p in PAGE_FAILURES],
                         ids=[p[0] for p in PAGE_FAILURES])
def test_page_failing_halfway_is_unknown(vspc, fleet, step, code):
    # a critical job on the first page: still UNKNOWN, never a partial
    # result that looks complete
    jobs = [spec("Replica failed early", status="Failed")]
    fleet({"jobs": jobs, "count": 2499, "seed": 14,
           "pages": {1000: step}})
    run = run_plugin(vspc.fargs("-t", "5"))
    assert_state(run, "UNKNOWN")
    assert names_page(run.summary, 1000, code), run
    assert run.elapsed <= 5 + DEADLINE_SLACK, run
    assert 1000 in offsets_sent(vspc.requests()), run
    assert "<h1>" not in run.stdout, run


def test_page_429_then_ok_is_retried(vspc, fleet):
    f = fleet({"count": 1100, "seed": 15, "pages": {500: {"steps": [
        {"error": {"status": 429, "message": "Slow down.",
                   "type": "retryableLogical", "code": 429,
                   "retryAfter": 1}}, {}]}}})
    _, counts, vms = fleet_expectation(list(f.specs()))
    run = run_plugin(vspc.fargs("-t", "10"))
    assert_fleet(run, counts, vms)
    assert offsets_sent(vspc.requests()) == [0, 500, 500, 1000], run
    one_handshake(vspc, run)


def test_page_with_connection_close(vspc, fleet):
    f = fleet({"count": 1100, "seed": 16, "pages": {0: {"close": True}}})
    _, counts, vms = fleet_expectation(list(f.specs()))
    run = run_plugin(vspc.fargs())
    assert_fleet(run, counts, vms)
    vspc.settle()
    assert [c["state"] for c in vspc.connections()] == ["tls", "tls"], run


def test_pages_share_one_deadline(vspc, fleet):
    fleet({"count": 1100, "seed": 17,
           "pages": {0: {"delay": 1.2}, 500: {"delay": 1.2},
                     1000: {"delay": 1.2}}})
    run = run_plugin(vspc.fargs("-t", "2:critical"))
    assert_state(run, "CRITICAL")
    assert run.elapsed <= 2 + DEADLINE_SLACK, run


def test_stalled_paging_is_unknown(vspc, fleet):
    fleet({"count": 1200, "seed": 18, "stall_at": 500})
    run = run_plugin(vspc.fargs("-t", "5"))
    assert_state(run, "UNKNOWN")
    assert names_page(run.summary, 500) or names_any(
        run.summary, ["stall", "empty", "no items", "progress"]), run
    assert run.elapsed <= 5 + DEADLINE_SLACK, run


def test_endless_paging_ends_by_the_deadline(vspc, fleet):
    fleet({"count": 2 ** 31 - 1, "seed": 19})
    run = run_plugin(vspc.fargs("-t", "3"))
    assert_state(run, "UNKNOWN")
    assert run.elapsed <= 3 + DEADLINE_SLACK, run
    one_handshake(vspc, run)


def test_total_that_grows_is_followed(vspc, fleet):
    f = fleet({"count": 1100, "seed": 20, "grow_at": {500: 500}})
    seen = [f.spec_at(i, 1500) for i in range(f.size(1500))]
    assert len(seen) == 1600
    _, counts, vms = fleet_expectation(seen)
    run = run_plugin(vspc.fargs())
    if run.state != "UNKNOWN":
        assert_fleet(run, counts, vms)
        assert offsets_sent(vspc.requests()) == [0, 500, 1000, 1500], run


def test_total_that_shrinks_is_followed(vspc, fleet):
    f = fleet({"count": 1200, "seed": 21, "shrink_at": {500: 300}})
    seen = [f.spec_at(i, 500) for i in range(f.size(500))]
    assert len(seen) == 900
    _, counts, vms = fleet_expectation(seen)
    run = run_plugin(vspc.fargs())
    if run.state != "UNKNOWN":
        assert_fleet(run, counts, vms)
        assert offsets_sent(vspc.requests()) == [0, 500], run


def test_duplicated_job_across_pages(vspc, fleet):
    # a job inserted at the front between two page requests: the second
    # page repeats the last job of the first
    dup = spec("Replica duplicated", status="Failed")
    jobs = [spec("Replica %03d" % i) for i in range(499)] + [dup] + \
        [spec("Replica %03d" % i) for i in range(500, 1000)]
    fleet({"jobs": jobs, "insert_at": {500: 1}})
    run = run_plugin(vspc.fargs())
    if run.state == "UNKNOWN":
        return
    f = parse_fleet(run)
    assert f["n"] in (1000, 1001), run
    _, counts, _ = fleet_expectation(jobs if f["n"] == 1000
                                     else jobs + [dup])
    assert_fleet(run, counts)
    assert_state(run, "CRITICAL")


def test_count_larger_than_limit(vspc, fleet):
    f = fleet({"count": 1000, "seed": 22, "count_override": {0: 600}})
    _, counts, vms = fleet_expectation(list(f.specs()))
    run = run_plugin(vspc.fargs())
    if run.state != "UNKNOWN":
        assert_fleet(run, counts, vms)
        assert offsets_sent(vspc.requests()) == [0, 500], run


def test_page_larger_than_limit(vspc, fleet):
    # a server that sends 600 items for limit=500: the next page starts at
    # 600, or the plugin gives up; counting 100 jobs twice is wrong
    f = fleet({"count": 1000, "seed": 23, "oversize": {0: 600}})
    _, counts, vms = fleet_expectation(list(f.specs()))
    run = run_plugin(vspc.fargs())
    if run.state != "UNKNOWN":
        assert_fleet(run, counts, vms)
        assert offsets_sent(vspc.requests()) == [0, 600], run


def test_items_that_are_not_objects(vspc, fleet):
    jobs = mix()
    odd = {2: 42, 5: "Replica F unknown", 7: None, 9: []}
    fleet({"jobs": jobs, "non_objects": odd})
    listed = [None if i in odd else sp for i, sp in enumerate(jobs)]
    states, counts, vms = fleet_expectation(listed)
    assert counts["UNKNOWN"] == 5  # 4 odd items and Replica G paused
    run = run_plugin(vspc.fargs())
    assert_fleet(run, counts, vms)
    lines = job_lines(run)
    for i, sp in enumerate(jobs):
        if i not in odd and states[sp["uid"]] != "OK":
            assert lines[sp["uid"]][0] == states[sp["uid"]], run
    assert sum(1 for line in state_lines(run)
               if line.startswith("[UNKNOWN]")) == 5, run


def unknown_line_for(run, sp, words):
    """The [UNKNOWN] line about job sp (by UID) naming one of words."""
    for line in state_lines(run):
        if line.startswith("[UNKNOWN]") and sp["uid"] in line:
            assert names_any(line, words), (line, run)
            return line
    raise AssertionError("no [UNKNOWN] line for %s: %r" % (sp["name"], run))


def test_jobs_lacking_checked_fields(vspc, fleet):
    bad = [
        (spec("Replica no status", job_omit=["status"]), ["status"]),
        (spec("Replica no vms", repl_omit=["protectedVmCount"]),
         ["protectedVmCount"]),
        (spec("Replica status number", status=3), ["status"]),
        (spec("Replica enabled string", enabled="yes"), ["isEnabled"]),
        (spec("Replica vms string", repl_extra={"protectedVmCount": "5"}),
         ["protectedVmCount"]),
    ]
    no_emb = spec("Replica no embedded", embedded=False)
    good = [spec("Replica good 1"), spec("Replica good 2", status="Warning")]
    fleet({"jobs": good[:1] + [b[0] for b in bad] + [no_emb] + good[1:]})
    run = run_plugin(vspc.fargs())
    f = assert_fleet(run, {"OK": 1, "WARNING": 1, "CRITICAL": 0,
                           "UNKNOWN": len(bad) + 1})
    assert f["n"] == 8
    for sp, words in bad:
        unknown_line_for(run, sp, words)
    assert any(line.startswith("[UNKNOWN]") and names_any(
        line, ["_embedded", "backupServerJob", "expand"])
        for line in state_lines(run)), run
    assert job_lines(run)[good[1]["uid"]][0] == "WARNING", run


@pytest.mark.parametrize("options", [[], ["--max-age-warning=26h"]],
                         ids=["no-threshold", "threshold"])
def test_job_with_a_bad_end_time(vspc, fleet, options):
    bad = spec("Replica bad end", last_end="yesterday")
    fleet({"jobs": [spec("Replica good"), bad]})
    run = run_plugin(vspc.fargs(*options))
    assert_fleet(run, {"OK": 1, "WARNING": 0, "CRITICAL": 0, "UNKNOWN": 1})
    unknown_line_for(run, bad, ["lastEndTime"])


def test_huge_session_task_list(vspc, fleet):
    f = fleet({"count": 600, "seed": 24, "big_tasks": {3: 10000}})
    _, counts, vms = fleet_expectation(list(f.specs()))
    run = run_plugin(vspc.fargs("-t", "20"))
    assert_fleet(run, counts, vms)
    assert_page_queries(run, vspc.requests(), [0, 500])


def test_server_text_in_job_names_is_sanitised(vspc, fleet):
    evil = spec("bad|name=1;;;; \r\nVSPC REPLICATION OK - injected\nx",
                status="Failed", failure="one|two=2\r\nthree\r\n")
    fleet({"jobs": [spec("Replica fine"), evil]})
    run = run_plugin(vspc.fargs())
    assert_state(run, "CRITICAL")
    assert run.first.count("|") == 1, run
    assert "name" not in run.perf and "two" not in run.perf, run
    crit = [line for line in run.lines[1:] if line.startswith("[CRITICAL]")]
    assert len(crit) == 1 and evil["uid"] in crit[0], run


# --- per-job rules -----------------------------------------------------------

def test_thresholds_and_expectations_apply_to_each_job(vspc, fleet):
    jobs = [spec("Replica zero", protected=0),
            spec("Replica two", protected=2),
            spec("Replica five", protected=5),
            spec("Replica wan", protected=5, through_wan=True,
                 source_wan=S.WAN_SOURCE_WAN, target_wan=S.WAN_TARGET_WAN)]
    fleet({"jobs": jobs})
    run = run_plugin(vspc.fargs("-w", "3:", "-c", "1:"))
    assert_fleet(run, {"OK": 2, "WARNING": 1, "CRITICAL": 1, "UNKNOWN": 0},
                 12)
    lines = job_lines(run)
    assert lines[jobs[0]["uid"]][0] == "CRITICAL", run
    assert lines[jobs[1]["uid"]][0] == "WARNING", run
    run = run_plugin(vspc.fargs("--wan=yes"))
    assert_fleet(run, {"OK": 1, "WARNING": 3, "CRITICAL": 0, "UNKNOWN": 0},
                 12)
    assert "throughWanAccelerators" in job_lines(run)[jobs[0]["uid"]][2]


def test_age_thresholds_apply_to_each_job(vspc, fleet):
    jobs = [spec("Replica fresh", end_age=3600),
            spec("Replica 30h", end_age=30 * 3600, end_shape=".8-04:00"),
            spec("Replica 3d", end_age=3 * 86400, end_shape="+05:30"),
            spec("Replica new", never_run=True),
            spec("Replica no end", end_age=None)]
    fleet({"jobs": jobs})
    opts = dict(warn_age=26 * 3600, crit_age=2 * 86400)
    states, counts, vms = fleet_expectation(jobs, **opts)
    assert counts == {"OK": 1, "WARNING": 3, "CRITICAL": 1, "UNKNOWN": 0}
    run = run_plugin(vspc.fargs("--max-age-warning=26h",
                                "--max-age-critical=2d"))
    assert_fleet(run, counts, vms)
    assert {u: v[0] for u, v in job_lines(run).items()} == {
        u: s for u, s in states.items() if s != "OK"}, run
    states, counts, vms = fleet_expectation(jobs, never="OK", **opts)
    run = run_plugin(vspc.fargs("--max-age-warning=26h",
                                "--max-age-critical=2d",
                                "--never-run-state=ok"))
    assert_fleet(run, counts, vms)


def test_disabled_state_applies_to_each_job(vspc, fleet):
    jobs = [spec("Replica on"), spec("Replica off", enabled=False)]
    fleet({"jobs": jobs})
    run = run_plugin(vspc.fargs("--disabled-state=critical"))
    assert_fleet(run, {"OK": 1, "WARNING": 0, "CRITICAL": 1, "UNKNOWN": 0})


# --- filters -----------------------------------------------------------------

def test_backup_server(vspc, fleet):
    f = fleet({"count": 3000, "seed": 25})
    mine = [sp for sp in f.specs() if sp["server"] == SERVER_B]
    assert 500 < len(mine) < 1000
    _, counts, vms = fleet_expectation(mine)
    run = run_plugin(vspc.fargs("--backup-server=" + SERVER_B))
    assert_fleet(run, counts, vms)
    path = S.BASE_PATH + SERVER_B + "/jobs/replicationVmJobs"
    assert [r["path"] for r in collection_requests(vspc.requests())] == \
        [path, path], run
    assert [r["path"] for r in collection_requests(vspc.requests(), "cdp")] \
        == [S.BASE_PATH + SERVER_B + "/jobs/cdpReplicationJobs"], run
    assert_page_queries(run, vspc.requests(), [0, 500])
    one_handshake(vspc, run)


def test_backup_server_without_jobs(vspc, fleet):
    fleet({"count": 50, "seed": 26})
    other = "11111111-2222-4333-8444-555555555555"
    run = run_plugin(vspc.fargs("--backup-server=" + other))
    assert_fleet(run, {"OK": 0, "WARNING": 0, "CRITICAL": 0, "UNKNOWN": 0},
                 0, state="OK")
    run = run_plugin(vspc.fargs("--backup-server=" + other, "--min-jobs=1"))
    assert_fleet(run, {"OK": 0, "WARNING": 0, "CRITICAL": 0, "UNKNOWN": 0},
                 0, min_jobs=1)


def org_jobs():
    return [
        spec("Replica a", org=ORG_A, status="Failed"),
        spec("Replica b", org=ORG_B, status="Warning"),
        spec("Replica c", org=ORG_A, mapped_org=ORG_C),
        spec("Replica d", org=ORG_B, mapped_org=ORG_A, status="Unknown"),
        spec("Replica e", org=ORG_C, mapped_org=None),
        spec("Replica f", org=ORG_D, mapped_org=ORG_D),
    ]


@pytest.mark.parametrize("orgs", [[ORG_A], [ORG_C], [ORG_B, ORG_D],
                                  [ORG_E], [ORG_A.upper()]],
                         ids=["a", "c-mapped-or-own", "b-or-d", "none",
                              "uppercase"])
def test_organization(vspc, fleet, orgs):
    jobs = org_jobs()
    fleet({"jobs": jobs})
    low = [o.lower() for o in orgs]
    mine = [sp for sp in jobs
            if sp["org"] in low or sp.get("mapped_org", sp["org"]) in low]
    _, counts, vms = fleet_expectation(mine)
    run = run_plugin(vspc.fargs(*["--organization=" + o for o in orgs]))
    assert_fleet(run, counts, vms)
    assert set(job_lines(run)) <= {sp["uid"] for sp in mine}, run


NAME_FILTERS = [
    (["--name=Replica 000* SQL"]),
    (["--name=*SQL", "--name=*Exchange"]),
    (["--name=Replica 00[0-4]?? *"]),
    (["--exclude-name=*Web"]),
    (["--name=*SQL", "--exclude-name=Replica 001*"]),
    (["--exclude-name=*", "--name=*"]),
    (["--name=replica*"]),
    (["--name=Replica 0004[!0-4] ERP"]),
]


@pytest.mark.parametrize("options", NAME_FILTERS,
                         ids=["prefix", "two-names", "class-and-?",
                              "exclude", "name-and-exclude", "exclude-all",
                              "case-sensitive", "negated-class"])
def test_name_filters(vspc, fleet, options):
    f = fleet({"count": 300, "seed": 27})
    names = [o.split("=", 1)[1] for o in options if o.startswith("--name=")]
    excl = [o.split("=", 1)[1] for o in options
            if o.startswith("--exclude-name=")]
    mine = [sp for sp in f.specs()
            if (not names or any(fnmatch.fnmatchcase(sp["name"], p)
                                 for p in names))
            and not any(fnmatch.fnmatchcase(sp["name"], p) for p in excl)]
    _, counts, vms = fleet_expectation(mine)
    run = run_plugin(vspc.fargs(*options))
    assert_fleet(run, counts, vms)


def test_filters_combine(vspc, fleet):
    f = fleet({"count": 2000, "seed": 28})
    mine = [sp for sp in f.specs()
            if sp["server"] == SERVER_B
            and (sp["org"] == ORG_C or sp["mapped_org"] == ORG_C)
            and fnmatch.fnmatchcase(sp["name"], "*SQL")]
    assert mine
    _, counts, vms = fleet_expectation(mine)
    run = run_plugin(vspc.fargs("--backup-server=" + SERVER_B,
                                "--organization=" + ORG_C, "--name=*SQL"))
    assert_fleet(run, counts, vms)


# --- --min-jobs --------------------------------------------------------------

def test_min_jobs(vspc, fleet):
    jobs = [spec("Replica %d" % i) for i in range(5)]
    fleet({"jobs": jobs})
    ok = {"OK": 5, "WARNING": 0, "CRITICAL": 0, "UNKNOWN": 0}
    run = run_plugin(vspc.fargs("--min-jobs=5"))
    assert_fleet(run, ok, 25, min_jobs=5, state="OK")
    assert run.perf["jobs"].raw == "5;;5:;0;", run
    run = run_plugin(vspc.fargs("--min-jobs=6"))
    assert_fleet(run, ok, 25, min_jobs=6, state="CRITICAL")
    assert run.summary.endswith(", fewer than --min-jobs 6"), run
    run = run_plugin(vspc.fargs("--min-jobs=0"))
    assert_fleet(run, ok, 25, min_jobs=0, state="OK")


def test_filter_matching_nothing(vspc, fleet):
    fleet({"jobs": mix()})
    none = {"OK": 0, "WARNING": 0, "CRITICAL": 0, "UNKNOWN": 0}
    run = run_plugin(vspc.fargs("--name=No such job*"))
    assert_fleet(run, none, 0, state="OK")
    assert run.summary == "0 jobs: 0 critical, 0 warning, 0 unknown, 0 ok"
    run = run_plugin(vspc.fargs("--name=No such job*", "--min-jobs=1"))
    assert_fleet(run, none, 0, min_jobs=1, state="CRITICAL")
    assert run.summary == ("0 jobs: 0 critical, 0 warning, 0 unknown, 0 ok"
                           ", fewer than --min-jobs 1"), run


# --- per-job perfdata --------------------------------------------------------

def test_perfdata_per_job(vspc, fleet):
    jobs = [spec("Replica SQL", protected=4, end_age=7200),
            spec("O'Brien replica", protected=2, end_age=600,
                 end_shape="Z"),
            spec("Replica new", protected=1, never_run=True),
            spec("Replica = spaced", protected=9, end_age=60)]
    fleet({"jobs": jobs})
    run = vspc.run_aligned(vspc.fargs("--perfdata-per-job", "-w", "3:",
                                      "-c", "1:", "--max-age-warning=1d",
                                      "--never-run-state=ok"))
    # -w 3: makes the 2-VM and the 1-VM job WARNING
    assert_fleet(run, {"OK": 2, "WARNING": 2, "CRITICAL": 0, "UNKNOWN": 0},
                 16)
    reqs = vspc.requests()
    anchor = reqs[0]["anchor"]
    for sp in jobs:
        # "=" and "'" never reach a perfdata label (Icinga 2 cuts at "=")
        label = sp["name"].replace("=", "_").replace("'", "_")
        pv = run.perf.get(label + ":protected_vms")
        assert pv is not None, (sp["name"], run)
        assert (pv.value, pv.uom, pv.warn, pv.crit, pv.min) == (
            str(sp["protected"]), "", "3:", "1:", "0"), run
        age = run.perf.get(label + ":last_run_age")
        if sp.get("never_run"):
            assert age is None, run
            continue
        assert age is not None and age.uom == "s", (sp["name"], run)
        assert (age.min, age.warn) == ("0", "86400"), run
        lo = int(run.wall0) - (anchor - sp["end_age"])
        hi = int(run.wall1) - (anchor - sp["end_age"])
        assert lo - 1 <= int(age.value) <= hi, (sp["name"], run)
        if run.aligned:
            assert int(age.value) == sp["end_age"], (sp["name"], run)


def test_no_per_job_perfdata_by_default(vspc, fleet):
    fleet({"jobs": mix()})
    run = run_plugin(vspc.fargs())
    assert list(run.perf) == ["jobs", "jobs_ok", "jobs_warning",
                              "jobs_critical", "jobs_unknown",
                              "protected_vms_total", "time"], run


# --- size --------------------------------------------------------------------

def test_memory_does_not_grow_with_the_number_of_jobs(vspc, fleet):
    # under a wrapper (valgrind) RSS means nothing and 10,000 jobs take
    # minutes: the runs still have to be right, on fewer jobs
    big = 10000 if not WRAPPER else 1500
    rss = {}
    for count in (100, big):
        f = fleet({"count": count, "seed": 29})
        vspc.restart_records()
        run = run_plugin(vspc.fargs("-t", "60"), measure_rss=True)
        _, counts, vms = fleet_expectation(list(f.specs()))
        assert_fleet(run, counts, vms)
        assert_page_queries(run, vspc.requests(),
                            list(range(0, count, 500)))
        one_handshake(vspc, run)
        rss[count] = run.maxrss_kib
    if not WRAPPER:
        assert rss[big] <= 1.5 * rss[100] + 4096, \
            "peak RSS %d KiB for 10,000 jobs, %d KiB for 100" % (
                rss[big], rss[100])


def test_generated_fleet_has_every_kind_of_job(fleet):
    # the oracle of the tests above is only worth something if the
    # generated fleets hold every case
    f = fleet({"count": 3000, "seed": 30})
    specs = list(f.specs())
    statuses = {sp["status"] for sp in specs}
    assert set(S.JOB_STATUSES) | {"Paused"} <= statuses
    assert any(sp["enabled"] is False for sp in specs)
    assert len({sp["end_shape"] for sp in specs}) == len(S.FLEET_SHAPES)
    states = {job_state(sp) for sp in specs}
    assert states == {"OK", "WARNING", "CRITICAL", "UNKNOWN"}


# --- usage -------------------------------------------------------------------

USAGE = [
    ("job-and-all", ["-j", S.SEED_UID], ["--all", "-j", "job", "all"]),
    ("min-jobs-negative", ["--min-jobs=-1"], ["min-jobs"]),
    ("min-jobs-letters", ["--min-jobs=abc"], ["min-jobs"]),
    ("min-jobs-empty", ["--min-jobs="], ["min-jobs"]),
    ("min-jobs-huge", ["--min-jobs=99999999999999999999"], ["min-jobs"]),
    ("organization-bad", ["--organization=not-a-uuid"], ["organization"]),
    ("organization-empty", ["--organization="], ["organization"]),
    ("organization-second-bad", ["--organization=" + ORG_A,
                                 "--organization=" + ORG_A[:-1]],
     ["organization"]),
    ("backup-server-bad", ["--backup-server=abc"], ["backup-server"]),
    ("backup-server-path", ["--backup-server=../jobs"], ["backup-server"]),
]


@pytest.mark.parametrize("extra,names", [u[1:] for u in USAGE],
                         ids=[u[0] for u in USAGE])
def test_usage_errors(vspc, extra, names):
    run = run_plugin(vspc.fargs(*extra))
    assert_state(run, "UNKNOWN")
    assert names_any(run.summary, names), run
    vspc.assert_no_traffic(run)


def test_collection_requests_only(vspc, fleet):
    # --all reads the collection; no single-job requests on the side
    fleet({"jobs": mix()})
    run = run_plugin(vspc.fargs())
    assert_state(run, "CRITICAL")
    reqs = vspc.requests()
    assert reqs and len(collection_requests(reqs, None)) == len(reqs), run

"""The collection walker cannot be fooled: a server that ignores the
offset when expand is given, reorders or repeats items between pages,
sends short pages or echoes another offset makes --all UNKNOWN naming the
offset, never a count that is silently off; and a good walk asks for a
stable sort and counts every job once, in both collections."""

import json

import pytest

from e2e_util import assert_state, run_plugin
from health_util import assert_fleet, fleet_expectation

SORT = [{"property": "instanceUid", "direction": "ascending"}]


def pages_of(vspc, kind=None):
    return [r for r in vspc.requests() if r["endpoint"] == "collection"
            and (kind is None or r.get("kind") == kind)]


@pytest.mark.parametrize("kind", ["vm", "cdp"])
def test_a_good_walk_is_sorted_and_exact(vspc, fleet, kind):
    spec = {"count": 1234, "seed": 31} if kind == "vm" else \
        {"cdp_count": 1234, "cdp_seed": 31}
    fleet(spec)
    run = run_plugin(vspc.fargs("--kind=" + kind))
    assert run.summary.startswith("1234 jobs:"), run
    pages = pages_of(vspc, kind)
    assert [int(r["params"]["offset"][0]) for r in pages] == [0, 500, 1000]
    for r in pages:
        assert json.loads(r["params"]["sort"][0]) == SORT, r["params"]
        assert r["params"]["expand"] == ["BackupServerJob"]
        assert r["params"]["limit"] == ["500"]


MISBEHAVIOURS = [
    ({"ignore_offset_with_expand": True}, 500, "ignored the offset"),
    ({"echo_offset": {500: 0}}, 500, "ignored the offset"),
    ({"repeat_at": {500: 3}}, 500, "already on an earlier page"),
    ({"reorder_at": {500: 7}}, 500, "already on an earlier page"),
    ({"short_at": {500: 200}}, 500, "short of the limit"),
    ({"grow_at": {500: 10}}, 500, "total changed"),
]


@pytest.mark.parametrize("kind", ["vm", "cdp"])
@pytest.mark.parametrize("misbehaviour,offset,says", MISBEHAVIOURS,
                         ids=[list(m)[0] for m, _, _ in MISBEHAVIOURS])
def test_misbehaving_server_is_unknown_naming_the_offset(vspc, fleet, kind,
                                                         misbehaviour,
                                                         offset, says):
    spec = {"count": 1400, "seed": 32} if kind == "vm" else \
        {"cdp_count": 1400, "cdp_seed": 32}
    spec.update(misbehaviour)
    fleet(spec)
    run = run_plugin(vspc.fargs("--kind=" + kind))
    assert_state(run, "UNKNOWN")
    assert "page at offset %d" % offset in run.summary, run
    assert says in run.summary, run
    assert "jobs:" not in run.summary, "a count was given: %r" % run
    assert run.perf.keys() == {"time"}, run


def test_reordered_items_that_do_not_repeat_are_still_caught(vspc, fleet):
    # reordering can also lose items instead of repeating them: the total
    # is then not reached with full pages, or an item repeats; either way
    # no count is given
    fleet({"count": 1400, "seed": 33, "reorder_at": {1000: 3}})
    run = run_plugin(vspc.fargs("--kind=vm"))
    if run.state != "UNKNOWN":
        # the shuffle happened to keep every page disjoint
        _, counts, vms = fleet_expectation(
            [sp for sp in vspc.sim.fleet.specs()])
        assert_fleet(run, counts, vms)
    else:
        assert "page at offset 1000" in run.summary, run


def test_listing_stops_too(vspc, fleet):
    fleet({"count": 900, "seed": 34, "ignore_offset_with_expand": True})
    run = run_plugin(vspc.largs("--kind=vm"), status_line=False)
    assert run.rc == 3, run
    assert "ignored the offset" in run.stdout, run

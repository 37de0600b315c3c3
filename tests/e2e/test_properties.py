"""Answers nobody wrote by hand: Hypothesis makes VM replication jobs and
CDP policies with their BackupServerJob from the published schemas
(property_cases), valid ones and valid ones with one field broken, the
simulator serves them, the plugin checks them with options drawn to
match, and its state, failing rules, summary and perfdata
(--output-format=test-json, and the plain status line) must be what
property_oracle computes from the documentation.

PROPERTY_EXAMPLES is the number of examples of each of the four
properties (default 500: 2,000 in all, each run with test-json and one in
PROPERTY_TEXT_EVERY (4) with the text output too).  The seed is fixed
(derandomize), nothing is kept between runs (database=None) and
PROPERTY_SHRINK=1 shrinks a failure (slow).  A failing example is printed
as JSON: save it under property_regressions/ as {"why", "case"} and
test_regressions replays it forever ("xfail": the reason, and "strict":
true, for a known deviation the documentation contradicts)."""

import atexit
import glob
import json
import os
import shutil
import tempfile
import time

import pytest

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

# Hypothesis keeps a cache (its Unicode tables) in ./.hypothesis: not in
# the build tree, which make distcheck wants clean after distclean.
_HOME = tempfile.mkdtemp(prefix="vspc-hypothesis-")
atexit.register(shutil.rmtree, _HOME, True)
set_hypothesis_home_dir(_HOME)

import property_cases as C  # noqa: E402
import property_oracle as O  # noqa: E402
from e2e_util import (assert_mismatch, parse_perfdata, run_json,  # noqa: E402
                      run_plugin)

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "500"))
TEXT_EVERY = int(os.environ.get("PROPERTY_TEXT_EVERY", "4"))
REGRESSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "property_regressions")

# Shrinking runs the plugin for every step (minutes): by hand only.
PHASES = [Phase.explicit, Phase.generate] + (
    [Phase.shrink] if os.environ.get("PROPERTY_SHRINK") else [])
SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, deadline=None,
                    database=None, print_blob=False, phases=PHASES,
                    suppress_health_check=list(HealthCheck))


def text_too(case):
    """Whether an example runs the text form too: one in TEXT_EVERY, by
    its UID (every saved regression does)."""
    return int(case["uid"][:8], 16) % TEXT_EVERY == 0 \
        if C.UUID_RE.match(case["uid"]) else True


def failing_rules(tree):
    """{rule: [states]} of the sub-checks that are not OK."""
    out = {}
    for c in tree.get("checks", []):
        if c["state"] != "OK":
            out.setdefault(c["name"], []).append(c["state"])
        for name, states in failing_rules(c).items():
            out.setdefault(name, []).extend(states)
    return out


def check_rules(e, tree):
    if e.failing is None:
        return
    got = failing_rules(tree)
    for name, states in got.items():
        assert name in e.failing, "rule %s failed (%s), the documentation " \
            "says it should not" % (name, states)
        for s in states:
            assert s in e.failing[name], "rule %s is %s, want one of %s" % (
                name, s, sorted(e.failing[name]))
    for name, states in e.failing.items():
        if "OK" not in states:
            assert name in got, "rule %s should be %s: %r" % (
                name, sorted(states), tree["checks"])


def check_perf(e, perf):
    if e.timed:
        assert "time" in perf, perf
    if e.perf is None:
        return
    labels = set(perf) - {"time"}
    assert labels == set(e.perf), "perfdata labels %s, want %s" % (
        sorted(labels), sorted(e.perf))
    for label, (value, uom, warn, crit, low, high) in e.perf.items():
        p = perf[label]
        if isinstance(value, tuple):
            assert value[0] <= int(p.value) <= value[1], (label, p, value)
        else:
            assert p.value == str(value), (label, p, value)
        assert (p.uom, p.warn, p.crit, p.min, p.max) == (
            uom, warn, crit, low, high), (label, p)


def check_summary(e, summary):
    for needle in e.summary:
        assert needle in summary, "summary lacks %r" % needle
    for group in e.any_of:
        assert any(n in summary for n in group), \
            "summary names none of %s" % (group,)
    for field, expected, actual in e.mismatches:
        assert_mismatch(summary, field, expected, actual)


def check_case(vspc, set_fleet, case, text=True, strict=False):
    """Serve case, run the plugin (test-json, then text when asked) and
    hold it to the oracle (strict: not to a known deviation); a failure
    shows the case as JSON, ready to be saved under
    property_regressions/."""
    notes = ["case: " + C.to_json(case)]
    served = C.resolve(case, time.time())
    C.serve(vspc, set_fleet, served)
    try:
        _check_runs(vspc, case, served, notes, text, strict)
    except AssertionError as exc:
        raise AssertionError("%s\n%s" % (exc, "\n".join(notes))) from None
    finally:
        C.unserve(vspc, served)


def check_tree(e, tree):
    assert tree["state"] in e.states, "state %s, want one of %s" % (
        tree["state"], sorted(e.states))
    check_rules(e, tree)
    check_perf(e, parse_perfdata(tree["perfdata"]))
    check_summary(e, tree["summary"])
    lines = tree["output"].split("\n")
    for line in e.output:
        assert any(line.strip() in out for out in lines), \
            "long output lacks %r" % line


def check_text(e, text, tree):
    """The text form parses (run_plugin checks the status line, its exit
    code and an empty stderr) and says what the tree said."""
    assert text.state in e.states, (text.state, sorted(e.states))
    check_summary(e, text.summary)
    assert set(text.perf) == set(parse_perfdata(tree["perfdata"]))
    check_perf(e, text.perf)


def holds(check, e, strict, *args):
    """check(e, ...) or, where the oracle allows a known deviation and
    strict is false, the same check of its alternative."""
    try:
        check(e, *args)
    except AssertionError:
        if e.alternative is None or strict:
            raise
        check(e.alternative, *args)


def _check_runs(vspc, case, served, notes, text, strict):
    args = vspc.hargs(case["uid"], *C.option_args(case["options"]))
    t0 = time.time()
    run, tree = run_json(args)
    e = O.expect(served, t0, time.time())
    notes += ["plugin: " + run.stdout.strip(), "oracle: %r" % e]
    holds(check_tree, e, strict, tree)
    if not text:
        return
    t0 = time.time()
    run = run_plugin(args)
    e = O.expect(served, t0, time.time())
    notes.append("text: " + run.stdout.strip())
    holds(check_text, e, strict, run, tree)


@SETTINGS
@given(case=C.vm_cases())
def test_vm_job(vspc, fleet, case):
    check_case(vspc, fleet, case, text=text_too(case))


@SETTINGS
@given(case=C.broken(C.vm_cases()))
def test_vm_job_one_field_broken(vspc, fleet, case):
    check_case(vspc, fleet, case, text=text_too(case))


@SETTINGS
@given(case=C.cdp_cases())
def test_cdp_policy(vspc, fleet, case):
    check_case(vspc, fleet, case, text=text_too(case))


@SETTINGS
@given(case=C.broken(C.cdp_cases()))
def test_cdp_policy_one_field_broken(vspc, fleet, case):
    check_case(vspc, fleet, case, text=text_too(case))


def _regressions():
    out = []
    for path in sorted(glob.glob(os.path.join(REGRESSIONS, "*.json"))):
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
        marks = []
        if saved.get("xfail"):
            marks.append(pytest.mark.xfail(reason=saved["xfail"],
                                           strict=True))
        out.append(pytest.param(saved, id=os.path.basename(path)[:-5],
                                marks=marks))
    return out


@pytest.mark.parametrize("saved", _regressions())
def test_regressions(vspc, fleet, saved):
    """Every example a property ever failed on, replayed."""
    check_case(vspc, fleet, saved["case"], strict=saved.get("strict", False))

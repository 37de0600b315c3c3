"""Job health and fleet mode: the expected states (a small model of the
documented rules, used as the oracle for generated fleets), and readers
for what the plugin prints in those modes."""

import json
import math
import re
import uuid

import vspc_sim as S

# BackupServerJob.status -> state by itself; "None" is the never-run state.
STATUS_STATE = {
    "Success": "OK", "Warning": "WARNING", "Failed": "CRITICAL",
    "Running": "OK", "Starting": "OK", "Stopping": "OK", "Idle": "OK",
    "Enabling": "OK", "Disabling": "OK", "WaitingTape": "OK",
    "WaitingRepository": "OK", "Unknown": "UNKNOWN",
}
# Worst first: CRITICAL > WARNING > UNKNOWN > OK.
RANK = {"OK": 0, "UNKNOWN": 1, "WARNING": 2, "CRITICAL": 3}

DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

FLEET_SUMMARY_RE = re.compile(
    r"^(\d+) jobs: (\d+) critical, (\d+) warning, (\d+) unknown, (\d+) ok"
    r"(?:, fewer than --min-jobs (\d+))?$")
# "[STATE] 'name' (uid): what" is the documented shape; job_lines() also
# reads it without the colon, test_fleet checks the colon on its own.
JOB_LINE_RE = re.compile(
    r"^\[(OK|WARNING|CRITICAL|UNKNOWN)\] '(.*)' \(([0-9a-fA-F-]{36})\):? "
    r"(.+)$")
JOB_LINE_EXACT_RE = re.compile(
    r"^\[(OK|WARNING|CRITICAL|UNKNOWN)\] '(.*)' \(([0-9a-fA-F-]{36})\): "
    r"(.+)$")
FLEET_PERF = ["jobs", "jobs_ok", "jobs_warning", "jobs_critical",
              "jobs_unknown", "protected_vms_total"]


def worst(states):
    return max(states, key=lambda s: RANK[s]) if states else "OK"


def spec(name, **kw):
    """A fleet job spec with a fresh UID."""
    kw.setdefault("uid", str(uuid.uuid4()))
    kw["name"] = name
    return kw


def status_of(spec_):
    return spec_.get("status", "None" if spec_.get("never_run")
                     else "Success")


def end_is_null(spec_):
    if "last_end" in spec_:
        return spec_["last_end"] is None
    return bool(spec_.get("never_run")) or (
        "end_age" in spec_ and spec_["end_age"] is None)


def job_state(spec_, never="WARNING", disabled="WARNING", warn_age=None,
              crit_age=None):
    """The state of one job under the documented rules, default options
    apart from those given (no -w/-c, no expectations)."""
    states = []
    status = status_of(spec_)
    if status == "None":
        states.append(never)
    else:
        states.append(STATUS_STATE.get(status, "UNKNOWN")
                      if isinstance(status, str) else "UNKNOWN")
    if spec_.get("enabled", True) is False:
        states.append(disabled)
    if warn_age is not None or crit_age is not None:
        if end_is_null(spec_):
            states.append(never)
        else:
            age = spec_.get("end_age", 3600)
            if crit_age is not None and age > crit_age:
                states.append("CRITICAL")
            elif warn_age is not None and age > warn_age:
                states.append("WARNING")
    return worst(states)


def fleet_expectation(specs, **opts):
    """({uid: state}, counts, vms) for a list of specs (None: an item that
    is not an object).  vms is the set of acceptable protected_vms_total
    values: the sum over every job with a protectedVmCount, or over those
    that are not UNKNOWN (whether an UNKNOWN job's VMs count is not
    specified)."""
    states = {}
    counts = {"OK": 0, "WARNING": 0, "CRITICAL": 0, "UNKNOWN": 0}
    vms_all = vms_known = 0
    for i, sp in enumerate(specs):
        if sp is None:
            st = "UNKNOWN"
            states["#%d" % i] = st
        else:
            st = job_state(sp, **opts)
            states[sp["uid"]] = st
            if "protectedVmCount" not in (sp.get("repl_omit") or ()):
                vms_all += sp.get("protected", 5)
                if st != "UNKNOWN":
                    vms_known += sp.get("protected", 5)
        counts[st] += 1
    return states, counts, {vms_all, vms_known}


def parse_fleet(run):
    """The fleet summary -> dict(n, critical, warning, unknown, ok,
    min_jobs or None); fails the test if the summary is not that shape."""
    m = FLEET_SUMMARY_RE.match(run.summary)
    assert m, "not a fleet summary: %r" % run
    n, c, w, u, o = (int(x) for x in m.group(1, 2, 3, 4, 5))
    assert n == c + w + u + o, "counts do not add up: %r" % run
    return {"n": n, "critical": c, "warning": w, "unknown": u, "ok": o,
            "min_jobs": int(m.group(6)) if m.group(6) else None}


def assert_fleet(run, counts, vms=None, min_jobs=None, state=None):
    """Summary, state and aggregate perfdata of a fleet run agree with
    counts ({"OK": n, ...})."""
    f = parse_fleet(run)
    n = sum(counts.values())
    got = {"OK": f["ok"], "WARNING": f["warning"],
           "CRITICAL": f["critical"], "UNKNOWN": f["unknown"]}
    assert got == counts, "counts %r, want %r: %r" % (got, counts, run)
    if state is None:
        state = worst([s for s, k in counts.items() if k])
        if min_jobs is not None and n < min_jobs:
            state = "CRITICAL"
    assert run.state == state, "state %s, want %s: %r" % (run.state, state,
                                                          run)
    labels = [k for k in run.perf if k in FLEET_PERF or k == "time"]
    assert labels == FLEET_PERF + ["time"], \
        "fleet perfdata labels %r: %r" % (labels, run)
    p = run.perf
    for label, value in (("jobs", n), ("jobs_ok", counts["OK"]),
                         ("jobs_warning", counts["WARNING"]),
                         ("jobs_critical", counts["CRITICAL"]),
                         ("jobs_unknown", counts["UNKNOWN"])):
        assert (p[label].value, p[label].uom) == (str(value), ""), \
            "%s: %r" % (label, run)
        assert p[label].min == "0", "%s min: %r" % (label, run)
    want_crit = "%d:" % min_jobs if min_jobs is not None else ""
    assert (p["jobs"].warn, p["jobs"].crit) == ("", want_crit), run
    if vms is not None:
        vms = {vms} if isinstance(vms, int) else set(vms)
        assert int(p["protected_vms_total"].value) in vms, \
            "protected_vms_total not in %r: %r" % (sorted(vms), run)
    assert p["time"].uom == "s" and p["time"].min == "0", run
    if min_jobs is not None and n < min_jobs:
        assert f["min_jobs"] == min_jobs, run
    else:
        assert f["min_jobs"] is None, run
    return f


def state_lines(run):
    """The long output lines that start with [STATE]."""
    return [line for line in run.lines[1:] if re.match(
        r"^\[(OK|WARNING|CRITICAL|UNKNOWN)\] ", line)]


def job_lines(run):
    """{uid: (state, name, what)} from the long output's job lines."""
    out = {}
    for line in run.lines[1:]:
        m = JOB_LINE_RE.match(line)
        if m:
            assert m.group(3) not in out, "job listed twice: %r" % run
            out[m.group(3)] = (m.group(1), m.group(2), m.group(4))
    return out


def collection_requests(reqs, kind="vm"):
    """The pages of one collection ("vm": the VM replication jobs, "cdp":
    the CDP policies, None: both) a run asked for."""
    return [r for r in reqs if r.get("endpoint") == "collection" and
            (kind is None or r.get("kind", "vm") == kind)]


def offsets_sent(reqs, kind="vm"):
    return [int(r["params"]["offset"][-1]) if "offset" in r.get(
        "params", {}) else 0 for r in collection_requests(reqs, kind)]


def assert_page_queries(run, reqs, offsets, kind="vm"):
    """Each collection request asked for limit=500 with
    expand=BackupServerJob and the stable sort on instanceUid, at the given
    offsets in order."""
    col = collection_requests(reqs, kind)
    assert offsets_sent(reqs, kind) == offsets, \
        "offsets %r, want %r: %r" % (offsets_sent(reqs, kind), offsets, run)
    for r in col:
        params = r["params"]
        assert params.get("limit") == ["500"], (r["target"], run)
        expand = ",".join(params.get("expand", [])).split(",")
        assert "BackupServerJob" in expand, (r["target"], run)
        assert json.loads(params["sort"][0]) == [
            {"property": "instanceUid", "direction": "ascending"}], \
            (r["target"], run)


# --- ages --------------------------------------------------------------------

def age_bounds(run, req):
    """The ages (whole seconds) the plugin can have seen during run for
    the lastEndTime the simulator served in request req, whether it takes
    "now" and the timestamp as whole or fractional seconds: (lo, hi)."""
    whole, frac = req["end_whole"], req["end_frac"]
    lo = min(math.floor(run.wall0) - whole,
             math.floor((run.wall0 - whole) - frac))
    hi = max(math.floor(run.wall1) - whole,
             math.floor((run.wall1 - whole) - frac))
    return lo, hi


def job_request(reqs):
    """The last BackupServerJob request of a run."""
    js = [r for r in reqs if r.get("endpoint") == "job"]
    assert js, "no BackupServerJob request: %r" % reqs
    return js[-1]


def age_tokens(text):
    """Durations in text like 42s, 17m, 3h 5m, 2d 4h, 27h 0m:
    [(seconds, resolution)]."""
    out = []
    for m in re.finditer(r"(?<![\w.])(\d+)([smhdw])(?: (\d+)([smhd]))?"
                         r"(?![\w])", text):
        secs = int(m.group(1)) * DURATION_UNITS[m.group(2)]
        res = DURATION_UNITS[m.group(2)]
        if m.group(3):
            secs += int(m.group(3)) * DURATION_UNITS[m.group(4)]
            res = DURATION_UNITS[m.group(4)]
        out.append((secs, res))
    return out


def shows_age(text, lo, hi):
    """text holds a duration that renders an age in lo..hi, truncated or
    rounded to its last unit."""
    for secs, res in age_tokens(text):
        for age in range(lo, hi + 1):
            if secs <= age < secs + res or abs(secs - age) * 2 <= res:
                return True
    return False


def printable_runs(text):
    """The maximal runs of printable characters of text."""
    return [p for p in re.split(r"[\x00-\x1f\x7f]+", text) if p]


def list_lines(run):
    """--list table: (header, rows)."""
    assert run.lines, run
    return run.lines[0], run.lines[1:]


TABLE_COLUMNS = ["UID", "KIND", "NAME", "STATUS", "LAST END", "AGE", "SLA",
                 "VMS", "WAN", "CLOUD"]
LIST_JSON_KEYS = {"instanceUid", "kind", "name", "status", "lastEndTime",
                  "ageSeconds", "protectedVmCount", "throughWanAccelerators",
                  "isCloudJob", "sla", "maxDelay", "errorsCount",
                  "backupServerUid", "organizationUid"}

BAD_UID = "not-a-uuid"
ORG_A, ORG_B, ORG_C, ORG_D, ORG_E = S.FLEET_ORGS
SERVER_A, SERVER_B, SERVER_C, SERVER_D = S.FLEET_SERVERS

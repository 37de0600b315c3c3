"""What check_vspc_replication must answer, computed from its documentation
alone: the README (Usage: RANGE, the options for VM replication jobs and
CDP policies, Job health; Output and perfdata; States; VSPC versions), the
man page and --help.  Nothing here was taken from the C code: each rule
names the sentence it comes from.  Where the documentation is silent the
choice made is marked SILENT (some of them accept more than one answer),
and where the plugin is known to differ from it, DEVIATION (the oracle
then offers the plugin's answer as an alternative, and a strict xfail
case in property_regressions/ keeps the difference in view).

The oracle is a pure function of the answers VSPC gave (the replication
job or CDP policy, and the BackupServerJob when the session is read), the
options and the wall-clock window the run happened in:

    expect(case, t0, t1) -> Expectation

Standard library only."""

import datetime
import re
from fractions import Fraction

INT32_MAX = 2 ** 31 - 1
INT64_MIN, INT64_MAX = -2 ** 63, 2 ** 63 - 1

# README "States": "the worst: CRITICAL, then WARNING, then UNKNOWN, then
# OK"; "a rule that is UNKNOWN (a session status the plugin does not know)
# does not hide another rule's WARNING or CRITICAL"; "A job whose answer
# lacks a field a rule needs, or has it invalid, is UNKNOWN as a whole".
RANK = {"OK": 0, "UNKNOWN": 1, "WARNING": 2, "CRITICAL": 3}

STATE_WORDS = {"ok": "OK", "warning": "WARNING", "critical": "CRITICAL",
               "unknown": "UNKNOWN", "0": "OK", "1": "WARNING",
               "2": "CRITICAL", "3": "UNKNOWN"}

# README "Job health": "The last session's status gives: ..."
STATUS_STATES = {"Success": "OK", "Warning": "WARNING", "Failed": "CRITICAL",
                 "Running": "OK", "Starting": "OK", "Stopping": "OK",
                 "Idle": "OK", "Enabling": "OK", "Disabling": "OK",
                 "WaitingTape": "OK", "WaitingRepository": "OK"}
# README "CDP policies": "an rpoUnit that is not Seconds, Minutes, Hours or
# Days is UNKNOWN"
RPO_UNITS = {"Seconds": 1, "Minutes": 60, "Hours": 3600, "Days": 86400}
DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# README "Job health": "Timestamps are read exactly, whatever their offset
# and with 0 to 7 fractional digits; one without an offset is read as UTC."
# SILENT: more digits (RFC 3339 sets no limit) are read too.
TIME_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):"
                     r"([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
                     r"(Z|[+-][0-9]{2}:[0-9]{2})?$")

# The VM options whose expectations compare a field (README "For VM
# replication jobs").
EXPECTATIONS = (("wan", "throughWanAccelerators", "bool"),
                ("cloud", "isCloudJob", "bool"),
                ("source_wan", "sourceWanAcceleratorUid", "uid_or_null"),
                ("target_wan", "targetWanAcceleratorUid", "uid_or_null"),
                ("cloud_host", "cloudHostUid", "uid_or_null"),
                ("target_host", "targetHostUid", "uid"))


class Broken(Exception):
    """An answer the plugin cannot judge: README "States": "checked field
    missing, null or of the wrong type (e.g. "5"); count negative,
    fractional or beyond 32 bits ... UNKNOWN", and "answer describes
    another job than the one asked for ... UNKNOWN".  names: the words
    of which the summary must hold one."""

    def __init__(self, *names):
        Exception.__init__(self, names[0])
        self.names = names


class Expectation:
    """states: the acceptable overall states (more than one only where
    the clock cannot decide); failing: {rule: set of acceptable states}
    of every rule that is not OK (None: not compared); perf: {label:
    (value, uom, warn, crit, min, max)} with value an int or an
    inclusive (low, high) pair, None when the run is UNKNOWN (timed:
    whether the perfdata time= is there all the same); summary:
    substrings the summary must hold; any_of: groups of which one must
    be in the summary; mismatches: (field, expected, actual) the summary
    must name in that order; output: lines the long output must hold;
    alternative: another Expectation the plugin may meet instead (a
    DEVIATION)."""

    def __init__(self):
        self.states = set()
        self.failing = {}
        self.perf = None
        self.summary = []
        self.any_of = []
        self.mismatches = []
        self.output = []
        self.why = []
        self.alternative = None
        self.timed = True

    def __repr__(self):
        return "Expectation(%r)" % self.__dict__


# --------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------

def parse_range(text):
    """README "RANGE is the Monitoring Plugins syntax: `10` alerts outside
    0..10, `10:` below 10, `~:10` above 10, `10:20` outside 10..20,
    `@10:20` inside 10..20 (ends included)" -> (inside, low, high) with
    None for an open end."""
    inside = text.startswith("@")
    body = text[1:] if inside else text
    if ":" in body:
        start, end = body.split(":", 1)
        low = None if start == "~" else Fraction(start or "0")
        high = Fraction(end) if end else None
    else:
        low, high = Fraction(0), Fraction(body)
    return inside, low, high


def alerts(text, value):
    inside, low, high = parse_range(text)
    within = (low is None or value >= low) and (high is None or value <= high)
    return within if inside else not within


def parse_duration(text):
    """README: "DURATION is seconds or number+unit groups (s m h d w)"."""
    if re.match(r"^[0-9]+$", text):
        return int(text)
    groups = re.findall(r"([0-9]+)([smhdw])", text)
    assert "".join(n + u for n, u in groups) == text, text
    return sum(int(n) * DURATION_UNITS[u] for n, u in groups)


def state_word(text):
    """README: "STATE words are ok, warning, critical, unknown (any case)
    or 0 to 3"."""
    return STATE_WORDS[text.lower()]


def range_state(opts, value, warn_key, crit_key):
    """Critical range first, then warning (README "States": "warning
    range alerts WARNING, critical range alerts CRITICAL")."""
    if opts.get(crit_key) is not None and alerts(opts[crit_key], value):
        return "CRITICAL"
    if opts.get(warn_key) is not None and alerts(opts[warn_key], value):
        return "WARNING"
    return "OK"


def limit_state(opts, value, warn_key, crit_key):
    """--max-age-* and --max-delay-*: "longer" alerts; "exactly at the
    limit is still OK"."""
    if opts.get(crit_key) is not None and \
            value > parse_duration(opts[crit_key]):
        return "CRITICAL"
    if opts.get(warn_key) is not None and \
            value > parse_duration(opts[warn_key]):
        return "WARNING"
    return "OK"


def limit_text(opts, key):
    """Perfdata thresholds of durations: "the age limits in seconds"."""
    return "" if opts.get(key) is None else str(parse_duration(opts[key]))


# --------------------------------------------------------------------------
# Fields
# --------------------------------------------------------------------------

_MISSING = object()


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def field(obj, key):
    return obj.get(key, _MISSING) if isinstance(obj, dict) else _MISSING


def need_count(obj, key, *names):
    """A count: a whole number from 0 to 2^31-1, else Broken."""
    v = field(obj, key)
    if is_int(v) and 0 <= v <= INT32_MAX:
        return v
    raise Broken(*(names or (key,)))


def need_bool(obj, key):
    v = field(obj, key)
    if isinstance(v, bool):
        return v
    raise Broken(key)


def need_uid(obj, key, nullable):
    v = field(obj, key)
    if v is None and nullable:
        return None
    if isinstance(v, str) and UUID_RE.match(v):
        return v.lower()
    raise Broken(key)


def known_int(obj, key, low=0, high=INT64_MAX):
    """A figure shown in the perfdata "where VSPC knows them": a whole
    number in its range, else nothing (SILENT: a negative duration, size
    or count is taken as not known)."""
    v = field(obj, key)
    return v if is_int(v) and low <= v <= high else None


def check_identity(obj, uid):
    """README "VSPC versions": "The plugin accepts an answer as the job
    asked for when any of the three names it, on both requests"; "an
    answer without an instanceUid ... is taken as it is"; the States table:
    "answer describes another job than the one asked for" is UNKNOWN, and
    so is a checked field of the wrong type."""
    inst = field(obj, "instanceUid")
    if inst is not _MISSING and inst is not None and \
            not (isinstance(inst, str) and UUID_RE.match(inst)):
        raise Broken("instanceUid")
    for key in ("instanceUid", "uniqueUid", "originalUid"):
        v = field(obj, key)
        if isinstance(v, str) and v.lower() == uid.lower():
            return
    if inst is _MISSING or inst is None:
        return
    raise Broken(uid, "instanceUid")


def parse_time(text):
    """An ISO 8601 date-time as VSPC writes it -> exact epoch seconds (a
    Fraction), or None for a placeholder (README "VSPC versions":
    "0001-01-01T00:00:00, and any time before 1970, is a placeholder for
    no end time").  Broken when it is not a date-time."""
    m = TIME_RE.match(text)
    if not m:
        raise Broken("lastEndTime")
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    try:
        base = datetime.datetime(y, mo, d, h, mi, s)
    except ValueError:
        raise Broken("lastEndTime")
    frac = Fraction(int(m.group(7)), 10 ** len(m.group(7))) \
        if m.group(7) else Fraction(0)
    off = 0
    if m.group(8) and m.group(8) != "Z":
        sign = -1 if m.group(8)[0] == "-" else 1
        off = sign * (int(m.group(8)[1:3]) * 3600 + int(m.group(8)[4:6]) * 60)
    delta = base - datetime.datetime(1970, 1, 1)
    epoch = delta.days * 86400 + delta.seconds - off + frac
    return None if epoch < 0 else epoch


# --------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------

class _Rules:
    def __init__(self):
        self.states = {}      # rule -> set of acceptable states
        self.perf = {}
        self.summary = []
        self.mismatches = []
        self.output = []
        self.broken = []
        self.silent = []

    def rule(self, name, *states):
        self.states[name] = set(states)

    def attempt(self, fn, *args):
        """fn(*args), or None with the Broken noted: every field the
        rules need is looked at, whichever of them the plugin reads
        first."""
        try:
            return fn(*args)
        except Broken as exc:
            self.broken.append(exc)
            return None


def _expectation(r, repl, opts, key, name, kind):
    want = opts.get(key)
    if want is None:
        return
    if kind == "bool":
        got = need_bool(repl, name)
        want_v = want == "yes"
        shown = ("true" if want_v else "false", "true" if got else "false")
    else:
        got = need_uid(repl, name, kind == "uid_or_null")
        want_v = None if want == "none" else want.lower()
        shown = (want_v or "(?:none|null)", got or "(?:none|null)")
    if got != want_v:
        r.rule(name, state_word(opts.get("mismatch_state") or "warning"))
        r.mismatches.append((name,) + shown)


def _count_rule(r, repl, opts):
    count = need_count(repl, "protectedVmCount")
    state = range_state(opts, count, "warning", "critical")
    if state != "OK":
        r.rule("protectedVmCount", state)
        r.summary.append("protectedVmCount")
    r.perf["protected_vms"] = (count, "", opts.get("warning") or "",
                               opts.get("critical") or "", "0", "")
    return count


def _vm_rules(r, repl, opts, uid, status_read):
    """README "For VM replication jobs" and "Output and perfdata"."""
    for key, name, kind in EXPECTATIONS:
        r.attempt(_expectation, r, repl, opts, key, name, kind)
    count = r.attempt(_count_rule, r, repl, opts)
    if count is not None:
        word = "VM" if count == 1 else "VMs"
        r.summary.append("protects %d %s" % (count, word))
        if not status_read:
            # README "Output and perfdata": "job <uid> protects 5 VMs"
            r.summary.append("job %s protects %d %s" % (uid, count, word))


def _lp_figure(r, lp, key, never, no_text):
    """One lastPeriod figure a rule needs: null gives the never-run state
    with the documented line; anything but a whole number is Broken."""
    v = field(lp, key)
    if v is None:
        r.rule(key, never)
        r.summary.append(no_text)
        return None
    if not is_int(v):
        raise Broken("lastPeriod." + key)
    return v


def _sla_rule(r, lp, opts, never):
    sla = _lp_figure(r, lp, "sla", never,
                     "VSPC reports no SLA for the last period")
    if sla is None:
        return
    if not 0 <= sla <= 100:
        # "the percent of sync sessions that met the RPO"
        raise Broken("lastPeriod.sla")
    state = range_state(opts, sla, "sla_warning", "sla_critical")
    if state != "OK":
        r.rule("sla", state)


def _delay_rule(r, lp, opts, never):
    delay = _lp_figure(r, lp, "maxDelay", never,
                       "VSPC reports no max delay for the last period")
    if delay is None:
        return
    if not INT64_MIN <= delay <= INT64_MAX:
        raise Broken("lastPeriod.maxDelay")
    state = limit_state(opts, delay, "max_delay_warning",
                        "max_delay_critical")
    if state != "OK":
        r.rule("maxDelay", state)


def _errors_rule(r, lp, opts):
    errors = need_count(lp, "errorsCount", "lastPeriod.errorsCount")
    state = range_state(opts, errors, "errors_warning", "errors_critical")
    if state != "OK":
        r.rule("errorsCount", state)


def _rpo_rule(r, policy, opts):
    rpo = field(policy, "rpo")
    if not is_int(rpo) or rpo > INT32_MAX:
        raise Broken("rpo")
    unit = field(policy, "rpoUnit")
    if unit not in RPO_UNITS:
        raise Broken("rpoUnit")
    if rpo < 0:
        # SILENT: a negative RPO (int32 in the schema).
        r.silent.append("negative rpo")
    elif rpo * RPO_UNITS[unit] != parse_duration(opts["rpo"]):
        r.rule("rpo", state_word(opts.get("mismatch_state") or "warning"))
        r.summary.append("rpo")


def _given(opts, *keys):
    return any(opts.get(k) is not None for k in keys)


def _cdp_rules(r, policy, opts):
    """README "For CDP policies": "A null lastPeriod, sla or maxDelay is
    normal ...: a rule that needs the figure gives the --never-run-state
    with "VSPC reports no SLA for the last period" (or no max delay, or no
    figures).  A missing field, one of the wrong type, or an rpoUnit that
    is not Seconds, Minutes, Hours or Days is UNKNOWN for a rule that
    needs it and ignored otherwise." """
    never = state_word(opts.get("never_run_state") or "warning")
    sla = _given(opts, "sla_warning", "sla_critical")
    delay = _given(opts, "max_delay_warning", "max_delay_critical")
    errors = _given(opts, "errors_warning", "errors_critical")
    lp = field(policy, "lastPeriod")
    if (sla or delay or errors) and lp is None:
        r.rule("lastPeriod", never)
        r.summary.append("VSPC reports no figures for the last period")
    elif (sla or delay or errors) and not isinstance(lp, dict):
        r.broken.append(Broken("lastPeriod"))
    elif sla or delay or errors:
        if sla:
            r.attempt(_sla_rule, r, lp, opts, never)
        if delay:
            r.attempt(_delay_rule, r, lp, opts, never)
        if errors:
            r.attempt(_errors_rule, r, lp, opts)
    if opts.get("rpo") is not None:
        r.attempt(_rpo_rule, r, policy, opts)
    _cdp_perf(r, lp, opts)


def _cdp_perf(r, lp, opts):
    """README "Output and perfdata": "A CDP policy, from its last period,
    each where VSPC gives the figure (none when lastPeriod is null):
    `sla=<percent>%;<warn>;<crit>;0;100` with the --sla ranges,
    `max_delay=<s>s;<warn>;<crit>;;` with the --max-delay limits in
    seconds (no minimum: VSPC does not say it is never negative),
    `sessions_success=<n>;;;0;`, `sessions_warning=<n>;;;0;`,
    `sessions_error=<n>;<warn>;<crit>;0;` with the --errors ranges,
    `sync_interval=<s>s;;;0;` and `total_data=<KB>KB;;;0;`"."""
    if not isinstance(lp, dict):
        return
    sla = known_int(lp, "sla", 0, 100)
    if sla is not None:
        r.perf["sla"] = (sla, "%", opts.get("sla_warning") or "",
                         opts.get("sla_critical") or "", "0", "100")
        r.summary.append("SLA %d%%" % sla)
    delay = known_int(lp, "maxDelay", INT64_MIN)
    if delay is not None:
        r.perf["max_delay"] = (delay, "s",
                               limit_text(opts, "max_delay_warning"),
                               limit_text(opts, "max_delay_critical"),
                               "", "")
    for key, label in (("successCount", "sessions_success"),
                       ("warningCount", "sessions_warning"),
                       ("errorsCount", "sessions_error")):
        v = known_int(lp, key, 0, INT32_MAX)
        if v is not None:
            warn = crit = ""
            if key == "errorsCount":
                warn = opts.get("errors_warning") or ""
                crit = opts.get("errors_critical") or ""
            r.perf[label] = (v, "", warn, crit, "0", "")
    errors = known_int(lp, "errorsCount", 0, INT32_MAX)
    if errors is not None:
        # SILENT: "0 sync errors" (tests/e2e/test_cdp.py); one is singular
        r.summary.append("%d sync error" % errors)
    v = known_int(lp, "syncInterval")
    if v is not None:
        r.perf["sync_interval"] = (v, "s", "", "", "0", "")
    v = known_int(lp, "totalData")
    if v is not None:
        r.perf["total_data"] = (v, "KB", "", "", "0", "")


def need_status(job):
    status = field(job, "status")
    if not isinstance(status, str):
        raise Broken("status")
    return status


def need_end(job):
    """lastEndTime: exact epoch seconds, or None for null or a
    placeholder."""
    end_raw = field(job, "lastEndTime")
    if end_raw is None:
        return None
    if not isinstance(end_raw, str):  # missing, too
        raise Broken("lastEndTime")
    return parse_time(end_raw)


def _status_rule(r, job, status, never):
    if status == "None":
        r.rule("status", never)
        r.summary.append("never ran")
    elif status in STATUS_STATES:
        if STATUS_STATES[status] != "OK":
            r.rule("status", STATUS_STATES[status])
        r.summary.append("last session " + status)
    else:
        r.rule("status", "UNKNOWN")
        r.summary.append(status)
    if status in ("Warning", "Failed"):
        msg = field(job, "failureMessage")
        if isinstance(msg, str):
            r.output += [ln for ln in msg.split("\r\n") if ln.strip()]


def _age_rule(r, opts, status, end, never, t0, t1):
    has_limit = _given(opts, "max_age_warning", "max_age_critical")
    if end is None:
        if has_limit:
            # "counts as never run": with status None it already does, and
            # one rule or two give the same state
            r.rule("lastEndTime", never, *(["OK"] if status == "None"
                                           else []))
        return
    # The run's "now" lies in [t0, t1]; a whole-second clock may show up
    # to a second less.  The state only grows with the age, so the two
    # ends of the window give every state the run can see.
    lo, hi = t0 - 1 - end, t1 - end
    states = {limit_state(opts, age, "max_age_warning", "max_age_critical")
              for age in (lo, hi)}
    if states != {"OK"}:
        r.rule("lastEndTime", *states)
    r.perf["last_run_age"] = ((max(0, int(lo)), int(hi) + 1), "s",
                              limit_text(opts, "max_age_warning"),
                              limit_text(opts, "max_age_critical"), "0", "")
    if status != "None":
        r.summary.append("ago")


def _health_rules(r, job, uid, opts, t0, t1):
    """README "Job health" and the States table."""
    r.attempt(check_identity, job, uid)
    never = state_word(opts.get("never_run_state") or "warning")
    status = r.attempt(need_status, job)
    if status is not None:
        _status_rule(r, job, status, never)
    enabled = r.attempt(need_bool, job, "isEnabled")
    if enabled is False:
        state = state_word(opts.get("disabled_state") or "warning")
        if state != "OK":
            r.rule("isEnabled", state)
            r.summary.append("disabled")
    try:
        end = need_end(job)
    except Broken as exc:
        r.broken.append(exc)
    else:
        _age_rule(r, opts, status, end, never, t0, t1)
    name = field(job, "name")
    if isinstance(name, str) and name:
        # SILENT: how a job without a usable name is named.
        r.summary.append("'%s' (%s)" % (name, uid))
    # SILENT: lastDuration is int32 in the schema; a longer one is shown
    v = known_int(job, "lastDuration", 0, INT64_MAX)
    if v is not None:
        r.perf["last_duration"] = (v, "s", "", "", "0", "")
    v = known_int(job, "transferredData")
    if v is not None:
        r.perf["transferred"] = (v, "B", "", "", "0", "")


VM_OPTIONS = ("warning", "critical", "wan", "cloud", "source_wan",
              "target_wan", "cloud_host", "target_host")
CDP_OPTIONS = ("sla_warning", "sla_critical", "max_delay_warning",
               "max_delay_critical", "errors_warning", "errors_critical",
               "rpo")


def foreign_option(case):
    """README "For CDP policies": "With -j an option of the other kind
    (-w on a CDP policy, --sla-critical on a VM replication job) is a
    usage error (UNKNOWN) naming the option"."""
    other = CDP_OPTIONS if case["kind"] == "vm" else VM_OPTIONS
    for key in other:
        if case["options"].get(key) is not None:
            return "--" + key.replace("_", "-")
    return None


def expect(case, t0, t1):
    """The Expectation for case (see property_cases: kind "vm" or "cdp",
    uid, body: the replication job or CDP policy, job: its BackupServerJob,
    options) run between wall-clock times t0 and t1 (seconds)."""
    opts = case["options"]
    uid = case["uid"]
    body = case["body"]
    status_read = not opts.get("no_job_status")
    e = Expectation()
    foreign = foreign_option(case)
    if foreign:
        e.states = {"UNKNOWN"}
        e.summary = [foreign]
        e.why.append("usage: " + foreign)
        e.timed = False  # a usage error has no requests to time
        return e
    r = _Rules()
    r.attempt(check_identity, body, uid)
    if case["kind"] == "vm":
        _vm_rules(r, body, opts, uid, status_read)
    else:
        _cdp_rules(r, body, opts)
    if status_read:
        _health_rules(r, case.get("job"), uid, opts, t0, t1)
    if r.broken:
        # README "States": a checked field missing, null or of the wrong
        # type makes the check UNKNOWN, whatever else it found.
        e.states = {"UNKNOWN"}
        e.any_of = [tuple(n for b in r.broken for n in b.names)]
        e.why.append("broken: %s" % ", ".join(e.any_of[0]))
        return e
    e.failing = r.states
    e.perf = r.perf
    e.summary = r.summary
    e.mismatches = r.mismatches
    e.output = r.output
    e.states = worst_states(r.states.values())
    if r.silent:
        # the documentation does not say: UNKNOWN or the rules' state,
        # nothing else compared
        e.states |= {"UNKNOWN"}
        e.failing = e.perf = None
        e.summary, e.mismatches, e.output = [], [], []
        e.why += ["SILENT: " + w for w in r.silent]
    return e


def worst_states(choices):
    """Every overall state the rules' acceptable states can add up to."""
    out = {"OK"}
    for states in choices:
        out = {max(a, b, key=RANK.get) for a in out for b in states}
    return out

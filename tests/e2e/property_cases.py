"""Cases for the property tests (tests/e2e/test_properties.py): Hypothesis
strategies that make VSPC answers from the published schemas
(vspc_schemas_3_6_2.json: types, formats, enums, nullable fields) with
options to check them against, one field broken on request, and the
serving of a case by the simulator.

A case is plain JSON, so that a failing one can be saved under
property_regressions/ and replayed forever:
    {"kind": "vm" | "cdp", "uid": the job asked for,
     "body": the BackupServerReplicationVmJob or BackupServerCdpReplicationJob,
     "job": its BackupServerJob,
     "options": {"warning": "10:", "max_age_warning": "26h", ...},
     "broken": what was broken, or absent}
An end time relative to the run is written {"$ago": SECONDS, "digits":
N, "offset": "+05:30" | "Z" | ""} and becomes a timestamp when the case
is served (resolve())."""

import copy
import datetime
import json
import os
import re
import uuid
from fractions import Fraction

from hypothesis import strategies as st

import vspc_sim as S

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "vspc_schemas_3_6_2.json"),
          encoding="utf-8") as _f:
    SCHEMAS = json.load(_f)["components"]["schemas"]

INT32 = (-2 ** 31, 2 ** 31 - 1)
INT64 = (-2 ** 63, 2 ** 63 - 1)
FORMAT_RANGES = {"int32": INT32, "int64": INT64}

# What the documentation says of values the schema leaves open (README
# "States": a count is not negative; a percentage; sizes and durations).
# Valid answers keep to these; broken ones leave them.
DOC_RANGES = {
    "protectedVmCount": (0, INT32[1]), "successCount": (0, INT32[1]),
    "warningCount": (0, INT32[1]), "errorsCount": (0, INT32[1]),
    "sla": (0, 100), "rpo": (0, INT32[1]), "lastDuration": (0, INT32[1]),
    "transferredData": (0, INT64[1]), "syncInterval": (0, INT64[1]),
    "totalData": (0, INT64[1]), "averageData": (0, INT64[1]),
    "maximumData": (0, INT64[1]), "averageDuration": (0, INT64[1]),
    "maximumDuration": (0, INT64[1]), "avgDuration": (0, INT32[1]),
    "backupChainSize": (0, INT64[1]), "maxDelay": (-86400, INT64[1]),
}

# Text VSPC might send, kept free of what the plugin cleans ('|', control
# characters) so that it can be looked for in the output.
SAFE = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        " -_.,:()/#+&@!\u00e9\u00dc\u00df\u00e6\u65e5\u672c")
OFFSETS = ["Z", "", "+00:00", "-04:00", "-07:00", "+05:30", "+05:45",
           "+14:00", "-12:00", "+01:00", "-09:30"]
NEW_ENUM_VALUES = ["Paused", "ArchivedIn2030", "Queued", "Weeks", "Future"]
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{12}$")


# --------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------

def format_time(epoch, digits=0, offset="Z"):
    """Exact epoch seconds (a Fraction) as VSPC writes it: local time at
    offset ("" writes UTC without an offset), digits fractional digits
    (truncated)."""
    off = 0
    if offset not in ("Z", ""):
        off = (int(offset[1:3]) * 3600 + int(offset[4:6]) * 60) * \
            (-1 if offset[0] == "-" else 1)
    local = Fraction(epoch) + off
    whole = local.numerator // local.denominator
    frac = local - whole
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=whole)
    text = "%04d-%s" % (t.year, t.strftime("%m-%dT%H:%M:%S"))
    if digits:
        text += "." + str(int(frac * 10 ** digits)).zfill(digits)
    return text + offset


def resolve(case, now):
    """The case with every {"$ago": ...} turned into a timestamp that
    many seconds before now (a float epoch)."""
    def walk(v):
        if isinstance(v, dict):
            if "$ago" in v:
                epoch = Fraction(now) - Fraction(v["$ago"])
                return format_time(epoch, v["digits"], v["offset"])
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v
    return walk(case)


def _uuid_text(n):
    return str(uuid.UUID(int=n))


# st.uuids() maps through a lambda, which Hypothesis describes (slowly)
# on every draw
uids = st.integers(0, 2 ** 128 - 1).map(_uuid_text)
digits = st.integers(0, 7)
offsets = st.sampled_from(OFFSETS)
PLACEHOLDERS = st.sampled_from([
    "0001-01-01T00:00:00", "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00.0000000-07:00", "1900-01-01T00:00:00Z",
    "1900-01-01T00:00:00.000+00:00"])


def draw_time(draw, low, high):
    """An instant from low to high (epoch seconds) as VSPC writes it."""
    epoch = Fraction(draw(st.integers(low, high)))
    epoch += Fraction(draw(st.integers(0, 10 ** 7 - 1)), 10 ** 7)
    return format_time(epoch, draw(digits), draw(offsets))


@st.composite
def timestamps(draw):
    return draw_time(draw, 365 * 86400, 130 * 365 * 86400)


TIMESTAMPS = timestamps()


ages = st.one_of(st.integers(0, 200000), st.integers(0, 10 ** 9))
near_deltas = st.one_of(st.integers(-4, 4), st.integers(-3600, 3600))


def draw_end_time(draw, near):
    """lastEndTime: mostly a recent end (near the age limit about half of
    the time), else null, a placeholder (year 1, before 1970) or around
    the 1970 boundary, whatever the offset."""
    pick = draw(st.integers(0, 19))
    if pick < 12:
        if draw(st.booleans()):
            age = max(0, near + draw(near_deltas))
        else:
            age = draw(ages)
        return {"$ago": age, "digits": draw(digits), "offset": draw(offsets)}
    if pick < 15:
        return None
    if pick < 17:
        return draw(PLACEHOLDERS)
    if pick < 18:
        return draw_time(draw, -62135596800 + 86400, -86400)
    # around 1970-01-01T00:00:00Z: before it is a placeholder
    return draw_time(draw, -2 * 86400, 2 * 86400)


# --------------------------------------------------------------------------
# Values from the schemas
# --------------------------------------------------------------------------

def ref_name(prop):
    """The schema a property refers to ($ref, or allOf with one $ref)."""
    ref = prop.get("$ref")
    if ref is None and prop.get("allOf"):
        ref = prop["allOf"][0].get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None


@st.composite
def _or_null(draw, strategy, one_in):
    return None if draw(st.integers(0, one_in - 1)) == 0 else draw(strategy)


def weighted_null(strategy, nullable, one_in=6):
    """strategy, or null about once in one_in where the schema allows it
    (one_of would give null half of the time: it treats repeated branches
    as one)."""
    return _or_null(strategy, one_in) if nullable else strategy


def integers(low, high):
    """Small values, the ends of the range and anything between."""
    return st.one_of(st.integers(max(low, 0), min(high, 2000)),
                     st.integers(low, high), st.sampled_from([low, high]))


def enum_values(prop):
    values = list(prop["enum"])
    if prop.get("x-extensible-enum"):
        # README (shared): "All enums are extensible: new values will
        # appear."
        values.append(NEW_ENUM_VALUES[len(values) % len(NEW_ENUM_VALUES)])
    return st.sampled_from(values)


def value_of(prop, name, depth=0):
    """A valid value of property schema prop (called name)."""
    nullable = bool(prop.get("nullable"))
    ref = ref_name(prop)
    if ref is not None:
        if depth > 1 or ref == "BackupServerJobSchedule":
            # the schedule is opaque in the extract
            return weighted_null(st.just({}), True, 2)
        return weighted_null(object_of(ref, depth=depth + 1), nullable)
    t = prop.get("type")
    fmt = prop.get("format")
    if "enum" in prop:
        base = enum_values(prop)
    elif t == "string" and fmt == "uuid":
        base = uids
    elif t == "string" and fmt == "date-time":
        base = TIMESTAMPS
    elif t == "string":
        base = st.text(SAFE, max_size=24)
    elif t == "integer":
        low, high = DOC_RANGES.get(name, FORMAT_RANGES.get(fmt, INT64))
        base = integers(low, high)
    elif t == "number":
        base = st.floats(0, 1e12, allow_nan=False, allow_infinity=False)
    elif t == "boolean":
        base = st.booleans()
    elif t == "array":
        item = prop.get("items", {})
        if ref_name(item) is not None and depth > 0:
            base = st.just([])
        else:
            base = st.lists(value_of(item, name, depth + 1), max_size=2)
    else:
        base = st.none()
    return weighted_null(base, nullable)


def object_of(schema, depth=0, overrides=None):
    """Every property of schema, each valid; overrides: {name: strategy}
    (None leaves the property out)."""
    props = SCHEMAS[schema].get("properties", {})
    fields = {}
    for name, prop in props.items():
        if overrides and name in overrides:
            if overrides[name] is not None:
                fields[name] = overrides[name]
            continue
        fields[name] = value_of(prop, name, depth)
    return st.fixed_dictionaries(fields)


extra_keys = st.dictionaries(
    st.sampled_from(["futureField", "x-vspc-new", "originalUid",
                     "_links"]),
    st.one_of(st.none(), uids, st.integers(-5, 5), st.text(SAFE, max_size=5),
              st.lists(st.integers(0, 3), max_size=2)),
    max_size=2)


def _merged(obj, extra):
    return dict(extra, **obj)


def with_extras(strategy):
    """README: "Unknown extra keys in answers are ignored"."""
    return st.builds(_merged, strategy, extra_keys)


SAFE_START = SAFE.replace(" ", "")


def _name(first, rest):
    return first + rest.rstrip()


def names(max_size=30):
    """Text that neither starts nor ends with a space."""
    return st.builds(_name, st.sampled_from(SAFE_START),
                     st.text(SAFE, max_size=max_size - 1))


def _message(lines):
    return "\r\n".join(lines) + "\r\n"


failure_messages = st.lists(names(40), min_size=1, max_size=3).map(_message)

# What a VM replication job's _embedded may hold: the single-job check
# does not read it (README "Job health": the session comes from the
# BackupServerJob endpoint).
embedded = st.sampled_from([None, {"backupServerJob": None},
                            {"backupServerJob": S.decoy_job(ZERO_UUID)}])

# instanceUid, type and lastEndTime are set per case
JOBS = with_extras(object_of("BackupServerJob", overrides={
    "instanceUid": None, "type": None, "lastEndTime": None,
    "name": names(),
    "failureMessage": weighted_null(failure_messages, True, 3)}))
VM_BODIES = with_extras(object_of("BackupServerReplicationVmJob", overrides={
    "instanceUid": None, "_embedded": embedded}))
_CDP_PROPS = SCHEMAS["BackupServerCdpReplicationJob"]["properties"]
# Kept valid more often than a uniform choice would: a null lastPeriod
# and an rpoUnit of Unknown (or a new one) each decide a whole check.
CDP_BODIES = with_extras(object_of("BackupServerCdpReplicationJob",
                                   overrides={
    "instanceUid": None, "_embedded": None,
    "rpoUnit": st.sampled_from(_CDP_PROPS["rpoUnit"]["enum"] +
                               ["Seconds", "Minutes", "Hours", "Days"] * 2 +
                               NEW_ENUM_VALUES[:1]),
    "lastPeriod": weighted_null(
        object_of("BackupServerCdpReplicationJobLastPeriod"), True, 10)}))


# --------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------

def _decimal(i, f):
    return "%d.%d" % (i, f)


numbers = st.one_of(st.integers(-20, 60).map(str),
                    st.integers(0, 2 ** 31 + 10).map(str),
                    st.builds(_decimal, st.integers(-5, 100),
                              st.integers(0, 99)))
RANGE_FORMS = st.sampled_from(["N", "N:", "~:N", "N:M", "@N:M", "@N",
                               "@~:N", "@N:"])
small_deltas = st.integers(-2, 2)


def draw_number(draw, near):
    if is_number(near) and draw(st.booleans()):
        return str(near + draw(small_deltas))
    return draw(numbers)


def is_number(v):
    return isinstance(v, int) and not isinstance(v, bool)


def draw_range(draw, near=None):
    """A valid Monitoring Plugins range, often around near."""
    low, high = draw_number(draw, near), draw_number(draw, near)
    if Fraction(low) > Fraction(high):
        low, high = high, low
    form = draw(RANGE_FORMS)
    if form in ("N", "@N"):
        return form.replace("N", high.lstrip("-"))
    if form in ("N:", "@N:"):
        return form.replace("N", low)
    if form in ("~:N", "@~:N"):
        return form.replace("N", high)
    return form.replace("N", low).replace("M", high)


MAX_DURATION = 3650 * 86400
seconds = st.one_of(st.integers(1, 100000), st.integers(1, MAX_DURATION))
tiny_deltas = st.integers(-3, 3)
UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def draw_duration(draw, near=None):
    """DURATION text (seconds, or groups like 1d12h) of 1 s to 3650 d,
    near near about half of the time."""
    if is_number(near) and draw(st.booleans()):
        secs = near + draw(tiny_deltas)
    else:
        secs = draw(seconds)
    secs = min(max(secs, 1), MAX_DURATION)
    if draw(st.booleans()):
        return str(secs)
    parts, rest = [], secs
    for unit, size in UNITS:
        if rest >= size and (unit == "s" or draw(st.booleans())):
            parts.append("%d%s" % (rest // size, unit))
            rest %= size
    return "".join(parts)


NEVER_STATES = st.sampled_from(["ok", "warning", "critical", "unknown", "0",
                                "1", "2", "3", "OK", "Critical", "WARNING"])
MISMATCH_STATES = st.sampled_from(["warning", "critical", "Critical",
                                   "WARNING"])
ONE_IN = {n: st.integers(0, n - 1) for n in (2, 3, 4, 5)}


def given_one_in(draw, n):
    """Whether to give an option: about once in n."""
    return draw(ONE_IN[n]) == 0


def draw_expectation(draw, actual, kind):
    """An expectation option: the actual value (in another case too),
    another one, or none where null is allowed."""
    if kind == "bool":
        return draw(st.sampled_from(["yes", "no"]))
    choices = [draw(uids)]
    if kind == "uid_or_null":
        choices.append("none")
    if isinstance(actual, str):
        choices += [actual, actual.upper()]
    return draw(st.sampled_from(choices))


def option_args(opts):
    """The command line of options (None and False are left out)."""
    args = []
    for key in sorted(opts):
        v = opts[key]
        if v is None or v is False:
            continue
        flag = "--" + key.replace("_", "-")
        args.append(flag if v is True else "%s=%s" % (flag, v))
    return args


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

VM_EXPECTATIONS = (("wan", "throughWanAccelerators", "bool"),
                   ("cloud", "isCloudJob", "bool"),
                   ("source_wan", "sourceWanAcceleratorUid", "uid_or_null"),
                   ("target_wan", "targetWanAcceleratorUid", "uid_or_null"),
                   ("cloud_host", "cloudHostUid", "uid_or_null"),
                   ("target_host", "targetHostUid", "uid"))
near_ages = st.integers(1, 200000)


def draw_health(draw, opts, uid, job_type):
    """The options of job health, and the BackupServerJob."""
    near = draw(near_ages)
    opts["no_job_status"] = given_one_in(draw, 5)
    for key, n in (("max_age_warning", 2), ("max_age_critical", 3)):
        opts[key] = draw_duration(draw, near) if given_one_in(draw, n) \
            else None
    for key, n, words in (("never_run_state", 2, NEVER_STATES),
                          ("disabled_state", 2, NEVER_STATES),
                          ("mismatch_state", 3, MISMATCH_STATES)):
        opts[key] = draw(words) if given_one_in(draw, n) else None
    job = draw(JOBS)
    job.update({"instanceUid": uid, "type": job_type,
                "lastEndTime": draw_end_time(draw, near)})
    return job


@st.composite
def vm_cases(draw):
    """A VM replication job, its BackupServerJob and options for it."""
    uid = draw(uids)
    body = draw(VM_BODIES)
    body["instanceUid"] = uid
    if body["isCloudJob"] and draw(ONE_IN[5]):
        # README (shared): "A cloud job has targetHostUid set to the
        # all-zero UUID."
        body["targetHostUid"] = ZERO_UUID
    opts = {}
    count = body["protectedVmCount"]
    for key in ("warning", "critical"):
        opts[key] = draw_range(draw, count) if given_one_in(draw, 2) \
            else None
    for key, name, kind in VM_EXPECTATIONS:
        opts[key] = draw_expectation(draw, body.get(name), kind) \
            if given_one_in(draw, 3) else None
    opts["kind"] = "vm" if given_one_in(draw, 3) else None
    job = draw_health(draw, opts, uid, "ReplicationVM")
    draw_foreign(draw, opts, "vm")
    return {"kind": "vm", "uid": uid, "body": body, "job": job,
            "options": opts}


RPO_SECONDS = {"Seconds": 1, "Minutes": 60, "Hours": 3600, "Days": 86400}
# One option of the other kind, now and then (README: "With -j an option
# of the other kind ... is a usage error (UNKNOWN) naming the option").
FOREIGN = {"vm": st.sampled_from([("sla_warning", "90:"),
                                  ("sla_critical", "@0:50"),
                                  ("max_delay_warning", "5m"),
                                  ("max_delay_critical", "1h"),
                                  ("errors_warning", "0"),
                                  ("errors_critical", "~:3"),
                                  ("rpo", "15s")]),
           "cdp": st.sampled_from([("warning", "1:"), ("critical", "@5"),
                                   ("wan", "yes"), ("cloud", "no"),
                                   ("source_wan", "none"),
                                   ("target_wan", ZERO_UUID),
                                   ("cloud_host", "none"),
                                   ("target_host", ZERO_UUID)])}


def draw_foreign(draw, opts, kind):
    # the simplest examples (all zero) leave it out
    if draw(st.integers(0, 29)) == 29:
        key, value = draw(FOREIGN[kind])
        opts[key] = value


@st.composite
def cdp_cases(draw):
    """A CDP policy, its BackupServerJob and options for it."""
    uid = draw(uids)
    body = draw(CDP_BODIES)
    body["instanceUid"] = uid
    opts = {}
    lp = body.get("lastPeriod") or {}
    for prefix, n, value in (("sla", 3, lp.get("sla")),
                             ("errors", 3, lp.get("errorsCount"))):
        for kind in ("warning", "critical"):
            key = "%s_%s" % (prefix, kind)
            opts[key] = draw_range(draw, value) if given_one_in(draw, n) \
                else None
    for kind in ("warning", "critical"):
        key = "max_delay_" + kind
        opts[key] = draw_duration(draw, lp.get("maxDelay")) \
            if given_one_in(draw, 3) else None
    rpo = body["rpo"] * RPO_SECONDS.get(body["rpoUnit"], 0)
    opts["rpo"] = draw_duration(draw, rpo) if given_one_in(draw, 3) \
        else None
    opts["kind"] = "cdp" if given_one_in(draw, 2) else None
    job = draw_health(draw, opts, uid, "CdpReplicationVM")
    draw_foreign(draw, opts, "cdp")
    return {"kind": "cdp", "uid": uid, "body": body, "job": job,
            "options": opts}


# --------------------------------------------------------------------------
# One field broken
# --------------------------------------------------------------------------

# The fields the documentation names (README: the options, "Job health",
# "Output and perfdata", "VSPC versions"); half of the breaks hit one.
DOCUMENTED = {
    "BackupServerReplicationVmJob": [
        "instanceUid", "protectedVmCount", "isCloudJob", "cloudHostUid",
        "targetHostUid", "sourceWanAcceleratorUid",
        "targetWanAcceleratorUid", "throughWanAccelerators"],
    "BackupServerJob": [
        "instanceUid", "name", "status", "isEnabled", "lastEndTime",
        "lastDuration", "transferredData", "failureMessage"],
    "BackupServerCdpReplicationJob": ["rpo", "rpoUnit", "lastPeriod"],
    "BackupServerCdpReplicationJobLastPeriod": [
        "sla", "maxDelay", "errorsCount", "successCount", "warningCount",
        "syncInterval", "totalData"],
}


# Values of each JSON type, for "of another type".
SAMPLES = {"string": ["5", "null"], "integer": [5, -3], "number": [1.5],
           "boolean": [True, False], "object": [{}, {"value": 1}],
           "array": [[], [1]]}


def wrong_types(prop):
    """Values of every JSON type but prop's (an integer is a number)."""
    t = prop.get("type") or ("object" if ref_name(prop) else None)
    same = {"integer", "number"} if t == "number" else {t}
    return [v for other, values in SAMPLES.items() if other not in same
            for v in values]


def breaks(prop):
    """(how, value) pairs that break a value of prop; "absent" removes
    it."""
    out = [("absent", None), ("null", None)]
    out += [("wrong type", v) for v in wrong_types(prop)]
    t, fmt = prop.get("type"), prop.get("format")
    if t == "integer":
        low, high = FORMAT_RANGES.get(fmt, INT64)
        out += [("out of range", v) for v in (-1, high + 1, low - 1, 1.5,
                                              2 ** 64, 7.25e20)]
    if "enum" in prop:
        out += [("unknown enum value", v) for v in
                ("Fortnights", "", prop["enum"][0].lower() + "x")]
    if fmt == "uuid":
        out += [("bad format", v) for v in
                ("not-a-uuid", "bc04d2e5dd4c4f85af0e424106a32a75",
                 "bc04d2e5-dd4c-4f85-af0e-424106a32a75-0", "{}")]
    if fmt == "date-time":
        out += [("bad format", v) for v in
                ("yesterday", "2024-02-30T10:00:00Z",
                 "2024-07-17 21:37:51Z", "2024-07-17T21:37:51+0530",
                 "2024-07-17T25:00:00Z", "2024-07-17T21:37:51+5:30")]
    return out


def _targets(case):
    """(schema, path) of every object a break can hit."""
    out = [("BackupServerReplicationVmJob" if case["kind"] == "vm"
            else "BackupServerCdpReplicationJob", ["body"])]
    if not case["options"].get("no_job_status"):
        out.append(("BackupServerJob", ["job"]))
    if case["kind"] == "cdp":
        for key, schema in (("lastPeriod",
                             "BackupServerCdpReplicationJobLastPeriod"),
                            ("lastDay",
                             "BackupServerCdpReplicationJobLastDay")):
            if isinstance(case["body"].get(key), dict):
                out.append((schema, ["body", key]))
    return out


@st.composite
def broken(draw, cases):
    """A case with one field of one answer broken: absent, null, of
    another type, out of its range, an unknown enum value or not of its
    format."""
    case = copy.deepcopy(draw(cases))
    schema, path = draw(st.sampled_from(_targets(case)))
    props = SCHEMAS[schema]["properties"]
    candidates = sorted(props)
    if case["kind"] == "cdp" and path == ["body"]:
        # The policy's _embedded carries its job: not a field to break.
        # With the job status the policy comes from the collection
        # filtered on instanceUid: a server does not list a policy whose
        # instanceUid is another, so that is not an answer to make.
        skip = {"_embedded"}
        if not case["options"].get("no_job_status"):
            skip.add("instanceUid")
        candidates = [c for c in candidates if c not in skip]
    documented = DOCUMENTED.get(schema)
    if documented and draw(st.booleans()):
        candidates = [c for c in documented if c in candidates]
    name = draw(st.sampled_from(candidates))
    how, value = draw(st.sampled_from(breaks(props[name])))
    obj = case
    for key in path:
        obj = obj[key]
    was = obj.get(name, ABSENT)
    if how == "absent":
        obj.pop(name, None)
    else:
        obj[name] = value
    case["broken"] = {"path": path + [name], "how": how, "value": value,
                      "was": was}
    return case


ABSENT = "$absent"


# --------------------------------------------------------------------------
# Serving
# --------------------------------------------------------------------------

_CDP_DEFAULT_KEYS = set(S.cdp_job({"uid": ZERO_UUID, "last_period": "absent",
                                   "last_day": "absent"}))
_JOB_DEFAULT_KEYS = set(S.backup_server_job({"uid": ZERO_UUID}, 0,
                                            "cdp")[0])


def serve(vspc, set_fleet, case):
    """Serve a resolved case: a VM replication job on its endpoint and
    its BackupServerJob on the job endpoint; a CDP policy on its single
    endpoint and, with its BackupServerJob embedded, in the collection
    (filtered on the UID, as the plugin asks for it)."""
    uid = case["uid"]
    if case["kind"] == "vm":
        vspc.set(uid, {"data": case["body"], "versioned": False})
        vspc.set_bsjob(uid, {"data": case["job"], "versioned": False})
        return
    vspc.sim.set_cdp(uid, {"data": case["body"], "versioned": False})
    body = {k: v for k, v in case["body"].items() if k != "_embedded"}
    spec = {"uid": uid, "kind": "cdp", "last_period": "absent",
            "last_day": "absent", "embedded": True,
            "cdp_extra": body,
            "cdp_omit": sorted(_CDP_DEFAULT_KEYS - set(body)),
            "job_extra": case["job"],
            "job_omit": sorted(_JOB_DEFAULT_KEYS - set(case["job"]))}
    set_fleet({"jobs": [], "cdp_jobs": [spec]})


def unserve(vspc, case):
    vspc.sim.remove_job(case["uid"])


def to_json(case):
    return json.dumps(case, sort_keys=True, ensure_ascii=False)

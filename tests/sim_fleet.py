"""The simulator's collections (see vspc_sim.py, "Fleet"): the VM
replication jobs and CDP policies the collections list, the filter and
sort query parameters, and which items a page request gets, with every
misbehaviour a fleet spec asks for.

Standard library only."""

import json
import random
import re
import threading

import vspc_profiles as P
import sim_model as M

KINDS = ("vm", "cdp")

# The fleet keys that make a collection misbehave; misbehave_in limits
# them to one kind of collection.
MISBEHAVIOURS = ("pages", "stall_at", "grow_at", "shrink_at", "insert_at",
                 "total_override", "count_override", "oversize", "paging",
                 "non_objects", "big_tasks", "ignore_offset_with_expand",
                 "echo_offset", "reorder_at", "repeat_at", "shift_at",
                 "short_at")

class QueryError(ValueError):
    """A filter or sort parameter naming a property the items do not
    have: parameter is "filter" or "sort"."""

    def __init__(self, parameter, message):
        super().__init__(message)
        self.parameter = parameter


# Generated specs, shared by every Fleet: (kind, seed, index) -> spec
_GENERATED = {}
_GENERATED_LOCK = threading.Lock()
_FRONT_BASE = M._FRONT_BASE
_GENERATORS = {"vm": (M.generated_spec, "Replica inserted %d"),
               "cdp": (M.generated_cdp_spec, "CDP inserted %d")}


class Fleet:
    """The collections' jobs and policies.  Nothing but the specs asked
    for is ever made, and a page's JSON is made item by item.  Methods
    taking kind ("vm", the default, or "cdp") answer for that
    collection."""

    _KNOWN = {"jobs", "count", "seed", "max_limit", "pages", "stall_at",
              "grow_at", "shrink_at", "insert_at", "total_override",
              "count_override", "oversize", "paging", "paging_style",
              "meta_first", "non_objects", "big_tasks", "unknown_server",
              "shuffle", "cdp_jobs", "cdp_count", "cdp_seed",
              "ignore_offset_with_expand", "echo_offset", "reorder_at",
              "repeat_at", "shift_at", "short_at", "misbehave_in"}

    def __init__(self, spec=None):
        self._views = {}
        spec = dict(spec or {})
        unknown = set(spec) - self._KNOWN
        if unknown:
            raise ValueError("unknown fleet keys %s" % sorted(unknown))
        jobs = [dict(s) for s in spec.get("jobs", [])]
        cdp = [dict(s, kind="cdp") for s in spec.get("cdp_jobs", [])]
        for s in jobs + cdp:
            if "uid" not in s:
                raise ValueError("fleet job without uid")
            M.spec_kind(s)
        # what each collection lists; the other kinds of jobs are served
        # by GET .../jobs/{uid} only
        self.explicit, self.cdp_explicit, self.others = [], [], []
        for s in jobs:
            (self.explicit if M.job_type(s) == "ReplicationVM"
             else self.others).append(s)
        for s in cdp:
            (self.cdp_explicit if M.job_type(s) == "CdpReplicationVM"
             else self.others).append(s)
        self.count = int(spec.get("count", 0))
        self.seed = int(spec.get("seed", 1))
        self.cdp_count = int(spec.get("cdp_count", 0))
        self.cdp_seed = int(spec.get("cdp_seed", 1))
        self.max_limit = int(spec.get("max_limit", 500))
        self.pages = {int(k): M._Scenario(v)
                      for k, v in (spec.get("pages") or {}).items()}
        self.stall_at = spec.get("stall_at")

        def offsets(key):
            return sorted((int(k), int(v))
                          for k, v in (spec.get(key) or {}).items())

        def by_offset(key, conv=int):
            return {int(k): conv(v)
                    for k, v in (spec.get(key) or {}).items()}
        self.grow_at = offsets("grow_at")
        self.shrink_at = offsets("shrink_at")
        self.insert_at = offsets("insert_at")
        self.total_override = by_offset("total_override", lambda v: v)
        self.count_override = by_offset("count_override", lambda v: v)
        self.oversize = by_offset("oversize")
        self.paging = spec.get("paging", "meta")
        if self.paging not in ("meta", "null", "absent", "empty"):
            raise ValueError("paging must be meta, null, absent or empty")
        self.paging_style = spec.get("paging_style")
        if self.paging_style is not None:
            P.check_paging_style(self.paging_style)
        self.meta_first = spec.get("meta_first")
        self.non_objects = {int(k): v for k, v in
                            (spec.get("non_objects") or {}).items()}
        self.big_tasks = by_offset("big_tasks")
        self.unknown_server = spec.get("unknown_server", "empty")
        self.shuffle = spec.get("shuffle", True)
        self.ignore_offset_with_expand = bool(
            spec.get("ignore_offset_with_expand", False))
        self.echo_offset = by_offset("echo_offset")
        self.reorder_at = offsets("reorder_at")
        self.repeat_at = by_offset("repeat_at")
        self.shift_at = by_offset("shift_at")
        self.short_at = by_offset("short_at")
        for key in ("repeat_at", "shift_at", "short_at"):
            if any(v < 0 for v in getattr(self, key).values()):
                raise ValueError("%s values must not be negative" % key)
        mis = spec.get("misbehave_in", KINDS)
        if isinstance(mis, str):
            mis = [mis]
        if not set(mis) <= set(KINDS):
            raise ValueError("misbehave_in: kinds are vm and cdp")
        self.misbehave_in = frozenset(mis)

    # -- the lists ------------------------------------------------------------
    def _parts(self, kind):
        """(explicit specs, generated count, seed) of a kind."""
        if kind == "vm":
            return self.explicit, self.count, self.seed
        if kind == "cdp":
            return self.cdp_explicit, self.cdp_count, self.cdp_seed
        raise ValueError("kind must be vm or cdp, not %r" % (kind,))

    def misbehaves(self, kind):
        """Whether the misbehaviour keys apply to that collection."""
        return kind in self.misbehave_in

    @staticmethod
    def _applied(changes, offset):
        return sum(n for at, n in changes if offset >= at)

    def view(self, offset, kind="vm"):
        """(front, base): the number of jobs inserted at the front, and of
        jobs of the list as it was (grown or shrunk at its end). A fleet
        does not change once made, so each answer is kept (a sorted page
        asks for every item's spec)."""
        got = self._views.get((offset, kind))
        if got is None:
            got = self._views[(offset, kind)] = self._view(offset, kind)
        return got

    def _view(self, offset, kind):
        explicit, count, _ = self._parts(kind)
        if not self.misbehaves(kind):
            return 0, len(explicit) + count
        front = self._applied(self.insert_at, offset)
        grow = self._applied(self.grow_at, offset)
        shrink = self._applied(self.shrink_at, offset)
        base = len(explicit) + count + grow
        return front, max(0, base - shrink)

    def size(self, offset=0, kind="vm"):
        front, base = self.view(offset, kind)
        return front + base

    def spec_at(self, index, offset=0, kind="vm"):
        """The spec of the job at index in the list seen at offset."""
        front, base = self.view(offset, kind)
        if index < front:
            return self._generated(kind, _FRONT_BASE + front - 1 - index)
        index -= front
        if index >= base:
            raise IndexError(index)
        explicit = self._parts(kind)[0]
        if index < len(explicit):
            return explicit[index]
        return self._generated(kind, index - len(explicit))

    def specs(self, offset=0, kind="vm"):
        for i in range(self.size(offset, kind)):
            yield self.spec_at(i, offset, kind)

    def cdp_specs(self, offset=0):
        """The CDP collection's specs (specs(offset, "cdp"))."""
        return self.specs(offset, "cdp")

    def _generated(self, kind, j):
        seed = self._parts(kind)[2]
        key = (kind, seed, j)
        with _GENERATED_LOCK:
            spec = _GENERATED.get(key)
            if spec is None:
                make, inserted = _GENERATORS[kind]
                spec = make(seed, j)
                if j >= _FRONT_BASE:
                    spec["name"] = inserted % (j - _FRONT_BASE)
                if len(_GENERATED) >= 200000:
                    _GENERATED.clear()
                _GENERATED[key] = spec
            return spec

    def _lookup_kind(self, uid, kind):
        explicit, count, seed = self._parts(kind)
        for s in explicit:
            if s["uid"] == uid:
                return s
        if kind == "vm":
            m, width = M._FLEET_UID_RE.match(uid), 0xfff
        else:
            m, width = M._CDP_UID_RE.match(uid), 0xffff
        if m and int(m.group(1), 16) == seed & width:
            j = int(m.group(2), 16)
            grown = self._applied(self.grow_at, 1 << 62) \
                if self.misbehaves(kind) else 0
            if j < count + grown or j >= _FRONT_BASE:
                return self._generated(kind, j)
        return None

    def lookup(self, uid):
        """The spec of a VM job of this fleet by UID (single-job
        endpoints)."""
        return self._lookup_kind(uid, "vm")

    def lookup_cdp(self, uid):
        """The spec of a CDP policy of this fleet by UID."""
        return self._lookup_kind(uid, "cdp")

    def lookup_job(self, uid):
        """The spec of any job of this fleet by UID (GET .../jobs/{uid}):
        VM jobs, CDP policies and jobs of other types."""
        spec = self.lookup(uid) or self.lookup_cdp(uid)
        if spec is None:
            for s in self.others:
                if s["uid"] == uid:
                    return s
        return spec

    def has_server(self, server, offset=0):
        """Whether some job or policy of the fleet is on that backup
        server."""
        return any(s.get("server", M.DEFAULT_SERVER) == server
                   for kind in KINDS for s in self.specs(offset, kind)) or \
            any(s.get("server", M.DEFAULT_SERVER) == server
                for s in self.others)

    # -- one page -------------------------------------------------------------
    def effective_offset(self, kind, offset, expand):
        """The offset a page is made for: 0 when ignore_offset_with_expand
        applies (expand asked), else offset."""
        if self.misbehaves(kind) and self.ignore_offset_with_expand and \
                expand:
            return 0
        return offset

    def plan(self, kind, offset, limit, expand=False, server=None, flt=None,
             sort=None, api=None, anchor=0, orgs=None):
        """Which items the collection of that kind serves to a request for
        (offset, limit): a dict with
          eff       the offset the page is made for (0 when
                    ignore_offset_with_expand applies, else offset)
          entries   [(index, spec or None for a non-object), ...]
          total, count, echoed   what pagingInfo reports
          start     where in the list the page's own window began
          applied   the misbehaviours that shaped this page
        flt, sort: _Filter, _Sort or None.  orgs: the organizations the
        credential sees (None: all; see VspcSim.set_scope); the others'
        jobs and every non-object are left out before paging, as if they
        did not exist.  Raises ValueError for a filter or sort naming an
        unknown property."""
        mis = self.misbehaves(kind)
        applied = []
        eff = self.effective_offset(kind, offset, expand)
        if mis and self.ignore_offset_with_expand and expand:
            applied.append("ignore_offset_with_expand")
        size = self.size(eff, kind)
        non_objects = self.non_objects if mis else {}
        reorder = [(at, s) for at, s in self.reorder_at if eff >= at] \
            if mis else []
        if sort is not None and size > SORT_LIMIT and server is None and \
                flt is None and orgs is None and not reorder:
            # a huge generated collection (the endless walks of the tests):
            # sorting it would keep a thread busy long after the client
            # gave up; its generated UIDs ascend with the index anyway
            sort = None
            applied.append("sort_skipped")
        if server is None and flt is None and sort is None and \
                orgs is None and not reorder:
            indices = range(size)
        else:
            indices = []
            for i in range(size):
                if i in non_objects:
                    if flt is None and orgs is None:
                        indices.append(i)
                    continue
                spec = self.spec_at(i, eff, kind)
                if orgs is not None and not M.spec_in_orgs(spec, orgs):
                    continue
                if server is not None and \
                        spec.get("server", M.DEFAULT_SERVER) != server:
                    continue
                if flt is not None and not flt.match(spec, anchor):
                    continue
                indices.append(i)
            if sort is not None:
                indices = sort.apply(indices, lambda i: None
                                     if i in non_objects
                                     else self.spec_at(i, eff, kind), anchor)
            for _, seed in reorder:
                random.Random(seed).shuffle(indices)
            if reorder:
                applied.append("reorder_at")
        total = len(indices)
        start = eff
        if mis and self.stall_at is not None and eff >= int(self.stall_at):
            page = []
            applied.append("stall_at")
        else:
            if mis and self.shift_at.get(eff):
                start = max(0, eff - self.shift_at[eff])
                applied.append("shift_at")
            n = self.oversize.get(eff, limit) if mis else limit
            page = list(indices[start:start + n])
            if mis and eff in self.short_at:
                page = page[:self.short_at[eff]]
                applied.append("short_at")
            if mis and self.repeat_at.get(eff):
                k = self.repeat_at[eff]
                page = list(indices[max(0, eff - k):eff]) + page
                applied.append("repeat_at")
        if mis:
            total = self.total_override.get(eff, total)
            count = self.count_override.get(eff, len(page))
            echoed = self.echo_offset.get(eff, eff)
            if eff in self.echo_offset:
                applied.append("echo_offset")
        else:
            count, echoed = len(page), eff
        entries = [(i, None if i in non_objects
                    else self.spec_at(i, eff, kind)) for i in page]
        return {"eff": eff, "entries": entries, "total": total,
                "count": count, "echoed": echoed, "start": start,
                "applied": applied}


# --------------------------------------------------------------------------
# Items as served, seen by the filter and sort parameters
# --------------------------------------------------------------------------

_SLOW = object()

# collections larger than this are served in their own order whatever the
# sort parameter says (see Fleet.plan)
SORT_LIMIT = 200000


class _Probe:
    """One spec's collection item as API version api serves it, for
    property paths (dots separate keys; "_embedded.backupServerJob.name"
    reaches the job whether expanded or not)."""

    def __init__(self, kind, spec, api, anchor):
        self.kind, self.spec, self.api, self.anchor = kind, spec, api, anchor
        self._item = None

    def item(self):
        if self._item is None:
            if self.kind == "cdp":
                item = M.cdp_job(self.spec)
                self._item = P.shape_cdp_job(item, self.api)
            else:
                self._item = P.shape_replication_job(
                    M.replication_job(self.spec), self.api)
        return self._item

    _OVERRIDES = ("repl_extra", "repl_omit", "cdp_extra", "cdp_omit")

    def _instance_uid(self):
        """instanceUid as served, without building the item (a walk sorts
        every item on it for every page), or _SLOW when the spec changes
        the item's keys."""
        spec = self.spec
        if any(k in spec for k in self._OVERRIDES):
            return _SLOW
        api = P._api(self.api)
        if api is not None and P.UID_SWAP_VERSION <= api < P.UNIQUE_UID_FROM:
            return spec.get("unique_uid") or P.default_unique_uid(spec["uid"])
        return spec["uid"]

    def value(self, prop):
        if prop == "instanceUid":
            fast = self._instance_uid()
            if fast is not _SLOW:
                return fast
        keys = M.CDP_KEYS if self.kind == "cdp" else M.REPLICATION_KEYS
        path = prop.split(".")
        obj = self.item()
        if path[0] == "_embedded":
            obj = {"_embedded": {"backupServerJob": P.shape_backup_server_job(
                M.backup_server_job(self.spec, self.anchor, self.kind)[0],
                self.api)}}
        for key in path:
            if not isinstance(obj, dict) or key not in obj:
                if path[0] in keys:
                    return None
                raise ValueError("unknown property %s" % prop)
            obj = obj[key]
        return obj


def _json_array(text):
    """A query parameter holding a JSON array (filter, sort); ValueError
    otherwise."""
    try:
        exprs = json.loads(text)
    except ValueError:
        raise ValueError("not JSON")
    if not isinstance(exprs, list):
        raise ValueError("not an array")
    return exprs


class _Filter:
    """The VSPC filter query parameter: URL-decoded JSON, an array of
    {"property", "operation", "value"} expressions that must all hold;
    equals, notEquals, in, contains, and, or, not.  property is a path
    into the BackupServerReplicationVmJob or BackupServerCdpReplicationJob
    (kind "vm" or "cdp"; dots separate keys;
    "_embedded.backupServerJob.name" reaches the job), as API version api
    shows it (None: the newest)."""

    OPS = ("equals", "notEquals", "in", "contains", "and", "or", "not")

    def __init__(self, text, api=None, kind="vm"):
        self.api = api
        self.kind = kind
        exprs = _json_array(text)
        for e in exprs:
            self._check(e)
        self.exprs = exprs

    def _check(self, e):
        if not isinstance(e, dict) or e.get("operation") not in self.OPS:
            raise ValueError("bad expression %s" % json.dumps(e)[:80])
        if e["operation"] in ("and", "or", "not"):
            items = e.get("items")
            if not isinstance(items, list) or not items:
                raise ValueError("%s needs items" % e["operation"])
            for i in items:
                self._check(i)
        elif not isinstance(e.get("property"), str) or not e["property"]:
            raise ValueError("expression without property")
        elif e["operation"] == "in" and not isinstance(e.get("value"), list):
            raise ValueError("in needs an array value")

    def match(self, spec, anchor):
        probe = _Probe(self.kind, spec, self.api, anchor)
        try:
            return all(self._eval(e, probe) for e in self.exprs)
        except ValueError as exc:
            raise QueryError("filter", str(exc))

    def _eval(self, e, probe):
        op = e["operation"]
        if op == "and":
            return all(self._eval(i, probe) for i in e["items"])
        if op == "or":
            return any(self._eval(i, probe) for i in e["items"])
        if op == "not":
            return not self._eval(e["items"][0], probe)
        obj = probe.value(e["property"])
        value = e.get("value")
        if op == "equals":
            return _filter_eq(obj, value, e)
        if op == "notEquals":
            return not _filter_eq(obj, value, e)
        if op == "in":
            return any(_filter_eq(obj, v, e) for v in value)
        if op == "contains":
            return isinstance(obj, str) and isinstance(value, str) and \
                value.lower() in obj.lower()
        return False


def _filter_eq(a, b, expr):
    if isinstance(a, str) and isinstance(b, str) and \
            expr.get("collation") == "ignorecase":
        return a.lower() == b.lower()
    if isinstance(a, str) and isinstance(b, str) and \
            re.match(r"^[0-9a-fA-F-]{36}$", a):
        return a.lower() == b.lower()  # UIDs compare as UIDs
    return type(a) is type(b) and a == b


class _Sort:
    """The VSPC sort query parameter: URL-decoded JSON, an array of
    SortExpression {"property", "direction": "ascending" | "descending",
    optional "collation": "ordinal" | "ignorecase" | "lexicographic" |
    null}; the first expression decides first.  property is a path into
    the item as served (see _Filter).  Values order null, then booleans,
    numbers, strings (ordinal; case-insensitive under ignorecase and
    lexicographic), anything else; the sort is stable.  Raises ValueError
    for a malformed parameter; apply() for an unknown property."""

    DIRECTIONS = ("ascending", "descending")
    COLLATIONS = (None, "ordinal", "ignorecase", "lexicographic")

    def __init__(self, text, api=None, kind="vm"):
        self.api = api
        self.kind = kind
        exprs = _json_array(text)
        for e in exprs:
            if not isinstance(e, dict):
                raise ValueError("bad expression %s" % json.dumps(e)[:80])
            if not isinstance(e.get("property"), str) or not e["property"]:
                raise ValueError("expression without property")
            if "direction" not in e:
                raise ValueError("expression without direction")
            if e["direction"] not in self.DIRECTIONS:
                raise ValueError("unknown direction %s"
                                 % json.dumps(e["direction"])[:40])
            if e.get("collation") not in self.COLLATIONS:
                raise ValueError("unknown collation %s"
                                 % json.dumps(e["collation"])[:40])
        self.exprs = exprs

    def parsed(self):
        """The expressions, normalised: [{property, direction,
        collation}]."""
        return [{"property": e["property"], "direction": e["direction"],
                 "collation": e.get("collation")} for e in self.exprs]

    @staticmethod
    def _key(value, collation):
        if value is None:
            return (0, 0)
        if isinstance(value, bool):
            return (1, value)
        if isinstance(value, (int, float)):
            return (2, value)
        if isinstance(value, str):
            if collation in ("ignorecase", "lexicographic"):
                return (3, value.casefold(), value)
            return (3, value)
        return (4, json.dumps(value, sort_keys=True))

    def apply(self, indices, spec_of, anchor):
        """indices sorted (a new list); spec_of(index) -> spec, or None
        for a non-object (sorted as null)."""
        probes = {}
        for i in indices:
            spec = spec_of(i)
            probes[i] = None if spec is None else _Probe(
                self.kind, spec, self.api, anchor)
        out = list(indices)
        for e in reversed(self.exprs):
            coll = e.get("collation")
            try:
                keys = {i: self._key(None if p is None
                                     else p.value(e["property"]), coll)
                        for i, p in probes.items()}
            except ValueError as exc:
                raise QueryError("sort", str(exc))
            out.sort(key=keys.__getitem__,
                     reverse=e["direction"] == "descending")
        return out

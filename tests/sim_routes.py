"""The simulator's routes (see vspc_sim.py): the table of paths it knows
(ROUTES: path pattern -> endpoint and handler), version negotiation and
authentication in front of them, and the handlers: the token endpoint,
the single-job endpoints (replication, CDP policy, BackupServerJob), the
collections (VM replication jobs, CDP policies), and the playing of
scenario steps.

A handler is called as handler(sim, h, req, api, route, params): sim the
VspcSim, h the request handler (sim_transport._Handler), req the request
record, api the API version served (a tuple), route the Route, params
the path parameters (uid, server).

Standard library only."""

import base64
import copy
import json
import random
import re
import time
import urllib.parse
import uuid

import vspc_profiles as P
import sim_accounts as A
import sim_fleet as F
import sim_model as M
import sim_transport as T

BASE_PATH = "/api/v3/infrastructure/backupServers/"
JOB_PREFIX = BASE_PATH + "jobs/"
API_PREFIX = JOB_PREFIX + "replicationVmJobs/"
COLLECTION_PATH = JOB_PREFIX + "replicationVmJobs"
CDP_PREFIX = JOB_PREFIX + "cdpReplicationJobs/"
CDP_COLLECTION_PATH = JOB_PREFIX + "cdpReplicationJobs"
TOKEN_PATH = "/api/v3/token"
LATEST_API_VERSION = "3.6.2"

# The last path segment of each kind's collection.
COLLECTION_SEGMENTS = {"vm": "replicationVmJobs", "cdp": "cdpReplicationJobs"}

JSON_TYPE = "application/json; charset=utf-8"
# Step keys that make a step an answer of its own (not a misbehaviour of
# the real answer).
ANSWER_KEYS = ("data", "error", "status", "body", "body_b64", "big",
               "action", "job")


def collection_path(kind="vm", server=None):
    """The path of a collection: all backup servers' or one's."""
    if server is None:
        return JOB_PREFIX + COLLECTION_SEGMENTS[kind]
    return BASE_PATH + server + "/jobs/" + COLLECTION_SEGMENTS[kind]


def single_path(endpoint, uid):
    """The path of a single-job endpoint: "replication", "cdp" or "job"."""
    return {"replication": API_PREFIX, "cdp": CDP_PREFIX,
            "job": JOB_PREFIX}[endpoint] + uid


# --------------------------------------------------------------------------
# The route table
# --------------------------------------------------------------------------

class Route:
    """One path pattern (a regular expression, matched in full, named
    groups the path parameters) and what serves it."""

    def __init__(self, pattern, endpoint, handler, kind=None,
                 methods=("GET",), auth=True):
        self.pattern = re.compile(pattern)
        self.endpoint = endpoint
        self.handler = handler
        self.kind = kind
        self.methods = methods
        self.auth = auth

    def match(self, path):
        m = self.pattern.fullmatch(path)
        return None if m is None else m.groupdict()

    def note(self, req, params):
        """Put the route's endpoint, kind, uid or server into req."""
        req["endpoint"] = self.endpoint
        if self.endpoint == "collection":
            req["server"] = params.get("server")
            req["kind"] = self.kind
        elif "uid" in params:
            req["uid"] = params["uid"]


def find_route(path):
    """(Route, params) of the first route matching path, or None."""
    for route in ROUTES:
        params = route.match(path)
        if params is not None:
            return route, params
    return None


# --------------------------------------------------------------------------
# In front of every route: negotiation, authentication
# --------------------------------------------------------------------------

def handle(sim, h):
    """Record one request, answer it, note it (verbose)."""
    path, _, query = h.path.partition("?")
    client_version = h.headers.get("X-Client-Version")
    length = h.headers.get("Content-Length")
    body = b""
    if length and length.isdigit() and int(length) <= T.MIB:
        body = h.rfile.read(int(length))
    bearer = None
    auths = h.headers.get_all("Authorization") or []
    if len(auths) == 1:
        scheme, _, cred = auths[0].strip().partition(" ")
        if scheme.lower() == "bearer":
            bearer = cred.strip()
    req = sim.log.add_req({
        "conn": h.conn_rec["id"], "method": h.command, "target": h.path,
        "path": path, "query": query, "version": h.request_version,
        "headers": list(h.headers.items()),
        "client_version": client_version, "t": time.monotonic(),
        "wall": time.time(), "endpoint": None, "uid": None,
        "server": None, "status": None, "body": body, "bearer": bearer,
        "auth": None, "principal": None,
    })
    # send() notes the status before the answer leaves, so that a record
    # is complete by the time the client has its answer
    h.current_req = req
    try:
        answer(sim, h, req, path)
    finally:
        sim._note(req)


def answer(sim, h, req, path):
    found = find_route(path)
    outage = sim.outage
    if outage is not None:
        if found is not None:
            found[0].note(req, found[1])
        req["outcome"] = "outage"
        req["status"] = play(sim, h, outage, 0, None, req)
        return
    if found is not None and not negotiate(sim, h, req, *found):
        return
    api = P.version_tuple(req.get("api_version")) or \
        P.version_tuple(LATEST_API_VERSION)
    route, params = found or (None, {})
    if route is not None and not route.auth:
        route.note(req, params)
        if h.command not in route.methods:
            req["status"] = 405
            T.send_json(h, 405, M.error_envelope(
                "The requested method is not allowed.", "logical", 405),
                extra_headers=[("Allow", ", ".join(route.methods))])
            return
        route.handler(sim, h, req, api, route, params)
        return
    req["auth"] = sim._auth_kind(h.headers.get_all("Authorization") or [])
    if req["auth"] == "static":
        req["principal"] = ("token", req["bearer"])
    elif req["auth"] == "issued":
        with sim.tokens.lock:
            rec = sim.tokens.access.get(req["bearer"])
            req["bearer_read_only"] = bool(rec and rec["read_only"])
            req["principal"] = ("user", rec["user"]) if rec else None
    if req["auth"] not in ("static", "issued"):
        req["status"] = 401
        T.send_json(h, 401, M.error_envelope(
            M.MSG_UNAUTHORIZED, "security", 401),
            extra_headers=[("WWW-Authenticate", "Bearer")])
        return
    if route is None:
        req["status"] = 404
        T.send_json(h, 404, M.error_envelope(M.MSG_NO_ROUTE, "logical",
                                             404))
        return
    if h.command not in route.methods:
        req["status"] = 405
        T.send_json(h, 405, M.error_envelope(
            "The requested method is not allowed.", "logical", 405),
            extra_headers=[("Allow", ", ".join(route.methods))])
        return
    route.note(req, params)
    route.handler(sim, h, req, api, route, params)


def negotiate(sim, h, req, route, params):
    """The API version the request is served as (see vspc_profiles):
    True, or False when it has been refused (400 sent)."""
    server = sim.server_version
    api, refused = P.negotiate(
        server, h.headers.get_all("X-Client-Version") or [])
    req["server_version"] = server
    req["api_version"] = api
    if refused is None:
        return True
    req["outcome"] = "unsupported_version"
    req["version_error"] = refused[0]
    route.note(req, params)
    if route.endpoint == "token":
        form, field = A.token_form(h, req)
        acct, _ = A.request_account(sim.tokens, field)
        req.update({"grant_type": field("grant_type"), "issued": None,
                    "username": acct.username if acct else None})
    uri = "https://%s%s" % (h.headers.get("Host") or sim.authority, h.path)
    body = json.dumps(P.refusal(uri, refused), separators=(",", ":"))
    body = body.encode("utf-8")
    req["status"] = 400
    T.send(h, 400, None, [("Content-Type", JSON_TYPE)], len(body), [body],
           framing="length", version="HTTP/1.1")
    return False


# --------------------------------------------------------------------------
# The token endpoint
# --------------------------------------------------------------------------

def serve_token(sim, h, req, api, route, params):
    form, field = A.token_form(h, req)
    tokens = sim.tokens
    grant = field("grant_type")
    req["grant_type"] = grant
    acct, refresh_rec = A.request_account(tokens, field)
    if acct is not None:
        req["username"] = acct.username
        with tokens.lock:
            if grant == "password":
                acct.password_grants += 1
            else:
                acct.refresh_grants += 1
    step = {}
    if acct is not None and acct.scenario is not None:
        n, step = acct.scenario.next_step()
        req["step"] = n
        if any(k in step for k in ANSWER_KEYS):
            req["outcome"] = "scripted"
            req["status"] = play(sim, h, step, n, api, req)
            return
    if step.get("delay"):
        sim.stopping.wait(float(step["delay"]))

    status, result = A.answer_grant(tokens, req, form, field, grant, acct,
                                    refresh_rec, api)
    body = json.dumps(M._shuffled(result, random.Random(req["id"])))
    body = body.encode("utf-8")
    if step.get("truncate") is not None:
        body = body[:int(step["truncate"])]
    req["status"] = status
    T.send(h, status, None,
           [("Content-Type", JSON_TYPE),
            ("Cache-Control", "no-store"), ("Pragma", "no-cache")],
           len(body), [body], framing=step.get("framing", "length"),
           version=step.get("http_version", "HTTP/1.1"),
           extra_length=int(step.get("extra_length", 0)),
           close=bool(step.get("close")))


# --------------------------------------------------------------------------
# Single jobs
# --------------------------------------------------------------------------

# endpoint -> (the BackupServerJob.type it serves or None for any, the
# kind a job step is made as or None for the spec's, its 404 message)
SINGLE = {"replication": ("ReplicationVM", None, M.MSG_JOB_MISSING),
          "cdp": ("CdpReplicationVM", "cdp", M.MSG_CDP_MISSING),
          "job": (None, None, M.MSG_BSJOB_MISSING)}


def serve_single(sim, h, req, api, route, params):
    endpoint = route.endpoint
    uid = params["uid"]
    want_type, kind, missing = SINGLE[endpoint]
    with sim.jobs_lock:
        scen = sim.scenarios.get((endpoint, uid))
        fleet = sim.fleet
    spec = None
    if scen is None and uid:
        spec = {"replication": fleet.lookup, "cdp": fleet.lookup_cdp,
                "job": fleet.lookup_job}[endpoint](uid)
        if spec is not None:
            scen = M._Scenario({"job": spec})
    if scen is None:
        req["status"] = 404
        T.send_json(h, 404, M.error_envelope(missing, "logical", 404))
        return
    if not in_scope(sim.scope_of(req), scen, spec):
        # a job of an organization this credential does not see
        req["status"] = 404
        T.send_json(h, 404, M.error_envelope(missing, "logical", 404))
        return
    n, step = scen.next_step()
    req["step"] = n
    if "job" in step and want_type is not None and \
            M.job_type(step["job"], kind) != want_type:
        # a job of another type: not one this endpoint knows
        req["status"] = 404
        T.send_json(h, 404, M.error_envelope(missing, "logical", 404))
        return
    req["status"] = play(sim, h, step, n, api, req)


def in_scope(orgs, scen, spec):
    """Whether a credential restricted to the organizations orgs (None:
    unrestricted) sees the job of scenario scen: the fleet's spec, else
    the job spec of the scenario's last step.  A job its scenario gives
    no organization (data steps) is seen by unrestricted credentials
    only."""
    if orgs is None:
        return True
    if spec is None:
        spec = scen.steps[-1].get("job")
    return spec is not None and M.spec_in_orgs(spec, orgs)


# --------------------------------------------------------------------------
# Collections
# --------------------------------------------------------------------------

def _bad_request(h, req, message, parameter):
    req["status"] = 400
    T.send_json(h, 400, M.error_envelope(message, "logical", 400,
                                         parameterName=parameter))


def serve_collection(sim, h, req, api, route, params):
    kind = route.kind
    server = params.get("server")
    with sim.jobs_lock:
        fleet = sim.fleet
    query = urllib.parse.parse_qs(req["query"], keep_blank_values=True)
    req["params"] = query

    def integer(name, default, low, high):
        vals = query.get(name)
        if not vals:
            return default
        text = vals[-1]
        if not re.match(r"^-?[0-9]{1,12}$", text):
            return None
        value = int(text)
        return value if low <= value <= high else None

    limit = integer("limit", 100, 1, fleet.max_limit)
    if limit is None:
        return _bad_request(
            h, req, "The limit parameter must be between 1 and %d."
            % fleet.max_limit, "limit")
    offset = integer("offset", 0, 0, 2147483647)
    if offset is None:
        return _bad_request(
            h, req, "The offset parameter must be between 0 and "
            "2147483647.", "offset")
    expand = []
    for v in query.get("expand", []):
        expand += [e.strip() for e in v.split(",") if e.strip()]
    if any(e != "BackupServerJob" for e in expand):
        return _bad_request(h, req, "The expand parameter is not valid.",
                            "expand")
    expand = bool(expand)
    try:
        flt = F._Filter(query["filter"][-1], api, kind) \
            if query.get("filter") else None
    except ValueError as exc:
        return _bad_request(h, req, "The filter parameter is not valid: "
                            "%s" % exc, "filter")
    try:
        sort = F._Sort(query["sort"][-1], api, kind) \
            if query.get("sort") else None
    except ValueError as exc:
        return _bad_request(h, req, "The sort parameter is not valid: %s"
                            % exc, "sort")
    req.update({"limit": limit, "offset": offset, "expand": expand,
                "kind": kind,
                "sort": sort.parsed() if sort is not None else None})

    if server is not None and fleet.unknown_server == "404" and \
            not fleet.has_server(server, offset):
        req["status"] = 404
        T.send_json(h, 404, M.error_envelope(M.MSG_SERVER_MISSING,
                                             "logical", 404))
        return

    mis = fleet.misbehaves(kind)
    eff = fleet.effective_offset(kind, offset, expand)
    scen = fleet.pages.get(eff) if mis else None
    step = {}
    if scen is not None:
        n, step = scen.next_step()
        req["step"] = n
        if any(k in step for k in ANSWER_KEYS):
            req["status"] = play(sim, h, step, n, api, req)
            return
    if step.get("delay"):
        sim.stopping.wait(float(step["delay"]))

    anchor = sim.clock()
    req["anchor"] = anchor
    try:
        plan = fleet.plan(kind, offset, limit, expand, server, flt, sort,
                          api, anchor, orgs=sim.scope_of(req))
    except F.QueryError as exc:
        return _bad_request(h, req, "The %s parameter is not valid: %s"
                            % (exc.parameter, exc), exc.parameter)
    entries, total, count = plan["entries"], plan["total"], plan["count"]
    req.update({"items": len(entries), "total": total, "count": count,
                "uids": [], "offset_served": plan["start"],
                "applied": plan["applied"]})

    items = []
    for i, spec in entries:
        if spec is None:
            items.append(json.dumps(fleet.non_objects[i]).encode())
            req["uids"].append(None)
            continue
        if mis and i in fleet.big_tasks:
            spec = dict(spec, tasks=fleet.big_tasks[i])
        if kind == "cdp":
            mode = M.collection_embed_mode(spec, expand)
            job = M.backup_server_job(spec, anchor, "cdp")[0] \
                if mode == "job" else None
            item = P.shape_cdp_job(M.cdp_job(spec, mode, job), api)
        else:
            embedded = None
            if expand and spec.get("embedded", True):
                embedded, _ = M.backup_server_job(spec, anchor)
            item = P.shape_replication_job(
                M.replication_job(spec, embedded), api)
        if fleet.shuffle:
            item = M._rotated(item, i + plan["eff"] // limit)
        req["uids"].append(spec["uid"])
        items.append(json.dumps(item, ensure_ascii=False).encode("utf-8"))

    meta = None
    style = fleet.paging_style or sim.paging_style
    paging = fleet.paging if mis else "meta"
    req["paging_style"] = style
    req["offset_echoed"] = None
    if paging == "meta":
        info = P.paging_info(style, total, count, plan["echoed"])
        req["offset_echoed"] = info.get("offset", info.get("skip"))
        meta = b'"meta": ' + json.dumps({"pagingInfo": info}).encode()
    elif paging == "null":
        meta = b'"meta": null'
    elif paging == "empty":
        meta = b'"meta": {}'
    meta_first = fleet.meta_first
    if meta_first is None:
        meta_first = (plan["eff"] // limit) % 2 == 1
    pieces = [b"{"]
    if meta is not None and meta_first:
        pieces.append(meta + b", ")
    pieces.append(b'"data": [')
    for k, item in enumerate(items):
        pieces.append(item if k == 0 else b", " + item)
    pieces.append(b"]")
    if meta is not None and not meta_first:
        pieces.append(b", " + meta)
    pieces.append(b', "errors": null}')
    chunks = T.coalesce(pieces, 65536)
    size = sum(len(c) for c in chunks)
    if step.get("truncate") is not None:
        body = b"".join(chunks)[:int(step["truncate"])]
        chunks, size = [body], len(body)
    T.send(h, 200, None, [("Content-Type", JSON_TYPE)],
           size, chunks, framing=step.get("framing", "length"),
           version=step.get("http_version", "HTTP/1.1"),
           extra_length=int(step.get("extra_length", 0)),
           close=bool(step.get("close")))
    req["status"] = 200


ROUTES = (
    Route(re.escape(TOKEN_PATH), "token", serve_token, methods=("POST",),
          auth=False),
    Route(re.escape(COLLECTION_PATH), "collection", serve_collection,
          kind="vm"),
    Route(re.escape(CDP_COLLECTION_PATH), "collection", serve_collection,
          kind="cdp"),
    Route(re.escape(API_PREFIX) + r"(?P<uid>[^/]*)", "replication",
          serve_single),
    Route(re.escape(CDP_PREFIX) + r"(?P<uid>[^/]*)", "cdp", serve_single),
    Route(re.escape(JOB_PREFIX) + r"(?P<uid>[^/]*)", "job", serve_single),
    Route(re.escape(BASE_PATH) + r"(?P<server>[^/]+)/jobs/"
          + COLLECTION_SEGMENTS["vm"], "collection", serve_collection,
          kind="vm"),
    Route(re.escape(BASE_PATH) + r"(?P<server>[^/]+)/jobs/"
          + COLLECTION_SEGMENTS["cdp"], "collection", serve_collection,
          kind="cdp"),
)


# --------------------------------------------------------------------------
# Playing a scenario step
# --------------------------------------------------------------------------

def play(sim, h, step, n, api=None, req=None):
    """Answer with step (see "Step keys" in vspc_sim's module text);
    returns the status sent (None: none)."""
    if step.get("delay"):
        sim.stopping.wait(float(step["delay"]))
    action = step.get("action")
    if action:
        return T.act(h, action, sim.stopping)
    status = int(step.get("status", 200))
    headers = step.get("headers") or []
    if isinstance(headers, dict):
        headers = list(headers.items())
    headers = [(str(k), str(v)) for k, v in headers]
    ctype = step.get("content_type", JSON_TYPE)
    if "big" in step:
        size, chunks = T.big_body(int(step["big"]))
    else:
        body = step_body(h, step, n, api, req, sim.clock())
        if "error" in step:
            status = int(step["error"].get("status", status))
        if step.get("truncate") is not None:
            body = body[:int(step["truncate"])]
        size, chunks = len(body), [body]
    if ctype is not None and not any(k.lower() == "content-type"
                                     for k, _ in headers):
        headers.insert(0, ("Content-Type", ctype))
    if status == 202 and not any(k.lower() == "location"
                                 for k, _ in headers):
        headers.append(("Location", "https://%s/api/v3/asyncActions/%s"
                        % (h.headers.get("Host", sim.authority),
                           uuid.uuid4())))
    T.send(h, status, step.get("reason"), headers, size, chunks,
           framing=step.get("framing", "length"),
           version=step.get("http_version", "HTTP/1.1"),
           extra_length=int(step.get("extra_length", 0)),
           close=bool(step.get("close")))
    return status


def step_body(h, step, n, api=None, req=None, anchor=None):
    """The body bytes of a step; timestamps relative to anchor (the
    simulator's clock, a whole second; None: now)."""
    if "job" in step:
        if anchor is None:
            anchor = int(time.time())
        spec = step["job"]
        endpoint = req.get("endpoint") if req is not None else None
        kind = "cdp" if endpoint == "cdp" else M.spec_kind(spec)
        bsj, end = M.backup_server_job(spec, anchor, kind)
        if req is not None:
            req["anchor"] = anchor
            # end: epoch (float); end_whole + end_frac: exactly
            req["end"] = None if end is None else end[0] + end[1]
            req["end_whole"], req["end_frac"] = end or (None, None)
        if endpoint == "replication":
            data = M.replication_job(spec, M.decoy_job(spec["uid"])
                                     if spec.get("decoy", True) else None)
        elif endpoint == "cdp":
            data = M.cdp_job(spec, spec.get("single_embedded", "absent"),
                             bsj)
        else:
            data = bsj
        step = dict(step, data=data)
    if "data" in step:
        data = copy.deepcopy(step["data"])
        if step.get("versioned", True) and req is not None:
            data = _shape_data(data, req.get("endpoint"), api)
        env = {"data": data, "meta": None, "errors": None}
        env.update(step.get("envelope_extra", {}))
        if step.get("shuffle", True):
            rnd = random.Random(n * 7919 + len(h.path))
            env = M._shuffled(env, rnd)
        return json.dumps(env, ensure_ascii=False).encode("utf-8")
    if "error" in step:
        err = dict(step["error"])
        err.pop("status", None)
        item = {"message": err.pop("message", "Error."),
                "type": err.pop("type", "logical"),
                "code": err.pop("code", 0)}
        item.update(err)
        return json.dumps({"errors": [item]}).encode("utf-8")
    if "body_b64" in step:
        return base64.b64decode(step["body_b64"])
    body = step.get("body", b"")
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


def _legacy_swap(data):
    """API 3.5: instanceUid held the VSPC UID; the Veeam B&R job UID
    travelled as originalUid.  (Kept for callers; the simulator shapes
    answers with vspc_profiles.)"""
    if "uniqueUid" in data:
        data["originalUid"] = data.get("instanceUid")
        data["instanceUid"] = data.pop("uniqueUid")


def _shape_data(data, endpoint, api):
    """A data step's object as API version api has it (in place): a
    replication job, a CDP policy, a BackupServerJob, or a collection
    page's items."""
    if api is None:
        return data
    if endpoint == "replication":
        return P.shape_replication_job(data, api)
    if endpoint == "cdp":
        return P.shape_cdp_job(data, api)
    if endpoint == "job":
        return P.shape_backup_server_job(data, api)
    if endpoint == "collection" and isinstance(data, list):
        for item in data:
            P.shape_replication_job(item, api)
    return data

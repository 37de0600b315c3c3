#!/usr/bin/env python3
"""Veeam Service Provider Console (VSPC) REST API v3 simulator.

Serves, over real HTTPS (HTTP/1.1, keep-alive, Content-Length), the way
VSPC 9.2 (API 3.6.2) does:
  GET /api/v3/infrastructure/backupServers/jobs/replicationVmJobs/{jobUid}
      one BackupServerReplicationVmJob
  GET /api/v3/infrastructure/backupServers/jobs/{jobUid}
      one BackupServerJob (name, status, lastEndTime, isEnabled, ...)
  GET /api/v3/infrastructure/backupServers/jobs/replicationVmJobs
  GET /api/v3/infrastructure/backupServers/{uid}/jobs/replicationVmJobs
      the collections, all jobs or one backup server's
      (?expand=BackupServerJob&limit=&offset=&filter=&sort=)
  GET /api/v3/infrastructure/backupServers/jobs/cdpReplicationJobs/{jobUid}
      one BackupServerCdpReplicationJob (a CDP policy; no _embedded
      unless the spec says so)
  GET /api/v3/infrastructure/backupServers/jobs/cdpReplicationJobs
  GET /api/v3/infrastructure/backupServers/{uid}/jobs/cdpReplicationJobs
      the CDP policies' collections, with the same query parameters,
      paging and misbehaviours as the VM ones; items carry
      "_embedded": {"backupServerJob": null} without expand
  POST /api/v3/token
      OAuth 2.0 login of configured accounts (grant_type=password and
      grant_type=refresh_token, form-encoded): a bare OAuth2Result or, with
      400, an OAuth2Error; the access tokens it issues are accepted as
      Bearer tokens until they expire (see "Accounts" below)
and misbehaves on request so that check_vspc_replication can be tested
against everything a server or a network can do to it.

Standard library only.  Used two ways:
  * imported by tests/e2e (in-process, scenarios changed at run time, every
    connection and request recorded);
  * standalone, for the demo and the README quick start:
      python3 tests/vspc_sim.py --make-certs DIR
      python3 tests/vspc_sim.py --cert DIR/server.pem --key DIR/server.key \
          --token-file TOKENFILE [--bind 127.0.0.1] [--port 0] [--fixtures F]
          [--fleet N] [--fleet-seed S] [--cdp-fleet N]
          [--cdp-fleet-seed S] [--credentials-file F]
          [--expires-in SECONDS] [--server-version {8.0,8.1,9.0,9.1,9.2}]
          [--paging-style {standard,skip,total_only}]
    prints "PORT <n>" on stdout once listening and runs until killed
    (SIGTERM or SIGINT: exit status 0).  From Python, start_process(args)
    -> (proc, port), stop_process(proc) -> exit status, or
    `with running(args) as (proc, port)` do that; start_sim(certs, **kw)
    starts a VspcSim in this process.

Modules (all standard library only, next to this file):
  vspc_sim.py       this entry point: the documentation, the command line,
                    and every name below re-exported (import vspc_sim)
  vspc_profiles.py  server versions, API version negotiation, shaping of
                    the answers per API version
  sim_certs.py      the test PKI (make_certs)
  sim_transport.py  listeners, the connection and request log, TLS, raw
                    framing (send), misbehaving actions, RawServer
  sim_model.py      built-in UIDs and messages, job and CDP specs and the
                    objects made from them, timestamps, scenarios
  sim_fleet.py      Fleet (the collections' lists, generated jobs and
                    policies, misbehaviours), filter and sort
  sim_accounts.py   accounts, tokens, the token endpoint's grants
  sim_routes.py     ROUTES (path pattern -> handler), negotiation and
                    authentication in front of them, the handlers, the
                    playing of scenario steps
  sim_server.py     VspcSim: configuration, records, life cycle
  sim_process.py    start_process, stop_process, running, start_sim
Import vspc_sim (or set sys.dont_write_bytecode first): it imports the
others without leaving __pycache__ in the source tree.

Server versions (tests/vspc_profiles.py has the details): the simulator
plays one VSPC version at a time, 9.2 unless told otherwise
(VspcSim(..., server_version="8.1"), set_server_version("9.0") from the
next request on, server_version to read it, --server-version).  The
version decides which X-Client-Version values are accepted:
  8.0  3.4                  8.1  3.4, 3.5, 3.5.1
  9.0  8.1's and 3.6        9.1  9.0's and 3.6.1     9.2  9.1's and 3.6.2
A request without the header is served as the newest of them; any other
value (unknown, malformed, several different ones) answers, on the token
endpoint and every known route and before authentication, 400
{"error":{"code":"UnsupportedApiVersion","message":"The HTTP resource that
matches the request URI 'https://HOST/PATH' does not support the API
version 'V'.","innerError":null}}, recorded with outcome
"unsupported_version" and version_error.  The API version served (the
request's, not the server's) shapes every job object, single answers,
collection items and _embedded jobs alike: 3.4 has no uniqueUid and no
originalUid; under 3.5 instanceUid is the VSPC UID and originalUid the
Veeam B&R UID; from 3.5.1 on instanceUid is the B&R UID and uniqueUid the
VSPC UID.  BackupServerJob.schedule exists from 3.6.1 on, the token
endpoint's readOnly field from 3.6 on (older versions ignore it: the token
is not read-only).  A data step is shaped too unless "versioned": false.
CDP policies follow the replication jobs' UID rules and are served under
every API version, 3.4 included (whether VSPC 8.0 has them is
UNCONFIRMED).
Every request record carries server_version and api_version (None when
refused).

Single-job scenarios are configured per (endpoint, job UID): set_job() for
the replication endpoint, set_cdp() for the CDP policy endpoint,
set_bsjob() for the BackupServerJob endpoint (set_health_job(spec) and
set_cdp_job(spec) serve one spec on two of them).  A
scenario is one step (a dict) or a dict {"steps": [step, ...]}: request n of
that endpoint and UID is answered by step n, the last step repeating (so
[429, 200] means "first request 429, then 200").
Step keys:
  job           a job spec (see below): 200 with the envelope, the object
                built when the request is served (timestamps relative to
                that moment): the replication job, the CDP policy (a CDP
                spec, see below) or the BackupServerJob, by endpoint.  A
                spec whose BackupServerJob type is not the endpoint's
                (ReplicationVM, CdpReplicationVM; see "type") answers 404
                on the replication and CDP policy endpoints
  data          job object: 200 with the {"data","meta","errors"} envelope;
                key order varies per request unless "shuffle": false;
                shaped for the API version served (see "Server versions")
                unless "versioned": false
  error         {"status", "message", "type", "code", ...extra keys}: the
                VSPC errors envelope ("retryAfter" goes into the item)
  status, reason, headers ([[name, value], ...] or {name: value}),
  body (str, bytes or a JSON value), body_b64, content_type (None: omit)
                an arbitrary answer
  big           body size in bytes: a valid JSON job padded with filler,
                streamed in 64 KiB pieces
  framing       "length" (default), "chunked" or "close" (end of body is
                the end of the connection)
  extra_length  announce Content-Length this much longer than the body,
                send the body, then close (a response cut short)
  truncate      send only the first n bytes of the body (Content-Length
                matching them: well framed, but cut-short JSON)
  http_version  "HTTP/1.1" (default) or "HTTP/1.0"
  close         send Connection: close and close after the answer
  delay         seconds to wait before answering
  action        "hang" (read the request, never answer), "drip_headers",
                "drip_body" (one byte every 0.5 s, forever), "reset" (TCP
                RST after the request), "close" (close without answering)
In a fixtures file (JSON: {uid: scenario}, or {"jobs": {uid: scenario},
"backupServerJobs": {uid: scenario}, "cdpReplicationJobs": {uid:
scenario}, "fleet": fleet}) use body_b64 for raw bytes.

Job spec (a dict; every key optional but uid):
  uid, unique_uid, name, description
  status        BackupServerJob.status, any JSON value (default "Success")
  enabled       isEnabled (default true; any JSON value)
  end_age       lastEndTime is this many seconds before the whole second in
                which the request is served (default 3600; None: null)
  end_shape     how lastEndTime is written: [frac<d> | .<digits>] then Z or
                +hh:mm / -hh:mm, e.g. "frac7-07:00" (.0000000-07:00),
                ".8-04:00", "Z", ".123Z", "+05:30".  Fraction digits are
                appended to the whole second: ".8" means 0.8 s later.
                Default "-04:00" (no fraction).
                "naive" writes the UTC wall clock without an offset
                (served at 09:00:00 UTC with end_age 3600:
                "...T08:00:00"), "naive+02:00" the wall clock at +02:00
                without an offset ("...T10:00:00"); fractions as before
                (".123naive"); the record's end is the true moment
  last_end      lastEndTime verbatim (any JSON value), instead of end_age:
                the literals real servers send, e.g.
                "2026-11-30T08:00:00" (no offset), "0001-01-01T00:00:00",
                "0001-01-01T00:00:00+00:00", "1900-01-01T00:00:00Z";
                lastRun is then null and the tasks' times too (unless
                last_run), and the request record's end None
  duration      lastDuration in seconds (default 402; None: null); lastRun
                is lastEndTime minus duration, same shape
  last_run      lastRun verbatim (any JSON value, e.g. the same literals)
  transferred   transferredData in bytes (default 16115584998)
  chain_size    backupChainSize in bytes (default 0)
  schedule      BackupServerJob.schedule (default: a daily schedule;
                served from API 3.6.1 on only)
  failure       failureMessage (default: two lines for Warning and Failed,
                null otherwise); lines end with \r\n
  never_run     status "None" (unless given) and lastRun, lastEndTime,
                lastDuration, transferredData null
  server, org, mapped_org   backupServerUid, organizationUid,
                mappedOrganizationUid (default: org)
  tasks         number of lastSessionTasks (default 1)
  protected, cloud, cloud_host, target_host, source_wan, target_wan,
  through_wan   the replication job's fields
  job_extra / job_omit      keys set on / removed from the BackupServerJob
  repl_extra / repl_omit    keys set on / removed from the replication job
  embedded      false: no _embedded in collections even with expand
  decoy         false: the single replication answer carries no decoy
                _embedded (by default it carries one that contradicts the
                BackupServerJob endpoint: status Failed, disabled)
  kind          "vm" (default) or "cdp": a CDP policy's spec (set for the
                specs of cdp_jobs, set_cdp_job and the CDP generator)
  type          BackupServerJob.type (default ReplicationVM, for kind cdp
                CdpReplicationVM).  Any other value makes the spec a job
                of another kind (say "BackupVm"): served by GET
                .../jobs/{uid} only; the replication and CDP policy
                endpoints answer 404 for it and no collection lists it
                (to retype the field only, use job_extra)

CDP policy spec (a dict; every key optional but uid): the job spec keys
for its BackupServerJob (name, status, enabled, end_age, end_shape,
last_end, duration, never_run, server, org, job_extra, job_omit, type, ...;
its type is CdpReplicationVM, its scheduleType Continuously), and for the
BackupServerCdpReplicationJob, each key the snake_case of a field:
  unique_uid    uniqueUid (default: derived from uid); the API version
                shapes the UIDs as for replication jobs (3.4: none, 3.5:
                instanceUid the VSPC UID and originalUid, 3.5.1 on:
                uniqueUid)
  rpo, rpo_unit   rpo (default 15), rpoUnit (default "Seconds"); any JSON
                value (e.g. "Fortnights", 7, "Unknown")
  short_term_retention, short_term_retention_unit   (240, "Minutes")
  long_term_retention, long_term_retention_unit     (1440, "Minutes")
  keep_restore_points_in_days   keepRestorePointsInDays (2)
  source_proxy_auto_detect, target_proxy_auto_detect (true),
  is_application_aware_enabled (false)   the three booleans
  last_period   lastPeriod: a dict overriding the defaults
                (CDP_LAST_PERIOD: successCount 1440, warningCount 0,
                errorsCount 0, averageData 2048, maximumData 8192,
                totalData 2949120, averageDuration 3, maximumDuration 9,
                syncInterval 15, sla 100, maxDelay 4, bottleneck
                "Source") field by field, a value None serving null; None
                serves "lastPeriod": null; "absent" leaves the key out;
                another value is served verbatim.  never_run specs
                default to the idle block of the spec's example
                (CDP_IDLE_PERIOD: zero counts, nulls, "NotDefined")
  last_day      lastDay the same way (CDP_LAST_DAY: successCount 5760,
                warningCount 0, errorsCount 0, totalSize 104857600,
                readData 11796480, transferredData 2949120, sla 100,
                maxDelay 4, bottleneck "Source"; CDP_IDLE_DAY)
  cdp_extra / cdp_omit   keys set on / removed from the policy object
                (after everything else: retype or drop any top-level key)
  embedded      the collections' _embedded: true (default): the
                BackupServerJob with expand, {"backupServerJob": null}
                without; false or "absent": no _embedded; "null":
                "_embedded": null; "empty": {"backupServerJob": null} and
                "job": the job, whatever expand says
  single_embedded   the single endpoint's _embedded: "absent" (default),
                "null", "empty" or "job" (as above)
Built-in policies (defaults=True, also in the default fleet): CDP_UID
(healthy), CDP_NO_SLA_UID (lastPeriod.sla and maxDelay null, as a policy
that has not synced yet), CDP_NO_PERIOD_UID (lastPeriod null),
CDP_UNKNOWN_UNIT_UID (rpoUnit "Unknown").

Fleet (set_fleet(); the collections): a dict
  jobs          explicit job specs, first in the list
  count, seed   that many generated jobs after them, made lazily and
                deterministically from (seed, index): names like
                "Replica 00042 SQL", a mix of statuses, timestamp shapes,
                organizations (FLEET_ORGS) and backup servers
                (FLEET_SERVERS); UIDs f1ee7SSS-0000-4000-8000-IIIIIIIIIIII,
                also served by the single-job endpoints
  cdp_jobs      explicit CDP policy specs, first in the CDP collections
  cdp_count, cdp_seed   that many generated CDP policies after them
                (generated_cdp_spec: names like "CDP 00042 SQL", a mix of
                statuses, RPOs, SLA values (null among them), maxDelay
                values and error counts, a few with lastPeriod null); UIDs
                cdcdSSSS-0000-4000-8000-IIIIIIIIIIII (cdp_uid()), also
                served by the CDP policy and BackupServerJob endpoints.
                The VM collections list only VM jobs, the CDP ones only
                CDP policies; jobs of another type (see "type") only
                GET .../jobs/{uid} serves
  max_limit     largest limit accepted (default 500); limit outside
                1..max_limit, a bad offset or filter answer 400
  pages         {offset: scenario}: the page at that offset is answered by
                the scenario's steps; a step without body keys (only
                delay, framing, extra_length, truncate, close, ...) sends
                the real page with that misbehaviour
  stall_at      pages at this offset or later hold no items (total as
                before): stalled paging
  grow_at, shrink_at   {offset: n}: from that offset on, n jobs more (at
                the end) / n jobs fewer (from the end)
  insert_at     {offset: n}: from that offset on, n new jobs at the front:
                items shift, the next page repeats items (duplicates)
  total_override, count_override   {offset: n}: pagingInfo.total / count
                reported for that page
  oversize      {offset: n}: that page holds n items whatever the limit
  paging        "meta" (default), "null" (meta null), "absent" (no meta),
                "empty" (meta {})
  paging_style  what meta.pagingInfo holds: "standard" ({total, count,
                offset}), "skip" ({total, count, skip}, as Veeam's 9.1
                overview example has it) or "total_only" ({total});
                default: the simulator's, set_paging_style() (standard)
  meta_first    None (default: alternates per page), true or false
  non_objects   {index: value}: the item at that index is that value
  big_tasks     {index: n}: that job has n lastSessionTasks
  unknown_server  "empty" (default: 200 with no jobs) or "404" (a
                backup server no job or policy of the fleet is on)
  shuffle       false: keep the key order of the items
  ignore_offset_with_expand   true: a request with expand gets the page
                at offset 0 whatever offset it asked (pagingInfo echoes
                offset 0; every key below and above keyed by offset is
                looked up at 0)
  echo_offset   {offset: n}: that page reports pagingInfo.offset n (skip
                n under paging_style skip); its items are right
  reorder_at    {offset: seed}: from that offset on, the list (filtered
                and sorted) is reshuffled with random.Random(seed) before
                paging: items move between pages (duplicates, gaps)
  repeat_at     {offset: k}: the page at that offset begins with the last
                k items of the previous page again, then holds its own
                items (up to limit + k in all; count says so)
  shift_at      {offset: k}: the page's window starts k items early (at
                most limit items): it repeats k items and the last k of
                its own window come on no page
  short_at      {offset: n}: that page holds only its first n items
                although total says more remain (count n)
  misbehave_in  the collections the misbehaviour keys apply to: a list of
                "vm", "cdp" (default both).  Misbehaviour keys: pages,
                stall_at, grow_at, shrink_at, insert_at, total_override,
                count_override, oversize, paging, non_objects, big_tasks,
                ignore_offset_with_expand, echo_offset, reorder_at,
                repeat_at, shift_at, short_at (the other keys apply to
                both).  A pages scenario counts the requests of every
                collection it applies to
The sort query parameter (both collections): URL-encoded JSON, an array
of SortExpression {"property", "direction": "ascending"|"descending",
optional "collation": "ordinal"|"ignorecase"|"lexicographic"|null},
applied before paging (after filter) to the items as served (property a
dotted path as in filter, e.g. "instanceUid",
"_embedded.backupServerJob.name", "lastPeriod.sla"); stable; null first
when ascending.  Not JSON, not an array, an expression without property
or direction, an unknown direction or collation, or an unknown property
answer 400 with the errors envelope and parameterName "sort" (an unknown
filter property answers 400 naming "filter").  Without sort the order is
the fleet's.

The clock: timestamps (lastEndTime, lastRun, creationTime, ...) are made
relative to the whole second a request is served in, so the same job
seems to have just run again in every answer.  freeze_clock(epoch) (True:
the current second) anchors every answer to that second instead, as a
real VSPC whose jobs do not run meanwhile; freeze_clock(None) lets the
clock run again; clock() is the second answers are anchored to.

Scopes (set_scope(orgs, token=... or username=...)): a credential that
sees only some organizations' jobs, as a VSPC company's user or API key
does.  The collections leave the other organizations' jobs out (before
paging: the totals too) and the single-job endpoints answer 404 for them;
a job belongs to the organizations of its organizationUid and
mappedOrganizationUid (the spec's org and mapped_org); a scenario without
a job spec (data steps) is seen by unrestricted credentials only.  For a
username, every access token issued to that account is restricted.
Request records name the credential as principal.

Accounts (add_account(username, password, **options); the token endpoint):
  POST /api/v3/token takes application/x-www-form-urlencoded fields only.
  grant_type=password with the username and password of an account (and
  optionally readOnly=true) answers 200 with a bare OAuth2Result
  {"access_token", "token_type": "bearer", "refresh_token", "expires_in",
  "mfa_token": null, "encrypted_code": null}; a wrong user name or password
  answers 400 {"error": "invalid_grant", "error_description": ...}.
  grant_type=refresh_token with a refresh token that was issued and is
  neither revoked nor used up answers a new access token (and, with
  rotate, a new refresh token that replaces the old one); anything else is
  400 invalid_grant.  Other grant types: 400 unsupported_grant_type; a body
  that is not form-encoded or lacks a field: 400 invalid_request.
  Access tokens look like JWTs (base64url and dots); refresh tokens are
  standard base64 with "+", "/" and "=", so that a client has to
  percent-encode them.  Each token is random and appears nowhere else.
  Options:
  expires_in    lifetime announced in the answer, seconds (default 3600)
  lifetime      how long the server accepts the access token, seconds
                (default: expires_in); wall clock
  mfa           true: a correct password answers 200 with access_token and
                refresh_token null and an mfa_token
  accept        false: issued access tokens are refused (401) even while
                valid
  rotate        false: a refresh keeps the refresh token (default true: a
                new one, the old one is used up)
  refresh       false: no refresh_token in the answers (null)
  steps         a scenario (list of steps, the last repeating) for this
                account's token requests, password and refresh grants alike:
                a step with only delay / close / framing / truncate sends
                the real answer that way (delay: hold it that long); a step
                with an answer (status, body, error, data, action, ...)
                sends that instead and issues nothing
  revoke_access(), expire_access(), revoke_refresh() (by username or token)
  act at once; account(username) holds the counters: password_grants,
  refresh_grants (requests, whatever the outcome), logins, refreshes
  (successful ones), mfa_prompts.  A token request record carries
  endpoint "token", form (the parsed body, {field: [values]}), grant_type,
  username (the account it concerns, if any), outcome ("token", "mfa",
  "bad_credentials", "bad_refresh", "unsupported_grant_type",
  "invalid_request", "scripted", "unsupported_version") and issued
  ({access, refresh} or None), read_only_sent (the form had a readOnly
  field) and read_only (whether the token issued is read-only; None when
  none was issued).  Under API versions before 3.6 readOnly is ignored.
  The records of issued() carry read_only too.
  Every request record carries body (the raw request body), bearer (the
  Bearer credential sent, or None) and auth ("static", "issued",
  "expired", "revoked", "refused", "unknown" or None).  VspcSim's
  docstring lists every record field; collection pages carry kind ("vm",
  "cdp"), limit and offset (asked), offset_served, offset_echoed, count,
  total, items, uids (served, in order), sort and applied.

Outages (set_outage(step); the whole server): from the next request on,
every request, on every path and the token endpoint alike, before version
negotiation and authentication, is answered by that one scenario step
(see "Step keys"): {"error": {"status": 429, "retryAfter": 2, ...}} for a
throttling VSPC, {"status": 503, "body": ...} for one that fails,
{"action": "hang"} for one that never answers (held until the client
gives up or the simulator stops).  Its records carry outcome "outage"
(endpoint, uid, kind as the route says; no auth).  set_outage(None)
serves normally again; requests being served finish as they started.
The listener's backlog is sim_transport.LISTEN_BACKLOG (1024, capped by
net.core.somaxconn): a few hundred checks may connect at once.
"""

import argparse
import json
import os
import signal
import sys
import types

_dwb = sys.dont_write_bytecode
try:
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    try:
        import vspc_profiles as P
    except ImportError:  # imported by path, its directory not on sys.path
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import vspc_profiles as P
    import sim_certs
    import sim_transport
    import sim_model
    import sim_fleet
    import sim_accounts
    import sim_routes
    import sim_server
    import sim_process
finally:
    sys.dont_write_bytecode = _dwb

SERVER_VERSIONS = P.SERVER_VERSIONS
PROFILES = P.PROFILES
DEFAULT_SERVER_VERSION = P.DEFAULT_SERVER_VERSION
PAGING_STYLES = P.PAGING_STYLES
API_VERSIONS = P.API_VERSIONS

# Every name of the modules (constants, classes, functions, private ones
# included) as vspc_sim.NAME, as when they all lived in this file.
for _module in (sim_certs, sim_transport, sim_model, sim_fleet,
                sim_accounts, sim_routes, sim_server, sim_process):
    for _name, _value in vars(_module).items():
        if not _name.startswith("__") and \
                not isinstance(_value, types.ModuleType):
            globals()[_name] = _value
del _module, _name, _value
_coalesce = sim_transport.coalesce


# --------------------------------------------------------------------------
# Standalone
# --------------------------------------------------------------------------

def _load_fixtures(path):
    with open(path, encoding="utf-8") as f:
        obj = json.load(f)
    if not isinstance(obj, dict):
        raise ValueError("fixtures file must hold a JSON object")
    if any(k in obj for k in ("jobs", "backupServerJobs", "fleet",
                              "cdpReplicationJobs")):
        return (obj.get("jobs") or {}, obj.get("backupServerJobs") or {},
                obj.get("fleet"), obj.get("cdpReplicationJobs") or {})
    return obj, {}, None, {}


def read_credentials(path):
    """(username, password) from a file of username= and password= lines
    (# comments; the value is everything after the first =)."""
    user = password = None
    with open(path, encoding="utf-8", newline="") as f:
        for line in f.read().split("\n"):
            line = line[:-1] if line.endswith("\r") else line
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, value = line.partition("=")
            if key.strip() == "username":
                user = value
            elif key.strip() == "password":
                password = value
    return user, password


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="VSPC REST API v3 simulator (HTTPS) for "
                    "check_vspc_replication")
    ap.add_argument("--make-certs", metavar="DIR",
                    help="create a test CA and server certificates in DIR, "
                         "print their paths and exit")
    ap.add_argument("--cert", help="server certificate (PEM)")
    ap.add_argument("--key", help="server private key (PEM)")
    ap.add_argument("--bind", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1; ::1 "
                         "for IPv6)")
    ap.add_argument("--port", type=int, default=0,
                    help="port (default 0: any free port)")
    ap.add_argument("--token", help="accepted bearer token")
    ap.add_argument("--token-file", help="file whose first line is the "
                                         "accepted bearer token")
    ap.add_argument("--api-key", action="append", default=[],
                    help="further accepted key (repeatable)")
    ap.add_argument("--fixtures", help="JSON file {uid: scenario} added to "
                                       "(or overriding) the built-in jobs")
    ap.add_argument("--no-defaults", action="store_true",
                    help="do not serve the built-in jobs")
    ap.add_argument("--fleet", type=int, metavar="N",
                    help="the collections list the built-in jobs and N "
                         "generated ones (a fixtures fleet wins)")
    ap.add_argument("--fleet-seed", type=int, default=1, metavar="S",
                    help="seed of the generated jobs (default 1)")
    ap.add_argument("--cdp-fleet", type=int, metavar="N",
                    help="the CDP collections list the built-in CDP "
                         "policies and N generated ones (a fixtures fleet "
                         "wins)")
    ap.add_argument("--cdp-fleet-seed", type=int, default=1, metavar="S",
                    help="seed of the generated CDP policies (default 1)")
    ap.add_argument("--credentials-file", metavar="F",
                    help="add the account of F (username= and password= "
                         "lines, as check_vspc_replication reads them) to "
                         "the token endpoint")
    ap.add_argument("--expires-in", type=int, default=3600, metavar="S",
                    help="lifetime of the access tokens it issues (default "
                         "3600)")
    ap.add_argument("--server-version", choices=SERVER_VERSIONS,
                    default=DEFAULT_SERVER_VERSION,
                    help="VSPC version to play (default %s): 8.0 accepts "
                         "X-Client-Version 3.4; 8.1 also 3.5 and 3.5.1; "
                         "9.0 also 3.6; 9.1 also 3.6.1; 9.2 also 3.6.2. "
                         "Other versions answer 400 UnsupportedApiVersion; "
                         "no header means the newest accepted"
                         % DEFAULT_SERVER_VERSION)
    ap.add_argument("--paging-style", choices=PAGING_STYLES,
                    default="standard",
                    help="meta.pagingInfo of the collections: standard "
                         "(total, count, offset), skip (total, count, "
                         "skip) or total_only (default standard)")
    ap.add_argument("--log", action="store_true",
                    help="log each request on stderr")
    args = ap.parse_args(argv)

    if args.make_certs:
        for k, v in sorted(sim_certs.make_certs(args.make_certs).items()):
            print("%s %s" % (k, v))
        return 0
    if not args.cert or not args.key:
        ap.error("--cert and --key are required (see --make-certs)")
    token = args.token
    if args.token_file:
        with open(args.token_file, encoding="utf-8") as f:
            token = f.readline().strip()
    if not token:
        ap.error("a token is required (--token or --token-file)")
    accounts = []
    if args.credentials_file:
        user, password = read_credentials(args.credentials_file)
        if user is None or password is None:
            ap.error("%s lacks a username= or password= line"
                     % args.credentials_file)
        accounts.append(sim_accounts.Account(user, password,
                                             expires_in=args.expires_in))
    jobs, bsjobs, fleet, cdp_jobs = {}, {}, None, {}
    if args.fixtures:
        jobs, bsjobs, fleet, cdp_jobs = _load_fixtures(args.fixtures)
    if fleet is None and (args.fleet is not None or
                          args.cdp_fleet is not None):
        fleet = dict(sim_model.default_fleet() if not args.no_defaults
                     else {})
        if args.fleet is not None:
            fleet.update(count=args.fleet, seed=args.fleet_seed)
        if args.cdp_fleet is not None:
            fleet.update(cdp_count=args.cdp_fleet,
                         cdp_seed=args.cdp_fleet_seed)

    sim = sim_server.VspcSim(
        args.cert, args.key, token=token, api_keys=args.api_key,
        host=args.bind, port=args.port, jobs=jobs, bsjobs=bsjobs,
        cdp_jobs=cdp_jobs, fleet=fleet, defaults=not args.no_defaults,
        verbose=args.log, accounts=accounts,
        server_version=args.server_version, paging_style=args.paging_style)
    # Blocked in every thread (they inherit the mask) and taken by sigwait:
    # a handler that set a threading.Event could run while the main thread
    # holds the Event's own lock, leaving it deadlocked and the process
    # deaf to every later signal.
    signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    sim.start()
    sys.stdout.write("PORT %d\n" % sim.port)
    sys.stdout.flush()
    signal.sigwait(signals)
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

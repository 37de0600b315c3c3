"""VSPC server versions for the simulator (tests/vspc_sim.py): which REST
API versions (X-Client-Version) a server accepts, how it refuses the
others, and how the answers differ from one API version to the next.

Standard library only; imported by vspc_sim.py, and by the end-to-end
tests for SERVER_VERSIONS.

Profiles (server version -> the X-Client-Version values it accepts):
  8.0   3.4
  8.1   3.4, 3.5, 3.5.1
  9.0   3.4, 3.5, 3.5.1, 3.6
  9.1   the 9.0 set and 3.6.1
  9.2   the 9.1 set and 3.6.2 (the default)
Versions are compared as exact strings: "3.6.0" or "03.6" is not "3.6".

Negotiation, for the token endpoint and every route the simulator knows
(unknown paths answer 404 as before), BEFORE authentication:
  * no X-Client-Version header: served as the newest version the profile
    accepts (8.0: 3.4, 8.1: 3.5.1, 9.0: 3.6, 9.1: 3.6.1, 9.2: 3.6.2);
  * one value (or the same value repeated) that the profile accepts:
    served as that version;
  * anything else -- a version the profile does not accept, a malformed
    value (empty, "latest", "3.6;", ...), or several different values --
    is refused as ASP.NET API Versioning refuses it: HTTP 400,
    Content-Type application/json; charset=utf-8, and
      {"error":{"code":"UnsupportedApiVersion","message":"The HTTP
      resource that matches the request URI 'https://HOST/PATH?QUERY'
      does not support the API version 'V'.","innerError":null}}
    with HOST the request's Host header (the simulator's address when it
    has none), PATH?QUERY the request target as sent and V the header
    value as sent.  Several different values answer the code
    AmbiguousApiVersion and ASP.NET's message for that ("The following
    API versions were requested: 3.5, 3.6. At most, ...").
  Stock ASP.NET API Versioning answers InvalidApiVersion (same message)
  for a value it cannot parse; VSPC's own version strings (3.5.1) are not
  stock ASP.NET versions, so what a real VSPC says to a malformed value
  is UNCONFIRMED: the simulator says UnsupportedApiVersion.
  A refused request is recorded with outcome "unsupported_version",
  version_error "unsupported", "malformed" or "ambiguous", status 400,
  api_version None; it reaches no scenario and no account (step counters,
  account counters unchanged).

What the negotiated API version (not the server version) changes:
  * 3.4: instanceUid is the Veeam B&R job UID; no uniqueUid and no
    originalUid key, neither on the replication job nor on the
    BackupServerJob (single answers, collection items, _embedded).
  * 3.5: instanceUid is the VSPC UID (what uniqueUid holds later) and
    originalUid the Veeam B&R job UID, on the replication job and on the
    BackupServerJob alike; no uniqueUid key.
  * 3.5.1 and later: instanceUid is the Veeam B&R UID, uniqueUid the VSPC
    UID (objects served as made, e.g. make_job()'s extra originalUid).
  * BackupServerJob.schedule exists from 3.6.1 on only (absent under
    3.4, 3.5, 3.5.1 and 3.6); backupChainSize from 3.4 on.
  * POST /api/v3/token: the readOnly form field exists from 3.6 on; an
    older version ignores it and issues a token that is not read-only.
  * CDP replication policies (BackupServerCdpReplicationJob, the
    cdpReplicationJobs collections and single endpoint): served under
    every API version, 3.4 included (whether VSPC 8.0 has them is
    UNCONFIRMED; the simulator treats them as available); their UIDs
    follow the replication jobs' rules above (shape_cdp_job), their
    BackupServerJob's too.
  The single-job URLs take the Veeam B&R UID under every version.  The
  collection filter sees the items as that version shows them (under 3.5
  "instanceUid" is the VSPC UID and "originalUid" the B&R one).
"""

import re
import uuid

SERVER_VERSIONS = ["8.0", "8.1", "9.0", "9.1", "9.2"]
DEFAULT_SERVER_VERSION = "9.2"

_V80 = frozenset({"3.4"})
_V81 = _V80 | {"3.5", "3.5.1"}
_V90 = _V81 | {"3.6"}
_V91 = _V90 | {"3.6.1"}
_V92 = _V91 | {"3.6.2"}
PROFILES = {"8.0": _V80, "8.1": _V81, "9.0": _V90, "9.1": _V91,
            "9.2": _V92}

# Every API version some profile accepts, oldest first.
API_VERSIONS = sorted(_V92, key=lambda v: tuple(int(p) for p in
                                                v.split(".")))

# The REST API version each server version introduced.
SERVER_API = {"8.0": "3.4", "8.1": "3.5.1", "9.0": "3.6", "9.1": "3.6.1",
              "9.2": "3.6.2"}

PAGING_STYLES = ("standard", "skip", "total_only")

CODE_UNSUPPORTED = "UnsupportedApiVersion"
CODE_AMBIGUOUS = "AmbiguousApiVersion"
MSG_UNSUPPORTED = ("The HTTP resource that matches the request URI '%s' "
                   "does not support the API version '%s'.")
MSG_AMBIGUOUS = ("The following API versions were requested: %s. At most, "
                 "only a single API version may be specified. Please update "
                 "the intended API version and retry the request.")

_VERSION_RE = re.compile(r"^[0-9]+(?:\.[0-9]+)*$")

# Feature thresholds (API version tuples).
UID_SWAP_VERSION = (3, 5)          # exactly: instanceUid = VSPC UID
UNIQUE_UID_FROM = (3, 5, 1)        # uniqueUid, instanceUid = B&R UID
READ_ONLY_FROM = (3, 6)            # the token endpoint's readOnly field
SCHEDULE_FROM = (3, 6, 1)          # BackupServerJob.schedule


def version_tuple(text):
    """"3.5.1" -> (3, 5, 1); None for anything that is not dot-separated
    decimal numbers."""
    if not isinstance(text, str) or not _VERSION_RE.match(text):
        return None
    return tuple(int(p) for p in text.split("."))


def _norm(t):
    """(3, 5) and (3, 5, 0) compare equal."""
    t = tuple(t)
    while len(t) > 2 and t[-1] == 0:
        t = t[:-1]
    return t


def check_server_version(server_version):
    if server_version not in PROFILES:
        raise ValueError("unknown VSPC server version %r (one of %s)" % (
            server_version, ", ".join(SERVER_VERSIONS)))
    return server_version


def accepted(server_version):
    """The X-Client-Version values the server version accepts."""
    return PROFILES[check_server_version(server_version)]


def newest(server_version):
    """The API version a request without X-Client-Version is served as."""
    return max(accepted(server_version), key=version_tuple)


def negotiate(server_version, values):
    """values: the X-Client-Version header values of a request (a list,
    possibly empty).  Returns (api_version, None) when the request is
    served, or (None, (error, code, message_version)) when it is refused,
    error being "unsupported", "malformed" or "ambiguous"."""
    values = [v.strip() for v in values]
    if not values:
        return newest(server_version), None
    distinct = []
    for v in values:
        if v not in distinct:
            distinct.append(v)
    if len(distinct) > 1:
        return None, ("ambiguous", CODE_AMBIGUOUS, ", ".join(distinct))
    v = distinct[0]
    if v in accepted(server_version):
        return v, None
    error = "unsupported" if version_tuple(v) is not None else "malformed"
    return None, (error, CODE_UNSUPPORTED, v)


def refusal(uri, refused):
    """The ASP.NET API Versioning error body (a dict) for negotiate()'s
    refusal, uri being the request URI."""
    _, code, text = refused
    if code == CODE_AMBIGUOUS:
        message = MSG_AMBIGUOUS % text
    else:
        message = MSG_UNSUPPORTED % (uri, text)
    return {"error": {"code": code, "message": message, "innerError": None}}


def _api(api):
    if api is None:
        return None
    if isinstance(api, str):
        t = version_tuple(api)
        if t is None:
            raise ValueError("bad API version %r" % api)
        return _norm(t)
    return _norm(api)


def read_only_supported(api):
    """Whether the token endpoint knows the readOnly field under api."""
    api = _api(api)
    return api is None or api >= READ_ONLY_FROM


def default_unique_uid(uid):
    """The VSPC UID the simulator gives a Veeam B&R job UID that has none
    of its own (deterministic)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "vspc-sim:" + str(uid)))


def shape_uids(obj, api, vspc_uid=None):
    """instanceUid / uniqueUid / originalUid of one job object (in place)
    as API version api has them; vspc_uid: the VSPC UID to use under 3.5
    when obj carries no uniqueUid."""
    api = _api(api)
    if api is None or api >= UNIQUE_UID_FROM:
        return obj
    if api < UID_SWAP_VERSION:
        obj.pop("uniqueUid", None)
        obj.pop("originalUid", None)
        return obj
    # 3.5
    had_instance = "instanceUid" in obj
    bnr = obj.get("instanceUid")
    vspc = obj.pop("uniqueUid", None) or vspc_uid
    if not vspc and isinstance(bnr, str):
        vspc = default_unique_uid(bnr)
    if vspc:
        obj["instanceUid"] = vspc
    if had_instance:
        obj["originalUid"] = bnr
    return obj


def shape_backup_server_job(job, api, vspc_uid=None):
    """A BackupServerJob (in place) as API version api has it."""
    if not isinstance(job, dict):
        return job
    a = _api(api)
    if a is not None and a < SCHEDULE_FROM:
        job.pop("schedule", None)
    return shape_uids(job, a, vspc_uid)


def cdp_supported(api):
    """Whether API version api has the CDP policy endpoints: always (3.4
    UNCONFIRMED, treated as available)."""
    _api(api)
    return True


def shape_replication_job(job, api):
    """A BackupServerReplicationVmJob (in place), its
    _embedded.backupServerJob included, as API version api has it."""
    if not isinstance(job, dict):
        return job
    a = _api(api)
    if a is None:
        return job
    emb = job.get("_embedded")
    if isinstance(emb, dict) and isinstance(emb.get("backupServerJob"),
                                            dict):
        vspc = job.get("uniqueUid")
        if not isinstance(vspc, str):
            vspc = None
        shape_backup_server_job(emb["backupServerJob"], a, vspc)
    return shape_uids(job, a)


def shape_cdp_job(job, api):
    """A BackupServerCdpReplicationJob (in place), its
    _embedded.backupServerJob included, as API version api has it: the
    same UID rules as a replication job."""
    return shape_replication_job(job, api)


def paging_info(style, total, count, offset):
    """meta.pagingInfo in one of PAGING_STYLES."""
    if style == "standard":
        return {"total": total, "count": count, "offset": offset}
    if style == "skip":
        return {"total": total, "count": count, "skip": offset}
    if style == "total_only":
        return {"total": total}
    raise ValueError("paging style must be one of %s" % ", ".join(
        PAGING_STYLES))


def check_paging_style(style):
    if style not in PAGING_STYLES:
        raise ValueError("paging style must be one of %s, not %r" % (
            ", ".join(PAGING_STYLES), style))
    return style

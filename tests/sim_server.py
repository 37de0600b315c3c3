"""The simulator itself (see vspc_sim.py): VspcSim, its configuration
(scenarios, fleet, accounts, server version, paging style), its records,
and its life cycle.  Requests are answered by sim_routes.

Standard library only."""

import copy
import ssl
import sys
import threading
import time
import uuid

import vspc_profiles as P
import sim_model as M
import sim_routes as R
from sim_accounts import Account, _Tokens
from sim_fleet import Fleet
from sim_transport import _Listener, _Log, serve_tls

DEFAULT_TOKEN = "sim-token-Zq8Xv2Lr7Tn4Wp"


class VspcSim:
    """The simulator.  Start with start() (or use as a context manager);
    every accepted connection and every request is recorded.

    A request record (requests()) holds: conn (connection id), method,
    target, path, query, version, headers, client_version, t (monotonic),
    wall (time.time()), status, step, and
      endpoint    "replication", "cdp" (a CDP policy), "job"
                  (BackupServerJob), "collection", "token" or None (no
                  such route)
      uid         the job UID asked for (single-job endpoints)
      server      the backup server UID (per-server collection) or None
      anchor      the whole second (epoch) timestamps were made relative to
      end, end_whole, end_frac   the lastEndTime served (job step)
      (collections)
      kind        "vm" (replicationVmJobs) or "cdp" (cdpReplicationJobs)
      params      the parsed query string
      limit, offset, expand   what was asked (parsed)
      sort        the parsed sort parameter: [{property, direction,
                  collation}], or None
      items, uids   how many items the page held, their UIDs in order
                  (None for a non-object)
      total, count, offset_echoed   what pagingInfo reported (total,
                  count, offset or skip; offset_echoed None when it
                  reported none)
      offset_served   where the page's own window began in the list
                  (differs from offset under shift_at and
                  ignore_offset_with_expand)
      applied     the misbehaviours that shaped the page, e.g.
                  ["repeat_at", "echo_offset"]
      paging_style
      server_version, api_version   the VSPC version played and the API
                  version the request was served as (None: refused, then
                  outcome "unsupported_version" and version_error
                  "unsupported", "malformed" or "ambiguous")
      outcome     "outage" when set_outage's step answered the request
      body, bearer, auth, and for the token endpoint form, grant_type,
      username, outcome, issued, read_only_sent, read_only  (see
                  "Accounts" in the module text)
      bearer_read_only   (auth "issued") whether the access token sent
                  is a read-only one
      principal   ("token", the static token or API key) or ("user", the
                  account an issued token belongs to): whose scope applies
                  (set_scope); None before authentication"""

    def __init__(self, cert, key, *, token=DEFAULT_TOKEN, api_keys=(),
                 host="127.0.0.1", port=0, jobs=None, bsjobs=None,
                 fleet=None, defaults=True, verbose=False, accounts=(),
                 server_version=P.DEFAULT_SERVER_VERSION, cdp_jobs=None,
                 paging_style="standard"):
        self.profile_lock = threading.Lock()
        self._frozen = None  # the clock's frozen second, or None
        self.scopes = {}  # ("token", value) or ("user", name) -> orgs
        self._server_version = P.check_server_version(server_version)
        self._paging_style = P.check_paging_style(paging_style)
        self.token = token
        self.api_keys = set(api_keys)
        self.tokens = _Tokens()
        for acct in accounts:
            self.tokens.add(acct if isinstance(acct, Account)
                            else Account(**acct))
        self.verbose = verbose
        self.log = _Log()
        self.jobs_lock = threading.Lock()
        self._outage = None  # a step answering every request
        self.scenarios = {}  # (endpoint, uid) -> _Scenario
        self.defaults = defaults
        self.fleet = Fleet(M.default_fleet() if defaults else None)
        if defaults:
            for uid, spec in M.default_jobs().items():
                self.set_job(uid, spec)
            for uid, spec in M.default_bsjobs().items():
                self.set_bsjob(uid, spec)
            for uid, spec in M.default_cdp().items():
                self.set_cdp(uid, spec)
        for uid, spec in (jobs or {}).items():
            self.set_job(uid, spec)
        for uid, spec in (bsjobs or {}).items():
            self.set_bsjob(uid, spec)
        for uid, spec in (cdp_jobs or {}).items():
            self.set_cdp(uid, spec)
        if fleet is not None:
            self.set_fleet(fleet)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.ctx.set_alpn_protocols(["http/1.1"])
        self.listener = _Listener(host, port, self._on_conn, self.log)
        self.host = host
        self.port = self.listener.port
        self.stopping = self.listener.stopping

    # -- life cycle ---------------------------------------------------------
    def start(self):
        self.listener.start()
        return self

    def stop(self):
        self.listener.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def authority(self):
        if ":" in self.host:
            return "[%s]:%d" % (self.host, self.port)
        return "%s:%d" % (self.host, self.port)

    # -- server version (see vspc_profiles) -----------------------------------
    @property
    def server_version(self):
        """The VSPC version the simulator plays ("8.0" ... "9.2")."""
        with self.profile_lock:
            return self._server_version

    def set_server_version(self, server_version):
        """Play another VSPC version from the next request on (requests
        being served finish as they started)."""
        P.check_server_version(server_version)
        with self.profile_lock:
            self._server_version = server_version

    @property
    def accepted_versions(self):
        """The X-Client-Version values accepted now (a frozenset)."""
        return P.accepted(self.server_version)

    @property
    def paging_style(self):
        with self.profile_lock:
            return self._paging_style

    def set_paging_style(self, style):
        """meta.pagingInfo of the collections: "standard" ({total, count,
        offset}), "skip" ({total, count, skip}) or "total_only" ({total});
        a fleet's own paging_style wins."""
        P.check_paging_style(style)
        with self.profile_lock:
            self._paging_style = style

    # -- the clock of the timestamps ------------------------------------------
    def clock(self):
        """The whole second (UTC epoch) the answer being made is anchored
        to: lastEndTime is end_age before it (see the job spec).  Now,
        unless the clock is frozen."""
        with self.profile_lock:
            frozen = self._frozen
        return int(time.time()) if frozen is None else frozen

    def freeze_clock(self, epoch=None):
        """Anchor every answer from now on to the whole second epoch (an
        int; True: the current second), as a real VSPC whose jobs do not
        run meanwhile: the same job then has the same lastEndTime in
        every answer, however far apart; None lets the clock run again.
        Returns the frozen second (or None).  Tokens still expire by the
        wall clock."""
        if epoch is True:
            epoch = int(time.time())
        with self.profile_lock:
            self._frozen = None if epoch is None else int(epoch)
            return self._frozen

    # -- what a credential sees -----------------------------------------------
    def set_scope(self, orgs, token=None, username=None):
        """Restrict a credential to the jobs of some organizations, as a
        VSPC company's user or API key sees only its company's jobs: the
        static token or API key token, or every access token issued to
        the account username, sees in the collections and on the
        single-job endpoints only the jobs whose organizationUid or
        mappedOrganizationUid is in orgs (the others are not there: 404,
        left out of the pages and their totals).  orgs None lifts the
        restriction."""
        if (token is None) == (username is None):
            raise ValueError("give a token or a username")
        key = ("token", token) if token is not None else ("user", username)
        with self.jobs_lock:
            if orgs is None:
                self.scopes.pop(key, None)
            else:
                self.scopes[key] = frozenset(o.lower() for o in orgs)

    def scope_of(self, req):
        """The organizations the credential of an authenticated request
        sees (a frozenset), or None: all of them."""
        with self.jobs_lock:
            return self.scopes.get(req.get("principal"))

    # -- configuration ------------------------------------------------------
    def set_scenario(self, endpoint, uid, spec):
        """endpoint: "replication", "cdp" (the CDP policy one) or "job"
        (the BackupServerJob one)."""
        if endpoint not in ("replication", "cdp", "job"):
            raise ValueError("unknown endpoint " + endpoint)
        scen = M._Scenario(copy.deepcopy(spec))
        with self.jobs_lock:
            self.scenarios[(endpoint, uid)] = scen

    def set_job(self, uid, spec):
        """The replication endpoint's scenario for uid."""
        self.set_scenario("replication", uid, spec)

    def set_bsjob(self, uid, spec):
        """The BackupServerJob endpoint's scenario for uid."""
        self.set_scenario("job", uid, spec)

    def set_cdp(self, uid, spec):
        """The CDP policy endpoint's scenario for uid (a "job" step there
        holds a CDP spec)."""
        self.set_scenario("cdp", uid, spec)

    def set_cdp_job(self, spec, cdp=None, job=None):
        """Serve the CDP spec (a dict with "uid") on the CDP policy
        endpoint and its BackupServerJob (type CdpReplicationVM) on the
        BackupServerJob endpoint; cdp / job: steps served before it there.
        Returns the UID."""
        spec = dict(spec, kind="cdp")
        uid = spec["uid"]
        self.set_cdp(uid, {"steps": list(cdp or []) + [{"job": spec}]})
        self.set_bsjob(uid, {"steps": list(job or []) + [{"job": spec}]})
        return uid

    def set_health_job(self, spec, replication=None, job=None):
        """Serve the job spec (a dict with "uid") on both single-job
        endpoints; replication / job: steps served before it there."""
        uid = spec["uid"]
        self.set_job(uid, {"steps": list(replication or []) +
                           [{"job": spec}]})
        self.set_bsjob(uid, {"steps": list(job or []) + [{"job": spec}]})
        return uid

    def add_job(self, spec):
        """Register spec under a fresh random UID and return the UID."""
        uid = str(uuid.uuid4())
        self.set_job(uid, spec)
        return uid

    def remove_job(self, uid):
        with self.jobs_lock:
            self.scenarios.pop(("replication", uid), None)
            self.scenarios.pop(("job", uid), None)
            self.scenarios.pop(("cdp", uid), None)

    def hits(self, uid, endpoint="replication"):
        with self.jobs_lock:
            scen = self.scenarios.get((endpoint, uid))
        return scen.count if scen else 0

    def set_fleet(self, spec=None):
        """What the collections list (see Fleet); None: the default."""
        fleet = Fleet(M.default_fleet() if spec is None and self.defaults
                      else copy.deepcopy(spec))
        with self.jobs_lock:
            self.fleet = fleet
        return fleet

    # -- outages (see "Outages" in the module text) ----------------------------
    def set_outage(self, step=None):
        """Answer every request with the scenario step from the next one
        on (None: serve normally again)."""
        step = copy.deepcopy(step)
        with self.jobs_lock:
            self._outage = step

    @property
    def outage(self):
        with self.jobs_lock:
            return self._outage

    # -- accounts (POST /api/v3/token) ----------------------------------------
    def add_account(self, username, password, **options):
        """Add (or replace) an account; options as in the module text.
        Returns the Account, whose counters the token endpoint updates."""
        return self.tokens.add(Account(username, password, **options))

    def account(self, username):
        return self.tokens.get(username)

    def set_account(self, username, **options):
        """Change options of an account (password included) at once."""
        acct = self.tokens.get(username)
        if acct is None:
            raise KeyError(username)
        with self.tokens.lock:
            acct.configure(**options)
        return acct

    def remove_account(self, username):
        with self.tokens.lock:
            self.tokens.accounts.pop(username, None)

    def counts(self, username):
        """The account's counters (see Account.counts)."""
        acct = self.tokens.get(username)
        with self.tokens.lock:
            return acct.counts()

    def revoke_access(self, username=None, token=None):
        """Refuse these access tokens from now on; returns how many."""
        return self.tokens.revoke_access(username, token)

    def expire_access(self, username=None, token=None):
        """Let these access tokens expire now (server side)."""
        return self.tokens.expire_access(username, token)

    def revoke_refresh(self, username=None, token=None):
        """Refuse these refresh tokens from now on."""
        return self.tokens.revoke_refresh(username, token)

    def issued(self, username=None):
        """Token records (copies), oldest first: access and refresh."""
        return self.tokens.issued(username)

    def issued_secrets(self, username=None):
        """Every access, refresh and MFA token this simulator issued (to
        that user)."""
        return self.tokens.all_secrets(username)

    # -- records ------------------------------------------------------------
    def mark(self):
        with self.log.lock:
            return (len(self.log.conns), len(self.log.reqs))

    def connections(self, since=(0, 0)):
        with self.log.lock:
            return [dict(c) for c in self.log.conns[since[0]:]
                    if not c["probe"]]

    def requests(self, since=(0, 0)):
        with self.log.lock:
            return [dict(r) for r in self.log.reqs[since[1]:]]

    def settle(self, timeout=10.0):
        """Wait until every connection made before this call has been
        accepted and has finished its TLS handshake attempt."""
        self.listener.probe(timeout)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.log.lock:
                busy = [c for c in self.log.conns
                        if not c["probe"] and c["state"] in ("open",
                                                             "handshaking")]
            if not busy:
                return
            time.sleep(0.01)


    # -- connection handling ------------------------------------------------
    def _on_conn(self, conn, peer, rec):
        if rec["probe"]:
            return
        serve_tls(self.ctx, conn, peer, rec, self)

    def _handle(self, h):
        R.handle(self, h)

    def _note(self, req):
        if self.verbose:
            sys.stderr.write("vspc_sim: conn %d %s %s -> %s\n" % (
                req["conn"], req["method"], req["target"], req["status"]))
            sys.stderr.flush()

    def _auth_kind(self, values):
        """"static" (the token or an API key), "issued" (a valid access
        token from the token endpoint), "expired", "revoked", "refused",
        "unknown" or None (no single Bearer header)."""
        if len(values) != 1:
            return None
        scheme, _, cred = values[0].strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        cred = cred.strip()
        if cred and (cred == self.token or cred in self.api_keys):
            return "static"
        return self.tokens.check_bearer(cred) or "unknown"

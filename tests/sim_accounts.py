"""The simulator's accounts (see vspc_sim.py, "Accounts"): the accounts
of POST /api/v3/token, the access, refresh and MFA tokens issued to them,
and the grants (password, refresh_token) the token endpoint answers.

Standard library only."""

import base64
import copy
import json
import secrets
import threading
import time
import urllib.parse

import vspc_profiles as P
from sim_model import MSG_BAD_LOGIN, MSG_BAD_REFRESH, _Scenario

FORM_TYPE = "application/x-www-form-urlencoded"

def _b64url(n):
    return base64.urlsafe_b64encode(secrets.token_bytes(n)).rstrip(
        b"=").decode("ascii")


def new_access_token():
    """A random JWT-shaped access token (base64url parts, dots)."""
    head = base64.urlsafe_b64encode(json.dumps(
        {"alg": "HS256", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    return "%s.%s.%s" % (head, _b64url(48), _b64url(32))


def new_refresh_token():
    """A random refresh token in standard base64: it holds "+", "/" and
    "=", which a form body has to percent-encode."""
    while True:
        raw = secrets.token_bytes(47)  # not a multiple of 3: "=" padding
        text = base64.b64encode(raw).decode("ascii")
        if "+" in text and "/" in text:
            return text


def new_mfa_token():
    return "mfa." + _b64url(32)


class Account:
    """One account of the token endpoint (see "Accounts" in the module
    documentation).  The counters are updated under the simulator's lock."""

    OPTIONS = ("expires_in", "lifetime", "mfa", "accept", "rotate", "refresh",
               "steps")

    def __init__(self, username, password, expires_in=3600, lifetime=None,
                 mfa=False, accept=True, rotate=True, refresh=True,
                 steps=None):
        self.username = username
        self.password = password
        self.expires_in = expires_in
        self.lifetime = lifetime
        self.mfa = mfa
        self.accept = accept
        self.rotate = rotate
        self.refresh = refresh
        self.scenario = _Scenario(copy.deepcopy(steps)) if steps else None
        self.password_grants = 0
        self.refresh_grants = 0
        self.logins = 0
        self.refreshes = 0
        self.mfa_prompts = 0

    def configure(self, **options):
        unknown = set(options) - set(self.OPTIONS) - {"password"}
        if unknown:
            raise ValueError("unknown account options %s" % sorted(unknown))
        for k, v in options.items():
            if k == "steps":
                self.scenario = _Scenario(copy.deepcopy(v)) if v else None
            else:
                setattr(self, k, v)

    def counts(self):
        return {"password_grants": self.password_grants,
                "refresh_grants": self.refresh_grants,
                "logins": self.logins, "refreshes": self.refreshes,
                "mfa_prompts": self.mfa_prompts}


class _Tokens:
    """Accounts, issued tokens, thread-safe.  Token records are dicts:
    access: {kind, value, user, issued, expires_at, revoked, read_only,
    grant}; refresh: {kind, value, user, issued, revoked, used}."""

    def __init__(self):
        self.lock = threading.Lock()
        self.accounts = {}
        self.access = {}
        self.refresh = {}
        self.mfa = {}  # token -> user

    def add(self, account):
        with self.lock:
            self.accounts[account.username] = account
        return account

    def get(self, username):
        with self.lock:
            return self.accounts.get(username)

    def check_bearer(self, value):
        """"issued", "expired", "revoked", "refused" or None (not issued
        here)."""
        with self.lock:
            rec = self.access.get(value)
            if rec is None:
                return None
            if rec["revoked"]:
                return "revoked"
            if time.time() >= rec["expires_at"]:
                return "expired"
            acct = self.accounts.get(rec["user"])
            if acct is None or not acct.accept:
                return "refused"
            return "issued"

    def issue(self, acct, read_only, grant):
        """New tokens for acct (under self.lock): (access, refresh or
        None)."""
        now = time.time()
        lifetime = acct.lifetime if acct.lifetime is not None \
            else acct.expires_in
        access = new_access_token()
        self.access[access] = {
            "kind": "access", "value": access, "user": acct.username,
            "issued": now, "expires_at": now + float(lifetime),
            "revoked": False, "read_only": read_only, "grant": grant}
        refresh = None
        if acct.refresh:
            refresh = new_refresh_token()
            self.refresh[refresh] = {
                "kind": "refresh", "value": refresh, "user": acct.username,
                "issued": now, "revoked": False, "used": False,
                "read_only": read_only}
        return access, refresh

    def _select(self, table, username, token):
        return [r for v, r in table.items()
                if (token is None or v == token) and
                (username is None or r["user"] == username)]

    def revoke_access(self, username=None, token=None):
        with self.lock:
            recs = self._select(self.access, username, token)
            for r in recs:
                r["revoked"] = True
            return len(recs)

    def expire_access(self, username=None, token=None):
        with self.lock:
            recs = self._select(self.access, username, token)
            for r in recs:
                r["expires_at"] = min(r["expires_at"], time.time() - 1)
            return len(recs)

    def revoke_refresh(self, username=None, token=None):
        with self.lock:
            recs = self._select(self.refresh, username, token)
            for r in recs:
                r["revoked"] = True
            return len(recs)

    def issued(self, username=None):
        with self.lock:
            out = self._select(self.access, username, None) + \
                self._select(self.refresh, username, None)
            return [dict(r) for r in sorted(out, key=lambda r: r["issued"])]

    def all_secrets(self, username=None):
        with self.lock:
            return [v for table in (self.access, self.refresh)
                    for v, r in table.items()
                    if username is None or r["user"] == username] + \
                [v for v, u in self.mfa.items()
                 if username is None or u == username]


def oauth_error(error, description):
    return {"error": error, "error_description": description,
            "error_uri": None}



# --------------------------------------------------------------------------
# The token endpoint's requests and grants
# --------------------------------------------------------------------------

def token_form(h, req):
    """Parse a token request's body into req (form, read_only_sent,
    and grant_type, username, outcome, issued, read_only still None):
    (form or None, field(name) -> the single value or None)."""
    ctype = (h.headers.get("Content-Type") or "").split(";")[0]
    form = {}
    if ctype.strip().lower() == FORM_TYPE:
        try:
            form = urllib.parse.parse_qs(
                req["body"].decode("utf-8"), keep_blank_values=True,
                strict_parsing=bool(req["body"]), errors="strict")
        except (UnicodeDecodeError, ValueError):
            form = None
    else:
        form = None
    req.update({"form": form, "grant_type": None, "username": None,
                "outcome": req.get("outcome"), "issued": None,
                "read_only_sent": bool(form) and "readOnly" in form,
                "read_only": None})

    def field(name):
        vals = (form or {}).get(name)
        return vals[-1] if vals and len(vals) == 1 else None
    return form, field


def request_account(tokens, field):
    """(account, refresh token record) a token request concerns: the
    account named by a password grant, the owner of the refresh token of
    a refresh grant (either may be None)."""
    grant_type = field("grant_type")
    acct = rec = None
    if grant_type == "password":
        acct = tokens.get(field("username"))
    elif grant_type == "refresh_token":
        with tokens.lock:
            rec = tokens.refresh.get(field("refresh_token"))
            if rec is not None:
                acct = tokens.accounts.get(rec["user"])
    return acct, rec


def answer_grant(tokens, req, form, field, grant, acct, refresh_rec,
                 api=None):
    """(status, OAuth2Result or OAuth2Error) for a token request; the
    readOnly field counts only from API 3.6 on (older ones do not know
    it and ignore it)."""
    if form is None:
        req["outcome"] = "invalid_request"
        return 400, oauth_error(
            "invalid_request", "The request body must be "
            "application/x-www-form-urlencoded.")
    if grant is None:
        req["outcome"] = "invalid_request"
        return 400, oauth_error("invalid_request",
                                "The grant_type parameter is missing.")
    if grant not in ("password", "refresh_token"):
        req["outcome"] = "unsupported_grant_type"
        return 400, oauth_error("unsupported_grant_type",
                                "The grant type is not supported.")
    read_only = field("readOnly")
    read_only = read_only is not None and \
        read_only.lower() == "true" and P.read_only_supported(api)
    with tokens.lock:
        if grant == "password":
            if field("username") is None or field("password") is None:
                req["outcome"] = "invalid_request"
                return 400, oauth_error(
                    "invalid_request",
                    "The username and password parameters are required.")
            if acct is None or field("password") != acct.password:
                req["outcome"] = "bad_credentials"
                return 400, oauth_error("invalid_grant", MSG_BAD_LOGIN)
            if acct.mfa:
                acct.mfa_prompts += 1
                mfa = new_mfa_token()
                tokens.mfa[mfa] = acct.username
                req["outcome"] = "mfa"
                return 200, {"access_token": None, "token_type": None,
                             "refresh_token": None, "expires_in": 300,
                             "mfa_token": mfa, "encrypted_code": None}
            acct.logins += 1
        else:
            rec = refresh_rec
            if acct is None or rec is None or rec["revoked"] or \
                    rec["used"]:
                req["outcome"] = "bad_refresh"
                return 400, oauth_error("invalid_grant", MSG_BAD_REFRESH)
            read_only = read_only or rec.get("read_only", False)
            acct.refreshes += 1
        access, refresh = tokens.issue(acct, read_only, grant)
        if grant == "refresh_token":
            if acct.rotate or refresh is None:
                rec["used"] = True
            else:
                # the old refresh token stays the one to use
                tokens.refresh.pop(refresh, None)
                refresh = rec["value"]
        req["outcome"] = "token"
        req["issued"] = {"access": access, "refresh": refresh}
        req["read_only"] = bool(read_only)
        return 200, {"access_token": access, "token_type": "bearer",
                     "refresh_token": refresh,
                     "expires_in": int(acct.expires_in),
                     "mfa_token": None, "encrypted_code": None}

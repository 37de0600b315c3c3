"""Logging in with a credentials file: POST /api/v3/token, the token cache,
refresh, the 401 re-login, the order of the token sources, --extra-opts,
and where secrets may and may not go."""

import fcntl
import http.client
import json
import os
import pwd
import shutil
import ssl
import stat
import threading
import time
import urllib.parse

import pytest

import auth_util as A
import e2e_util as U
import vspc_sim as S
from auth_util import write_file


@pytest.fixture
def bench(vspc, tmp_path):
    return A.AuthBench(vspc, tmp_path)


def login_form(acct):
    return {"grant_type": ["password"], "username": [acct.username],
            "password": [acct.password], "readOnly": ["true"]}


def assert_login_request(r, acct):
    """One well-formed password login of acct."""
    assert r["method"] == "POST" and r["path"] == S.TOKEN_PATH, r["target"]
    assert r["query"] == "", "the login has a query string: %s" % r["target"]
    ctype = dict((k.lower(), v) for k, v in r["headers"]).get(
        "content-type", "")
    assert ctype.split(";")[0].strip().lower() == S.FORM_TYPE, ctype
    assert r["form"] == login_form(acct), r["form"]


def issued_access(r):
    assert r["outcome"] == "token", r
    return r["issued"]["access"]


def assert_bearers(run, token, statuses=None):
    """Every job request of run sent token; their statuses, if given."""
    gets = A.AuthBench.gets(run)
    assert gets, "no job request: %r" % run
    assert [g["bearer"] for g in gets] == [token] * len(gets), \
        "not the expected token on every request: %r" % run
    if statuses is not None:
        assert [g["status"] for g in gets] == statuses, run


def counts(run):
    return (len(A.AuthBench.logins(run)), len(A.AuthBench.refreshes(run)))


def private_mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def first_run(bench, acct, *extra, **kw):
    """A cold run that logs in; returns (run, access token)."""
    run = bench.run(bench.args(acct, *extra), **kw)
    U.assert_state(run, "OK")
    logins = bench.logins(run)
    assert len(logins) == 1 and not bench.refreshes(run), run
    return run, issued_access(logins[0])


# --------------------------------------------------------------------------
# Log in, reuse, refresh, log in again
# --------------------------------------------------------------------------

def test_first_run_logs_in_second_reuses_the_cache(bench):
    acct = bench.account()
    run = bench.run(bench.args(acct, "-v", status=True))
    U.assert_state(run, "OK")
    U.assert_measured(run, 5)
    toks = bench.token_reqs(run)
    assert len(toks) == 1, run
    assert_login_request(toks[0], acct)
    assert run.reqs[0]["endpoint"] == "token", "login after a job request"
    access = issued_access(toks[0])
    assert_bearers(run, access, [200, 200])
    assert all(g["auth"] == "issued" for g in bench.gets(run))
    assert "logging in" in run.stdout and acct.username in run.stdout, run
    assert bench.sim.issued(acct.username)[0]["read_only"] is True

    run2 = bench.run(bench.args(acct, "-v", status=True))
    U.assert_state(run2, "OK")
    assert counts(run2) == (0, 0), "a fresh cached token was not reused: " \
        "%r" % run2
    assert_bearers(run2, access, [200, 200])
    assert "cached" in run2.stdout, run2
    assert "logging in" not in run2.stdout, run2
    c = bench.sim.counts(acct.username)
    assert (c["password_grants"], c["refresh_grants"]) == (1, 0), c


@pytest.mark.parametrize("mode", ["--all", "--list", "--list=json"])
def test_fleet_and_list_log_in_too(bench, mode):
    acct = bench.account()
    args = bench.conn_args() + ["--credentials-file", acct.cred_file,
                                "--token-cache", bench.cache, mode]
    is_list = mode.startswith("--list")
    run = bench.run(args, status_line=not is_list)
    assert run.rc == 0, run
    assert counts(run) == (1, 0), run
    access = issued_access(bench.logins(run)[0])
    assert_bearers(run, access)
    run2 = bench.run(args, status_line=not is_list)
    assert run2.rc == 0 and counts(run2) == (0, 0), run2
    assert_bearers(run2, access)


@pytest.mark.parametrize("lifetime", [30, 58])
def test_token_nearly_expired_is_refreshed(bench, lifetime):
    # less than 60 s left: refresh, never a password login
    acct = bench.account(expires_in=lifetime)
    run, access1 = first_run(bench, acct)
    refresh1 = bench.logins(run)[0]["issued"]["refresh"]
    assert "+" in refresh1 and "/" in refresh1  # form encoding matters
    for _ in range(2):
        run = bench.run(bench.args(acct))
        U.assert_state(run, "OK")
        assert counts(run) == (0, 1), run
        r = bench.refreshes(run)[0]
        assert r["form"]["grant_type"] == ["refresh_token"], r["form"]
        assert r["form"]["refresh_token"] == [refresh1], \
            "not the refresh token of the last answer: %r" % r["form"]
        assert "password" not in r["form"], r["form"]
        assert r["outcome"] == "token", r
        access2 = r["issued"]["access"]
        assert access2 != access1
        assert_bearers(run, access2, [200])
        # the simulator rotates refresh tokens: the next refresh must use
        # the one this answer carried
        access1, refresh1 = access2, r["issued"]["refresh"]
    c = bench.sim.counts(acct.username)
    assert (c["logins"], c["refreshes"]) == (1, 2), c


@pytest.mark.parametrize("lifetime", [75, 600])
def test_token_with_time_left_is_reused(bench, lifetime):
    # more than 60 s left (the runs take far less than the 15 s to spare)
    acct = bench.account(expires_in=lifetime)
    _, access = first_run(bench, acct)
    run = bench.run(bench.args(acct))
    assert counts(run) == (0, 0), run
    assert_bearers(run, access, [200])


def test_revoked_refresh_token_means_a_password_login(bench):
    acct = bench.account(expires_in=30)
    first_run(bench, acct)
    assert bench.sim.revoke_refresh(acct.username) == 1
    run = bench.run(bench.args(acct, "-v"))
    U.assert_state(run, "OK")
    toks = bench.token_reqs(run)
    assert [r["grant_type"] for r in toks] == ["refresh_token", "password"], \
        run
    assert toks[0]["outcome"] == "bad_refresh" and toks[0]["status"] == 400
    assert_login_request(toks[1], acct)
    assert_bearers(run, issued_access(toks[1]), [200])
    assert "logging in" in run.stdout, run
    # the new login's refresh token went into the cache
    run3 = bench.run(bench.args(acct))
    assert counts(run3) == (0, 1), run3
    assert bench.refreshes(run3)[0]["outcome"] == "token", run3


@pytest.mark.parametrize("step", [
    {"status": 520, "body": {"errors": [{"message": S.MSG_SERVER_ERROR,
                                         "type": "unspecified",
                                         "code": 500}]}},
    {"status": 200, "body": "<html>maintenance</html>",
     "content_type": "text/html"},
    {"action": "close"},
], ids=["520", "html", "closed"])
def test_failed_refresh_falls_back_to_a_password_login(bench, step):
    acct = bench.account(expires_in=30)
    first_run(bench, acct)
    # from now on: the first token request (the refresh) misbehaves, the
    # next one (the password login) is answered
    bench.sim.set_account(acct.username, steps=[step, {}])
    run = bench.run(bench.args(acct))
    U.assert_state(run, "OK")
    assert [r["grant_type"] for r in bench.token_reqs(run)] == [
        "refresh_token", "password"], run
    assert_bearers(run, issued_access(bench.logins(run)[0]), [200])


@pytest.mark.parametrize("how", ["revoke", "expire"])
def test_401_with_cached_token_logs_in_once_and_retries(bench, how):
    acct = bench.account()
    _, access1 = first_run(bench, acct)
    n = getattr(bench.sim, how + "_access")(acct.username)
    assert n == 1
    run = bench.run(bench.args(acct, "-v", status=True))
    U.assert_state(run, "OK")
    U.assert_measured(run, 5)
    assert counts(run) == (1, 0), "want exactly one new login: %r" % run
    access2 = issued_access(bench.logins(run)[0])
    gets = bench.gets(run)
    assert [(g["bearer"], g["status"]) for g in gets] == [
        (access1, 401), (access2, 200), (access2, 200)], run
    # the login came between the 401 and the retry
    order = [r["path"] for r in run.reqs]
    assert order == [S.API_PREFIX + S.SEED_UID, S.TOKEN_PATH,
                     S.API_PREFIX + S.SEED_UID, S.JOB_PREFIX + S.SEED_UID], \
        order
    assert "401" in run.stdout, run
    run3 = bench.run(bench.args(acct))
    assert counts(run3) == (0, 0), "the new token was not cached: %r" % run3
    assert_bearers(run3, access2, [200])


def test_second_401_is_unknown(bench):
    acct = bench.account()
    first_run(bench, acct)
    bench.sim.set_account(acct.username, accept=False)
    run = bench.run(bench.args(acct))
    U.assert_state(run, "UNKNOWN")
    assert "401" in run.first, run
    assert counts(run) == (1, 0), "want one new login, no more: %r" % run
    gets = bench.gets(run)
    assert [g["status"] for g in gets] == [401, 401], run
    assert gets[0]["bearer"] != gets[1]["bearer"], run


def test_second_401_after_a_cold_login_is_unknown(bench):
    acct = bench.account(accept=False)
    run = bench.run(bench.args(acct))
    U.assert_state(run, "UNKNOWN")
    assert "401" in run.first, run
    # whether a token refused right after its login earns one more login
    # is the plugin's choice; more than that is not
    assert counts(run) in ((1, 0), (2, 0)), run
    statuses = [g["status"] for g in bench.gets(run)]
    assert statuses in ([401], [401, 401]), run


def test_no_token_cache_logs_in_every_time(bench, tmp_path):
    acct = bench.account()
    home = tmp_path / "home"
    xdg = tmp_path / "xdg"
    home.mkdir()
    xdg.mkdir()
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(xdg)}
    args = bench.args(acct, "--no-token-cache", cache=False)
    for _ in range(2):
        run = bench.run(args, env=env)
        U.assert_state(run, "OK")
        assert counts(run) == (1, 0), run
    assert os.listdir(home) == [] and os.listdir(xdg) == [], \
        "--no-token-cache wrote a cache"
    # --no-token-cache wins over a --token-cache given as well
    run = bench.run(bench.args(acct, "--no-token-cache"), env=env)
    assert counts(run) == (1, 0), run
    assert not os.path.exists(bench.cache), run


def test_each_user_has_its_own_cache_file(bench):
    a = bench.account()
    b = bench.account()
    _, token_a = first_run(bench, a)
    run = bench.run(bench.args(b))
    assert counts(run) == (1, 0), "user b got user a's token: %r" % run
    token_b = issued_access(bench.logins(run)[0])
    assert len(bench.cache_files()) == 2, os.listdir(bench.cache)
    for acct, token in ((a, token_a), (b, token_b)):
        run = bench.run(bench.args(acct))
        assert counts(run) == (0, 0), run
        assert_bearers(run, token)


# --------------------------------------------------------------------------
# Failed logins
# --------------------------------------------------------------------------

@pytest.mark.parametrize("what", ["password", "username"])
def test_wrong_credentials_are_unknown_with_vspc_reason(bench, what):
    acct = bench.account()
    wrong = A.random_password("wrong")
    bench.extra_secrets.append(wrong)
    user = acct.username if what == "password" else "nobody-" + wrong[3:11]
    password = wrong if what == "password" else acct.password
    bad = bench.secret_file("bad-cred", A.credentials_text(user, password))
    args = bench.conn_args() + ["-j", S.SEED_UID, "--credentials-file", bad,
                                "--token-cache", bench.cache,
                                "--no-job-status"]
    run = bench.run(args)
    U.assert_state(run, "UNKNOWN")
    assert S.MSG_BAD_LOGIN in run.first, run
    assert wrong not in run.stdout
    toks = bench.token_reqs(run)
    assert len(toks) == 1 and toks[0]["outcome"] == "bad_credentials", run
    assert bench.gets(run) == [], "a job request without a token: %r" % run
    assert bench.cache_files() == [], "a failed login left a cache file"


def test_login_error_text_stays_on_the_status_line(bench):
    acct = bench.account(steps=[{"status": 400, "body": {
        "error": "invalid_grant",
        "error_description": "Account locked | call\r\nthe help desk"}}])
    run = bench.run(bench.args(acct))
    U.assert_state(run, "UNKNOWN")
    assert "Account locked" in run.first, run
    assert not any(line.startswith("the help desk") for line in run.lines), \
        "server text broke the output into lines: %r" % run
    assert bench.gets(run) == []


def test_mfa_account_is_unknown_and_points_to_an_api_key(bench):
    acct = bench.account(mfa=True)
    run = bench.run(bench.args(acct, "-vvv"))
    U.assert_state(run, "UNKNOWN")
    assert "api key" in run.first.lower(), run
    assert len(bench.logins(run)) == 1 and \
        bench.logins(run)[0]["outcome"] == "mfa", run
    assert bench.gets(run) == [], run
    assert bench.cache_files() == [], "an MFA answer left a cache file"
    assert bench.sim.counts(acct.username)["mfa_prompts"] == 1


@pytest.mark.parametrize("step,words", [
    ({"status": 520, "body": {"errors": [{"message": S.MSG_SERVER_ERROR,
                                          "type": "unspecified",
                                          "code": 500}]}}, ["520"]),
    ({"status": 404, "body": {"errors": [{"message": S.MSG_NO_ROUTE,
                                          "type": "logical", "code": 404}]}},
     ["404"]),
    ({"status": 200, "body": "not json"}, []),
    ({"status": 200, "body": {"token_type": "bearer", "expires_in": 3600}},
     ["access_token"]),
    ({"status": 200, "body": {"access_token": "", "expires_in": 3600}},
     ["access_token"]),
    ({"status": 200, "body": {"access_token": "x", "expires_in": "soon"}},
     ["expires_in"]),
], ids=["520", "404", "not-json", "no-token", "empty-token", "bad-expiry"])
def test_bad_token_answers_are_unknown(bench, step, words):
    acct = bench.account(steps=[step])
    run = bench.run(bench.args(acct))
    U.assert_state(run, "UNKNOWN")
    for w in words:
        assert w in run.first, run
    assert len(bench.token_reqs(run)) == 1, run
    assert bench.gets(run) == [], run
    assert bench.cache_files() == [], run


@pytest.mark.parametrize("timeout,state", [("2", "UNKNOWN"),
                                           ("2:critical", "CRITICAL")])
def test_token_endpoint_that_hangs_ends_at_the_deadline(bench, timeout,
                                                         state):
    acct = bench.account(steps=[{"action": "hang"}])
    run = bench.run(bench.args(acct, "-t", timeout))
    U.assert_state(run, state)
    assert run.elapsed < 2 + U.DEADLINE_SLACK, run
    assert bench.gets(run) == [] and bench.cache_files() == [], run


# --------------------------------------------------------------------------
# The credentials file
# --------------------------------------------------------------------------

CREDENTIAL_VALUES = [
    ("DOMAIN\\svc-%s", "plain-%s"),
    ("svc-%s@example.com", "with spaces %s inside"),
    ("svc-%s", "a=b==c%s="),
    ("svc-%s", "semi;colon;%s"),
    ("svc-%s", "  leading and trailing %s  "),
    ("svc-%s", "#not-a-comment-%s"),
    ("svc-%s", "p\u00e4ssw\u00f6rd\u20ac-%s"),
    ("svc-%s", "100%%-sure+plus&amp;%s"),
    ("svc-%s", "tab\there-%s"),
]


@pytest.mark.parametrize("user,password", CREDENTIAL_VALUES)
def test_credentials_values_are_taken_verbatim(bench, user, password):
    tag = os.urandom(4).hex()
    user, password = user % tag, password % tag
    acct = bench.account(username=user, password=password)
    run = bench.run(bench.args(acct))
    U.assert_state(run, "OK")
    assert bench.logins(run)[0]["form"] == login_form(acct), \
        "user name or password not sent verbatim: %r" % run


@pytest.mark.parametrize("layout", ["comments", "crlf", "no-final-newline",
                                    "password-first"])
def test_credentials_file_layouts(bench, layout):
    tag = os.urandom(4).hex()
    user, password = "svc-" + tag, A.random_password()
    text = {
        "comments": "# VSPC monitoring account\n\n   # indented comment\n"
                    "username=%s\n# password=not-this-one\n\npassword=%s\n"
                    "   \n",
        "crlf": "username=%s\r\npassword=%s\r\n",
        "no-final-newline": "username=%s\npassword=%s",
        "password-first": "password=%s\nusername=%s\n",
    }[layout]
    args = (password, user) if layout == "password-first" else (user,
                                                                password)
    acct = bench.account(username=user, password=password,
                         cred_text=text % args)
    run = bench.run(bench.args(acct))
    U.assert_state(run, "OK")
    assert bench.logins(run)[0]["form"] == login_form(acct), run


# "PATH" stands for the file's path: a fault with no line to point at
# must name the file.
@pytest.mark.parametrize("text,words", [
    ("username=u\n", ["password", "PATH"]),
    ("password=p\n", ["username", "PATH"]),
    ("", ["username", "PATH"]),
    ("# only a comment\n", ["username", "PATH"]),
    ("username=u\npassword=p\nthis line has no equals sign\n", ["line 3"]),
    ("username=u\npassword=p\nuser=x\n", ["line 3"]),
    ("username=u\nusername=v\npassword=p\n", ["line 2"]),
    ("username=\npassword=p\n", ["line 1"]),
    ("username=u\npassword=\n", ["line 2"]),
    ("username=u\npassword=p\x01q\n", ["line 2"]),
], ids=["no-password", "no-username", "empty", "comment-only", "no-equals",
        "unknown-key", "twice", "empty-username", "empty-password",
        "control-char"])
def test_malformed_credentials_file_is_unknown_without_traffic(
        bench, text, words):
    path = bench.secret_file("cred", text)
    args = bench.conn_args() + ["-j", S.SEED_UID, "--credentials-file", path,
                                "--token-cache", bench.cache]
    run = bench.run(args)
    U.assert_state(run, "UNKNOWN")
    assert "credentials" in run.first.lower(), run
    for w in words:
        assert (path if w == "PATH" else w) in run.first, run
    bench.vspc.assert_no_traffic(run)


@pytest.mark.parametrize("kind", ["missing", "directory", "dangling-link",
                                  "too-big"])
def test_unreadable_credentials_file_is_unknown_naming_it(bench, kind):
    path = os.path.join(bench.secrets_dir, "cred-" + kind)
    if kind == "directory":
        os.mkdir(path)
    elif kind == "dangling-link":
        os.symlink(os.path.join(bench.secrets_dir, "nowhere"), path)
    elif kind == "too-big":
        write_file(path, "username=u\npassword=p\n" + "#" * (1 << 20))
    args = bench.conn_args() + ["-j", S.SEED_UID, "--credentials-file", path,
                                "--token-cache", bench.cache]
    run = bench.run(args)
    U.assert_state(run, "UNKNOWN")
    assert path in run.first, "the file is not named: %r" % run
    bench.vspc.assert_no_traffic(run)


def test_loose_credentials_file_is_noted_and_still_works(bench):
    acct = bench.account(cred_mode=0o644)
    run = bench.run(bench.args(acct, "-v"))
    U.assert_state(run, "OK")
    notes = [line for line in run.lines[1:] if "credentials file" in line]
    assert notes and acct.cred_file in notes[0], run
    assert U.names_any(notes[0], ["group", "others"]), run
    # a private file gives no such note
    os.chmod(acct.cred_file, 0o600)
    run = bench.run(bench.args(acct, "-v"))
    U.assert_state(run, "OK")
    assert not any(acct.cred_file in line for line in run.lines), run


def test_loose_token_file_is_noted_and_still_works(bench):
    path = bench.secret_file("token", U.TOKEN + "\n", mode=0o640)
    run = bench.run(bench.conn_args() + ["-j", S.SEED_UID, "-T", path,
                                         "--no-job-status", "-v"])
    U.assert_state(run, "OK")
    notes = [line for line in run.lines[1:] if "token file" in line]
    assert notes and path in notes[0], run
    assert U.names_any(notes[0], ["group", "others"]), run


# --------------------------------------------------------------------------
# Which token source wins
# --------------------------------------------------------------------------

# sources given -> the one used; "cred" is a login with the credentials file
PRECEDENCE = [
    (("file", "inline", "cred", "env"), "file"),
    (("cred", "env", "inline", "file"), "file"),
    (("inline", "cred", "env"), "inline"),
    (("cred", "inline"), "inline"),
    (("cred", "env"), "cred"),
    (("env",), "env"),
    (("file-wrong", "cred"), "file-wrong"),
    (("inline-wrong", "cred", "env"), "inline-wrong"),
]


@pytest.mark.parametrize("given,winner", PRECEDENCE,
                         ids=["-".join(g) for g, _ in PRECEDENCE])
def test_token_source_precedence(bench, token_file, given, winner):
    acct = bench.account()
    wrong_file = bench.secret_file("wrong-token", U.WRONG_TOKEN + "\n")
    args = bench.conn_args() + ["-j", S.SEED_UID, "--no-job-status",
                                "--token-cache", bench.cache]
    env = {}
    for g in given:
        if g == "file":
            args += ["-T", token_file]
        elif g == "file-wrong":
            args += ["--token-file", wrong_file]
        elif g == "inline":
            args += ["--token", U.API_KEY]
        elif g == "inline-wrong":
            args += ["--token=" + U.WRONG_TOKEN]
        elif g == "cred":
            args += ["--credentials-file", acct.cred_file]
        elif g == "env":
            env["VSPC_TOKEN"] = U.TOKEN if winner == "env" else U.WRONG_TOKEN
    run = bench.run(args, env=env)
    expect = {"file": U.TOKEN, "inline": U.API_KEY, "env": U.TOKEN,
              "file-wrong": U.WRONG_TOKEN, "inline-wrong": U.WRONG_TOKEN}
    if winner == "cred":
        U.assert_state(run, "OK")
        assert counts(run) == (1, 0), run
        assert_bearers(run, issued_access(bench.logins(run)[0]), [200])
    elif winner.endswith("-wrong"):
        # the first source given decides, even when VSPC refuses it: no
        # login as a fallback
        U.assert_state(run, "UNKNOWN")
        assert "401" in run.first, run
        assert bench.token_reqs(run) == [], run
        assert_bearers(run, expect[winner], [401])
    else:
        U.assert_state(run, "OK")
        assert bench.token_reqs(run) == [], run
        assert_bearers(run, expect[winner], [200])


# --------------------------------------------------------------------------
# The token cache: where, modes, unsafe and corrupt files, locking
# --------------------------------------------------------------------------

@pytest.fixture
def open_umask():
    """Runs the plugin with umask 000: its modes must not rely on ours."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_cache_dir_and_file_modes(bench, open_umask):
    acct = bench.account(expires_in=30)
    run, _ = first_run(bench, acct)
    assert private_mode(bench.cache) == 0o700, oct(private_mode(bench.cache))
    path = bench.only_cache_file()
    st = os.lstat(path)
    assert stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid()
    assert private_mode(path) == 0o600, oct(private_mode(path))
    for name in os.listdir(bench.cache):
        p = os.path.join(bench.cache, name)
        assert stat.S_IMODE(os.lstat(p).st_mode) & 0o077 == 0, \
            "%s is open to group or others" % p


def test_cache_is_replaced_atomically(bench, tmp_path):
    """A refresh writes a new file and renames it over the old one: a hard
    link to the old file keeps the old content, nothing is left over."""
    acct = bench.account(expires_in=30)
    first_run(bench, acct)
    path = bench.only_cache_file()
    old = str(tmp_path / "secrets" / "old-cache")
    os.link(path, old)
    with open(old, "rb") as f:
        before = f.read()
    ino = os.stat(path).st_ino
    run = bench.run(bench.args(acct))
    assert counts(run) == (0, 1), run
    with open(old, "rb") as f:
        assert f.read() == before, "the cache file was rewritten in place"
    assert os.stat(path).st_ino != ino, "the cache file was not replaced"
    with open(path, "rb") as f:
        new = f.read().decode()
    issued = bench.refreshes(run)[0]["issued"]
    assert issued["access"] in new and issued["refresh"] in new
    leftovers = [n for n in os.listdir(bench.cache)
                 if n != os.path.basename(path) and
                 os.path.getsize(os.path.join(bench.cache, n)) > 0]
    assert leftovers == [], "temporary files left behind: %r" % leftovers
    os.unlink(old)


def _nobody():
    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        return None


UNSAFE = ["symlink", "mode-0644", "mode-0640", "mode-0604", "other-owner"]


@pytest.mark.parametrize("kind", UNSAFE)
def test_unsafe_cache_file_is_ignored_and_rewritten(bench, kind):
    if kind == "other-owner" and (os.geteuid() != 0 or _nobody() is None):
        pytest.skip("needs root and a user nobody to give the file away")
    acct = bench.account()
    _, access1 = first_run(bench, acct)
    path = bench.only_cache_file()
    target = os.path.join(bench.secrets_dir, "elsewhere")
    if kind == "symlink":
        shutil.copyfile(path, target)
        os.chmod(target, 0o600)
        os.unlink(path)
        os.symlink(target, path)
    elif kind.startswith("mode-"):
        os.chmod(path, int(kind[5:], 8))
    else:
        os.chown(path, _nobody(), -1)
    run = bench.run(bench.args(acct, "-v"))
    U.assert_state(run, "OK")
    assert counts(run) == (1, 0), \
        "an unsafe cache file (%s) was trusted: %r" % (kind, run)
    access2 = issued_access(bench.logins(run)[0])
    assert_bearers(run, access2, [200])
    assert "ignored" in run.stdout and "token cache" in run.stdout, run
    st = os.lstat(path)
    assert stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and \
        stat.S_IMODE(st.st_mode) == 0o600, \
        "the cache was not rewritten as a private file"
    if kind == "symlink":
        with open(target, "rb") as f:
            assert access1.encode() in f.read(), \
                "the symlink's target was written to"
    run3 = bench.run(bench.args(acct))
    assert counts(run3) == (0, 0), run3
    assert_bearers(run3, access2)


@pytest.mark.parametrize("kind", ["truncated", "cut-last-byte", "empty",
                                  "garbage", "nul-bytes", "doubled", "huge"])
def test_corrupt_cache_file_is_ignored_and_rewritten(bench, kind):
    acct = bench.account()
    first_run(bench, acct)
    path = bench.only_cache_file()
    with open(path, "rb") as f:
        good = f.read()
    bad = {
        "truncated": good[:len(good) // 2],
        "cut-last-byte": good[:-1],
        "empty": b"",
        "garbage": b"\x89PNG\r\n\x1a\n" + os.urandom(200),
        "nul-bytes": good.replace(b"\n", b"\0"),
        "doubled": good + good,
        "huge": good + b"#" * (4 << 20),
    }[kind]
    write_file(path, bad, 0o600)
    run = bench.run(bench.args(acct, "-v"))
    U.assert_state(run, "OK")
    assert counts(run) == (1, 0), run
    assert_bearers(run, issued_access(bench.logins(run)[0]), [200])
    assert "ignored" in run.stdout or "corrupt" in run.stdout, run
    run3 = bench.run(bench.args(acct))
    assert counts(run3) == (0, 0), "the cache was not rewritten: %r" % run3


@pytest.mark.parametrize("kind", ["mode-0777", "mode-0757", "other-owner",
                                  "regular-file"])
def test_unsafe_cache_dir_is_not_used(bench, kind):
    if kind == "other-owner" and (os.geteuid() != 0 or _nobody() is None):
        pytest.skip("needs root and a user nobody to give the dir away")
    acct = bench.account()
    d = bench.cache
    if kind == "regular-file":
        write_file(d, "not a directory\n")
    else:
        os.mkdir(d)
        if kind == "other-owner":
            os.chmod(d, 0o700)
            os.chown(d, _nobody(), -1)
        else:
            os.chmod(d, int(kind[5:], 8))
    for _ in range(2):
        run = bench.run(bench.args(acct, "-v"))
        U.assert_state(run, "OK")
        assert counts(run) == (1, 0), run
        assert "cach" in run.stdout, "no note about the cache: %r" % run
    if os.path.isdir(d):
        assert bench.cache_files(d) == [], os.listdir(d)


def test_default_cache_dir_is_xdg_cache_home(bench, tmp_path):
    acct = bench.account()
    xdg, home = tmp_path / "xdg", tmp_path / "home"
    xdg.mkdir()
    home.mkdir()
    env = {"XDG_CACHE_HOME": str(xdg), "HOME": str(home)}
    args = bench.args(acct, cache=False)
    run = bench.run(args, env=env)
    assert counts(run) == (1, 0), run
    d = str(xdg / "check_vspc_replication")
    assert private_mode(d) == 0o700
    path = bench.only_cache_file(d)
    assert private_mode(path) == 0o600
    assert os.listdir(home) == [], "wrote under HOME despite XDG_CACHE_HOME"
    run = bench.run(args, env=env)
    assert counts(run) == (0, 0), run


@pytest.mark.parametrize("xdg", [None, "", "relative/cache"],
                         ids=["unset", "empty", "relative"])
def test_default_cache_dir_is_under_home(bench, tmp_path, xdg):
    """Without a usable XDG_CACHE_HOME (an empty or relative one is to be
    ignored, says the XDG base directory specification): ~/.cache."""
    acct = bench.account()
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_CACHE_HOME": xdg}
    args = bench.args(acct, cache=False)
    run = bench.run(args, env=env)
    assert counts(run) == (1, 0), run
    d = str(home / ".cache" / "check_vspc_replication")
    assert os.path.isdir(d), "no cache under HOME: %r" % run
    assert private_mode(d) == 0o700
    assert private_mode(bench.only_cache_file(d)) == 0o600
    assert not os.path.exists(os.path.join(bench.cwd, "relative"))
    run = bench.run(args, env=env)
    assert counts(run) == (0, 0), run


def test_default_cache_dir_without_home_is_in_var_tmp(bench):
    d = "/var/tmp/check_vspc_replication-%d" % os.geteuid()
    existed = os.path.isdir(d)
    if existed:
        st = os.lstat(d)
        if st.st_uid != os.geteuid() or st.st_mode & 0o022:
            pytest.skip("%s exists and is not a private directory" % d)
    acct = bench.account()
    env = {"HOME": "/nonexistent-e2e-home", "XDG_CACHE_HOME": None}
    args = bench.args(acct, cache=False)
    mine = []
    try:
        run = bench.run(args, env=env)
        U.assert_state(run, "OK")
        assert counts(run) == (1, 0), run
        access = issued_access(bench.logins(run)[0])
        assert os.path.isdir(d) and private_mode(d) == 0o700, d
        # other users of this machine may share the directory: the file
        # of this test is the one that holds its token
        for n in os.listdir(d):
            path = os.path.join(d, n)
            if A.CACHE_FILE_RE.match(n):
                with open(path, "rb") as f:
                    if access.encode() in f.read():
                        mine.append(path)
        assert len(mine) == 1, "no cache file with the token in %s" % d
        assert private_mode(mine[0]) == 0o600
        A.scan_tree(d, bench.own_secrets(), bench.passwords())
        run = bench.run(args, env=env)
        assert counts(run) == (0, 0), run
    finally:
        for path in mine:
            for p in (path, path + ".lock"):
                if os.path.exists(p):
                    os.unlink(p)
        if not existed:
            try:
                os.rmdir(d)
            except OSError:
                pass


def test_concurrent_cold_checks_share_one_login(bench):
    acct = bench.account(steps=[{"delay": 0.5}])
    args = bench.args(acct, "-t", "300" if U.WRAPPER else "30")
    mark = bench.sim.mark()
    runs, errors = [], []
    lock = threading.Lock()

    def one():
        try:
            r = U.run_plugin(args, env={"TMPDIR": bench.tmp}, cwd=bench.cwd,
                             secrets=tuple(bench.passwords()))
            with lock:
                runs.append(r)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(U.RUN_TIMEOUT + 10)
    assert not errors, errors[0]
    assert len(runs) == 30
    bench.vspc.settle()
    reqs = bench.sim.requests(mark)
    toks = [r for r in reqs if r["endpoint"] == "token"]
    assert len(toks) == 1, "%d token requests for 30 cold checks" % len(toks)
    assert_login_request(toks[0], acct)
    access = issued_access(toks[0])
    gets = [r for r in reqs if r["endpoint"] != "token"]
    assert len(gets) == 30 and {g["bearer"] for g in gets} == {access}
    assert all(g["status"] == 200 for g in gets)
    for r in runs:
        U.assert_state(r, "OK")
        for s in bench.all_secrets():
            assert s not in r.stdout, r
    A.check_wire(reqs, bench.passwords())
    bench.scan_tree()


def _lock_file(bench):
    path = bench.only_cache_file()
    others = [os.path.join(bench.cache, n) for n in os.listdir(bench.cache)
              if os.path.join(bench.cache, n) != path]
    assert len(others) == 1, "want one lock file beside the cache: %r" % (
        os.listdir(bench.cache),)
    return others[0]


@pytest.mark.parametrize("timeout,state", [("2", "UNKNOWN"),
                                           ("2:warning", "WARNING")])
def test_check_waiting_on_the_lock_ends_at_its_deadline(bench, timeout,
                                                         state):
    acct = bench.account(expires_in=30)  # the next run would refresh
    first_run(bench, acct)
    fd = os.open(_lock_file(bench), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        run = bench.run(bench.args(acct, "-t", timeout))
    finally:
        os.close(fd)
    U.assert_state(run, state)
    assert run.elapsed < 2 + U.DEADLINE_SLACK, run
    assert bench.token_reqs(run) == [], \
        "logged in without the lock: %r" % run


def test_check_waiting_on_the_lock_goes_on_when_it_is_released(bench):
    acct = bench.account(expires_in=30)  # the next run has to refresh
    first_run(bench, acct)
    mark = bench.sim.mark()
    fd = os.open(_lock_file(bench), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        bg = A.Background(bench, bench.args(acct, "-t", "20"))
        time.sleep(1.0)
        held = [r for r in bench.sim.requests(mark)
                if r["endpoint"] == "token"]
        assert held == [], "refreshed without the lock"
        assert bg.thread.is_alive(), "the check did not wait for the lock"
    finally:
        os.close(fd)
    run = bg.join()
    U.assert_state(run, "OK")
    assert counts(run) == (0, 1), run
    assert_bearers(run, bench.refreshes(run)[0]["issued"]["access"], [200])


# --------------------------------------------------------------------------
# --extra-opts
# --------------------------------------------------------------------------

def ini_lines(bench, acct, **extra):
    lines = ["hostname=%s" % bench.vspc.host,
             "port=%d" % bench.vspc.port,
             "ca-file=%s" % bench.certs["ca"],
             "credentials-file=%s" % acct.cred_file,
             "token-cache=%s" % bench.cache]
    lines += ["%s=%s" % kv for kv in extra.items()]
    return lines


def test_extra_opts_credentials_and_host_from_an_ini_file(bench):
    acct = bench.account(steps=[{"delay": 1.0}])
    ini = bench.secret_file("plugins.ini", "\n".join(
        ["# monitoring plugins options", "[check_vspc_replication]"] +
        ini_lines(bench, acct) + [""]))
    args = ["--extra-opts=@" + ini, "-j", S.SEED_UID, "--no-job-status"]

    def held(reqs):
        return any(r["endpoint"] == "token" for r in reqs)

    run, argvs = A.cmdlines_while(bench, args, held)
    U.assert_state(run, "OK")
    assert counts(run) == (1, 0), run
    assert_login_request(bench.logins(run)[0], acct)
    for argv in argvs:
        joined = "\0".join(argv)
        for s in bench.all_secrets():
            assert s not in joined, "a secret in the process arguments"
        assert argv[-len(args):] == args, argv


def test_extra_opts_token_stays_out_of_the_process_list(bench):
    uid = bench.vspc.job(step_extra={"delay": 1.0})
    ini = bench.secret_file("plugins.ini", "\n".join([
        "[check_vspc_replication]",
        "H=%s" % bench.vspc.host, "p=%d" % bench.vspc.port,
        "ca-file=%s" % bench.certs["ca"], "token=%s" % U.API_KEY, ""]))
    args = ["--extra-opts=@" + ini, "-j", uid, "--no-job-status", "-vvv"]

    def held(reqs):
        return any(r.get("uid") == uid for r in reqs)

    run, argvs = A.cmdlines_while(bench, args, held)
    U.assert_state(run, "OK")
    assert_bearers(run, U.API_KEY, [200])
    assert "****" in run.stdout, "no redacted Authorization in -vvv: %r" % run
    for argv in argvs:
        assert not any(U.API_KEY in a for a in argv), argv


@pytest.mark.parametrize("how", ["default-file", "section-at-file",
                                 "section-default-file"])
def test_extra_opts_sections_and_default_file(bench, refused_port, how):
    acct = bench.account()
    good = ini_lines(bench, acct)
    bad = ["hostname=%s" % bench.vspc.host, "port=%d" % refused_port,
           "ca-file=%s" % bench.certs["ca"],
           "credentials-file=%s" % acct.cred_file]
    default_is_good = how == "default-file"
    text = "\n".join(
        ["[other]"] + (bad if default_is_good else good) +
        ["", "[check_vspc_replication]"] + (good if default_is_good else bad)
        + ["", "[third]", "port=1"]) + "\n"
    ini = bench.secret_file("plugins.ini", text)
    env = {}
    if how == "default-file":
        opt = "--extra-opts"
        env["MP_CONFIG_FILE"] = ini
    elif how == "section-at-file":
        opt = "--extra-opts=other@" + ini
    else:
        opt = "--extra-opts=other"
        env["MP_CONFIG_FILE"] = ini
    run = bench.run([opt, "-j", S.SEED_UID, "--no-job-status"], env=env)
    U.assert_state(run, "OK")
    assert counts(run) == (1, 0), run


def test_extra_opts_key_forms_and_whitespace(bench, token_file):
    ini = bench.secret_file("plugins.ini", "\n".join([
        "; semicolon comment", "# hash comment", "",
        "[ check_vspc_replication ]",
        "  H = %s  " % bench.vspc.host,
        "p=%d" % bench.vspc.port,
        "j=%s" % S.SEED_UID,
        "T=%s" % token_file,
        "ca-file=%s" % bench.certs["ca"],
        "no-job-status=",
        "   ",
        "v=",
        ""]))
    run = bench.run(["--extra-opts=@" + ini])
    U.assert_state(run, "OK")
    assert len(bench.gets(run)) == 1, "no-job-status= not applied: %r" % run
    assert run.lines[1:], "v= did not make the output verbose: %r" % run
    assert_bearers(run, U.TOKEN, [200])


def test_extra_opts_come_before_the_command_line(bench, refused_port):
    acct = bench.account()
    lines = ini_lines(bench, acct, critical="10:")
    lines[1] = "port=%d" % refused_port
    ini = bench.secret_file("plugins.ini", "\n".join(
        ["[check_vspc_replication]"] + lines + [""]))
    base = ["--extra-opts=@" + ini, "-j", S.SEED_UID, "--no-job-status"]
    # the command line's -p and -c win over the ini file's
    run = bench.run(base + ["-p", str(bench.vspc.port), "-c", "1:"])
    U.assert_state(run, "OK")
    U.assert_measured(run, 5, crit="1:")
    # the ini file's -c applies when the command line has none
    run = bench.run(["-p", str(bench.vspc.port)] + base)
    U.assert_state(run, "CRITICAL")
    U.assert_measured(run, 5, crit="10:")


def test_extra_opts_given_twice_reads_both_sections(bench):
    acct = bench.account()
    ini = bench.secret_file("plugins.ini", "\n".join(
        ["[conn]"] + ini_lines(bench, acct)[:3] +
        ["[login]"] + ini_lines(bench, acct)[3:] + [""]))
    run = bench.run(["--extra-opts=conn@" + ini, "--extra-opts=login@" + ini,
                     "-j", S.SEED_UID, "--no-job-status"])
    U.assert_state(run, "OK")
    assert counts(run) == (1, 0), run


@pytest.mark.parametrize("case", ["missing-file", "missing-section",
                                  "bad-line", "before-section",
                                  "unknown-option", "directory"])
def test_extra_opts_errors_are_unknown_without_traffic(bench, case):
    acct = bench.account()
    lines = ["[check_vspc_replication]"] + ini_lines(bench, acct)
    path = os.path.join(bench.secrets_dir, "plugins.ini")
    words = []
    locator = "@" + path
    if case == "missing-file":
        words = [path]
    elif case == "missing-section":
        write_file(path, "\n".join(lines) + "\n")
        locator = "nosuchsection@" + path
        words = ["nosuchsection"]
    elif case == "bad-line":
        write_file(path, "\n".join(lines[:3] + ["just words"] + lines[3:]))
        words = ["line 4"]
    elif case == "before-section":
        write_file(path, "\n".join(["hostname=x"] + lines) + "\n")
        words = ["line 1"]
    elif case == "unknown-option":
        write_file(path, "\n".join(lines + ["no-such-option=1"]) + "\n")
        words = ["no-such-option"]
    else:
        os.mkdir(path)
        words = [path]
    run = bench.run(["--extra-opts=" + locator, "-j", S.SEED_UID])
    U.assert_state(run, "UNKNOWN")
    for w in words:
        assert w in run.first, run
    bench.vspc.assert_no_traffic(run)


def test_extra_opts_without_any_file_is_unknown(bench):
    if any(os.path.exists(p) for p in (
            "/usr/local/etc/monitoring-plugins/monitoring-plugins.ini",
            "/usr/local/etc/monitoring-plugins.ini",
            "/etc/monitoring-plugins/monitoring-plugins.ini",
            "/etc/monitoring-plugins.ini", "/etc/nagios/plugins.ini",
            "/usr/local/nagios/etc/plugins.ini",
            "/usr/local/etc/nagios/plugins.ini", "/etc/opt/nagios/plugins.ini",
            "/etc/nagios-plugins.ini", "/usr/local/etc/nagios-plugins.ini",
            "/etc/opt/nagios-plugins.ini")):
        pytest.skip("this machine has a default plugins.ini")
    run = bench.run(bench.conn_args() + ["--extra-opts", "-j", S.SEED_UID],
                    env={"MP_CONFIG_FILE": None})
    U.assert_state(run, "UNKNOWN")
    assert "MP_CONFIG_FILE" in run.first, run
    bench.vspc.assert_no_traffic(run)


# --------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["credentials-file", "token-file"])
def test_file_options_keep_secrets_out_of_the_process_list(bench, source):
    if source == "credentials-file":
        acct = bench.account(steps=[{"delay": 1.0}])
        args = bench.args(acct, "-vvv")

        def held(reqs):
            return any(r["endpoint"] == "token" for r in reqs)
    else:
        uid = bench.vspc.job(step_extra={"delay": 1.0})
        path = bench.secret_file("token", U.API_KEY + "\n")
        args = bench.conn_args() + ["-j", uid, "-T", path, "--no-job-status",
                                    "-vvv"]

        def held(reqs):
            return any(r.get("uid") == uid for r in reqs)
    run, argvs = A.cmdlines_while(bench, args, held)
    U.assert_state(run, "OK")
    for argv in argvs:
        joined = "\0".join(argv)
        assert not any(s in joined for s in bench.all_secrets()), \
            "a secret in the process arguments: %r" % argv


def test_no_secret_anywhere_at_any_verbosity(bench):
    """Every way through the login, at -v, -vv and -vvv: no password or
    token in the output (checked by bench.run), on the wire only where
    they belong, in no file but the private cache, none in /tmp, /var/tmp
    or /dev/shm."""
    t0 = time.time()
    acct = bench.account(expires_in=30)
    mfa = bench.account(mfa=True)
    for v in ("-v", "-vv", "-vvv"):
        run = bench.run(bench.args(acct, v, status=True))  # login or refresh
        U.assert_state(run, "OK")
        if v == "-vvv":
            auth_lines = [line for line in run.lines
                          if "authorization:" in line.lower()]
            assert auth_lines and all("****" in line for line in auth_lines), \
                "the -vvv trace shows no redacted Authorization: %r" % run
        bench.sim.revoke_access(acct.username)
        run = bench.run(bench.args(acct, v))  # 401, login, retry
        U.assert_state(run, "OK")
        run = bench.run(bench.args(mfa, v))
        U.assert_state(run, "UNKNOWN")
        run = bench.run(bench.args(acct, v, "--no-token-cache", cache=False))
        U.assert_state(run, "OK")
    wrong = bench.secret_file("wrong", A.credentials_text(
        acct.username, acct.password + "-wrong"))
    bench.extra_secrets.append(acct.password + "-wrong")
    run = bench.run(bench.conn_args() + ["-j", S.SEED_UID, "-vvv",
                                         "--credentials-file", wrong,
                                         "--no-token-cache"])
    U.assert_state(run, "UNKNOWN")
    c = bench.sim.counts(acct.username)
    assert c["logins"] >= 4 and c["refreshes"] >= 1, c
    A.scan_shared_tmp(bench.own_secrets(), t0, skip=(bench.root,))


# --------------------------------------------------------------------------
# The simulator's token endpoint itself (Python's HTTPS client), so that a
# failing test above points at the plugin and not at the simulator
# --------------------------------------------------------------------------

def _post_token(sim, certs, fields=None, body=None, ctype=S.FORM_TYPE,
                method="POST"):
    ctx = ssl.create_default_context(cafile=certs["ca"])
    conn = http.client.HTTPSConnection(sim.host, sim.port, context=ctx,
                                       timeout=10)
    if body is None:
        body = urllib.parse.urlencode(fields or {})
    headers = {"Accept": "application/json"}
    if ctype:
        headers["Content-Type"] = ctype
    conn.request(method, S.TOKEN_PATH, body=body if method == "POST"
                 else None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, json.loads(data) if data else None


def _get_job(sim, certs, token):
    ctx = ssl.create_default_context(cafile=certs["ca"])
    conn = http.client.HTTPSConnection(sim.host, sim.port, context=ctx,
                                       timeout=10)
    conn.request("GET", S.API_PREFIX + S.SEED_UID,
                 headers={"Authorization": "Bearer " + token})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status


def _password_fields(user, password, read_only=True):
    f = {"grant_type": "password", "username": user, "password": password}
    if read_only:
        f["readOnly"] = "true"
    return f


def test_sim_token_endpoint_login_refresh_and_revocation(sim, certs):
    user, pw = "sim-" + os.urandom(4).hex(), "p w&=+%;" + os.urandom(4).hex()
    acct = sim.add_account(user, pw, expires_in=1234)
    st, ans = _post_token(sim, certs, _password_fields(user, pw))
    assert st == 200
    assert set(ans) == {"access_token", "token_type", "refresh_token",
                        "expires_in", "mfa_token", "encrypted_code"}
    assert ans["token_type"] == "bearer" and ans["expires_in"] == 1234
    assert ans["mfa_token"] is None
    access, refresh = ans["access_token"], ans["refresh_token"]
    assert _get_job(sim, certs, access) == 200
    assert sim.issued(user)[0]["read_only"] is True
    # refresh: a new pair, the old refresh token is used up
    st, ans2 = _post_token(sim, certs, {"grant_type": "refresh_token",
                                        "refresh_token": refresh})
    assert st == 200 and ans2["access_token"] != access
    assert ans2["refresh_token"] not in (None, refresh)
    st, err = _post_token(sim, certs, {"grant_type": "refresh_token",
                                       "refresh_token": refresh})
    assert st == 400 and err["error"] == "invalid_grant"
    assert acct.counts() == {"password_grants": 1, "refresh_grants": 2,
                             "logins": 1, "refreshes": 1, "mfa_prompts": 0}
    # revocation and expiry act at once
    assert _get_job(sim, certs, access) == 200
    sim.revoke_access(token=access)
    assert _get_job(sim, certs, access) == 401
    assert _get_job(sim, certs, ans2["access_token"]) == 200
    sim.expire_access(user)
    assert _get_job(sim, certs, ans2["access_token"]) == 401
    sim.revoke_refresh(user)
    st, _ = _post_token(sim, certs, {"grant_type": "refresh_token",
                                     "refresh_token": ans2["refresh_token"]})
    assert st == 400


def test_sim_token_endpoint_refusals(sim, certs):
    user, pw = "sim-" + os.urandom(4).hex(), "pw-" + os.urandom(4).hex()
    sim.add_account(user, pw)
    cases = [
        (_password_fields(user, pw + "x"), S.FORM_TYPE, "invalid_grant"),
        (_password_fields(user + "x", pw), S.FORM_TYPE, "invalid_grant"),
        ({"grant_type": "client_credentials"}, S.FORM_TYPE,
         "unsupported_grant_type"),
        ({"username": user, "password": pw}, S.FORM_TYPE, "invalid_request"),
        (_password_fields(user, pw), "application/json", "invalid_request"),
    ]
    for fields, ctype, error in cases:
        st, ans = _post_token(sim, certs, fields, ctype=ctype)
        assert st == 400 and ans["error"] == error, (fields, ctype, ans)
        assert ans["error_description"]
    st, ans = _post_token(sim, certs, method="GET")
    assert st == 405
    assert sim.counts(user)["logins"] == 0


def test_sim_token_endpoint_mfa_and_lifetime(sim, certs):
    user, pw = "sim-" + os.urandom(4).hex(), "pw-" + os.urandom(4).hex()
    sim.add_account(user, pw, mfa=True)
    st, ans = _post_token(sim, certs, _password_fields(user, pw))
    assert st == 200 and ans["access_token"] is None
    assert ans["refresh_token"] is None and ans["mfa_token"]
    assert ans["mfa_token"] in sim.issued_secrets(user)
    sim.set_account(user, mfa=False, lifetime=0.5, expires_in=3600)
    st, ans = _post_token(sim, certs, _password_fields(user, pw))
    assert st == 200 and ans["expires_in"] == 3600
    rec = [r for r in sim.issued(user) if r["kind"] == "access"][0]
    assert rec["expires_at"] - rec["issued"] == pytest.approx(0.5)
    time.sleep(0.6)
    assert _get_job(sim, certs, ans["access_token"]) == 401


def test_sim_token_endpoint_concurrent_logins(sim, certs):
    user, pw = "sim-" + os.urandom(4).hex(), "pw-" + os.urandom(4).hex()
    acct = sim.add_account(user, pw)
    tokens, lock = [], threading.Lock()

    def login():
        st, ans = _post_token(sim, certs, _password_fields(user, pw))
        with lock:
            tokens.append((st, ans["access_token"]))

    threads = [threading.Thread(target=login) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(tokens) == 20 and all(st == 200 for st, _ in tokens)
    assert len({t for _, t in tokens}) == 20
    assert acct.counts()["logins"] == acct.counts()["password_grants"] == 20


def test_sim_standalone_with_a_credentials_file(certs, tmp_path):
    """python3 tests/vspc_sim.py --credentials-file F: the demo's way to
    try the login; the plugin logs in, then refreshes (--expires-in 30)."""
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir(mode=0o700)
    tok = write_file(str(secrets_dir / "tok"), "standalone-token\n")
    password = A.random_password()
    cred = write_file(str(secrets_dir / "cred"), A.credentials_text(
        "DOMAIN\\standalone", password))
    proc, port = S.start_process(
        ["--cert", certs["server_cert"], "--key", certs["server_key"],
         "--token-file", tok, "--credentials-file", cred,
         "--expires-in", "30"])
    try:
        args = ["-H", "127.0.0.1", "-p", str(port), "--ca-file",
                certs["ca"], "-j", S.SEED_UID, "--credentials-file", cred,
                "--token-cache", str(tmp_path / "cache"), "-vv"]
        run = U.run_plugin(args, secrets=(password,))
        U.assert_state(run, "OK")
        assert "logging in" in run.stdout, run
        run = U.run_plugin(args, secrets=(password,))
        U.assert_state(run, "OK")
        assert "logging in" not in run.stdout, run
    finally:
        S.stop_process(proc)
    assert proc.returncode == 0

"""Logging in with a credentials file: accounts on the simulator's token
endpoint, runs with the secret checks that go with them, and the scans
that look for a secret where none may be (process arguments, files, the
wire).

Each test gets an AuthBench (the `bench` fixture in test_auth.py): a
private directory tree

    root/secrets/   credentials, token and ini files the test writes
                    (0700; the only place a password may be on disk)
    root/cache/     the --token-cache of args() (not created in advance)
    root/tmp/       the plugin's TMPDIR
    root/cwd/       the plugin's working directory
    root/home/      HOME, when a test asks for it

and its own accounts, with user names and passwords nobody else uses, so
that the simulator's counters and records say what this test's runs did.
"""

import os
import re
import secrets
import stat
import threading
import time
import urllib.parse
import uuid

import e2e_util as U
import vspc_sim as S

CACHE_FILE_RE = re.compile(r"^token-[0-9a-f]{16}$")
SCAN_LIMIT = 4 * 1024 * 1024


def random_password(extra=""):
    """A password no other test uses, with characters a form body has to
    encode."""
    return "pw-%s +&=%%;#%s" % (secrets.token_hex(8), extra)


class Acct:
    def __init__(self, sim_account, cred_file):
        self.sim_account = sim_account
        self.username = sim_account.username
        self.password = sim_account.password
        self.cred_file = cred_file


def write_file(path, content, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(content if isinstance(content, bytes)
                else content.encode("utf-8"))
    os.chmod(path, mode)
    return path


def credentials_text(username, password, newline="\n"):
    return "username=%s%spassword=%s%s" % (username, newline, password,
                                           newline)


class AuthBench:
    def __init__(self, view, root):
        self.vspc = view
        self.sim = view.sim
        self.certs = view.certs
        self.root = str(root)
        self.secrets_dir = os.path.join(self.root, "secrets")
        self.cache = os.path.join(self.root, "cache")
        self.tmp = os.path.join(self.root, "tmp")
        self.cwd = os.path.join(self.root, "cwd")
        for d in (self.secrets_dir, self.tmp, self.cwd):
            os.makedirs(d, mode=0o700, exist_ok=True)
            os.chmod(d, 0o700)
        self.accounts = []
        self.extra_secrets = []
        self.t0 = time.time()

    # -- accounts and files -------------------------------------------------
    def account(self, username=None, password=None, cred_text=None,
                cred_mode=0o600, **options):
        """An account on the simulator and a credentials file for it."""
        tag = uuid.uuid4().hex[:10]
        if username is None:
            username = "svc-" + tag
        if password is None:
            password = random_password()
        acct = self.sim.add_account(username, password, **options)
        if cred_text is None:
            cred_text = credentials_text(username, password)
        path = write_file(os.path.join(self.secrets_dir, "cred-" + tag),
                          cred_text, cred_mode)
        a = Acct(acct, path)
        self.accounts.append(a)
        return a

    def secret_file(self, name, content, mode=0o600):
        return write_file(os.path.join(self.secrets_dir, name), content,
                          mode)

    def own_secrets(self):
        """The passwords and tokens of this test's accounts."""
        out = self.passwords() + list(self.extra_secrets)
        for a in self.accounts:
            out += self.sim.issued_secrets(a.username)
        return out

    def passwords(self):
        return [a.password for a in self.accounts]

    def all_secrets(self):
        """Every password of this test and every token the simulator ever
        issued (other tests' too: none may show up here either)."""
        return (self.passwords() + list(self.sim.issued_secrets()) +
                list(self.extra_secrets) + list(U.SECRETS))

    # -- arguments ----------------------------------------------------------
    def conn_args(self):
        return ["-H", self.vspc.host, "-p", str(self.vspc.port),
                "--ca-file", self.certs["ca"]]

    def args(self, acct, *extra, cache=True, status=False, uid=S.SEED_UID):
        a = self.conn_args() + ["-j", uid, "--credentials-file",
                                acct.cred_file]
        if cache is True:
            a += ["--token-cache", self.cache]
        elif cache:
            a += ["--token-cache", cache]
        if not status:
            a.append("--no-job-status")
        return a + list(extra)

    # -- runs ---------------------------------------------------------------
    def run(self, args, env=None, scan=True, **kw):
        """U.run_plugin with TMPDIR and the working directory in the bench,
        then the auth checks: no password or issued token in the output
        (tokens issued during the run included), secrets on the wire only
        where they belong, and (scan) none in a file where none may be."""
        full_env = {"TMPDIR": self.tmp}
        full_env.update(env or {})
        self.vspc.restart_records()
        run = U.run_plugin(args, env=full_env, cwd=self.cwd,
                           secrets=tuple(self.all_secrets()), **kw)
        for secret in self.all_secrets():
            assert secret not in run.stdout, \
                "a password or token was printed: %r" % run
        self.vspc.settle()
        run.reqs = self.vspc.requests()
        check_wire(run.reqs, self.passwords(), run)
        if scan:
            self.scan_tree()
        return run

    def scan_tree(self, root=None):
        """No secret in any file under root (default: the bench) but the
        secrets directory, except access and refresh tokens in private
        token cache files."""
        scan_tree(root or self.root, self.all_secrets(), self.passwords(),
                  skip=(self.secrets_dir,))

    # -- what the simulator saw ---------------------------------------------
    @staticmethod
    def token_reqs(run):
        return [r for r in run.reqs if r["endpoint"] == "token"]

    @classmethod
    def logins(cls, run):
        return [r for r in cls.token_reqs(run)
                if r["grant_type"] == "password"]

    @classmethod
    def refreshes(cls, run):
        return [r for r in cls.token_reqs(run)
                if r["grant_type"] == "refresh_token"]

    @staticmethod
    def gets(run):
        return [r for r in run.reqs if r["endpoint"] != "token"]

    def cache_files(self, d=None):
        d = d or self.cache
        if not os.path.isdir(d):
            return []
        return sorted(n for n in os.listdir(d) if CACHE_FILE_RE.match(n))

    def only_cache_file(self, d=None):
        d = d or self.cache
        names = self.cache_files(d)
        assert len(names) == 1, "want one token cache file in %s: %r" % (
            d, os.listdir(d) if os.path.isdir(d) else None)
        return os.path.join(d, names[0])


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------

def _texts(req):
    """What a request carried, as text: target, headers, body."""
    head = "\n".join("%s: %s" % kv for kv in req["headers"])
    body = req.get("body") or b""
    return req["target"], head, body.decode("utf-8", errors="replace")


def check_wire(reqs, passwords, run=None):
    """A password only in the body of a POST /token with
    grant_type=password; refresh tokens only in POST /token bodies; access
    tokens only in an Authorization header; nothing secret in a URL."""
    for r in reqs:
        target, head, body = _texts(r)
        is_login = (r["endpoint"] == "token" and r["method"] == "POST" and
                    r.get("grant_type") == "password")
        for p in passwords:
            forms = {p, urllib.parse.quote_plus(p), urllib.parse.quote(p),
                     urllib.parse.quote(p, safe="")}
            for where, text in (("URL", target), ("headers", head)):
                assert not any(f in text for f in forms), \
                    "password in the %s of %s %s: %r" % (
                        where, r["method"], r["target"], run)
            if not is_login:
                assert not any(f in body for f in forms), \
                    "password in the body of %s %s (grant %r): %r" % (
                        r["method"], r["target"], r.get("grant_type"), run)
        bearer = r.get("bearer")
        if bearer:
            assert bearer not in target, "token in the URL: %r" % run
            assert bearer not in body, "token in the body: %r" % run
        assert "token=" not in r["query"] and "password" not in r["query"], \
            "credentials in a query string: %s %r" % (r["target"], run)


def scan_tree(root, secret_list, passwords, skip=()):
    """Walk root: token cache files (token-<16 hex>) must be private
    regular files of this user without a password; every other file must
    hold no secret at all."""
    skip = tuple(os.path.abspath(s) for s in skip)
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.abspath(dirpath).startswith(skip):
            dirnames[:] = []
            continue
        for name in filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or st.st_size > SCAN_LIMIT:
                continue
            with open(path, "rb") as f:
                data = f.read().decode("utf-8", errors="replace")
            found = [s for s in secret_list if s and s in data]
            if not found:
                continue
            if CACHE_FILE_RE.match(name):
                assert st.st_uid == os.geteuid() and \
                    stat.S_IMODE(st.st_mode) == 0o600, \
                    "token cache %s is %o, owner %d: must be 0600 and ours" \
                    % (path, stat.S_IMODE(st.st_mode), st.st_uid)
                leaked = [p for p in passwords if p in data]
                assert not leaked, "a password in the token cache %s" % path
            else:
                raise AssertionError(
                    "a secret in %s (not a token cache file)" % path)


def scan_shared_tmp(secret_list, since, skip=()):
    """No secret in a file of /tmp, /var/tmp or /dev/shm changed since
    `since` (outside skip)."""
    skip = tuple(os.path.abspath(s) for s in skip)
    for top in ("/tmp", "/var/tmp", "/dev/shm"):
        for dirpath, dirnames, filenames in os.walk(top):
            if os.path.abspath(dirpath).startswith(skip):
                dirnames[:] = []
                continue
            for name in filenames:
                path = os.path.join(dirpath, name)
                try:
                    st = os.lstat(path)
                    if not stat.S_ISREG(st.st_mode) or \
                            st.st_size > SCAN_LIMIT or \
                            st.st_mtime < since - 2:
                        continue
                    with open(path, "rb") as f:
                        data = f.read().decode("utf-8", errors="replace")
                except OSError:
                    continue
                for s in secret_list:
                    assert s not in data, "a secret in %s" % path


# --------------------------------------------------------------------------
# Process arguments of a running plugin
# --------------------------------------------------------------------------

def plugin_cmdlines():
    """{pid: argv} of the running plugin processes (any process whose
    arguments name the plugin binary: a wrapper such as valgrind too)."""
    out = {}
    me = os.getpid()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                raw = f.read()
        except OSError:
            continue
        argv = [a.decode("utf-8", errors="replace")
                for a in raw.split(b"\0") if a]
        if any(a == U.PLUGIN for a in argv):
            out[int(pid)] = argv
    return out


class Background:
    """bench.run(args) in a thread; .join() returns the Run (or raises
    what the run raised)."""

    def __init__(self, bench, args, **kw):
        self.result = {}

        def target():
            try:
                self.result["run"] = bench.run(args, **kw)
            except BaseException as exc:  # re-raised in join()
                self.result["exc"] = exc

        self.thread = threading.Thread(target=target)
        self.thread.start()

    def join(self, timeout=None):
        self.thread.join(timeout if timeout is not None else U.RUN_TIMEOUT)
        assert not self.thread.is_alive(), "the run did not end"
        if "exc" in self.result:
            raise self.result["exc"]
        return self.result["run"]


def cmdlines_while(bench, args, ready, timeout=20.0, **kw):
    """Runs the plugin in the background, waits until ready(records) says
    the simulator is holding the plugin's request, reads the arguments of
    every plugin process then, and returns (run, [argv, ...])."""
    mark = bench.sim.mark()
    bg = Background(bench, args, **kw)
    seen = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ready(bench.sim.requests(mark)):
            seen = list(plugin_cmdlines().values())
            break
        time.sleep(0.01)
    run = bg.join()
    assert seen, "no plugin process seen while its request was held: %r" % (
        run,)
    return run, seen

"""Faults a monitoring host really has, for the end-to-end tests: failed
system calls (libfiu's fiu-run, strace's syscall tampering), kills, and
the checks every run under them must pass.

Two tools inject errors into the real binary:

  fiu-run -x   (Debian fiu-utils) preloads wrappers of libc functions:
               posix/io/oc/open, posix/io/rw/write, posix/io/sync/fsync,
               posix/io/dir/rename, libc/mm/malloc, ... (see the
               function list in /usr/share/doc/fiu-utils).  A point fails
               every call (enable), the first call only (onetime) or at
               random (enable_random); failinfo is the errno.  Only calls
               through the dynamic symbol table are seen: glibc's own
               (stdio's writes, mkstemp's open) and the loader's are not.
  strace       fails one system call of the plugin's main thread:
               inject=SYSCALL:error=ERRNO:when=N, the N-th call of that
               system call.  It reaches what libfiu cannot (mkdir, flock,
               fchmod, the openat inside mkstemp, SQLite's pwrite64 and
               ftruncate, fcntl locks).  record() runs a scenario once and
               lists the calls that touch given paths, with the ordinal
               an injection needs; inject() fails one of them and says
               which call was hit (strace marks it "(INJECTED)"), so that
               a test can tell a call it meant from a drifted one.

Neither works under valgrind (PLUGIN_WRAPPER), and LD_PRELOAD breaks an
AddressSanitizer build (its runtime must come first): problem() says why
a tool cannot be used here, for pytest.skip.
"""

import functools
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tempfile

import e2e_util as U

ERRNOS = ("ENOSPC", "EIO", "EACCES", "EROFS", "EINTR", "ENOMEM")
ERRNO_VALUE = {"ENOSPC": 28, "EIO": 5, "EACCES": 13, "EROFS": 30,
               "EINTR": 4, "ENOMEM": 12}

FIU_PRELOAD = "/usr/lib/fiu/fiu_posix_preload.so"

# What an injection may fail: the file system calls the plugin, SQLite and
# the C library make for the cache and the credentials.
STRACE_SYSCALLS = ("openat", "read", "pread64", "write", "pwrite64",
                   "fsync", "fdatasync", "ftruncate", "rename", "unlink",
                   "mkdir", "flock", "fchmod", "fcntl", "mmap")

SNAPSHOT_APPLICATION_ID = 0x56535043
SNAPSHOT_SCHEMA_VERSION = 1


# --------------------------------------------------------------------------
# Can the tools be used here?
# --------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def asan_build():
    """An AddressSanitizer build (configure --enable-asan): its runtime
    defines __asan_init."""
    with open(U.PLUGIN, "rb") as f:
        return b"__asan_init" in f.read()


def _works(cmd):
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if p.returncode != 0:
        return (p.stderr.decode(errors="replace").strip() or
                "exit code %d" % p.returncode)
    return None


def fiu_problem():
    """None if fiu-run can preload its POSIX wrappers into the plugin,
    else why not."""
    if U.WRAPPER:
        return "the plugin runs under %s, which fiu-run's LD_PRELOAD " \
            "cannot reach" % U.WRAPPER[0]
    if asan_build():
        return "an AddressSanitizer build: its runtime must be the first " \
            "library loaded, and fiu-run's LD_PRELOAD comes first"
    if shutil.which("fiu-run") is None or not os.path.exists(FIU_PRELOAD):
        return "libfiu is not installed (Debian: fiu-utils, libfiu-dev)"
    why = _works(fiu_run(["enable name=posix/io/oc/open,failinfo=2"]) +
                 ["/bin/true"])
    return "fiu-run does not work here: %s" % why if why else None


def strace_problem():
    """None if strace can trace and tamper with the plugin, else why
    not."""
    if U.WRAPPER:
        return "the plugin runs under %s; strace would trace that" \
            % U.WRAPPER[0]
    if shutil.which("strace") is None:
        return "strace is not installed"
    why = _works(["strace", "-f", "-qq", "-o", "/dev/null", "-e",
                  "inject=getpid:error=EPERM", "/bin/true"])
    return "strace cannot trace here (ptrace not permitted?): %s" % why \
        if why else None


# --------------------------------------------------------------------------
# libfiu
# --------------------------------------------------------------------------

def fiu_run(commands):
    """The fiu-run prefix for a list of libfiu commands, e.g.
    "enable name=posix/io/sync/fsync,failinfo=5" (-f "": no remote
    control FIFO in TMPDIR)."""
    out = ["fiu-run", "-x", "-f", ""]
    for c in commands:
        out += ["-c", c]
    return out


def fiu_enable(point, errno=None, onetime=False):
    c = "enable name=%s" % point
    if errno is not None:
        c += ",failinfo=%d" % ERRNO_VALUE[errno]
    if onetime:
        c += ",onetime"
    return c


def fiu_random(point, probability, errno=None):
    c = "enable_random name=%s,probability=%s" % (point, probability)
    if errno is not None:
        c += ",failinfo=%d" % ERRNO_VALUE[errno]
    return c


# --------------------------------------------------------------------------
# strace
# --------------------------------------------------------------------------

# "PID name(args) = result", "PID name(args <unfinished ...>"
_CALL_RE = re.compile(r"^(\d+)\s+([a-z0-9_]+)\((.*?)(?:\)\s+=\s+(.*)|"
                      r"\s*<unfinished \.\.\.>)$")
_QUOTED_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FD_PATH_RE = re.compile(r"\b\d+<([^<>]*)>")
_TEMP_RE = re.compile(r"((?:token|api)-[0-9a-f]{16})\.[A-Za-z0-9]{6}$")


class Call:
    """One system call of the plugin's main thread: name, ordinal (the
    n-th call of that name, from 1, as strace's when= counts), the paths
    it names (its string arguments and its file descriptors' paths) and
    the strace line."""

    def __init__(self, name, ordinal, paths, line):
        self.name = name
        self.ordinal = ordinal
        self.paths = paths
        self.line = line

    def key(self):
        """What identifies the call from one run to the next: its name
        and its paths, a temporary file's random suffix left out."""
        return self.name, tuple(sorted(set(normal_path(p)
                                           for p in self.paths)))

    def __repr__(self):
        return "%s#%d %s" % (self.name, self.ordinal, ", ".join(self.paths))


def normal_path(path):
    return _TEMP_RE.sub(r"\1.XXXXXX", path)


def no_leak_check_env():
    """ASAN_OPTIONS for a run under ptrace: LeakSanitizer refuses to work
    there and says so on stderr (the other checks of the build stay)."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    return "ASAN_OPTIONS=" + (opts + ":" if opts else "") + "detect_leaks=0"


def _strace(log, syscalls, extra=()):
    env = ["-E", no_leak_check_env()] if asan_build() else []
    return ["strace", "-f", "-qq", "-y", "-s", "0", "-o", log,
            "-e", "trace=" + ",".join(syscalls), "-e", "signal=none"] + \
        env + list(extra)


def _paths(args):
    args = re.sub(r"AT_FDCWD<[^<>]*>", "AT_FDCWD", args)
    # (with -s 0 a buffer reads "", never a path)
    return [m.group(1) for m in _QUOTED_RE.finditer(args) if m.group(1)] + \
        [m.group(1) for m in _FD_PATH_RE.finditer(args)]


def parse_log(log):
    """The main thread's calls in a strace log: [Call]."""
    calls, counts, main = [], {}, None
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = _CALL_RE.match(line.rstrip("\n"))
            if not m:
                continue
            pid, name, args = m.group(1), m.group(2), m.group(3)
            main = main or pid
            if pid != main:
                continue
            counts[name] = counts.get(name, 0) + 1
            calls.append(Call(name, counts[name], _paths(args), line))
    return calls


def touches(call, roots):
    """Whether the call names a path equal to or below one of roots."""
    return any(p == r or p.startswith(r.rstrip("/") + "/")
               for p in call.paths for r in roots)


def record(run, roots, logdir, syscalls=STRACE_SYSCALLS):
    """Runs run(prefix) once under strace (run: a function that runs the
    plugin with that prefix and returns the Run; the log goes to logdir);
    returns (the Run, the calls of syscalls that touch roots)."""
    fd, log = tempfile.mkstemp(prefix="strace-", suffix=".log", dir=logdir)
    os.close(fd)
    try:
        r = run(_strace(log, syscalls))
        calls = [c for c in parse_log(log) if touches(c, roots)]
    finally:
        os.unlink(log)
    return r, calls


def inject(run, call, action, logdir):
    """Runs run(prefix) with call failed: action is "error=EIO" and the
    like, or "signal=SIGKILL".  Returns (the Run, the Call strace hit or
    None)."""
    fd, log = tempfile.mkstemp(prefix="strace-", suffix=".log", dir=logdir)
    os.close(fd)
    spec = "inject=%s:%s:when=%d" % (call.name, action, call.ordinal)
    try:
        r = run(_strace(log, (call.name,), ["-e", spec]))
        calls = parse_log(log)
        hit = [c for c in calls if "(INJECTED)" in c.line]
        if action.startswith("signal=SIGKILL"):
            # no mark then: the call never returned
            hit = [c for c in calls if c.name == call.name and
                   c.ordinal == call.ordinal and
                   c.line.rstrip().endswith("= ?")]
    finally:
        os.unlink(log)
    return r, hit[0] if hit else None


def spread(items, cap):
    """At most cap of items, evenly spread, the first and last kept."""
    if len(items) <= cap:
        return list(items)
    if cap == 1:
        return [items[0]]
    picks = sorted(set(round(i * (len(items) - 1) / (cap - 1))
                       for i in range(cap)))
    return [items[i] for i in picks]


def sites(calls, cap):
    """The calls to fail, one at a time: at most cap of each system call,
    each distinct (name, paths) once unless it repeats."""
    by_name = {}
    for c in calls:
        by_name.setdefault(c.name, []).append(c)
    out = []
    for name in sorted(by_name):
        out += spread(by_name[name], cap)
    return out


# --------------------------------------------------------------------------
# What a run leaves behind
# --------------------------------------------------------------------------

TOKEN_CACHE_MAGIC = "check_vspc_replication token cache 1\n"
_TOKEN_CACHE_RE = re.compile(
    r"^access=([^\n]+)\nrefresh=([^\n]*)\nexpires=(-?[0-9]+)\n"
    r"(?:readonly=[01]\n)?$")


def token_cache_problem(path, issued):
    """None if the token cache file at path is whole: the magic line,
    access, refresh, expires and at most readonly, the tokens ones the
    simulator issued (issued: a collection of them); else what is
    wrong."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", errors="replace")
    if not text.startswith(TOKEN_CACHE_MAGIC):
        return "%s does not start with the magic line" % path
    m = _TOKEN_CACHE_RE.match(text[len(TOKEN_CACHE_MAGIC):])
    if not m:
        return "%s is not a whole token cache" % path
    if m.group(1) not in issued:
        return "%s holds an access token nobody issued" % path
    if m.group(2) and m.group(2) not in issued:
        return "%s holds a refresh token nobody issued" % path
    return None


def temporary_files(d):
    """Names of privdir_write()'s temporary files in d."""
    if not os.path.isdir(d):
        return []
    return sorted(n for n in os.listdir(d) if _TEMP_RE.search(n))


def age_files(d, names, seconds):
    """Sets the mtime of d/name back by seconds: privdir_sweep() takes
    such a file for a writer that died, without the test sleeping."""
    for n in names:
        p = os.path.join(d, n)
        st = os.lstat(p)
        os.utime(p, (st.st_atime - seconds, st.st_mtime - seconds),
                 follow_symlinks=False)


def snapshot_files(d):
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, n) for n in os.listdir(d)
                  if n.startswith("snapshot-") and n.endswith(".db"))


def snapshot_state(db):
    """What the snapshot database db holds, read from a copy (the -wal
    with it; SQLite rebuilds the -shm index) so that nothing the plugin
    left is changed: {"integrity", "ours", "row" (taken_at, vm_jobs,
    cdp_jobs) or None, "jobs": {kind: count}, "orphans", "failure"}."""
    d = tempfile.mkdtemp(prefix="snapcheck-")
    try:
        copy = os.path.join(d, "s.db")
        shutil.copyfile(db, copy)
        if os.path.exists(db + "-wal"):
            shutil.copyfile(db + "-wal", copy + "-wal")
        con = sqlite3.connect(copy)
        try:
            out = {"integrity": con.execute(
                "PRAGMA integrity_check").fetchone()[0]}
            app = con.execute("PRAGMA application_id").fetchone()[0]
            ver = con.execute("PRAGMA user_version").fetchone()[0]
            out["ours"] = (app == SNAPSHOT_APPLICATION_ID and
                           ver == SNAPSHOT_SCHEMA_VERSION)
            out.update(row=None, jobs={}, orphans=0, failure=None)
            if not out["ours"]:
                return out
            out["row"] = con.execute(
                "SELECT taken_at, vm_jobs, cdp_jobs FROM snapshot "
                "WHERE id = 1").fetchone()
            out["jobs"] = dict(con.execute(
                "SELECT kind, count(*) FROM jobs GROUP BY kind").fetchall())
            out["orphans"] = con.execute(
                "SELECT count(*) FROM names WHERE seq NOT IN "
                "(SELECT seq FROM jobs)").fetchone()[0]
            out["failure"] = con.execute(
                "SELECT failed_at, retry_at, state, message FROM failure "
                "WHERE id = 1").fetchone()
            return out
        finally:
            con.close()
    finally:
        shutil.rmtree(d, True)


def snapshot_problem(db):
    """None if db is a whole snapshot (or one the plugin will not trust:
    not of its schema), else what is wrong: SQLite calls it damaged, or
    the stored walk claims other jobs than it holds."""
    try:
        s = snapshot_state(db)
    except sqlite3.Error as exc:
        return "%s cannot be read: %s" % (db, exc)
    if s["integrity"] != "ok":
        return "%s fails the integrity check: %s" % (db, s["integrity"])
    if not s["ours"]:
        return None
    if s["orphans"]:
        return "%s has %d names of no job" % (db, s["orphans"])
    vm, cdp = s["jobs"].get("vm", 0), s["jobs"].get("cdp", 0)
    if s["row"] is None:
        if vm or cdp:
            return "%s holds %d jobs and no walk" % (db, vm + cdp)
        return None
    _, want_vm, want_cdp = s["row"]
    if (vm, cdp) != (want_vm, want_cdp):
        return "%s claims %d VM jobs and %d CDP policies but holds %d " \
            "and %d" % (db, want_vm, want_cdp, vm, cdp)
    return None


def make_stale(db, age=86400):
    """Moves the stored walk of db age seconds into the past (with the
    sqlite3 module, while no plugin runs): the next check refreshes it."""
    con = sqlite3.connect(db)
    try:
        con.execute("UPDATE snapshot SET taken_at = taken_at - ?", (age,))
        con.commit()
    finally:
        con.close()


def rewind_failure(db, seconds):
    """Moves the failed refresh stored in db seconds into the past (its
    failed_at and retry_at), as that much time passing would, while no
    plugin runs."""
    con = sqlite3.connect(db)
    try:
        con.execute("UPDATE failure SET failed_at = failed_at - ?, "
                    "retry_at = retry_at - ?", (seconds, seconds))
        con.commit()
    finally:
        con.close()


def private_files(d):
    """Every regular file under d is this user's and 0600."""
    bad = []
    for dirpath, _, names in os.walk(d):
        for n in names:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode) and (
                    st.st_uid != os.geteuid() or
                    stat.S_IMODE(st.st_mode) & 0o077):
                bad.append(p)
    return bad

"""The Icinga Director basket, in a real Director and a real Icinga 2.

contrib/icinga-director/check_vspc_replication.json is restored into
Debian's Icinga Director (icingaweb2-module-director 1.10, driven by
icingacli) whose database is a PostgreSQL this module starts itself: initdb
in a scratch directory, a Unix socket there and no TCP port, no system
service.  As a new installation would, the test enables the incubator and
director modules, runs Director's migrations, creates the master and global
zones and an endpoint by hand (a kickstart needs a live Icinga 2 API),
restores the basket, creates a host with `icingacli director host create`
and stores in it what `--list=icinga2-array` prints for it with
`icingacli director host set --json`, then renders the configuration
(`icingacli director config render`, which stores the files in the
database, where the test reads them).

What must hold:
  - the basket is what Director itself exports for those objects (a
    snapshot of the restored basket dumps to the same objects), and a
    second restore (an upgrade) changes nothing and duplicates no field;
  - its CheckCommand has the arguments of contrib/icinga2's CheckCommand,
    argument for argument, as Icinga 2 reads both (everything but the
    environment: a command defined in Director has none, so the token
    always comes from a file); every argument has a data field of the
    right type, and no field invites a secret;
  - the rendered configuration passes `icinga2 daemon -C`, makes one
    service per job of the host with the job's UID and kind, and a real
    Icinga 2 runs both against the simulator with the states a direct check
    of each job gives, from one walk of the collections.

Nothing leaves 127.0.0.1 and nothing is written outside temporary
directories: Icinga Web's configuration comes from ICINGAWEB_CONFIGDIR.

    PYTHONDONTWRITEBYTECODE=1 PLUGIN=$PWD/plugins/check_vspc_replication \\
        /usr/bin/python3 -m pytest tests/engine/test_director.py
"""

import glob
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile

import pytest

import test_engine as E
from test_engine import world  # noqa: F401  (a fixture: this module's own)

U = E.U
BASKET = os.path.join(E.REPO_DIR, "contrib", "icinga-director",
                      "check_vspc_replication.json")
ICINGACLI = "/usr/bin/icingacli"
MODULES = "/usr/share/icingaweb2/modules"
HOST = "vspc-dr"

# the host's two jobs, and what the basket's templates make of them
VM_UID = "7b6a5948-3726-4150-8f9e-8d7c6b5a4938"
CDP_UID = "cd9c0006-5e1f-4c2b-9a3d-0f1e2d3c4b5a"
FLEET = {
    "jobs": [{"uid": VM_UID, "name": "SQL to DR", "status": "Failed",
              "protected": 3}],
    "cdp_jobs": [{"uid": CDP_UID, "kind": "cdp", "name": "CDP Exchange",
                  "status": "Success",
                  "last_period": {"sla": 97, "maxDelay": 12}}],
}
SERVICES = {"replication vm " + VM_UID: ("vm", VM_UID, "CRITICAL"),
            "replication cdp " + CDP_UID: ("cdp", CDP_UID, "OK")}
# the options the basket's kind templates give (vspc-replication-vm-job,
# vspc-replication-cdp-job)
KIND_OPTIONS = {"vm": ["-c", "1:", "--max-age-critical=2d"],
                "cdp": ["--sla-critical=90:", "--max-age-critical=2d"]}

DATATYPE = "Icinga\\Module\\Director\\DataType\\DataType"


def require_director():
    missing = [pkg for path, pkg in (
        (ICINGACLI, "icingacli"),
        (os.path.join(MODULES, "director"), "icingaweb2-module-director"),
        (os.path.join(MODULES, "incubator"), "icingaweb2-module-incubator"))
        if not os.path.exists(path)]
    if not pg_bin():
        missing.append("postgresql")
    if not missing and b"pdo_pgsql" not in subprocess.run(
            ["php", "-m"], stdout=subprocess.PIPE, check=False).stdout:
        missing.append("php-pgsql")
    if missing:
        pytest.skip("Icinga Director is not installed: apt-get install "
                    + " ".join(missing))
    E.require_icinga2()


def pg_bin():
    """The newest PostgreSQL server's bin directory, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


class Postgres:
    """A PostgreSQL of this test's own: its data and its Unix socket in a
    scratch directory, no TCP.  PostgreSQL refuses to run as root, so under
    root it runs as the postgres user that Debian's package creates (the
    directory is then made outside the root-only pytest directory)."""

    def __init__(self):
        self.bin = pg_bin()
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            pw = pwd.getpwnam(self.user)
        self.dir = tempfile.mkdtemp(prefix="vspc-director-pg.")
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        os.mkdir(self.sock, 0o700)
        if self.user:
            for p in (self.dir, self.sock):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        self.log = os.path.join(self.dir, "postgres.log")
        self.run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                 "-E", "UTF8", "--locale=C", "--no-sync")
        self.run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60",
                 "-o", "-c listen_addresses='' -c unix_socket_directories='%s'"
                 " -c fsync=off -c full_page_writes=off" % self.sock, "start")

    def run(self, tool, *args):
        res = subprocess.run([os.path.join(self.bin, tool)] + list(args),
                             user=self.user, cwd=self.dir,
                             env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=120,
                             check=False)
        assert res.returncode == 0, (tool, res.stdout.decode(errors="replace"),
                                     E.tail(self.log) if tool == "pg_ctl"
                                     else "")
        return res.stdout.decode()

    def sql(self, db, statement):
        """Rows of one statement, fields separated by \\x1f."""
        res = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-h", self.sock,
             "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1",
             "-c", statement], env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=60, check=False)
        assert res.returncode == 0 and res.stderr == b"", (statement, res)
        return res.stdout.decode("utf-8")

    def stop(self):
        try:
            self.run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class Director:
    """icingacli with an Icinga Web configuration of its own."""

    def __init__(self, d, pg):
        self.pg = pg
        self.conf = os.path.join(d, "icingaweb2")
        E.write(os.path.join(self.conf, "config.ini"),
                '[global]\nmodule_path = "%s"\n\n[logging]\nlog = "none"\n'
                % MODULES)
        E.write(os.path.join(self.conf, "resources.ini"),
                '[director_db]\ntype = "db"\ndb = "pgsql"\nhost = "%s"\n'
                'port = "5432"\ndbname = "director"\nusername = "director"\n'
                'password = ""\ncharset = "utf8"\n' % pg.sock)
        E.write(os.path.join(self.conf, "modules", "director", "config.ini"),
                '[db]\nresource = "director_db"\n')
        self.env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": d,
                    "ICINGAWEB_CONFIGDIR": self.conf}
        pg.sql("postgres", "CREATE ROLE director LOGIN")
        pg.sql("postgres", "CREATE DATABASE director OWNER director "
               "ENCODING 'UTF8' TEMPLATE template0")

    def cli(self, *args, stdin=None):
        res = subprocess.run([ICINGACLI] + list(args), env=self.env,
                             input=stdin.encode("utf-8") if stdin else b"",
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             timeout=120, check=False)
        out = res.stdout.decode("utf-8", errors="replace")
        assert res.returncode == 0, (args, out,
                                     res.stderr.decode(errors="replace"))
        return out

    def sql(self, statement):
        return self.pg.sql("director", statement)

    def rendered_config(self):
        """{path: content} of a new configuration render, read from the
        database where Director stores it."""
        out = self.cli("director", "config", "render")
        m = re.search(r"config with checksum ([0-9a-f]{40}) has been "
                      r"generated", out)
        assert m, out
        rows = self.sql(
            "SELECT f.file_path, g.content"
            " FROM director_generated_config_file f"
            " JOIN director_generated_file g ON g.checksum = f.file_checksum"
            " WHERE f.config_checksum = decode('%s', 'hex')"
            " ORDER BY f.file_path" % m.group(1))
        files = {}
        path = None
        for line in rows.split("\n"):
            if "\x1f" in line and line.split("\x1f", 1)[0].startswith(
                    "zones.d/"):
                path, line = line.split("\x1f", 1)
                files[path] = line
            elif path is not None:
                files[path] += "\n" + line
        return files


class DirectorRun:
    pass


@pytest.fixture(scope="module")
def director(world, tmp_path_factory):  # noqa: F811  (world: the fixture)
    require_director()
    w = world
    d = str(tmp_path_factory.mktemp("director"))
    pg = Postgres()
    sim = E.vspc_sim.start_sim(w.certs, token=E.TOKEN, api_keys=[E.API_KEY])
    try:
        sim.set_fleet(FLEET)
        dr = Director(d, pg)
        # as a new installation: incubator first, then director
        dr.cli("module", "enable", "incubator")
        dr.cli("module", "enable", "director")
        dr.cli("director", "migration", "run")
        # what a kickstart would import from a live Icinga 2 API
        dr.cli("director", "zone", "create", "master",
               "--object_type", "external_object")
        dr.cli("director", "zone", "create", "director-global",
               "--is_global", "y", "--object_type", "external_object")
        dr.cli("director", "endpoint", "create", "master", "--zone",
               "master", "--object_type", "external_object")
        # and one command of the ITL, for the host's own check
        dr.cli("director", "command", "create", "dummy", "--object_type",
               "external_object", "--methods_execute", "PluginCheck")
        with open(BASKET, encoding="utf-8") as f:
            basket_text = f.read()
        dr.cli("director", "basket", "restore", stdin=basket_text)
        dr.cli("director", "host", "create", HOST, "--json", json.dumps({
            "object_type": "object",
            "imports": ["vspc-replication-server"],
            "address": "127.0.0.1",
            "check_command": "dummy",
            "enable_active_checks": False,
            "vars": {"vspc_replication_port": sim.port,
                     "vspc_replication_ca_file": w.ca,
                     "vspc_replication_token_file": w.token_file}}))
        # the job lists, as the cron job of contrib/icinga2 stores them
        run = DirectorRun()
        run.listing = subprocess.run(
            [U.PLUGIN, "-H", "127.0.0.1", "-p", str(sim.port), "--ca-file",
             w.ca, "-T", w.token_file, "--no-token-cache",
             "--list=icinga2-array"], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=E.engine_env(d), timeout=60, check=False)
        assert run.listing.returncode == 0 and run.listing.stderr == b"", \
            run.listing
        dr.cli("director", "host", "set", HOST, "--json",
               stdin=run.listing.stdout.decode("utf-8"))
        run.host = json.loads(dr.cli("director", "host", "show", HOST,
                                     "--json"))
        run.files = dr.rendered_config()
        run.dr = dr
        run.d = d
        run.sim = sim
        run.basket_text = basket_text
        run.token_file = w.token_file
        run.world = w
        yield run
    finally:
        sim.stop()
        pg.stop()


# --- the basket -------------------------------------------------------------

def canonical(basket):
    """A basket's objects with its data field ids replaced by their
    variable names, so that two exports of the same objects compare equal:
    Director numbers fields by its own database ids."""
    names = {str(k): f["varname"] for k, f in basket["Datafield"].items()}

    def walk(o):
        if isinstance(o, dict):
            o = {k: walk(v) for k, v in o.items() if k != "originalId"}
            if "datafield_id" in o:
                o["datafield_id"] = names[str(o["datafield_id"])]
            return o
        if isinstance(o, list):
            items = [walk(v) for v in o]
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
        return o
    out = {k: walk(v) for k, v in basket.items() if k != "Basket"}
    out["Datafield"] = {f["varname"]: f for f in out["Datafield"].values()}
    return out


def snapshot_dump(dr):
    dr.cli("director", "basket", "snapshot", "--name",
           "check_vspc_replication")
    return json.loads(dr.cli("director", "basket", "dump", "--name",
                             "check_vspc_replication"))


def test_basket_is_what_director_exports(director):
    """The shipped file holds exactly what Director exports for the objects
    it restored: nothing Director would drop or add on the next export."""
    shipped = json.loads(director.basket_text)
    assert "check_vspc_replication" in director.dr.cli(
        "director", "basket", "list").split()
    assert canonical(snapshot_dump(director.dr)) == canonical(shipped)


def test_basket_restores_again_without_duplicates(director):
    """Restoring the basket again (an upgrade) keeps one data field per
    variable and leaves the objects as they were."""
    before = snapshot_dump(director.dr)
    director.dr.cli("director", "basket", "restore",
                    stdin=director.basket_text)
    rows = director.dr.sql("SELECT varname, count(*) FROM director_datafield"
                           " GROUP BY varname HAVING count(*) > 1")
    assert rows.strip() == ""
    assert canonical(snapshot_dump(director.dr)) == canonical(before)


def contrib_command(w, d):
    """The CheckCommand of contrib/icinga2, as Icinga 2 reads it."""
    i2 = E.Icinga2(d, w)
    E.write(i2.main, E.icinga2_main(w, E.CONTRIB_ICINGA2))
    i2.validate()
    return i2.objects()[("CheckCommand", "vspc_replication")]["properties"]


def deploy(i2, w, files, extra=""):
    """Lays out the rendered files as Director's stage under i2's
    directory, with an icinga2.conf for the master Director deploys to
    (the zones a kickstart would have imported, the stage's zones.d, and
    extra), and validates it: icinga2 daemon -C with no warning."""
    stage = os.path.join(i2.d, "stage")
    for path, content in files.items():
        E.write(os.path.join(stage, path), content)
    E.write(i2.main,
            "const PluginDir = %s\nconst NodeName = \"master\"\n"
            "const ZoneName = \"master\"\n"
            "include <itl>\ninclude <plugins>\n"
            "object Endpoint \"master\" { }\n"
            "object Zone \"master\" { endpoints = [ \"master\" ] }\n"
            "object Zone \"director-global\" { global = true }\n"
            "include_zones \"director\", %s\n"
            % (json.dumps(w.plugin_dir),
               json.dumps(os.path.join(stage, "zones.d"))) + extra)
    i2.validate()


@pytest.fixture(scope="module")
def rendered(director):
    """The objects of icinga2 daemon -C of the rendered configuration, which
    must pass with no warning."""
    i2 = E.Icinga2(os.path.join(director.d, "validate"), director.world)
    deploy(i2, director.world, director.files)
    return i2.objects()


def test_command_has_every_argument_of_contrib(director, rendered):
    """Director's CheckCommand, as Icinga 2 reads it, has contrib's
    arguments, each exactly as contrib has it, and contrib's other
    properties but the environment (the token's only way in there)."""
    mine = rendered[("CheckCommand", "vspc_replication")]["properties"]
    theirs = contrib_command(director.world,
                             os.path.join(director.d, "contrib"))
    assert mine["arguments"] == theirs["arguments"]
    assert mine["command"] == theirs["command"]
    assert mine["vars"] == theirs["vars"]
    assert theirs["env"] == {"VSPC_TOKEN": "$vspc_replication_token$"}
    assert mine["env"] in (None, {})


def test_every_argument_has_a_field_of_its_type(director):
    """Each argument's custom variable has a data field on the command, of
    the type its argument takes (switches Boolean, repeated options Array,
    the documented choices a data list); no field holds a token."""
    basket = json.loads(director.basket_text)
    fields = {str(k): f for k, f in basket["Datafield"].items()}
    command = basket["Command"]["vspc_replication"]
    on_command = {fields[str(r["datafield_id"])]["varname"]: fields[
        str(r["datafield_id"])] for r in command["fields"]}
    for key, arg in command["arguments"].items():
        macro = arg.get("set_if", arg.get("value", ""))
        var = macro[macro.index("$") + 1:macro.rindex("$")]
        assert var in on_command, (key, var)
        kind = on_command[var]["datatype"][len(DATATYPE):]
        want = ("Boolean" if "set_if" in arg else
                "Array" if arg.get("repeat_key") else None)
        if want:
            assert kind == want, (key, kind)
        else:
            assert kind in ("String", "Number", "Datalist"), (key, kind)
        if kind == "Datalist":
            lst = basket["DataList"][on_command[var]["settings"]["datalist"]]
            values = sorted(e["entry_name"] for e in lst["entries"])
            assert on_command[var]["settings"]["behavior"] == "strict"
            # every value the data list offers is one the plugin takes: the
            # run gets past the options to the (missing) token file
            for v in values:
                res = subprocess.run(
                    [U.PLUGIN, "-H", "127.0.0.1", "-T", "/nonexistent",
                     "-j", VM_UID, key + "=" + v],
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, timeout=30, check=False)
                assert res.stdout.startswith(
                    b"VSPC REPLICATION UNKNOWN - cannot read token file "
                    b"/nonexistent"), (key, v, res)
    assert set(on_command) == {
        f["varname"] for f in fields.values()} - {
        "vspc_replication_vm_jobs", "vspc_replication_cdp_jobs"}
    assert not any("token" == f["varname"][len("vspc_replication_"):]
                   for f in fields.values())


def test_host_holds_the_listing_arrays(director):
    """icingacli director host set --json took --list=icinga2-array's
    output: the host's two arrays, its other variables left alone."""
    listing = json.loads(director.listing.stdout)
    assert listing == {"vars.vspc_replication_vm_jobs": [VM_UID],
                       "vars.vspc_replication_cdp_jobs": [CDP_UID]}
    v = director.host["vars"]
    assert v["vspc_replication_vm_jobs"] == [VM_UID]
    assert v["vspc_replication_cdp_jobs"] == [CDP_UID]
    assert v["vspc_replication_token_file"] == director.token_file
    assert v["vspc_replication_port"] == director.sim.port
    assert director.host["imports"] == ["vspc-replication-server"]


def test_rendered_config_makes_one_service_per_job(rendered):
    """One service per job of the host, named by kind and UID, with the
    job's UID and kind and the snapshot every per-job service shares."""
    services = {n.split("!", 1)[1]: p
                for n, p in E.services_of(rendered, HOST).items()}
    assert sorted(services) == sorted(SERVICES)
    for name, (kind, uid, _) in SERVICES.items():
        p = services[name]
        assert p["check_command"] == "vspc_replication"
        assert p["vars"]["vspc_replication_job"] == uid
        assert p["vars"]["vspc_replication_kind"] == kind
        assert p["vars"]["vspc_replication_snapshot_max_age"] == "4m"
        assert "vspc-replication-%s-job" % kind in p["templates"]


def summary(line):
    """A status line without its perfdata (Icinga 2 keeps that apart) and
    with its ages, which count from the moment of the run, made equal."""
    return re.sub(r"\b\d+[dhms](?: \d+[hms])* ago\b", "(some time) ago",
                  line.split("|")[0].strip())


def test_icinga2_runs_both_services(director, world):  # noqa: F811
    """A real Icinga 2 runs the rendered services against the simulator:
    each gets the state a direct check of its job gives, the command line
    names the token file and holds no token, and VSPC sees one walk of
    its collections for both."""
    w = world
    d = os.path.join(director.d, "run")
    log = os.path.join(d, "log", "debug.log")
    i2 = E.Icinga2(d, w)
    # a master checks the objects of its zone only when it is the zone's
    # endpoint: an ApiListener (on 127.0.0.1, with a certificate of its own
    # where Icinga 2 looks for it) makes it one
    certs = os.path.join(i2.paths["DataDir"], "certs")
    os.makedirs(certs)
    res = subprocess.run(
        [E.ICINGA2, "pki", "new-cert", "--cn", "master",
         "--key", os.path.join(certs, "master.key"),
         "--cert", os.path.join(certs, "master.crt")], env=i2.env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, timeout=60, check=False)
    assert res.returncode == 0, res
    shutil.copyfile(os.path.join(certs, "master.crt"),
                    os.path.join(certs, "ca.crt"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        api_port = s.getsockname()[1]
    extra = ("object ApiListener \"api\" {\n\tbind_host = \"127.0.0.1\"\n"
             "\tbind_port = %d\n}\n" % api_port +
             "object IcingaApplication \"app\" { }\n"
             "object CheckerComponent \"checker\" { }\n"
             "object FileLogger \"debug-file\" {\n\tseverity = \"debug\"\n"
             "\tpath = %s\n}\n" % json.dumps(log))
    # first checks within seconds, not spread over the basket's 5 minutes:
    # what an administrator would change in Director, then render again
    dr = director.dr
    dr.cli("director", "service", "set", "vspc-replication",
           "--check_interval", "2", "--retry_interval", "2")
    try:
        files = dr.rendered_config()
    finally:
        dr.cli("director", "service", "set", "vspc-replication",
               "--check_interval", "300", "--retry_interval", "120")
    assert "check_interval = 2s" in files[
        "zones.d/director-global/service_templates.conf"]
    deploy(i2, w, files, extra)
    since = director.sim.mark()
    daemon = E.Daemon(i2.argv(), i2.env, d, os.path.join(d, "daemon.out"))
    try:
        def all_checked():
            try:
                text = E.read(log)
            except OSError:
                return False
            return all("State Change: Checkable '%s!%s'" % (HOST, s) in text
                       for s in SERVICES)
        E.wait_for("a check result of both services", all_checked, daemon,
                   [log, daemon.out_path])
    finally:
        daemon.stop()
    # both services from one walk: a page of each collection, nothing else
    seen = [(r["endpoint"], r.get("kind"), r.get("offset"), r["status"])
            for r in director.sim.requests(since)]
    assert sorted(seen) == [("collection", "cdp", 0, 200),
                            ("collection", "vm", 0, 200)], seen
    results = {}
    for obj in E.read_netstrings(os.path.join(i2.paths["DataDir"],
                                              "icinga2.state")):
        if obj.get("type") == "Service" and obj["name"].startswith(HOST):
            results[obj["name"].split("!", 1)[1]] = \
                obj["update"]["last_check_result"]
    assert sorted(results) == sorted(SERVICES)
    cache = os.path.join(d, "direct-cache")
    os.makedirs(cache, mode=0o700)
    for name, (kind, uid, state) in SERVICES.items():
        r = results[name]
        first = r["output"].split("\n")[0]
        assert E.ICINGA2_STATES[r["exit_status"]] == state, r
        assert first.startswith("VSPC REPLICATION %s - " % state), r
        assert uid in first, r
        cmd = r["command"]
        assert "--snapshot-max-age=4m" in cmd or (
            "--snapshot-max-age" in cmd and
            cmd[cmd.index("--snapshot-max-age") + 1] == "4m"), cmd
        assert w.token_file in cmd, cmd
        assert not any(E.TOKEN in a or E.API_KEY in a for a in cmd), cmd
        # the same job, checked directly with the options of its template
        res = subprocess.run(
            [U.PLUGIN, "-H", "127.0.0.1", "-p", str(director.sim.port),
             "--ca-file", w.ca, "-T", w.token_file, "--cache-dir", cache,
             "-j", uid, "--kind=" + kind] + KIND_OPTIONS[kind],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=E.engine_env(cache), timeout=60,
            check=False)
        direct = res.stdout.decode("utf-8").split("\n")[0]
        assert res.returncode == r["exit_status"], (res, r)
        assert summary(direct) == summary(first), (direct, r)

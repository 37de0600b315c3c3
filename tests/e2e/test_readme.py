"""The README's quick start is two commands, the ones CI runs as written
(.ci/run step 1 in a scratch clone), and they work with sudo and in a root
shell without it; the packages they install are the ones CI installs."""

import os
import re
import subprocess

from e2e_util import TESTS_DIR

TOP = os.path.dirname(TESTS_DIR)


def read(name):
    with open(os.path.join(TOP, name), encoding="utf-8") as f:
        return f.read()


def quick_start_commands():
    """The indented lines of the "Quick start" section, up to the next
    heading."""
    text = read("README")
    start = text.index("\nQuick start")
    section = text[start + 1:]
    nxt = re.search(r"\n[^\n]+\n-{4,}\n", section[section.index("\n-") + 1:])
    if nxt:
        section = section[:section.index("\n-") + 1 + nxt.start()]
    return [line[4:] for line in section.split("\n")
            if line.startswith("    ") and not line.startswith("     ")]


def apt_packages(command):
    m = re.search(r"apt-get install -y((?: [a-z0-9][a-z0-9.+-]*)+)", command)
    assert m, command
    return set(m.group(1).split())


def test_quick_start_is_two_commands_that_work_with_and_without_sudo():
    cmds = quick_start_commands()
    assert len(cmds) == 2, cmds
    first, second = cmds
    # $(command -v sudo) is sudo where there is one and nothing in a root
    # shell without it
    assert first.startswith("$(command -v sudo) apt-get update && "
                            "$(command -v sudo) apt-get install -y "), first
    assert "sudo " not in first.replace("$(command -v sudo) ", ""), first
    assert first.endswith("&& autoreconf -fi && ./configure && make && "
                          "make demo"), first
    assert second == "make check", second


def test_ci_runs_the_readme_commands_as_written():
    ci = read(".ci/run")
    m = re.search(r"readme_commands\(\) \{\n(.*?)\n\}", ci, re.S)
    assert m, "no readme_commands in .ci/run"
    got = subprocess.run(["bash", "-c", m.group(1)], cwd=TOP,
                         stdout=subprocess.PIPE, universal_newlines=True,
                         check=True).stdout.split("\n")
    assert got[:2] == quick_start_commands(), got
    assert 'step "README quick start, as written" quick_start' in ci
    # everything the quick start installs, CI installs too (CI's fresh
    # machine has nothing else)
    m = re.search(r"apt-get install -y -q --no-install-recommends \\\n(.*?)"
                  r"\|\| exit 1", ci, re.S)
    assert m, "no apt-get install in .ci/run"
    ci_packages = set(m.group(1).replace("\\\n", " ").split())
    missing = apt_packages(quick_start_commands()[0]) - ci_packages
    assert not missing, missing


def test_rpm_spec_follows_the_release():
    """contrib/rpm's spec builds the release tarball of this version, with
    every build dependency configure asks for."""
    spec = read("contrib/rpm/check_vspc_replication.spec")
    ac = read("configure.ac")
    version = re.search(r"AC_INIT\(\[check_vspc_replication\], \[([^]]+)\]",
                        ac).group(1)
    assert re.search(r"^Version:\s+%s$" % re.escape(version), spec, re.M), \
        version
    assert "Source0:        check_vspc_replication-%{version}.tar.gz" in spec
    for pc, devel in (("libcurl", "libcurl-devel"), ("yajl", "yajl-devel"),
                      ("sqlite3", "sqlite-devel"), ("nettle", "nettle-devel")):
        assert "[%s" % pc in ac, pc
        assert re.search(r"^BuildRequires:\s+%s\b" % devel, spec, re.M), devel

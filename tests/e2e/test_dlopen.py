"""libcurl is loaded on the first request, not at start-up (lib/curl_dl.c):
a run that never talks to the server does not pay for libcurl and its
thirty-odd libraries, a check loads it and works, a machine without
libcurl gets one UNKNOWN line that names it, and the binary declares the
dependency to packagers in a .note.dlopen ELF note.

What the dynamic loader initialises is read from its own trace
(LD_DEBUG=libs, written to files by LD_DEBUG_OUTPUT so that stderr stays
as empty as every run's must)."""

import glob
import json
import os
import re
import shutil
import subprocess

import pytest

from e2e_util import PLUGIN, assert_state, run_plugin

SONAME = "libcurl.so.4"
NOTE_TYPE = 0x407C0C0A
INIT_RE = re.compile(r"calling init: (\S+)$")


def asan_build():
    """configure --enable-asan: the binary calls __asan_init (the word
    AddressSanitizer itself is only in libasan)."""
    with open(PLUGIN, "rb") as f:
        return b"__asan_init" in f.read()


def shim_path():
    """tests/preload/no_curl.so: make check names it; a direct pytest run
    finds it in the build tree of $PLUGIN (make check-unit builds it)."""
    path = os.environ.get("NO_CURL_PRELOAD") or os.path.join(
        os.path.dirname(os.path.dirname(PLUGIN)), "tests", "preload",
        "no_curl.so")
    if not os.path.isfile(path):
        pytest.fail("LD_PRELOAD shim %s is missing (make check builds it; "
                    "or set NO_CURL_PRELOAD)" % path, pytrace=False)
    return path


def traced(tmp_path, args, env=None, **kw):
    """run_plugin(args) with the loader's trace: (run, the base names of
    the libraries it initialised)."""
    prefix = str(tmp_path / "ld")
    full_env = {"LD_DEBUG": "libs", "LD_DEBUG_OUTPUT": prefix}
    full_env.update(env or {})
    run = run_plugin(args, env=full_env, **kw)
    inits = []
    for name in glob.glob(prefix + ".*"):
        with open(name, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = INIT_RE.search(line.rstrip("\n"))
                if m:
                    inits.append(os.path.basename(m.group(1)))
    # the trace must work for an absent libcurl to mean anything
    assert "libc.so.6" in inits, "no loader trace: %r %r" % (inits, run)
    return run, inits


@pytest.mark.parametrize("case", ["usage-error", "help", "version"])
def test_no_request_does_not_load_libcurl(vspc, tmp_path, case):
    if case == "usage-error":
        run, inits = traced(tmp_path, vspc.args() + ["-w", "abc"])
        assert_state(run, "UNKNOWN")
        assert "warning" in run.summary.lower(), run
    else:
        run, inits = traced(tmp_path, ["--" + case], status_line=False)
        assert run.rc == 3 and run.first.startswith(
            "check_vspc_replication "), run
    assert SONAME not in inits, "libcurl loaded without a request: %r" % (
        inits,)
    vspc.assert_no_traffic(run)


def test_check_loads_libcurl_and_works(vspc, tmp_path):
    run, inits = traced(tmp_path, vspc.args())
    assert_state(run, "OK")
    assert SONAME in inits, "libcurl was never loaded: %r" % (inits,)
    vspc.assert_one_exchange(run)


@pytest.mark.parametrize("mode", ["-j", "--all", "--list"])
def test_snapshot_served_check_does_not_load_libcurl(vspc, tmp_path, mode):
    """--snapshot-max-age: a run the snapshot answers needs no request,
    so it never loads libcurl; the run that made the snapshot did."""
    if mode == "-j":
        args = vspc.hargs()
    elif mode == "--all":
        args = vspc.fargs()
    else:
        args = vspc.largs(fmt="icinga2")  # no ages: the same text each time
    args = args + ["--snapshot-max-age", "1h"]
    (tmp_path / "first").mkdir()
    (tmp_path / "again").mkdir()
    first, inits = traced(tmp_path / "first", args, status_line=mode != "--list")
    assert first.rc == 0, first
    assert SONAME in inits, "the refresh did not load libcurl: %r" % (inits,)
    vspc.restart_records()
    again, inits = traced(tmp_path / "again", args, status_line=mode != "--list")
    assert SONAME not in inits, \
        "a snapshot-served run loaded libcurl: %r" % (inits,)
    assert again.rc == first.rc, (first, again)
    if mode == "--list":
        assert again.stdout == first.stdout, (first, again)
    else:
        assert again.summary == first.summary, (first, again)
    vspc.assert_no_traffic(again)


def test_without_libcurl_one_unknown_line(vspc, tmp_path):
    env = {"LD_PRELOAD": shim_path()}
    if asan_build():
        # ASan insists on coming first among the libraries; the shim does
        # not touch memory it would watch, so the check can be let go.
        opts = os.environ.get("ASAN_OPTIONS", "")
        env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + \
            "verify_asan_link_order=0"
    run, inits = traced(tmp_path, vspc.args(), env=env)
    assert_state(run, "UNKNOWN")
    assert run.rc == 3, run
    assert len(run.lines) == 1, "want one line: %r" % run
    # the shim's two-line dlerror() text, flattened onto the status line
    assert run.summary.startswith(
        "plugin fault: cannot load libcurl.so.4: libcurl.so.4: refused by "
        "the no_curl test shim"), run
    assert run.summary.endswith("as if not installed"), run
    assert SONAME not in inits, inits
    vspc.assert_no_traffic(run)


def readelf(*args):
    """readelf's output; its exit status is not looked at: binutils 2.40
    (Debian 12) exits 1 after a note type it has no name for, as this
    one."""
    tool = shutil.which("readelf")
    if tool is None:
        pytest.skip("readelf not installed (Debian: binutils)")
    return subprocess.run([tool] + list(args) + [PLUGIN],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False).stdout


def note_section_bytes():
    """The raw bytes of .note.dlopen, from readelf's hex dump."""
    data = b""
    for line in readelf("-x", ".note.dlopen").splitlines():
        m = re.match(r"^\s+0x[0-9a-f]+ ((?:[0-9a-f]{2,8} ){1,4})", line + " ")
        if m:
            data += bytes.fromhex(m.group(1).replace(" ", ""))
    assert data, "no .note.dlopen section in %s" % PLUGIN
    return data


def test_elf_note_names_libcurl():
    notes = readelf("-n")
    block = notes.split("notes found in: .note.dlopen", 1)
    assert len(block) == 2, "readelf -n shows no .note.dlopen:\n" + notes
    assert re.search(r"^\s+FDO\s+0x[0-9a-f]+\s.*0x407c0c0a", block[1],
                     re.M | re.I), block[1]

    data = note_section_bytes()
    namesz, descsz, ntype = (int.from_bytes(data[i:i + 4], "little")
                             for i in (0, 4, 8))
    assert (namesz, ntype) == (4, NOTE_TYPE), (namesz, hex(ntype))
    assert data[12:16] == b"FDO\0"
    assert len(data) == 16 + (descsz + 3) // 4 * 4, (len(data), descsz)
    payload = data[16:16 + descsz]
    assert payload.endswith(b"\0") and b"\0" not in payload[:-1], payload
    assert json.loads(payload[:-1].decode("utf-8")) == [{
        "feature": "http", "description": "HTTPS requests to VSPC",
        "priority": "required", "soname": [SONAME]}]


def test_binary_is_not_linked_against_libcurl():
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]",
                        readelf("-d"))
    assert "libc.so.6" in needed, needed
    assert not [n for n in needed if n.startswith("libcurl")], needed

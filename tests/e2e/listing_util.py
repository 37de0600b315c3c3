"""The configuration forms of --list (icinga2, icinga2-array, nagios): a
model of the service names the plugin must give (the oracle), and strict
readers of what it printed.  The readers accept exactly the documented
shape and fail on anything else; the engine tests (tests/engine) give the
same files to the real Icinga 2 and Nagios.

Standard library only."""

import json
import re

NAME_MAX = 255  # the bytes of a name the plugin keeps (lib/model.h)
UID8 = 8
NAGIOS_ILLEGAL = set("`~!$%^&*\"|'<>?,()=;\\")


# --------------------------------------------------------------------------
# The oracle: what each job's service must be called
# --------------------------------------------------------------------------

def kept_name(name):
    """The name as the plugin holds it: at most NAME_MAX bytes of UTF-8,
    cut at a character boundary."""
    raw = name.encode("utf-8")
    if len(raw) <= NAME_MAX:
        return name
    # a character cut in two goes whole
    return raw[:NAME_MAX].decode("utf-8", errors="ignore")


def _control(c):
    return ord(c) < 0x20 or ord(c) == 0x7F


def icinga2_name(name):
    """Control characters become spaces, '!' becomes '_'."""
    return "".join(" " if _control(c) else "_" if c == "!" else c
                   for c in name)


def nagios_name(name):
    """Control characters become spaces, illegal ones '_', and the white
    space at the ends goes."""
    return "".join(" " if _control(c) else "_" if c in NAGIOS_ILLEGAL else c
                   for c in name).strip(" ")


def walk_order(specs):
    """The specs as the walk hands them out: VM jobs, then CDP policies,
    each sorted by UID."""
    def kind(sp):
        return "cdp" if sp.get("kind") == "cdp" else "vm"
    return sorted(specs, key=lambda sp: (kind(sp) == "cdp",
                                         sp["uid"].lower()))


def expected_names(specs, lang):
    """[(uid, kind, service name, suffixed)] in walk order, for lang
    "icinga2" or "nagios"."""
    policy = icinga2_name if lang == "icinga2" else nagios_name
    seen = set()
    out = []
    for sp in walk_order(specs):
        uid = sp["uid"].lower()
        name = sp.get("name")
        base = policy(kept_name(name)) if isinstance(name, str) else ""
        if base == "":
            base = policy(uid)
        key, k = base, 1
        while key in seen:
            key = "%s [%s]" % (base, uid[:UID8])
            if k > 1:
                key += " #%d" % k
            k += 1
        out.append((uid, "cdp" if sp.get("kind") == "cdp" else "vm", key,
                    key != base))
        seen.add(key)
    return out


# --------------------------------------------------------------------------
# Icinga 2
# --------------------------------------------------------------------------

def icinga2_string(text, pos):
    """Reads the Icinga 2 string literal at text[pos] the way Icinga 2.13's
    lexer does: (value, position after it).  Fails on what Icinga would
    reject, and on a raw control character, which the plugin never
    writes."""
    assert text[pos] == '"', (text[pos:pos + 40],)
    out = []
    i = pos + 1
    escapes = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f",
               '"': '"', "\\": "\\"}
    while True:
        assert i < len(text), "end of input in a string literal"
        c = text[i]
        assert not _control(c), "raw control character %r in a literal: %r" \
            % (c, text[pos:i + 1])
        if c == '"':
            return "".join(out), i + 1
        if c != "\\":
            out.append(c)
            i += 1
            continue
        m = re.compile(r"[0-9]+").match(text, i + 1)
        if m:
            digits = m.group(0)
            assert len(digits) <= 3 and re.fullmatch("[0-7]+", digits), \
                "bad escape sequence \\%s" % digits
            out.append(chr(int(digits, 8)))
            i = m.end()
            continue
        assert text[i + 1] in escapes, "bad escape \\%s" % text[i + 1]
        out.append(escapes[text[i + 1]])
        i += 2


ICINGA2_ENTRY_RE = re.compile(
    r'^ = \{ vspc_replication_job = "([0-9a-f-]{36})", '
    r'vspc_replication_kind = "(vm|cdp)" \}$')
FOOTER_RE = re.compile(r"^(?://|#) complete: (\d+) jobs((?:, \d+ (?:vm|cdp))*)$")


class Listing:
    """What a configuration listing holds: header (template or host name),
    entries [(key, uid, kind, suffixed)], footer (None when absent),
    the counts of the footer, and the lines after the footer."""

    def __init__(self):
        self.name = None
        self.entries = []
        self.footer = None
        self.counts = {}
        self.rest = []

    def keys(self):
        return [e[0] for e in self.entries]

    def complete(self):
        return self.footer is not None


def _footer(listing, line):
    m = FOOTER_RE.match(line)
    if not m:
        return False
    listing.footer = int(m.group(1))
    listing.counts = {k: int(n) for n, k in
                      re.findall(r", (\d+) (vm|cdp)", m.group(2))}
    return True


def read_icinga2(text):
    """Reads --list=icinga2 output strictly, line by line.  A listing that
    stops early (a failed walk) has no footer; what follows it is kept in
    rest."""
    lst = Listing()
    lines = text.split("\n")
    i = 0
    while i < len(lines) and lines[i].startswith("// "):
        i += 1
    assert i == 3, "three comment lines first: %r" % lines[:4]
    if i >= len(lines) or not lines[i].startswith("template Host "):
        lst.rest = lines[i:]
        return lst
    name, end = icinga2_string(lines[i], len("template Host "))
    assert lines[i][end:] == " {", lines[i]
    lst.name = name
    i += 1
    if lines[i:i + 1] != ["\tvars.vspc_replication_jobs += {"]:
        lst.rest = lines[i:]
        return lst
    i += 1
    note = False
    while i < len(lines):
        line = lines[i]
        if line == "\t\t// an earlier job has this name too: this one's " \
                   "key ends in its UID":
            note = True
            i += 1
            continue
        if not line.startswith('\t\t"'):
            break
        key, end = icinga2_string(line, 2)
        m = ICINGA2_ENTRY_RE.match(line[end:])
        assert m, "not an entry: %r" % line
        lst.entries.append((key, m.group(1), m.group(2), note))
        note = False
        i += 1
    assert not note, "a note without its entry"
    if lines[i:i + 2] == ["\t}", "}"] and i + 2 < len(lines) and \
            _footer(lst, lines[i + 2]):
        assert lines[i + 3:] == [""], "after the footer: %r" % lines[i + 3:]
        return lst
    lst.rest = lines[i:]
    return lst


# --------------------------------------------------------------------------
# Icinga Director (icinga2-array)
# --------------------------------------------------------------------------

def read_array(text):
    """--list=icinga2-array: {kind: [uid, ...]}; fails unless it is one
    JSON object of exactly the documented keys."""
    obj = json.loads(text)
    assert isinstance(obj, dict), obj
    out = {}
    for key, value in obj.items():
        m = re.fullmatch(r"vars\.vspc_replication_(vm|cdp)_jobs", key)
        assert m, "unexpected key %r" % key
        assert isinstance(value, list) and all(
            isinstance(u, str) and re.fullmatch(r"[0-9a-f-]{36}", u)
            for u in value), value
        out[m.group(1)] = value
    return out


# --------------------------------------------------------------------------
# Nagios
# --------------------------------------------------------------------------

NAGIOS_SERVICE_KEYS = ["use", "host_name", "service_description",
                       "servicegroups", "_VSPC_JOB", "_VSPC_KIND"]


def read_nagios(text):
    """Reads --list=nagios output strictly: the header comment, blank
    lines, define service blocks (each optionally after one note line),
    then the service group and the footer.  Each service is a dict; the
    entries are (service_description, uid, kind, suffixed); name is the
    service group's name."""
    lst = Listing()
    lst.services = []
    lst.group = None
    lines = text.split("\n")
    assert all(l.startswith("# ") for l in lines[:3]), lines[:3]
    i = 3
    note = False
    while i < len(lines):
        line = lines[i]
        if line == "":
            i += 1
            continue
        if line == "# an earlier job has this name too: this service's " \
                   "ends in its UID":
            note = True
            i += 1
            continue
        if line == "define service {":
            block = {}
            order = []
            i += 1
            while lines[i] != "}":
                m = re.fullmatch(r"    (\S+) +(\S.*)", lines[i])
                assert m, "not a directive: %r" % lines[i]
                assert m.group(2) == m.group(2).strip(), lines[i]
                block[m.group(1)] = m.group(2)
                order.append(m.group(1))
                i += 1
            assert order == NAGIOS_SERVICE_KEYS, order
            lst.services.append(block)
            desc = block["service_description"]
            assert desc.startswith("Replication "), desc
            lst.entries.append((desc[len("Replication "):],
                                block["_VSPC_JOB"], block["_VSPC_KIND"],
                                note))
            note = False
            i += 1
            continue
        break
    assert not note, "a note without its service"
    if lines[i:i + 1] == ["define servicegroup {"]:
        m = re.fullmatch(r"    servicegroup_name       (\S+)", lines[i + 1])
        assert m, lines[i + 1]
        lst.group = m.group(1)
        assert re.fullmatch(r"    alias                   .+",
                            lines[i + 2]), lines[i + 2]
        assert lines[i + 3] == "}", lines[i + 3]
        assert _footer(lst, lines[i + 4]), lines[i + 4]
        assert lines[i + 5:] == [""], lines[i + 5:]
        return lst
    lst.rest = lines[i:]
    return lst


def nagios_clean(value):
    """Whether a Nagios directive value is safe: no illegal character of
    an object name, nothing Nagios would strip or read as a comment."""
    return not (set(value) & NAGIOS_ILLEGAL) and \
        not any(_control(c) for c in value) and value == value.strip()

"""Answers that are not the documented JSON: every one is UNKNOWN with a
line that names the field or the problem, never a crash, never OK."""

import json

import pytest

import vspc_sim as S
from e2e_util import assert_measured, assert_state, names_any, run_plugin

UID_A = "aaaaaaaa-1111-4222-8333-444444444444"


def job_json(uid, **override):
    """The seed-like job as JSON text with fields overridden by raw JSON
    text (so that any bytes at all can go into a value)."""
    job = S.make_job(uid, protected=5, source_wan=S.SEED_SOURCE_WAN,
                     target_wan=S.SEED_TARGET_WAN, embedded=False)
    parts = []
    for k, v in job.items():
        raw = override.pop(k, None)
        parts.append('"%s": %s' % (k, raw if raw is not None
                                   else json.dumps(v)))
    for k, raw in override.items():
        parts.append('"%s": %s' % (k, raw))
    return '{"data": {%s}, "meta": null, "errors": null}' % ", ".join(parts)


def raw_step(body, status=200, ctype="application/json; charset=utf-8"):
    return {"status": status, "body": body, "content_type": ctype}


# (id, body or body-maker(uid), extra plugin options, words of which the
# status line must name at least one)
PVC = ["protectedVmCount"]
JSONERR = ["json", "parse", "invalid", "malformed", "syntax", "truncated",
           "premature", "unexpected", "lexical", "answer", "body"]
BODIES = [
    ("html-200", "<!DOCTYPE html><html><body>IIS</body></html>", [],
     JSONERR + ["html", "content-type", "text/html"]),
    ("not-json", "this is not json", [], JSONERR),
    ("empty", "", [], JSONERR + ["empty"]),
    ("truncated", lambda u: job_json(u)[:-25], [], JSONERR),
    ("unterminated-string", '{"data": {"protectedVmCount": 5, "x": "abc',
     [], JSONERR),
    ("trailing-garbage", lambda u: job_json(u) + " garbage", [], JSONERR),
    ("two-documents", lambda u: job_json(u) + job_json(u), [], JSONERR),
    ("single-quotes", "{'data': {'protectedVmCount': 5}}", [], JSONERR),
    ("trailing-comma", '{"data": {"protectedVmCount": 5,}}', [], JSONERR),
    ("comment", '{"data": {"protectedVmCount": 5 /* c */}}', [], JSONERR),
    ("top-level-array", lambda u: "[%s]" % job_json(u), [], JSONERR +
     ["data", "object", "array"]),
    ("top-level-string", '"data"', [], JSONERR + ["data", "object"]),
    ("top-level-null", "null", [], JSONERR + ["data", "object"]),
    ("data-missing", '{"meta": null, "errors": null}', [], ["data"]),
    ("data-null", '{"data": null, "meta": null, "errors": null}', [],
     ["data"]),
    ("data-array", lambda u: '{"data": [%s]}' % json.dumps(
        S.make_job(u)), [], ["data"]),
    ("data-string", '{"data": "job", "meta": null}', [], ["data"]),
    ("data-number", '{"data": 5}', [], ["data"]),
    ("data-empty-object", '{"data": {}}', [], PVC),
    ("pvc-missing", lambda u: job_json(u).replace(
        '"protectedVmCount": 5, ', ''), [], PVC),
    ("pvc-string", lambda u: job_json(u, protectedVmCount='"5"'), [], PVC),
    ("pvc-null", lambda u: job_json(u, protectedVmCount="null"), [], PVC),
    ("pvc-true", lambda u: job_json(u, protectedVmCount="true"), [], PVC),
    ("pvc-object", lambda u: job_json(u, protectedVmCount='{"n": 5}'), [],
     PVC),
    ("pvc-array", lambda u: job_json(u, protectedVmCount="[5]"), [], PVC),
    ("pvc-negative", lambda u: job_json(u, protectedVmCount="-1"), [], PVC),
    ("pvc-fraction", lambda u: job_json(u, protectedVmCount="5.5"), [], PVC),
    ("pvc-2pow32", lambda u: job_json(u, protectedVmCount="4294967296"), [],
     PVC),
    ("pvc-2pow64", lambda u: job_json(
        u, protectedVmCount="18446744073709551616"), [], PVC),
    ("pvc-huge", lambda u: job_json(
        u, protectedVmCount="9" * 400), [], PVC + JSONERR),
    ("pvc-1e999", lambda u: job_json(u, protectedVmCount="1e999"), [],
     PVC + JSONERR),
    ("pvc-leading-zero", lambda u: job_json(u, protectedVmCount="05"), [],
     PVC + JSONERR),
    ("pvc-plus", lambda u: job_json(u, protectedVmCount="+5"), [],
     PVC + JSONERR),
    ("pvc-nan", lambda u: job_json(u, protectedVmCount="NaN"), [],
     PVC + JSONERR),
    ("pvc-duplicated", lambda u: job_json(u).replace(
        '"protectedVmCount": 5', '"protectedVmCount": 5, '
        '"protectedVmCount": 50'), [], PVC + ["duplicate"]),
    ("data-duplicated", lambda u: '{"data": %s, "data": %s}' % (
        json.dumps(S.make_job(u, protected=5)),
        json.dumps(S.make_job(u, protected=50))), [], ["data", "duplicate"]),
    ("wan-string", lambda u: job_json(u, throughWanAccelerators='"false"'),
     ["--wan=no"], ["throughWanAccelerators"]),
    ("wan-number", lambda u: job_json(u, throughWanAccelerators="0"),
     ["--wan=no"], ["throughWanAccelerators"]),
    ("wan-null", lambda u: job_json(u, throughWanAccelerators="null"),
     ["--wan=no"], ["throughWanAccelerators"]),
    ("wan-missing", lambda u: job_json(u).replace(
        '"throughWanAccelerators": false', '"other": false'),
     ["--wan=no"], ["throughWanAccelerators"]),
    ("cloud-string", lambda u: job_json(u, isCloudJob='"false"'),
     ["--cloud=no"], ["isCloudJob"]),
    ("cloud-missing", lambda u: job_json(u).replace(
        '"isCloudJob": false', '"isCloud": false'),
     ["--cloud=no"], ["isCloudJob"]),
    ("cloudhost-false", lambda u: job_json(u, cloudHostUid="false"),
     ["--cloud-host=none"], ["cloudHostUid"]),
    ("cloudhost-missing", lambda u: job_json(u).replace(
        '"cloudHostUid": null', '"cloudHost": null'),
     ["--cloud-host=none"], ["cloudHostUid"]),
    ("targethost-number", lambda u: job_json(u, targetHostUid="123"),
     ["--target-host=" + S.SEED_TARGET_HOST], ["targetHostUid"]),
    ("targethost-null", lambda u: job_json(u, targetHostUid="null"),
     ["--target-host=" + S.SEED_TARGET_HOST], ["targetHostUid"]),
    ("srcwan-object", lambda u: job_json(
        u, sourceWanAcceleratorUid='{"uid": "%s"}' % S.SEED_SOURCE_WAN),
     ["--source-wan=" + S.SEED_SOURCE_WAN], ["sourceWanAcceleratorUid"]),
    ("tgtwan-array", lambda u: job_json(
        u, targetWanAcceleratorUid='["%s"]' % S.SEED_TARGET_WAN),
     ["--target-wan=" + S.SEED_TARGET_WAN], ["targetWanAcceleratorUid"]),
    # A NUL inside the UID: a C string comparison would stop at the NUL
    # and call it equal.
    ("srcwan-nul", lambda u: job_json(
        u, sourceWanAcceleratorUid='"%s\\u0000evil"' % S.SEED_SOURCE_WAN),
     ["--source-wan=" + S.SEED_SOURCE_WAN], ["sourceWanAcceleratorUid"]),
    ("targethost-nul", lambda u: job_json(
        u, targetHostUid='"%s\\u0000"' % S.SEED_TARGET_HOST),
     ["--target-host=" + S.SEED_TARGET_HOST], ["targetHostUid"]),
    ("invalid-utf8-checked", lambda u: job_json(u).encode().replace(
        S.SEED_SOURCE_WAN.encode(), S.SEED_SOURCE_WAN.encode() + b"\xff"),
     ["--source-wan=" + S.SEED_SOURCE_WAN],
     JSONERR + ["sourceWanAcceleratorUid", "utf-8", "utf8"]),
    ("invalid-utf8-unknown-key", lambda u: job_json(
        u, name='"Replica \\u00e9"').encode().replace(b"\\u00e9",
                                                       b"\xc3\x28"),
     [], JSONERR + ["utf-8", "utf8"]),
    # UTF-8 that a lenient decoder lets through (RFC 3629 forbids them)
    ("utf8-overlong", lambda u: job_json(u, name='"X"').encode().replace(
        b'"X"', b'"\xc0\xaf"'), [], JSONERR + ["utf-8", "utf8"]),
    ("utf8-surrogate", lambda u: job_json(u, name='"X"').encode().replace(
        b'"X"', b'"\xed\xa0\x80"'), [], JSONERR + ["utf-8", "utf8"]),
    ("utf8-above-10ffff", lambda u: job_json(u, name='"X"').encode().replace(
        b'"X"', b'"\xf4\x90\x80\x80"'), [], JSONERR + ["utf-8", "utf8"]),
    ("deep-arrays-unterminated", lambda u: '{"data": {"x": ' + "[" * 200000,
     [], JSONERR + ["deep", "nest", "depth"]),
    ("deep-arrays", lambda u: job_json(
        u, x="[" * 200000 + "]" * 200000), [], JSONERR + ["deep", "nest",
                                                          "depth"]),
    ("deep-objects", lambda u: job_json(
        u, x='{"a": ' * 100000 + "1" + "}" * 100000), [],
     JSONERR + ["deep", "nest", "depth"]),
    ("deep-top-level", "[" * 200000 + "]" * 200000, [],
     JSONERR + ["deep", "nest", "depth", "data", "object"]),
]


@pytest.mark.parametrize("body,options,words",
                         [b[1:] for b in BODIES], ids=[b[0] for b in BODIES])
def test_bad_body_is_unknown(vspc, body, options, words):
    uid = vspc.add({"status": 200})  # UID first, so a maker can use it
    if callable(body):
        body = body(uid)
    vspc.set(uid, raw_step(body))
    run = run_plugin(vspc.args(uid, *options))
    assert_state(run, "UNKNOWN")
    assert names_any(run.summary, words), \
        "status line names none of %r: %r" % (words, run)
    assert "protected_vms" not in run.perf, run
    assert len(vspc.requests()) == 1


def test_html_error_page_with_html_type(vspc):
    uid = vspc.add(raw_step("<html><body><h1>Service Unavailable</h1>"
                            "</body></html>", ctype="text/html"))
    run = run_plugin(vspc.args(uid))
    assert_state(run, "UNKNOWN")
    assert "<html" not in run.stdout.lower()


def test_unchecked_fields_of_odd_types_are_ignored(vspc):
    # Without --wan/--cloud/... only protectedVmCount is checked.
    uid = vspc.add({"status": 200})
    body = job_json(uid, throughWanAccelerators='"sometimes"',
                    isCloudJob="[]", cloudHostUid="42",
                    targetHostUid="{}", sourceWanAcceleratorUid="false")
    vspc.set(uid, raw_step(body))
    run = run_plugin(vspc.args(uid))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert_measured(run, 5)


def test_escaped_strings_are_decoded(vspc):
    # JSON escapes in a UID are legal and must compare after decoding.
    uid = vspc.add({"status": 200})
    escaped = "".join("\\u%04x" % ord(c) for c in S.SEED_SOURCE_WAN)
    vspc.set(uid, raw_step(job_json(
        uid, sourceWanAcceleratorUid='"%s"' % escaped)))
    run = run_plugin(vspc.args(uid, "--source-wan=" + S.SEED_SOURCE_WAN))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)


def test_int32_max_and_zero_are_counts(vspc):
    for n in (0, 2147483647):
        uid = vspc.add({"status": 200})
        vspc.set(uid, raw_step(job_json(uid, protectedVmCount=str(n))))
        run = run_plugin(vspc.args(uid))
        assert_state(run, "OK")
        assert_measured(run, n)


def test_utf8_in_unknown_fields_is_fine(vspc):
    uid = vspc.add({"status": 200})
    vspc.set(uid, raw_step(job_json(
        uid, name='"R\u00e9plica \u65e5\u672c \U0001f600 \\ud83d\\ude00"')))
    run = run_plugin(vspc.args(uid))
    assert_state(run, "OK")
    vspc.assert_one_exchange(run)
    assert_measured(run, 5)

#!/usr/bin/env python3
"""Veeam Service Provider Console (VSPC) REST API v3 simulator.

Serves, over real HTTPS (HTTP/1.1, keep-alive, Content-Length), the way
VSPC 9.2 (API 3.6.2) does:
  GET /api/v3/infrastructure/backupServers/jobs/replicationVmJobs/{jobUid}
      one BackupServerReplicationVmJob
  GET /api/v3/infrastructure/backupServers/jobs/{jobUid}
      one BackupServerJob (name, status, lastEndTime, isEnabled, ...)
  GET /api/v3/infrastructure/backupServers/jobs/replicationVmJobs
  GET /api/v3/infrastructure/backupServers/{uid}/jobs/replicationVmJobs
      the collections, all jobs or one backup server's
      (?expand=BackupServerJob&limit=&offset=&filter=)
  POST /api/v3/token
      OAuth 2.0 login of configured accounts (grant_type=password and
      grant_type=refresh_token, form-encoded): a bare OAuth2Result or, with
      400, an OAuth2Error; the access tokens it issues are accepted as
      Bearer tokens until they expire (see "Accounts" below)
and misbehaves on request so that check_vspc_replication can be tested
against everything a server or a network can do to it.

Standard library only.  Used two ways:
  * imported by tests/e2e (in-process, scenarios changed at run time, every
    connection and request recorded);
  * standalone, for the demo and the README quick start:
      python3 tests/vspc_sim.py --make-certs DIR
      python3 tests/vspc_sim.py --cert DIR/server.pem --key DIR/server.key \
          --token-file TOKENFILE [--bind 127.0.0.1] [--port 0] [--fixtures F]
          [--fleet N] [--fleet-seed S] [--credentials-file F]
          [--expires-in SECONDS] [--server-version {8.0,8.1,9.0,9.1,9.2}]
          [--paging-style {standard,skip,total_only}]
    prints "PORT <n>" on stdout once listening and runs until killed.

Server versions (tests/vspc_profiles.py has the details): the simulator
plays one VSPC version at a time, 9.2 unless told otherwise
(VspcSim(..., server_version="8.1"), set_server_version("9.0") from the
next request on, server_version to read it, --server-version).  The
version decides which X-Client-Version values are accepted:
  8.0  3.4                  8.1  3.4, 3.5, 3.5.1
  9.0  8.1's and 3.6        9.1  9.0's and 3.6.1     9.2  9.1's and 3.6.2
A request without the header is served as the newest of them; any other
value (unknown, malformed, several different ones) answers, on the token
endpoint and every known route and before authentication, 400
{"error":{"code":"UnsupportedApiVersion","message":"The HTTP resource that
matches the request URI 'https://HOST/PATH' does not support the API
version 'V'.","innerError":null}}, recorded with outcome
"unsupported_version" and version_error.  The API version served (the
request's, not the server's) shapes every job object, single answers,
collection items and _embedded jobs alike: 3.4 has no uniqueUid and no
originalUid; under 3.5 instanceUid is the VSPC UID and originalUid the
Veeam B&R UID; from 3.5.1 on instanceUid is the B&R UID and uniqueUid the
VSPC UID.  BackupServerJob.schedule exists from 3.6.1 on, the token
endpoint's readOnly field from 3.6 on (older versions ignore it: the token
is not read-only).  A data step is shaped too unless "versioned": false.
Every request record carries server_version and api_version (None when
refused).

Single-job scenarios are configured per (endpoint, job UID): set_job() for
the replication endpoint, set_bsjob() for the BackupServerJob endpoint.  A
scenario is one step (a dict) or a dict {"steps": [step, ...]}: request n of
that endpoint and UID is answered by step n, the last step repeating (so
[429, 200] means "first request 429, then 200").
Step keys:
  job           a job spec (see below): 200 with the envelope, the object
                built when the request is served (timestamps relative to
                that moment)
  data          job object: 200 with the {"data","meta","errors"} envelope;
                key order varies per request unless "shuffle": false;
                shaped for the API version served (see "Server versions")
                unless "versioned": false
  error         {"status", "message", "type", "code", ...extra keys}: the
                VSPC errors envelope ("retryAfter" goes into the item)
  status, reason, headers ([[name, value], ...] or {name: value}),
  body (str, bytes or a JSON value), body_b64, content_type (None: omit)
                an arbitrary answer
  big           body size in bytes: a valid JSON job padded with filler,
                streamed in 64 KiB pieces
  framing       "length" (default), "chunked" or "close" (end of body is
                the end of the connection)
  extra_length  announce Content-Length this much longer than the body,
                send the body, then close (a response cut short)
  truncate      send only the first n bytes of the body (Content-Length
                matching them: well framed, but cut-short JSON)
  http_version  "HTTP/1.1" (default) or "HTTP/1.0"
  close         send Connection: close and close after the answer
  delay         seconds to wait before answering
  action        "hang" (read the request, never answer), "drip_headers",
                "drip_body" (one byte every 0.5 s, forever), "reset" (TCP
                RST after the request), "close" (close without answering)
In a fixtures file (JSON: {uid: scenario}, or {"jobs": {uid: scenario},
"backupServerJobs": {uid: scenario}, "fleet": fleet}) use body_b64 for raw
bytes.

Job spec (a dict; every key optional but uid):
  uid, unique_uid, name, description
  status        BackupServerJob.status, any JSON value (default "Success")
  enabled       isEnabled (default true; any JSON value)
  end_age       lastEndTime is this many seconds before the whole second in
                which the request is served (default 3600; None: null)
  end_shape     how lastEndTime is written: [frac<d> | .<digits>] then Z or
                +hh:mm / -hh:mm, e.g. "frac7-07:00" (.0000000-07:00),
                ".8-04:00", "Z", ".123Z", "+05:30".  Fraction digits are
                appended to the whole second: ".8" means 0.8 s later.
                Default "-04:00" (no fraction).
                "naive" writes the UTC wall clock without an offset
                (served at 09:00:00 UTC with end_age 3600:
                "...T08:00:00"), "naive+02:00" the wall clock at +02:00
                without an offset ("...T10:00:00"); fractions as before
                (".123naive"); the record's end is the true moment
  last_end      lastEndTime verbatim (any JSON value), instead of end_age:
                the literals real servers send, e.g.
                "2026-11-30T08:00:00" (no offset), "0001-01-01T00:00:00",
                "0001-01-01T00:00:00+00:00", "1900-01-01T00:00:00Z";
                lastRun is then null and the tasks' times too (unless
                last_run), and the request record's end None
  duration      lastDuration in seconds (default 402; None: null); lastRun
                is lastEndTime minus duration, same shape
  last_run      lastRun verbatim (any JSON value, e.g. the same literals)
  transferred   transferredData in bytes (default 16115584998)
  chain_size    backupChainSize in bytes (default 0)
  schedule      BackupServerJob.schedule (default: a daily schedule;
                served from API 3.6.1 on only)
  failure       failureMessage (default: two lines for Warning and Failed,
                null otherwise); lines end with \r\n
  never_run     status "None" (unless given) and lastRun, lastEndTime,
                lastDuration, transferredData null
  server, org, mapped_org   backupServerUid, organizationUid,
                mappedOrganizationUid (default: org)
  tasks         number of lastSessionTasks (default 1)
  protected, cloud, cloud_host, target_host, source_wan, target_wan,
  through_wan   the replication job's fields
  job_extra / job_omit      keys set on / removed from the BackupServerJob
  repl_extra / repl_omit    keys set on / removed from the replication job
  embedded      false: no _embedded in collections even with expand
  decoy         false: the single replication answer carries no decoy
                _embedded (by default it carries one that contradicts the
                BackupServerJob endpoint: status Failed, disabled)

Fleet (set_fleet(); the collections): a dict
  jobs          explicit job specs, first in the list
  count, seed   that many generated jobs after them, made lazily and
                deterministically from (seed, index): names like
                "Replica 00042 SQL", a mix of statuses, timestamp shapes,
                organizations (FLEET_ORGS) and backup servers
                (FLEET_SERVERS); UIDs f1ee7SSS-0000-4000-8000-IIIIIIIIIIII,
                also served by the single-job endpoints
  max_limit     largest limit accepted (default 500); limit outside
                1..max_limit, a bad offset or filter answer 400
  pages         {offset: scenario}: the page at that offset is answered by
                the scenario's steps; a step without body keys (only
                delay, framing, extra_length, truncate, close, ...) sends
                the real page with that misbehaviour
  stall_at      pages at this offset or later hold no items (total as
                before): stalled paging
  grow_at, shrink_at   {offset: n}: from that offset on, n jobs more (at
                the end) / n jobs fewer (from the end)
  insert_at     {offset: n}: from that offset on, n new jobs at the front:
                items shift, the next page repeats items (duplicates)
  total_override, count_override   {offset: n}: pagingInfo.total / count
                reported for that page
  oversize      {offset: n}: that page holds n items whatever the limit
  paging        "meta" (default), "null" (meta null), "absent" (no meta),
                "empty" (meta {})
  paging_style  what meta.pagingInfo holds: "standard" ({total, count,
                offset}), "skip" ({total, count, skip}, as Veeam's 9.1
                overview example has it) or "total_only" ({total});
                default: the simulator's, set_paging_style() (standard)
  meta_first    None (default: alternates per page), true or false
  non_objects   {index: value}: the item at that index is that value
  big_tasks     {index: n}: that job has n lastSessionTasks
  unknown_server  "empty" (default: 200 with no jobs) or "404"
  shuffle       false: keep the key order of the items

Accounts (add_account(username, password, **options); the token endpoint):
  POST /api/v3/token takes application/x-www-form-urlencoded fields only.
  grant_type=password with the username and password of an account (and
  optionally readOnly=true) answers 200 with a bare OAuth2Result
  {"access_token", "token_type": "bearer", "refresh_token", "expires_in",
  "mfa_token": null, "encrypted_code": null}; a wrong user name or password
  answers 400 {"error": "invalid_grant", "error_description": ...}.
  grant_type=refresh_token with a refresh token that was issued and is
  neither revoked nor used up answers a new access token (and, with
  rotate, a new refresh token that replaces the old one); anything else is
  400 invalid_grant.  Other grant types: 400 unsupported_grant_type; a body
  that is not form-encoded or lacks a field: 400 invalid_request.
  Access tokens look like JWTs (base64url and dots); refresh tokens are
  standard base64 with "+", "/" and "=", so that a client has to
  percent-encode them.  Each token is random and appears nowhere else.
  Options:
  expires_in    lifetime announced in the answer, seconds (default 3600)
  lifetime      how long the server accepts the access token, seconds
                (default: expires_in); wall clock
  mfa           true: a correct password answers 200 with access_token and
                refresh_token null and an mfa_token
  accept        false: issued access tokens are refused (401) even while
                valid
  rotate        false: a refresh keeps the refresh token (default true: a
                new one, the old one is used up)
  refresh       false: no refresh_token in the answers (null)
  steps         a scenario (list of steps, the last repeating) for this
                account's token requests, password and refresh grants alike:
                a step with only delay / close / framing / truncate sends
                the real answer that way (delay: hold it that long); a step
                with an answer (status, body, error, data, action, ...)
                sends that instead and issues nothing
  revoke_access(), expire_access(), revoke_refresh() (by username or token)
  act at once; account(username) holds the counters: password_grants,
  refresh_grants (requests, whatever the outcome), logins, refreshes
  (successful ones), mfa_prompts.  A token request record carries
  endpoint "token", form (the parsed body, {field: [values]}), grant_type,
  username (the account it concerns, if any), outcome ("token", "mfa",
  "bad_credentials", "bad_refresh", "unsupported_grant_type",
  "invalid_request", "scripted", "unsupported_version") and issued
  ({access, refresh} or None), read_only_sent (the form had a readOnly
  field) and read_only (whether the token issued is read-only; None when
  none was issued).  Under API versions before 3.6 readOnly is ignored.
  The records of issued() carry read_only too.
  Every request record carries body (the raw request body), bearer (the
  Bearer credential sent, or None) and auth ("static", "issued",
  "expired", "revoked", "refused", "unknown" or None).
"""

import argparse
import base64
import copy
import datetime
import json
import os
import random
import re
import secrets
import select
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler

_dwb = sys.dont_write_bytecode
try:
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    try:
        import vspc_profiles as P
    except ImportError:  # imported by path, its directory not on sys.path
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import vspc_profiles as P
finally:
    sys.dont_write_bytecode = _dwb

SERVER_VERSIONS = P.SERVER_VERSIONS
PROFILES = P.PROFILES
DEFAULT_SERVER_VERSION = P.DEFAULT_SERVER_VERSION
PAGING_STYLES = P.PAGING_STYLES

BASE_PATH = "/api/v3/infrastructure/backupServers/"
API_PREFIX = BASE_PATH + "jobs/replicationVmJobs/"
JOB_PREFIX = BASE_PATH + "jobs/"
COLLECTION_PATH = BASE_PATH + "jobs/replicationVmJobs"
TOKEN_PATH = "/api/v3/token"
LATEST_API_VERSION = "3.6.2"
MIB = 1024 * 1024
ZERO_UUID = "00000000-0000-0000-0000-000000000000"

DEFAULT_TOKEN = "sim-token-Zq8Xv2Lr7Tn4Wp"

# Built-in jobs.  The seed job is the one the project was started from.
SEED_UID = "bc04d2e5-dd4c-4f85-af0e-424106a32a75"
SEED_UNIQUE_UID = "e6c1a0f4-2b9d-4c1e-9f3a-5d7b8c9e0a12"
SEED_SOURCE_WAN = "3f2a9c1e-5b7d-4e8f-9a6b-2c4d6e8f0a1b"
SEED_TARGET_WAN = "7e1d4b2c-9a8f-4c3e-b5d6-1f2e3a4b5c6d"
SEED_TARGET_HOST = "5a6b7c8d-1e2f-4a3b-8c9d-0e1f2a3b4c5d"

CLOUD_UID = "1d0c2f3e-4b5a-4968-8776-a5b4c3d2e1f0"
CLOUD_HOST = "c7ca9843-26b7-4a1c-b6f5-0fa2cec9ec2e"

WAN_UID = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"
WAN_SOURCE_WAN = "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901"
WAN_TARGET_WAN = "8a9b0c1d-2e3f-4051-8263-748596a7b8c9"
WAN_TARGET_HOST = "4e5f6071-8293-4a4b-9c5d-6e7f8091a2b3"

# The UID of the collection example in the official specification: its
# version nibble is 6, so it is not an RFC 4122 UUID, yet VSPC hands it out.
SPEC_EXAMPLE_UID = "cc2b33a6-f11b-6f5f-b297-a5ee7cdbfc84"

BAD_TYPE_UID = "0badf00d-0000-4000-8000-00000000dead"
SERVER_ERROR_UID = "5e520520-0000-4000-8000-000000000520"
EMPTY_JOB_UID = "0e0e0e0e-0000-4000-8000-000000000000"

MSG_UNAUTHORIZED = "Authorization has been denied for this request."
MSG_JOB_MISSING = "Backup server replication VM job does not exist."
MSG_BSJOB_MISSING = "Backup server job does not exist."
MSG_SERVER_MISSING = "Backup server does not exist."
MSG_NO_ROUTE = "The requested resource does not exist."
MSG_SERVER_ERROR = "Internal server error. Contact your service provider."
MSG_BAD_LOGIN = ("Cannot complete login due to incorrect username or "
                 "password, or no sufficient rights.")
MSG_BAD_REFRESH = "The refresh token is invalid, expired or revoked."
FORM_TYPE = "application/x-www-form-urlencoded"


# --------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------

_OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca]
default_ca = sim_ca
[sim_ca]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = any_policy
unique_subject = no
copy_extensions = none
[any_policy]
commonName = supplied
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
subjectAltName = IP:127.0.0.1,IP:::1,DNS:localhost
[v3_wrong]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
subjectAltName = DNS:wrong.example
[v3_self]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = IP:127.0.0.1,IP:::1,DNS:localhost
"""


def _openssl(args, cwd):
    env = dict(os.environ)
    env.pop("OPENSSL_CONF", None)
    res = subprocess.run(["openssl"] + args, cwd=cwd, env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=False)
    if res.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (
            " ".join(args), res.stderr.decode(errors="replace")))


def make_certs(directory):
    """Create the test PKI in directory with the openssl CLI.

    Returns a dict of absolute paths:
      ca            test CA certificate (PEM), to pass as --ca-file
      server_cert, server_key   signed by the CA, SAN IP:127.0.0.1, IP:::1,
                                DNS:localhost
      wrong_cert, wrong_key     signed by the CA, SAN DNS:wrong.example only
      self_cert, self_key       self-signed, good SAN, not issued by the CA
      expired_cert, expired_key signed by the CA, good SAN, expired in 2020
    """
    d = os.path.abspath(directory)
    os.makedirs(d, exist_ok=True)
    cnf = os.path.join(d, "openssl.cnf")
    with open(cnf, "w", encoding="ascii") as f:
        f.write(_OPENSSL_CNF.format(dir=d))
    with open(os.path.join(d, "index.txt"), "w", encoding="ascii"):
        pass
    with open(os.path.join(d, "serial"), "w", encoding="ascii") as f:
        f.write("1000\n")
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
              "-nodes"]
    _openssl(["req", "-config", cnf, "-x509", "-new"] + newkey +
             ["-keyout", "ca.key", "-out", "ca.pem", "-days", "3650",
              "-subj", "/CN=check_vspc_replication test CA",
              "-extensions", "v3_ca"], d)
    for name, ext, cn in (("server", "v3_server", "vspc-sim"),
                          ("wrong", "v3_wrong", "wrong.example")):
        _openssl(["req", "-config", cnf, "-new"] + newkey +
                 ["-keyout", name + ".key", "-out", name + ".csr",
                  "-subj", "/CN=" + cn], d)
        _openssl(["x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                  "-CAkey", "ca.key", "-CAcreateserial", "-days", "3650",
                  "-sha256", "-extfile", cnf, "-extensions", ext,
                  "-out", name + ".pem"], d)
    _openssl(["req", "-config", cnf, "-x509", "-new"] + newkey +
             ["-keyout", "self.key", "-out", "self.pem", "-days", "3650",
              "-subj", "/CN=vspc-sim self-signed", "-extensions", "v3_self"],
             d)
    _openssl(["req", "-config", cnf, "-new"] + newkey +
             ["-keyout", "expired.key", "-out", "expired.csr",
              "-subj", "/CN=vspc-sim expired"], d)
    _openssl(["ca", "-batch", "-config", cnf, "-notext",
              "-cert", "ca.pem", "-keyfile", "ca.key",
              "-startdate", "20200101000000Z", "-enddate", "20200201000000Z",
              "-extfile", cnf, "-extensions", "v3_server",
              "-in", "expired.csr", "-out", "expired.pem"], d)
    paths = {"dir": d}
    for key, fname in (("ca", "ca.pem"), ("ca_key", "ca.key"),
                       ("server_cert", "server.pem"),
                       ("server_key", "server.key"),
                       ("wrong_cert", "wrong.pem"), ("wrong_key", "wrong.key"),
                       ("self_cert", "self.pem"), ("self_key", "self.key"),
                       ("expired_cert", "expired.pem"),
                       ("expired_key", "expired.key")):
        paths[key] = os.path.join(d, fname)
    return paths


# --------------------------------------------------------------------------
# Job data and response helpers
# --------------------------------------------------------------------------

def make_job(uid, protected=5, cloud=False, cloud_host=None,
             target_host=SEED_TARGET_HOST, source_wan=None, target_wan=None,
             through_wan=False, embedded=True, **override):
    """A BackupServerReplicationVmJob as VSPC 9.2 sends it, with the keys a
    plugin must ignore (uniqueUid, _embedded, originalUid inside it).
    Keyword arguments named like API fields override or add fields."""
    job = {
        "instanceUid": uid,
        "uniqueUid": str(uuid.uuid5(uuid.NAMESPACE_URL, "vspc-sim:" + uid)),
        "protectedVmCount": protected,
        "isCloudJob": cloud,
        "cloudHostUid": cloud_host,
        "targetHostUid": target_host,
        "sourceWanAcceleratorUid": source_wan,
        "targetWanAcceleratorUid": target_wan,
        "throughWanAccelerators": through_wan,
    }
    if embedded:
        job["_embedded"] = {"backupServerJob": {
            "instanceUid": uid,
            "originalUid": "6a4c2357-29f4-4a28-b7a8-1870ea6f4e5a",
            "name": "Replica job " + uid[:8],
            "description": "Created by Powershell at 7/17/2024 6:48:08 PM.",
            "status": "Warning",
            "type": "ReplicationVM",
            "lastRun": "2024-07-17T21:48:09.763-04:00",
            "lastEndTime": "2024-07-17T21:54:52.48-04:00",
            "lastDuration": 402,
            "isEnabled": True,
            "schedule": None,
            "failureMessage": "vm01:\r\nOne or more source networks "
                              "were possibly mapped onto the same cloud "
                              "network.\r\n",
            "lastSessionTasks": [{"objectName": "vm01", "totalObjects": 6,
                                  "failureMessages": ["x"],
                                  "status": "Warning"}],
        }}
    job.update(override)
    return job


def seed_job():
    return make_job(SEED_UID, protected=5, cloud=False, cloud_host=None,
                    target_host=SEED_TARGET_HOST, source_wan=SEED_SOURCE_WAN,
                    target_wan=SEED_TARGET_WAN, through_wan=False,
                    uniqueUid=SEED_UNIQUE_UID)


def default_jobs():
    """Built-in scenarios: uid -> scenario."""
    return {
        SEED_UID: {"data": seed_job()},
        CLOUD_UID: {"data": make_job(
            CLOUD_UID, protected=1, cloud=True, cloud_host=CLOUD_HOST,
            target_host=ZERO_UUID, source_wan=None, target_wan=None,
            through_wan=False)},
        WAN_UID: {"data": make_job(
            WAN_UID, protected=12, cloud=False, cloud_host=None,
            target_host=WAN_TARGET_HOST, source_wan=WAN_SOURCE_WAN,
            target_wan=WAN_TARGET_WAN, through_wan=True)},
        SPEC_EXAMPLE_UID: {"data": make_job(
            SPEC_EXAMPLE_UID, protected=1, cloud=True, cloud_host=CLOUD_HOST,
            target_host=ZERO_UUID, originalUid=str(uuid.uuid4()))},
        BAD_TYPE_UID: {"data": make_job(BAD_TYPE_UID, protected="5")},
        SERVER_ERROR_UID: {"error": {"status": 520,
                                     "message": MSG_SERVER_ERROR,
                                     "type": "unspecified", "code": 500}},
        EMPTY_JOB_UID: {"data": make_job(EMPTY_JOB_UID, protected=0)},
    }


# --------------------------------------------------------------------------
# Job specs: one description, both endpoints and the collections
# --------------------------------------------------------------------------

DEFAULT_SERVER = "c44ed101-1989-480a-9668-6cb0868bc176"
DEFAULT_ORG = "61204df8-9cd3-4645-b905-3cc298a94386"
DEFAULT_LOCATION = "757dd2a9-b65c-483a-823a-fbfa77cb911f"

# Pools the generated fleet draws from.
FLEET_SERVERS = (DEFAULT_SERVER,
                 "2d6a9f0e-7c3b-4e15-9a8d-6b5c4f3e2d1a",
                 "8f7e6d5c-4b3a-4291-8f0e-1d2c3b4a5f6e",
                 "4a3b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0")
FLEET_ORGS = (DEFAULT_ORG,
              "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
              "5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c",
              "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
              "3c4d5e6f-7a8b-4c9d-ae0f-1a2b3c4d5e6f")
FLEET_SUFFIXES = ("SQL", "Exchange", "Web", "File", "DC", "ERP")
# (status, weight out of 1000)
FLEET_STATUSES = (("Success", 700), ("Warning", 80), ("Failed", 50),
                  ("Running", 40), ("Idle", 30), ("None", 30),
                  ("Starting", 10), ("Stopping", 10), ("Enabling", 10),
                  ("Disabling", 10), ("WaitingTape", 10),
                  ("WaitingRepository", 10), ("Unknown", 5), ("Paused", 5))
FLEET_SHAPES = ("-04:00", ".8-04:00", ".48-04:00", ".763-04:00",
                ".0000000-07:00", "Z", ".123Z", "+05:30", ".5+05:30",
                ".9999999+00:00", ".1234567-07:00", "+14:00", "-12:00")
# Every status value of the 3.6.2 schema.
JOB_STATUSES = ("Unknown", "None", "Idle", "Success", "Warning", "Failed",
                "Running", "Starting", "Stopping", "Enabling", "Disabling",
                "WaitingTape", "WaitingRepository")

_SHAPE_RE = re.compile(
    r"^(?:frac([0-7])|\.([0-9]+))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2}|naive(?:[+-][0-9]{2}:[0-9]{2})?)$")
_FLEET_UID_RE = re.compile(
    r"^f1ee7([0-9a-f]{3})-0000-4000-8000-([0-9a-f]{12})$")
_FRONT_BASE = 0xF00000000  # generated indices of jobs inserted at the front


def parse_shape(shape):
    """'frac7-07:00' -> ('0000000', '-07:00', -25200); '.8Z' -> ('8', 'Z', 0);
    'naive' -> (None, '', 0); '.5naive+02:00' -> ('5', '', 7200) (the wall
    clock at +02:00, written without an offset); fraction None when the
    shape has none."""
    m = _SHAPE_RE.match(shape)
    if not m:
        raise ValueError("bad timestamp shape %r" % shape)
    digits = None
    if m.group(1) is not None:
        digits = "0" * int(m.group(1)) or None
    elif m.group(2) is not None:
        digits = m.group(2)
    off = m.group(3)
    wall = off
    if off.startswith("naive"):
        wall = off[len("naive"):] or "Z"
        off = ""
    secs = 0
    if wall != "Z":
        secs = int(wall[1:3]) * 3600 + int(wall[4:6]) * 60
        if wall[0] == "-":
            secs = -secs
    return digits, off, secs


def format_time(epoch, shape="-04:00"):
    """The whole second epoch (UTC) written in shape."""
    digits, off, secs = parse_shape(shape)
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(
        seconds=int(epoch) + secs)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + digits
    return text + off


def shape_fraction(shape):
    digits, _, _ = parse_shape(shape)
    return int(digits) / 10 ** len(digits) if digits else 0.0


def fleet_uid(seed, index):
    return "f1ee7%03x-0000-4000-8000-%012x" % (seed & 0xfff, index)


def _unique_uid(uid):
    return P.default_unique_uid(uid)


def _failure_text(spec, status):
    name = spec.get("name") or "vm01"
    if status == "Failed":
        return ("Error: Failed to connect to the replica host 10.0.0.17\r\n"
                "Processing %s Error: Task failed: the network path was "
                "not found.\r\n" % name)
    if status == "Warning":
        return ("%s:\r\nOne or more source networks were possibly mapped "
                "onto the same cloud network. Simultaneous partial "
                "failovers of VMs residing on those networks may result in "
                "issues.\r\n" % name)
    return None


def _session_tasks(spec, count, status, end_epoch, shape):
    tstatus = status if status in ("Success", "Warning", "Failed") \
        else "Success"
    msgs = [] if tstatus == "Success" else [
        "Task finished with %s." % tstatus.lower()]
    start = end_epoch - 381 if end_epoch is not None else None
    tasks = []
    base = spec["uid"]
    for i in range(count):
        tasks.append({
            "instanceUid": str(uuid.uuid5(uuid.NAMESPACE_OID,
                                          "%s/%d" % (base, i))),
            "objectUid": str(uuid.uuid5(uuid.NAMESPACE_X500,
                                        "%s/%d" % (base, i))),
            "objectName": "vm%05d" % i,
            "totalObjects": 6,
            "processedObjects": 6,
            "readDataSize": 24234688512,
            "transferredDataSize": 16115584998,
            "startTime": None if start is None else format_time(start, shape),
            "endTime": None if end_epoch is None else format_time(
                end_epoch - 10, shape),
            "duration": 381,
            "failureMessages": list(msgs),
            "status": tstatus,
        })
    return tasks


def backup_server_job(spec, anchor):
    """The BackupServerJob described by spec, lastEndTime and friends
    relative to anchor (a whole second, UTC epoch).  Returns (job, end)
    with end the moment lastEndTime stands for as (whole seconds,
    fraction) -- a float epoch cannot hold .9999999 -- or None."""
    uid = spec["uid"]
    never = bool(spec.get("never_run"))
    status = spec.get("status", "None" if never else "Success")
    shape = spec.get("end_shape", "-04:00")
    end_epoch = None
    if "last_end" in spec:
        last_end = spec["last_end"]
    elif never or spec.get("end_age", 3600) is None:
        last_end = None
    else:
        end_epoch = anchor - int(spec.get("end_age", 3600))
        last_end = format_time(end_epoch, shape)
    duration = None if never else spec.get("duration", 402)
    if "last_run" in spec:
        last_run = spec["last_run"]
    elif end_epoch is not None:
        last_run = format_time(end_epoch - (duration or 0), shape)
    else:
        last_run = None
    org = spec.get("org", DEFAULT_ORG)
    cloud = bool(spec.get("cloud", False))
    ntasks = 0 if never else int(spec.get("tasks", 1))
    job = {
        "instanceUid": uid,
        "uniqueUid": spec.get("unique_uid") or _unique_uid(uid),
        "name": spec.get("name", "Replica job " + str(uid)[:8]),
        "description": spec.get(
            "description", "Created by Powershell at 7/17/2024 6:48:08 PM."),
        "createdBy": "R2VBR\\Administrator",
        "creationTime": format_time(anchor - 90 * 86400 + 1234,
                                    ".683-04:00"),
        "backupServerUid": spec.get("server", DEFAULT_SERVER),
        "locationUid": DEFAULT_LOCATION,
        "siteUid": "c9c0e1c7-b756-4d52-a790-eb9f51ea9091" if cloud else None,
        "organizationUid": org,
        "mappedOrganizationUid": spec.get("mapped_org", org),
        "status": status,
        "type": "ReplicationVM",
        "lastRun": last_run,
        "lastEndTime": last_end,
        "lastDuration": duration,
        "processingRate": None if never else 127782020.0,
        "avgDuration": None if never else 402,
        "transferredData": None if never else spec.get("transferred",
                                                       16115584998),
        "backupChainSize": spec.get("chain_size", 0),
        "bottleneck": "None" if never else "Target",
        "isEnabled": spec.get("enabled", True),
        "scheduleType": "Daily",
        "schedule": copy.deepcopy(spec["schedule"]) if "schedule" in spec
        else {
            "startDateTime": "2024-07-17T22:00:00-04:00",
            "startDateTimeUtc": "2024-07-18T02:00:00Z",
            "dailyScheduleOptions": {
                "kind": "Everyday", "days": ["Sunday", "Monday", "Tuesday",
                                             "Wednesday", "Thursday",
                                             "Friday", "Saturday"],
                "time": "22:00:00", "timeUtc": "02:00:00"},
            "monthlyScheduleOptions": None,
            "periodicallyScheduleOptions": None,
            "backupWindowOptions": None,
            "continuousScheduleEnabled": False,
            "chainingOptions": None},
        "failureMessage": spec["failure"] if "failure" in spec
        else _failure_text(spec, status),
        "targetType": "Cloud" if cloud else "Local",
        "destination": "Hardware plan 1" if cloud else "Replica host 2",
        "retentionLimit": 7,
        "retentionLimitType": "RestorePoints",
        "isGfsOptionEnabled": False,
        "lastSessionTasks": _session_tasks(spec, ntasks, status, end_epoch,
                                           shape),
    }
    job.update(spec.get("job_extra") or {})
    for key in spec.get("job_omit") or ():
        job.pop(key, None)
    end = None
    if end_epoch is not None:
        end = (end_epoch, shape_fraction(shape))
    return job, end


def replication_job(spec, embedded=None):
    """The BackupServerReplicationVmJob described by spec, with
    embedded as _embedded.backupServerJob when given."""
    uid = spec["uid"]
    cloud = bool(spec.get("cloud", False))
    job = {
        "instanceUid": uid,
        "uniqueUid": spec.get("unique_uid") or _unique_uid(uid),
        "protectedVmCount": spec.get("protected", 5),
        "isCloudJob": cloud,
        "cloudHostUid": spec.get("cloud_host", CLOUD_HOST if cloud else None),
        "targetHostUid": spec.get("target_host",
                                  ZERO_UUID if cloud else SEED_TARGET_HOST),
        "sourceWanAcceleratorUid": spec.get("source_wan"),
        "targetWanAcceleratorUid": spec.get("target_wan"),
        "throughWanAccelerators": spec.get("through_wan", False),
    }
    if embedded is not None:
        job["_embedded"] = {"backupServerJob": embedded}
    job.update(spec.get("repl_extra") or {})
    for key in spec.get("repl_omit") or ():
        job.pop(key, None)
    return job


def decoy_job(uid):
    """What a plugin must not read in single-job mode: an _embedded job in
    the replication answer that contradicts the BackupServerJob endpoint."""
    return {"instanceUid": uid, "name": "DECOY embedded job",
            "status": "Failed", "isEnabled": False,
            "lastEndTime": "2001-01-01T00:00:00Z", "lastDuration": 1,
            "failureMessage": "DECOY\r\n", "transferredData": 1}


def generated_spec(seed, index):
    """Generated fleet job number index (deterministic)."""
    rnd = random.Random(seed * 1000003 + index)
    pick = rnd.randrange(1000)
    status = FLEET_STATUSES[-1][0]
    for name, weight in FLEET_STATUSES:
        if pick < weight:
            status = name
            break
        pick -= weight
    org = FLEET_ORGS[rnd.randrange(len(FLEET_ORGS))]
    mapped = org if rnd.randrange(10) else FLEET_ORGS[
        rnd.randrange(len(FLEET_ORGS))]
    cloud = rnd.randrange(5) == 0
    wan = (not cloud) and rnd.randrange(8) == 0
    spec = {
        "uid": fleet_uid(seed, index),
        "name": "Replica %05d %s" % (index, FLEET_SUFFIXES[index % 6]),
        "status": status,
        "enabled": rnd.randrange(100) >= 3,
        "server": FLEET_SERVERS[rnd.randrange(len(FLEET_SERVERS))],
        "org": org, "mapped_org": mapped,
        "protected": rnd.randrange(1, 41),
        "end_age": 600 + rnd.randrange(40000),
        "end_shape": FLEET_SHAPES[rnd.randrange(len(FLEET_SHAPES))],
        "duration": 30 + rnd.randrange(3600),
        "transferred": rnd.randrange(10 ** 12),
        "cloud": cloud, "through_wan": wan,
    }
    if wan:
        spec["source_wan"] = WAN_SOURCE_WAN
        spec["target_wan"] = WAN_TARGET_WAN
    if status == "None":
        spec["never_run"] = True
    return spec


def builtin_specs():
    """Job specs of the built-in jobs: their BackupServerJob endpoint and
    the default fleet."""
    return {
        SEED_UID: {"uid": SEED_UID, "unique_uid": SEED_UNIQUE_UID,
                   "name": "Replica seed SQL", "status": "Success",
                   "end_age": 3600, "protected": 5,
                   "source_wan": SEED_SOURCE_WAN,
                   "target_wan": SEED_TARGET_WAN,
                   "target_host": SEED_TARGET_HOST},
        CLOUD_UID: {"uid": CLOUD_UID, "name": "CloudReplicaJob",
                    "status": "Success", "end_age": 5400, "protected": 1,
                    "cloud": True, "end_shape": ".48-04:00"},
        WAN_UID: {"uid": WAN_UID, "name": "Replica WAN Exchange",
                  "status": "Success", "end_age": 7200, "protected": 12,
                  "through_wan": True, "source_wan": WAN_SOURCE_WAN,
                  "target_wan": WAN_TARGET_WAN,
                  "target_host": WAN_TARGET_HOST, "end_shape": "Z"},
        SPEC_EXAMPLE_UID: {"uid": SPEC_EXAMPLE_UID, "name": "ReplicationJob2",
                           "status": "Success", "end_age": 600,
                           "protected": 1, "cloud": True,
                           "end_shape": ".0000000-07:00"},
        EMPTY_JOB_UID: {"uid": EMPTY_JOB_UID, "name": "Replica empty",
                        "status": "Success", "end_age": 1800,
                        "protected": 0, "end_shape": "+05:30"},
        BAD_TYPE_UID: {"uid": BAD_TYPE_UID, "name": "Replica bad type",
                       "status": "Success", "end_age": 1800},
    }


def default_bsjobs():
    """Built-in BackupServerJob scenarios: uid -> scenario."""
    out = {uid: {"job": spec} for uid, spec in builtin_specs().items()}
    out[SERVER_ERROR_UID] = {"error": {"status": 520,
                                       "message": MSG_SERVER_ERROR,
                                       "type": "unspecified", "code": 500}}
    return out


def default_fleet():
    specs = builtin_specs()
    return {"jobs": [specs[u] for u in (SEED_UID, CLOUD_UID, WAN_UID,
                                        SPEC_EXAMPLE_UID, EMPTY_JOB_UID)]}


# Generated specs, shared by every Fleet: (seed, index) -> spec
_GENERATED = {}
_GENERATED_LOCK = threading.Lock()


class Fleet:
    """The collections' jobs.  Nothing but the specs asked for is ever
    made, and a page's JSON is made item by item."""

    _KNOWN = {"jobs", "count", "seed", "max_limit", "pages", "stall_at",
              "grow_at", "shrink_at", "insert_at", "total_override",
              "count_override", "oversize", "paging", "paging_style",
              "meta_first", "non_objects", "big_tasks", "unknown_server",
              "shuffle"}

    def __init__(self, spec=None):
        spec = dict(spec or {})
        unknown = set(spec) - self._KNOWN
        if unknown:
            raise ValueError("unknown fleet keys %s" % sorted(unknown))
        self.explicit = [dict(s) for s in spec.get("jobs", [])]
        for s in self.explicit:
            if "uid" not in s:
                raise ValueError("fleet job without uid")
        self.count = int(spec.get("count", 0))
        self.seed = int(spec.get("seed", 1))
        self.max_limit = int(spec.get("max_limit", 500))
        self.pages = {int(k): _Scenario(v)
                      for k, v in (spec.get("pages") or {}).items()}
        self.stall_at = spec.get("stall_at")

        def offsets(key):
            return sorted((int(k), int(v))
                          for k, v in (spec.get(key) or {}).items())
        self.grow_at = offsets("grow_at")
        self.shrink_at = offsets("shrink_at")
        self.insert_at = offsets("insert_at")
        self.total_override = {int(k): v for k, v in
                               (spec.get("total_override") or {}).items()}
        self.count_override = {int(k): v for k, v in
                               (spec.get("count_override") or {}).items()}
        self.oversize = {int(k): int(v) for k, v in
                         (spec.get("oversize") or {}).items()}
        self.paging = spec.get("paging", "meta")
        if self.paging not in ("meta", "null", "absent", "empty"):
            raise ValueError("paging must be meta, null, absent or empty")
        self.paging_style = spec.get("paging_style")
        if self.paging_style is not None:
            P.check_paging_style(self.paging_style)
        self.meta_first = spec.get("meta_first")
        self.non_objects = {int(k): v for k, v in
                            (spec.get("non_objects") or {}).items()}
        self.big_tasks = {int(k): int(v) for k, v in
                          (spec.get("big_tasks") or {}).items()}
        self.unknown_server = spec.get("unknown_server", "empty")
        self.shuffle = spec.get("shuffle", True)

    # -- the list as a request at a given offset sees it --------------------
    @staticmethod
    def _applied(changes, offset):
        return sum(n for at, n in changes if offset >= at)

    def view(self, offset):
        """(front, base): the number of jobs inserted at the front, and of
        jobs of the list as it was (grown or shrunk at its end)."""
        front = self._applied(self.insert_at, offset)
        grow = self._applied(self.grow_at, offset)
        shrink = self._applied(self.shrink_at, offset)
        base = len(self.explicit) + self.count + grow
        return front, max(0, base - shrink)

    def size(self, offset=0):
        front, base = self.view(offset)
        return front + base

    def spec_at(self, index, offset=0):
        """The spec of the job at index in the list seen at offset."""
        front, base = self.view(offset)
        if index < front:
            return self._generated(_FRONT_BASE + front - 1 - index)
        index -= front
        if index >= base:
            raise IndexError(index)
        if index < len(self.explicit):
            return self.explicit[index]
        return self._generated(index - len(self.explicit))

    def specs(self, offset=0):
        for i in range(self.size(offset)):
            yield self.spec_at(i, offset)

    def _generated(self, j):
        key = (self.seed, j)
        with _GENERATED_LOCK:
            spec = _GENERATED.get(key)
            if spec is None:
                spec = generated_spec(self.seed, j)
                if j >= _FRONT_BASE:
                    spec["name"] = "Replica inserted %d" % (j - _FRONT_BASE)
                if len(_GENERATED) >= 200000:
                    _GENERATED.clear()
                _GENERATED[key] = spec
            return spec

    def lookup(self, uid):
        """The spec of a job of this fleet by UID (single-job endpoints)."""
        for s in self.explicit:
            if s["uid"] == uid:
                return s
        m = _FLEET_UID_RE.match(uid)
        if m and int(m.group(1), 16) == self.seed & 0xfff:
            j = int(m.group(2), 16)
            if j < self.count + self._applied(self.grow_at, 1 << 62) or \
                    j >= _FRONT_BASE:
                return self._generated(j)
        return None


def error_envelope(message, etype="logical", code=0, **extra):
    item = {"message": message, "type": etype, "code": code}
    item.update(extra)
    return {"errors": [item]}


# --------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------

class _Log:
    """Connections and requests, in arrival order, thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.conns = []
        self.reqs = []

    def add_conn(self, peer):
        with self.lock:
            rec = {"id": len(self.conns), "peer": peer, "probe": False,
                   "t": time.monotonic(), "state": "open",
                   "tls_error": None, "tls_version": None}
            self.conns.append(rec)
            return rec

    def add_req(self, rec):
        with self.lock:
            rec["id"] = len(self.reqs)
            self.reqs.append(rec)
            return rec


class _Listener:
    """A TCP listener with its own accept thread.  Accepted connections are
    recorded before they are handed over, in kernel accept-queue (FIFO)
    order, which is what settle() relies on."""

    def __init__(self, host, port, on_conn, log):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        self.sock.bind((host, port))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.on_conn = on_conn
        self.log = log
        self.stopping = threading.Event()
        self.open = set()
        self.open_lock = threading.Lock()
        self.probe_ports = set()
        self.thread = threading.Thread(target=self._loop, daemon=True,
                                       name="listener:%d" % self.port)

    def start(self):
        self.thread.start()

    def _loop(self):
        while not self.stopping.is_set():
            try:
                ready, _, _ = select.select([self.sock], [], [], 0.2)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            try:
                conn, peer = self.sock.accept()
            except OSError:
                continue
            try:
                # as Kestrel does: no Nagle delay between the pieces of
                # an answer (head, body) written one after the other
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            rec = self.log.add_conn(peer[:2])
            with self.open_lock:
                if peer[1] in self.probe_ports:
                    self.probe_ports.discard(peer[1])
                    rec["probe"] = True
                self.open.add(conn)
            threading.Thread(target=self._run, args=(conn, peer, rec),
                             daemon=True).start()

    def _run(self, conn, peer, rec):
        try:
            self.on_conn(conn, peer, rec)
        except Exception:  # a misbehaving client must not kill the server
            pass
        finally:
            with self.open_lock:
                self.open.discard(conn)
            if rec["state"] in ("open", "handshaking"):
                rec["state"] = "closed"
            try:
                conn.close()
            except OSError:
                pass

    def probe(self, timeout=10.0):
        """Connect once and wait until the accept thread has seen us: every
        connection made before this call has then been accepted and
        recorded.  The probe itself is flagged and not counted."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.bind((self.host, 0))
            lport = s.getsockname()[1]
            with self.open_lock:
                self.probe_ports.add(lport)
            s.settimeout(timeout)
            s.connect((self.host, self.port))
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                with self.log.lock:
                    if any(c["probe"] and c["peer"][1] == lport
                           for c in self.log.conns):
                        return
                time.sleep(0.005)
            raise RuntimeError("listener %d did not accept the probe"
                               % self.port)
        finally:
            s.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()
        with self.open_lock:
            conns = list(self.open)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _wait_peer_close(sock, stopping, limit=None):
    """Block until the peer closes (or resets) sock, the server stops, or
    limit seconds pass; discard whatever the peer sends meanwhile."""
    end = None if limit is None else time.monotonic() + limit
    while not stopping.is_set():
        if end is not None and time.monotonic() >= end:
            return
        try:
            ready, _, _ = select.select([sock], [], [], 0.25)
            if ready and not sock.recv(4096):
                return
        except (OSError, ValueError):
            return


def _rst_close(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


# --------------------------------------------------------------------------
# Raw (non-HTTP) servers: for what goes wrong below HTTP
# --------------------------------------------------------------------------

class RawServer:
    """A TCP server that never speaks TLS.  Modes:
      silent      accept, then say nothing until the peer gives up
      reset       accept, then reset the connection
      close       accept, then close it at once
      plain_http  answer a plain-text HTTP response to whatever comes
    """

    def __init__(self, mode, host="127.0.0.1", port=0):
        if mode not in ("silent", "reset", "close", "plain_http"):
            raise ValueError("unknown mode " + mode)
        self.mode = mode
        self.log = _Log()
        self.listener = _Listener(host, port, self._on_conn, self.log)
        self.host = host
        self.port = self.listener.port

    def start(self):
        self.listener.start()
        return self

    def stop(self):
        self.listener.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _on_conn(self, conn, peer, rec):
        rec["state"] = "raw"
        if rec["probe"]:
            return
        if self.mode == "silent":
            _wait_peer_close(conn, self.listener.stopping)
        elif self.mode == "reset":
            _rst_close(conn)
        elif self.mode == "plain_http":
            conn.settimeout(5)
            try:
                conn.recv(4096)
                body = b"plain HTTP here\n"
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n"
                             b"Content-Type: text/plain\r\nContent-Length: "
                             + str(len(body)).encode() +
                             b"\r\nConnection: close\r\n\r\n" + body)
            except OSError:
                pass

    def mark(self):
        with self.log.lock:
            return len(self.log.conns)

    def connections(self, since=0):
        with self.log.lock:
            return [c for c in self.log.conns[since:] if not c["probe"]]

    def settle(self, timeout=10.0):
        self.listener.probe(timeout)


# --------------------------------------------------------------------------
# Accounts and the tokens issued to them (POST /api/v3/token)
# --------------------------------------------------------------------------

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
# The VSPC simulator
# --------------------------------------------------------------------------

class _Scenario:
    def __init__(self, spec):
        if isinstance(spec, list):
            steps = spec
        elif isinstance(spec, dict) and "steps" in spec:
            steps = spec["steps"]
        elif isinstance(spec, dict):
            steps = [spec]
        else:
            raise TypeError("scenario must be a dict or a list of steps")
        if not steps:
            raise ValueError("scenario without steps")
        self.steps = [dict(s) for s in steps]
        self.count = 0
        self.lock = threading.Lock()

    def next_step(self):
        with self.lock:
            n = self.count
            self.count += 1
        return n, self.steps[min(n, len(self.steps) - 1)]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections
    server_version = "vspc-sim"
    sys_version = ""

    def __init__(self, request, client_address, sim, conn_rec):
        self.sim = sim
        self.conn_rec = conn_rec
        self.graceful = True
        super().__init__(request, client_address, sim)

    def log_message(self, fmt, *args):
        if self.sim.verbose:
            sys.stderr.write("vspc_sim: %s - %s\n" % (
                self.client_address[0], fmt % args))

    def _dispatch(self):
        try:
            self.sim._handle(self)
        except OSError:  # the client went away: broken pipe, reset, TLS
            self.close_connection = True
            self.graceful = False

    do_GET = _dispatch
    do_HEAD = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_PATCH = _dispatch
    do_DELETE = _dispatch
    do_OPTIONS = _dispatch


class VspcSim:
    """The simulator.  Start with start() (or use as a context manager);
    every accepted connection and every request is recorded.

    A request record (requests()) holds: conn (connection id), method,
    target, path, query, version, headers, client_version, t (monotonic),
    wall (time.time()), status, step, and
      endpoint    "replication", "job" (BackupServerJob), "collection"
                  or None (no such route)
      uid         the job UID asked for (single-job endpoints)
      server      the backup server UID (per-server collection) or None
      anchor      the whole second (epoch) timestamps were made relative to
      end, end_whole, end_frac   the lastEndTime served (job endpoint)
      params      the parsed query string, limit, offset, expand,
      items, total, uids, paging_style   (collections) what the page held
      server_version, api_version   the VSPC version played and the API
                  version the request was served as (None: refused, then
                  outcome "unsupported_version" and version_error
                  "unsupported", "malformed" or "ambiguous")
      body, bearer, auth, and for the token endpoint form, grant_type,
      username, outcome, issued, read_only_sent, read_only  (see
                  "Accounts" in the module text)
      bearer_read_only   (auth "issued") whether the access token sent
                  is a read-only one"""

    def __init__(self, cert, key, *, token=DEFAULT_TOKEN, api_keys=(),
                 host="127.0.0.1", port=0, jobs=None, bsjobs=None,
                 fleet=None, defaults=True, verbose=False, accounts=(),
                 server_version=DEFAULT_SERVER_VERSION,
                 paging_style="standard"):
        self.profile_lock = threading.Lock()
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
        self.scenarios = {}  # (endpoint, uid) -> _Scenario
        self.defaults = defaults
        self.fleet = Fleet(default_fleet() if defaults else None)
        if defaults:
            for uid, spec in default_jobs().items():
                self.set_job(uid, spec)
            for uid, spec in default_bsjobs().items():
                self.set_bsjob(uid, spec)
        for uid, spec in (jobs or {}).items():
            self.set_job(uid, spec)
        for uid, spec in (bsjobs or {}).items():
            self.set_bsjob(uid, spec)
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

    # -- configuration ------------------------------------------------------
    def set_scenario(self, endpoint, uid, spec):
        """endpoint: "replication" or "job" (the BackupServerJob one)."""
        if endpoint not in ("replication", "job"):
            raise ValueError("unknown endpoint " + endpoint)
        scen = _Scenario(copy.deepcopy(spec))
        with self.jobs_lock:
            self.scenarios[(endpoint, uid)] = scen

    def set_job(self, uid, spec):
        """The replication endpoint's scenario for uid."""
        self.set_scenario("replication", uid, spec)

    def set_bsjob(self, uid, spec):
        """The BackupServerJob endpoint's scenario for uid."""
        self.set_scenario("job", uid, spec)

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

    def hits(self, uid, endpoint="replication"):
        with self.jobs_lock:
            scen = self.scenarios.get((endpoint, uid))
        return scen.count if scen else 0

    def set_fleet(self, spec=None):
        """What the collections list (see Fleet); None: the default."""
        fleet = Fleet(default_fleet() if spec is None and self.defaults
                      else copy.deepcopy(spec))
        with self.jobs_lock:
            self.fleet = fleet
        return fleet

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
        rec["state"] = "handshaking"
        conn.settimeout(10)
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True,
                                       do_handshake_on_connect=False)
            tls.do_handshake()
        except (ssl.SSLError, OSError) as exc:
            rec["state"] = "tls_failed"
            rec["tls_error"] = str(exc)
            return
        rec["state"] = "tls"
        rec["tls_version"] = tls.version()
        handler = None
        try:
            handler = _Handler(tls, peer, self, rec)
        except (OSError, ssl.SSLError):
            pass
        finally:
            if handler is None or handler.graceful:
                try:
                    tls.settimeout(0.5)
                    tls.unwrap()  # close_notify: a clean end of stream
                except (OSError, ssl.SSLError, ValueError):
                    pass
            try:
                tls.close()
            except OSError:
                pass

    def _handle(self, h):
        path, _, query = h.path.partition("?")
        client_version = h.headers.get("X-Client-Version")
        length = h.headers.get("Content-Length")
        body = b""
        if length and length.isdigit() and int(length) <= MIB:
            body = h.rfile.read(int(length))
        bearer = None
        auths = h.headers.get_all("Authorization") or []
        if len(auths) == 1:
            scheme, _, cred = auths[0].strip().partition(" ")
            if scheme.lower() == "bearer":
                bearer = cred.strip()
        req = self.log.add_req({
            "conn": h.conn_rec["id"], "method": h.command, "target": h.path,
            "path": path, "query": query, "version": h.request_version,
            "headers": list(h.headers.items()),
            "client_version": client_version, "t": time.monotonic(),
            "wall": time.time(), "endpoint": None, "uid": None,
            "server": None, "status": None, "body": body, "bearer": bearer,
            "auth": None,
        })
        # _send() notes the status before the answer leaves, so that a
        # record is complete by the time the client has its answer
        h.current_req = req
        try:
            self._answer(h, req, path, client_version)
        finally:
            self._note(req)

    @staticmethod
    def _route(path):
        """(endpoint, uid or backup server UID) or None (no such route)."""
        if path == COLLECTION_PATH:
            return "collection", None
        for prefix, endpoint in ((API_PREFIX, "replication"),
                                 (JOB_PREFIX, "job")):
            if path.startswith(prefix):
                rest = path[len(prefix):]
                if "/" in rest:
                    break
                return endpoint, rest
        if path.startswith(BASE_PATH):
            parts = path[len(BASE_PATH):].split("/")
            if len(parts) == 3 and parts[0] and \
                    parts[1:] == ["jobs", "replicationVmJobs"]:
                return "server_collection", parts[0]
        return None

    def _negotiate(self, h, req, path, route):
        """The API version the request is served as (see vspc_profiles):
        True, or False when it has been refused (400 sent)."""
        server = self.server_version
        api, refused = P.negotiate(
            server, h.headers.get_all("X-Client-Version") or [])
        req["server_version"] = server
        req["api_version"] = api
        if refused is None:
            return True
        req["outcome"] = "unsupported_version"
        req["version_error"] = refused[0]
        if path == TOKEN_PATH:
            req["endpoint"] = "token"
            form, field = self._token_form(h, req)
            grant = field("grant_type")
            acct = None
            if grant == "password":
                acct = self.tokens.get(field("username"))
            elif grant == "refresh_token":
                with self.tokens.lock:
                    rec = self.tokens.refresh.get(field("refresh_token"))
                    if rec is not None:
                        acct = self.tokens.accounts.get(rec["user"])
            req.update({"grant_type": grant, "issued": None,
                        "username": acct.username if acct else None})
        else:
            endpoint, key = route
            if endpoint in ("collection", "server_collection"):
                req["endpoint"] = "collection"
                req["server"] = key
            else:
                req["endpoint"] = endpoint
                req["uid"] = key
        uri = "https://%s%s" % (h.headers.get("Host") or self.authority,
                                h.path)
        body = json.dumps(P.refusal(uri, refused), separators=(",", ":"))
        body = body.encode("utf-8")
        req["status"] = 400
        self._send(h, 400, None,
                   [("Content-Type", "application/json; charset=utf-8")],
                   len(body), [body], framing="length", version="HTTP/1.1")
        return False

    def _answer(self, h, req, path, client_version):
        route = self._route(path)
        if (path == TOKEN_PATH or route is not None) and \
                not self._negotiate(h, req, path, route):
            return
        api = P.version_tuple(req.get("api_version")) or \
            P.version_tuple(LATEST_API_VERSION)
        if path == TOKEN_PATH:
            req["endpoint"] = "token"
            if h.command != "POST":
                req["status"] = 405
                self._send_json(h, 405, error_envelope(
                    "The requested method is not allowed.", "logical", 405),
                    extra_headers=[("Allow", "POST")])
                return
            self._serve_token(h, req, api)
            return
        req["auth"] = self._auth_kind(h.headers.get_all("Authorization")
                                      or [])
        if req["auth"] == "issued":
            with self.tokens.lock:
                rec = self.tokens.access.get(req["bearer"])
                req["bearer_read_only"] = bool(rec and rec["read_only"])
        if req["auth"] not in ("static", "issued"):
            req["status"] = 401
            self._send_json(h, 401, error_envelope(
                MSG_UNAUTHORIZED, "security", 401),
                extra_headers=[("WWW-Authenticate", "Bearer")])
            return
        if route is None:
            req["status"] = 404
            self._send_json(h, 404, error_envelope(MSG_NO_ROUTE, "logical",
                                                   404))
            return
        if h.command != "GET":
            req["status"] = 405
            self._send_json(h, 405, error_envelope(
                "The requested method is not allowed.", "logical", 405),
                extra_headers=[("Allow", "GET")])
            return
        endpoint, key = route
        req["endpoint"] = endpoint
        if endpoint in ("collection", "server_collection"):
            req["endpoint"] = "collection"
            req["server"] = key
            self._serve_collection(h, req, key, api)
            return
        uid = key
        req["uid"] = uid
        with self.jobs_lock:
            scen = self.scenarios.get((endpoint, uid))
            fleet = self.fleet
        if scen is None:
            spec = fleet.lookup(uid) if uid else None
            if spec is not None:
                scen = _Scenario({"job": spec})
        if scen is None:
            req["status"] = 404
            self._send_json(h, 404, error_envelope(
                MSG_JOB_MISSING if endpoint == "replication"
                else MSG_BSJOB_MISSING, "logical", 404))
            return
        n, step = scen.next_step()
        req["step"] = n
        req["status"] = self._play(h, step, n, api, req)

    # -- collections --------------------------------------------------------
    def _bad_request(self, h, req, message, parameter):
        req["status"] = 400
        self._send_json(h, 400, error_envelope(message, "logical", 400,
                                               parameterName=parameter))

    def _serve_collection(self, h, req, server, api):
        with self.jobs_lock:
            fleet = self.fleet
        params = urllib.parse.parse_qs(req["query"], keep_blank_values=True)
        req["params"] = params

        def integer(name, default, low, high):
            vals = params.get(name)
            if not vals:
                return default
            text = vals[-1]
            if not re.match(r"^-?[0-9]{1,12}$", text):
                return None
            value = int(text)
            return value if low <= value <= high else None

        limit = integer("limit", 100, 1, fleet.max_limit)
        if limit is None:
            return self._bad_request(
                h, req, "The limit parameter must be between 1 and %d."
                % fleet.max_limit, "limit")
        offset = integer("offset", 0, 0, 2147483647)
        if offset is None:
            return self._bad_request(
                h, req, "The offset parameter must be between 0 and "
                "2147483647.", "offset")
        expand = []
        for v in params.get("expand", []):
            expand += [e.strip() for e in v.split(",") if e.strip()]
        if any(e != "BackupServerJob" for e in expand):
            return self._bad_request(h, req, "The expand parameter is not "
                                     "valid.", "expand")
        expand = bool(expand)
        try:
            flt = _Filter(params["filter"][-1], api) \
                if params.get("filter") else None
        except ValueError as exc:
            return self._bad_request(h, req, "The filter parameter is not "
                                     "valid: %s" % exc, "filter")
        req.update({"limit": limit, "offset": offset, "expand": expand})

        if server is not None and fleet.unknown_server == "404" and \
                not any(s.get("server", DEFAULT_SERVER) == server
                        for s in fleet.specs(offset)):
            req["status"] = 404
            self._send_json(h, 404, error_envelope(MSG_SERVER_MISSING,
                                                   "logical", 404))
            return

        scen = fleet.pages.get(offset)
        step = {}
        if scen is not None:
            n, step = scen.next_step()
            req["step"] = n
            if any(k in step for k in ("data", "error", "status", "body",
                                       "body_b64", "big", "action", "job")):
                req["status"] = self._play(h, step, n, api, req)
                return
        if step.get("delay"):
            self.stopping.wait(float(step["delay"]))

        anchor = int(time.time())
        req["anchor"] = anchor
        if server is None and flt is None:
            indices = range(fleet.size(offset))
        else:
            indices = []
            for i in range(fleet.size(offset)):
                if i in fleet.non_objects:
                    if flt is None:
                        indices.append(i)
                    continue
                spec = fleet.spec_at(i, offset)
                if server is not None and \
                        spec.get("server", DEFAULT_SERVER) != server:
                    continue
                if flt is not None and not flt.match(spec, anchor):
                    continue
                indices.append(i)
        total = len(indices)
        if fleet.stall_at is not None and offset >= int(fleet.stall_at):
            page = []
        else:
            page = indices[offset:offset + fleet.oversize.get(offset, limit)]
        total = fleet.total_override.get(offset, total)
        count = fleet.count_override.get(offset, len(page))
        req["items"] = len(page)
        req["total"] = total
        req["uids"] = []

        items = []
        for i in page:
            if i in fleet.non_objects:
                items.append(json.dumps(fleet.non_objects[i]).encode())
                req["uids"].append(None)
                continue
            spec = fleet.spec_at(i, offset)
            if i in fleet.big_tasks:
                spec = dict(spec, tasks=fleet.big_tasks[i])
            embedded = None
            if expand and spec.get("embedded", True):
                embedded, _ = backup_server_job(spec, anchor)
            item = P.shape_replication_job(replication_job(spec, embedded),
                                           api)
            if fleet.shuffle:
                item = _rotated(item, i + offset // limit)
            req["uids"].append(spec["uid"])
            items.append(json.dumps(item, ensure_ascii=False).encode("utf-8"))

        meta = None
        style = fleet.paging_style or self.paging_style
        req["paging_style"] = style
        if fleet.paging == "meta":
            meta = b'"meta": ' + json.dumps({"pagingInfo": P.paging_info(
                style, total, count, offset)}).encode()
        elif fleet.paging == "null":
            meta = b'"meta": null'
        elif fleet.paging == "empty":
            meta = b'"meta": {}'
        meta_first = fleet.meta_first
        if meta_first is None:
            meta_first = (offset // limit) % 2 == 1
        pieces = [b"{"]
        if meta is not None and meta_first:
            pieces.append(meta + b", ")
        pieces.append(b'"data": [')
        for k, item in enumerate(items):
            pieces.append(item if k == 0 else b", " + item)
        pieces.append(b"]")
        if meta is not None and not meta_first:
            pieces.append(b", " + meta)
        pieces.append(b', "errors": null}')
        chunks = _coalesce(pieces, 65536)
        size = sum(len(c) for c in chunks)
        if step.get("truncate") is not None:
            body = b"".join(chunks)[:int(step["truncate"])]
            chunks, size = [body], len(body)
        self._send(h, 200, None,
                   [("Content-Type", "application/json; charset=utf-8")],
                   size, chunks, framing=step.get("framing", "length"),
                   version=step.get("http_version", "HTTP/1.1"),
                   extra_length=int(step.get("extra_length", 0)),
                   close=bool(step.get("close")))
        req["status"] = 200

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

    # -- the token endpoint -------------------------------------------------
    def _token_form(self, h, req):
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

    def _serve_token(self, h, req, api):
        form, field = self._token_form(h, req)
        tokens = self.tokens
        grant = field("grant_type")
        req["grant_type"] = grant
        acct = None
        refresh_rec = None
        if grant == "password":
            acct = tokens.get(field("username"))
        elif grant == "refresh_token":
            with tokens.lock:
                refresh_rec = tokens.refresh.get(field("refresh_token"))
                if refresh_rec is not None:
                    acct = tokens.accounts.get(refresh_rec["user"])
        if acct is not None:
            req["username"] = acct.username
            with tokens.lock:
                if grant == "password":
                    acct.password_grants += 1
                else:
                    acct.refresh_grants += 1
        step = {}
        if acct is not None and acct.scenario is not None:
            n, step = acct.scenario.next_step()
            req["step"] = n
            if any(k in step for k in ("data", "error", "status", "body",
                                       "body_b64", "big", "action", "job")):
                req["outcome"] = "scripted"
                req["status"] = self._play(h, step, n, api, req)
                return
        if step.get("delay"):
            self.stopping.wait(float(step["delay"]))

        status, answer = self._grant(req, form, field, grant, acct,
                                     refresh_rec, api)
        body = json.dumps(_shuffled(answer, random.Random(req["id"])))
        body = body.encode("utf-8")
        if step.get("truncate") is not None:
            body = body[:int(step["truncate"])]
        req["status"] = status
        self._send(h, status, None,
                   [("Content-Type", "application/json; charset=utf-8"),
                    ("Cache-Control", "no-store"), ("Pragma", "no-cache")],
                   len(body), [body], framing=step.get("framing", "length"),
                   version=step.get("http_version", "HTTP/1.1"),
                   extra_length=int(step.get("extra_length", 0)),
                   close=bool(step.get("close")))

    def _grant(self, req, form, field, grant, acct, refresh_rec, api=None):
        """(status, OAuth2Result or OAuth2Error) for a token request; the
        readOnly field counts only from API 3.6 on (older ones do not know
        it and ignore it)."""
        tokens = self.tokens
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

    # -- answering ----------------------------------------------------------
    def _play(self, h, step, n, api=None, req=None):
        if step.get("delay"):
            self.stopping.wait(float(step["delay"]))
        action = step.get("action")
        if action:
            return self._act(h, action)
        status = int(step.get("status", 200))
        headers = step.get("headers") or []
        if isinstance(headers, dict):
            headers = list(headers.items())
        headers = [(str(k), str(v)) for k, v in headers]
        ctype = step.get("content_type",
                         "application/json; charset=utf-8")
        if "big" in step:
            size, chunks = self._big_body(int(step["big"]))
        else:
            body = self._body(h, step, n, api, req)
            if "error" in step:
                status = int(step["error"].get("status", status))
            if step.get("truncate") is not None:
                body = body[:int(step["truncate"])]
            size, chunks = len(body), [body]
        if ctype is not None and not any(k.lower() == "content-type"
                                         for k, _ in headers):
            headers.insert(0, ("Content-Type", ctype))
        if status == 202 and not any(k.lower() == "location"
                                     for k, _ in headers):
            headers.append(("Location", "https://%s/api/v3/asyncActions/%s"
                            % (h.headers.get("Host", self.authority),
                               uuid.uuid4())))
        self._send(h, status, step.get("reason"), headers, size, chunks,
                   framing=step.get("framing", "length"),
                   version=step.get("http_version", "HTTP/1.1"),
                   extra_length=int(step.get("extra_length", 0)),
                   close=bool(step.get("close")))
        return status

    def _body(self, h, step, n, api=None, req=None):
        if "job" in step:
            anchor = int(time.time())
            spec = step["job"]
            bsj, end = backup_server_job(spec, anchor)
            if req is not None:
                req["anchor"] = anchor
                # end: epoch (float); end_whole + end_frac: exactly
                req["end"] = None if end is None else end[0] + end[1]
                req["end_whole"], req["end_frac"] = end or (None, None)
            if req is not None and req.get("endpoint") == "replication":
                data = replication_job(spec, decoy_job(spec["uid"])
                                       if spec.get("decoy", True) else None)
            else:
                data = bsj
            step = dict(step, data=data)
        if "data" in step:
            data = copy.deepcopy(step["data"])
            if step.get("versioned", True) and req is not None:
                data = _shape_data(data, req.get("endpoint"), api)
            env = {"data": data, "meta": None, "errors": None}
            env.update(step.get("envelope_extra", {}))
            if step.get("shuffle", True):
                rnd = random.Random(n * 7919 + len(h.path))
                env = _shuffled(env, rnd)
            return json.dumps(env, ensure_ascii=False).encode("utf-8")
        if "error" in step:
            err = dict(step["error"])
            err.pop("status", None)
            item = {"message": err.pop("message", "Error."),
                    "type": err.pop("type", "logical"),
                    "code": err.pop("code", 0)}
            item.update(err)
            return json.dumps({"errors": [item]}).encode("utf-8")
        if "body_b64" in step:
            return base64.b64decode(step["body_b64"])
        body = step.get("body", b"")
        if isinstance(body, bytes):
            return body
        if isinstance(body, str):
            return body.encode("utf-8")
        return json.dumps(body).encode("utf-8")

    @staticmethod
    def _big_body(size):
        head = b'{"data": {"protectedVmCount": 5, "filler": "'
        tail = b'"}, "meta": null, "errors": null}'
        fill = max(0, size - len(head) - len(tail))

        def gen():
            yield head
            piece = b"a" * 65536
            left = fill
            while left > 0:
                k = min(left, len(piece))
                yield piece[:k]
                left -= k
            yield tail
        return len(head) + fill + len(tail), gen()

    def _send(self, h, status, reason, headers, size, chunks, framing,
              version, extra_length=0, close=False):
        if reason is None:
            try:
                reason = HTTPStatus(status).phrase
            except ValueError:
                reason = "Unknown Error" if status == 520 else "Status"
        hdrs = [("Date", h.date_time_string()),
                ("Server", "vspc-sim")] + list(headers)
        if framing == "length":
            hdrs.append(("Content-Length", str(size + extra_length)))
        elif framing == "chunked":
            hdrs.append(("Transfer-Encoding", "chunked"))
        elif framing == "close":
            close = True
        else:
            raise ValueError("unknown framing " + framing)
        if extra_length or version != "HTTP/1.1" or h.close_connection:
            close = True
        if close and version == "HTTP/1.1":
            hdrs.append(("Connection", "close"))
        rec = getattr(h, "current_req", None)
        if rec is not None:
            rec["status"] = status
        head = "%s %d %s\r\n" % (version, status, reason)
        head += "".join("%s: %s\r\n" % kv for kv in hdrs) + "\r\n"
        out = h.wfile
        out.write(head.encode("latin-1"))
        if h.command != "HEAD":
            for chunk in chunks:
                if not chunk:
                    continue
                if framing == "chunked":
                    out.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                else:
                    out.write(chunk)
            if framing == "chunked":
                out.write(b"0\r\n\r\n")
        out.flush()
        if close:
            h.close_connection = True

    def _send_json(self, h, status, obj, extra_headers=()):
        body = json.dumps(obj).encode("utf-8")
        self._send(h, status, None,
                   [("Content-Type", "application/json; charset=utf-8")]
                   + list(extra_headers), len(body), [body],
                   framing="length", version="HTTP/1.1")

    def _act(self, h, action):
        sock = h.connection
        h.close_connection = True
        if action == "hang":
            _wait_peer_close(sock, self.stopping)
            h.graceful = False
            return None
        if action in ("drip_headers", "drip_body"):
            if action == "drip_headers":
                start = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json"
                         b"\r\nX-Drip: ")
            else:
                start = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json;"
                         b" charset=utf-8\r\nContent-Length: 100000000\r\n\r\n"
                         b'{"data": {"protectedVmCount": 5, "filler": "')
            h.graceful = False
            try:
                h.wfile.write(start)
                h.wfile.flush()
                while not self.stopping.wait(0.5):
                    h.wfile.write(b"a")
                    h.wfile.flush()
            except (OSError, ssl.SSLError):
                pass
            return 200
        if action == "reset":
            h.graceful = False
            for f in (h.rfile, h.wfile):
                try:
                    f.close()
                except OSError:
                    pass
            _rst_close(sock)
            return None
        if action == "close":
            return None
        raise ValueError("unknown action " + action)


def _legacy_swap(data):
    """API 3.5: instanceUid held the VSPC UID; the Veeam B&R job UID
    travelled as originalUid.  (Kept for callers; the simulator shapes
    answers with vspc_profiles.)"""
    if "uniqueUid" in data:
        data["originalUid"] = data.get("instanceUid")
        data["instanceUid"] = data.pop("uniqueUid")


def _shape_data(data, endpoint, api):
    """A data step's object as API version api has it (in place): a
    replication job, a BackupServerJob, or a collection page's items."""
    if api is None:
        return data
    if endpoint == "replication":
        return P.shape_replication_job(data, api)
    if endpoint == "job":
        return P.shape_backup_server_job(data, api)
    if endpoint == "collection" and isinstance(data, list):
        for item in data:
            P.shape_replication_job(item, api)
    return data


def _coalesce(pieces, size):
    """Join small byte strings into pieces of about size bytes."""
    out, cur, n = [], [], 0
    for p in pieces:
        cur.append(p)
        n += len(p)
        if n >= size:
            out.append(b"".join(cur))
            cur, n = [], 0
    if cur:
        out.append(b"".join(cur))
    return out


class _Filter:
    """The VSPC filter query parameter: URL-decoded JSON, an array of
    {"property", "operation", "value"} expressions that must all hold;
    equals, notEquals, in, contains, and, or, not.  property is a path
    into the BackupServerReplicationVmJob (dots separate keys;
    "_embedded.backupServerJob.name" reaches the job), as API version api
    shows it (None: the newest)."""

    OPS = ("equals", "notEquals", "in", "contains", "and", "or", "not")

    def __init__(self, text, api=None):
        self.api = api
        try:
            exprs = json.loads(text)
        except ValueError:
            raise ValueError("not JSON")
        if not isinstance(exprs, list):
            raise ValueError("not an array")
        for e in exprs:
            self._check(e)
        self.exprs = exprs

    def _check(self, e):
        if not isinstance(e, dict) or e.get("operation") not in self.OPS:
            raise ValueError("bad expression %s" % json.dumps(e)[:80])
        if e["operation"] in ("and", "or", "not"):
            items = e.get("items")
            if not isinstance(items, list) or not items:
                raise ValueError("%s needs items" % e["operation"])
            for i in items:
                self._check(i)
        elif not isinstance(e.get("property"), str) or not e["property"]:
            raise ValueError("expression without property")
        elif e["operation"] == "in" and not isinstance(e.get("value"), list):
            raise ValueError("in needs an array value")

    def match(self, spec, anchor):
        item = P.shape_replication_job(replication_job(spec), self.api)
        return all(self._eval(e, spec, item, anchor) for e in self.exprs)

    def _eval(self, e, spec, item, anchor):
        op = e["operation"]
        if op == "and":
            return all(self._eval(i, spec, item, anchor) for i in e["items"])
        if op == "or":
            return any(self._eval(i, spec, item, anchor) for i in e["items"])
        if op == "not":
            return not self._eval(e["items"][0], spec, item, anchor)
        path = e["property"].split(".")
        obj = item
        if path[0] == "_embedded":
            obj = {"_embedded": {"backupServerJob": P.shape_backup_server_job(
                backup_server_job(spec, anchor)[0], self.api)}}
        for key in path:
            if not isinstance(obj, dict) or key not in obj:
                if path[0] in REPLICATION_KEYS or path[0] == "_embedded":
                    obj = None
                    break
                raise ValueError("unknown property %s" % e["property"])
            obj = obj[key]
        value = e.get("value")
        if op == "equals":
            return _filter_eq(obj, value, e)
        if op == "notEquals":
            return not _filter_eq(obj, value, e)
        if op == "in":
            return any(_filter_eq(obj, v, e) for v in value)
        if op == "contains":
            return isinstance(obj, str) and isinstance(value, str) and \
                value.lower() in obj.lower()
        return False


REPLICATION_KEYS = ("instanceUid", "uniqueUid", "protectedVmCount",
                    "isCloudJob", "cloudHostUid", "targetHostUid",
                    "sourceWanAcceleratorUid", "targetWanAcceleratorUid",
                    "throughWanAccelerators", "_embedded")


def _filter_eq(a, b, expr):
    if isinstance(a, str) and isinstance(b, str) and \
            expr.get("collation") == "ignorecase":
        return a.lower() == b.lower()
    if isinstance(a, str) and isinstance(b, str) and \
            re.match(r"^[0-9a-fA-F-]{36}$", a):
        return a.lower() == b.lower()  # UIDs compare as UIDs
    return type(a) is type(b) and a == b


def _rotated(item, k):
    """item with its keys, and those of its embedded job, rotated by
    amounts that depend on k: a cheap key order that varies per item."""
    emb = item.get("_embedded")
    if isinstance(emb, dict) and isinstance(emb.get("backupServerJob"),
                                            dict):
        job = emb["backupServerJob"]
        keys = list(job)
        r = (k * 7) % len(keys) if keys else 0
        emb["backupServerJob"] = {key: job[key]
                                  for key in keys[r:] + keys[:r]}
    keys = list(item)
    r = (k * 3) % len(keys) if keys else 0
    return {key: item[key] for key in keys[r:] + keys[:r]}


def _shuffled(obj, rnd):
    """A copy of obj with the keys of every object in a random order."""
    if isinstance(obj, dict):
        items = list(obj.items())
        rnd.shuffle(items)
        return {k: _shuffled(v, rnd) for k, v in items}
    if isinstance(obj, list):
        return [_shuffled(v, rnd) for v in obj]
    return obj


# --------------------------------------------------------------------------
# Standalone
# --------------------------------------------------------------------------

def _load_fixtures(path):
    with open(path, encoding="utf-8") as f:
        obj = json.load(f)
    if not isinstance(obj, dict):
        raise ValueError("fixtures file must hold a JSON object")
    if any(k in obj for k in ("jobs", "backupServerJobs", "fleet")):
        return (obj.get("jobs") or {}, obj.get("backupServerJobs") or {},
                obj.get("fleet"))
    return obj, {}, None


def read_credentials(path):
    """(username, password) from a file of username= and password= lines
    (# comments; the value is everything after the first =)."""
    user = password = None
    with open(path, encoding="utf-8", newline="") as f:
        for line in f.read().split("\n"):
            line = line[:-1] if line.endswith("\r") else line
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, value = line.partition("=")
            if key.strip() == "username":
                user = value
            elif key.strip() == "password":
                password = value
    return user, password


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="VSPC REST API v3 simulator (HTTPS) for "
                    "check_vspc_replication")
    ap.add_argument("--make-certs", metavar="DIR",
                    help="create a test CA and server certificates in DIR, "
                         "print their paths and exit")
    ap.add_argument("--cert", help="server certificate (PEM)")
    ap.add_argument("--key", help="server private key (PEM)")
    ap.add_argument("--bind", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1; ::1 "
                         "for IPv6)")
    ap.add_argument("--port", type=int, default=0,
                    help="port (default 0: any free port)")
    ap.add_argument("--token", help="accepted bearer token")
    ap.add_argument("--token-file", help="file whose first line is the "
                                         "accepted bearer token")
    ap.add_argument("--api-key", action="append", default=[],
                    help="further accepted key (repeatable)")
    ap.add_argument("--fixtures", help="JSON file {uid: scenario} added to "
                                       "(or overriding) the built-in jobs")
    ap.add_argument("--no-defaults", action="store_true",
                    help="do not serve the built-in jobs")
    ap.add_argument("--fleet", type=int, metavar="N",
                    help="the collections list the built-in jobs and N "
                         "generated ones (a fixtures fleet wins)")
    ap.add_argument("--fleet-seed", type=int, default=1, metavar="S",
                    help="seed of the generated jobs (default 1)")
    ap.add_argument("--credentials-file", metavar="F",
                    help="add the account of F (username= and password= "
                         "lines, as check_vspc_replication reads them) to "
                         "the token endpoint")
    ap.add_argument("--expires-in", type=int, default=3600, metavar="S",
                    help="lifetime of the access tokens it issues (default "
                         "3600)")
    ap.add_argument("--server-version", choices=SERVER_VERSIONS,
                    default=DEFAULT_SERVER_VERSION,
                    help="VSPC version to play (default %s): 8.0 accepts "
                         "X-Client-Version 3.4; 8.1 also 3.5 and 3.5.1; "
                         "9.0 also 3.6; 9.1 also 3.6.1; 9.2 also 3.6.2. "
                         "Other versions answer 400 UnsupportedApiVersion; "
                         "no header means the newest accepted"
                         % DEFAULT_SERVER_VERSION)
    ap.add_argument("--paging-style", choices=PAGING_STYLES,
                    default="standard",
                    help="meta.pagingInfo of the collections: standard "
                         "(total, count, offset), skip (total, count, "
                         "skip) or total_only (default standard)")
    ap.add_argument("--log", action="store_true",
                    help="log each request on stderr")
    args = ap.parse_args(argv)

    if args.make_certs:
        for k, v in sorted(make_certs(args.make_certs).items()):
            print("%s %s" % (k, v))
        return 0
    if not args.cert or not args.key:
        ap.error("--cert and --key are required (see --make-certs)")
    token = args.token
    if args.token_file:
        with open(args.token_file, encoding="utf-8") as f:
            token = f.readline().strip()
    if not token:
        ap.error("a token is required (--token or --token-file)")
    accounts = []
    if args.credentials_file:
        user, password = read_credentials(args.credentials_file)
        if user is None or password is None:
            ap.error("%s lacks a username= or password= line"
                     % args.credentials_file)
        accounts.append(Account(user, password, expires_in=args.expires_in))
    jobs, bsjobs, fleet = {}, {}, None
    if args.fixtures:
        jobs, bsjobs, fleet = _load_fixtures(args.fixtures)
    if fleet is None and args.fleet is not None:
        fleet = dict(default_fleet() if not args.no_defaults else {},
                     count=args.fleet, seed=args.fleet_seed)

    sim = VspcSim(args.cert, args.key, token=token, api_keys=args.api_key,
                  host=args.bind, port=args.port, jobs=jobs, bsjobs=bsjobs,
                  fleet=fleet, defaults=not args.no_defaults,
                  verbose=args.log, accounts=accounts,
                  server_version=args.server_version,
                  paging_style=args.paging_style)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    sim.start()
    sys.stdout.write("PORT %d\n" % sim.port)
    sys.stdout.flush()
    while not done.wait(1.0):
        pass
    sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

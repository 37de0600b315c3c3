#!/usr/bin/python3
"""A minimal Python JSON check, the benchmark's stand-in for check_http_json.

It does what a typical Python plugin does for one VSPC replication job: one
HTTPS GET with urllib (certificate and host name verified against --ca-file
alone), the Bearer token from --token-file, json.loads of the answer, and
data.protectedVmCount printed as a Nagios status line with perfdata.
Exit 0 OK; 3 UNKNOWN with a one-line reason on any failure.

    check_json.py --url URL --ca-file CA --token-file FILE [--timeout S]

Standard library only; run it with Debian's /usr/bin/python3.
"""

import argparse
import json
import ssl
import sys
import urllib.error
import urllib.request


def unknown(reason):
    print("JSON UNKNOWN - %s" % reason)
    return 3


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--ca-file", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args(argv)

    try:
        with open(args.token_file, encoding="utf-8") as f:
            token = f.readline().strip()
    except OSError as e:
        return unknown("cannot read the token file: %s" % e.strerror)
    ctx = ssl.create_default_context(cafile=args.ca_file)
    req = urllib.request.Request(args.url, headers={
        "Authorization": "Bearer " + token,
        "Accept": "application/json",
        "X-Client-Version": "3.6"})
    try:
        with urllib.request.urlopen(req, timeout=args.timeout,
                                    context=ctx) as resp:
            body = resp.read(8 << 20)
    except urllib.error.HTTPError as e:
        return unknown("HTTP %d" % e.code)
    except (urllib.error.URLError, OSError) as e:
        return unknown("request failed: %s" % getattr(e, "reason", e))
    try:
        count = json.loads(body)["data"]["protectedVmCount"]
    except (ValueError, KeyError, TypeError):
        return unknown("no data.protectedVmCount in the answer")
    if not isinstance(count, int) or isinstance(count, bool):
        return unknown("data.protectedVmCount is not an integer")
    print("JSON OK - protectedVmCount %d | protected_vms=%d;;;0;"
          % (count, count))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The simulator's test PKI (see vspc_sim.py): a CA and server
certificates made with the openssl command-line tool.

Standard library only."""

import os
import subprocess

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


"""Another local user gets nothing from the engines of a running `packyard up`.

The probes run as ``nobody`` (setpriv, from this root test process) with the system Python, on
the loopback ports and the socket of a stack with every engine embedded: PostgreSQL's socket
is out of reach, NATS refuses a client without credentials, SeaweedFS serves no blob except
through S3 with its keys, and its internal gRPC wants a certificate.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from packyard.up import Stack, StackError

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="probing as another user needs root and setpriv",
)

_EMBEDDED = {"PACKYARD_DATABASE_URL": "", "PACKYARD_NATS_URL": "", "PACKYARD_S3_ENDPOINT": ""}
_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
# Runs as nobody with /usr/bin/python3: one line of JSON, {probe: what it got}.
_PROBE = r"""
import glob, json, os, socket, ssl, sys, urllib.error, urllib.request

target = json.loads(sys.argv[1])
out = {}

def attempt(name, fn):
    try:
        out[name] = fn()
    except OSError as exc:
        out[name] = type(exc).__name__

def http(method, port, path, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"

def answers_http2(sock):
    sock.sendall(PREFACE)
    data = sock.recv(64)
    return "http2" if len(data) >= 9 and data[3] == 4 else "no http2"

def grpc_plaintext(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        return answers_http2(sock)

def grpc_tls_without_certificate(port):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw) as sock:
                return answers_http2(sock)
    except ssl.SSLError as exc:
        return f"tls refused: {exc.reason}"

def unix(path):
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(path)
    return "connected"

def nats_publish(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.recv(4096)  # INFO
        forged = b"PUB packyard.file.cached.main 1\r\nx\r\n"
        sock.sendall(b'CONNECT {"verbose":false}\r\n' + forged + b"PING\r\n")
        return sock.recv(4096).decode(errors="replace").strip()

attempt("data_dir_list", lambda: os.listdir(target["data_dir"]))
attempt("postgres_socket", lambda: unix(target["pg_socket"]))
attempt("nats_publish", lambda: nats_publish(target["nats"]))
weed = target["weed"]
fid = "/1,01637037d6"
attempt("master_assign", lambda: http("GET", weed["master"], "/dir/assign"))
drop = "/col/delete?collection=packyard"
attempt("master_col_delete", lambda: http("POST", weed["master"], drop))
attempt("volume_read", lambda: http("GET", weed["volume"], fid))
attempt("volume_write", lambda: http("POST", weed["volume"], fid, b"evil"))
attempt("volume_delete", lambda: http("DELETE", weed["volume"], fid))
attempt("filer_list", lambda: http("GET", weed["filer"], "/buckets/packyard/"))
attempt("filer_write", lambda: http("PUT", weed["filer"], "/buckets/packyard/evil", b"evil"))
attempt("s3_list", lambda: http("GET", weed["s3"], "/packyard/"))
attempt("s3_read", lambda: http("GET", weed["s3"], "/packyard/probe-object"))
for part in ("master", "volume", "filer", "s3"):
    port = weed[f"{part}_grpc"]
    attempt(f"{part}_grpc_plaintext", lambda: grpc_plaintext(port))
    attempt(f"{part}_grpc_tls", lambda: grpc_tls_without_certificate(port))
    # weed also serves its gRPC on a Unix socket in /tmp, named after the port.
    for path in glob.glob(f"/tmp/seaweedfs-*-{port}.sock"):
        attempt(f"{part}_grpc_socket", lambda: unix(path))
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def embedded_stack() -> Iterator[Stack]:
    # Outside pytest's basetemp, which a concurrent pytest session may prune (see test_up).
    with tempfile.TemporaryDirectory(prefix="packyard-probe-") as tmp:
        stack = Stack(Path(tmp) / "data", env=_EMBEDDED, durable=False)
        try:
            stack.start_sync()
        except StackError as exc:
            raise AssertionError("\n".join([str(exc), *exc.log_tail])) from exc
        try:
            yield stack
        finally:
            stack.stop()


def _target(stack: Stack) -> dict[str, object]:
    database = urlsplit(stack.env["PACKYARD_DATABASE_URL"])
    socket_dir = parse_qs(database.query)["host"][0]
    weed = json.loads((stack.data_dir / "s3" / "weed-ports.json").read_text())
    return {
        "data_dir": str(stack.data_dir / "s3"),
        "pg_socket": f"{socket_dir}/.s.PGSQL.5432",
        "nats": urlsplit(stack.env["PACKYARD_NATS_URL"]).port,
        "weed": weed,
    }


def probe_as_nobody(stack: Stack) -> dict[str, object]:
    """What ``nobody`` gets from each engine of ``stack`` (see _PROBE)."""
    result = subprocess.run(
        [*_NOBODY, "/usr/bin/python3", "-c", _PROBE, json.dumps(_target(stack))],
        capture_output=True, text=True, timeout=60, cwd="/", check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_another_local_user_gets_nothing_from_the_engines(embedded_stack: Stack) -> None:
    got = probe_as_nobody(embedded_stack)
    # Engine data and PostgreSQL's socket are out of reach.
    assert got["data_dir_list"] == "PermissionError"
    assert got["postgres_socket"] == "PermissionError"
    # NATS wants credentials before anything else.
    assert "Authorization Violation" in str(got["nats_publish"])
    # SeaweedFS: the master's and the filer's HTTP APIs are off, the volume server wants a
    # token signed for the blob, and S3 without keys is refused.
    for probe in ("master_assign", "master_col_delete", "filer_list", "filer_write"):
        assert got[probe] == 404, (probe, got[probe])
    for probe in ("volume_read", "volume_write", "volume_delete"):
        assert got[probe] == 401, (probe, got[probe])
    assert got["s3_list"] == 403 and got["s3_read"] == 403
    # weed's own gRPC wants a client certificate from its private CA.
    for part in ("master", "volume", "filer", "s3"):
        assert got[f"{part}_grpc_plaintext"] in {"no http2", "ConnectionResetError"}, part
        assert got[f"{part}_grpc_tls"] == "tls refused: TLSV13_ALERT_CERTIFICATE_REQUIRED", part
        assert got.get(f"{part}_grpc_socket", "PermissionError") == "PermissionError", part

"""Access control against the running stack: who may read, publish, yank and administer which
feed, credential failures, rate limiting, real pip/uv/twine with keys, revocation on two
gateways, and no secret in any log.

Tests that make failed authentications talk from a loopback source address of their own
(127.x.y.z), so the per-address rate limit of one test never touches another.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import socket
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from packyard.protocol.names import normalize
from packyard.up import Stack
from packyard_rpc.v1 import access_pb2, access_pb2_grpc

from tests.e2e.conftest import run, tool
from tests.fixtures.dists import build_wheel
from tests.fixtures.gateways import extra_gateway
from tests.fixtures.polling import wait_until
from tests.fixtures.tls import service_channel

# PEP 691 for index pages, JSON error bodies ({"code", "message"}) everywhere.
JSON = {"Accept": "application/vnd.pypi.simple.v1+json, application/json"}
PASSWORD = "correct horse battery staple"


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def _source_address() -> str:
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


def _client(stack: Stack, auth: tuple[str, str] | None = None, source: str = "") -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source or _source_address())
    return httpx.Client(
        base_url=stack.base_url, auth=auth, headers=JSON, timeout=60, transport=transport
    )


def _ok(reply: httpx.Response) -> httpx.Response:
    assert reply.status_code < 300, (reply.status_code, reply.text)
    return reply


def _upload(client: httpx.Client, feed: str, wheel: Path, project: str, version: str) -> int:
    data = wheel.read_bytes()
    reply = client.post(
        f"/pypi/{feed}/legacy/",
        data={
            ":action": "file_upload",
            "protocol_version": "1",
            "metadata_version": "2.1",
            "name": project,
            "version": version,
            "filetype": "bdist_wheel",
            "pyversion": "py3",
            "sha256_digest": hashlib.sha256(data).hexdigest(),
        },
        files={"content": (wheel.name, data, "application/octet-stream")},
    )
    return reply.status_code


@dataclass
class World:
    """Two private feeds and one principal per role, with rights on ``own`` only."""

    own: str
    other: str
    project: str
    credentials: dict[str, tuple[str, str] | None]


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Iterator[httpx.Client]:
    with _client(stack, ("api", str(stack.admin_key)), source="127.0.0.1") as client:
        yield client


def _key(admin: httpx.Client, name: str, **body: object) -> str:
    reply = _ok(admin.post("/api/v1/keys", json={"name": name, **body}))
    return str(reply.json()["key"])


@pytest.fixture(scope="module")
def world(stack: Stack, admin: httpx.Client, tmp_path_factory: pytest.TempPathFactory) -> World:
    own, other = _unique("own-"), _unique("other-")
    for feed in (own, other):
        _ok(admin.post("/api/v1/feeds", json={"name": feed, "description": "private"}))
    project = _unique("matrix_pkg_")
    wheel = build_wheel(tmp_path_factory.mktemp("matrix"), project, "1.0")
    for feed in (own, other):
        assert _upload(admin, feed, wheel, project, "1.0") == 200
    yanker, owner_user = _unique("yanker-"), _unique("feedadmin-")
    for user in (yanker, owner_user):
        _ok(admin.post("/api/v1/users", json={"name": user, "password": PASSWORD}))
    _ok(admin.put(f"/api/v1/feeds/{own}/permissions/{yanker}", json={"right": "yank"}))
    _ok(admin.put(f"/api/v1/feeds/{own}/permissions/{owner_user}", json={"right": "admin"}))
    return World(
        own=own,
        other=other,
        project=project,
        credentials={
            "anonymous": None,
            "reader": ("api", _key(admin, "r", permissions=[{"feed": own, "right": "read"}])),
            "publisher": (
                "api",
                _key(admin, "p", permissions=[{"feed": own, "right": "publish"}]),
            ),
            "yanker": (yanker, PASSWORD),
            "feed_admin": ("api", _key(admin, "fa", owner=owner_user)),
            "admin": ("api", str(stack.admin_key)),
        },
    )


ACTIONS = ("read", "upload", "yank", "delete", "administer")
# The actions each role may take on its own feed; on the other feed only "admin" may act.
ALLOWED_ON_OWN = {
    "anonymous": set(),
    "reader": {"read"},
    "publisher": {"read", "upload"},
    "yanker": {"read", "upload", "yank", "delete"},
    "feed_admin": set(ACTIONS),
    "admin": set(ACTIONS),
}
# What "allowed" looks like per action: each delete targets a real file, uploaded for it.
SUCCESS = {"read": 200, "upload": 200, "yank": 200, "delete": 200, "administer": 200}


def _attempt(
    client: httpx.Client, admin: httpx.Client, world: World, feed: str, action: str,
    tmp_path: Path,
) -> int:  # fmt: skip
    project = world.project
    if action == "read":
        page = f"/pypi/{feed}/simple/{normalize(project)}/"
        return client.get(page, headers={"Accept": "text/html"}).status_code
    if action == "upload":
        version = f"2.{uuid.uuid4().int % 10**8}"
        wheel = build_wheel(tmp_path, project, version)
        return _upload(client, feed, wheel, project, version)
    if action == "yank":
        path = f"/api/v1/feeds/{feed}/projects/{project}/releases/1.0/yank"
        return client.post(path, json={"reason": "matrix"}).status_code
    if action == "delete":
        version = f"3.{uuid.uuid4().int % 10**8}"
        wheel = build_wheel(tmp_path, project, version)
        assert _upload(admin, feed, wheel, project, version) == 200
        reply = client.delete(f"/api/v1/feeds/{feed}/files/{wheel.name}")
        if reply.status_code == 200:
            assert reply.json()["deleted"] == wheel.name
            page = admin.get(f"/pypi/{feed}/simple/{normalize(project)}/").json()
            assert wheel.name not in [f["filename"] for f in page["files"]]
        return reply.status_code
    return client.patch(f"/api/v1/feeds/{feed}", json={"description": "changed"}).status_code


@pytest.mark.parametrize("role", list(ALLOWED_ON_OWN))
def test_permission_matrix(
    stack: Stack, admin: httpx.Client, world: World, role: str, tmp_path: Path
) -> None:
    results: dict[tuple[str, str], int] = {}
    expected: dict[tuple[str, str], int] = {}
    with _client(stack, world.credentials[role]) as client:
        for which, feed in (("own", world.own), ("other", world.other)):
            for action in ACTIONS:
                allowed = action in ALLOWED_ON_OWN[role] and (which == "own" or role == "admin")
                denied = 401 if role == "anonymous" else 403
                expected[(which, action)] = SUCCESS[action] if allowed else denied
                results[(which, action)] = _attempt(client, admin, world, feed, action, tmp_path)
    assert results == expected


def test_denials_say_why_and_ask_for_basic_auth(stack: Stack, world: World) -> None:
    with _client(stack) as anonymous:
        reply = anonymous.get(f"/pypi/{world.own}/simple/")
        assert reply.status_code == 401
        assert reply.headers["www-authenticate"] == 'Basic realm="packyard"'
        assert world.own in reply.json()["message"]
    with _client(stack, world.credentials["reader"]) as reader:
        reply = reader.post(f"/pypi/{world.own}/legacy/", content=b"x" * 100)
        assert reply.status_code == 403
        assert reply.json()["message"] == f"The given key isn't allowed to upload to '{world.own}'."
        reply = reader.delete(f"/api/v1/feeds/{world.own}/files/x.whl")
        assert reply.status_code == 403
        assert "may not yank or delete in feed" in reply.json()["message"]


def test_refused_upload_is_answered_before_the_body(stack: Stack, world: World) -> None:
    # Announce 200 MB and send none of it: the answer must come without reading the body.
    auth = world.credentials["reader"]
    assert auth is not None
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    host, port = stack.base_url.removeprefix("http://").split(":")
    head = (
        f"POST /pypi/{world.own}/legacy/ HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Basic {token}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {200 * 1000 * 1000}\r\n\r\n--x\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode())
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 403 ")


def test_key_lifecycle_expiry_and_revocation(stack: Stack, admin: httpx.Client) -> None:
    feed = _unique("keys-")
    _ok(admin.post("/api/v1/feeds", json={"name": feed}))
    # Long enough that the key is certainly still valid for the first request under load.
    soon = datetime.now(UTC) + timedelta(seconds=6)
    created = _ok(
        admin.post(
            "/api/v1/keys",
            json={"name": "ci", "permissions": [{"feed": feed, "right": "read"}],
                  "expires": soon.isoformat()},
        )
    ).json()  # fmt: skip
    key, prefix = created["key"], created["prefix"]
    assert key.startswith(f"pky_{prefix}_")
    listed = _ok(admin.get("/api/v1/keys")).json()
    mine = [k for k in listed if k["prefix"] == prefix]
    assert mine and "key" not in mine[0] and key not in str(listed)

    with _client(stack, ("api", key)) as client:
        assert client.get(f"/pypi/{feed}/simple/").status_code == 200
        wait_until(lambda: client.get(f"/pypi/{feed}/simple/").status_code == 401,
                   what="the expired key refused")  # fmt: skip
        # Refused because it expired, not by accident: the expiry had passed by then.
        assert datetime.now(UTC) >= soon

    other = _key(admin, "ci2", permissions=[{"feed": feed, "right": "read"}])
    other_prefix = other[len("pky_") : len("pky_") + 12]
    with _client(stack, ("api", other)) as client:
        assert client.get(f"/pypi/{feed}/simple/").status_code == 200
        _ok(admin.delete(f"/api/v1/keys/{other_prefix}"))
        wait_until(lambda: client.get(f"/pypi/{feed}/simple/").status_code == 401,
                   what="the revoked key refused")  # fmt: skip
    revoked = [k for k in _ok(admin.get("/api/v1/keys?include_revoked=true")).json()
               if k["prefix"] == other_prefix]  # fmt: skip
    assert revoked[0]["revoked"] is not None


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        "Basic",
        "Basic !!!",
        _basic(b"api"),
        _basic(b"api:"),
        _basic(b"\xff:\xfe"),
        _basic(b"api:pky_notakey"),
        _basic(b"api:pky_AAAAAAAAAAAA_" + b"A" * 43),
        _basic(b"nobody:" + PASSWORD.encode()),
    ],
)
def test_malformed_or_wrong_credentials_are_401(stack: Stack, world: World, header: str) -> None:
    with _client(stack) as client:
        reply = client.get(f"/pypi/{world.own}/simple/", headers={"Authorization": header})
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == 'Basic realm="packyard"'
    assert reply.json()["message"] == "Invalid or non-existent authentication information."


def test_wrong_password_and_disabled_user(stack: Stack, admin: httpx.Client, world: World) -> None:
    name = _unique("pw-")
    _ok(admin.post("/api/v1/users", json={"name": name, "password": PASSWORD}))
    _ok(admin.put(f"/api/v1/feeds/{world.own}/permissions/{name}", json={"right": "read"}))
    with _client(stack) as client:
        url = f"/pypi/{world.own}/simple/"
        assert client.get(url, auth=(name, PASSWORD)).status_code == 200
        wrong = client.get(url, auth=(name, PASSWORD + "x"))
        unknown = client.get(url, auth=(_unique("ghost-"), PASSWORD))
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.content == unknown.content
        _ok(admin.patch(f"/api/v1/users/{name}", json={"disabled": True}))
        wait_until(lambda: client.get(url, auth=(name, PASSWORD)).status_code == 401,
                   what="the disabled user refused")  # fmt: skip


def _locked_user(admin: httpx.Client, world: World) -> str:
    name = _unique("target-")
    _ok(admin.post("/api/v1/users", json={"name": name, "password": PASSWORD}))
    _ok(admin.put(f"/api/v1/feeds/{world.own}/permissions/{name}", json={"right": "read"}))
    return name


def test_failed_logins_lock_that_user_at_that_address_only(
    stack: Stack, admin: httpx.Client, world: World
) -> None:
    url = f"/pypi/{world.own}/simple/"
    target = _locked_user(admin, world)
    source = _source_address()
    with _client(stack, source=source) as attacker, _client(stack) as bystander:
        codes = [attacker.get(url, auth=(target, f"guess{i}")).status_code for i in range(10)]
        assert codes == [401] * 10
        # The guessed user is locked at this address, even with the right password...
        blocked = attacker.get(url, auth=(target, PASSWORD))
        assert blocked.status_code == 429
        assert 1 <= int(blocked.headers["retry-after"]) <= 60
        # ...while another credential from the same address still works (an ingress's address
        # is everyone's), and so does the same user from another address.
        assert attacker.get(url, auth=world.credentials["admin"]).status_code == 200
        assert attacker.get(url, auth=world.credentials["reader"]).status_code == 200
        assert bystander.get(url, auth=(target, PASSWORD)).status_code == 200


def test_gateways_share_the_failure_count(stack: Stack, admin: httpx.Client, world: World) -> None:
    url = f"/pypi/{world.own}/simple/"
    target = _locked_user(admin, world)
    source = _source_address()
    transport = httpx.HTTPTransport(local_address=source)
    with extra_gateway(stack) as other_url, httpx.Client(
        base_url=other_url, headers=JSON, timeout=60, transport=transport
    ) as second, _client(stack, source=source) as first:  # fmt: skip
        for i in range(5):
            assert first.get(url, auth=(target, f"guess{i}")).status_code == 401
            assert second.get(url, auth=(target, f"again{i}")).status_code == 401
        assert first.get(url, auth=(target, PASSWORD)).status_code == 429
        assert second.get(url, auth=(target, PASSWORD)).status_code == 429


def test_audit_log_records_who_what_when_where(stack: Stack, world: World) -> None:
    source = _source_address()
    with _client(stack, world.credentials["yanker"], source=source) as yanker:
        path = f"/api/v1/feeds/{world.own}/projects/{world.project}/releases/1.0"
        _ok(yanker.post(path + "/yank", json={"reason": "audit test"}))
        _ok(yanker.post(path + "/unyank"))
    with _client(stack, ("api", str(stack.admin_key)), source="127.0.0.1") as admin:
        events = _ok(admin.get("/api/v1/audit", params={"feed": world.own})).json()
    yanks = [e for e in events if e["action"] == "release.yanked" and e["client_address"] == source]
    assert yanks and yanks[0]["actor"] == world.credentials["yanker"][0]  # type: ignore[index]
    assert (
        yanks[0]["target"] == f"{normalize(world.project)}==1.0"
        and yanks[0]["detail"] == "audit test"
    )
    assert {e["action"] for e in events} >= {
        "feed.created", "file.uploaded", "permission.set", "release.unyanked",
    }  # fmt: skip
    with _client(stack, world.credentials["feed_admin"]) as feed_admin:
        assert feed_admin.get("/api/v1/audit", params={"feed": world.own}).status_code == 200
        assert feed_admin.get("/api/v1/audit", params={"feed": world.other}).status_code == 403
        assert feed_admin.get("/api/v1/audit").status_code == 403


def test_pip_uv_twine_with_keys_on_a_private_feed(
    stack: Stack, admin: httpx.Client, client_env: dict[str, str], tmp_path: Path
) -> None:
    feed = _unique("private-")
    _ok(admin.post("/api/v1/feeds", json={"name": feed}))
    publisher = _key(admin, "twine", permissions=[{"feed": feed, "right": "publish"}])
    reader = _key(admin, "pip", permissions=[{"feed": feed, "right": "read"}])
    project = _unique("private_pkg_")
    wheel = build_wheel(tmp_path / "dist", project, "1.0")

    refused = run(
        [
            tool("twine"),
            "upload",
            "--disable-progress-bar",
            "--repository-url",
            stack.upload_url(feed),
            "-u",
            "api",
            "-p",
            reader,
            str(wheel),
        ],
        client_env,
    )
    assert refused.returncode != 0 and "403" in refused.stdout + refused.stderr
    done = run(
        [
            tool("twine"),
            "upload",
            "--disable-progress-bar",
            "--repository-url",
            stack.upload_url(feed),
            "-u",
            "api",
            "-p",
            publisher,
            str(wheel),
        ],
        client_env,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    host = stack.base_url.removeprefix("http://")
    with_key = f"http://api:{reader}@{host}/pypi/{feed}/simple/"
    pip = run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-d",
            str(tmp_path / "pip"),
            "--index-url",
            with_key,
            project,
        ],
        client_env,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    assert reader not in pip.stdout + pip.stderr
    uv_env = {**client_env, "UV_INDEX_URL": with_key}
    uv = run(
        [tool("uv"), "pip", "install", "--no-deps", "--target", str(tmp_path / "uv"), project],
        uv_env,
    )
    assert uv.returncode == 0, uv.stdout + uv.stderr
    anonymous = run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-d",
            str(tmp_path / "anon"),
            "--index-url",
            stack.index_url(feed),
            project,
        ],
        client_env,
    )
    assert anonymous.returncode != 0


@pytest.fixture
def second_gateway(stack: Stack) -> Iterator[str]:
    """Another gateway process on the stack's metadata and blob services."""
    with extra_gateway(stack) as url:
        yield url


def test_revocation_reaches_every_gateway(
    stack: Stack, admin: httpx.Client, world: World, second_gateway: str
) -> None:
    # Both gateways cache an authentication for 60 s; within the polling deadline (well under
    # that) only the revocation event can explain the refusal. How fast it arrives (the
    # promise is one second) is measured by scripts/bench, not asserted on a loaded machine.
    key = _key(admin, "two-gateways", permissions=[{"feed": world.own, "right": "read"}])
    prefix = key[len("pky_") : len("pky_") + 12]
    urls = [f"{base}/pypi/{world.own}/simple/" for base in (stack.base_url, second_gateway)]
    with httpx.Client(auth=("api", key), timeout=10) as client:
        # Warm both gateways' caches so a stale entry would be served if revocation lagged.
        assert [client.get(u).status_code for u in urls] == [200, 200]
        assert [client.get(u).status_code for u in urls] == [200, 200]
        _ok(admin.delete(f"/api/v1/keys/{prefix}"))
        refused = {url: False for url in urls}

        def every_gateway_refuses() -> bool:
            for url in urls:
                refused[url] = refused[url] or client.get(url).status_code == 401
            return all(refused.values())

        wait_until(every_gateway_refuses, what="revocation on every gateway")
        # Once refused, refused for good (no gateway falls back to a cached acceptance).
        assert [client.get(u).status_code for u in urls] == [401, 401]


def test_permission_removal_reaches_every_gateway(
    stack: Stack, admin: httpx.Client, world: World, second_gateway: str
) -> None:
    user = _unique("perm-")
    _ok(admin.post("/api/v1/users", json={"name": user, "password": PASSWORD}))
    key = _key(admin, "mine", owner=user)
    _ok(admin.put(f"/api/v1/feeds/{world.own}/permissions/{user}", json={"right": "read"}))
    urls = [f"{base}/pypi/{world.own}/simple/" for base in (stack.base_url, second_gateway)]
    with httpx.Client(auth=("api", key), timeout=10) as client:
        assert [client.get(u).status_code for u in urls] == [200, 200]
        _ok(admin.delete(f"/api/v1/feeds/{world.own}/permissions/{user}"))
        wait_until(lambda: [client.get(u).status_code for u in urls] == [403, 403],
                   what="the permission gone on every gateway")  # fmt: skip


def test_no_credential_reaches_a_log(
    stack: Stack, admin: httpx.Client, world: World, client_env: dict[str, str], tmp_path: Path
) -> None:
    key = _key(admin, "secret-key", permissions=[{"feed": world.own, "right": "read"}])
    user = _unique("secret-")
    password = "pw-" + uuid.uuid4().hex
    _ok(admin.post("/api/v1/users", json={"name": user, "password": password}))
    host = stack.base_url.removeprefix("http://")
    for index_url in (
        f"http://api:{key}@{host}/pypi/{world.own}/simple/",
        f"http://{user}:{password}@{host}/pypi/{world.own}/simple/",
        f"http://api:{key}x@{host}/pypi/{world.own}/simple/",
    ):
        run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(tmp_path),
             "--index-url", index_url, "nothing-here"], client_env, timeout=60)  # fmt: skip
    with _client(stack) as client:
        client.get(f"/pypi/{world.own}/simple/?key={key}", auth=("api", key + "x"))
        client.get(f"/api/v1/keys/{key}", auth=(user, password))
    # Prove the logs are being written before trusting their silence: a user created and a
    # file uploaded after the requests above each leave a line (metadata, gateway); once both
    # lines are there, so is whatever those requests logged before them.
    marker_user, marker_project = _unique("logged-"), _unique("logged_pkg_")
    _ok(admin.post("/api/v1/users", json={"name": marker_user, "password": PASSWORD}))
    wheel = build_wheel(tmp_path / "marker", marker_project, "1.0")
    assert _upload(admin, world.own, wheel, marker_project, "1.0") == 200

    def logs() -> dict[str, str]:
        return {p.name: p.read_text(errors="replace") for p in stack.logs_dir.glob("*.log")}

    wait_until(lambda: any(marker_user in t for t in logs().values())
               and any(wheel.name in t for t in logs().values()),
               what="the marker lines in the service logs")  # fmt: skip
    for name, text in logs().items():
        assert key not in text, name
        assert password not in text, name


def test_metadata_grpc_api_serves_internal_callers(stack: Stack) -> None:
    async def check() -> None:
        async with service_channel(stack.metadata_addr, stack.tls) as channel:
            stub = access_pb2_grpc.AccessServiceStub(channel)
            reply = await stub.Authenticate(
                access_pb2.AuthenticateRequest(username="api", password=str(stack.admin_key))
            )
            assert reply.principal.is_admin

    import asyncio

    asyncio.run(check())


def test_readme_administration_commands(stack: Stack, tmp_path: Path) -> None:
    """The three commands of the README's "Administration" section, then what the keys do."""
    feed = _unique("team-")
    env = {**os.environ, "PACKYARD_URL": stack.base_url, "PACKYARD_KEY": str(stack.admin_key)}
    cli = [sys.executable, "-m", "packyard.cli"]
    created = run([*cli, "feed", "create", feed, "--description", "Team packages",
                   "--no-anonymous-read"], env, timeout=60)  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert created.stdout.splitlines()[1].split()[:2] == [feed, "no"]
    keys = {}
    for right in ("publish", "read"):
        made = run([*cli, "key", "create", f"{feed}-{right}", "--feed", f"{feed}:{right}",
                    "--json"], env, timeout=60)  # fmt: skip
        assert made.returncode == 0, made.stderr
        keys[right] = json.loads(made.stdout)["key"]
    for right, key in keys.items():
        with _client(stack, ("api", key)) as client:
            me = _ok(client.get("/api/v1/whoami")).json()
        assert me["read"] == [feed]
        assert me["publish"] == ([feed] if right == "publish" else [])
    denied = run([*cli, "feed", "delete", feed, "--key", keys["publish"]], env, timeout=60)
    assert denied.returncode == 1
    assert denied.stderr.startswith("packyard feed delete: 403: ")
    assert len(denied.stderr.splitlines()) == 1

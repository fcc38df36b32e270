"""An internal service uses the gRPC API the way issue 14 says it should: from a fresh
virtualenv holding only the client distribution (clients/python, grpcio and protobuf), it
connects to the metadata service with mutual TLS and an API key, lists, reads and searches,
and gets PermissionDenied for a feed its key cannot read. Reflection lists the services."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from packyard_rpc import AsyncClient, NotFound, PermissionDenied, Unauthenticated
from packyard_rpc.v1 import access_pb2, access_pb2_grpc, common_pb2, metadata_pb2, metadata_pb2_grpc

from tests.fixtures.metadata_service import metadata_on_tls
from tests.fixtures.tls import tls_files

pytestmark = pytest.mark.timeout(240)
ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "python"

# What the internal service runs, in its own interpreter: only packyard_rpc is importable.
SCRIPT = """
import json
import packyard_rpc
from packyard_rpc import Client
from packyard_rpc.v1 import catalog_pb2, metadata_pb2

out = {}
try:
    import packyard  # the server distribution must not be there
    out["server_importable"] = True
except ImportError:
    out["server_importable"] = False
with Client() as client:
    out["projects"] = [
        p.name
        for page in client.metadata.ListProjects(metadata_pb2.ListProjectsRequest(feed="private"))
        for p in page.projects
    ]
    project = client.metadata.GetProject(
        metadata_pb2.GetProjectRequest(feed="private", project="demo")
    ).project
    out["files"] = [f.filename for f in project.files]
    found = client.catalog.Search(catalog_pb2.SearchRequest(query="demo", feeds=["private"]))
    out["search"] = [(p.feed, p.name) for p in found.projects]
    try:
        client.metadata.GetFeed(metadata_pb2.GetFeedRequest(name="other"))
        out["other"] = "read"
    except packyard_rpc.PermissionDenied as exc:
        out["other"] = [type(exc).__name__, exc.code().name]
    try:
        list(client.metadata.ListProjects(metadata_pb2.ListProjectsRequest(feed="other")))
        out["other_stream"] = "read"
    except packyard_rpc.PermissionDenied as exc:
        out["other_stream"] = type(exc).__name__
print(json.dumps(out))
"""


@dataclass
class Stack:
    addr: str
    read_key: str  # read on "private" only


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[Stack]:
    async with metadata_on_tls(database_url) as addr:
        operator = tls_files("operator").read()
        credentials = grpc.ssl_channel_credentials(operator.ca, operator.key, operator.cert)
        async with grpc.aio.secure_channel(addr, credentials) as channel:
            meta = metadata_pb2_grpc.MetadataServiceStub(channel)
            access = access_pb2_grpc.AccessServiceStub(channel)
            for name in ("private", "other"):
                await meta.CreateFeed(
                    metadata_pb2.CreateFeedRequest(feed=metadata_pb2.Feed(name=name))
                )

            async def key(name: str, right: int) -> str:
                made = await access.CreateKey(
                    access_pb2.CreateKeyRequest(
                        name=name, permissions=[access_pb2.Permission(feed="private", right=right)]
                    )
                )
                return str(made.key)

            read_key = await key("scanner", access_pb2.RIGHT_READ)
            publish_key = await key("release", access_pb2.RIGHT_PUBLISH)
        client = tls_files("client:ci").read()
        credentials = grpc.ssl_channel_credentials(client.ca, client.key, client.cert)
        async with grpc.aio.secure_channel(addr, credentials) as channel:
            await metadata_pb2_grpc.MetadataServiceStub(channel).RegisterFile(
                _demo_wheel(), metadata=(("authorization", f"Bearer {publish_key}"),)
            )
        yield Stack(addr, read_key)


def _demo_wheel() -> metadata_pb2.RegisterFileRequest:
    return metadata_pb2.RegisterFileRequest(
        feed="private",
        file=common_pb2.FileInfo(
            project="demo",
            version="1.0",
            filename="demo-1.0-py3-none-any.whl",
            size=3,
            hashes=common_pb2.Hashes(sha256="a" * 64),
            packagetype="bdist_wheel",
            python_version="py3",
        ),
        metadata=common_pb2.CoreMetadata(
            metadata_version="2.1", name="demo", version="1.0", summary="a demo package"
        ),
    )


@pytest.fixture(scope="module")
def client_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the client distribution installed from its folder, and nothing else
    but what it depends on (from the registry)."""
    venv = tmp_path_factory.mktemp("client") / "venv"
    uv = str(Path(sys.executable).parent / "uv")
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(python), str(CLIENT)],
        check=True,
        timeout=180,
    )
    return python


def _installed(python: Path) -> set[str]:
    probe = "import importlib.metadata as m, json; "
    probe += "print(json.dumps([d.metadata['Name'] for d in m.distributions()]))"
    names = json.loads(subprocess.check_output([str(python), "-c", probe], text=True))
    return {name.lower().replace("_", "-") for name in names}


async def test_a_fresh_virtualenv_with_only_the_client_lists_reads_and_searches(
    stack: Stack, client_venv: Path
) -> None:
    assert _installed(client_venv) == {"packyard-rpc", "grpcio", "protobuf", "typing-extensions"}
    files = tls_files("client:ci")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PACKYARD_RPC_TARGET": stack.addr,
        "PACKYARD_RPC_API_KEY": stack.read_key,
        "PACKYARD_RPC_CA": str(files.ca),
        "PACKYARD_RPC_CERT": str(files.cert),
        "PACKYARD_RPC_KEY": str(files.key),
    }
    ran = await _run(client_venv, env)
    assert ran.returncode == 0, ran.stderr
    out = json.loads(ran.stdout)
    assert out["server_importable"] is False
    assert out["projects"] == ["demo"]
    assert out["files"] == ["demo-1.0-py3-none-any.whl"]
    assert out["search"] == [["private", "demo"]]
    assert out["other"] == ["PermissionDenied", "PERMISSION_DENIED"]
    assert out["other_stream"] == "PermissionDenied"


async def _run(python: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [str(python), "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_reflection_lists_the_public_services_to_an_internal_client(stack: Stack) -> None:
    files = tls_files("client:ci").read()
    credentials = grpc.ssl_channel_credentials(files.ca, files.key, files.cert)

    def listed() -> list[str]:
        with grpc.secure_channel(stack.addr, credentials) as channel:
            return list(ProtoReflectionDescriptorDatabase(channel).get_services())

    services = await asyncio.to_thread(listed)
    for name in (
        "packyard.rpc.v1.MetadataService",
        "packyard.rpc.v1.CatalogService",
        "packyard.rpc.v1.AccessService",
    ):
        assert name in services
    assert "grpc.health.v1.Health" in services


async def test_the_asyncio_client_reads_and_raises_the_same_errors(stack: Stack) -> None:
    files = tls_files("client:ci")
    async with AsyncClient(
        stack.addr, api_key=stack.read_key, ca=files.ca, cert=files.cert, key=files.key
    ) as client:
        pages = client.metadata.ListProjects(metadata_pb2.ListProjectsRequest(feed="private"))
        assert [p.name async for page in pages for p in page.projects] == ["demo"]
        with pytest.raises(NotFound):
            await client.metadata.GetProject(
                metadata_pb2.GetProjectRequest(feed="private", project="nothing")
            )
        with pytest.raises(PermissionDenied):
            await client.metadata.GetFeed(metadata_pb2.GetFeedRequest(name="other"))
    # A wrong key is refused as such, not as a missing right.
    async with AsyncClient(
        stack.addr, api_key="pky_nope_nope", ca=files.ca, cert=files.cert, key=files.key
    ) as client:
        with pytest.raises(Unauthenticated):
            await client.metadata.GetFeed(metadata_pb2.GetFeedRequest(name="private"))

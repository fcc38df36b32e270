"""The trace of a `pip install` through a proxy feed, across every process.

A stack of its own exports OTLP to a test receiver; pypiserver is the upstream, reached with
basic-auth credentials set on the connector. pip installs a package that exists only upstream.
The download that caches the file must be one trace: gateway HTTP server span, the
ConnectorService call, the connector's HTTP GETs to the upstream, the BlobService upload and
its S3 writes, and the connector's RecordCachedFile call to the metadata service, whose SQL and
whose ``index.changed`` announcement (producer span) are in the trace too. Feed, project and
filename are on the spans; no credential and no key is in any attribute. The connector's
metrics arrive too.
"""

from __future__ import annotations

import base64
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from packyard.up import Stack

from tests.e2e.conftest import run
from tests.e2e.test_proxy import add_connector, dist_dir, make_feed, pypiserver
from tests.fixtures.dists import build_wheel
from tests.fixtures.engines import Engines
from tests.fixtures.otlp import (
    OtlpReceiver,
    Span,
    assert_no_secret,
    descends,
    exporting_stack,
    is_whole,
    one_span,
    render_tree,
    stack_secrets,
    trace_of,
)

_FILE_ROUTE = "/pypi/{feed}/packages/{project}/{filename}"
_PAGE_ROUTE = "/pypi/{feed}/simple/{project}/"
_FETCH_FILE = "packyard.rpc.v1.ConnectorService/FetchFile"
_GET_PROJECT = "packyard.rpc.v1.ConnectorService/GetUpstreamProject"
_PUT_BLOB = "packyard.rpc.v1.BlobService/PutBlob"
_RECORD_FILE = "packyard.rpc.v1.UpstreamService/RecordCachedFile"
_RECORD_LISTING = "packyard.rpc.v1.UpstreamService/RecordListing"


@dataclass(frozen=True)
class Install:
    stack: Stack
    receiver: OtlpReceiver
    upstream_url: str
    feed: str
    project: str
    filename: str
    credentials: list[str]  # upstream username, password and their Basic token


@pytest.fixture(scope="module")
def install(
    engines: Engines, tmp_path_factory: pytest.TempPathFactory, client_env_module: dict[str, str]
) -> Iterator[Install]:
    """pip installs, through a fresh proxy feed, a project only the upstream has."""
    receiver = OtlpReceiver()
    receiver.start()
    tmp = tmp_path_factory.mktemp("traced-proxy")
    uid = uuid.uuid4().hex[:8]
    project = f"pxtrace-{uid}"
    wheel = build_wheel(dist_dir(tmp), project, "1.0")
    username, password = f"robot-{uid}", f"upstream-pw-{uuid.uuid4().hex}"
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    try:
        with (
            exporting_stack(engines, receiver, tmp / "stack") as stack,
            pypiserver(dist_dir(tmp)) as upstream,
        ):
            feed = make_feed(stack)
            add_connector(stack, feed, upstream.url, username=username, password=password)
            # The key in the index URL, as pip users write it: it must not reach a span.
            index = stack.index_url(feed).replace("://", f"://api:{stack.admin_key}@")
            result = run(
                [sys.executable, "-m", "pip", "install", "--no-cache-dir", "--no-deps",
                 "--target", str(tmp / "target"), "--index-url", index, project],
                client_env_module,
            )  # fmt: skip
            assert result.returncode == 0, result.stdout + result.stderr
            assert (tmp / "target" / project.replace("-", "_")).is_dir()
            yield Install(
                stack, receiver, upstream.url, feed, project, wheel.name,
                [username, password, token],
            )  # fmt: skip
    finally:
        receiver.stop()


@pytest.fixture(scope="module")
def client_env_module(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """``client_env`` for a module-scoped install: no user config, a cache of its own."""
    home = tmp_path_factory.mktemp("pip-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "HOME": str(home),
        }
    )
    return env


def _messaging(span: Span, kind: str, event: str) -> bool:
    destination = str(span.attributes.get("messaging.destination.name", ""))
    return span.kind == kind and destination.startswith(f"packyard.{event}.")


Finder = Callable[[OtlpReceiver], "list[Span] | None"]


def _complete_trace(route: str, rpc: str, record: str, *also: str) -> Finder:
    """A finder for the receiver: the whole trace of a gateway request on ``route`` that made
    the ``rpc`` to the connector, with the metadata service's server span of ``record`` (and
    spans ``also``)."""

    def find(r: OtlpReceiver) -> list[Span] | None:
        for root in r.spans:
            if not (
                root.service == "packyard-gateway"
                and root.kind == "SERVER"
                and root.attributes.get("http.route") == route
            ):
                continue
            trace = trace_of(r.spans, root)
            names = {s.name.lstrip("/") for s in trace}
            recorded = any(
                s.name.lstrip("/") == record
                and s.kind == "SERVER"
                and s.service == "packyard-metadata"
                for s in trace
            )
            if rpc in names and set(also) <= names and recorded and is_whole(trace, root):
                return trace
        return None

    return find


@pytest.fixture(scope="module")
def file_trace(install: Install) -> list[Span]:
    finder = _complete_trace(_FILE_ROUTE, _FETCH_FILE, _RECORD_FILE, _PUT_BLOB, "s3.put_object")
    trace = install.receiver.wait_for(finder)
    print("\nproxied install, the download that caches the file:\n" + render_tree(trace))
    return trace


def _fields(span: Span) -> tuple[object, ...]:
    """The span's (feed, project, filename) attributes."""
    return tuple(span.attributes.get(f"packyard.{f}") for f in ("feed", "project", "filename"))


def test_the_download_is_one_trace_from_gateway_to_s3(
    install: Install, file_trace: list[Span]
) -> None:
    trace = file_trace
    root = one_span(trace, service="packyard-gateway", kind="SERVER")
    assert root.parent_id == ""
    assert _fields(root) == (install.feed, install.project, install.filename)
    assert root.attributes.get("http.response.status_code") == 200

    # gateway -> connector
    fetch_client = one_span(trace, name=_FETCH_FILE, kind="CLIENT")
    fetch_server = one_span(trace, name=_FETCH_FILE, kind="SERVER")
    assert fetch_client.service == "packyard-gateway" and descends(fetch_client, root, trace)
    assert fetch_server.service == "packyard-connector"
    assert fetch_server.parent_id == fetch_client.span_id
    for span in (fetch_client, fetch_server):
        assert _fields(span) == (install.feed, install.project, install.filename)

    # connector -> upstream over HTTP: the file itself is fetched inside the RPC
    upstream_gets = [
        s
        for s in trace
        if s.service == "packyard-connector"
        and s.kind == "CLIENT"
        and str(s.attributes.get("url.full", "")).startswith(install.upstream_url)
    ]
    assert upstream_gets, "no HTTP client span for the upstream"
    assert all(s.attributes.get("http.request.method") == "GET" for s in upstream_gets)
    assert all(descends(s, fetch_server, trace) for s in upstream_gets)
    file_gets = [
        s for s in upstream_gets if str(s.attributes["url.full"]).endswith("/" + install.filename)
    ]
    assert len(file_gets) == 1
    assert file_gets[0].attributes.get("http.response.status_code") == 200

    # connector -> blob -> S3
    put_client = one_span(trace, name=_PUT_BLOB, kind="CLIENT")
    put_server = one_span(trace, name=_PUT_BLOB, kind="SERVER")
    assert put_client.service == "packyard-connector" and descends(put_client, fetch_server, trace)
    assert put_server.service == "packyard-blob" and put_server.parent_id == put_client.span_id
    s3_puts = [s for s in trace if s.name == "s3.put_object"]
    assert s3_puts and all(descends(s, put_server, trace) for s in s3_puts)
    assert all(s.service == "packyard-blob" for s in s3_puts)

    # Nothing failed on the way, apart from gRPC "not found" lookups before the file existed.
    failed = [s for s in trace if s.status_code == 2 and s.kind != "CLIENT"]
    assert not failed, [(s.service, s.name) for s in failed]


def _recorded(trace: list[Span], rpc: str, caller: Span) -> Span:
    """The metadata service's server span of ``rpc``, called by the connector inside
    ``caller``; its SQL ran inside it."""
    client = one_span(trace, name=rpc, kind="CLIENT")
    server = one_span(trace, name=rpc, kind="SERVER")
    assert client.service == "packyard-connector" and descends(client, caller, trace)
    assert server.service == "packyard-metadata" and server.parent_id == client.span_id
    sql = [s for s in trace if s.attributes.get("db.system.name") == "postgresql"]
    assert any(descends(s, server, trace) for s in sql)
    return server


def test_the_cached_file_is_recorded_and_announced_in_the_trace(
    install: Install, file_trace: list[Span]
) -> None:
    trace = file_trace
    fetch_server = one_span(trace, name=_FETCH_FILE, kind="SERVER")
    record = _recorded(trace, _RECORD_FILE, fetch_server)
    # The pages changed: the metadata service announced it after the commit, in the call.
    [announced] = [s for s in trace if _messaging(s, "PRODUCER", "index")]
    assert announced.service == "packyard-metadata" and descends(announced, record, trace)
    # Nothing is published by the connector any more.
    assert not [s for s in trace if s.kind == "PRODUCER" and s.service == "packyard-connector"]


def test_the_listing_fetch_and_its_record_are_one_trace(install: Install) -> None:
    finder = _complete_trace(_PAGE_ROUTE, _GET_PROJECT, _RECORD_LISTING)
    trace = install.receiver.wait_for(finder)
    root = one_span(trace, service="packyard-gateway", kind="SERVER")
    assert root.attributes.get("packyard.project") == install.project
    project_server = one_span(trace, name=_GET_PROJECT, kind="SERVER")
    assert project_server.service == "packyard-connector"
    assert _fields(project_server)[:2] == (install.feed, install.project)
    listing_get = [
        s
        for s in trace
        if s.service == "packyard-connector"
        and s.kind == "CLIENT"
        and str(s.attributes.get("url.full", "")).endswith(f"/simple/{install.project}/")
    ]
    assert len(listing_get) == 1 and descends(listing_get[0], project_server, trace)
    _recorded(trace, _RECORD_LISTING, project_server)


def test_no_credential_or_key_in_any_span(install: Install, file_trace: list[Span]) -> None:
    spans = install.receiver.spans
    # The upstream GETs are there (so their attributes were checked), with the URL only.
    assert any(
        str(s.attributes.get("url.full", "")).startswith(install.upstream_url) for s in spans
    )
    assert_no_secret(spans, install.credentials + stack_secrets(install.stack))


def test_connector_metrics_cache_lookups_and_upstream_fetches(
    install: Install, file_trace: list[Span]
) -> None:
    def exported(name: str, **attrs: object) -> float:
        values = [
            p.value
            for p in install.receiver.metrics
            if p.name == name and all(p.attributes.get(k) == v for k, v in attrs.items())
        ]
        return values[-1] if values else -1.0

    def reaches(name: str, minimum: float, **attrs: object) -> None:
        install.receiver.wait_for(lambda r: exported(name, **attrs) >= minimum)

    for kind in ("listing", "file"):
        reaches("packyard.cache.lookups", 1, kind=kind, result="miss", feed=install.feed)
    # The download found the listing the page request had fetched moments before.
    reaches("packyard.cache.lookups", 1, kind="listing", result="hit", feed=install.feed)
    # The listing and the file, both fetched from the upstream's host successfully.
    reaches("packyard.upstream.fetch.duration", 2, outcome="ok", upstream="127.0.0.1")
    for point in install.receiver.metrics:
        if point.name.startswith("packyard."):
            assert install.project not in repr(point.attributes)  # low cardinality only

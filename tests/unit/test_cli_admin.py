"""`packyard feed|key|user|perm|yank|audit …` against a fake admin API (httpx.MockTransport)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from packyard.cli import _parser, apply_global_options, main
from packyard.cli_admin import render_table, run_admin

Handler = Callable[[httpx.Request], httpx.Response]


def _run(argv: list[str], handler: Handler) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = _parser().parse_args(argv)
    apply_global_options(args)
    code = run_admin(args, out=out, err=err, transport=httpx.MockTransport(handler))
    return code, out.getvalue(), err.getvalue()


def test_feed_create_sends_the_settings_with_the_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.loads(request.content)
        return httpx.Response(201, json={**body, "refuse_local_versions": False, "created": None})

    code, out, err = _run(
        ["feed", "create", "team", "--description", "Team packages", "--no-anonymous-read",
         "--url", "http://packyard.test:9000/", "--key", "pky_KEY"],
        handler,
    )  # fmt: skip
    assert (code, err) == (0, "")
    request = seen[0]
    assert request.method == "POST" and str(request.url) == "http://packyard.test:9000/api/v1/feeds"
    assert json.loads(request.content) == {
        "name": "team",
        "description": "Team packages",
        "anonymous_read": False,
    }
    assert request.headers["authorization"] == "Basic " + "YXBpOnBreV9LRVk="  # api:pky_KEY
    lines = out.splitlines()
    assert lines[0].split() == [
        "NAME", "ANONYMOUS_READ", "REFUSE_LOCAL_VERSIONS", "MAX_FILE_SIZE", "DESCRIPTION",
    ]  # fmt: skip
    assert lines[1].split()[:2] == ["team", "no"]


def test_url_and_key_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKYARD_URL", "http://env.test")
    monkeypatch.setenv("PACKYARD_KEY", "pky_ENV")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    assert _run(["key", "list"], handler)[0] == 0
    assert str(seen[0].url).startswith("http://env.test/api/v1/keys")
    assert seen[0].headers["authorization"] == "Basic YXBpOnBreV9FTlY="  # api:pky_ENV


def test_key_create_with_rights_prints_the_secret_once_as_json() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["permissions"] == [
            {"feed": "team", "right": "publish"},
            {"feed": "docs", "right": "read"},
        ]
        assert body["owner"] == "" and body["admin"] is False and "expires" in body
        return httpx.Response(201, json={"key": "pky_SECRET", "prefix": "P", "name": "ci"})

    code, out, _ = _run(
        ["key", "create", "ci", "--feed", "team:publish", "--feed", "docs:read",
         "--expires-in", "30", "--json"],
        handler,
    )  # fmt: skip
    assert code == 0
    assert json.loads(out) == {"key": "pky_SECRET", "prefix": "P", "name": "ci"}


def test_a_bad_grant_is_refused_before_any_request() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    code, out, err = _run(["key", "create", "ci", "--feed", "team:write"], handler)
    assert code == 1 and out == ""
    assert (
        err == "packyard key create: --feed takes FEED:RIGHT with RIGHT one of read, "
        "publish, yank, admin, promote\n"
    )


def test_server_errors_are_one_line_and_non_zero() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"code": 403, "message": "'ci' may not yank in 'x'."})

    code, out, err = _run(["yank", "x", "pkg", "1.0", "--reason", "broken"], handler)
    assert (code, out) == (1, "")
    assert err == "packyard yank: 403: 'ci' may not yank in 'x'.\n"


def test_unreachable_server_does_not_echo_credentials_in_the_url() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    code, _, err = _run(["feed", "list", "--url", "http://admin:hunter2@nowhere.test"], handler)
    assert code == 2
    assert "hunter2" not in err and "REDACTED" in err
    assert len(err.splitlines()) == 1


def test_yank_paths_quote_names() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"feed": "f", "project": "p", "version": "1.0+a b",
                                          "yanked": False, "files": 2})  # fmt: skip

    assert _run(["unyank", "f", "p", "1.0+a b"], handler)[0] == 0
    assert seen[0].url.raw_path == b"/api/v1/feeds/f/projects/p/releases/1.0%2Ba%20b/unyank"


def test_user_create_reads_the_password_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long password\n"))
    seen: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(201, json={"name": "alice", "admin": False, "disabled": False})

    code, out, _ = _run(["user", "create", "alice", "--password-stdin"], handler)
    assert code == 0
    assert seen == [{"name": "alice", "password": "a long password", "admin": False}]
    assert "a long password" not in out


def test_perm_and_audit_requests() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "PUT":
            return httpx.Response(200, json={"subject": "key:ABC", "feed": "t", "right": "read"})
        return httpx.Response(200, json=[])

    assert _run(["perm", "grant", "t", "key:ABC", "read"], handler)[0] == 0
    assert _run(["audit", "--feed", "t", "--action", "key.revoked"], handler)[0] == 0
    assert seen[0].url.raw_path == b"/api/v1/feeds/t/permissions/key%3AABC"
    assert json.loads(seen[0].content) == {"right": "read"}
    assert seen[1].url.params["feed"] == "t" and seen[1].url.params["action"] == "key.revoked"


def test_render_table_aligns_columns() -> None:
    rows: list[dict[str, Any]] = [
        {"name": "a", "admin": True, "feeds": ["x", "y"]},
        {"name": "long", "admin": None},
    ]
    assert render_table(rows, ["name", "admin", "feeds"]).splitlines() == [
        "NAME  ADMIN  FEEDS",
        "a     yes    x,y",
        "long  -      -",
    ]


def test_perm_list_hides_revoked_keys_unless_all() -> None:
    grants = [
        {"feed": "t", "subject": "alice", "right": "read"},
        {"feed": "t", "subject": "key:LIVE", "right": "read"},
        {"feed": "t", "subject": "key:GONE", "right": "publish"},
    ]
    keys = [{"prefix": "LIVE", "revoked": None}, {"prefix": "GONE", "revoked": "2026-01-01"}]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=keys if request.url.path.endswith("/keys") else grants)

    def subjects(argv: list[str]) -> list[str]:
        code, out, _ = _run(argv, handler)
        assert code == 0
        return [row["subject"] for row in json.loads(out)]

    assert subjects(["perm", "list", "t", "--json"]) == ["alice", "key:LIVE"]
    assert subjects(["perm", "list", "t", "--all", "--json"]) == [s["subject"] for s in grants]


def test_options_before_the_command_count_and_options_after_it_win() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[{"name": "main"}])

    code, out, _ = _run(["--json", "--url", "http://a.example", "--key", "K1", "feed", "list"],
                        handler)  # fmt: skip
    assert code == 0 and json.loads(out) == [{"name": "main"}]
    assert seen[0].url.host == "a.example"
    assert seen[0].headers["authorization"].startswith("Basic ")
    _run(["--url", "http://a.example", "feed", "list", "--url", "http://b.example"], handler)
    assert seen[1].url.host == "b.example"


def test_connector_without_an_action_lists_its_actions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["connector"]) == 2
    shown = capsys.readouterr().out
    assert all(action in shown for action in ("serve", "add", "list", "update", "remove"))

"""Hostile paths (RELIABILITY.md §5 B 32-34): never a file read, never an injected header,
never a 500."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest
from packyard.up import Stack

TRICKS = [
    "/pypi/main/simple/%2e%2e/",
    "/pypi/%2e%2e/simple/",
    "/pypi/main/simple/..%2F..%2Fapi%2Fv1%2Fusers/",
    "/pypi/main/packages/x/..%2F..%2F..%2Fetc%2Fpasswd",
    "/pypi/main/packages/%2e%2e/%2e%2e/etc/passwd",
    "/pypi/main/packages/x/%2Fetc%2Fpasswd",
    "//pypi/main/simple/",
    "/pypi/main/simple/foo%00bar/",
    "/pypi/main/pypi/..%2F..%2Fetc/json",
]


def _raw_get(stack: Stack, path: str) -> bytes:
    """Send the path byte-for-byte (httpx would normalize it)."""
    parts = urlsplit(stack.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode()
        )
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("path", TRICKS)
def test_traversal_tricks_read_nothing(stack: Stack, path: str) -> None:
    reply = _raw_get(stack, path)
    status = int(reply.split(b" ", 2)[1])
    assert status in (301, 307, 308, 400, 404), reply[:300]
    assert b"root:" not in reply
    assert b"pky_" not in reply


def test_crlf_in_a_project_name_injects_no_header(stack: Stack) -> None:
    reply = _raw_get(stack, "/pypi/main/simple/Foo%0d%0aSet-Cookie:%20x=1/")
    head = reply.split(b"\r\n\r\n", 1)[0]
    status = int(head.split(b" ", 2)[1])
    assert status in (301, 400, 404), head
    assert not any(line.lower().startswith(b"set-cookie") for line in head.split(b"\r\n"))


def test_script_in_a_project_name_is_not_reflected_raw(stack: Stack) -> None:
    reply = httpx.get(f"{stack.base_url}/pypi/main/simple/<script>alert(1)</script>/")
    assert reply.status_code in (301, 400, 404)
    assert "<script>" not in reply.text

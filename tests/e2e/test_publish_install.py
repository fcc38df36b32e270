"""The thin path through everything: twine uploads to a hosted feed, pip and uv install.

Real clients as subprocesses against the running gateway; the package is one the test builds.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import httpx
from packyard.protocol.names import normalize
from packyard.up import Stack

from tests.e2e.conftest import run, tool
from tests.fixtures.dists import build_sdist, build_wheel, dist_name


def _twine_upload(stack: Stack, files: list[Path], env: dict[str, str], key: str | None = None):  # type: ignore[no-untyped-def]
    return run(
        [
            tool("twine"),
            "upload",
            "--verbose",
            "--disable-progress-bar",
            "--non-interactive",
            "--repository-url",
            stack.upload_url(),
            "-u",
            "api",
            "-p",
            key if key is not None else str(stack.admin_key),
            *map(str, files),
        ],
        env,
    )


def test_twine_upload_then_pip_and_uv_install(
    stack: Stack, project_name: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    wheel = build_wheel(dist, project_name, "1.0")
    sdist = build_sdist(dist, project_name, "1.0")

    first = _twine_upload(stack, [wheel, sdist], client_env)
    assert first.returncode == 0, first.stdout + first.stderr

    # The same files again: each is a 200 no-op, so a plain re-run succeeds.
    again = _twine_upload(stack, [wheel, sdist], client_env)
    assert again.returncode == 0, again.stdout + again.stderr

    # The simple page lists both files with sha256 fragments of the stored bytes.
    page = httpx.get(stack.index_url() + normalize(project_name) + "/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for path in (wheel, sdist):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"#sha256={digest}" in page.text
        assert f">{path.name}</a>" in page.text

    # pip installs it by its un-normalized name into a fresh target, and it imports.
    target = tmp_path / "pip-target"
    pip = run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--target",
            str(target),
            "--index-url",
            stack.index_url(),
            project_name,
        ],
        client_env,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    module = dist_name(project_name)
    imported = run(
        [sys.executable, "-c", f"import {module}; print({module}.__version__)"],
        {**client_env, "PYTHONPATH": str(target)},
    )
    assert imported.stdout.strip() == "1.0", imported.stderr

    # uv resolves through the JSON API and core-metadata files.
    venv = tmp_path / "uv-venv"
    assert run([tool("uv"), "venv", "-q", str(venv)], client_env).returncode == 0
    uv = run(
        [
            tool("uv"),
            "pip",
            "install",
            "--python",
            str(venv / "bin" / "python"),
            "--index-url",
            stack.index_url(),
            f"{project_name}==1.0",
        ],
        client_env,
    )
    assert uv.returncode == 0, uv.stdout + uv.stderr
    listed = run([tool("uv"), "pip", "list", "--python", str(venv / "bin" / "python")], client_env)
    assert re.search(rf"{re.escape(normalize(project_name))}\s+1\.0", listed.stdout), listed.stdout


def test_pip_download_gets_the_identical_sdist(
    stack: Stack, project_name: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    sdist = build_sdist(tmp_path / "dist", project_name, "2.0")
    assert _twine_upload(stack, [sdist], client_env).returncode == 0
    out = tmp_path / "downloaded"
    pip = run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--no-build-isolation",
            "-d",
            str(out),
            "--index-url",
            stack.index_url(),
            f"{project_name}==2.0",
        ],
        client_env,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    assert (out / sdist.name).read_bytes() == sdist.read_bytes()


def test_same_filename_other_bytes_is_refused_and_keeps_the_original(
    stack: Stack, project_name: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    original = build_wheel(tmp_path / "a", project_name, "1.0")
    assert _twine_upload(stack, [original], client_env).returncode == 0
    changed = build_wheel(tmp_path / "b", project_name, "1.0", payload="CHANGED = True\n")
    assert changed.name == original.name
    assert changed.read_bytes() != original.read_bytes()

    refused = _twine_upload(stack, [changed], client_env)
    assert refused.returncode != 0
    assert "400" in refused.stdout + refused.stderr
    assert "File already exists" in refused.stdout + refused.stderr

    served = httpx.get(
        f"{stack.base_url}/pypi/main/packages/{normalize(project_name)}/{original.name}"
    )
    assert served.status_code == 200
    assert served.content == original.read_bytes()


def test_upload_without_or_with_a_wrong_key_is_refused(
    stack: Stack, project_name: str, client_env: dict[str, str], tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path / "dist", project_name, "1.0")
    anonymous = httpx.post(stack.upload_url(), files={"content": (wheel.name, wheel.read_bytes())})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    assert anonymous.text.strip()

    wrong = _twine_upload(stack, [wheel], client_env, key="pky_notarealkey0_" + "x" * 43)
    assert wrong.returncode != 0
    assert "401" in wrong.stdout + wrong.stderr or "403" in wrong.stdout + wrong.stderr

    page = httpx.get(stack.index_url() + normalize(project_name) + "/")
    assert page.status_code == 404

"""deploy/requirements.lock, which the image installs, covers pyproject.toml's dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "deploy" / "requirements.lock"
# The image builds these from their folders (deploy/Dockerfile), like packyard itself.
BUILT_FROM_THE_REPOSITORY = {"packyard-rpc"}


def locked() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9][\w.-]*)==([^\s\\]+)", LOCK.read_text(), re.M)
    return {canonicalize_name(name): version for name, version in pins}


def test_lock_pins_every_dependency_and_build_requirement_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = locked()
    wanted = [*project["project"]["dependencies"], *project["build-system"]["requires"]]
    for line in wanted:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if name in BUILT_FROM_THE_REPOSITORY:
            continue
        assert name in pins, f"{name} is not in the lock: run scripts/lock_image"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} is outside {requirement.specifier}: run scripts/lock_image"
        )


def test_every_pin_carries_hashes_and_the_image_requires_them() -> None:
    entries = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text().split("\n", 2)[2])
    assert len(entries) == len(locked()) > 20
    for entry in entries:
        assert "--hash=sha256:" in entry, entry.splitlines()[0]
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "--require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "COPY deploy/requirements.lock" in dockerfile
    assert "!deploy/requirements.lock" in (ROOT / "deploy" / "Dockerfile.dockerignore").read_text()


def test_the_image_builds_the_stubs_from_the_client_folder() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "COPY clients/python ./clients/python" in dockerfile
    assert "./clients/python ." in dockerfile
    assert "packyard-rpc" not in locked()


def test_runtime_image_has_no_pip() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert "python -m venv --without-pip /opt/packyard" in dockerfile
    assert "pip uninstall -y pip" in runtime
    assert "pip install" not in runtime

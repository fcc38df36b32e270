"""The test distributions are valid: tools parse them, pip installs them, bytes are stable."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.utils import parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from tests.fixtures.dists import _record_hash, build_sdist, build_wheel


def test_wheel_name_metadata_and_record(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "Tiny.Pkg", "1.0.post1", requires_dist=["attrs>=20"])
    name, version, _build, tags = parse_wheel_filename(wheel.name)
    assert (name, version) == ("tiny-pkg", Version("1.0.post1"))
    assert {str(tag) for tag in tags} == {"py3-none-any"}
    with zipfile.ZipFile(wheel) as archive:
        metadata = Parser().parsestr(archive.read("tiny_pkg-1.0.post1.dist-info/METADATA").decode())
        assert metadata["Name"] == "Tiny.Pkg"
        assert metadata.get_all("Requires-Dist") == ["attrs>=20"]
        record = archive.read("tiny_pkg-1.0.post1.dist-info/RECORD").decode().splitlines()
        for line in record:
            path, digest, size = line.rsplit(",", 2)
            if digest:
                data = archive.read(path)
                assert (digest, int(size)) == (_record_hash(data), len(data))
        assert len(record) == len(archive.namelist())


def test_builds_are_reproducible_and_payload_changes_bytes(tmp_path: Path) -> None:
    first = build_wheel(tmp_path / "a", "tiny", "1.0").read_bytes()
    assert build_wheel(tmp_path / "b", "tiny", "1.0").read_bytes() == first
    assert build_wheel(tmp_path / "c", "tiny", "1.0", payload="# other\n").read_bytes() != first
    sdist = build_sdist(tmp_path / "a", "tiny", "1.0").read_bytes()
    assert build_sdist(tmp_path / "b", "tiny", "1.0").read_bytes() == sdist


def test_sdist_name_and_pkg_info(tmp_path: Path) -> None:
    sdist = build_sdist(tmp_path, "Tiny-Pkg", "2.0", requires_python=">=3.9")
    assert sdist.name == "tiny_pkg-2.0.tar.gz"
    assert parse_sdist_filename(sdist.name) == ("tiny-pkg", Version("2.0"))
    with tarfile.open(sdist) as archive:
        member = archive.extractfile("tiny_pkg-2.0/PKG-INFO")
        assert member is not None
        info = Parser().parsestr(member.read().decode())
    assert (info["Name"], info["Version"], info["Requires-Python"]) == ("Tiny-Pkg", "2.0", ">=3.9")


def test_pip_installs_the_wheel(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist", "tiny-pkg", "3.1")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
         "--disable-pip-version-check", "--target", str(target), str(wheel)],
        check=True,
    )  # fmt: skip
    assert (target / "tiny_pkg" / "__init__.py").read_text().endswith('__version__ = "3.1"\n')
    assert (target / "tiny_pkg-3.1.dist-info" / "RECORD").exists()

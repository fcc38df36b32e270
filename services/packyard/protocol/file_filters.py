"""Which upstream files a connector keeps: the wheels the team can install.

A connector may name target Python versions (``3.11``) and platform tag patterns
(``manylinux*_x86_64``, ``macosx_*_arm64``, ``win_amd64``). A wheel is kept when one of its
tags runs on one of those versions (``py3``, ``py311``, ``cp311``, ``cp3x-abi3`` up to the
version) on one of those platforms (``any`` always counts); any file, sdists included, is kept
only when its Requires-Python admits one of the versions. No versions and no platforms: every
file is kept. Pure: names and strings in, a verdict out.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion, Version


@dataclass(frozen=True, slots=True)
class FileFilter:
    python_versions: tuple[str, ...] = ()  # "3.11", "3.12"
    platforms: tuple[str, ...] = ()  # fnmatch patterns of platform tags

    @property
    def active(self) -> bool:
        return bool(self.python_versions or self.platforms)


def check_filter(python_versions: Sequence[str], platforms: Sequence[str]) -> list[str]:
    """What is wrong with a filter's settings (empty: nothing)."""
    errors = []
    for value in python_versions:
        parts = value.split(".")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            errors.append(f"Python version '{value}' must look like 3.12.")
    for pattern in platforms:
        if not pattern or len(pattern) > 100 or any(c.isspace() for c in pattern):
            errors.append(f"Platform pattern '{pattern}' must be 1 to 100 characters, no spaces.")
    return errors


def _interpreter_runs(interpreter: str, abi: str, major: int, minor: int) -> bool:
    if interpreter in {f"py{major}", f"py{major}{minor}", f"cp{major}{minor}"}:
        return True
    # A stable-ABI wheel built for 3.x runs on every later 3.y.
    if abi == "abi3" and interpreter.startswith(f"cp{major}"):
        built = interpreter[len(f"cp{major}") :]
        return built.isdigit() and int(built) <= minor
    return False


def _tag_runs(tag: Tag, versions: Sequence[tuple[int, int]], platforms: Sequence[str]) -> bool:
    runs_on_version = not versions or any(
        _interpreter_runs(tag.interpreter, tag.abi, major, minor) for major, minor in versions
    )
    runs_on_platform = (
        not platforms
        or tag.platform == "any"
        or any(fnmatch.fnmatchcase(tag.platform, p) for p in platforms)
    )
    return runs_on_version and runs_on_platform


def _versions(rule: FileFilter) -> list[tuple[int, int]]:
    pairs = []
    for value in rule.python_versions:
        major, _, minor = value.partition(".")
        if major.isdigit() and minor.isdigit():
            pairs.append((int(major), int(minor)))
    return pairs


def keeps(rule: FileFilter, filename: str, requires_python: str = "") -> bool:
    """Does a connector with ``rule`` keep this upstream file?"""
    if not rule.active:
        return True
    versions = _versions(rule)
    if requires_python and versions:
        try:
            allowed = SpecifierSet(requires_python)
        except InvalidSpecifier:
            allowed = SpecifierSet()  # unreadable: let the installer decide
        candidates = [Version(f"{major}.{minor}.99") for major, minor in versions]
        try:
            if not any(allowed.contains(v, prereleases=True) for v in candidates):
                return False
        except InvalidVersion:
            pass
    if not filename.endswith(".whl"):
        return True
    try:
        _, _, _, tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion):
        return True  # a name the index could not parse: not ours to judge
    return any(_tag_runs(tag, versions, rule.platforms) for tag in tags)

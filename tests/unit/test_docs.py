"""README.md documents every setting a service reads."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import packyard
from pydantic_settings import BaseSettings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _settings_variables() -> set[str]:
    found: set[str] = set()
    for info in pkgutil.walk_packages(packyard.__path__, "packyard."):
        if ".rpc." in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseSettings) and cls.__module__ == module.__name__:
                prefix = cls.model_config.get("env_prefix", "")
                found.update(f"{prefix}{name}".upper() for name in cls.model_fields)
    return found


def test_every_setting_is_in_the_readme() -> None:
    variables = _settings_variables()
    assert "PACKYARD_DATABASE_URL" in variables
    missing = sorted(v for v in variables if f"`{v}`" not in README)
    assert not missing, f"document these in README.md: {missing}"

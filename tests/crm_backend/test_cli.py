from __future__ import annotations

import json
import stat

import pytest
from typer.testing import CliRunner

from crm_backend.cli import app
from crm_backend.config import get_settings
from crm_backend.services.tokens import decode_token


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()


def test_upgrade_seed_and_tokens(cli, tmp_path):
    assert cli("db", "upgrade").exit_code == 0
    seeded = cli("seed", "--customers", "30", "--orders", "120", "--complaints", "8", "--seed", "3")
    assert seeded.exit_code == 0, seeded.output

    staff_file = tmp_path / "var" / "secrets" / "demo_staff.json"
    assert stat.S_IMODE(staff_file.stat().st_mode) == 0o600
    accounts = json.loads(staff_file.read_text())
    assert {a["department"] for a in accounts} >= {
        "customer_service",
        "sales",
        "marketing",
        "management",
        "compliance",
    }

    again = cli("seed")
    assert again.exit_code == 1
    assert cli("seed", "--if-empty").exit_code == 0

    token = cli("token", "staff", accounts[0]["username"]).output.strip()
    principal = decode_token(get_settings(), token)
    assert principal.kind == "staff"
    assert principal.subject == accounts[0]["username"]

    customer_token = cli("token", "customer", "C000001").output.strip()
    assert decode_token(get_settings(), customer_token).subject == "C000001"
    assert cli("token", "customer", "C999999").exit_code == 1
    assert cli("token", "staff", "nobody").exit_code == 1


def test_staff_add_reads_the_password_from_stdin(cli):
    cli("db", "upgrade")
    created = cli(
        "staff", "add", "amy.lau", "--department", "compliance", input="a-long-password-1\n"
    )
    assert created.exit_code == 0, created.output
    duplicate = cli(
        "staff", "add", "amy.lau", "--department", "compliance", input="another-password-2\n"
    )
    assert duplicate.exit_code == 1
    too_short = cli("staff", "add", "bob.ho", "--department", "sales", input="short\n")
    assert too_short.exit_code == 1
    assert "at least" in too_short.output
    bad_department = cli(
        "staff", "add", "cat.ng", "--department", "board", input="a-long-password-1\n"
    )
    assert bad_department.exit_code == 2

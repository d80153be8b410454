"""The devstack's log pipe: a child's raw stdout and stderr reach its log file only scrubbed.
All personal values here are made up (example.com, fake numbers)."""

from __future__ import annotations

import os
import signal
import sys

import pytest

from crm_backend.devstack import StackConfig
from crm_backend.logged_process import spawn_logged

EMAIL = "wing.test@example.com"
PHONE = "5123 4567"

CHILD = f"""
import sys, time
print("customer {EMAIL} asked for a call back", flush=True)
print("call {PHONE} after 6pm", file=sys.stderr, flush=True)
sys.stdout.write("no newline at the end " + "{EMAIL}")
"""


def test_a_childs_output_reaches_the_log_only_scrubbed(tmp_path):
    log = tmp_path / "log" / "child.log"
    popen, pump = spawn_logged(
        "child", [sys.executable, "-c", CHILD], log, env=dict(os.environ), cwd=tmp_path
    )
    assert popen.wait(timeout=30) == 0
    pump.join(timeout=120)
    assert not pump.is_alive()
    text = log.read_text(encoding="utf-8")
    assert EMAIL not in text and PHONE not in text
    assert "customer <EMAIL_ADDRESS> asked for a call back\n" in text
    assert "call <PHONE_NUMBER> after 6pm\n" in text
    assert text.endswith("no newline at the end <EMAIL_ADDRESS>")


def test_a_line_reaches_the_log_while_the_child_still_runs(tmp_path):
    log = tmp_path / "child.log"
    child = f"import time; print('mail {EMAIL}', flush=True); time.sleep(600)"
    popen, pump = spawn_logged(
        "child", [sys.executable, "-c", child], log, env=dict(os.environ), cwd=tmp_path
    )
    try:
        for _ in range(1200):
            if log.exists() and log.read_text(encoding="utf-8"):
                break
            pump.join(timeout=0.1)
        assert log.read_text(encoding="utf-8") == "mail <EMAIL_ADDRESS>\n"
    finally:
        os.killpg(popen.pid, signal.SIGTERM)
        popen.wait(timeout=30)
        pump.join(timeout=30)
    assert not pump.is_alive()


def test_the_log_level_setting(monkeypatch):
    monkeypatch.setenv("CRM_LOG_LEVEL", "DEBUG")
    assert StackConfig().log_level == "debug"
    monkeypatch.setenv("CRM_LOG_LEVEL", "verbose")
    with pytest.raises(ValueError, match="CRM_LOG_LEVEL"):
        StackConfig()
    monkeypatch.delenv("CRM_LOG_LEVEL")
    assert StackConfig().log_level == "info"

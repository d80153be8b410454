"""The audience filter runs inside Rasa's Python 3.10 environment, so these tests drive it
there (a subprocess of .venv-rasa) with messages as Rasa's NLU hands them over."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

SCRIPT = """
import json, sys
from rasa.shared.nlu.training_data.message import Message
from bot.audience import AudienceIntentFilter
cases = json.load(sys.stdin)
out = []
for case in cases:
    ranking = [{"name": n, "confidence": c} for n, c in case["ranking"]]
    message = Message(data={"text": "x", "metadata": case["metadata"],
                            "intent": ranking[0], "intent_ranking": ranking})
    AudienceIntentFilter().process([message])
    out.append([message.get("intent"), [e["name"] for e in message.get("intent_ranking")]])
print(json.dumps(out))
"""


def fake_token(kind: str) -> str:
    """A JWT-shaped token claiming ``kind`` (unsigned: the filter never trusts it)."""

    def part(data: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part({'kind': kind, 'sub': 'x'})}.sig"


def run(cases: list[dict[str, object]]) -> list[list[object]]:
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", SCRIPT],
        input=json.dumps(cases), capture_output=True, text=True, cwd=ROOT, timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result: list[list[object]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_staff_and_customers_get_their_own_intents():
    ranking = [["complaint_status", 0.6], ["staff_show_complaint", 0.3], ["greet", 0.1]]
    staff, customer, guest, forged, garbage = run(
        [
            {"metadata": {"token": fake_token("staff")}, "ranking": ranking},
            {"metadata": {"token": fake_token("customer")}, "ranking": ranking},
            {
                "metadata": {},
                "ranking": [["staff_list_complaints", 0.7], ["complaint_status", 0.3]],
            },
            {"metadata": {"token": "not.a-jwt.at all"}, "ranking": ranking},
            {"metadata": "oops", "ranking": [["staff_add_note", 1.0]]},
        ]
    )
    assert staff[0]["name"] == "staff_show_complaint"
    assert staff[0]["confidence"] == pytest.approx(0.75)
    assert staff[1] == ["staff_show_complaint", "greet"]
    assert customer[0] == {"name": "complaint_status", "confidence": pytest.approx(0.6 / 0.7)}
    assert guest[0]["name"] == "complaint_status" and guest[0]["confidence"] == pytest.approx(1.0)
    assert forged[0]["name"] == "complaint_status"
    assert garbage[0]["name"] == "nlu_fallback"

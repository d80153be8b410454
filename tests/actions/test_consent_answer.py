"""Only a clear yes is consent; questions and hedges are asked again, in every flow."""

from __future__ import annotations

import pytest

from actions.consent_answer import consent_answer


@pytest.mark.parametrize("text", ["yes", "Yes!", "I agree", "/affirm", "ok", "好", "同意。", "係"])
def test_a_clear_yes_is_consent(text):
    assert consent_answer(text) is True


@pytest.mark.parametrize("text", ["no", "No thanks.", "/deny", "I don't agree", "唔同意", "不要"])
def test_a_clear_no_is_a_refusal(text):
    assert consent_answer(text) is False


@pytest.mark.parametrize(
    "text",
    [
        "係唔係一定要同意?",  # "do I have to agree?"
        "可以之後取消嗎?",  # "can I cancel later?"
        "ok what does that mean?",
        "sure, but not sms",
        "好似唔係好明",  # "I don't really understand"
        "no problem",
        "yes?",
        "perhaps later",
        "",
        "yes " * 500,
    ],
)
def test_anything_else_is_neither(text):
    assert consent_answer(text) is None

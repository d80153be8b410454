"""WCAG 2.1 AA contrast (4.5:1 for body text, 3:1 for the focus ring) of the colour pairs the
chat pages use, computed from the colours in the stylesheet itself."""

from __future__ import annotations

import re

import pytest

from crm_backend.api.routes.web import WEB_DIR

CSS = (WEB_DIR / "css" / "chat.css").read_text(encoding="utf-8")
COLOURS = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;", CSS))
# (text, background) as the stylesheet combines them.
PAIRS = [
    ("ink", "wash"), ("ink", "paper"), ("ink", "bot"),
    ("muted", "paper"), ("muted", "wash"), ("muted", "bot"),
    ("brand-ink", "brand"), ("brand-ink", "user"), ("brand-ink", "error"),
    ("brand", "paper"), ("error", "paper"), ("error", "wash"), ("error", "bot"),
]  # fmt: skip
# The focus ring against what surrounds it: 3:1 for a user-interface component (1.4.11).
FOCUS_PAIRS = [("focus", "paper"), ("focus", "wash"), ("focus", "bot"), ("brand-ink", "brand")]


def luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_gives_the_known_extremes() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # just fails AA


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_meets_aa_on_its_background(text: str, background: str) -> None:
    assert contrast(COLOURS[text], COLOURS[background]) >= 4.5


@pytest.mark.parametrize(("ring", "around"), FOCUS_PAIRS)
def test_the_focus_ring_stands_out(ring: str, around: str) -> None:
    assert contrast(COLOURS[ring], COLOURS[around]) >= 3.0

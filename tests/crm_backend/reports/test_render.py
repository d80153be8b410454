"""Chart images from report frames: free-text labels are drawn as text."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_backend.reports.base import Chart, Column, ReportFrame
from crm_backend.reports.render import chart_png

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("store", [r"$\frac{$", "Shop $5 off $10", "$$"])
def test_dollar_signs_in_labels_are_not_formulas(store: str) -> None:
    frame = ReportFrame(
        columns=[Column("store", "Store"), Column("cents", "Sales", "money")],
        data=pd.DataFrame({"store": [store, "Mong Kok"], "cents": [12_345, 6_789]}),
        summary=["x"],
        chart=Chart("bar", "store", ("cents",), f"Sales by store incl. {store}", "HKD"),
    )
    image = chart_png(frame)
    assert image is not None and image.startswith(PNG)

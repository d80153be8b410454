"""Reports: pandas computations behind the staff report catalogue."""

from __future__ import annotations

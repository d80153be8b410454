"""Well-known locations inside the project checkout."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
DATA_DIR = Path(__file__).resolve().parent / "data"

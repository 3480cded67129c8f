"""Shared fixtures: the real saved pages (skipped cleanly where ../shared/samples is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The real platform pages beside the repository (never copied into it).
SAMPLES = Path(os.environ.get("MARKWATCH_SAMPLES", ROOT.parent / "shared" / "samples"))


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"real samples not found at {SAMPLES}")
    return SAMPLES


def sample_path(rel: str) -> Path:
    """Path of one real sample; skips the test when the samples are not beside the repo."""
    path = SAMPLES / rel
    if not path.is_file():
        pytest.skip(f"real sample {rel} not found under {SAMPLES}")
    return path

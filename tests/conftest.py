"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"


@pytest.fixture
def repo() -> Path:
    return REPO


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``heavy`` (a long module-wide run, the demo) first, so that under
    ``pytest -n 2 --dist loadfile`` the two workers start on them and finish together instead
    of one of them picking up a three-minute module at the end. A stable sort: the order
    within each part is the collection order."""
    items.sort(key=lambda it: it.get_closest_marker("heavy") is None)

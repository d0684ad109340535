"""The unit ring: workflow rules against the in-memory unit of work, at a fixed time."""

from __future__ import annotations

import pytest

from tests.unit.workflow.journey import Company, company


@pytest.fixture
def c() -> Company:
    """A company with a person (and a group) in every department, at `fakes.NOW`."""
    return company()

"""Fixtures of the database store's tests: databases made for a test, dropped after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.store.postgres.server import Cluster, Databases


@pytest.fixture
def databases(postgres_cluster: Cluster) -> Iterator[Databases]:
    made = Databases(postgres_cluster)
    yield made
    made.drop_all()

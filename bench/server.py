"""A throwaway PostgreSQL server for the database benches (tests/store/postgres/server.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def durable_cluster(bench: str) -> Iterator[Any]:
    """A started cluster with fsync and synchronous commits on, as a real server, its
    password file in PGPASSFILE; None (said in a line) where PostgreSQL is not installed.
    Removed, and PGPASSFILE restored, at the end."""
    from tests.store.postgres.server import Cluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        print(f"{bench}: no PostgreSQL binaries; skipped")
        yield None
        return
    cluster = Cluster(bindir)
    saved_passfile = os.environ.get("PGPASSFILE")
    try:
        cluster.start(durable=True)
        os.environ["PGPASSFILE"] = str(cluster.passfile)
        yield cluster
    finally:
        cluster.remove()
        if saved_passfile is None:
            os.environ.pop("PGPASSFILE", None)
        else:
            os.environ["PGPASSFILE"] = saved_passfile

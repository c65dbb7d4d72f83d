"""A server killed (kill -9 of the postmaster and its processes) half-way through a large
add_documents: after a restart the documents are all there or none, and the project
opens and takes the same import again. A cluster of its own, so that no other test
sees the crash."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from annotator.core.errors import StoreUnavailable
from annotator.core.models import Document
from annotator.store.postgres import create_postgres, open_postgres
from tests.store.postgres.server import Cluster, find_bindir

pytestmark = pytest.mark.postgres

COUNT = 20_000


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries (pg_config --bindir, /usr/lib/postgresql/*/bin)")
    cluster = Cluster(bindir)
    try:
        # Durable: with synchronous_commit off a kill -9 may also lose the commit that
        # created the project, which is not what this test is about.
        cluster.start(durable=True)
        with cluster.admin() as admin:
            admin.execute("CREATE DATABASE crash")
        yield cluster
    finally:
        cluster.remove()


def documents() -> Iterator[Document]:
    body = "Reporters said 👍🏽 the minister spoke in Paris. " * 20
    for number in range(COUNT):
        yield Document(id=f"doc{number:05}", text=f"{number}: {body}", meta={"n": number})


def test_killing_the_server_during_an_import_keeps_all_or_none(
    own_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSFILE", str(own_cluster.passfile))
    url = own_cluster.url("crash")
    create_postgres(url).close()
    store = open_postgres(url)
    killed = []

    def kill_half_way(done: int, total: int | None) -> None:
        if done >= COUNT // 2 and not killed:
            own_cluster.kill_server()
            killed.append(done)

    try:
        with pytest.raises(StoreUnavailable) as error:
            store.add_documents(documents(), progress=kill_half_way)
    finally:
        store.close()
    assert killed
    message = str(error.value)
    assert message.startswith(f"{url}: the database cannot be reached (")
    assert message.endswith("; no document was added") and "\n" not in message
    own_cluster.start(durable=True)
    with open_postgres(url) as reopened:
        # All or none; and none it must be, since the server died before the import
        # could ask for its commit.
        assert len(reopened) == 0
        counts = reopened.add_documents(documents())
        assert counts == {"added": COUNT, "unchanged": 0}
        assert reopened.document_ids()[-1] == f"doc{COUNT - 1:05}"

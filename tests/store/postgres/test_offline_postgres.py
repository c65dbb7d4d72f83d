"""The offline wrapper on a database project: edits made while the server is stopped
are kept on this computer and sent once it is back; a save without a text is checked
against the server's own text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from annotator.core.errors import AnnotationError, StoreUnavailable
from annotator.core.models import Document, Span, text_hash
from annotator.store.offline import OfflineBufferedLayer, offline_buffered
from annotator.store.open import open_project
from annotator.store.postgres import create_postgres, open_postgres
from tests.store.postgres.server import Cluster, find_bindir

pytestmark = pytest.mark.postgres

TEXT = "Zoë met Ana 👍🏽 in Zürich."


@pytest.fixture
def own_cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    """A cluster of this test's own, to stop and start without disturbing the others."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries (pg_config --bindir, /usr/lib/postgresql/*/bin)")
    cluster = Cluster(bindir)
    try:
        # Durable: the stop is immediate (a crash), which async commits would not survive.
        cluster.start(durable=True)
        monkeypatch.setenv("PGPASSFILE", str(cluster.passfile))
        with cluster.admin() as admin:
            admin.execute("CREATE DATABASE offline")
        yield cluster
    finally:
        cluster.remove()


def test_an_edit_made_while_the_server_is_stopped_is_sent_after_it_restarts(
    own_cluster: Cluster, tmp_path: Path
) -> None:
    url = own_cluster.url("offline")
    create_postgres(url).close()
    with open_project(url) as project:
        project.add_documents([Document(id="a", text=TEXT)])
        layer = offline_buffered(project, project.annotations("ana"), root=tmp_path)
        assert isinstance(layer, OfflineBufferedLayer)
        assert layer.where("a") == f"{url} annotations of ana, document a"
        labels = layer.get_or_new("a")
        own_cluster.stop()
        labels.spans.append(Span(id="T1", start=0, end=3, label="PERSON", text="Zoë"))
        layer.save(labels, TEXT)
        assert layer.waiting() == 1 and "cannot be reached" in layer.unreachable_reason
        assert layer.get("a") == labels  # the analyst sees their edit
        with pytest.raises(StoreUnavailable):
            project.get_document("a")
        assert layer.send_waiting() == 0 and layer.waiting() == 1
        own_cluster.start(durable=True)
        sent = layer.send_waiting()
        assert sent == 1, (layer.unreachable_reason, layer.rejected)
        assert layer.waiting() == 0
        layer.close()
    with open_postgres(url) as reopened:
        saved = reopened.annotations("ana", writable=False).get("a")
        assert saved is not None and [s.text for s in saved.spans] == ["Zoë"]


def test_a_save_without_a_text_is_checked_against_the_servers_text(postgres_url: str) -> None:
    with open_project(postgres_url) as project:
        project.add_documents([Document(id="a", text=TEXT)])
        layer = project.annotations("ana")
        labels = layer.get_or_new("a")  # the program has read the text once
        changed = "Ana met Zoë 👍🏽 in Zürich."
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "UPDATE documents SET text = %s, text_hash = %s WHERE id = 'a'",
                (changed, text_hash(changed)),
            )
        labels.spans.append(Span(id="T1", start=0, end=3, label="PERSON", text="Zoë"))
        with pytest.raises(AnnotationError):
            layer.save(labels)
        assert layer.get("a") is None

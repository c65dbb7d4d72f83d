"""Bad database locations: one line each, no traceback, and nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from annotator.cli import main
from annotator.core.errors import AnnotatorError, LockedError, StoreUnavailable
from annotator.store.postgres import create_postgres, open_postgres
from tests.store.postgres.server import Cluster, Databases, free_port

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[3]


def tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            " ORDER BY table_name"
        ).fetchall()
    return [str(row[0]) for row in found]


def one_line(error: pytest.ExceptionInfo[AnnotatorError]) -> str:
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_a_server_that_is_not_there(postgres_cluster: Cluster) -> None:
    url = f"postgresql://annotator_test@127.0.0.1:{free_port()}/nothing"
    started = time.monotonic()
    with pytest.raises(AnnotatorError) as error:
        open_postgres(url)
    message = one_line(error)
    assert message.startswith(f"{url}: cannot connect: ") and "refused" in message
    assert time.monotonic() - started < 10
    with pytest.raises(AnnotatorError, match="cannot connect"):
        create_postgres(url)


def test_a_wrong_password_is_named_but_never_shown(databases: Databases) -> None:
    url = databases.new()
    wrong = url.replace("annotator_test@", "annotator_test:hunter2@")
    with pytest.raises(AnnotatorError) as error:
        open_postgres(wrong)
    message = one_line(error)
    assert message.startswith(f"{url}: cannot connect: ")
    assert "password authentication failed" in message and "hunter2" not in message


def test_a_database_that_does_not_exist(postgres_cluster: Cluster) -> None:
    url = postgres_cluster.url("no_such_database")
    with pytest.raises(AnnotatorError) as error:
        open_postgres(url)
    assert 'database "no_such_database" does not exist' in one_line(error)


def test_another_applications_tables_are_refused_and_left_alone(databases: Databases) -> None:
    url = databases.new(template=None)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE customers (id int)")
        conn.execute("CREATE TABLE documents (id int)")
    for opener in (open_postgres, create_postgres):
        with pytest.raises(AnnotatorError) as error:
            opener(url)
        message = one_line(error)
        assert message == (
            f"{url}: this database holds tables of another application (public.customers, "
            "public.documents) and no annotator project; use an empty database"
        )
    assert tables(url) == ["customers", "documents"]


def test_another_tools_schema_version_table_is_not_ours(databases: Databases) -> None:
    url = databases.new(template=None)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE schema_version (installed_rank int, version text)")
    with pytest.raises(AnnotatorError, match="tables of another application"):
        create_postgres(url)
    assert tables(url) == ["schema_version"]


def test_an_empty_database_holds_no_project_until_one_is_created(databases: Databases) -> None:
    url = databases.new(template=None)
    with pytest.raises(AnnotatorError, match="no annotator project in this database"):
        open_postgres(url)
    assert tables(url) == []


def test_a_newer_schema_is_refused_and_left_as_it_is(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_version (version) VALUES (99)")
    for recover in (True, False):
        with pytest.raises(AnnotatorError) as error:
            open_postgres(postgres_url, recover=recover)
        assert one_line(error) == (
            f"{postgres_url}: the database's schema version 99 is newer than this program "
            "understands (1); update annotator"
        )


def test_a_server_gone_while_open_is_one_line_per_operation(
    postgres_url: str, postgres_cluster: Cluster
) -> None:
    from annotator.core.models import Document

    store = open_postgres(postgres_url)
    try:
        store.add_documents([Document(id="a", text="Some text.")])
        layer = store.annotations("alice")
        labels = layer.get_or_new("a")
        with psycopg.connect(postgres_cluster.url("postgres"), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (store.conn.info.backend_pid,))
        with pytest.raises(StoreUnavailable) as error:
            layer.save(labels)
        message = one_line(error)
        assert message.startswith(
            f"{postgres_url}/annotations/alice: the database cannot be reached ("
        )
        assert message.endswith("the edit was not saved")
        # The next request connects again, and the writer holds its layer's lock again.
        labels.note = "sent after the reconnect"
        layer.save(labels)
        with open_postgres(postgres_url) as other:
            assert other.annotations("alice", writable=False).get("a") == labels
            with pytest.raises(LockedError):
                other.annotations("alice")
    finally:
        store.close()


def test_the_command_line_says_one_line_and_writes_nothing(
    databases: Databases, tmp_path: Path
) -> None:
    url = databases.new()
    wrong = url.replace("annotator_test@", "annotator_test:hunter2@")
    destination = tmp_path / "copy"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "annotator.cli", "copy", wrong, str(destination)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"annotator: error: {url}: cannot connect: ")
    assert "hunter2" not in done.stderr and not destination.exists()


def test_copying_into_a_project_that_is_not_empty_is_refused(
    databases: Databases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from annotator.core.models import Document

    source = tmp_path / "source"
    assert main(["init", str(source)]) == 0
    url = databases.new()
    with open_postgres(url) as store:
        store.add_documents([Document(id="a", text="Kept.")])
    capsys.readouterr()
    assert main(["copy", str(source), url]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"annotator: error: {url}: not empty (1 documents, 0 layers of labels); copy into a "
        "new folder or an empty database\n"
    )
    with open_postgres(url) as store:
        assert store.document_ids() == ["a"] and store.schema is not None

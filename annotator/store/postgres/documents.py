"""Adding documents to the database: one transaction, all or nothing.

The documents are streamed with COPY into a temporary staging table (dropped at the
transaction's end), checked against the stored ones in one query, and the new ones
inserted in the order given, after the project's last document. A document is its id:
the same id and text again is "unchanged", the same id with another text is refused
(and nothing of the batch is kept), the same text under another id is added.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import orjson
import psycopg

from annotator.core.errors import AnnotatorError
from annotator.core.models import Document, text_hash
from annotator.store.interface import AddOutcome, Progress

_STAGING = """
CREATE TEMPORARY TABLE staging (
    seq bigint NOT NULL,
    id text NOT NULL,
    text text NOT NULL,
    meta json NOT NULL,
    text_hash text NOT NULL,
    chars integer NOT NULL,
    title text NOT NULL
) ON COMMIT DROP
"""
# Rows added between two progress reports (a call per document costs more than a row).
_PROGRESS_EVERY = 256


def refused(doc_id: str, where: str) -> AnnotatorError:
    return AnnotatorError(
        f"document id {doc_id!r} is already {where} with a different text; "
        "give the new document another id"
    )


def stage_documents(
    conn: psycopg.Connection[Any], documents: Iterable[Document], progress: Progress | None
) -> int:
    """COPY the documents into ``staging``; refuses an id given twice with two texts.
    Returns how many documents were given."""
    conn.execute(_STAGING)
    digests: dict[str, str] = {}
    count = 0
    with conn.cursor().copy(
        "COPY staging (seq, id, text, meta, text_hash, chars, title) FROM STDIN"
    ) as copy:
        for document in documents:
            text = document.text
            if "\x00" in text:
                raise AnnotatorError(
                    f"document {document.id!r}: its text holds a NUL character, which "
                    "PostgreSQL cannot store"
                )
            digest = text_hash(text)
            known = digests.setdefault(document.id, digest)
            if known != digest:
                raise refused(document.id, "earlier in this import")
            meta = document.meta
            copy.write_row(
                (
                    count,
                    document.id,
                    text,
                    orjson.dumps(meta).decode(),
                    digest,
                    len(text),
                    str(meta.get("title") or document.id),
                )
            )
            count += 1
            if progress is not None and count % _PROGRESS_EVERY == 0:
                progress(count, None)
    if progress is not None:
        progress(count, None)
    return count


def insert_staged(conn: psycopg.Connection[Any], given: int) -> dict[AddOutcome, int]:
    """Check the staged documents against the stored ones and insert the new ones (the
    caller's transaction commits or rolls back)."""
    # One import at a time appends after the last document; saves and reads go on.
    conn.execute("LOCK TABLE documents IN SHARE ROW EXCLUSIVE MODE")
    clash = conn.execute(
        "SELECT s.id FROM staging s JOIN documents d ON d.id = s.id"
        " WHERE d.text_hash <> s.text_hash ORDER BY s.seq LIMIT 1"
    ).fetchone()
    if clash is not None:
        raise refused(str(clash[0]), "in the project")
    inserted = conn.execute(
        "INSERT INTO documents (ordinal, id, text, meta, text_hash, chars, title)"
        " SELECT (SELECT coalesce(max(ordinal), 0) FROM documents)"
        "        + row_number() OVER (ORDER BY seq), id, text, meta, text_hash, chars, title"
        " FROM (SELECT DISTINCT ON (id) * FROM staging ORDER BY id, seq) AS first"
        " WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = first.id)"
    ).rowcount
    return {"added": inserted, "unchanged": given - inserted}


def search_rows(conn: psycopg.Connection[Any], term: str) -> list[int]:
    """The rows (ordinal - 1) of the documents whose title, id or text contains
    ``term``, case aside, in one scan on the server. An ASCII term is matched with
    ILIKE (its letters compared either case: three to four times faster than lowering
    every text); any other is compared lowered by ICU's Unicode rules where the server
    has them (its C locale lowers only ASCII letters). Lowered, not casefolded as the
    folder store compares: "ß" does not match "ss" here."""
    if term.isascii():
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", term) + "%"
        rows = conn.execute(
            "SELECT ordinal - 1 FROM documents WHERE title ILIKE %(p)s OR id ILIKE %(p)s"
            " OR text ILIKE %(p)s ORDER BY ordinal",
            {"p": pattern},
        ).fetchall()
        return [int(row[0]) for row in rows]
    icu = conn.execute("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'").fetchone()
    lowered = 'lower({} COLLATE "und-x-icu")' if icu else "lower({})"
    rows = conn.execute(
        "SELECT ordinal - 1 FROM documents WHERE"
        f" strpos({lowered.format('title')}, %(term)s) > 0"
        f" OR strpos({lowered.format('id')}, %(term)s) > 0"
        f" OR strpos({lowered.format('text')}, %(term)s) > 0 ORDER BY ordinal",
        {"term": term.lower()},
    ).fetchall()
    return [int(row[0]) for row in rows]

"""Handing documents out to analysts: each document to ``analysts_per_document`` of them.

The project setting ``analysts_per_document`` (default 1) says how many analysts label
each document. :func:`claim_next` gives an analyst the first document, in the project's
order, that has fewer claims than that and that they have neither claimed nor labelled,
and records the claim (``claims``: document, annotator, time), in one transaction,
which also tells listening programs (``NOTIFY annotator_changes, '\t<doc id>'``: no
one's labels changed, a document was handed out) so that their team counts refresh.

Analysts asking at once never race for the last slot: the candidate document's row is
locked (``FOR NO KEY UPDATE SKIP LOCKED``: a second analyst takes the next document
instead of waiting, and saves of labels, which only need the row's key, go on), and its
claims are counted again once the lock is held, since the query that found it may have
read them before another analyst's claim committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from annotator.core.errors import AnnotatorError
from annotator.store.postgres.layer import CHANGES_CHANNEL

SETTING = "analysts_per_document"

_CANDIDATE = """
SELECT d.id FROM documents d
WHERE NOT EXISTS (SELECT 1 FROM claims c WHERE c.document = d.id AND c.annotator = %(who)s)
  AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.document = d.id AND a.annotator = %(who)s)
  AND (SELECT count(*) FROM claims c WHERE c.document = d.id) < %(needed)s
ORDER BY d.ordinal
LIMIT 1
FOR NO KEY UPDATE OF d SKIP LOCKED
"""


@dataclass(frozen=True, slots=True)
class AnalystProgress:
    handed_out: int
    done: int


def analysts_needed(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(f"SELECT settings -> '{SETTING}' FROM project").fetchone()
    value = 1 if row is None or row[0] is None else row[0]
    if type(value) is not int or value < 1:
        raise AnnotatorError(f"project setting {SETTING} must be a whole number of at least 1")
    return value


def claim_next(conn: psycopg.Connection[Any], annotator: str) -> str | None:
    with conn.transaction():
        needed = analysts_needed(conn)
        while True:
            row = conn.execute(_CANDIDATE, {"who": annotator, "needed": needed}).fetchone()
            if row is None:
                return None
            doc_id = str(row[0])
            counted = conn.execute(
                "SELECT count(*) FROM claims WHERE document = %s", (doc_id,)
            ).fetchone()
            if counted is not None and counted[0] < needed:
                conn.execute(
                    "INSERT INTO claims (document, annotator) VALUES (%s, %s)", (doc_id, annotator)
                )
                conn.execute("SELECT pg_notify(%s, %s)", (CHANGES_CHANNEL, f"\t{doc_id}"))
                return doc_id
            # Filled meanwhile: the next query's fresh snapshot sees it full and moves on.


def progress_of_analysts(conn: psycopg.Connection[Any]) -> dict[str, AnalystProgress]:
    rows = conn.execute(
        "SELECT annotator, sum(handed_out)::int, sum(done)::int FROM ("
        " SELECT annotator, 1 AS handed_out, 0 AS done FROM claims"
        " UNION ALL"
        " SELECT annotator, 0, 1 FROM annotations WHERE status = 'done'"
        ") AS counted GROUP BY annotator"
    ).fetchall()
    return {str(name): AnalystProgress(handed_out, done) for name, handed_out, done in sorted(rows)}

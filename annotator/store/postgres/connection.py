"""One connection to the project's database, and every database error as one line.

The URL is a libpq connection URI (``postgresql://user@host:port/db``). The password is
never on the command line: libpq reads it from PGPASSWORD or ~/.pgpass (PGPASSFILE) by
itself. A password written into the URL all the same is used, and never shown: the
store's ``location`` is the URL without it.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg

from annotator.core.errors import AnnotatorError, StoreUnavailable

URL_SCHEMES = ("postgresql://", "postgres://")
# Seconds before an unreachable server is reported (libpq waits forever by default).
CONNECT_TIMEOUT = 10
# What other programs are told holds a layer: "pid 123 on host", as the folder store says.
APPLICATION_PREFIX = "annotator "


def is_database_url(location: str) -> bool:
    return location.startswith(URL_SCHEMES)


def url_without_password(url: str) -> str:
    """The URL as it is safe to print: no password in the user part or the query."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}@{host}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def one_line(exc: BaseException) -> str:
    """A server's or libpq's message (often several lines, with hints) as one line."""
    text = str(exc).strip() or type(exc).__name__
    text = re.sub(r"\s*\n\s*", "; ", text)
    return re.sub(r"\s+", " ", text)


def connect(url: str, location: str) -> psycopg.Connection[Any]:
    """An autocommit connection (each statement its own transaction unless a
    ``transaction()`` block says otherwise), or one line saying why there is none."""
    if not is_database_url(url):
        raise AnnotatorError(f"{location}: not a postgresql:// URL")
    try:
        return psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            application_name=f"{APPLICATION_PREFIX}pid {os.getpid()} on {socket.gethostname()}"[
                :63
            ],
        )
    except psycopg.ProgrammingError as exc:  # a malformed URL
        raise AnnotatorError(f"{location}: not a usable database URL ({one_line(exc)})") from None
    except psycopg.Error as exc:
        if unreachable(exc):
            raise StoreUnavailable(f"{location}: cannot connect: {one_line(exc)}") from None
        raise AnnotatorError(f"{location}: cannot connect: {one_line(exc)}") from None


# SQLSTATE classes that are an answer about the request, not a lost server: a refused
# login (28), no such database (3D).
_ANSWERS = ("28", "3D")


def unreachable(exc: BaseException) -> bool:
    """Whether the error says the server did not answer (down, restarting, connection
    lost, timed out), so that the same request may succeed later."""
    if isinstance(exc, OSError):
        return True
    if not isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return False
    state = getattr(exc, "sqlstate", None) or ""
    return not state.startswith(_ANSWERS)


@contextmanager
def database_errors(location: str, not_done: str) -> Iterator[None]:
    """Turn a database error inside the block into one line: where, what, and what was
    not done ("the edit was not saved"). The transaction it hit was rolled back."""
    try:
        yield
    except psycopg.errors.ForeignKeyViolation as exc:
        detail = exc.diag.message_detail or one_line(exc)
        raise AnnotatorError(f"{location}: {not_done}: {one_line(Exception(detail))}") from None
    except (psycopg.OperationalError, psycopg.InterfaceError, OSError) as exc:
        if unreachable(exc):
            raise StoreUnavailable(
                f"{location}: the database cannot be reached ({one_line(exc)}); {not_done}"
            ) from None
        raise AnnotatorError(
            f"{location}: the database connection failed ({one_line(exc)}); {not_done}"
        ) from None
    except psycopg.Error as exc:
        raise AnnotatorError(f"{location}: {one_line(exc)}; {not_done}") from None

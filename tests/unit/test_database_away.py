"""storage.db.database_away and reason: what is the database's trouble rather than the
statement's, and the one line that names an error."""

from __future__ import annotations

import errno

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from storage.db import database_away, reason


def _invalidated(orig: Exception) -> DBAPIError:
    error = DBAPIError("SELECT 1", None, orig)
    error.connection_invalidated = True
    return error


@pytest.mark.parametrize("error", [
    ConnectionRefusedError(111, "Connect call failed"),
    ConnectionResetError(),
    _invalidated(ValueError("connection is closed")),
    OperationalError("SELECT 1", None, ValueError("the database system is starting up")),
    PoolTimeout("QueuePool limit of size 15 overflow 0 reached"),
], ids=["refused", "reset", "dropped", "starting up", "pool busy"])
def test_the_database_away_or_busy_is_not_the_statements_fault(error: Exception) -> None:
    assert database_away(error)


@pytest.mark.parametrize("error", [
    IntegrityError("INSERT …", None, ValueError("duplicate key")),
    ValueError("a value nothing expected"),
    OSError(errno.ENOSPC, "No space left on device"),
], ids=["refused statement", "bug", "full disk"])
def test_a_statement_refused_or_a_bug_is_not_the_database_away(error: Exception) -> None:
    assert not database_away(error)


@pytest.mark.parametrize(("error", "line"), [
    (KeyError("customer"), "KeyError: 'customer'"),
    (ConnectionResetError(), "ConnectionResetError"),
    (IntegrityError("INSERT INTO people …", {"id": 5}, ValueError("duplicate key\nDETAIL: x")),
     "ValueError: duplicate key"),
], ids=["bare key", "no words", "driver's words without the statement"])
def test_an_error_is_one_line_with_its_kind(error: Exception, line: str) -> None:
    assert reason(error) == line

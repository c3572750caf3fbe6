"""Writing checked rows into the staging table: COPY on PostgreSQL, executemany elsewhere.

One INSERT per row was most of an import's time (tens of thousands of statements for a
large file); COPY streams a batch in one statement, and SQLite's executemany runs one
prepared statement in C. Callers pass tuples in STAGED_COLUMNS order, inside their own
transaction (a batch and its checkpoint commit together).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import OperationalError, connection, transaction

from campaigns.models import LeadImport, LeadImportRow
from campaigns.services.import_rows import STAGED_COLUMNS


def _table() -> str:
    return connection.ops.quote_name(LeadImportRow._meta.db_table)


def _columns() -> str:
    return ", ".join(connection.ops.quote_name(c) for c in STAGED_COLUMNS)


def stage_rows(rows: Iterable[tuple]) -> None:
    """Append `rows` to the staging table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A batch and its checkpoint commit together, so losing the last ones in a server
            # crash loses both and the import resumes from the one before: no fsync to wait for.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            with cursor.cursor.copy(f"COPY {_table()} ({_columns()}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(STAGED_COLUMNS))
        cursor.executemany(f"INSERT INTO {_table()} ({_columns()}) VALUES ({marks})", list(rows))  # noqa: S608 (names, not values)


def staged_discard(*, import_id: int, after_row: int = 0) -> None:
    """Forget the staged rows of an import (those after `after_row`, when resuming)."""
    if after_row == 0 and _empty_if_alone(import_id):
        return
    LeadImportRow.objects.filter(lead_import_id=import_id, row_number__gt=after_row).delete()


def _empty_if_alone(import_id: int) -> bool:
    """PostgreSQL: TRUNCATE the staging table when no other import may have rows in it; True if done.

    Deleted rows stay in the file until VACUUM. A 100,000-row import leaves 100,000 of them, and
    every later statement over staged rows reads them again: a few imports with autovacuum off
    or behind made each apply several times slower. TRUNCATE gives the space back at once. Any
    other queued or running import may have staged rows (a resume continues from them), so
    then the import's own rows are deleted as before; ended imports' rows are left-overs the
    sweeper would purge. The lock is only tried, never waited for: a reader or another import's
    batch means the DELETE instead.
    """
    if connection.vendor != "postgresql":
        return False  # SQLite reuses a deleted row's space by itself
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {_table()} IN ACCESS EXCLUSIVE MODE NOWAIT")
            active = LeadImport.objects.filter(status__in=[LeadImport.Status.QUEUED, LeadImport.Status.RUNNING])
            if active.exclude(pk=import_id).exists():
                return False
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {_table()}")
            return True
    except OperationalError:  # the lock is held: someone is reading or staging
        return False

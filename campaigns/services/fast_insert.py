"""INSERT many rows with one executemany, for the import's hot loop.

bulk_create builds every value through the SQL compiler and needs a model instance per
row; for 100,000 leads that is most of an import's time. Here each column is prepared
once: values the caller gives are adapted per row only when their type needs it (JSON),
every other column gets its model default (or now() for auto_now fields), computed once.
A field another area adds later (with a default) is therefore filled in, not forgotten.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

PLAIN_TYPES = {"CharField", "TextField", "BooleanField", "ForeignKey", "PositiveIntegerField", "IntegerField"}


def fast_insert(model, columns: list[str], rows: list[tuple], *, batch: int = 500) -> None:
    """Insert `rows` (tuples in the order of `columns`, attnames) into `model`'s table."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    by_attname = {f.attname: f for f in fields}
    given = [by_attname[name] for name in columns]
    prepare = [None if f.get_internal_type() in PLAIN_TYPES else f for f in given]
    now = timezone.now()
    constants = []
    for f in fields:
        if f.attname in columns:
            continue
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        constants.append((f, f.get_db_prep_save(now if auto else f.get_default(), connection)))
    names = [f.column for f in given] + [f.column for f, _ in constants]
    tail = tuple(value for _, value in constants)
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (identifiers from _meta, values as params)
        qn(model._meta.db_table), ", ".join(qn(n) for n in names), ", ".join(["%s"] * len(names))
    )
    params = [
        tuple(v if p is None else p.get_db_prep_save(v, connection) for v, p in zip(row, prepare, strict=True)) + tail
        for row in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(params), batch):
            cursor.executemany(sql, params[start : start + batch])

"""PostgreSQL reads the CSV: a chunk of the file is COPYed as it is, the rows are checked in SQL.

Python touching every row was most of an import's time even with COPY staging. Here Python
only cuts the decoded text into chunks of whole records; each chunk goes through
`COPY … FROM STDIN (FORMAT csv)` into a temporary table of raw text columns whose identity
column keeps the file's order (→ row numbers), and one statement stages its rows: the same
blank-row rule, the same ASCII fast path for addresses (`emails._plain`, as a regex the
server runs) and the same cell cleaning as `import_rows` for plain printable ASCII cells.
The rows SQL cannot decide (an address needing email-validator, a non-ASCII or overlong
cell) come back as the statement's answer and go through `import_rows.row_tuple`, like every
row of the Python path: a handful in a typical file. A property test holds both paths to the
same staged rows.

Where COPY and Python's csv module could read a chunk differently, Python reads it:
- a chunk COPY refuses (a ragged row, a NUL byte, a line that is only "\\.", mixed line
  endings) is read by csv, its rows staged the Python way, and the next chunk uses COPY again;
- a quote that is not a whole field's quoting (`ab"c`, `"a"b`) makes csv and COPY disagree
  about where records end: from that chunk on, the rest of the file takes the Python path.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from django.db import DatabaseError, connection, transaction

from campaigns.models import LeadImportRow
from campaigns.services import csv_import
from campaigns.services.emails import ROLE_LOCAL_PARTS, SPECIAL_USE_TLDS
from campaigns.services.import_apply import relax_commit
from campaigns.services.import_rows import MAX_CUSTOM_CHARS, MAX_STANDARD_CHARS, TEXT_ATTRS, ColumnPlan, row_tuple
from campaigns.services.import_staging import stage_rows

# str.isspace() in a PostgreSQL bracket expression: a record of such cells is blank (not numbered).
_SPACE = r" \t\n\r\v\f\u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
BLANK_SQL = f"^[{_SPACE}]*$"
PRINTABLE_ASCII_SQL = "^[ -~]*$"  # cells `single_line` keeps as they are, bar the edge spaces
# emails._PLAIN_ADDRESS, anchored, with its bounded repeats ({1,64}, {0,61}, {2,63}) written as
# length checks (see `_fast`): PostgreSQL's regex engine unrolls bounds, which made it 25x slower.
PLAIN_SQL = (
    r"^[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z]+$"
)
_END_OF_DATA = re.compile(r"(?:^|[\r\n])\\\.(?:[\r\n]|$)")  # COPY stops at a line holding only \.
_BLANK_LINES = re.compile(r"^\r?\n", re.MULTILINE)  # COPY refuses empty lines; csv skips them


def strict_csv(delimiter: str) -> re.Pattern:
    """Text whose quotes only ever quote whole fields: csv and COPY split it alike."""
    d = re.escape(delimiter)
    field = f'(?:"[^"]*(?:""[^"]*)*"|[^"{d}\\r\\n]*)'
    return re.compile(f"(?:{field}(?:{d}{field})*(?:\\r\\n|\\n|\\r|\\Z))*")


def skip_chars(text, count: int) -> None:
    """Read past the first `count` characters of `text`, a block at a time (memory stays flat)."""
    while count > 0 and (block := text.read(min(count, 1 << 20))):
        count -= len(block)


def text_chunks(text, *, lines: int, first: int = 0, block: int = 1 << 16) -> Iterator[str]:
    """Pieces of decoded text of `lines` lines (`first` more in the first piece: the header),
    each ending where a record ends: after a line break with an even number of quotes before it
    (a quoted field's line breaks are not record ends)."""
    buf, eof = text.read(block), False
    newline = "\n" if "\n" in buf or "\r" not in buf else "\r"  # old Mac files end lines with \r alone
    pos = quotes = end = end_quotes = found = 0
    want, quoted = lines + first, '"' in buf
    while buf:
        while found < want and (nl := buf.find(newline, pos)) >= 0:
            if quoted:
                quotes += buf.count('"', pos, nl)
            pos = nl + 1
            if not quotes & 1:
                found, end, end_quotes = found + 1, pos, quotes
        if found < want and not eof:  # read on: more lines wanted, or a quoted field is open
            more = text.read(block)
            eof, buf, quoted = not more, buf + more, quoted or '"' in more
            continue
        cut = end if found >= want else len(buf)
        yield buf[:cut]
        buf, pos, quotes = buf[cut:], pos - cut, quotes - end_quotes
        end = end_quotes = found = 0
        want = lines
        if not eof and len(buf) < block:
            more = text.read(block)
            eof, buf, quoted = not more, buf + more, quoted or '"' in more


class Chunker:
    """Stages one import's chunks of text (see the module's docstring)."""

    def __init__(self, lead_import, plan: ColumnPlan):
        self.imp, self.plan, self.width = lead_import, plan, len(lead_import.headers)
        self.strict = strict_csv(lead_import.delimiter)
        self.marked = csv_import.error_handler(lead_import.encoding) == csv_import.MARK_ERRORS
        self.header_rows = 1 if lead_import.has_header else 0
        self.slots = plan.slots()
        self.columns = sorted({plan.email, *plan.standard, *plan.custom})  # the mapped columns
        self.text_columns = {attr: column for column, attr in plan.standard.items()}

    def copyable(self, chunk: str) -> bool:
        """False when csv and COPY could split `chunk` into different records."""
        return '"' not in chunk or bool(self.strict.fullmatch(chunk))

    def stage(self, chunk: str, base: int) -> tuple[int, int, int]:
        """Stage a copyable chunk whose first record is row `base` + 1: (rows, refused, last row)."""
        quoted = '"' in chunk
        end_of_data = "\\." in chunk and _END_OF_DATA.search(chunk)
        if "\x00" in chunk or end_of_data or (self.marked and csv_import.UNREADABLE in chunk):
            return self._python(chunk, base)
        try:
            with transaction.atomic():  # a savepoint: a refused COPY leaves the batch usable
                return self._copy(chunk if quoted else _BLANK_LINES.sub("", chunk), base)
        except DatabaseError:
            return self._python(chunk, base)

    def _python(self, chunk: str, base: int) -> tuple[int, int, int]:
        """Today's path for one chunk: csv reads it, row_tuple checks every row."""
        records = csv_import.iter_text_records(
            io.StringIO(chunk, newline=""),
            encoding=self.imp.encoding,
            delimiter=self.imp.delimiter,
            has_header=False,  # numbered like the rest; the header is dropped below
            start=base,
        )
        last, rows, slots = base, [], self.slots
        for number, cells in records:
            last = number
            if number > self.header_rows:
                rows.append(row_tuple(self.imp.pk, number, cells, self.plan, slots))
        stage_rows(rows)
        return len(rows), sum(1 for row in rows if row[-2]), last

    def _copy(self, chunk: str, base: int) -> tuple[int, int, int]:
        raw = f"import_raw_{self.width}"
        cells = [f"c{i}" for i in range(self.width)]
        with connection.cursor() as cursor:
            relax_commit(cursor)  # a batch and its checkpoint are lost together (see stage_rows)
            # Made once per connection and emptied at every commit: creating it per chunk
            # cost more than checking its rows.
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {raw} (n bigint GENERATED ALWAYS AS IDENTITY, "
                + ", ".join(f"{c} text" for c in cells)
                + ") ON COMMIT DELETE ROWS"
            )
            options = f"FORMAT csv, DELIMITER '{self.imp.delimiter}'"  # one of csv_import.DELIMITERS
            sql = f"COPY {raw} ({', '.join(cells)}) FROM STDIN WITH ({options})"
            with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:  # refusals as DatabaseError
                copy.write(chunk.encode("utf-8"))
            sql, params = self._stage_sql(raw, base)
            cursor.execute(sql, params)
            records, staged, slow = cursor.fetchone()
            rows = [
                row_tuple(self.imp.pk, int(rn), self._cells(values), self.plan, self.slots)
                for rn, *values in slow or ()
            ]
            if rows:
                stage_rows(rows)
            cursor.execute(f"DELETE FROM {raw}")  # noqa: S608 (for a caller's outer transaction (tests); else the commit empties it)
        return staged + len(rows), sum(1 for row in rows if row[-2]), base + records

    def _cells(self, values: list[str]) -> list[str]:
        """A record's cells as csv gives them, from the mapped columns' values (in self.columns order)."""
        cells = [""] * self.width
        for column, value in zip(self.columns, values, strict=True):
            cells[column] = value
        return cells

    def _stage_sql(self, raw: str, base: int) -> tuple[str, list]:
        """One statement for a COPYed chunk (and its parameters): number its records, stage the rows
        SQL decides, and answer (records numbered, rows staged, the others' mapped cells by row).

        Each value is computed once: the numbered subquery (its window keeps PostgreSQL from
        inlining it, which would repeat every expression at each use) trims the cells, and the
        materialised CTE holds them and the verdict for both the INSERT and the answer.
        """
        plan, header = self.plan, self.header_rows
        cells = [f"c{i}" for i in range(self.width)]
        # every cell, unmapped ones too: a record is blank only when all of them are
        blank = " || ".join(f"concat({', '.join(cells[i : i + 90])})" for i in range(0, len(cells), 90))
        email = f"coalesce(c{plan.email}, '')"
        numbered = ", ".join(
            [
                f"row_number() OVER (ORDER BY n) + {int(base)} AS rn",
                *(f"coalesce(c{c}, '') AS c{c}" for c in self.columns),
                f"btrim({email}, ' ') AS e",
                f"lower(btrim({email}, ' ')) AS le",
                *(f"btrim(coalesce(c{c}, ''), ' ') AS t{c}" for c in self.columns if c != plan.email),
            ]
        )
        fast, fast_params = self._fast()
        custom, custom_params = self._custom()
        text = ", ".join(f"t{self.text_columns[a]}" if a in self.text_columns else "''" for a in TEXT_ATTRS)
        answer = ", ".join(["rn::text", *(f"c{c}" for c in self.columns)])
        table = connection.ops.quote_name(LeadImportRow._meta.db_table)
        sql = f"""
            WITH r AS MATERIALIZED (
                SELECT *, {fast} AS fast, split_part(le, '@', 1) AS loc
                FROM (SELECT {numbered} FROM {raw} WHERE ({blank}) !~ %s) AS numbered
            ), staged AS (
                INSERT INTO {table} (lead_import_id, row_number, email, {", ".join(TEXT_ATTRS)},
                                     custom_fields, is_role_address, problem, outcome)
                SELECT %s, rn, le, {text}, {custom},
                       (loc = ANY(%s) OR split_part(loc, '+', 1) = ANY(%s)), '', ''
                FROM r WHERE fast AND rn > {header}
            )
            SELECT count(*), count(*) FILTER (WHERE fast AND rn > {header}),
                   array_agg(ARRAY[{answer}] ORDER BY rn) FILTER (WHERE NOT fast AND rn > {header})
            FROM r"""  # noqa: S608 (names and numbers, not values)
        roles = sorted(ROLE_LOCAL_PARTS)
        return sql, [*fast_params, BLANK_SQL, self.imp.pk, *custom_params, roles, roles]

    def _fast(self) -> tuple[str, list]:
        """SQL condition (and its parameters) over the numbered record (its trimmed address `e`,
        lower-cased `le`, cells `cN` and trimmed cells `tN`): the row is decided here, as row_tuple would."""
        checks = [
            "e ~ %s",
            "char_length(e) <= 254",
            "strpos(e, '--') = 0",
            "char_length(split_part(e, '@', 1)) <= 64",
            # every label of a domain this short fits in 63; longer domains are rare: Python checks them
            "char_length(split_part(e, '@', 2)) <= 63",
            "split_part(le, '.', -1) <> ALL(%s)",
        ]
        params: list = [PLAIN_SQL, sorted(SPECIAL_USE_TLDS)]
        plan = self.plan
        limits = [*((c, MAX_STANDARD_CHARS) for c in plan.standard), *((c, MAX_CUSTOM_CHARS) for c in plan.custom)]
        for column, limit in limits:
            checks.append(f"c{column} ~ %s AND char_length(t{column}) <= {limit}")
            params.append(PRINTABLE_ASCII_SQL)
        return "(" + " AND ".join(checks) + ")", params

    def _custom(self) -> tuple[str, list]:
        """SQL for the custom fields' jsonb (a row's non-empty mapped cells), and its parameters."""
        pairs = list(self.plan.custom.items())
        if not pairs:
            return "'{}'::jsonb", []
        parts, params = [], []
        for i in range(0, len(pairs), 40):  # a function takes at most 100 arguments
            group = pairs[i : i + 40]
            parts.append(
                "jsonb_strip_nulls(jsonb_build_object("
                + ", ".join(f"%s::text, NULLIF(t{c}, '')" for c, _ in group)
                + "))"
            )
            params += [token for _, token in group]
        return " || ".join(parts), params

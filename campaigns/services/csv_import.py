"""Reading the lead CSVs people actually export: encodings, delimiters, headers, streaming;
and writing the problem report an import hands back.

Pure functions over binary file objects; nothing here touches the database, so the
bench can compare this path against a bare csv.reader over the same file.
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from campaigns import lead_fields
from campaigns.services import csv_encoding

SAMPLE_BYTES = 1 << 20  # enough for the header, the preview and the sniffers
PREVIEW_ROWS = 5
MAX_COLUMNS = 200
DELIMITERS = [",", ";", "\t", "|"]
DECODE_ERRORS = "utf8_or_cp1252"
# Bytes a detected encoding cannot read become this noncharacter (reserved for internal use),
# so the row that holds them can be named instead of the import stopping on a decode error.
UNREADABLE = "\ufdd0"
MARK_ERRORS = "csv_import_mark"


class CsvProblem(Exception):
    """A file we cannot read, with a message for the person who uploaded it."""


@dataclass
class Sniffed:
    encoding: str  # a Python codec name, decoded with errors=error_handler(encoding)
    encoding_label: str  # what we tell the uploader
    delimiter: str
    has_header: bool
    headers: list[str]
    preview: list[list[str]]
    notes: list[str] = field(default_factory=list)


def _utf8_or_cp1252(exc: UnicodeDecodeError):
    """Decode the bytes UTF-8 rejected as Windows-1252 (Latin-1 for its 5 unused bytes).

    Files glued together from several exports mix both; reading each bad byte as
    Windows-1252 keeps "Müller" from one half and "Zoë" from the other intact.
    """
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    text = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad)
    return text, exc.end


def _mark(exc: UnicodeDecodeError):
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return UNREADABLE, exc.end


codecs.register_error(DECODE_ERRORS, _utf8_or_cp1252)
codecs.register_error(MARK_ERRORS, _mark)


def error_handler(encoding: str) -> str:
    """UTF-8 files may hold Windows-1252 parts (glued exports); in any other encoding an
    unreadable byte is marked, and its row refused by name."""
    return DECODE_ERRORS if encoding in ("utf-8", "utf-8-sig") else MARK_ERRORS


def open_text(raw, encoding: str) -> io.TextIOWrapper:
    """A text view of the binary file; newline='' lets csv handle quoted line breaks."""
    return io.TextIOWrapper(raw, encoding=encoding, errors=error_handler(encoding), newline="")


def _refuse_binary(sample: bytes) -> None:
    if sample.startswith(b"PK\x03\x04") or sample.startswith(b"\xd0\xcf\x11\xe0"):
        raise CsvProblem(
            "This is an Excel workbook (or another archive), not a CSV file. "
            "In Excel choose File → Save As → “CSV UTF-8” and upload that."
        )
    controls = sum(1 for b in sample[:65536] if b < 32 and b not in (9, 10, 13))
    if b"\x00" in sample or controls > len(sample[:65536]) * 0.02:
        raise CsvProblem("This looks like a binary file, not a CSV text file.")


def detect_encoding(sample: bytes) -> tuple[str, str, list[str]]:
    """(codec, label, notes) for the file that starts with `sample`."""
    if not sample.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)):
        _refuse_binary(sample)  # after the BOM checks: UTF-16 and UTF-32 text holds NUL bytes
    return csv_encoding.detect(sample)


def _records(text: str, delimiter: str, limit: int) -> list[list[str]]:
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if row and any(cell.strip() for cell in row):
                rows.append(row)
                if len(rows) >= limit:
                    break
    except csv.Error:
        pass  # a truncated sample can end inside a quoted field
    return rows


def sniff_delimiter(text: str) -> str:
    """The candidate whose first rows split into the most, consistently many, columns."""
    best, best_score = ",", (0, 0.0, 0)
    for delimiter in DELIMITERS:
        rows = _records(text, delimiter, 30)
        if not rows:
            continue
        width = len(rows[0])
        consistent = sum(1 for r in rows if len(r) == width) / len(rows)
        score = (int(width > 1), consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def guess_mapping(headers: list[str], preview: list[list[str]], known: list[str] = ()) -> dict[str, str]:
    """{column index: token} for every column: a standard field when its header (or, for the
    email, its content) says so, otherwise a custom field named after the header.

    `known` are custom field names the campaign already has or its steps use: a header that
    spells one ("Industry" for {{industry}}) fills it. No two columns get one token, and no
    custom token is a standard name in another case (see lead_fields.unique_token).
    """
    mapping: dict[str, str] = {}
    for index, header in enumerate(headers):
        token = lead_fields.standard_token(header)
        if token and token not in mapping.values():
            mapping[str(index)] = token
    if "email" not in mapping.values():
        column = email_column_by_content(preview)
        if column is not None and str(column) not in mapping:
            mapping[str(column)] = "email"
    by_key = {lead_fields.header_key(name): name for name in known}
    for index, header in enumerate(headers):
        if str(index) not in mapping:
            token = by_key.get(lead_fields.header_key(header)) or lead_fields.custom_token(header, index)
            mapping[str(index)] = lead_fields.unique_token(token, set(mapping.values()))
    return dict(sorted(mapping.items(), key=lambda item: int(item[0])))


def email_column_by_content(rows: list[list[str]]) -> int | None:
    hits: dict[int, int] = {}
    for row in rows:
        for index, cell in enumerate(row):
            if "@" in cell and "." in cell.split("@")[-1]:
                hits[index] = hits.get(index, 0) + 1
    return max(hits, key=hits.get) if hits else None


def sniff(raw, size: int) -> Sniffed:
    """Look at the start of an uploaded file: encoding, delimiter, header and first rows."""
    sample = raw.read(SAMPLE_BYTES)
    if not sample.strip():
        raise CsvProblem("The file is empty.")
    encoding, label, notes = detect_encoding(sample)
    truncated = size > len(sample)
    if truncated and b"\n" not in sample and b"\r" not in sample:
        raise CsvProblem(
            f"The first {SAMPLE_BYTES // (1 << 20)} MB of the file hold no line break: "
            "a CSV has one lead per line. Is this the right file?"
        )
    decoder = codecs.getincrementaldecoder(encoding)(errors=error_handler(encoding))
    text = decoder.decode(sample, final=not truncated)  # not final: the sample may end inside a character
    delimiter = sniff_delimiter(text)
    _refuse_unreadable(text, encoding, delimiter)
    rows = _records(text, delimiter, PREVIEW_ROWS + 2)
    if truncated and len(rows) > PREVIEW_ROWS + 1:
        rows = rows[: PREVIEW_ROWS + 1]  # the sample's last record may be cut off
    if not rows:
        raise CsvProblem("The file holds no rows.")
    first = [lead_fields.single_line(cell) for cell in rows[0]]
    if len(first) > MAX_COLUMNS:
        raise CsvProblem(f"The first row has {len(first):,} columns; at most {MAX_COLUMNS} are supported.")
    has_header = not any("@" in cell for cell in first)
    headers = [cell or f"Column {i + 1}" for i, cell in enumerate(first)] if has_header else []
    if not has_header:
        headers = [f"Column {i + 1}" for i in range(len(first))]
    preview = rows[1:] if has_header else rows
    if not preview:
        raise CsvProblem("The file has a header row but no leads under it.")
    mapping = guess_mapping(headers, preview)
    if "email" not in mapping.values():
        raise CsvProblem(
            "No column holds email addresses: no header like “Email” and no value with an @ in the first rows."
        )
    return Sniffed(encoding, label, delimiter, has_header, headers, [r[: len(headers)] for r in preview], notes)


def _numbered(reader, start: int = 0) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for every record that is not blank, the header included."""
    number = start
    for row in reader:
        if row and (row[0].strip() or any(cell.strip() for cell in row)):  # most rows: the first cell decides
            number += 1
            yield number, row


def _unreadable(number: int, encoding: str) -> CsvProblem:
    return CsvProblem(
        f"Row {number:,} holds bytes that are not {csv_encoding.label(encoding)} text, the encoding of the "
        "start of the file: parts of the file were saved in different encodings. "
        "Save it as “CSV UTF-8” and upload it again."
    )


def _refuse_unreadable(text: str, encoding: str, delimiter: str) -> None:
    """Name the first row of the sample that the detected encoding cannot read, if any."""
    if UNREADABLE not in text:
        return
    try:
        for number, row in _numbered(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
            if any(UNREADABLE in cell for cell in row):
                raise _unreadable(number, encoding)
    except csv.Error:
        pass  # a quote opened and never closed in the sample: the import names that row


def iter_records(raw, *, encoding: str, delimiter: str, has_header: bool) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for every data row, streamed; the header is row 1 as in a spreadsheet."""
    return iter_text_records(open_text(raw, encoding), encoding=encoding, delimiter=delimiter, has_header=has_header)


def iter_text_records(
    text, *, encoding: str, delimiter: str, has_header: bool, start: int = 0
) -> Iterator[tuple[int, list[str]]]:
    """iter_records over decoded text that begins at a record boundary after row `start`."""
    reader = csv.reader(text, delimiter=delimiter)
    marked = error_handler(encoding) == MARK_ERRORS
    number = start
    try:
        for number, row in _numbered(reader, start):  # `number` names the row a csv.Error stops at
            if marked and any(UNREADABLE in cell for cell in row):
                raise _unreadable(number, encoding)
            if number > 1 or not has_header:
                yield number, row
    except csv.Error as exc:
        raise CsvProblem(
            f"Row {number + 1} cannot be read ({exc}). Look for a quote that is opened but never closed."
        ) from exc


def count_records(raw, *, encoding: str, delimiter: str, has_header: bool) -> int:
    return sum(1 for _ in iter_records(raw, encoding=encoding, delimiter=delimiter, has_header=has_header))


def estimate_records(raw, *, has_header: bool) -> int:
    """About how many data rows the file holds, from its line breaks: milliseconds where
    count_records parses the whole file. Exact unless cells hold line breaks or lines are blank."""
    lines, last = 0, b"\n"
    while chunk := raw.read(1 << 20):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    lines += last != b"\n"
    return max(0, lines - has_header)


def spreadsheet_safe(value) -> str:
    """Neutralise cells a spreadsheet would run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


class Report:
    """The error report, written to disk as rows stream (memory stays flat)."""

    def __init__(self):
        # BOM: Excel then reads the report as UTF-8. Closed by __exit__ (used as a context manager).
        self.file = tempfile.TemporaryFile("w+", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.file)
        self.writer.writerow(["Row", "Email", "Problem", "Outcome"])
        self.lines = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()

    def add(self, lines: list[tuple]) -> None:
        self.write(sorted(lines, key=lambda line: line[0]))

    def write(self, lines) -> None:
        """Append (row, email, problem, outcome) lines, in the order given (streamed)."""
        for row, value, problem, outcome in lines:
            self.writer.writerow([row, *(spreadsheet_safe(v) for v in (value, problem, outcome))])
            self.lines += 1

"""Reading the lead CSVs people actually export: encodings, delimiters, headers, streaming.

Pure functions over binary file objects; nothing here touches the database, so the
bench can compare this path against a bare csv.reader over the same file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

SAMPLE_BYTES = 1 << 20  # enough for the header, the preview and the sniffers
PREVIEW_ROWS = 5
MAX_COLUMNS = 200
DELIMITERS = [",", ";", "\t", "|"]
DECODE_ERRORS = "utf8_or_cp1252"

# Header spellings (lower-cased, letters and digits only) -> merge token.
HEADER_ALIASES = {
    "email": {"email", "emailaddress", "mail", "emailadresse", "correo", "workemail", "businessemail"},
    "firstName": {"firstname", "first", "givenname", "fname", "forename", "vorname", "prenom"},
    "lastName": {"lastname", "last", "surname", "familyname", "lname", "nachname", "nom"},
    "company": {"company", "companyname", "organization", "organisation", "account", "accountname", "firma"},
    "jobTitle": {"jobtitle", "title", "position", "role", "jobrole", "designation"},
}
STANDARD_TOKENS = list(HEADER_ALIASES)
TOKEN_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
VALID_UTF8_MULTIBYTE = re.compile(
    rb"[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]|[\xE1-\xEF][\x80-\xBF]{2}|\xF0[\x90-\xBF][\x80-\xBF]{2}"
)


class CsvProblem(Exception):
    """A file we cannot read, with a message for the person who uploaded it."""


@dataclass
class Sniffed:
    encoding: str  # a Python codec name, always decoded with DECODE_ERRORS
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


codecs.register_error(DECODE_ERRORS, _utf8_or_cp1252)


def open_text(raw, encoding: str) -> io.TextIOWrapper:
    """A text view of the binary file; newline='' lets csv handle quoted line breaks."""
    return io.TextIOWrapper(raw, encoding=encoding, errors=DECODE_ERRORS, newline="")


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
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "UTF-8 (with BOM)", []
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "UTF-16", []
    _refuse_binary(sample)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8", "UTF-8", []
    except UnicodeDecodeError:
        pass
    if VALID_UTF8_MULTIBYTE.search(sample):
        note = "This file mixes UTF-8 and Windows-1252 text; each part was read in its own encoding."
        return "utf-8", "Mixed UTF-8 / Windows-1252", [note]
    return "utf-8", "Windows-1252 / Latin-1", []


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


def normalise_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def guess_token(header: str) -> str:
    """The standard merge token a header names, or ''."""
    key = normalise_header(header)
    for token, aliases in HEADER_ALIASES.items():
        if key in aliases:
            return token
    return ""


def suggest_custom_token(header: str, index: int) -> str:
    """A merge-token name for a custom column: "Favourite colour" -> favouriteColour."""
    words = re.findall(r"[A-Za-z0-9]+", header)
    if not words:
        return f"column{index + 1}"
    token = words[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in words[1:])
    return token if TOKEN_NAME_RE.match(token) else f"c{token}"


def guess_mapping(headers: list[str], preview: list[list[str]]) -> dict[str, str]:
    """{column index: token} for the columns whose header (or content) says what they hold."""
    mapping: dict[str, str] = {}
    for index, header in enumerate(headers):
        token = guess_token(header)
        if token and token not in mapping.values():
            mapping[str(index)] = token
    if "email" not in mapping.values():
        column = email_column_by_content(preview)
        if column is not None and str(column) not in mapping:
            mapping[str(column)] = "email"
    return mapping


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
    text = sample.decode(encoding, errors=DECODE_ERRORS)
    delimiter = sniff_delimiter(text)
    rows = _records(text, delimiter, PREVIEW_ROWS + 2)
    if truncated and len(rows) > PREVIEW_ROWS + 1:
        rows = rows[: PREVIEW_ROWS + 1]  # the sample's last record may be cut off
    if not rows:
        raise CsvProblem("The file holds no rows.")
    first = [cell.strip() for cell in rows[0]]
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


def iter_records(raw, *, encoding: str, delimiter: str, has_header: bool) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for every data row, streamed; the header is row 1 as in a spreadsheet."""
    reader = csv.reader(open_text(raw, encoding), delimiter=delimiter)
    number = 0
    try:
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            number += 1
            if number == 1 and has_header:
                continue
            yield number, row
    except csv.Error as exc:
        raise CsvProblem(
            f"Row {number + 1} cannot be read ({exc}). Look for a quote that is opened but never closed."
        ) from exc


def count_records(raw, *, encoding: str, delimiter: str, has_header: bool) -> int:
    return sum(1 for _ in iter_records(raw, encoding=encoding, delimiter=delimiter, has_header=has_header))


def spreadsheet_safe(value) -> str:
    """Neutralise cells a spreadsheet would run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text

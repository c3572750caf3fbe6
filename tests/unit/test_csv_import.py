"""Reading CSVs as people export them: encodings, delimiters, headers, hostile cells."""

import io

import pytest

from campaigns.services import csv_import
from campaigns.services.csv_import import CsvProblem, sniff


def sniffed(data: bytes):
    return sniff(io.BytesIO(data), len(data))


def records(data: bytes, **overrides):
    s = sniffed(data)
    options = {"encoding": s.encoding, "delimiter": s.delimiter, "has_header": s.has_header} | overrides
    return list(csv_import.iter_records(io.BytesIO(data), **options))


def test_it_reads_plain_utf8_with_commas():
    s = sniffed(b"Email,First Name,Company\nada@example.com,Ada,Engines\n")
    assert (s.encoding_label, s.delimiter, s.headers) == ("UTF-8", ",", ["Email", "First Name", "Company"])
    assert s.preview == [["ada@example.com", "Ada", "Engines"]]


def test_it_strips_a_utf8_bom_from_the_first_header():
    data = "\ufeffEmail;Vorname\nada@example.com;Jürgen\n".encode()
    s = sniffed(data)
    assert s.encoding_label == "UTF-8 (with BOM)"
    assert s.headers == ["Email", "Vorname"]
    assert records(data) == [(2, ["ada@example.com", "Jürgen"])]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_it_sniffs_the_delimiter(delimiter):
    text = delimiter.join(["email", "first_name", "company"]) + "\n"
    text += delimiter.join(["a@example.com", "Ann", "Acme, Inc." if delimiter != "," else '"Acme, Inc."']) + "\n"
    assert sniffed(text.encode()).delimiter == delimiter


def test_it_reads_windows_1252_exports():
    data = "email;name\nz@example.com;Zoë Müller – “CEO”\n".encode("cp1252")
    s = sniffed(data)
    assert s.encoding_label == "Windows-1252 / Latin-1"
    assert records(data)[0][1][1] == "Zoë Müller – “CEO”"


def test_it_reads_each_half_of_a_mixed_encoding_file_in_its_own_encoding():
    data = "email,name\na@example.com,Zoë\n".encode() + "b@example.com,Müller\n".encode("cp1252")
    s = sniffed(data)
    assert s.encoding_label == "Mixed UTF-8 / Windows-1252"
    assert s.notes
    assert [r[1][1] for r in records(data)] == ["Zoë", "Müller"]


def test_quoted_fields_may_hold_line_breaks_and_rows_keep_spreadsheet_numbers():
    data = b'email,note\na@example.com,"line one\nline two"\nb@example.com,plain\n'
    assert records(data) == [(2, ["a@example.com", "line one\nline two"]), (3, ["b@example.com", "plain"])]


def test_a_file_without_a_header_row_is_read_from_its_first_line():
    s = sniffed(b"a@example.com,Ann\nb@example.com,Bob\n")
    assert not s.has_header
    assert s.headers == ["Column 1", "Column 2"]
    assert csv_import.guess_mapping(s.headers, s.preview) == {"0": "email", "1": "column2"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, "Excel"),
        (bytes(range(256)) * 40, "binary"),
        (b"name,company\nAnn,Acme\n", "No column holds email"),
        (b"email,first_name\n", "no leads"),
    ],
)
def test_unreadable_files_get_a_clear_message(data, message):
    with pytest.raises(CsvProblem, match=message):
        sniffed(data)


def test_a_huge_single_line_is_refused_before_parsing():
    data = b"a" * (csv_import.SAMPLE_BYTES + 10)
    with pytest.raises(CsvProblem, match="no line break"):
        sniffed(data)


def test_an_unclosed_quote_names_the_row():
    data = b'email,note\na@example.com,ok\nb@example.com,"never closed\n' + b"x" * 140_000 + b"\n"
    with pytest.raises(CsvProblem, match="Row 3"):
        records(data)


@pytest.mark.parametrize("cell", ["=1+1", "+41 79", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_cells_a_spreadsheet_would_run_are_neutralised(cell):
    assert csv_import.spreadsheet_safe(cell) == "'" + cell


def test_harmless_cells_are_left_alone():
    assert csv_import.spreadsheet_safe("ada@example.com") == "ada@example.com"
    assert csv_import.spreadsheet_safe(12) == "12"

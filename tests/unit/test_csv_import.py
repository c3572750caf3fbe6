"""Reading CSVs as people export them: encodings, delimiters, headers, hostile cells."""

import codecs
import csv
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


# Real names in each script, as exports from a machine in that locale write them.
CYRILLIC = (
    "Email,Имя,Фамилия,Компания\n"
    "ivan@example.ru,Иван,Петров,ООО «Ромашка»\n"
    "olena@example.ua,Олена,Їжакевич,ТОВ Київстар\n"
)
POLISH = (
    "email;imię;nazwisko;firma\n"
    "lukasz@example.pl;Łukasz;Wróbel;Żółć Sp. z o.o.\n"
    "malgorzata@example.pl;Małgorzata;Świątek;Zakłady Łódź\n"
)
CZECH = (
    "email;jméno;příjmení;firma\n"
    "jiri@example.cz;Jiří;Dvořák;Škoda Auto a.s.\n"
    "premysl@example.cz;Přemysl;Čech;Žďár s.r.o.\n"
)
JAPANESE = "email,名,姓,会社\ntaro@example.jp,太郎,山田,株式会社サンプル\nhanako@example.jp,花子,鈴木,有限会社テスト\n"
SPANISH = (
    "email,nombre,empresa\njose@example.es,José Muñoz,Compañía Ibérica\nines@example.es,Iñés Peña,Señor Frío S.L.\n"
)


def expected_records(text: str) -> list:
    lines = [line.split(";" if ";" in text.splitlines()[0] else ",") for line in text.splitlines()]
    return [(number, cells) for number, cells in enumerate(lines[1:], start=2)]


@pytest.mark.parametrize(
    ("text", "codec", "label"),
    [
        (CYRILLIC, "cp1251", "Windows-1251 (Cyrillic)"),
        (POLISH, "cp1250", "Windows-1250 (Central European)"),
        (POLISH, "iso8859_2", "ISO-8859-2 (Central European)"),
        (CZECH, "cp1250", "Windows-1250 (Central European)"),
        (CZECH, "iso8859_2", "ISO-8859-2 (Central European)"),
        (JAPANESE, "shift_jis", "Shift-JIS (Japanese)"),
        (JAPANESE.replace("株式会社", "㈱"), "cp932", "Shift-JIS (Japanese)"),  # Windows' extension of Shift-JIS
        (SPANISH, "cp1252", "Windows-1252 / Latin-1"),  # Windows-1250 would read Muñoz as Muńoz
    ],
)
def test_each_locale_encoding_is_detected_and_every_name_reads_back(text, codec, label):
    data = text.encode(codec)
    s = sniffed(data)
    assert s.encoding_label == label
    assert records(data) == expected_records(text)


@pytest.mark.parametrize(
    ("bom_and_text", "label"),
    [
        (CYRILLIC.encode("utf-16"), "UTF-16"),  # little-endian, with its BOM: Excel's "Unicode text"
        (codecs.BOM_UTF16_BE + JAPANESE.encode("utf-16-be"), "UTF-16"),
        (POLISH.encode("utf-32"), "UTF-32"),
        (codecs.BOM_UTF8 + (CZECH + POLISH.split("\n", 1)[1]).encode(), "UTF-8 (with BOM)"),
    ],
)
def test_unicode_files_with_a_bom_read_back_in_any_script(bom_and_text, label):
    s = sniffed(bom_and_text)
    assert s.encoding_label == label
    text = bom_and_text.decode(s.encoding)
    assert records(bom_and_text) == expected_records(text.lstrip("\ufeff"))
    assert csv_import.guess_mapping(s.headers, s.preview)["0"] == "email"


def test_cyrillic_and_central_european_headers_are_recognised_after_decoding():
    s = sniffed(CYRILLIC.encode("cp1251"))
    assert csv_import.guess_mapping(s.headers, s.preview) == {
        "0": "email",
        "1": "firstName",
        "2": "lastName",
        "3": "company",
    }
    s = sniffed(CZECH.encode("iso8859_2"))
    mapping = csv_import.guess_mapping(s.headers, s.preview)
    assert list(mapping.values()) == ["email", "firstName", "lastName", "company"]


UTF8_REPLACEMENT = "\ufffd".encode()  # what a UTF-8 export glued onto the file typically carries


def test_bytes_the_detected_encoding_cannot_read_are_refused_at_upload_with_their_row():
    data = JAPANESE.encode("shift_jis") + b"bad@example.jp," + UTF8_REPLACEMENT + b",x\n"
    with pytest.raises(CsvProblem, match=r"Row 4 holds bytes that are not Shift-JIS \(Japanese\) text"):
        sniffed(data)


@pytest.fixture
def small_sample(monkeypatch):
    """A 128 KiB sample instead of 1 MiB: "past the sample" costs a tenth of the rows to build."""
    monkeypatch.setattr(csv_import, "SAMPLE_BYTES", 128 * 1024)


def test_unreadable_bytes_past_the_sample_stop_the_import_at_their_row(small_sample):
    rows = "".join(f"u{i}@example.jp,太郎,山田,株式会社サンプル\n" for i in range(4_000)).encode("shift_jis")
    assert len(rows) > csv_import.SAMPLE_BYTES
    data = JAPANESE.encode("shift_jis") + rows + b"bad@example.jp," + UTF8_REPLACEMENT + b",x\nlast@example.jp,a,b,c\n"
    s = sniffed(data)
    assert s.encoding == "cp932"
    with pytest.raises(CsvProblem, match="Row 4,004 holds bytes"):
        records(data)


def test_a_broken_utf16_file_names_its_row_instead_of_crashing():
    text = CYRILLIC + "x@example.ru,Broken\ud800,Co,Ltd\n"
    data = text.encode("utf-16", errors="surrogatepass")
    with pytest.raises(CsvProblem, match="Row 4 holds bytes that are not UTF-16 text"):
        records(data, has_header=True)


class CountingReads(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.largest = 0

    def read(self, size=-1):
        self.largest = max(self.largest, size if size is not None and size >= 0 else len(self.getbuffer()))
        return super().read(size)

    def read1(self, size=-1):
        return self.read(size)


def test_a_large_cp1251_file_is_read_in_small_pieces(small_sample):
    rows = "".join(f"u{i}@example.ru,Иван,Петров,ООО «Ромашка»\n" for i in range(6_000)).encode("cp1251")
    data = CYRILLIC.encode("cp1251") + rows
    raw = CountingReads(data)
    s = csv_import.sniff(raw, len(data))
    assert raw.largest == csv_import.SAMPLE_BYTES < len(data)
    raw = CountingReads(data)
    count = csv_import.count_records(raw, encoding=s.encoding, delimiter=s.delimiter, has_header=True)
    assert count == 6_002
    assert raw.largest <= 64 * 1024


# --- the error report, the sniffing limits -----------------------------------------------


def test_the_report_has_its_columns_rows_in_order_and_neutralised_cells():
    with csv_import.Report() as report:
        report.add(
            [
                (7, "=cmd|' /C calc'!A0", "invalid email", "skipped"),
                (3, "b@example.com", "duplicate of row 2", "skipped"),
            ]
        )
        report.add([(9, "info@acme.example", "role address", "-imported")])
        assert report.lines == 3
        report.file.seek(0)
        raw = report.file.read()
    assert raw.startswith("Row,Email,Problem,Outcome\r\n")

    assert list(csv.reader(io.StringIO(raw))) == [
        ["Row", "Email", "Problem", "Outcome"],
        ["3", "b@example.com", "duplicate of row 2", "skipped"],  # sorted by row within a batch
        ["7", "'=cmd|' /C calc'!A0", "invalid email", "skipped"],
        ["9", "info@acme.example", "role address", "'-imported"],  # every text column is neutralised
    ]


def test_an_empty_report_cell_stays_empty_and_others_keep_their_text():
    assert csv_import.spreadsheet_safe(None) == ""
    assert csv_import.spreadsheet_safe("") == ""
    assert csv_import.spreadsheet_safe("a=b+c") == "a=b+c"  # only a leading character runs


def test_a_few_control_bytes_are_text_but_more_than_two_percent_are_binary():
    text = b"email,note\n" + b"a@example.com,x\t\r\n" * 49  # tabs and line ends never count
    padded = text + b"y" * (1000 - len(text) - 20)
    csv_import.detect_encoding(padded + b"\x01" * 20)  # 20 of 1,000: 2 %, still text
    with pytest.raises(CsvProblem, match="binary file"):
        csv_import.detect_encoding(padded + b"\x01" * 21)
    with pytest.raises(CsvProblem, match="Excel workbook"):
        csv_import.detect_encoding(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + text)


def test_the_column_limit_and_blank_header_cells():
    header = ",".join(["email", ""] + [f"c{i}" for i in range(198)])
    assert len(sniffed(f"{header}\na@example.com\n".encode()).headers) == 200
    assert sniffed(f"{header}\na@example.com\n".encode()).headers[:3] == ["email", "Column 2", "c0"]
    with pytest.raises(CsvProblem, match="The first row has 201 columns; at most 200 are supported."):
        sniffed(f"{header},one_more\na@example.com\n".encode())


def test_lines_of_only_invisible_spaces_are_no_rows():
    with pytest.raises(CsvProblem, match="The file holds no rows."):
        sniffed("\u00a0\n \u00a0\n".encode())  # no-break spaces: not empty bytes, but no text


def test_preview_rows_keep_to_the_header_width_and_blank_lines_are_not_numbered():
    data = b"email,name\n\na@example.com,Ann,extra\n,\nb@example.com,Bob\n"
    s = sniffed(data)
    assert s.preview == [["a@example.com", "Ann"], ["b@example.com", "Bob"]]
    assert records(data) == [(2, ["a@example.com", "Ann", "extra"]), (3, ["b@example.com", "Bob"])]
    assert records(data, has_header=False)[0] == (1, ["email", "name"])


def test_a_cut_sample_previews_five_rows_and_a_whole_file_six(small_sample):
    data = b"email\n" + b"".join(b"p%d@example.com\n" % i for i in range(9_000))
    assert len(data) > csv_import.SAMPLE_BYTES
    assert sniffed(data).preview == [[f"p{i}@example.com"] for i in range(csv_import.PREVIEW_ROWS)]
    short = b"email\n" + b"".join(b"p%d@example.com\n" % i for i in range(9))
    assert len(sniffed(short).preview) == csv_import.PREVIEW_ROWS + 1  # nothing cut off: one more


def test_the_delimiter_that_splits_consistently_wins_over_a_wider_ragged_one():
    # Commas make 3 columns in one row and 1 in others; semicolons make 2 columns everywhere.
    text = "email;note\na@example.com;hi, there, you\nb@example.com;fine\nc@example.com;ok\n"
    assert csv_import.sniff_delimiter(text) == ";"
    assert csv_import.sniff_delimiter("just one column\nand another\n") == ","  # nothing splits: the default


def test_the_email_column_is_found_by_content_when_no_header_names_it():
    rows = [["Ann", "ann@example.com", "x@y"], ["Bob", "bob@example.com", "support@host.io"]]
    assert csv_import.email_column_by_content(rows) == 1  # "x@y" has no domain dot
    assert csv_import.email_column_by_content([["Ann", "no at sign"]]) is None
    # The column with the most addresses, even when another column was seen first or comes last.
    assert csv_import.email_column_by_content([["n/a", "a@x.io"], ["b@x.io", "n/a"], ["c@x.io", "n/a"]]) == 0
    # Dots alone (web sites) are not addresses; the dot must be in the domain, after the last @.
    assert csv_import.email_column_by_content([["acme.io", "ann@example.com"], ["bob.io", "bob@example.com"]]) == 1
    assert csv_import.email_column_by_content([["ann.lee@localhost", "ann@example.com"], ["bo.r@localhost", ""]]) == 1
    assert csv_import.email_column_by_content([['"a@b"@example.com', "n/a"]]) == 0
    mapping = csv_import.guess_mapping(["Name", "Contact", "Backup"], rows)
    assert mapping == {"0": "Name", "1": "email", "2": "Backup"}


def test_each_byte_utf8_rejects_is_read_on_its_own_as_windows_1252():
    # \xe2\x80 is one rejected span of two bytes (a cut-off "€"): two characters, nothing between.
    # \x81 is one of the five bytes Windows-1252 leaves undefined: kept as the Latin-1 character.
    data = b"caf\xe9 \x81 \xe2\x80 x"
    assert data.decode("utf-8", errors=csv_import.DECODE_ERRORS) == "caf\u00e9 \x81 \u00e2\u20ac x"


# --- exact refusals, boundaries and non-default arguments (mutation testing, issue 19) ----------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"  \n", "The file is empty."),
        (
            b"PK\x03\x04" + b"x" * 100,
            "This is an Excel workbook (or another archive), not a CSV file. "
            "In Excel choose File → Save As → “CSV UTF-8” and upload that.",
        ),
        (b"\x01" * 100, "This looks like a binary file, not a CSV text file."),
        ("\u00a0\n".encode(), "The file holds no rows."),
        (b"email,first_name\n", "The file has a header row but no leads under it."),
        (
            b"name,company\nAnn,Acme\n",
            "No column holds email addresses: no header like “Email” and no value with an @ in the first rows.",
        ),
    ],
)
def test_each_refusal_is_the_whole_sentence_the_uploader_reads(data, message):
    with pytest.raises(CsvProblem) as caught:
        sniffed(data)
    assert str(caught.value) == message


def test_the_no_line_break_refusal_names_the_sample_size_in_whole_megabytes():
    data = b"a" * (csv_import.SAMPLE_BYTES + 10)
    with pytest.raises(CsvProblem) as caught:
        sniffed(data)
    assert str(caught.value) == (
        "The first 1 MB of the file hold no line break: a CSV has one lead per line. Is this the right file?"
    )


def test_a_cut_sample_with_only_carriage_returns_is_not_refused(small_sample):
    data = b"email\r" + b"".join(b"p%d@example.com\r" % i for i in range(9_000))
    assert len(data) > csv_import.SAMPLE_BYTES
    assert sniffed(data).preview[0] == ["p0@example.com"]


def test_the_unreadable_row_refusal_is_the_whole_sentence():
    data = JAPANESE.encode("shift_jis") + b"bad@example.jp," + UTF8_REPLACEMENT + b",x\n"
    with pytest.raises(CsvProblem) as caught:
        sniffed(data)
    assert str(caught.value) == (
        "Row 4 holds bytes that are not Shift-JIS (Japanese) text, the encoding of the start of the file: "
        "parts of the file were saved in different encodings. Save it as “CSV UTF-8” and upload it again."
    )


def test_unreadable_rows_past_the_sample_are_named_with_the_files_encoding(small_sample):
    rows = "".join(f"u{i}@example.jp,太郎,山田,株式会社サンプル\n" for i in range(4_000)).encode("shift_jis")
    data = JAPANESE.encode("shift_jis") + rows + b"bad@example.jp," + UTF8_REPLACEMENT + b",x\n"
    with pytest.raises(CsvProblem, match=r"^Row 4,004 holds bytes that are not Shift-JIS \(Japanese\) text"):
        records(data)


def test_a_nul_byte_makes_a_file_binary_even_among_plenty_of_text():
    with pytest.raises(CsvProblem, match="binary file"):
        sniffed(b"email\n" + b"a@example.com\n" * 100 + b"\x00")


def test_only_the_first_64_kib_are_counted_for_control_bytes():
    # 1,310 control bytes are 2 % of 64 KiB, not more: text, whatever follows.
    head = b"\x01" * 1310 + b"a" * (65536 - 1310)
    assert csv_import._refuse_binary(head + b"\x01" * 10) is None
    with pytest.raises(CsvProblem, match="binary file"):
        csv_import._refuse_binary(b"\x01" + head[:-1])


def test_a_row_whose_first_cell_is_blank_is_still_a_row():
    assert records(b"email,name\nada@example.com,Ada\n,Bob\n") == [(2, ["ada@example.com", "Ada"]), (3, ["", "Bob"])]


def test_quoted_crlf_inside_a_cell_is_kept_in_the_preview_and_the_import():
    data = b'email,note\r\nada@example.com,"line one\r\nline two"\r\n'
    assert sniffed(data).preview == [["ada@example.com", "line one\r\nline two"]]
    assert records(data) == [(2, ["ada@example.com", "line one\r\nline two"])]


def test_a_utf8_file_with_a_bom_reads_stray_windows_1252_bytes_too():
    data = codecs.BOM_UTF8 + "email,name\nada@example.com,Müller\n".encode() + b"zoe@example.com,Zo\xeb\n"
    s = sniffed(data)
    assert s.encoding == "utf-8-sig"
    assert records(data)[-1] == (3, ["zoe@example.com", "Zoë"])


def test_a_whole_utf8_file_ending_in_a_cut_character_keeps_that_byte():
    data = "email,name\nada@example.com,Müller\nzoe@example.com,Zo".encode() + b"\xc3"
    assert sniffed(data).preview[-1] == ["zoe@example.com", "ZoÃ"]


def test_a_cut_sample_drops_a_character_cut_at_its_end(small_sample):
    data = b"email,name\n" + b"a@example.com," + "é".encode() * (64 * 1024) + b"\n"
    cut = "é" * ((csv_import.SAMPLE_BYTES - len(b"email,name\na@example.com,")) // 2)
    s = sniffed(data + b"b@example.com,x\n")
    assert s.preview == [["a@example.com", cut]]


def test_a_headerless_file_previews_its_first_row():
    s = sniffed(b"a@example.com,Ann\nb@example.com,Bob\n")
    assert s.preview == [["a@example.com", "Ann"], ["b@example.com", "Bob"]]


def test_a_delimiter_is_chosen_past_one_that_splits_every_row_into_blanks():
    assert csv_import.sniff_delimiter(";\t;\n;\t;\n") == "\t"  # semicolons: only empty cells


def test_the_delimiter_consistent_over_the_first_30_rows_wins():
    # Semicolons make 3 columns in rows 1-30, then 2; commas make 2 throughout: row 31 is not read.
    text = "a;b,c;d\n" * 30 + "a;b,c\n"
    assert csv_import.sniff_delimiter(text) == ";"


def test_consistency_is_a_share_of_rows_not_a_count():
    # Commas split 2 rows consistently; semicolons split the same 2 and see 3 more, narrower rows.
    assert csv_import.sniff_delimiter("a;b,c\n" * 2 + ",,\n" * 3) == ","
    assert csv_import.sniff_delimiter("a;b,c\nd;e,f\ng,h\n") == ","


def test_a_header_named_email_is_not_joined_by_a_column_with_more_addresses():
    preview = [["", "m@example.com"], ["a@example.com", "m@example.com"]]
    assert csv_import.guess_mapping(["Email", "Manager"], preview) == {"0": "email", "1": "Manager"}


def test_addresses_in_a_column_mapped_to_a_standard_field_do_not_make_it_the_email():
    assert csv_import.guess_mapping(["First Name", "Notes"], [["ada@example.com", "hi"]]) == {
        "0": "firstName",
        "1": "Notes",
    }


def test_the_mapping_is_ordered_by_column_number_past_ten_columns():
    headers = [f"c{i}" for i in range(11)] + ["Email"]
    assert list(csv_import.guess_mapping(headers, [])) == [str(i) for i in range(12)]


def test_records_after_a_known_row_are_numbered_from_it():
    text = io.StringIO("a@example.com\nb@example.com\n")
    got = list(csv_import.iter_text_records(text, encoding="utf-8", delimiter=",", has_header=True, start=10))
    assert got == [(11, ["a@example.com"]), (12, ["b@example.com"])]


def test_a_first_row_csv_cannot_read_is_named_row_1():
    text = io.StringIO("a" * 140_000 + "\n")
    with pytest.raises(CsvProblem, match=r"^Row 1 cannot be read"):
        list(csv_import.iter_text_records(text, encoding="utf-8", delimiter=",", has_header=False))


def test_a_noncharacter_in_utf8_text_is_data_not_a_mark():
    got = list(
        csv_import.iter_records(
            io.BytesIO("a@example.com,x\ufdd0\n".encode()), encoding="utf-8", delimiter=",", has_header=False
        )
    )
    assert got == [(1, ["a@example.com", "x\ufdd0"])]


class ShortReads(io.BytesIO):
    """A pipe-like file: each read returns at most a few bytes, whatever was asked."""

    def read(self, size=-1):
        return super().read(min(size, 7) if size and size > 0 else size)


@pytest.mark.parametrize(
    ("data", "has_header", "expected"),
    [
        (b"", False, 0),
        (b"", True, 0),
        (b"email\n", True, 0),
        (b"a@example.com\n", False, 1),
        (b"a@example.com", False, 1),
        (b"email\na@example.com\nb@example.com\n", True, 2),
        (b"email\na@example.com\nb@example.com", True, 2),
        (b"email\na@example.com\nb@example.com\n", False, 3),
        (b"email\na@example.com\n\n", True, 2),  # a blank last line counts: an estimate
    ],
)
def test_estimate_records_counts_lines_with_or_without_a_final_line_break(data, has_header, expected):
    assert csv_import.estimate_records(io.BytesIO(data), has_header=has_header) == expected
    assert csv_import.estimate_records(ShortReads(data), has_header=has_header) == expected


def test_report_lines_of_one_row_keep_their_given_order():
    with csv_import.Report() as report:
        report.add([(3, "b@example.com", "late", "skipped"), (2, "z", "p", "o"), (3, "a@example.com", "x", "y")])
        report.file.seek(0)
        assert report.file.buffer.read(3) == codecs.BOM_UTF8
        report.file.seek(0)
        rows = list(csv.reader(io.StringIO(report.file.read())))
    assert [r[:2] for r in rows[1:]] == [["2", "z"], ["3", "b@example.com"], ["3", "a@example.com"]]


def test_the_unreadable_row_is_named_in_a_semicolon_file_with_old_mac_line_breaks():
    # Blank ";;" lines are no rows; bare carriage returns end rows: the bad row is still row 4.
    text = JAPANESE.replace(",", ";").replace("\n", "\r") + ";;\r"
    data = text.encode("shift_jis") + b"bad@example.jp;" + UTF8_REPLACEMENT + b";x\r"
    with pytest.raises(CsvProblem, match=r"^Row 4 holds bytes"):
        sniffed(data)


def test_when_no_delimiter_splits_the_first_row_the_most_consistent_one_is_kept():
    # Commas split half the rows, the others a quarter: semicolon comes first of those.
    assert csv_import.sniff_delimiter("x\na,b\nc,d\ne;f\tg|h\n") == ";"

"""The PostgreSQL COPY path of an import (import_copy) against the Python path, row for row.

Each file is staged twice, once as PostgreSQL reads it and once with every chunk forced
through csv and row_tuple, and the staged rows must be identical; the import outcomes are
checked on both engines. Small batches put chunk ends between the interesting rows.
"""

import random
from types import SimpleNamespace

import pytest
from django.db import connection

from campaigns.models import Lead, LeadImportRow
from campaigns.services import csv_import, import_copy, import_recovery
from campaigns.services import emails as emails_module
from campaigns.services import leads as service
from campaigns.services.emails import _plain
from tests.factories import CampaignFactory
from tests.leads_helpers import report_rows, run_import, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the COPY path is PostgreSQL's")

HEADER = "email,first_name,last_name,company,job_title,Favourite colour\n"
TRICKY_CELLS = [
    "",
    "  ",
    "Ada",
    " Ada  ",
    "Zoë",
    "Bo\tb",
    "x" * 201,
    "y" * 1001,
    "\u00a0",
    "Acme, Inc.",
    'He said "hi"',
    "two\nlines",
    "=1+1",
    "\\.",
]
TRICKY_EMAILS = [
    "ada@example.com",
    " ADA@Example.COM ",
    "info@example.com",
    "sales+eu@example.com",
    "<bob@example.com>",
    "mailto:carol@example.com",
    "dave@bücher.de",
    "erin@xn--bcher-kva.de",
    "broken.example.com",
    "a@b",
    "x--y@example.com",
    "frank@example.test",
    "g" * 65 + "@example.com",
    "h@" + "d" * 70 + ".com",
    "",
    "   ",
    "ivy@exa_mple.com",
    "joe@example.c0m",
    "Ünïcode@example.com",
    'quo"te@example.com',
]


def _quoted(cell: str) -> str:
    if any(c in cell for c in ',"\n\r') or cell != cell.strip(" "):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def tricky_file(rows: int = 400, seed: int = 3) -> str:
    rng = random.Random(seed)
    lines = [HEADER]
    for i in range(rows):
        roll = rng.random()
        if roll < 0.04:
            lines.append("\n" if roll < 0.02 else ",,,,,\n")  # blank records: not numbered
            continue
        email = rng.choice(TRICKY_EMAILS) if roll < 0.5 else f"p{i % 150}@example.com"
        cells = [email] + [rng.choice(TRICKY_CELLS) if rng.random() < 0.3 else f"v{i}" for _ in range(5)]
        lines.append(",".join(_quoted(c) for c in cells) + "\n")
    return "".join(lines)


def staged(campaign, user, data: bytes, *, python: bool, monkeypatch) -> list[tuple]:
    """Stage `data` (only: no apply) and return its staged rows, forcing the Python path if asked."""
    imp = service.lead_import_create(campaign=campaign, actor=user, upload=upload(data))
    service.lead_import_start(lead_import=imp, mapping=imp.mapping, actor=user)
    with monkeypatch.context() as m:
        if python:
            m.setattr(import_copy.Chunker, "copyable", lambda self, chunk: False)
        holder = import_recovery.claim(import_id=imp.pk)
        imp.refresh_from_db()
        service._stage(imp, holder)
    fields = ["row_number", "email", "first_name", "last_name", "company", "job_title"]
    fields += ["custom_fields", "is_role_address", "problem"]
    return list(LeadImportRow.objects.filter(lead_import=imp).order_by("row_number").values_list(*fields))


@pytest.fixture
def campaign(sdr):
    return CampaignFactory(owner=sdr)


@postgres_only
@pytest.mark.parametrize("batch", [7, 1000])
def test_copy_path_stages_exactly_what_the_python_path_stages(campaign, sdr, monkeypatch, batch):
    monkeypatch.setattr(service, "BATCH", batch)
    data = tricky_file().encode()
    copied, real_copy = [], import_copy.Chunker._copy
    monkeypatch.setattr(import_copy.Chunker, "_copy", lambda self, *a: copied.append(1) or real_copy(self, *a))
    by_copy = staged(campaign, sdr, data, python=False, monkeypatch=monkeypatch)
    assert copied  # the server read (some of) it
    by_python = staged(CampaignFactory(owner=sdr), sdr, data, python=True, monkeypatch=monkeypatch)
    assert len(by_copy) > 300
    assert by_copy == by_python


@postgres_only
def test_the_sql_address_rule_decides_only_what_the_python_fast_path_decides():
    samples = [e.strip() for e in TRICKY_EMAILS] + ["a" * 64 + "@x.io", "a" * 65 + "@x.io", "a@" + "b" * 59 + ".com"]
    samples += ["a@" + "b" * 60 + ".com", "a@b.co", "a@b.c", "a.@b.com", ".a@b.com", "a..b@c.com", "a@-b.com"]
    plan = service.ColumnPlan.from_mapping({"0": "email"})
    fake = SimpleNamespace(pk=0, headers=["Email"], delimiter=",", encoding="utf-8", has_header=True)
    fast, params = import_copy.Chunker(fake, plan)._fast()
    with connection.cursor() as cursor:
        for text in samples:
            numbered = "SELECT btrim(%s, ' ') AS e, lower(btrim(%s, ' ')) AS le"  # as Chunker._stage_sql has them
            cursor.execute(f"SELECT {fast} FROM ({numbered}) AS r", [*params, text, text])  # noqa: S608
            # SQL may leave an address to Python (then row_tuple decides), never decide one Python would not
            assert not cursor.fetchone()[0] or _plain(text) == text.lower(), text


def test_email_validator_sees_only_the_addresses_the_cheap_check_cannot_decide(campaign, sdr, monkeypatch):
    """On either path (COPY on PostgreSQL, csv elsewhere) a plain address is decided by the cheap
    check; Unicode, Punycode, special-use and broken ones go to email-validator, whose verdict and
    reason reach the leads and the report as before."""
    monkeypatch.setattr(service, "BATCH", 4)  # chunk ends between the interesting rows
    seen, real = [], emails_module._validated
    monkeypatch.setattr(emails_module, "_validated", lambda text: seen.append(text) or real(text))
    copied, real_copy = [], import_copy.Chunker._copy
    monkeypatch.setattr(import_copy.Chunker, "_copy", lambda self, *a: copied.append(1) or real_copy(self, *a))
    rows = [f"u{i}@example.com,F{i},Acme\n" for i in range(12)]
    rows[2] = "José@Bücher.de,José,Bücher\n"
    rows[3] = " Spaced@Example.com ,S,Acme\n"  # trimmed, still plain
    rows[5] = "<angle@example.com>,A,Acme\n"  # SQL leaves it to Python, whose own cheap check takes it
    rows[6] = "erin@xn--bcher-kva.de,Erin,Acme\n"
    rows[7] = "broken.example.com,B,Acme\n"
    rows[9] = "zoe@example.com,Zoë,Acme\n"  # a plain address on a row SQL leaves to Python
    rows[10] = "frank@example.test,F,Acme\n"
    imp = run_import(campaign, sdr, ("email,first_name,company\n" + "".join(rows)).encode())
    assert imp.status == "succeeded", imp.error
    assert bool(copied) == (connection.vendor == "postgresql")
    assert sorted(seen) == sorted(
        ["José@Bücher.de", "erin@xn--bcher-kva.de", "broken.example.com", "frank@example.test"]
    )
    stored = dict(Lead.objects.filter(campaign=campaign).values_list("email", "first_name"))
    assert stored["josé@bücher.de"] == "José" and stored["erin@bücher.de"] == "Erin"
    assert (
        stored["spaced@example.com"] == "S"
        and stored["angle@example.com"] == "A"
        and stored["zoe@example.com"] == "Zoë"
    )
    report = report_rows(imp)[1:]
    assert [r[:2] for r in report] == [["9", "broken.example.com"], ["12", "frank@example.test"]]
    assert all(r[2].startswith("invalid email: ") and r[3] == "skipped" for r in report)
    assert (imp.counts["rows"], imp.counts["new"], imp.counts["invalid"]) == (12, 10, 2)


def test_a_ragged_row_in_the_middle_of_a_big_file_is_read_as_before(campaign, sdr, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 50)
    rows = [f"u{i}@example.com,F{i},L{i}\n" for i in range(300)]
    rows[170] = "short@example.com\n"  # one cell: its chunk is read by csv
    rows[171] = "long@example.com,F,L,extra,cells\n"
    rows[250] = "not-an-address,F,L\n"
    imp = run_import(campaign, sdr, ("email,first_name,last_name\n" + "".join(rows)).encode())
    assert imp.status == "succeeded", imp.error
    assert (imp.counts["rows"], imp.counts["new"], imp.counts["invalid"]) == (300, 299, 1)
    assert Lead.objects.get(campaign=campaign, email="short@example.com").first_name == ""
    assert Lead.objects.get(campaign=campaign, email="long@example.com").last_name == "L"
    assert Lead.objects.get(campaign=campaign, email="u299@example.com").first_name == "F299"
    assert [r[:2] for r in report_rows(imp)[1:]] == [["252", "not-an-address"]]


def test_quotes_spanning_lines_and_chunks_keep_the_row_numbers(campaign, sdr, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 3)
    rows = [f'u{i}@example.com,"Acme\n{i}, Inc."\n' for i in range(20)]
    rows[12] = 'bad-address,"one\ntwo\nthree\nfour"\n'  # its quoted cell holds more lines than a chunk
    imp = run_import(campaign, sdr, ("email,company\n" + "".join(rows)).encode())
    assert imp.status == "succeeded", imp.error
    assert Lead.objects.get(campaign=campaign, email="u3@example.com").company == "Acme 3, Inc."
    assert Lead.objects.filter(campaign=campaign).count() == 19
    assert [r[:3] for r in report_rows(imp)[1:]][0][:2] == ["14", "bad-address"]


def test_a_nul_byte_past_the_sniffed_start_is_read_like_any_control_character(campaign, sdr, monkeypatch):
    monkeypatch.setattr(csv_import, "SAMPLE_BYTES", 256)  # the upload's look sees only clean rows
    monkeypatch.setattr(service, "BATCH", 10)
    rows = [f"u{i}@example.com,F{i}\n" for i in range(60)]
    rows[40] = "nul@example.com,Bo\x00b\n"
    rows[41] = "n\x00l@example.com,X\n"
    imp = run_import(campaign, sdr, ("email,first_name\n" + "".join(rows)).encode())
    assert imp.status == "succeeded", imp.error
    assert Lead.objects.get(campaign=campaign, email="nul@example.com").first_name == "Bo b"
    assert imp.counts["invalid"] == 1
    assert report_rows(imp)[1][0] == "43"


def test_quotes_csv_reads_leniently_send_the_rest_of_the_file_to_csv(campaign, sdr, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 4)
    rows = [f"u{i}@example.com,F{i}\n" for i in range(30)]
    rows[9] = 'odd@example.com,ab"c\n'  # a quote inside an unquoted cell: csv keeps it as it is
    rows[20] = "bad,x\n"
    imp = run_import(campaign, sdr, ("email,first_name\n" + "".join(rows)).encode())
    assert imp.status == "succeeded", imp.error
    assert Lead.objects.get(campaign=campaign, email="odd@example.com").first_name == 'ab"c'
    assert Lead.objects.filter(campaign=campaign).count() == 29
    assert report_rows(imp)[1][:2] == ["22", "bad"]


def test_text_chunks_end_only_where_records_end():
    import io

    text = 'a,b\n"x\ny",z\nc,d\n"p""\nq",r\ne,f'
    pieces = list(import_copy.text_chunks(io.StringIO(text, newline=""), lines=1, block=4))
    assert "".join(pieces) == text
    assert pieces == ["a,b\n", '"x\ny",z\n', "c,d\n", '"p""\nq",r\n', "e,f"]

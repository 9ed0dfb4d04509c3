"""CSV exports: every field quoted, and no cell a spreadsheet could run as a formula (OWASP's CSV
injection prefixes, a leading ; or |, and a formula after a separator or a line break)."""

import csv
import io

import pytest

from agency.spreadsheet import csv_cell
from tests.conftest import host_client
from tests.factories import FeedbackFactory

# OWASP "CSV Injection": cells starting with = + - @ tab or carriage return; plus line feed and NUL.
OWASP_PREFIXES = ["=", "+", "-", "@", "\t", "\r", "\n", "\0"]
PAYLOADS = ["1+1", "cmd|' /C calc'!A0", 'HYPERLINK("http://evil.example","x")', "SUM(1,2)"]


@pytest.mark.parametrize("prefix", [*OWASP_PREFIXES, ";", "|", "\uff1d", " ="])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_leading_formula_prefix_is_neutralised(prefix, payload):
    assert csv_cell(prefix + payload).startswith("'")


@pytest.mark.parametrize("separator", [",", ";", "|", "\t", "\n", "\r\n", ", "])
@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_a_formula_after_a_separator_or_line_break_is_neutralised(separator, prefix):
    cell = csv_cell(f'fine{separator}{prefix}HYPERLINK("http://evil.example")')

    after = cell.split(separator.strip() or separator, 1)[1].lstrip(" ")
    assert after.startswith("'" + prefix)


@pytest.mark.parametrize("text", ["Lovely place", "4", "Great food - slow", "a@b.example", "2026-03-10"])
def test_ordinary_text_is_kept_as_it_is(text):
    assert csv_cell(text) == text


def test_lists_dates_and_none():
    assert csv_cell(None) == ""
    assert csv_cell(["service", "=cmd"]) == "service, '=cmd"


def test_the_inbox_export_quotes_every_field(agency, owner):
    FeedbackFactory(comment="fine;=1+1", customer_name="@SUM(1)", rating=4)

    body = host_client(agency, user=owner).get("/feedback/export.csv")
    text = b"".join(body.streaming_content).decode().lstrip("\ufeff")

    lines = text.splitlines()
    assert all(line.startswith('"') and line.endswith('"') for line in lines)
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["Comment"] == "fine;'=1+1" and row["Customer"] == "'@SUM(1)" and row["Rating"] == "4"

"""The privacy guard: identifying headers and values are found and located; reports refuse.

Every workbook is written by the test; the expected sheet, row and column of each finding
follow from where the test put the value.
"""

from __future__ import annotations

import json

import pytest

from analysis import read_study
from analysis.cli import main
from analysis.privacy import find_identifying, format_findings, header_identifier
from analysis.report import ReportError, render_report
from analysis.study import Problem

NOTES_HEADER = ("group", "session", "theme", "note", "speaker")


def notes_sheet(*notes: tuple[str, str]) -> list[tuple]:
    """A notes sheet: one row per (note, speaker), sessions 1, 2, ..."""
    return [NOTES_HEADER, *[("G1", i, "Fear", n, s) for i, (n, s) in enumerate(notes, 1)]]


def participants_sheet(extra: str | None = None, values: tuple = ()) -> list[tuple]:
    header = ("pseudonym", "group", "age") + ((extra,) if extra else ())
    rows = [("P1", "G1", 34), ("P2", "G1", 41)]
    return [header, *[r + ((values[i],) if extra else ()) for i, r in enumerate(rows)]]


def where(p: Problem) -> tuple:
    return (p.file, p.sheet, p.row, p.column, p.severity)


CLEAN_NOTES = notes_sheet(("Said that visits stopped on 2020-04-01.", "P1"),
                          ("Spoke about the phone calls with families.", "P2"))


# --- the example study stays clean ----------------------------------------------------------


def test_example_study_is_not_flagged(example_study, capsys):
    assert find_identifying(example_study) == []
    from tests.conftest import EXAMPLE

    capsys.readouterr()
    assert main(["check", str(EXAMPLE), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["privacy"] == []


# --- headers --------------------------------------------------------------------------------

HEADERS = {
    "names": ["Name", "First name", "first_name", "Surname", "Full Name", "Nome", "Cognome",
              "Nome e cognome", "Nom", "Prénom", "Vorname", "Nachname", "Apellido", "Nombre"],
    "e-mail addresses": ["e-mail", "Email", "EMAIL_ADDRESS", "Correo", "Courriel"],
    "phone numbers": ["Phone", "Telephone", "Mobile", "Tel.", "Telefono", "Téléphone",
                      "Telefonnummer", "PhoneNumber"],
    "postal addresses": ["Address", "Indirizzo", "Adresse", "Anschrift", "Dirección"],
    "dates of birth": ["Date of birth", "Data di nascita", "Geburtsdatum", "DOB"],
    "tax or national identity numbers": ["Codice fiscale", "Tax code", "SSN"],
}


@pytest.mark.parametrize(("kind", "header"),
                         [(k, h) for k, hs in HEADERS.items() for h in hs])
def test_identifying_header_in_participants_is_flagged_with_its_cell(xlsx, kind, header):
    path = xlsx({"notes": CLEAN_NOTES,
                 "participants": participants_sheet(header, ("x", "y"))}, name="book.xlsx")
    (p,) = find_identifying(read_study(path))
    # the extra column is the 4th: D, in the header row 1
    assert where(p) == ("book.xlsx", "participants", 1, f"D ({header})", "warning")
    assert f"suggests {kind}" in p.message


@pytest.mark.parametrize("sheet", ["notes", "ratings"])
def test_identifying_header_of_a_column_not_read_is_flagged(xlsx, sheet):
    sheets = {"notes": CLEAN_NOTES,
              "ratings": [("pseudonym", "item", "score"), ("P1", "helpfulness", 8)]}
    sheets[sheet] = [(*sheets[sheet][0], "E-mail"), *[(*r, None) for r in sheets[sheet][1:]]]
    path = xlsx(sheets, name="book.xlsx")
    letter = "ABCDEFGH"[len(sheets[sheet][0]) - 1]
    (p,) = find_identifying(read_study(path))
    assert where(p) == ("book.xlsx", sheet, 1, f"{letter} (E-mail)", "warning")
    assert "e-mail addresses" in p.message and "not read" in p.message


@pytest.mark.parametrize("header", ["pseudonym", "Participant", "speaker", "group name",
                                    "Nome gruppo", "Name (pseudonym)", "region", "gender",
                                    "years of experience", "IP address", "comment"])
def test_expected_or_harmless_headers_are_not_flagged(xlsx, header):
    path = xlsx({"notes": CLEAN_NOTES, "participants": participants_sheet(header, ("a", "b"))})
    assert find_identifying(read_study(path)) == []
    assert header_identifier(header) is None


# --- values ---------------------------------------------------------------------------------


def test_contact_details_in_notes_are_flagged_with_cell_and_masked(xlsx):
    path = xlsx({"notes": notes_sheet(
        ("Fine.", "P1"),
        ("Asked to be called on +39 333 123 4567 after the session.", "P1"),
        ("Wrote from maria.rossi@example.org", "P2"),
        ("Her office number is 02 1234 5678.", "anna@example.org"),
    )}, name="notes.xlsx")
    found = find_identifying(read_study(path))
    # note is column D, speaker column E; data rows start at row 2
    assert [where(p)[1:4] for p in found] == [("notes", 3, "D (note)"), ("notes", 4, "D (note)"),
                                              ("notes", 5, "D (note)"), ("notes", 5, "E (speaker)")]
    messages = [p.message for p in found]
    assert "phone number (ending in …67)" in messages[0]
    assert "e-mail address (m…@example.org)" in messages[1]
    assert "phone number (ending in …78)" in messages[2]
    assert "e-mail address (a…@example.org)" in messages[3]
    text = " ".join(messages)
    assert "maria.rossi" not in text and "333 123" not in text  # never repeated in full


def test_contact_details_in_participants_and_ratings_are_flagged(xlsx):
    path = xlsx({
        "notes": CLEAN_NOTES,
        # a phone number typed as a number, in a column whose header says nothing
        "participants": participants_sheet("contact", (3331234567, "p2@example.org")),
        "ratings": [("pseudonym", "item", "score"), ("P1", "helpfulness", 8),
                    ("P2", "call me: 0039 02 1234 5678", 9)],
    })
    found = find_identifying(read_study(path))
    assert [where(p)[1:4] for p in found] == [
        ("participants", 2, "D (contact)"), ("participants", 3, "D (contact)"),
        ("ratings", 3, "B (item)")]
    assert "phone number" in found[0].message and "e-mail address" in found[1].message
    assert "phone number" in found[2].message


NOT_CONTACTS = [
    "Met on 2020-04-01 and again on 01/04/2020, 1.4.2020 and 2020-04-08 10:30.",
    "Sessions 1-2-3-4-5-6-7-8 were online; sessions 10 11 12 13 in person.",
    "From 01/04/2020 - 03/06/2020, the 2019-2020 plan and the 2019/20 budget.",
    "A budget of 12.500.000 euro, 1,000,000 masks and 1 000 000 000 in total.",
    "Pi is 3.14159265; she met 24-58 year olds from 10.30-12.00.",
    "SW-01 Alba and P-0012345678 spoke; years 2019 2020 2021 were hard.",
    "Use @mario on chat, or user@localhost; session 12345; code 20200401.",
    "She phones families every day and emails the team.",
    "See doi 10.1101/2020.06.10.144964 and 10.1080/07391102.2020.1796799, Ann 118/07/1087.",
]


@pytest.mark.parametrize("text", NOT_CONTACTS)
def test_dates_numbers_and_words_are_not_taken_for_contacts(xlsx, text):
    path = xlsx({"notes": notes_sheet((text, "SW-01 Alba"))})
    assert find_identifying(read_study(path)) == []


@pytest.mark.parametrize("number", ["+39 02 1234 5678", "0039 333 1234567", "3331234567",
                                    "(02) 1234 5678", "01 23 45 67 89", "06.12.34.56.78",
                                    "+49 30 12345678", "612 345 678", "(555) 123-4567",
                                    "+44 20 7946 0958", "347/1234567"])
def test_phone_formats_are_found(xlsx, number):
    path = xlsx({"notes": notes_sheet((f"Her number: {number}.", "P1"))})
    (p,) = find_identifying(read_study(path))
    assert f"ending in …{number[-2:]}" in p.message


def test_speaker_equal_to_a_real_name_is_flagged(xlsx):
    path = xlsx({
        "notes": notes_sheet(("a", "Anna Bianchi"), ("b", "P2"), ("c", "anna  bianchi")),
        "participants": participants_sheet("Full name", ("Anna Bianchi", "Marco Verdi")),
    })
    found = find_identifying(read_study(path))
    header, reuse = found
    assert where(header)[1:4] == ("participants", 1, "D (Full name)")
    assert where(reuse)[1:4] == ("notes", 2, "E (speaker)")
    assert "participants column D (Full name)" in reuse.message
    assert "2 notes like this" in reuse.message  # case and spacing ignored
    assert "Anna" not in reuse.message


def test_csv_notes_are_checked_too(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("group,session,theme,note,email\nG1,1,Fear,Call 333 1234567,x@y.org\n",
                    encoding="utf-8")
    found = find_identifying(read_study(path))
    assert [where(p) for p in found] == [
        ("notes.csv", None, 1, "E (email)", "warning"),
        ("notes.csv", None, 2, "D (note)", "warning")]


# --- check and report -----------------------------------------------------------------------


def test_check_lists_findings_as_warnings_without_failing(xlsx, capsys):
    path = xlsx({"notes": CLEAN_NOTES,
                 "participants": participants_sheet("email", ("a@b.org", "c@d.org"))},
                name="book.xlsx")
    capsys.readouterr()
    assert main(["check", str(path), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is True and payload["warnings"] == []
    assert [(p["sheet"], p["row"], p["column"], p["severity"]) for p in payload["privacy"]] == [
        ("participants", 1, "D (email)", "warning"), ("participants", 2, "D (email)", "warning"),
        ("participants", 3, "D (email)", "warning")]
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Possibly identifying data" in out and "(3):" in out
    assert "book.xlsx, sheet 'participants', row 2, column D (email)" in out
    assert out.rstrip().endswith("OK: no errors")


def test_format_findings_lists_ten_then_counts():
    problems = [Problem(f"finding {i}", file="f.xlsx") for i in range(13)]
    lines = format_findings(problems).splitlines()
    assert len(lines) == 11
    assert lines[9] == "  - f.xlsx: finding 9"
    assert lines[10].startswith("  ... and 3 more")


def example_with_emails(path):
    """The example study with an ``email`` column added to its participants sheet."""
    from openpyxl import load_workbook

    from tests.conftest import EXAMPLE

    wb = load_workbook(EXAMPLE)
    ws = wb["participants"]
    col = ws.max_column + 1
    ws.cell(row=1, column=col, value="email")
    for row in (2, 3):
        ws.cell(row=row, column=col, value=f"person{row}@example.org")
    wb.save(path)
    return path, col


@pytest.fixture
def small_notebook(tmp_path, monkeypatch):
    """Make ``report`` run a two-cell notebook (reads the study), not the full report."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell('input_path = None\noutput_dir = "."\ndayfirst = True',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("from analysis import read_study\n"
                                  "len(read_study(input_path, dayfirst=dayfirst).notes)"),
    ]
    path = tmp_path / "small.ipynb"
    nbformat.write(nb, path)
    monkeypatch.setattr("analysis.report.find_notebook", lambda name="report.ipynb": path)
    return path


def test_report_refuses_identifying_data_unless_allowed(tmp_path, capsys, small_notebook):
    path, col = example_with_emails(tmp_path / "book.xlsx")
    letter = chr(64 + col)
    out = tmp_path / "report"
    with pytest.raises(ReportError, match="may hold identifying data") as info:
        render_report(path, out)
    assert "3 findings" in str(info.value)  # the header and two addresses
    assert not out.exists() and list(tmp_path.glob(".report*")) == []

    capsys.readouterr()
    assert main(["report", str(path), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: book.xlsx may hold identifying data (3 findings)")
    assert "--allow-identifying" in err
    assert f"book.xlsx, sheet 'participants', row 1, column {letter} (email)" in err
    assert f"book.xlsx, sheet 'participants', row 3, column {letter} (email)" in err
    assert not out.exists() and list(tmp_path.glob(".report*")) == []

    assert main(["report", str(path), "--out", str(out), "--quiet",
                 "--allow-identifying"]) == 0
    assert (out / "report.html").is_file()
    assert "711" in (out / "report.html").read_text(encoding="utf-8")  # the notes, counted

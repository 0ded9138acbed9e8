"""Illustrative quotations and the codebook table: chosen reproducibly, spread, masked."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.privacy import mask_identifying, real_names
from analysis.quotes import choose_quotes, codebook_table, is_complete, quotes_html


def make_notes(rows, quote=None):
    """rows: (group, session, theme, note, speaker)."""
    frame = pd.DataFrame(rows, columns=["group", "session", "theme", "note", "speaker"])
    frame["group"] = pd.Categorical(frame["group"], categories=["G1", "G2", "G3"], ordered=True)
    frame["theme"] = pd.Categorical(frame["theme"], categories=["Fear", "Hope"])
    frame["category"] = pd.Categorical(["Emotions"] * len(frame), categories=["Emotions"],
                                       ordered=True)
    frame["source"] = [f"notes!F{i + 2}" for i in range(len(frame))]
    if quote is not None:
        frame["quote"] = quote
    return frame


ROWS = [
    ("G1", 1, "Fear", "Said that she is afraid of catching the virus at work.", "P1"),  # 0
    ("G1", 2, "Fear", "Worried.", "P2"),                                                 # 1 short
    ("G1", 3, "Fear", "Said she fears for her parents.", "P3"),                          # 2
    ("G2", 1, "Fear", "fear of infection mentioned by several without a full stop", "P4"),
    ("G2", 2, "Fear", "Told the group that the hospital visits frighten her a lot.", "P5"),
    ("G3", 1, "Fear", "A" * 300 + ".", "P6"),                                            # too long
    ("G1", 1, "Hope", "Shared hope.", "P1"),                                            # < 20
]


def test_shortest_complete_notes_spread_across_groups():
    q = choose_quotes(make_notes(ROWS), n=3)
    fear = q[q["theme"] == "Fear"]
    # complete notes by length: row 2 (G1, 31 chars), row 0 (G1, 54), row 4 (G2, 59);
    # spreading takes the shortest of G1, then G2's complete note, then the next of G1
    assert fear["quote"].tolist() == [ROWS[2][3], ROWS[4][3], ROWS[0][3]]
    assert fear["group"].tolist() == ["G1", "G2", "G1"]
    assert fear["rank"].tolist() == [1, 2, 3]
    assert fear["speaker"].tolist() == ["P3", "P5", "P1"]
    assert fear["source"].tolist() == ["notes!F4", "notes!F6", "notes!F2"]
    # Hope has only a fragment (under 20 characters): it is still quoted, fragments last
    assert q.loc[q["theme"] == "Hope", "quote"].tolist() == ["Shared hope."]
    # the same input gives the same quotes
    pd.testing.assert_frame_equal(q, choose_quotes(make_notes(ROWS), n=3))


def test_marked_quotes_come_first_and_repeats_are_skipped():
    rows = [*ROWS, ("G3", 2, "Fear", "Said that she is afraid of catching the virus at work!",
                    "P7")]
    marks = [None, None, None, None, None, None, None, "x"]
    q = choose_quotes(make_notes(rows, quote=marks), n=3, themes=["Fear"])
    assert q["quote"].iloc[0] == rows[7][3] and bool(q["marked"].iloc[0])
    # row 0 says the same as the marked note: not chosen again
    assert ROWS[0][3] not in q["quote"].tolist()
    assert q["quote"].tolist() == [rows[7][3], ROWS[2][3], ROWS[4][3]]


def test_quotes_are_masked_and_escaped():
    rows = [("G1", 1, "Fear", "Said Anna Rossi gave her number +39 333 123 4567 <b>now</b>.",
             "P1"),
            ("G2", 1, "Fear", "Wrote to anna.rossi@example.org about the visits & more.", "P2")]
    q = choose_quotes(make_notes(rows), names=["Anna Rossi"])
    # shorter first (58 and 62 characters before masking)
    assert q["quote"].tolist() == [
        "Wrote to [e-mail removed] about the visits & more.",
        "Said [name removed] gave her number [phone number removed] <b>now</b>."]
    html = quotes_html(q)
    assert "&lt;b&gt;now&lt;/b&gt;" in html and "<b>now" not in html and "&amp; more" in html
    assert html.count("<blockquote>") == 2 and 'data-theme="Fear"' in html
    assert "G1, session 1, P1" in html and "G2, session 1, P2" in html


@pytest.mark.parametrize(("text", "expected"), [
    ("Said that visits stopped.", True),
    ("“She said: we are tired.”", True),
    ("visits stopped", False),
    ("Short.", False),
    (None, False),
])
def test_is_complete(text, expected):
    assert is_complete(text) is expected


def test_mask_leaves_dates_and_counts_alone():
    text = "Met on 2020-04-01 and 01/04/2020 with 12 people, session 3."
    assert mask_identifying(text) == text


def test_real_names_come_from_name_columns_only(xlsx):
    from analysis import read_study

    path = xlsx({"notes": [("group", "session", "theme"), ("G1", 1, "Fear")],
                 "participants": [("pseudonym", "group", "Full name"),
                                  ("P1", "G1", "Anna Bianchi"), ("P2", "G1", "Li Wu")]})
    assert real_names(read_study(path)) == ["Anna Bianchi", "Anna", "Bianchi", "Li Wu"]


def test_codebook_table_counts_and_examples():
    notes = make_notes(ROWS)
    codebook = pd.DataFrame({"theme": ["Fear", "Hope", "Unused"],
                             "category": ["Emotions", "Emotions", "Emotions"],
                             "definition": ["Being afraid.", "Looking ahead.", None],
                             "aliases": ["fright", None, None]})
    q = choose_quotes(notes, n=1)
    table = codebook_table(codebook, notes, q)
    assert table.columns.tolist() == ["category", "theme", "definition", "aliases", "notes",
                                      "sessions", "groups", "example"]
    # counted by hand from ROWS: Fear 6 notes in 6 group-sessions of 3 groups, Hope 1, Unused 0
    assert table[["theme", "notes", "sessions", "groups"]].values.tolist() == [
        ["Fear", 6, 6, 3], ["Hope", 1, 1, 1], ["Unused", 0, 0, 0]]
    assert table["example"].iloc[0] == f"“{ROWS[2][3]}” (G1, session 3)"
    assert pd.isna(table["example"].iloc[2])


def test_quotes_read_each_note_by_position_whatever_the_index():
    # notes kept from a larger table (labels with gaps) or joined (repeated labels) keep
    # each quote with its own group, session, speaker and cell
    notes = make_notes(ROWS)
    fresh = choose_quotes(notes, n=3)
    for index in ([10, 3, 7, 0, 99, 5, 42], [0, 0, 1, 1, 2, 2, 3]):
        q = choose_quotes(notes.set_axis(index), n=3)
        pd.testing.assert_frame_equal(q, fresh)
    fear = fresh[fresh["theme"] == "Fear"]
    assert list(fear["source"]) == ["notes!F4", "notes!F6", "notes!F2"]
    assert list(fear["speaker"]) == ["P3", "P5", "P1"]

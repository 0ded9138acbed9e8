"""The explorer without a browser: selections, Venn regions, quotes, codebook trials, widget.

Expected notes are picked from the rows here with plain pandas and set operations, never
with the functions under test.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis import explore, read_study, write_study
from analysis.codebook import Codebook
from analysis.explorer import (
    Explorer,
    region_ids,
    region_notes,
    select_notes,
    theme_changes,
)
from tests.conftest import notes_rows


@pytest.fixture(scope="module")
def study(example_study):
    return example_study


def _ids(frame: pd.DataFrame) -> list:
    return list(frame.index)


def test_import_analysis_loads_no_widgets():
    import subprocess
    import sys

    code = ("import sys, analysis; f = analysis.explore; "
            "print([m for m in ('ipywidgets', 'IPython', 'matplotlib') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_select_by_theme_group_valence_and_text(study):
    notes = study.notes
    hope = notes[notes["theme"].astype(str) == "Hope"]
    assert _ids(select_notes(notes, theme="Hope")) == _ids(hope)
    g2neg = notes[(notes["group"].astype(str) == "Group 2")
                  & (notes["valence"].astype(str) == "negative")]
    assert _ids(select_notes(notes, group="Group 2", valence="negative")) == _ids(g2neg)
    phone = notes[notes["note"].fillna("").str.lower().str.contains("phone", regex=False)]
    assert _ids(select_notes(notes, text="PHONE")) == _ids(phone)
    assert len(select_notes(notes)) == len(notes)
    speaker = notes["speaker"].dropna().astype(str).iloc[0]
    assert (select_notes(notes, speaker=speaker)["speaker"].astype(str) == speaker).all()


def test_select_refuses_unknown_values(study):
    with pytest.raises(ValueError, match="theme='Hopes' is not a theme of the notes"):
        select_notes(study.notes, theme="Hopes")
    with pytest.raises(ValueError, match="give a region id of 3 digits"):
        select_notes(study.notes, region=("Group 1", "Group 9"))
    with pytest.raises(ValueError, match="lies in no set"):
        select_notes(study.notes, region="000")


def test_group_regions_are_themes_raised_by_exactly_those_groups(study):
    notes = study.notes
    by_theme = notes.groupby(notes["theme"].astype(str))["group"].agg(
        lambda g: frozenset(g.astype(str)))
    only_12 = {t for t, gs in by_theme.items() if gs == {"Group 1", "Group 2"}}
    expected = notes[notes["theme"].astype(str).isin(only_12)]
    assert only_12  # the example has such themes
    mask = region_notes(notes, "groups", "110")
    assert _ids(notes[mask]) == _ids(expected)
    by_names = region_notes(notes, "groups", ("Group 1", "Group 2"))
    assert by_names.equals(mask)
    choices = region_ids({g: set(notes.loc[notes["group"] == g, "theme"].astype(str))
                          for g in study.groups})
    assert choices.set_index("region").loc["110", "size"] == len(only_12)
    assert choices.set_index("region").loc["110", "label"] == "Group 1 & Group 2"
    assert explore(study).region_choices().equals(choices)


def test_category_regions_are_sessions_with_exactly_those_categories(study):
    notes = study.notes
    key = notes["group"].astype(str) + " #" + notes["session"].astype(str)
    cats = notes.groupby(key)["category"].agg(lambda c: frozenset(c.dropna().astype(str)))
    every = set(study.categories)
    sessions = {k for k, c in cats.items() if c == every}
    expected = notes[key.isin(sessions) & notes["category"].notna()]
    got = select_notes(notes, region="111", sets="categories")
    assert _ids(got) == _ids(expected)


def test_custom_sets_by_session(study):
    notes = study.notes
    sets = {"fear": {"Group 1 #1", "Group 1 #2"}, "hope": {"Group 1 #2", "Group 2 #1"}}
    key = notes["group"].astype(str) + " #" + notes["session"].astype(str)
    got = select_notes(notes, region="11", sets=sets, by="session")
    assert _ids(got) == _ids(notes[key == "Group 1 #2"])
    got = select_notes(notes, region=("hope",), sets=sets, by="session")
    assert _ids(got) == _ids(notes[key == "Group 2 #1"])


def test_explorer_counts_match_the_rows(study):
    ex = explore(study, theme="Hope")
    counts = ex.counts()
    hope = study.notes[study.notes["theme"] == "Hope"]
    for group, part in hope.groupby(hope["group"].astype(str)):
        assert counts.loc[group, "notes"] == len(part)
        assert counts.loc[group, "sessions"] == part["session"].nunique()
        assert counts.loc[group, "positive"] == int((part["valence"] == "positive").sum())
    assert counts.loc["Total", "notes"] == len(hope)


def test_quotes_are_marked_saved_and_read_back(study, tmp_path):
    ex = explore(study, theme="Online interviews", text="speak freely")
    picked = list(ex.selected().index[:3])
    assert ex.mark_quotes(picked) == 3
    assert ex.mark_quotes([picked[0]], quote=False) == 2
    with pytest.raises(KeyError, match="not notes of the study"):
        ex.mark_quotes([10**9])
    out = ex.to_study()
    assert "quote" not in study.notes  # the explored study is untouched
    assert list(out.notes.index[out.notes["quote"]]) == picked[1:]
    path = write_study(out, tmp_path / "quoted.xlsx")
    back = read_study(path)
    assert back.notes["quote"].dtype == bool
    sources = set(study.notes.loc[picked[1:], "source"])
    assert set(back.notes.loc[back.notes["quote"], "note"]) == set(
        study.notes.loc[picked[1:], "note"])
    assert int(back.notes["quote"].sum()) == len(sources)
    again = explore(back)
    assert len(again.quotes) == 2 and len(again.quotes_frame()) == 2


def test_trial_merge_changes_counts_then_records(study):
    ex = explore(study)
    notes = study.notes
    guilt = int((notes["theme"] == "Guilt").sum())
    anger = int((notes["theme"] == "Anger at institutions").sum())
    changes = ex.try_merge(["Guilt", "Anger at institutions"], into="Guilt and anger",
                           comment="often together")
    table = changes.set_index("theme")
    assert table.loc["Guilt and anger", "notes_after"] == guilt + anger
    assert table.loc["Guilt", "notes_after"] == 0 and table.loc["Guilt", "notes_before"] == guilt
    assert table.loc["Guilt", "change"] == -guilt
    assert set(changes["theme"]) == {"Guilt", "Anger at institutions", "Guilt and anger"}
    steps = len(ex.codebook.history_frame())
    assert ex.trial is not None and "merge" in ex._display().text()
    cb = ex.record()
    assert len(cb.history_frame()) == steps + 1
    assert cb.history_frame().iloc[-1]["comment"] == "often together"
    assert len(ex.select(theme="Guilt and anger")) == guilt + anger
    with pytest.raises(ValueError, match="nothing to record"):
        ex.record()
    # recorded operations are saved with the study and replayed on reading
    assert ex.to_study().history.iloc[-1]["target"] == "Guilt and anger"


def test_trial_split_and_move(study):
    ex = explore(study)
    notes = study.notes
    online = notes[notes["theme"] == "Online interviews"]
    pattern = "speak freely|partner"
    matching = int(online["note"].fillna("").str.contains(pattern, case=False,
                                                          regex=True).sum())
    changes = ex.try_split("Online interviews", ("Not free to speak", "Online interviews"),
                           keyword=pattern).set_index("theme")
    assert changes.loc["Not free to speak", "notes_after"] == matching
    assert changes.loc["Online interviews", "notes_after"] == len(online) - matching
    ex.discard()
    assert ex.trial is None and ex.changes().empty
    moved = ex.try_move("Hope", "Personal & emotional (positive)").set_index("theme")
    assert list(moved.index) == ["Hope"]
    assert moved.loc["Hope", "category_after"] == "Personal & emotional (positive)"
    assert moved.loc["Hope", "change"] == 0
    with pytest.raises(ValueError, match="operation='drop' is not one of"):
        ex.try_operation("drop", "Hope")


def test_theme_changes_against_counts():
    notes = pd.DataFrame({"group": pd.Categorical(["G"] * 4), "session": [1, 1, 2, 2],
                          "theme": ["a", "b", "b", "c"], "note": ["", "", "", ""],
                          "source": ["n!A2", "n!A3", "n!A4", "n!A5"]})
    before = Codebook.from_records([("a", "X"), ("b", "X"), ("c", "Y")])
    after = before.merge(["a", "b"], into="ab")
    table = theme_changes(notes, before, after, changed_only=False).set_index("theme")
    assert table["notes_before"].to_dict() == {"a": 1, "b": 2, "c": 1, "ab": 0}
    assert table["notes_after"].to_dict() == {"a": 0, "b": 0, "c": 1, "ab": 3}
    assert table.loc["ab", "category_before"] is None


def test_static_display_is_deterministic_and_compact(study):
    ex = explore(study, group="Group 1", limit=5)
    bundle = ex._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}  # no kernel: no widget view
    n = int((study.notes["group"] == "Group 1").sum())
    assert f"{n} notes in" in bundle["text/plain"]
    assert f"... and {n - 5} more notes" in bundle["text/plain"]
    assert bundle == explore(study, group="Group 1", limit=5)._repr_mimebundle_()
    from tests.test_display import well_formed

    well_formed(bundle["text/html"])
    assert not re.search(r"0x[0-9a-f]{6}", bundle["text/plain"])


def test_explorer_escapes_notes(xlsx):
    path = xlsx({"notes": notes_rows([("G1", 1, None, "<b>t</b>", "negative", "<script>x")])})
    ex = explore(read_study(path))
    html = ex._repr_html_()
    assert "<script" not in html and "&lt;script&gt;x" in html


def test_widget_drives_the_explorer(study):
    pytest.importorskip("ipywidgets")
    ex = Explorer(study)
    ex.widget()
    w = ex._widget
    w.by.value = "theme"
    w.value.value = "Hope"
    assert ex.criteria == {"theme": "Hope"}
    assert len(w.notes.options) == int((study.notes["theme"] == "Hope").sum())
    w.by.value = "Venn region"
    w.value.value = "110"
    assert ex.criteria == {"region": "110"}
    first = w.notes.options[0][1]
    w.notes.value = (first,)
    w.mark.click()
    assert ex.quotes == {first}
    w.operation.value = "merge"
    w.themes.value = ("Guilt", "Anger at institutions")
    w.target.value = "Guilt and anger"
    w.try_button.click()
    assert ex.trial is not None and "Guilt and anger" in w.changes.value
    w.record_button.click()
    assert ex.trial is None and "Guilt and anger" in ex.codebook.themes
    assert "Guilt and anger" in w.themes.options
    w.operation.value = "rename"
    w.themes.value = ("Hope",)
    w.target.value = "Guilt and anger"
    w.try_button.click()
    assert "already a theme" in w.message.value and ex.trial is None


def test_quote_column_marks_and_text(tmp_path, xlsx):
    marked = tmp_path / "marked.csv"
    marked.write_text("group,session,theme,note,quote\n"
                      "G1,1,Fear,a,TRUE\nG1,2,Fear,b,x\nG1,3,Hope,c,\nG1,4,Hope,d,no\n"
                      "G1,5,Hope,e,perhaps\n", encoding="utf-8")
    study = read_study(marked)
    assert study.notes["quote"].tolist() == [True, True, False, False]
    [rejected] = study.log.rejected
    assert (rejected.row, rejected.column) == (6, "E (quote)")
    assert "quote 'perhaps' is not a mark" in rejected.message
    # a 'Quote' column of text and no note column is the note, as before
    text = tmp_path / "text.csv"
    text.write_text("group,session,theme,Quote\nG1,1,Fear,she said so\n", encoding="utf-8")
    study = read_study(text)
    assert study.notes["note"].tolist() == ["she said so"] and "quote" not in study.notes
    # next to a note column it is a second note column, reported as before, no row lost
    both = tmp_path / "both.csv"
    both.write_text("group,session,theme,note,Quote\nG1,1,Fear,a,she said so\n",
                    encoding="utf-8")
    study = read_study(both)
    assert study.notes["note"].tolist() == ["a"] and not study.log.rejected
    assert "column 'note' appears 2 times" in study.log.errors[0].message
    # a workbook without the column has none, and writing does not add one
    path = xlsx({"notes": notes_rows([("G1", 1, None, "Fear", "negative", "n")])})
    plain = read_study(path)
    assert "quote" not in plain.notes
    assert "quote" not in read_study(write_study(plain, tmp_path / "w.xlsx")).notes


def test_exploring_one_coder_keeps_every_note(study):
    from analysis import tables

    notes = tables.one_coder(study.notes)
    assert len(notes) < len(study.notes)  # the example is partly double-coded
    ex = explore(study, notes=notes)
    assert len(ex.select()) == len(notes)
    assert ex.counts().loc["Total", "notes"] == len(notes)
    ex.mark_quotes(list(notes.index[:2]))
    out = ex.to_study()
    assert len(out.notes) == len(study.notes)
    assert list(out.notes.index[out.notes["quote"]]) == list(notes.index[:2])
    with pytest.raises(ValueError, match=r"rows of study\.notes"):
        explore(study, notes=notes.reset_index(drop=True).set_axis(
            range(10**6, 10**6 + len(notes))))


def test_widget_follows_changes_made_in_code(study):
    pytest.importorskip("ipywidgets")
    ex = explore(study, theme="Hope")
    ex.widget()
    w = ex._widget
    assert (w.by.value, w.value.value) == ("theme", "Hope")
    ex.select(group="Group 2", text="phone")
    assert (w.by.value, w.value.value, w.text.value) == ("group", "Group 2", "phone")
    expected = study.notes[(study.notes["group"] == "Group 2")
                           & study.notes["note"].fillna("").str.contains("phone", case=False)]
    assert [v for _, v in w.notes.options] == list(expected.index)
    ex.mark_quotes(list(expected.index[:1]))
    assert w.notes.options[0][0].startswith("[quote] ")
    ex.try_move("Hope", "Elsewhere")
    assert "Elsewhere" in w.changes.value
    ex.discard()
    assert "Elsewhere" not in w.changes.value


def test_building_the_widget_keeps_the_selection(study):
    pytest.importorskip("ipywidgets")
    ex = explore(study, theme="Online interviews", text="speak freely")
    before = list(ex.selected().index)
    ex.widget()
    assert ex.criteria == {"theme": "Online interviews", "text": "speak freely"}
    assert list(ex.selected().index) == before
    assert [v for _, v in ex._widget.notes.options] == before

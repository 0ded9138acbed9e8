"""The category map (Figure 1 when the Venn diagram says nothing) and the report's words."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import charts, narrative, tables


def test_map_data_counts_match_a_groupby(example_study):
    notes = tables.one_coder(example_study.notes)
    data = charts.category_map_data(notes)
    by_hand = (notes.groupby(["theme", "valence"], observed=True).size()
               .unstack(fill_value=0))
    for row in data.itertuples():
        for v in ("negative", "neutral", "positive"):
            assert getattr(row, v) == by_hand.loc[row.theme].get(v, 0), (row.theme, v)
        assert row.notes == (notes["theme"] == row.theme).sum()
    # categories in codebook order, themes by notes within each
    assert list(dict.fromkeys(data["category"])) == list(notes["category"].cat.categories)
    for _, part in data.groupby("category", observed=True):
        assert part["notes"].is_monotonic_decreasing


def test_map_draws_every_theme_with_bars_proportional_to_notes(example_study):
    notes = tables.one_coder(example_study.notes)
    data = charts.category_map_data(notes)
    ax = charts.category_map(data)
    themes = [t.get_text().replace("\n", " ") for t in ax.texts
              if (t.get_gid() or "").startswith("theme:")]
    assert sorted(themes) == sorted(data["theme"])
    heads = [t.get_gid() for t in ax.texts if (t.get_gid() or "").startswith("category:")]
    assert heads == [f"category:{c}" for c in notes["category"].cat.categories]
    widths: dict[str, dict[str, float]] = {}
    for patch in ax.patches:
        gid = patch.get_gid() or ""
        if gid.startswith("bar:"):
            _, theme, kind = gid.rsplit(":", 2) if gid.count(":") > 2 else gid.split(":")
            widths.setdefault(theme, {})[kind] = patch.get_width()
    unit = None
    for row in data.itertuples():
        for kind in ("negative", "neutral", "positive"):
            count = getattr(row, kind)
            width = widths.get(row.theme, {}).get(kind, 0.0)
            if count == 0:
                assert width == 0.0
                continue
            unit = unit or width / count
            assert width == pytest.approx(unit * count), (row.theme, kind)


def test_map_summarizes_themes_beyond_max_themes():
    data = pd.DataFrame({"category": pd.Categorical(["A"] * 5, categories=["A"]),
                         "theme": list("vwxyz"), "notes": [5, 4, 3, 2, 1],
                         "negative": [1, 1, 1, 1, 1], "neutral": [4, 3, 2, 1, 0],
                         "positive": [0, 0, 0, 0, 0]})
    ax = charts.category_map(data, max_themes=3)
    texts = [t.get_text() for t in ax.texts]
    assert "+ 2 more themes, 3 notes" in texts
    assert "15 notes, 33% negative, 0% positive" in texts  # 5 of 15 negative


def test_map_svg_is_reproducible(example_study, tmp_path):
    data = charts.category_map_data(tables.one_coder(example_study.notes))
    a = charts.save_figure(charts.category_map(data).figure, tmp_path / "a", formats=("svg",))
    b = charts.save_figure(charts.category_map(data).figure, tmp_path / "b", formats=("svg",))
    assert a[0].read_bytes() == b[0].read_bytes()


def _regions(sizes: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"region": list(sizes), "size": list(sizes.values())})


@pytest.mark.parametrize(("sizes", "kind"), [
    ({"100": 0, "010": 0, "110": 0, "001": 0, "101": 0, "011": 0, "111": 28}, "map"),
    ({"100": 1, "010": 1, "110": 0, "001": 0, "101": 0, "011": 0, "111": 18}, "map"),  # 90%
    ({"100": 2, "010": 1, "110": 0, "001": 0, "101": 0, "011": 0, "111": 17}, "venn"),  # 85%
])
def test_figure1_choice(sizes, kind):
    chosen, why = narrative.figure1_choice(_regions(sizes), n_sets=3)
    assert chosen == kind
    assert ("maps each category's themes" in why) == (kind == "map")


def test_figure1_is_a_map_beyond_three_categories():
    assert narrative.figure1_choice(None, n_sets=5)[0] == "map"


def test_findings_state_the_numbers(example_study):
    from scipy.stats import binomtest

    from analysis import stats

    notes = tables.one_coder(example_study.notes)
    overview = tables.overview(notes)
    expected, observed, chi2 = stats.chi2_independence(notes)
    sentences = narrative.findings(
        overview=overview, common=stats.commonality(notes), chi2=chi2, observed=observed,
        expected=expected, saturation=stats.saturation_point(stats.saturation(notes)))
    n = len(notes)
    neg = int((notes["valence"] == "negative").sum())
    ci = binomtest(neg, n).proportion_ci(method="wilson")
    assert (f"{100 * neg / n:.0f}% of the notes were negative ({neg} of {n}; 95% Wilson "
            f"interval, treating notes as independent: {100 * ci.low:.0f}% to "
            f"{100 * ci.high:.0f}%).") in sentences
    # every Personal & emotional theme was raised by all three groups (commonality by hand)
    cat = notes[notes["category"] == "Personal & emotional"]
    per_theme = cat.groupby("theme", observed=True)["group"].nunique()
    assert (per_theme == 3).all()
    assert any(s.startswith("Every theme of Personal & emotional was raised by all 3 groups")
               for s in sentences)
    p = chi2["pval"].iloc[0]
    assert any(f"(p = {p:.3f})" in s and "descriptive" in s for s in sentences)


def test_methods_appendix_names_input_mapping_and_coders(example_study):
    import copy
    import hashlib

    from tests.conftest import EXAMPLE

    notes = tables.one_coder(example_study.notes)
    table = narrative.methods(example_study, notes=notes).set_index("item")["value"]
    assert table["SHA-256 of the input"] == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert table["records"] == "read 865, kept 865, rejected 0"
    assert "theme ← D (theme)" in table["column mapping"]
    assert table["coders"] == "R1: 639 notes; R2: 72 notes"
    assert "counts the notes of R1" in table["double coding"]
    assert table["notes counted"] == f"{len(notes)} of {len(example_study.notes)}"
    # a reader that records its layout and column mapping on the log is used as it is
    study = copy.copy(example_study)
    study.log = copy.copy(example_study.log)
    study.log.layout = "template workbook, sheet 'notes'"
    study.log.columns = {"theme": "Tema"}
    table = narrative.methods(study, notes=notes).set_index("item")["value"]
    assert table["layout"] == "template workbook, sheet 'notes'"
    assert table["column mapping"] == "theme ← Tema"


def test_checklist_answers_from_the_data(example_study):
    from analysis.quotes import choose_quotes

    notes = tables.one_coder(example_study.notes)
    full = narrative.checklist(example_study, notes=notes, quotes=choose_quotes(notes))
    assert full["answered"].all()
    bare = narrative.checklist(example_study, notes=notes.drop(columns="coder"), quotes=None)
    assert set(bare.loc[~bare["answered"], "guideline"]) == {"COREQ 24", "COREQ 29", "SRQR 17"}

"""The tables and tests count integer codes; here they meet plain Python set counting.

Each test draws random notes tables (several groups, gaps in the session numbers, dates out of
session order, unused codebook themes, a missing theme, category or valence here and there)
and recounts what the function reports with dictionaries and sets, one note at a time.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from analysis import stats, tables
from analysis.codebook import Codebook, relabel_notes

THEMES = ["T1", "T2", "T3", "T4", "T5", "T6", "T7"]  # T7 is never used
CATEGORY = {"T1": "X", "T2": "X", "T3": "Y", "T4": "Y", "T5": "Z", "T6": "Z", "T7": "Z"}
GROUPS = ["G1", "G2", "G3", "G4"]  # G4 has no notes


def random_notes(seed: int, n: int = 400, missing: bool = True) -> pd.DataFrame:
    """Return a notes table shaped like ``study.notes``."""
    rng = np.random.default_rng(seed)
    group = rng.choice(GROUPS[:3], n)
    session = rng.choice([1, 2, 3, 5, 8, 9, 12], n)
    theme = rng.choice(THEMES[:6], n).astype(object)
    valence = rng.choice(["negative", "neutral", "positive"], n).astype(object)
    if missing:
        theme[rng.random(n) < 0.05] = None
        valence[rng.random(n) < 0.1] = None
    # dates: weekly by session, but group G2 meets earlier in the year
    start = {"G1": dt.date(2020, 4, 6), "G2": dt.date(2020, 3, 2), "G3": dt.date(2020, 4, 8)}
    date = [start[g] + dt.timedelta(weeks=int(s)) for g, s in zip(group, session, strict=True)]
    category = [CATEGORY.get(t) if t is not None else None for t in theme]
    return pd.DataFrame({
        "group": pd.Categorical(group, categories=GROUPS),
        "session": pd.array(session, dtype="Int64"),
        "date": pd.to_datetime(date),
        "theme": pd.Categorical(theme, categories=THEMES),
        "category": pd.Categorical(category, categories=["X", "Y", "Z"], ordered=True),
        "valence": pd.Categorical(valence, categories=["negative", "neutral", "positive"]),
        "note": [f"note {i}" for i in range(n)],
        "source": [f"notes!D{i + 2}" for i in range(n)],
    })


def records(notes: pd.DataFrame) -> list[dict]:
    """Return the notes as dictionaries with None for missing values."""
    out = []
    for rec in notes.astype(object).to_dict("records"):
        out.append({k: (None if v is None or v is pd.NA or v != v else v)
                    for k, v in rec.items()})
    return out


SEEDS = [0, 1, 2, 3]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("of", ["theme", "category"])
@pytest.mark.parametrize("by", ["group", "valence", None])
def test_counts_of_notes_and_of_sessions(seed, of, by):
    notes = random_notes(seed)
    rows = records(notes)
    column = {"group": "group", "valence": "valence", None: None}[by]
    per_note: dict[tuple, int] = defaultdict(int)
    per_session: dict[tuple, set] = defaultdict(set)
    for r in rows:
        level = "total" if column is None else r[column]
        if r[of] is None or level is None:
            continue
        per_note[(r[of], level)] += 1
        per_session[(r[of], level)].add((r["group"], r["session"]))
    got = tables.counts(notes, of=of, by=by)
    got_sessions = tables.counts(notes, of=of, by=by, unit="sessions")
    for label in got.index:
        for level in got.columns:
            assert got.loc[label, level] == per_note.get((label, level), 0)
            assert got_sessions.loc[label, level] == len(per_session.get((label, level), ()))
    assert list(got.index) == list(notes[of].cat.categories)


@pytest.mark.parametrize("seed", SEEDS)
def test_overview_and_theme_frequencies(seed):
    notes = random_notes(seed)
    rows = records(notes)
    view = tables.overview(notes)
    for g in GROUPS:
        mine = [r for r in rows if r["group"] == g]
        assert view.loc[g, "notes"] == len(mine)
        assert view.loc[g, "sessions"] == len({r["session"] for r in mine})
        assert view.loc[g, "themes"] == len({r["theme"] for r in mine if r["theme"]})
        assert view.loc[g, "negative"] == sum(r["valence"] == "negative" for r in mine)
    assert view.loc["Total", "sessions"] == len({(r["group"], r["session"]) for r in rows})
    freq = tables.theme_frequencies(notes).set_index("theme")
    for t in THEMES:
        mine = [r for r in rows if r["theme"] == t]
        if not mine:
            assert t not in freq.index
            continue
        assert freq.loc[t, "notes"] == len(mine)
        assert freq.loc[t, "sessions"] == len({(r["group"], r["session"]) for r in mine})
        assert freq.loc[t, "groups"] == len({r["group"] for r in mine})
        assert freq.loc[t, "category"] == CATEGORY[t]


@pytest.mark.parametrize("seed", SEEDS)
def test_phases_split_the_sorted_sessions_of_each_group(seed):
    notes = random_notes(seed)
    phase = tables.phases(notes, n=3)
    for g in GROUPS[:3]:
        sessions = sorted({int(s) for s, gg in zip(notes["session"], notes["group"],
                                                    strict=True) if gg == g})
        expected = {}
        for name, part in zip(["beginning", "middle", "end"],
                              np.array_split(np.array(sessions), 3), strict=True):
            expected.update(dict.fromkeys(part.tolist(), name))
        mine = (notes["group"] == g).to_numpy()
        got = [str(p) for p in phase[mine]]
        assert got == [expected[int(s)] for s in notes["session"][mine]]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("level", ["theme", "category"])
def test_cooccurrence_against_session_sets(seed, level):
    notes = random_notes(seed)
    sets: dict[str, set] = defaultdict(set)
    for r in records(notes):
        if r[level] is not None:
            sets[r[level]].add((r["group"], r["session"]))
    count = stats.cooccurrence(notes, level=level)
    jac = stats.cooccurrence(notes, level=level, measure="jaccard")
    assert set(count.index) == set(sets)  # unused labels are left out
    for a, b in itertools.product(count.index, repeat=2):
        assert count.loc[a, b] == len(sets[a] & sets[b])
        assert jac.loc[a, b] == pytest.approx(len(sets[a] & sets[b]) / len(sets[a] | sets[b]))


@pytest.mark.parametrize("seed", SEEDS)
def test_theme_homogeneity_means_by_hand(seed):
    notes = random_notes(seed)
    jac = stats.session_jaccard(notes)
    table = stats.theme_homogeneity(notes).set_index("theme")
    for t in table.index:
        for c in ("X", "Y", "Z"):
            others = [u for u in jac.index if CATEGORY[u] == c and u != t]
            want = np.mean([jac.loc[t, u] for u in others]) if others else np.nan
            assert table.loc[t, c] == pytest.approx(want, nan_ok=True)
        assert table.loc[t, "own"] == pytest.approx(table.loc[t, CATEGORY[t]], nan_ok=True)


@pytest.mark.parametrize("seed", SEEDS)
def test_saturation_curve_replayed_session_by_session(seed):
    notes = random_notes(seed)
    rows = [r for r in records(notes) if r["theme"] is not None]
    themes_of: dict[tuple, set] = defaultdict(set)
    date_of: dict[tuple, object] = {}
    for r in rows:
        key = (r["group"], r["session"])
        themes_of[key].add(r["theme"])
        date_of.setdefault(key, r["date"])
    ordered = sorted(themes_of, key=lambda k: (date_of[k], GROUPS.index(k[0]), k[1]))
    curve = stats.saturation(notes)
    for scope in ["all groups", *GROUPS[:3]]:
        keys = [k for k in ordered if scope == "all groups" or k[0] == scope]
        part = curve[curve["scope"] == scope]
        assert list(zip(part["group"], part["session"], strict=True)) == keys
        seen: set = set()
        for (_, rec), key in zip(part.iterrows(), keys, strict=True):
            new = sorted(themes_of[key] - seen, key=THEMES.index)
            seen |= themes_of[key]
            assert (rec["themes"], rec["new"], rec["cumulative"]) == (
                len(themes_of[key]), len(new), len(seen))
            assert rec["new_themes"] == "; ".join(new)
    for k in (1, 2, 4):
        point = stats.saturation_point(curve, k=k).set_index("scope")
        for scope in point.index:
            new = curve.loc[curve["scope"] == scope, "new"].tolist()
            found = next((i - k for i in range(k - 1, len(new))
                          if i - k >= 0 and not any(new[i - k + 1:i + 1])), None)
            assert bool(point.loc[scope, "reached"]) == (found is not None)
            if found is not None:
                assert point.loc[scope, "order"] == found + 1
            assert point.loc[scope, "sessions"] == len(new)


@pytest.mark.parametrize("seed", SEEDS)
def test_commonality_against_theme_sets(seed):
    notes = random_notes(seed)
    rows = [r for r in records(notes) if r["theme"] is not None]
    groups = [g for g in GROUPS if any(r["group"] == g for r in rows)]
    table = stats.commonality(notes)
    for level in ["X", "Y", "Z", "All"]:
        sets = {g: {r["theme"] for r in rows if r["group"] == g
                    and (level == "All" or r["category"] == level)} for g in groups}
        every = set().union(*sets.values())
        assert table.loc[level, "themes"] == len(every)
        assert table.loc[level, "shared_by_all"] == len(set.intersection(*sets.values()))
        for a, b in itertools.combinations(groups, 2):
            union = sets[a] | sets[b]
            want = len(sets[a] & sets[b]) / len(union) if union else np.nan
            assert table.loc[level, f"jaccard {a}|{b}"] == pytest.approx(want, nan_ok=True)


def test_notes_without_a_session_or_theme_stay_out_of_session_counts():
    notes = random_notes(5)
    notes.loc[[3, 10, 11], "session"] = pd.NA
    placed = notes.drop(index=[3, 10, 11])
    pd.testing.assert_frame_equal(stats.cooccurrence(notes), stats.cooccurrence(placed))
    pd.testing.assert_frame_equal(stats.saturation(notes), stats.saturation(placed))
    phase = tables.phases(notes)
    assert phase[[3, 10, 11]].isna().all() and phase.drop(index=[3, 10, 11]).notna().all()


def test_relabeling_keeps_missing_themes_missing():
    notes = pd.DataFrame({"theme": ["Fear", None, " worry ", "PPE", np.nan],
                          "note": ["a", "b", "c", "d", "e"],
                          "source": [f"n!D{i}" for i in range(5)]})
    cb = (Codebook.from_records([("Fear", "P"), ("Worry", "P"), ("PPE", "O")])
          .merge(["Fear", "Worry"], into="Fear and worry"))
    relabeled = relabel_notes(notes, cb.history_frame())
    assert relabeled.tolist() == ["Fear and worry", None, "Fear and worry", "PPE", None]
    applied = cb.apply(notes)
    assert applied["theme"].isna().tolist() == [False, True, False, False, True]
    assert "" not in applied["theme"].cat.categories
    assert applied["category"].isna().tolist() == [False, True, False, False, True]
    assert applied["category"].dropna().astype(str).tolist() == ["P", "P", "O"]


def test_split_by_keyword_touches_only_the_notes_of_the_split_theme():
    notes = pd.DataFrame({"theme": ["Work", "Work", "Home", "Work"],
                          "note": ["remote days", "office", "remote", None],
                          "source": [f"n!D{i}" for i in range(4)]})
    cb = (Codebook.from_records([("Work", "O"), ("Home", "O")])
          .split("Work", ("Remote work", "Office work"), keyword="remote"))
    assert relabel_notes(notes, cb.history_frame()).tolist() == [
        "Remote work", "Office work", "Home", "Office work"]


def test_row_numbers_in_attrs_are_shared_not_copied(example_study):
    participants = example_study.participants
    rows = participants.attrs["layout"]["rows"]
    assert tuple(rows) == tuple(range(2, 2 + len(participants)))
    assert copy.deepcopy(rows) is rows
    filtered = participants[participants["group"] == "Group 1"]
    assert filtered.attrs["layout"]["rows"] is rows

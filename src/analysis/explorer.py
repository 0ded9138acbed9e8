"""Explore a study in a notebook: the notes behind a theme, a group or a Venn region.

The inductive loop in one call, ``explore(study)``: choose a category, theme, group,
valence, speaker or a Venn/UpSet region and read the notes behind it with their counts; mark
notes as quotes for the report (saved in the notes sheet's ``quote`` column by
:func:`analysis.write_study`); try a merge, split, rename or move of themes and see the
counts change before recording it in the codebook's history.

Everything here is plain pandas and works without a browser: :func:`select_notes`,
:func:`region_notes`, :func:`theme_changes` and the :class:`Explorer` state are what the
tests check. The widget (ipywidgets, imported only when a notebook displays the explorer)
is a thin layer over them. Where widgets are not shown (``pytest --nbval``, an HTML export)
the explorer displays as a static table of the current selection, the same at every run.

Examples
--------
>>> import analysis
>>> from analysis import explore
>>> ex = explore(analysis.read_study(analysis.example_path()))
>>> len(ex.select(theme="Hope"))
22
>>> ex.select(region=("Group 1", "Group 2", "Group 3"), category="Personal & emotional"
...           )["theme"].nunique()
11
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ._checks import check_choice, require_columns
from .codebook import Codebook
from .study import Study

__all__ = [
    "NOTE_VIEW",
    "SELECT_BY",
    "Explorer",
    "explore",
    "region_ids",
    "region_notes",
    "region_sets",
    "select_notes",
    "theme_changes",
]

#: What notes can be selected by, in the order the explorer offers them.
SELECT_BY: tuple[str, ...] = ("category", "theme", "group", "valence", "speaker", "region")

#: Columns of the notes shown by the explorer, in order.
NOTE_VIEW: tuple[str, ...] = ("group", "session", "date", "theme", "category", "valence",
                              "speaker", "note", "quote", "source")

_SETS = ("groups", "categories")
_BY = ("theme", "session")
_OPERATIONS = ("merge", "split", "rename", "move")


# --------------------------------------------------------------------------------------------
# regions of a Venn / UpSet diagram
# --------------------------------------------------------------------------------------------


def region_sets(notes: pd.DataFrame, sets: str = "groups", *, category: str | None = None
                ) -> dict[str, set[str]]:
    """Return the sets whose Venn/UpSet regions the explorer selects from.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table.
    sets : {"groups", "categories"}
        ``"groups"``: the themes each group raised (:func:`analysis.charts.group_theme_sets`,
        optionally of one ``category``); ``"categories"``: the group-sessions in which each
        category came up (:func:`analysis.charts.category_sets`).
    category : str, optional
        With ``sets="groups"``: only this category's themes.
    """
    from .charts._venn import category_sets, group_theme_sets

    check_choice("sets", sets, _SETS)
    if sets == "categories":
        return category_sets(notes)
    return group_theme_sets(notes, category=category)


def region_ids(sets: Mapping[str, Iterable]) -> pd.DataFrame:
    """Return the non-empty regions of ``sets``: ``region`` id, ``label``, ``size``, ``members``.

    ``label`` names the sets the region lies in (``"Group 1 & Group 2"``); regions are in
    matplotlib-venn's order (first set alone, second alone, both, ...), as
    :func:`analysis.charts.upset_data` with ``sort_by="input"``.
    """
    from .charts._venn import upset_data

    data = upset_data(sets, sort_by="input")
    names = [str(n) for n in sets]
    label = [" & ".join(n for n in names if row[n]) for row in data.to_dict("records")]
    return pd.DataFrame({"region": data["region"], "label": label, "size": data["size"],
                         "members": data["members"]})


def _region_id(sets: Mapping[str, Iterable], region: str | Iterable[str]) -> str:
    """Return the id of ``region``: given as an id (``"110"``) or the names of its sets."""
    names = [str(n) for n in sets]
    if isinstance(region, str) and len(region) == len(names) and set(region) <= {"0", "1"}:
        if "1" not in region:
            raise ValueError(f"region {region!r} lies in no set; give at least one '1'")
        return region
    inside = [region] if isinstance(region, str) else [str(r) for r in region]
    unknown = [r for r in inside if r not in names]
    if unknown:
        raise ValueError(
            f"region={region!r}: give a region id of {len(names)} digits 0/1 (e.g. "
            f"{'1' * len(names)!r}) or the names of its sets, from "
            f"{', '.join(map(repr, names))}")
    return "".join("1" if n in inside else "0" for n in names)


def region_notes(notes: pd.DataFrame, sets: str | Mapping[str, Iterable] = "groups",
                 region: str | Iterable[str] = "", *, by: str = "theme",
                 category: str | None = None) -> pd.Series:
    """Return which notes lie behind one region of a Venn diagram or UpSet bar.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table.
    sets : {"groups", "categories"} or dict
        ``"groups"``: regions of the themes each group raised; a note lies behind a region
        when its theme is a member (a theme raised by exactly those groups).
        ``"categories"``: regions of the sessions in which each category came up; a note
        lies behind a region when its session is a member and it has a category. A dict
        ``{name: set of members}`` (as drawn with :func:`analysis.charts.set_diagram`):
        members are themes or, with ``by="session"``, sessions named ``"Group 1 #3"``.
    region : str or list of str
        The region id (``"110"``: in the first two sets, not the third) or the names of the
        sets it lies in, e.g. ``("Group 1", "Group 2")``.
    by : {"theme", "session"}
        What the members of a dict of sets are.
    category : str, optional
        With ``sets="groups"``: regions of this category's themes only.

    Returns
    -------
    pandas.Series
        Boolean, one entry per note (same index as ``notes``).

    Raises
    ------
    ValueError
        For a region that names no set or an unknown set (the message lists them).
    """
    check_choice("by", by, _BY)
    if isinstance(sets, str):
        check_choice("sets", sets, _SETS)
        by = "session" if sets == "categories" else "theme"
        named = region_sets(notes, sets, category=category)
    else:
        named = {str(k): set(v) for k, v in sets.items()}
    rid = _region_id(named, region)
    regions = region_ids(named)
    hit = regions.loc[regions["region"] == rid, "members"]
    members = set(hit.iat[0]) if len(hit) else set()
    if by == "session":
        key = notes["group"].astype(str) + " #" + notes["session"].astype(str)
        mask = key.isin(members) & notes["category"].notna() if sets == "categories" \
            else key.isin(members)
    else:
        mask = notes["theme"].astype(str).isin(members) & notes["theme"].notna()
    if isinstance(sets, str) and sets == "groups" and category is not None:
        mask &= notes["category"].astype(str) == str(category)
    return mask.astype(bool)


# --------------------------------------------------------------------------------------------
# selecting notes
# --------------------------------------------------------------------------------------------


def _levels(notes: pd.DataFrame, column: str) -> list[str]:
    col = notes[column]
    if isinstance(col.dtype, pd.CategoricalDtype):
        used = set(col.dropna().astype(str))
        return [str(c) for c in col.cat.categories if str(c) in used]
    return [str(v) for v in dict.fromkeys(col.dropna())]


def select_notes(notes: pd.DataFrame, *, category: str | None = None, theme: str | None = None,
                 group: str | None = None, valence: str | None = None,
                 speaker: str | None = None, region: str | Iterable[str] | None = None,
                 sets: str | Mapping[str, Iterable] = "groups", by: str = "theme",
                 text: str | None = None) -> pd.DataFrame:
    """Return the notes that match every criterion given (all notes when none is).

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table (``study.notes``, or one relabeled by a codebook).
    category, theme, group, valence, speaker : str, optional
        Keep notes with this value (exact label, as in the notes).
    region : str or list of str, optional
        Keep the notes behind a Venn/UpSet region (see :func:`region_notes`; with
        ``sets="groups"`` and ``category``, the regions of that category's themes).
    sets, by : optional
        Which sets the region belongs to; see :func:`region_notes`.
    text : str, optional
        Keep notes whose text contains this, case-insensitively (plain text, not a pattern).

    Returns
    -------
    pandas.DataFrame
        The matching rows of ``notes`` with their original index (the row ids the explorer
        marks quotes by), in the notes' order.

    Raises
    ------
    ValueError
        For a value that no note has (the message lists those that exist).
    """
    require_columns(notes, ("group", "session", "theme", "category", "valence"))
    mask = pd.Series(True, index=notes.index)
    for column, value in (("category", category), ("theme", theme), ("group", group),
                          ("valence", valence), ("speaker", speaker)):
        if value is None:
            continue
        if column not in notes:
            raise ValueError(f"{column}={value!r}: the notes have no {column} column")
        levels = _levels(notes, column)
        if str(value) not in levels:
            shown = ", ".join(map(repr, levels[:12])) + (", ..." if len(levels) > 12 else "")
            raise ValueError(f"{column}={value!r} is not a {column} of the notes; they have "
                             f"{shown or 'none'}")
        mask &= (notes[column].astype(str) == str(value)) & notes[column].notna()
    if region is not None:
        mask &= region_notes(notes, sets, region, by=by,
                             category=category if isinstance(sets, str) else None)
    if text:
        body = notes["note"].astype(object).where(notes["note"].notna(), "").astype(str)
        mask &= body.str.contains(text, case=False, regex=False)
    return notes[mask.to_numpy()]


def describe_selection(criteria: Mapping[str, Any]) -> str:
    """Return a selection as words, e.g. ``"theme = 'Hope', group = 'Group 1'"``."""
    parts = []
    for key in (*SELECT_BY, "text"):
        value = criteria.get(key)
        if value is None or value == "":
            continue
        if key == "region" and not isinstance(value, str):
            value = " & ".join(map(str, value))
        parts.append(f"{key} = {value!r}")
    sets = criteria.get("sets")
    if criteria.get("region") is not None and isinstance(sets, str):
        parts[-1] += f" (sets: {sets})"
    return ", ".join(parts) or "all notes"


# --------------------------------------------------------------------------------------------
# trying codebook operations
# --------------------------------------------------------------------------------------------


def theme_changes(notes: pd.DataFrame, before: Codebook, after: Codebook, *,
                  changed_only: bool = True) -> pd.DataFrame:
    """Compare two codebooks on the same notes: themes whose notes or category change.

    Parameters
    ----------
    notes : pandas.DataFrame
        The notes both codebooks are applied to (:meth:`Codebook.apply`).
    before, after : Codebook
        Usually a codebook and the result of one more operation on it.
    changed_only : bool, default True
        Keep only themes whose category or number of notes differs (themes that appear or
        disappear always differ).

    Returns
    -------
    pandas.DataFrame
        Columns ``theme``, ``category_before``, ``category_after`` (None where the theme
        does not exist), ``notes_before``, ``notes_after``, ``change`` (int, after minus
        before); themes of ``before`` first in its order, then new themes of ``after``.
    """
    a = before.theme_counts(notes).set_index("theme")
    b = after.theme_counts(notes).set_index("theme")
    themes = list(dict.fromkeys([*a.index, *b.index]))
    out = pd.DataFrame({
        "theme": themes,
        "category_before": [a["category"].get(t) for t in themes],
        "category_after": [b["category"].get(t) for t in themes],
        "notes_before": [int(a["notes"].get(t, 0)) for t in themes],
        "notes_after": [int(b["notes"].get(t, 0)) for t in themes],
    })
    for col in ("category_before", "category_after"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    out["change"] = (out["notes_after"] - out["notes_before"]).astype("int64")
    for col in ("notes_before", "notes_after"):
        out[col] = out[col].astype("int64")
    if changed_only:
        moved = out["category_before"].astype(str) != out["category_after"].astype(str)
        out = out[moved | (out["change"] != 0)].reset_index(drop=True)
    return out


# --------------------------------------------------------------------------------------------
# the explorer's state
# --------------------------------------------------------------------------------------------


class Explorer:
    """The state of one exploration: a selection, marked quotes, a codebook and a trial.

    Build it with :func:`explore`. Methods change the state and return plain tables; the
    notebook display (a widget in JupyterLab, a static table elsewhere) shows it.

    Parameters
    ----------
    study : Study
        The study explored; it is not modified (see :meth:`to_study`).
    notes : pandas.DataFrame, optional
        The notes to explore, rows of ``study.notes`` (e.g. ``tables.one_coder(study.notes)``,
        the notes a figure was drawn from); default: all of them.
    codebook : Codebook, optional
        The codebook to start from; default ``Codebook.from_study(study)``.
    sets : {"groups", "categories"} or dict, default "groups"
        Which Venn/UpSet regions ``select(region=...)`` refers to; see :func:`region_notes`.
    by : {"theme", "session"}, default "theme"
        What the members of a dict of ``sets`` are.
    limit : int, default 20
        Notes shown in the static display (the rest are counted).

    Attributes
    ----------
    study : Study
    codebook : Codebook
        The codebook with every recorded operation.
    trial : Codebook or None
        The codebook with the operation being tried, not yet recorded.
    criteria : dict
        The current selection (keys of :func:`select_notes`).
    """

    def __init__(self, study: Study, *, notes: pd.DataFrame | None = None,
                 codebook: Codebook | None = None,
                 sets: str | Mapping[str, Iterable] = "groups", by: str = "theme",
                 limit: int = 20) -> None:
        if not isinstance(study, Study):
            raise TypeError(f"explore needs a Study (read_study(...)), got {type(study).__name__}")
        if notes is not None and not notes.index.isin(study.notes.index).all():
            raise ValueError("notes must be rows of study.notes (a filter of it, index kept)")
        self._base = study.notes if notes is None else notes
        if not isinstance(sets, str):
            sets = {str(k): set(v) for k, v in sets.items()}
        else:
            check_choice("sets", sets, _SETS)
        check_choice("by", by, _BY)
        self.study = study
        self.codebook = codebook if codebook is not None else Codebook.from_study(study)
        self.trial: Codebook | None = None
        self.trial_step: str | None = None
        self.sets = sets
        self.by = by
        self.limit = int(limit)
        self.criteria: dict[str, Any] = {}
        marked = (study.notes.index[study.notes["quote"].to_numpy(dtype=bool)]
                  if "quote" in study.notes else [])
        self.quotes: set[Any] = set(marked)
        self._notes: pd.DataFrame | None = None
        self._widget: Any = None

    # -- the notes under the recorded codebook ----------------------------------------------
    @property
    def notes(self) -> pd.DataFrame:
        """The notes explored relabeled by :attr:`codebook`, with a ``quote`` column."""
        if self._notes is None:
            self._notes = self.codebook.apply(self._base)
        out = self._notes.copy()
        out["quote"] = out.index.isin(list(self.quotes))
        return out

    # -- selecting ----------------------------------------------------------------------------
    def select(self, **criteria: Any) -> pd.DataFrame:
        """Select notes (keys of :func:`select_notes` but ``sets``/``by``) and return them.

        Returns the columns :data:`NOTE_VIEW`. The selection is kept for the display and
        for :meth:`mark_quotes`; ``select()`` selects every note.
        """
        allowed = (*SELECT_BY, "text")
        for key in criteria:
            check_choice("criterion", key, allowed)
        criteria = {k: v for k, v in criteria.items() if v is not None and v != ""}
        frame = select_notes(self.notes, sets=self.sets, by=self.by, **criteria)
        self.criteria = criteria
        self._changed()
        return frame[[c for c in NOTE_VIEW if c in frame]]

    def selected(self) -> pd.DataFrame:
        """Return the notes of the current selection (columns :data:`NOTE_VIEW`)."""
        frame = select_notes(self.notes, sets=self.sets, by=self.by, **self.criteria)
        return frame[[c for c in NOTE_VIEW if c in frame]]

    def counts(self) -> pd.DataFrame:
        """Return the current selection counted per group (:func:`analysis.tables.overview`).

        Columns ``sessions, notes, themes, negative, neutral, positive``, one row per group
        and a ``Total`` row; plus ``quotes`` (notes marked as quotes).
        """
        from .tables import overview

        frame = select_notes(self.notes, sets=self.sets, by=self.by, **self.criteria)
        table = overview(frame)
        quotes = frame["quote"].groupby(frame["group"].astype(str), observed=True).sum()
        table["quotes"] = [int(quotes.get(g, 0)) for g in table.index[:-1]] + \
            [int(frame["quote"].sum())]
        return table

    def region_choices(self) -> pd.DataFrame:
        """Return the non-empty regions of the explorer's sets (:func:`region_ids`)."""
        if isinstance(self.sets, str):
            category = self.criteria.get("category") if self.sets == "groups" else None
            return region_ids(region_sets(self.notes, self.sets, category=category))
        return region_ids(self.sets)

    # -- quotes ---------------------------------------------------------------------------------
    def mark_quotes(self, rows: Iterable[Any] | None = None, quote: bool = True) -> int:
        """Mark notes as quotes for the report (``quote=False`` unmarks them).

        Parameters
        ----------
        rows : iterable, optional
            Row ids of ``study.notes`` (the index shown by :meth:`select`); default: every
            note of the current selection.
        quote : bool, default True

        Returns
        -------
        int
            Notes marked as quotes now, in all.

        Raises
        ------
        KeyError
            For a row id that is not a note of the study.
        """
        ids = list(self.selected().index) if rows is None else list(rows)
        unknown = [r for r in ids if r not in self.study.notes.index]
        if unknown:
            raise KeyError(f"row(s) {unknown[:5]} are not notes of the study "
                           f"(row ids run from {self.study.notes.index.min()} to "
                           f"{self.study.notes.index.max()})")
        if quote:
            self.quotes.update(ids)
        else:
            self.quotes.difference_update(ids)
        self._changed()
        return len(self.quotes)

    def quotes_frame(self) -> pd.DataFrame:
        """Return the notes marked as quotes (columns :data:`NOTE_VIEW`), in notes order."""
        notes = self.to_study().notes
        return notes.loc[notes["quote"], [c for c in NOTE_VIEW if c in notes]]

    # -- trying and recording codebook operations ---------------------------------------------
    def try_operation(self, operation: str, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """Try a codebook operation without recording it; return :meth:`changes`.

        Parameters
        ----------
        operation : {"merge", "split", "rename", "move"}
            The :class:`~analysis.codebook.Codebook` method, called on :attr:`codebook`
            with ``args`` and ``kwargs`` (e.g. ``"merge", ["Guilt", "Anger"],
            into="Guilt and anger"``). A new trial replaces the previous one.
        """
        check_choice("operation", operation, _OPERATIONS)
        self.trial = getattr(self.codebook, operation)(*args, **kwargs)
        step = self.trial.history_frame().iloc[-1]
        self.trial_step = " ".join(f"{k}={step[k]!r}" for k in ("operation", "themes", "target",
                                                              "category", "rule")
                                   if step[k] is not None and step[k] == step[k])
        self._changed()
        return self.changes()

    def try_merge(self, themes: list[str], into: str, **kwargs: Any) -> pd.DataFrame:
        """Try :meth:`Codebook.merge`; return :meth:`changes`."""
        return self.try_operation("merge", themes, into, **kwargs)

    def try_split(self, theme: str, into: tuple[str, str], **kwargs: Any) -> pd.DataFrame:
        """Try :meth:`Codebook.split`; return :meth:`changes`."""
        return self.try_operation("split", theme, into, **kwargs)

    def try_rename(self, theme: str, new: str, **kwargs: Any) -> pd.DataFrame:
        """Try :meth:`Codebook.rename`; return :meth:`changes`."""
        return self.try_operation("rename", theme, new, **kwargs)

    def try_move(self, theme: str, category: str, **kwargs: Any) -> pd.DataFrame:
        """Try :meth:`Codebook.move`; return :meth:`changes`."""
        return self.try_operation("move", theme, category, **kwargs)

    def changes(self, *, changed_only: bool = True) -> pd.DataFrame:
        """Return the themes the trial changes (:func:`theme_changes`); empty without one."""
        if self.trial is None:
            return theme_changes(self._base, self.codebook, self.codebook)
        return theme_changes(self._base, self.codebook, self.trial, changed_only=changed_only)

    def record(self) -> Codebook:
        """Record the trial in the codebook (its history gains the step) and return it.

        Raises
        ------
        ValueError
            When no operation is being tried.
        """
        if self.trial is None:
            raise ValueError("nothing to record: try an operation first (try_merge, "
                             "try_split, try_rename or try_move)")
        self.codebook, self.trial, self.trial_step = self.trial, None, None
        self._notes = None
        self.criteria = {k: v for k, v in self.criteria.items() if k in ("group", "valence",
                                                                       "speaker", "text")}
        self._changed()
        return self.codebook

    def discard(self) -> None:
        """Drop the operation being tried."""
        self.trial, self.trial_step = None, None
        self._changed()

    def _changed(self) -> None:
        """Show a change made from code in the widget, when one is displayed."""
        if self._widget is not None:
            self._widget.refresh()

    # -- the result ------------------------------------------------------------------------------
    def to_study(self) -> Study:
        """Return the study with the recorded codebook and the marked quotes.

        All the study's notes (not only those explored) are relabeled by :attr:`codebook`
        and carry a boolean ``quote`` column; ``codebook`` and ``history`` are the recorded
        codebook's, so :func:`analysis.write_study` saves the quotes (notes sheet) and every
        operation (``codebook_history`` sheet). The explored study is not modified.
        """
        history = self.codebook.history_frame()
        notes = self.codebook.apply(self.study.notes)
        notes["quote"] = notes.index.isin(list(self.quotes))
        return dataclasses.replace(self.study, notes=notes, codebook=self.codebook.table,
                                   history=history if len(history) else None)

    # -- display ---------------------------------------------------------------------------------
    def _display(self, limit: int | None = None) -> Any:
        from ._display import Block, Report

        limit = self.limit if limit is None else limit
        frame = self.selected()
        counts = self.counts()
        blocks = [
            Block("Selection", lines=[
                f"{describe_selection({**self.criteria, 'sets': self.sets})}: "
                f"{_n(len(frame), 'note')} in "
                f"{_n(int(counts.loc['Total', 'sessions']), 'session')}, "
                f"{_n(int(counts.loc['Total', 'themes']), 'theme')}; "
                f"{_n(len(self.quotes), 'note')} marked as quotes in all"]),
            Block("Counts", columns=["group", *counts.columns],
                  rows=[(g, *map(int, r)) for g, r in zip(counts.index, counts.to_numpy(),
                                                          strict=True)], limit=50,
                  noun="groups"),
            Block("Notes", columns=["row", "group", "session", "theme", "valence", "speaker",
                                    "note", "quote"],
                  rows=[(i, r["group"], r["session"], r["theme"], r["valence"], r["speaker"],
                         r["note"], "yes" if r["quote"] else "")
                        for i, r in zip(frame.index[:limit],
                                        frame.head(limit).to_dict("records"), strict=True)],
                  limit=limit, total=len(frame), noun="notes"),
        ]
        if self.trial is not None:
            changes = self.changes()
            blocks.append(Block(f"Trying (not recorded): {self.trial_step}",
                                columns=list(changes.columns), rows=changes.to_numpy().tolist(),
                                noun="themes"))
        steps = len(self.codebook.history_frame())
        blocks.append(Block("Codebook", lines=[
            f"{len(self.codebook)} themes in {len(self.codebook.categories)} categories, "
            f"{steps} operation{'s' if steps != 1 else ''} in the history"]))
        return Report("Explorer", blocks)

    def _repr_html_(self) -> str:
        return self._display().html()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self._display().text())

    def __repr__(self) -> str:
        return (f"<Explorer: {describe_selection(self.criteria)}, {len(self.quotes)} quotes, "
                f"{len(self.codebook.history_frame())} codebook operations>")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """Return the static display, plus the widget's view where a kernel can show it.

        JupyterLab shows the widget; nbval (which skips widget views) and HTML exports
        show the static HTML and text, which are the same at every run.
        """
        report = self._display()
        data: dict[str, Any] = {"text/plain": report.text(), "text/html": report.html()}
        widget = self.widget() if _kernel_with_widgets() else None
        if widget is not None:
            view = widget._repr_mimebundle_().get("application/vnd.jupyter.widget-view+json")
            if view is not None:
                data["application/vnd.jupyter.widget-view+json"] = view
        return data

    def widget(self) -> Any:
        """Return the interactive widget (ipywidgets) bound to this explorer; built once.

        Raises
        ------
        ImportError
            When ipywidgets is not installed (the static display still works).
        """
        if self._widget is None:
            from ._explorer_widget import ExplorerWidget

            self._widget = ExplorerWidget(self)
        return self._widget.box


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _kernel_with_widgets() -> bool:
    """Return True inside an IPython kernel where ipywidgets can be imported."""
    import sys

    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def explore(study: Study, *, notes: pd.DataFrame | None = None,
            codebook: Codebook | None = None,
            sets: str | Mapping[str, Iterable] = "groups", by: str = "theme",
            limit: int = 20, **criteria: Any) -> Explorer:
    """Explore a study's notes in a notebook: by theme, group, region; quotes; codebook trials.

    Parameters
    ----------
    study : Study
        The study (``read_study(...)``); never modified.
    notes : pandas.DataFrame, optional
        Explore only these rows of ``study.notes`` (e.g. ``tables.one_coder(study.notes)``,
        as drawn in a figure); quotes and :meth:`Explorer.to_study` still cover every note.
    codebook : Codebook, optional
        Start from this codebook instead of the study's.
    sets : {"groups", "categories"} or dict, default "groups"
        The Venn/UpSet regions offered: themes shared by groups, sessions shared by
        categories, or your own ``{name: set of themes}`` (``by="session"`` for sessions
        named ``"Group 1 #3"``).
    by : {"theme", "session"}, default "theme"
    limit : int, default 20
        Notes listed by the static display.
    **criteria
        A first selection, as :meth:`Explorer.select` (``theme="Hope"``, ``region="111"``).

    Returns
    -------
    Explorer
        Shown as a widget in JupyterLab and as a static table elsewhere. Use its methods in
        later cells: ``select``, ``counts``, ``mark_quotes``, ``try_merge`` /
        ``try_split`` / ``try_rename`` / ``try_move``, ``changes``, ``record``,
        ``to_study`` (then :func:`analysis.write_study` saves quotes and history).
    """
    explorer = Explorer(study, notes=notes, codebook=codebook, sets=sets, by=by, limit=limit)
    if criteria:
        explorer.select(**criteria)
    return explorer


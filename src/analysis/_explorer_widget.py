"""The explorer's widget: a thin ipywidgets layer over :class:`analysis.explorer.Explorer`.

Every control calls one method of the explorer and redraws from its state; nothing is
computed here. Imported only when a notebook displays an explorer (ipywidgets costs about
0.2 s to import).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from ._display import escape
from .explorer import Explorer

__all__ = ["ExplorerWidget"]

_ALL = "(all)"
#: Most notes listed for marking as quotes (the counts always cover the whole selection).
_MOST_LISTED = 500
#: (label, criterion, sets) of the "show notes by" menu.
_BY_CHOICES: tuple[tuple[str, str | None, str | None], ...] = (
    ("all notes", None, None),
    ("category", "category", None),
    ("theme", "theme", None),
    ("group", "group", None),
    ("valence", "valence", None),
    ("speaker", "speaker", None),
    ("Venn region", "region", None),
)


def _event(method: Callable[..., None]) -> Callable[..., None]:
    """Run an event handler unless the widget is already updating itself."""

    @functools.wraps(method)
    def handler(self: ExplorerWidget, *args: Any) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            method(self, *args)
        finally:
            self._busy = False

    return handler


class ExplorerWidget:
    """Controls bound to an :class:`~analysis.explorer.Explorer`; ``box`` is what is shown."""

    def __init__(self, explorer: Explorer) -> None:
        self.ex = explorer
        self._busy = True  # no events while the controls are built
        wide = w.Layout(width="26em")
        self.by = w.Dropdown(options=[c[0] for c in _BY_CHOICES], description="Show by",
                             layout=wide)
        self.value = w.Dropdown(options=[_ALL], description="Value", layout=wide)
        self.text = w.Text(description="Text has", placeholder="words in the note",
                           layout=wide)
        self.summary = w.HTML()
        self.notes = w.SelectMultiple(options=[], rows=10, description="Notes",
                                      layout=w.Layout(width="100%"))
        self.mark = w.Button(description="Mark as quote", icon="quote-left")
        self.unmark = w.Button(description="Unmark")
        self.quote_count = w.HTML()

        self.operation = w.Dropdown(options=["merge", "split", "rename", "move"],
                                    description="Operation")
        self.themes = w.SelectMultiple(options=explorer.codebook.themes, rows=8,
                                       description="Themes", layout=wide)
        self.target = w.Text(description="Into / name", placeholder="new theme or category",
                             layout=wide)
        self.rest = w.Text(description="Rest (split)", placeholder="theme for the other notes",
                           layout=wide)
        self.keyword = w.Text(description="Keyword", placeholder="split: pattern in the note",
                              layout=wide)
        self.comment = w.Text(description="Comment", placeholder="why (audit trail)",
                              layout=wide)
        self.try_button = w.Button(description="Try", button_style="info")
        self.record_button = w.Button(description="Record", button_style="success")
        self.discard_button = w.Button(description="Discard")
        self.changes = w.HTML()
        self.message = w.HTML()

        self.by.observe(self._on_by, names="value")
        self.value.observe(self._on_select, names="value")
        self.text.observe(self._on_select, names="value")
        self.mark.on_click(lambda _: self._quote(True))
        self.unmark.on_click(lambda _: self._quote(False))
        self.try_button.on_click(lambda _: self._try())
        self.record_button.on_click(lambda _: self._record())
        self.discard_button.on_click(lambda _: self._discard())

        notes_tab = w.VBox([w.HBox([self.by, self.value]), self.text, self.summary, self.notes,
                            w.HBox([self.mark, self.unmark, self.quote_count])])
        codebook_tab = w.VBox([self.operation, w.HBox([self.themes, w.VBox(
            [self.target, self.rest, self.keyword, self.comment])]),
            w.HBox([self.try_button, self.record_button, self.discard_button]),
            self.message, self.changes])
        self.box = w.Tab(children=[notes_tab, codebook_tab])
        self.box.set_title(0, "Notes and quotes")
        self.box.set_title(1, "Codebook")
        self.box.add_class("analysis-explorer")
        self._restore()
        self._busy = False

    @_event
    def refresh(self) -> None:
        """Show the explorer's state after a method was called from code."""
        self.themes.options = self.ex.codebook.themes
        self._restore()
        self._redraw_changes()

    # -- reading the explorer's state into the controls ----------------------------------------
    def _restore(self) -> None:
        crit = self.ex.criteria
        label = next((c[0] for c in _BY_CHOICES if c[1] and c[1] in crit), _BY_CHOICES[0][0])
        self.by.value = label
        self._fill_values()
        key = self._criterion()
        if key is not None and key in crit:
            wanted = crit[key]
            for _label, value in self.value.options:
                if value == wanted:
                    self.value.value = value
        self.text.value = str(crit.get("text", ""))
        self._redraw()

    def _criterion(self) -> str | None:
        return next(c[1] for c in _BY_CHOICES if c[0] == self.by.value)

    def _fill_values(self) -> None:
        key = self._criterion()
        if key is None:
            options: list[tuple[str, Any]] = [(_ALL, None)]
        elif key == "region":
            regions = self.ex.region_choices()
            options = [(f"{r.label} ({r.size})", r.region) for r in regions.itertuples()]
        else:
            column = self.ex.notes[key]
            counts = column.astype(str)[column.notna()].value_counts()
            levels = [str(c) for c in (column.cat.categories if hasattr(column, "cat")
                                       else counts.index) if str(c) in counts.index]
            options = [(f"{v} ({int(counts[v])})", v) for v in levels]
        self.value.options = options or [(_ALL, None)]
        self.value.disabled = key is None

    # -- events ---------------------------------------------------------------------------------
    @_event
    def _on_by(self, _: Any) -> None:
        self._fill_values()
        self._select()

    @_event
    def _on_select(self, _: Any) -> None:
        self._select()

    def _select(self) -> None:
        key = self._criterion()
        criteria: dict[str, Any] = {}
        if key is not None and self.value.value is not None:
            criteria[key] = self.value.value
        if self.text.value.strip():
            criteria["text"] = self.text.value.strip()
        try:
            self.ex.select(**criteria)
        except ValueError as exc:
            self.summary.value = f"<p>{escape(exc)}</p>"
            return
        self._redraw()

    @_event
    def _quote(self, quote: bool) -> None:
        rows = list(self.notes.value)
        self.ex.mark_quotes(rows, quote=quote)
        self._redraw(keep=rows)

    @_event
    def _try(self) -> None:
        op, themes = self.operation.value, list(self.themes.value)
        target, comment = self.target.value.strip(), self.comment.value.strip() or None
        try:
            if not themes:
                raise ValueError("choose the theme(s) to operate on")
            if op == "merge":
                self.ex.try_merge(themes, target or themes[0], comment=comment)
            elif op == "rename":
                self.ex.try_rename(themes[0], target, comment=comment)
            elif op == "move":
                self.ex.try_move(themes[0], target, comment=comment)
            else:
                rest = self.rest.value.strip() or themes[0]
                self.ex.try_split(themes[0], (target, rest), keyword=self.keyword.value,
                                  comment=comment)
        except (KeyError, ValueError) as exc:
            self.message.value = f"<p>{escape(exc.args[0] if exc.args else exc)}</p>"
            return
        self.message.value = f"<p>Trying (not recorded): {escape(self.ex.trial_step)}</p>"
        self._redraw_changes()

    @_event
    def _record(self) -> None:
        try:
            self.ex.record()
        except ValueError as exc:
            self.message.value = f"<p>{escape(exc)}</p>"
            return
        steps = len(self.ex.codebook.history_frame())
        self.message.value = f"<p>Recorded: the codebook history has {steps} operations.</p>"
        self.themes.options = self.ex.codebook.themes
        self._restore()
        self._redraw_changes()

    @_event
    def _discard(self) -> None:
        self.ex.discard()
        self.message.value = "<p>Discarded.</p>"
        self._redraw_changes()

    # -- drawing ----------------------------------------------------------------------------------
    def _redraw(self, keep: list[Any] | None = None) -> None:
        report = self.ex._display(limit=0)
        self.summary.value = "".join(b.html() for b in report.blocks[:2])
        frame = self.ex.selected()
        if len(frame) > _MOST_LISTED:
            self.summary.value += (f"<p>The first {_MOST_LISTED} notes are listed; narrow the "
                                   "selection (e.g. with Text has) to see the others.</p>")
            frame = frame.head(_MOST_LISTED)
        self.notes.options = [
            (f"{'[quote] ' if q else ''}{g} #{s} · {t} · {sp if sp == sp and sp else '-'}: "
             f"{' '.join(str(n if n == n and n is not None else '').split())[:160]}", i)
            for i, g, s, t, sp, n, q in zip(frame.index, frame["group"], frame["session"],
                                            frame["theme"], frame["speaker"], frame["note"],
                                            frame["quote"], strict=True)]
        if keep:
            self.notes.value = tuple(i for i in keep if i in set(frame.index))
        n = len(self.ex.quotes)
        self.quote_count.value = f"<p>{n} note{'' if n == 1 else 's'} marked as quotes</p>"

    def _redraw_changes(self) -> None:
        report = self.ex._display(limit=0)
        self.changes.value = "".join(b.html() for b in report.blocks[3:])

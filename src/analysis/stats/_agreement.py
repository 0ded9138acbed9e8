"""Inter-coder agreement on theme (or category) presence in double-coded sessions."""

from __future__ import annotations

import warnings
from itertools import combinations
from typing import Literal

import krippendorff
import numpy as np
import pandas as pd

from .._codes import codes_of, presence, recode, session_ids

__all__ = ["agreement", "disagreements", "presence_by_coder"]

_LEVELS = ("theme", "category")
_UNITS = ("all", "noted")
_COLUMNS = ["n_units", "percent_agreement", "kappa", "alpha", "coders", "unit"]


def _check_argument(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(
            f"{name}={value!r}: use one of {', '.join(repr(a) for a in allowed)}"
        )


def _names_in_order(values: pd.Series) -> list[str]:
    """Return the distinct non-missing values as strings, categorical order first."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        used = np.bincount(values.cat.codes.to_numpy() + 1,
                           minlength=len(values.cat.categories) + 1)[1:] > 0
        return [str(c) for c, ok in zip(values.cat.categories, used, strict=True) if ok]
    return list(dict.fromkeys(str(v) for v in pd.unique(values.dropna())))


def _levels(values: pd.Series) -> list[str]:
    """Return every theme (or category) that can be a unit: all categories of a categorical."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [str(c) for c in values.cat.categories]
    return list(dict.fromkeys(str(v) for v in values.dropna()))


def _prepare(notes: pd.DataFrame, level: str, units: str,
             coders: tuple[str, ...] | list[str] | None) -> tuple[pd.DataFrame, list[str]]:
    """Validate the arguments; return the notes of the chosen coders and the coder names."""
    _check_argument("level", level, _LEVELS)
    _check_argument("units", units, _UNITS)
    if "coder" not in notes.columns:
        raise ValueError(
            "notes table has no 'coder' column: inter-coder agreement needs notes that say "
            "which coder made them, with some sessions coded by two or more coders"
        )
    missing = [c for c in ("group", "session", level) if c not in notes.columns]
    if missing:
        raise ValueError(
            f"notes table lacks column(s) {', '.join(missing)}; pass study.notes "
            "(the table returned by read_study)"
        )
    used = notes.dropna(subset=["group", "session", "coder"])
    present = _names_in_order(used["coder"])
    if coders is not None:
        if isinstance(coders, str):
            raise TypeError(f"coders={coders!r}: give a sequence of coder names, e.g. "
                            "('R1', 'R2')")
        chosen = [str(c) for c in coders]
        if len(set(chosen)) < 2 or len(set(chosen)) != len(chosen):
            raise ValueError(f"coders={tuple(coders)!r}: name two or more different coders")
        unknown = [c for c in chosen if c not in present]
        if unknown:
            raise ValueError(
                f"coders={tuple(coders)!r}: no notes by {', '.join(unknown)}; coders in the "
                f"notes: {', '.join(present) or 'none'}"
            )
        used = used[used["coder"].astype(str).isin(chosen)]
        present = chosen
    elif len(present) < 2:
        raise ValueError(
            "notes name fewer than two coders "
            f"({', '.join(present) if present else 'the coder column is empty'}): inter-coder "
            "agreement needs sessions coded by two or more coders"
        )
    return used, present


def presence_by_coder(
    notes: pd.DataFrame,
    *,
    level: Literal["theme", "category"] = "theme",
    units: Literal["all", "noted"] = "all",
    coders: tuple[str, ...] | list[str] | None = None,
) -> pd.DataFrame:
    """Presence (1/0) of each theme or category in each double-coded session, per coder.

    The unit of analysis is a (group, session, theme) triple, or (group, session, category)
    with ``level="category"``, in a *double-coded* session: a group-session in which at
    least two coders noted something. Its value for a coder is 1 when the coder noted that
    theme (a theme of that category) there at least once, else 0.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table (``study.notes``) with a ``coder`` column.
    level : {"theme", "category"}, default "theme"
        What is coded as present or absent.
    units : {"all", "noted"}, default "all"
        ``"all"``: every theme (category) of the codebook is a unit in every double-coded
        session, so a theme that no coder noted there counts as agreement on its absence.
        ``"noted"``: only units that at least one coder noted (the stricter view; agreed
        absences are left out).
    coders : sequence of str, optional
        Coders to compare, e.g. ``("R1", "R2")``; default all coders with notes. Sessions
        count as double-coded among these coders only.

    Returns
    -------
    pandas.DataFrame
        Index ``(group, session, theme)`` (or ``category``): groups and themes in their
        categorical (codebook) order, sessions ascending. One ``Int64`` column per coder
        (columns named ``coder``): 1 = noted at least once, 0 = coded the session but did not
        note it, ``<NA>`` = did not code that session (possible only with three or more
        coders, when a session was coded by some of them).

    Raises
    ------
    ValueError
        For an unknown ``level`` or ``units``; when the notes have no ``coder`` column, name
        fewer than two coders, or have no double-coded session (the message says which).

    Notes
    -----
    A coder counts as having coded a session when the notes hold at least one row by that
    coder in it; a session a coder read and found nothing in cannot be told apart from one
    the coder never read. Rows without a coder, group or session are left out. At the
    category level a unit is present when any theme of that category was noted; notes whose
    theme has no category are left out. All themes (categories) of the categorical dtype are
    units, including codebook themes nobody used; for plain string columns the values that
    occur in the notes are used.
    """
    used, names = _prepare(notes, level, units, coders)
    ccodes = recode(*codes_of(used["coder"]), names)
    ids, first = session_ids(used)
    who = presence(ids, len(first), ccodes, len(names))  # sessions x coders
    double = np.flatnonzero(who.sum(axis=1) >= 2)
    if not len(double):
        counts = ", ".join(f"{c}: {n}" for c, n in zip(names, who.sum(axis=0), strict=True))
        raise ValueError(
            "no double-coded session: no group-session has notes by two or more of the "
            f"coders {', '.join(names)} (sessions with notes per coder: {counts})"
        )
    group_order = {g: i for i, g in enumerate(_levels(notes["group"]))}
    groups = used["group"].take(first[double]).astype(str).tolist()
    sessions = used["session"].take(first[double]).astype("int64").tolist()
    order = sorted(range(len(double)), key=lambda i: (
        group_order.get(groups[i], len(group_order)), sessions[i], groups[i]))
    double = double[order]
    groups = [groups[i] for i in order]
    sessions = [sessions[i] for i in order]
    themes = _levels(notes[level])
    tcodes = recode(*codes_of(used[level]), themes)
    number = np.full(len(first), -1, dtype=np.int64)
    number[double] = np.arange(len(double))
    n_d, n_t, n_c = len(double), len(themes), len(names)
    unit_of = np.where((tcodes >= 0) & (number[ids] >= 0), number[ids] * n_t + tcodes, -1)
    hits = presence(unit_of, n_d * n_t, ccodes, n_c)  # units x coders
    coded = np.repeat(who[double], n_t, axis=0)  # did the coder code the unit's session
    keep = hits.any(axis=1) if units == "noted" else np.ones(n_d * n_t, dtype=bool)
    session_of = np.repeat(np.arange(n_d), n_t)[keep]
    theme_at = np.tile(np.arange(n_t), n_d)[keep]
    index = pd.MultiIndex.from_arrays(
        [pd.Index(np.asarray(groups, dtype=object)[session_of].tolist()),
         pd.array(np.asarray(sessions, dtype=np.int64)[session_of], dtype="Int64"),
         pd.Index(np.asarray(themes, dtype=object)[theme_at].tolist())],
        names=["group", "session", level])
    data = {name: pd.arrays.IntegerArray(hits[keep, j].astype(np.int64), ~coded[keep, j])
            for j, name in enumerate(names)}
    frame = pd.DataFrame(data, index=index)
    frame.columns = pd.Index(names, name="coder")
    return frame


def _cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two 0/1 vectors, from exact counts; NaN when chance agreement is 1."""
    n = len(a)
    if n == 0:
        return np.nan
    a1, b1 = int(a.sum()), int(b.sum())
    agree = int((a == b).sum())
    chance = a1 * b1 + (n - a1) * (n - b1)  # n**2 * pe
    if chance == n * n:
        return np.nan
    return (n * agree - chance) / (n * n - chance)


def _alpha(matrix: np.ndarray) -> float:
    """Krippendorff's alpha (nominal) of a units x coders 0/1 matrix with NaN for missing."""
    pairable = matrix[(~np.isnan(matrix)).sum(axis=1) >= 2]
    observed = pairable[~np.isnan(pairable)]
    if np.unique(observed).size < 2:
        return np.nan
    return float(krippendorff.alpha(reliability_data=pairable.T, value_domain=[0.0, 1.0],
                                    level_of_measurement="nominal"))


def _indices(matrix: np.ndarray) -> tuple[int, float, float, float]:
    """Return n_units, percent agreement, kappa (both mean pairwise) and alpha."""
    n_units = int(((~np.isnan(matrix)).sum(axis=1) >= 2).sum())
    agreements, kappas = [], []
    for i, j in combinations(range(matrix.shape[1]), 2):
        both = ~np.isnan(matrix[:, i]) & ~np.isnan(matrix[:, j])
        if not both.any():
            continue
        a, b = matrix[both, i], matrix[both, j]
        agreements.append(float((a == b).mean()))
        k = _cohen_kappa(a, b)
        if not np.isnan(k):
            kappas.append(k)
    percent = float(np.mean(agreements)) if agreements else np.nan
    kappa = float(np.mean(kappas)) if kappas else np.nan
    return n_units, percent, kappa, _alpha(matrix)


def agreement(
    notes: pd.DataFrame,
    *,
    level: Literal["theme", "category"] = "theme",
    coders: tuple[str, ...] | list[str] | None = None,
    units: Literal["all", "noted"] = "all",
    n_bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Inter-coder agreement on theme (or category) presence in double-coded sessions.

    Percent agreement, Cohen's kappa and Krippendorff's alpha (nominal) for each theme (or
    category) and overall, on the units of :func:`presence_by_coder`.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table (``study.notes``) with a ``coder`` column.
    level : {"theme", "category"}, default "theme"
        Agreement on the presence of themes or of categories.
    coders : sequence of str, optional
        Coders to compare, e.g. ``("R1", "R2")``; default all coders with notes.
    units : {"all", "noted"}, default "all"
        ``"all"``: every codebook theme in every double-coded session (a theme neither coder
        noted is an agreed absence). ``"noted"``: only units at least one coder noted.

    Returns
    -------
    pandas.DataFrame
        One row per theme (category) in codebook order, then a row ``All`` over all units;
        index named ``theme`` (``category``). Columns:

        - ``n_units``: units (double-coded sessions for a theme row; all units for ``All``).
        - ``percent_agreement``: share of units on which the two coders agree (present in
          both or absent in both); with more than two coders, the mean over coder pairs of
          that share on the units both coded.
        - ``kappa``: Cohen's kappa of the two coders on those units; with more than two
          coders, the mean of the pairwise kappas that are defined (Light's kappa). NaN when
          undefined: both coders gave one and the same value on every unit (chance agreement
          is 1, so kappa is 0/0), e.g. a theme noted by both in every double-coded session or
          noted by neither; also when there are no units.
        - ``alpha``: Krippendorff's alpha, nominal, across all compared coders (missing
          values allowed), computed with the ``krippendorff`` package. NaN under the same
          condition (a single value in all the data) or without units.
        - ``coders``: the coders compared, comma-separated.
        - ``unit``: the unit of analysis, in words.

        With ``n_bootstrap`` above 0, also: ``percent_low``, ``percent_high``,
        ``kappa_low``, ``kappa_high``, ``alpha_low``, ``alpha_high`` (percentile interval
        over the resamples in which the index is defined), ``n_sessions`` (double-coded
        sessions resampled) and ``n_bootstrap``.

    Raises
    ------
    ValueError
        For an unknown ``level`` or ``units``; when the notes have no ``coder`` column, name
        fewer than two coders, or have no double-coded session.

    See Also
    --------
    presence_by_coder : The units and the values each coder gave them.

    Notes
    -----
    Unit of analysis: the presence of a theme (noted at least once) in a double-coded
    group-session, i.e. a session with notes by at least two coders. It does not compare
    single notes, their wording, valence or how often a theme was noted. With
    ``units="all"`` every codebook theme is a unit in each such session, so themes that
    neither coder noted add agreed absences and raise percent agreement; kappa and alpha
    correct for chance agreement and are less affected. ``units="noted"`` leaves agreed
    absences out, the stricter view for percent agreement (it then equals
    both / (both + only one), the share of noted units that both coders noted). Read kappa
    and alpha with care there: the cell "absent for both" is empty by construction, so
    chance agreement is high and both indices sit near or below 0 even when the coders
    mostly agree; they are chance-corrected measures of the ``units="all"`` design.

    A theme row rests on as many units as there are double-coded sessions (a handful in
    many studies): its kappa and alpha are imprecise and are often undefined. The ``All``
    row pools every unit of every theme into one table (it is not the mean of the theme
    rows); it is the figure to report, with the per-theme rows as diagnostics.

    Kappa for more than two coders is the mean of the pairwise Cohen's kappas over the
    pairs for which it is defined (Light 1971); Krippendorff's alpha handles any number of
    coders and missing values directly. To compare two given coders, pass ``coders``.

    References
    ----------
    .. [1] Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational
       and Psychological Measurement*, 20(1), 37-46.
    .. [2] Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg
       School for Communication Departmental Papers, University of Pennsylvania.
       https://repository.upenn.edu/asc_papers/43
    .. [3] Light, R. J. (1971). Measures of response agreement for qualitative data: some
       generalizations and alternatives. *Psychological Bulletin*, 76(5), 365-377.

    Examples
    --------
    >>> from analysis import example_path, read_study
    >>> from analysis.stats import agreement
    >>> table = agreement(read_study(example_path()).notes)
    >>> row = table.loc["All"]
    >>> print(row["n_units"], f"{row['percent_agreement']:.3f}", f"{row['kappa']:.3f}")
    198 0.929 0.847
    """
    presence = presence_by_coder(notes, level=level, units=units, coders=coders)
    names = list(presence.columns)
    matrix = presence.to_numpy(dtype=float, na_value=np.nan)
    labels = presence.index.get_level_values(level).to_numpy()
    noun = "themes" if level == "theme" else "categories"
    scope = (f"all codebook {noun}" if units == "all"
             else f"{noun} noted by at least one coder")
    unit = (f"{level} presence (noted at least once) per double-coded group-session; "
            f"{scope}")
    rows, index = [], []
    # the rows of each theme, found in one pass (a mask per theme costs units x themes)
    codes, uniques = pd.factorize(labels)
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes[codes >= 0], minlength=len(uniques)))
    start = int((codes < 0).sum())
    position = {name: i for i, name in enumerate(uniques)}
    for name in _levels(notes[level]):
        i = position.get(name)
        rows_of = (order[start + (ends[i - 1] if i else 0): start + ends[i]]
                   if i is not None else order[:0])
        rows.append(_indices(matrix[rows_of]))
        index.append(name)
    rows.append(_indices(matrix))
    index.append("All")
    table = pd.DataFrame(rows, columns=["n_units", "percent_agreement", "kappa", "alpha"],
                         index=pd.Index(index, name=level))
    table["n_units"] = table["n_units"].astype("int64")
    table["coders"] = ", ".join(names)
    table["unit"] = unit
    table = table[_COLUMNS]
    if n_bootstrap:
        table = pd.concat([table, _bootstrap(presence, level, _levels(notes[level]),
                                             n_bootstrap, confidence, seed)
                           .set_axis(table.index)], axis=1)
    return table


def _unit_sums(presence: pd.DataFrame, level: str, themes: list[str]
               ) -> tuple[np.ndarray, np.ndarray]:
    """Per double-coded session and theme, the sums every index is made of.

    Returns an array sessions x themes x quantities and the session of each row. The
    quantities are, for each pair of coders, (units both coded, agreements, first coder's
    ones, second coder's ones), then for alpha (pairable values that are 1, that are 0,
    ones x zeros / (values - 1)).
    """
    matrix = presence.to_numpy(dtype=float, na_value=np.nan)
    keys = presence.index.droplevel(level)
    sess, sessions = keys.factorize()
    position = {name: i for i, name in enumerate(themes)}
    theme = np.array([position[str(v)] for v in presence.index.get_level_values(level)],
                     dtype=np.int64)
    pairs = list(combinations(range(matrix.shape[1]), 2))
    coded = ~np.isnan(matrix)
    values = np.nan_to_num(matrix)
    columns = []
    for i, j in pairs:
        both = coded[:, i] & coded[:, j]
        columns += [both, both & (values[:, i] == values[:, j]), both * values[:, i],
                    both * values[:, j]]
    m = coded.sum(axis=1)
    pairable = m >= 2
    ones = np.where(pairable, (values * coded).sum(axis=1), 0)
    zeros = np.where(pairable, m - ones, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mixed = np.where(pairable, ones * zeros / np.maximum(m - 1, 1), 0)
    columns += [ones, zeros, mixed]
    quantities = np.column_stack(columns).astype(float)
    out = np.zeros((len(sessions), len(themes), quantities.shape[1]))
    np.add.at(out, (sess, theme), quantities)
    return out, np.arange(len(sessions))


def _indices_from_sums(s: np.ndarray, n_pairs: int) -> np.ndarray:
    """Percent agreement, kappa (means over pairs) and alpha from summed quantities (..., q)."""
    percents, kappas = [], []
    for p in range(n_pairs):
        n, agree, a1, b1 = (s[..., 4 * p + k] for k in range(4))
        with np.errstate(invalid="ignore", divide="ignore"):
            percents.append(np.where(n > 0, agree / n, np.nan))
            chance = a1 * b1 + (n - a1) * (n - b1)
            defined = (n > 0) & ~np.isclose(chance, n * n)
            kappas.append(np.where(defined, (n * agree - chance) / (n * n - chance), np.nan))
    ones, zeros, mixed = s[..., -3], s[..., -2], s[..., -1]
    total = ones + zeros
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where((ones > 0) & (zeros > 0), 1 - (total - 1) * mixed / (ones * zeros),
                         np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean of no defined pair: NaN
        return np.stack([np.nanmean(percents, axis=0), np.nanmean(kappas, axis=0), alpha],
                        axis=-1)


def _bootstrap(presence: pd.DataFrame, level: str, themes: list[str], n_bootstrap: int,
               confidence: float, seed: int | None) -> pd.DataFrame:
    """Percentile bootstrap intervals of the agreement indices, resampling sessions."""
    if (isinstance(n_bootstrap, (bool, np.bool_))
            or not isinstance(n_bootstrap, (int, np.integer)) or n_bootstrap < 0):
        raise ValueError(f"n_bootstrap={n_bootstrap!r}: give a whole number, 0 or more")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence!r}: give a level between 0 and 1")
    sums, sessions = _unit_sums(presence, level, themes)
    n_d = len(sessions)
    n_pairs = len(list(combinations(range(presence.shape[1]), 2)))
    per_theme = sums  # sessions x themes x q
    rng = np.random.Generator(np.random.PCG64(seed))
    weights = rng.multinomial(n_d, np.full(n_d, 1 / n_d), size=int(n_bootstrap)).astype(float)
    theme_sums = np.einsum("bs,stq->btq", weights, per_theme)
    all_sums = theme_sums.sum(axis=1, keepdims=True)
    draws = _indices_from_sums(np.concatenate([theme_sums, all_sums], axis=1), n_pairs)
    a = (1 - confidence) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # undefined in every resample: NaN
        low = np.nanquantile(draws, a, axis=0)
        high = np.nanquantile(draws, 1 - a, axis=0)
    return pd.DataFrame({
        "percent_low": low[:, 0], "percent_high": high[:, 0],
        "kappa_low": low[:, 1], "kappa_high": high[:, 1],
        "alpha_low": low[:, 2], "alpha_high": high[:, 2],
        "n_sessions": n_d, "n_bootstrap": int(n_bootstrap)})


def disagreements(
    notes: pd.DataFrame,
    *,
    level: Literal["theme", "category"] = "theme",
    coders: tuple[str, ...] | list[str] | None = None,
) -> pd.DataFrame:
    """List the units on which the coders disagree, to discuss and resolve.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table (``study.notes``, every coder) with a ``coder`` column.
    level : {"theme", "category"}, default "theme"
    coders : sequence of str, optional
        Coders to compare; default all coders with notes.

    Returns
    -------
    pandas.DataFrame
        One row per (group, session, theme) of a double-coded session that some of the
        coders who coded the session noted and others did not, in group, session and
        codebook order. Columns: ``group``, ``session``, ``theme`` (or ``category``), one
        column per coder (1 noted, 0 did not, ``<NA>`` did not code the session),
        ``noted_by`` and ``not_noted_by`` (coder names, comma-separated), ``notes`` (how
        many notes the coders who noted it made of it there) and ``sources`` (the cells of
        those notes, ``"; "``-separated, when the notes have a ``source`` column), ``unit``.
    """
    presence = presence_by_coder(notes, level=level, units="noted", coders=coders)
    names = list(presence.columns)
    values = presence.to_numpy(dtype=float, na_value=np.nan)
    coded = ~np.isnan(values)
    ones = np.nansum(values, axis=1)
    differ = (ones > 0) & (ones < coded.sum(axis=1))
    picked = presence[differ]
    rows = picked.reset_index()
    rows["session"] = rows["session"].astype("Int64")
    noted_by, not_noted_by = [], []
    for row in values[differ]:
        noted_by.append(", ".join(n for n, v in zip(names, row, strict=True) if v == 1))
        not_noted_by.append(", ".join(n for n, v in zip(names, row, strict=True) if v == 0))
    rows["noted_by"] = noted_by
    rows["not_noted_by"] = not_noted_by
    used = notes.dropna(subset=["group", "session", "coder", level])
    key = [used["group"].astype(str), used["session"].astype("Int64").astype(int),
           used[level].astype(str), used["coder"].astype(str)]
    counts = used.groupby(key, sort=False).size().to_dict()
    sources = (used["source"].astype(str).groupby(key, sort=False).agg("; ".join).to_dict()
               if "source" in used.columns else None)
    n_notes, cells = [], []
    for g, s, th, who in zip(rows["group"], rows["session"], rows[level], noted_by,
                             strict=True):
        keys = [(str(g), int(s), str(th), c) for c in who.split(", ")]
        n_notes.append(int(sum(counts.get(k, 0) for k in keys)))
        if sources is not None:
            cells.append("; ".join(sources[k] for k in keys if k in sources))
    rows["notes"] = np.asarray(n_notes, dtype=np.int64)
    if sources is not None:
        rows["sources"] = cells
    rows["unit"] = f"{level} presence per double-coded group-session"
    rows.columns.name = None
    return rows

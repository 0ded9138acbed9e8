"""Association of category and group: chi-square test of independence, Cramér's V, commonality.

Two complementary views of "do the groups talk about the same things?":

* :func:`chi2_independence` asks whether the *mix* of categories differs between groups
  (a contingency-table test, as in pingouin's function of the same name);
* :func:`commonality` asks whether the groups raise the *same themes* within each category
  (set overlap of the themes each group raised).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats as _st

from .._codes import codes_of, recode, session_ids, shared_counts

__all__ = ["chi2_independence", "commonality"]

_UNITS = ("notes", "sessions")
_EXACT = (None, True, False)

#: Relative tolerance when comparing a permuted statistic with the observed one, so that
#: tables that are permutations of the observed one are not lost to rounding.
_RTOL = 1e-9


def _require(notes: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in notes.columns]
    if missing:
        raise ValueError(
            f"{what} needs column(s) {', '.join(repr(c) for c in missing)} that the notes "
            f"table lacks; its columns are {', '.join(repr(c) for c in notes.columns)}"
        )


def _label_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Return int64 codes of ``values`` (-1 where missing) and their labels as strings.

    Categorical columns keep their category order; other columns are sorted by label.
    """
    codes, levels = codes_of(values)
    names = [str(v) for v in levels]
    if isinstance(values.dtype, pd.CategoricalDtype):
        return codes, names
    labels = sorted(set(names))
    return recode(codes, levels, labels), labels


def _units(notes: pd.DataFrame, x: str, y: str, unit: str
           ) -> tuple[np.ndarray, list[str], np.ndarray, list[str]]:
    """Return the ``x`` and ``y`` codes of every counted unit, with their labels."""
    xcodes, xlabels = _label_codes(notes[x])
    ycodes, ylabels = _label_codes(notes[y])
    ok = (xcodes >= 0) & (ycodes >= 0)
    xcodes, ycodes = xcodes[ok], ycodes[ok]
    if unit == "sessions":
        ids, _ = session_ids(notes)
        nx, ny = max(len(xlabels), 1), max(len(ylabels), 1)
        # one unit per (group-session, x, y), in order of first note (as drop_duplicates)
        found = pd.unique((ids[ok] * nx + xcodes) * ny + ycodes)
        xcodes, ycodes = (found // ny) % nx, found % ny
    return xcodes, xlabels, ycodes, ylabels


def _pearson(observed: np.ndarray, expected: np.ndarray, correction: bool) -> float:
    """Pearson's statistic; with ``correction`` and one degree of freedom, Yates' version."""
    obs = observed.astype(float)
    if correction:
        # Yates: move each observed count towards its expected count by 0.5, but never past
        # it (the same convention as scipy.stats.chi2_contingency).
        diff = expected - obs
        obs = obs + np.sign(diff) * np.minimum(0.5, np.abs(diff))
    return float(((obs - expected) ** 2 / expected).sum())


def _expected(observed: np.ndarray) -> np.ndarray:
    n = observed.sum()
    return np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n


def _cramer(chi2: float, n: int, r: int, c: int, bias_correct: bool) -> float:
    """Cramér's V, or Bergsma's (2013) bias-corrected V."""
    if not bias_correct:
        return float(np.sqrt(chi2 / (n * (min(r, c) - 1))))
    phi2 = max(0.0, chi2 / n - (r - 1) * (c - 1) / (n - 1))
    r_t = r - (r - 1) ** 2 / (n - 1)
    c_t = c - (c - 1) ** 2 / (n - 1)
    denom = min(r_t - 1, c_t - 1)
    if denom <= 0:
        return float("nan")
    return float(np.sqrt(phi2 / denom))


def _monte_carlo(xcodes: np.ndarray, ycodes: np.ndarray, shape: tuple[int, int],
                 chi2_obs: float, n_resamples: int, seed: int | None) -> float:
    """Permutation p-value of Pearson's statistic, shuffling the ``y`` labels."""
    rng = np.random.Generator(np.random.PCG64(seed))
    r, c = shape
    observed = np.bincount(xcodes * c + ycodes, minlength=r * c).reshape(r, c)
    expected = _expected(observed)  # margins are fixed under permutation
    threshold = chi2_obs * (1 - _RTOL) - _RTOL
    hits = 0
    y = ycodes.copy()
    for _ in range(n_resamples):
        rng.shuffle(y)
        table = np.bincount(xcodes * c + y, minlength=r * c).reshape(r, c)
        if ((table - expected) ** 2 / expected).sum() >= threshold:
            hits += 1
    return (1 + hits) / (1 + n_resamples)


def chi2_independence(
    notes: pd.DataFrame,
    *,
    x: str = "category",
    y: str = "group",
    unit: str = "notes",
    correction: bool = False,
    bias_correct: bool = False,
    exact: bool | None = None,
    n_resamples: int = 10_000,
    seed: int | None = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Chi-square test of independence of two columns of the notes (category and group).

    Tests whether the distribution of ``x`` (by default the category) is the same in every
    level of ``y`` (by default the group), and measures the strength of the association
    with Cramér's V. The returned triple follows pingouin's ``chi2_independence``.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table (``study.notes``).
    x, y : str, default "category", "group"
        Columns to cross-tabulate: ``x`` gives the rows, ``y`` the columns. Categorical
        columns keep their category order; others are sorted.
    unit : {"notes", "sessions"}, default "notes"
        What is counted. ``"notes"``: every note is one unit. ``"sessions"``: every
        (group, session, ``x``) presence is one unit, i.e. a category is counted once per
        session however many notes it received (needs columns ``group`` and ``session``;
        when ``y`` is not ``group``, presences are (group, session, ``x``, ``y``)).
    correction : bool, default False
        Apply Yates' continuity correction when the table has one degree of freedom (2x2);
        ignored otherwise, as in :func:`scipy.stats.chi2_contingency`.
    bias_correct : bool, default False
        Report Bergsma's (2013) bias-corrected Cramér's V instead of the plain one.
    exact : bool or None, default None
        Whether to compute an alternative p-value that does not rest on the chi-square
        approximation: Fisher's exact test for 2x2 tables, otherwise a Monte-Carlo
        permutation test. ``None`` computes it only when the expected counts fail
        Cochran's rule; ``True`` always; ``False`` never.
    n_resamples : int, default 10_000
        Number of random permutations for the Monte-Carlo p-value.
    seed : int or None, default 0
        Seed of the :class:`numpy.random.Generator` used for the permutations; the same
        seed gives the same p-value. ``None`` draws fresh entropy.

    Returns
    -------
    expected : pandas.DataFrame
        Expected counts under independence (row total x column total / n), same shape and
        labels as ``observed``; floats.
    observed : pandas.DataFrame
        Observed counts: index ``x`` levels (name ``x``), columns ``y`` levels (name ``y``),
        both as strings in categorical order; int64. Empty rows and columns are dropped.
    stats : pandas.DataFrame
        One row. Columns:

        - ``test``: ``"pearson"``;
        - ``chi2``: Pearson's chi-square statistic (Yates-corrected for a 2x2 table when
          ``correction`` is True);
        - ``dof``: degrees of freedom, (rows - 1) x (columns - 1);
        - ``pval``: asymptotic p-value, P(chi-square with ``dof`` >= ``chi2``);
        - ``cramer``: Cramér's V (Bergsma's bias-corrected V when ``bias_correct``),
          always from the uncorrected statistic; NaN when the bias-corrected denominator is
          not positive (very small n);
        - ``n``: number of units counted (notes or session presences);
        - ``min_expected``: smallest expected count;
        - ``share_expected_below_5``: share of cells (0 to 1) with an expected count
          below 5;
        - ``pval_exact``: Fisher's exact two-sided p-value (2x2) or the Monte-Carlo
          permutation p-value; NaN when not computed;
        - ``exact_method``: ``"fisher"``, ``"monte-carlo"`` or ``"none"``.

    Raises
    ------
    ValueError
        On an unknown option, a missing column, or when fewer than two non-empty rows or
        columns remain (there is nothing to compare).

    Warns
    -----
    UserWarning
        When the expected counts fail Cochran's rule (any expected count below 1, or more
        than 20% of them below 5); the message gives the numbers.

    See Also
    --------
    commonality : whether the groups raise the same themes within each category.
    analysis.tables.category_by_group : the same counts, with empty rows kept.

    Notes
    -----
    **Independence of units.** The test assumes that every counted unit is an independent
    observation. Notes are not: the notes of one session share participants, a
    facilitator and a conversation, and one remark often prompts others on the same
    theme, so counting notes overstates the evidence and makes p-values too small. Counting
    session presences (``unit="sessions"``) removes the repetition within a session but
    sessions of one group are still not independent of each other (same members, weeks
    apart). Treat the p-value as descriptive; Cramér's V and the tables themselves are the
    more robust summary. If the notes contain several coders' codings of the same sessions
    (double coding for agreement), keep one coder before testing, or the doubly coded
    sessions are counted twice.

    **Small expected counts.** The chi-square distribution is an approximation that Cochran
    (1954) considered adequate when no expected count is below 1 and no more than 20% are
    below 5. Otherwise (or with ``exact=True``) an alternative p-value is added: for 2x2
    tables Fisher's exact test (:func:`scipy.stats.fisher_exact`, two-sided); for larger
    tables a Monte-Carlo permutation test that shuffles the ``y`` labels among the units
    ``n_resamples`` times and reports p = (1 + #{chi2_perm >= chi2_obs}) / (1 +
    n_resamples), which is never 0 and is valid for any number of resamples (Davison and
    Hinkley 1997). Permuted statistics are compared with a relative tolerance of 1e-9.
    The permutation test always uses the uncorrected statistic.

    **Empty rows and columns** (a category no note of the counted units falls in, a group
    without notes) are dropped before testing: they carry no information, would make the
    expected counts zero and would inflate the degrees of freedom. Notes with a missing
    ``x`` or ``y`` (e.g. a theme without a category) are left out.

    **Cramér's V** is sqrt(chi2 / (n (min(r, c) - 1))), between 0 (independence) and 1.
    It is biased upwards in small samples, especially with many cells; Bergsma's
    correction replaces chi2 / n by max(0, chi2 / n - (r - 1)(c - 1) / (n - 1)) and r, c by
    r - (r - 1)^2 / (n - 1), c - (c - 1)^2 / (n - 1).

    References
    ----------
    .. [1] Cramér, H. (1946). *Mathematical Methods of Statistics*. Princeton University
       Press, p. 282.
    .. [2] Bergsma, W. (2013). A bias-correction for Cramér's V and Tschuprow's T. *Journal
       of the Korean Statistical Society*, 42(3), 323-328.
    .. [3] Cochran, W. G. (1954). Some methods for strengthening the common chi-square
       tests. *Biometrics*, 10(4), 417-451.
    .. [4] Davison, A. C., and Hinkley, D. V. (1997). *Bootstrap Methods and their
       Application*. Cambridge University Press.

    Examples
    --------
    >>> from analysis import example_path, read_study
    >>> from analysis.stats import chi2_independence
    >>> notes = read_study(example_path()).notes
    >>> expected, observed, stats = chi2_independence(notes[notes["coder"] == "R1"])
    >>> list(stats.columns)[:5]
    ['test', 'chi2', 'dof', 'pval', 'cramer']
    """
    if unit not in _UNITS:
        raise ValueError(f"unit={unit!r}: choose one of {', '.join(map(repr, _UNITS))}")
    if not any(exact is e for e in _EXACT):
        raise ValueError(f"exact={exact!r}: choose one of None, True, False")
    for name, value in (("correction", correction), ("bias_correct", bias_correct)):
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{name}={value!r}: choose one of True, False")
    if (isinstance(n_resamples, (bool, np.bool_))
            or not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1):
        raise ValueError(f"n_resamples={n_resamples!r}: give a whole number, 1 or more")
    if x == y:
        raise ValueError(f"x and y are both {x!r}: give two different columns")
    needed = (x, y, "group", "session") if unit == "sessions" else (x, y)
    _require(notes, needed, f'chi2_independence(unit="{unit}")')

    xall, xlabels, yall, ylabels = _units(notes, x, y, unit)
    xseen = np.bincount(xall, minlength=len(xlabels)) > 0
    yseen = np.bincount(yall, minlength=len(ylabels)) > 0
    rows = [v for v, seen in zip(xlabels, xseen, strict=True) if seen]
    cols = [v for v, seen in zip(ylabels, yseen, strict=True) if seen]
    if len(rows) < 2 or len(cols) < 2:
        raise ValueError(
            f"chi2_independence needs at least two non-empty levels of {x!r} and of {y!r}; "
            f"found {len(rows)} and {len(cols)} with any {unit}"
        )
    # number the non-empty levels 0, 1, ... in their order
    xcodes = (np.cumsum(xseen) - 1)[xall]
    ycodes = (np.cumsum(yseen) - 1)[yall]
    r, c = len(rows), len(cols)
    obs = np.bincount(xcodes * c + ycodes, minlength=r * c).reshape(r, c).astype(np.int64)
    n = int(obs.sum())
    exp = _expected(obs)
    dof = (r - 1) * (c - 1)
    chi2_plain = _pearson(obs, exp, correction=False)
    chi2 = _pearson(obs, exp, correction=True) if correction and dof == 1 else chi2_plain
    pval = float(_st.chi2.sf(chi2, dof))
    cramer = _cramer(chi2_plain, n, r, c, bias_correct)
    min_exp = float(exp.min())
    below5 = float((exp < 5).mean())

    cochran_fails = min_exp < 1 or below5 > 0.2
    if cochran_fails:
        what = "Fisher's exact test" if (r, c) == (2, 2) else "a Monte-Carlo permutation test"
        then = (f"pval_exact gives {what}" if exact is not False
                else "pass exact=None or True for an exact or permutation p-value")
        warnings.warn(
            f"expected counts too small for the chi-square approximation (Cochran's rule: "
            f"no expected count below 1 and at most 20% below 5): smallest expected count "
            f"{min_exp:.3g}, {int((exp < 5).sum())} of {exp.size} cells "
            f"({below5:.0%}) below 5; {then}",
            UserWarning,
            stacklevel=2,
        )
    pval_exact, method = float("nan"), "none"
    if exact is True or (exact is None and cochran_fails):
        if (r, c) == (2, 2):
            pval_exact = float(_st.fisher_exact(obs, alternative="two-sided").pvalue)
            method = "fisher"
        else:
            pval_exact = _monte_carlo(xcodes, ycodes, (r, c), chi2_plain, int(n_resamples),
                                      seed)
            method = "monte-carlo"

    index = pd.Index(rows, name=x)
    columns = pd.Index(cols, name=y)
    observed = pd.DataFrame(obs, index=index, columns=columns)
    expected = pd.DataFrame(exp, index=index.copy(), columns=columns.copy())
    table = pd.DataFrame([{
        "test": "pearson", "chi2": chi2, "dof": dof, "pval": pval, "cramer": cramer,
        "n": n, "min_expected": min_exp, "share_expected_below_5": below5,
        "pval_exact": pval_exact, "exact_method": method,
    }])
    return expected, observed, table


def commonality(notes: pd.DataFrame, *, by: str = "category") -> pd.DataFrame:
    """How far the groups raise the same themes, per category.

    For each category, takes the set of its themes that each group raised (in any session)
    and measures how much these sets overlap: how many themes every group raised, and the
    Jaccard similarity of every pair of groups. High values mean the groups share the
    category's concerns; low values that they differ in which themes of it they raise.

    Parameters
    ----------
    notes : pandas.DataFrame
        The tidy notes table (``study.notes``) with ``group``, ``theme`` and ``by``.
    by : str, default "category"
        Column whose levels give the rows; a theme belongs to a level when at least one of
        its notes carries it.

    Returns
    -------
    pandas.DataFrame
        One row per level of ``by`` (categorical order, labels as strings, index named
        ``by``) plus a final ``All`` row computed over all themes (including themes with a
        missing ``by``). Columns:

        - ``themes``: number of distinct themes of the row raised by any group (int64);
        - ``shared_by_all``: how many of them every group raised (int64);
        - ``share_shared``: ``shared_by_all / themes`` (NaN when ``themes`` is 0);
        - ``mean_pairwise_jaccard``: mean over all pairs of groups of the Jaccard
          similarity |A ∩ B| / |A ∪ B| of the theme sets A and B the two groups raised
          (NaN with fewer than two groups or when a pair is undefined);
        - ``jaccard <g1>|<g2>``: that similarity for each pair of groups, in group order
          (NaN when neither group raised any theme of the row).

    Notes
    -----
    Groups are those with at least one note (declared groups without notes are left
    out, as they would make every theme unshared). Presence is all-or-nothing: a theme
    raised once in one session counts as much as one raised in every session, so a rare
    theme can lower the overlap; groups with more sessions have more chances to raise a
    theme. Compare with the chi-square test of :func:`chi2_independence`, which looks at
    how often each category comes up rather than at which themes.

    Examples
    --------
    >>> from analysis import example_path, read_study
    >>> from analysis.stats import commonality
    >>> table = commonality(read_study(example_path()).notes)
    >>> float(table.loc["Personal & emotional", "share_shared"])
    1.0
    """
    if by in ("theme", "group"):
        raise ValueError(f"by={by!r}: give a column that groups themes, such as 'category'")
    _require(notes, ("group", "theme", by), "commonality")
    gcodes, glabels = _label_codes(notes["group"])
    tcodes, _ = codes_of(notes["theme"])
    bcodes, levels = _label_codes(notes[by])
    used = (gcodes >= 0) & (tcodes >= 0)
    n_g, n_t, n_b = len(glabels), max(int(tcodes.max(initial=-1)) + 1, 1), len(levels)
    g, t, b = gcodes[used], tcodes[used], bcodes[used]
    # raised[row, group, theme]: one row per level of ``by``, then "All"
    raised = np.zeros((n_b + 1) * n_g * n_t, dtype=bool)
    has_b = b >= 0
    raised[(b[has_b] * n_g + g[has_b]) * n_t + t[has_b]] = True
    raised[(n_b * n_g + g) * n_t + t] = True
    raised = raised.reshape(n_b + 1, n_g, n_t)
    present = np.bincount(g, minlength=n_g) > 0
    groups = [name for name, ok in zip(glabels, present, strict=True) if ok]
    raised = raised[:, present, :]
    upper_i, upper_j = np.triu_indices(len(groups), k=1)
    every = raised.any(axis=1)
    shared = raised.all(axis=1) if len(groups) else np.zeros_like(every)
    themes = every.sum(axis=1)
    n_shared = shared.sum(axis=1)
    inter = np.stack([shared_counts(part) for part in raised])  # row x group x group
    sizes = np.diagonal(inter, axis1=1, axis2=2)
    union = sizes[:, :, None] + sizes[:, None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, inter / np.where(union > 0, union, 1), np.nan)
        jaccard = jaccard[:, upper_i, upper_j]
        share = np.where(themes > 0, n_shared / np.maximum(themes, 1), np.nan)
    mean = jaccard.mean(axis=1) if jaccard.shape[1] else np.full(n_b + 1, np.nan)
    pair_names = [f"jaccard {groups[i]}|{groups[j]}" for i, j in zip(upper_i, upper_j,
                                                                       strict=True)]
    index = pd.Index([*levels, "All"], name=by)
    head = pd.DataFrame({"themes": themes.astype(np.int64),
                         "shared_by_all": n_shared.astype(np.int64),
                         "share_shared": share.astype(np.float64),
                         "mean_pairwise_jaccard": mean.astype(np.float64)}, index=index)
    pairs = pd.DataFrame(jaccard.astype(np.float64), index=index, columns=pair_names)
    return pd.concat([head, pairs], axis=1)

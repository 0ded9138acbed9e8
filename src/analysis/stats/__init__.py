"""Tests and indices: DataFrame in, DataFrame out, full precision (round only for display).

Every function documents the columns it returns. Modules: homogeneity of categories
(co-occurrence of their themes), association of category and group (chi-square, Cramér's V),
saturation, inter-coder agreement, and descriptive summaries of participants and ratings.
"""

from ._homogeneity import category_homogeneity, session_jaccard, theme_homogeneity

__all__ = ["category_homogeneity", "session_jaccard", "theme_homogeneity"]

"""Tests and indices: DataFrame in, DataFrame out, full precision (round only for display).

Every function documents the columns it returns. Modules: homogeneity of categories
(co-occurrence of their themes, against random assignments of themes to categories),
association of category and group (chi-square, Cramér's V), session-level inference
(permutations of whole sessions, bootstrap over sessions, adjusted residuals, Wilson
intervals), saturation (after Guest et al. 2020), inter-coder agreement, and descriptive
summaries of participants and ratings. Every result says its unit (notes or sessions).
"""

from ._agreement import agreement, disagreements, presence_by_coder
from ._association import chi2_independence, commonality
from ._describe import participants_table, ratings_summary
from ._homogeneity import category_homogeneity, cooccurrence, session_jaccard, theme_homogeneity
from ._saturation import (
    new_information,
    saturation,
    saturation_band,
    saturation_orders,
    saturation_point,
    saturation_reached,
)
from ._sessions import (
    adjusted_residuals,
    commonality_test,
    group_comparison,
    group_test,
    holm,
    shares,
    wilson_interval,
)

__all__ = [
    "adjusted_residuals",
    "agreement",
    "category_homogeneity",
    "chi2_independence",
    "commonality",
    "commonality_test",
    "cooccurrence",
    "disagreements",
    "group_comparison",
    "group_test",
    "holm",
    "new_information",
    "participants_table",
    "presence_by_coder",
    "ratings_summary",
    "saturation",
    "saturation_band",
    "saturation_orders",
    "saturation_point",
    "saturation_reached",
    "session_jaccard",
    "shares",
    "theme_homogeneity",
    "wilson_interval",
]

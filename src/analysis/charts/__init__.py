"""Charts: DataFrame in, matplotlib Axes out.

No statistics beyond what is drawn, no file I/O except :func:`save_figure`. Every function
takes the table first, then keyword-only options, then ``ax=None``; it draws on the given Axes
(or a new figure) and returns the Axes (Venn functions return the diagram object).
"""

from ._bars import MAX_BARS, most_frequent, theme_bars
from ._base import laid_out, save_figure
from ._frequency import count_bars, heatmap, saturation_band, saturation_curve, valence_bars
from ._map import VALENCE_COLORS, category_map, category_map_data
from ._venn import (
    UpSetAxes,
    category_sets,
    category_venn,
    group_theme_sets,
    group_venn,
    set_diagram,
    upset,
    upset_data,
    venn,
    venn_regions,
)

__all__ = [
    "MAX_BARS",
    "VALENCE_COLORS",
    "UpSetAxes",
    "category_map",
    "category_map_data",
    "category_sets",
    "category_venn",
    "count_bars",
    "group_theme_sets",
    "group_venn",
    "heatmap",
    "laid_out",
    "most_frequent",
    "saturation_band",
    "saturation_curve",
    "save_figure",
    "set_diagram",
    "theme_bars",
    "upset",
    "upset_data",
    "valence_bars",
    "venn",
    "venn_regions",
]

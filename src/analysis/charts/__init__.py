"""Charts: DataFrame in, matplotlib Axes out.

No statistics beyond what is drawn, no file I/O except :func:`save_figure`. Every function
takes the table first, then keyword-only options, then ``ax=None``; it draws on the given Axes
(or a new figure) and returns the Axes (Venn functions return the diagram object).
"""

from ._bars import theme_bars
from ._base import save_figure
from ._frequency import count_bars, heatmap, saturation_curve, valence_bars

__all__ = ["count_bars", "heatmap", "saturation_curve", "save_figure", "theme_bars",
           "valence_bars"]

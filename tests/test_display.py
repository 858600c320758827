"""The book's one table format, and the column-width panel grid."""

import numpy as np
import pandas as pd

from latentlib.display import format_cell, format_number, show
from latentlib.plots import COLUMN_WIDTH, panel_grid
from latentlib.tables import mean_std


def test_cells_print_three_decimals_integers_as_integers_and_no_nan():
    assert format_cell(0.38612) == "0.386"
    assert format_cell(float("nan")) == "–"
    assert format_cell(-4.699e-04) == "0.000"
    assert format_cell(-0.0123) == "-0.012"
    assert format_cell(0.5, digits=1) == "0.5"
    assert format_cell(-0.0) == "0.000"
    assert format_cell(6.0, integral=True) == "6"
    assert format_cell(np.int64(12)) == "12"
    assert format_cell(True) == "True"


def test_cells_and_mean_std_share_one_rounding_rule():
    assert format_number(-0.0004) == format_cell(-0.0004) == mean_std(-0.0004, None) == "0.000"
    assert mean_std(-0.0004, 0.0004) == "0.000 ± 0.000"
    assert format_cell(-0.04, digits=1) == mean_std(-0.04, None, 1) == format_number(-0.04, 1) == "0.0"
    for value in (0.38612, -0.0123, 12.3456, -0.0, 0.0005, -0.0005):
        assert format_cell(value) == mean_std(value, float("nan")) == format_number(value)
    assert format_number(0.38612) == "0.386" and format_number(-0.0123) == "-0.012"


def test_show_formats_whole_number_float_columns_as_integers():
    frame = pd.DataFrame({"acc": [0.46, 0.3861], "clusters": [6.0, np.nan], "name": ["a", "b"]})
    html = show(frame).to_html()
    assert "0.460" in html and "0.386" in html
    assert ">6<" in html and "NaN" not in html and "–" in html
    assert "6.0" not in html


def test_panel_grid_wraps_at_two_columns_within_the_column_width():
    fig, axes = panel_grid(3)
    assert len(axes) == 3
    assert fig.get_size_inches()[0] == COLUMN_WIDTH
    assert sum(ax.get_visible() for ax in fig.axes) == 3

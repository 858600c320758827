"""The book's one table format, and the column-width panel grid."""

import numpy as np
import pytest
import pandas as pd

from latentlib.book.display import format_cell, format_number, show
from latentlib.book.plots import COLUMN_WIDTH, panel_grid
from latentlib.book.tables import mean_std


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


# a notebook kernel stand-in: records what the book registers with it
FAKE_KERNEL = r"""
import sys
import IPython
import matplotlib
matplotlib.use("Agg")
import matplotlib_inline.backend_inline as inline

calls = []

class Formatter:
    def __init__(self, what):
        self.what = what

    def for_type(self, kind, function):
        calls.append((self.what, kind.__name__))

class DisplayFormatter:
    formatters = {"text/html": Formatter("table format"), "image/png": Formatter("figure format")}

class Events:  # pyplot hooks its redraw into a kernel's events
    def register(self, *args):
        pass

class Shell:
    display_formatter = DisplayFormatter()
    events = Events()

IPython.get_ipython = lambda: Shell.instance
Shell.instance = Shell()
inline.set_matplotlib_formats = lambda *formats: calls.append(("figures", formats))
"""


def run_in_fake_kernel(body: str, result: str = "calls"):
    """Run ``body`` in a fresh interpreter whose IPython kernel is the recording stand-in;
    return the value of ``result`` there."""
    import ast
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", FAKE_KERNEL + body + f"\nprint(repr({result}))"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


SET_UP = [("table format", "DataFrame"), ("figures", ("retina",)), ("figure format", "Figure")]

# each figure function of latentlib.book.plots, drawn in a kernel not yet set up, then again
DRAW_EACH = """
import numpy as np
import pytest
import pandas as pd
import latentlib.book.plots as plots
from latentlib.book import display

seen = {"import": list(calls)}
summary = pd.DataFrame({"silhouette_mean": [0.5, 0.6], "silhouette_std": [0.1, 0.1]},
                       index=pd.MultiIndex.from_tuples([("a", 4), ("a", 8)]))
draws = {
    "plot_training_curves": lambda: plots.plot_training_curves({"a": [1.0, 0.5]}),
    "panel_grid": lambda: plots.panel_grid(2),
    "scatter_by_class": lambda: plots.scatter_by_class(plots.plt.subplots()[1], np.zeros((2, 2)),
                                                       np.array([0, 1]), title="t"),
    "plot_metric_vs_size_with_paper": lambda: plots.plot_metric_vs_size_with_paper(summary, methods={"a": "A"}),
    "plot_metric_panels": lambda: plots.plot_metric_panels(summary, methods={"a": "A"}, metrics=("silhouette",)),
}
for name, draw in draws.items():
    display._set_up_in = None  # a fresh kernel
    calls.clear()
    draw()
    first = list(calls)
    draw()
    seen[name] = (first, calls[len(first):])
"""


def test_importing_the_plots_sets_nothing_up_and_each_figure_function_does_once():
    seen = run_in_fake_kernel(DRAW_EACH, "seen")
    assert seen.pop("import") == []  # importing did nothing
    assert seen == {name: (SET_UP, []) for name in seen}  # set up at the first figure, not again
    assert len(seen) == 5


def test_setup_is_explicit_and_does_nothing_outside_a_kernel():
    from latentlib.book import display

    display.setup()  # no IPython shell in pytest: nothing to register, no error
    display.ensure_setup()
    assert run_in_fake_kernel("from latentlib.book import display\ndisplay.setup()\n") == SET_UP


# --- figures a phone can read: one palette, column-wide figures, no text under SMALLEST_FONT ---

def _figures_of_the_book():
    """Each figure helper of the book and the image chapters, on small real-shaped inputs."""
    import latentlib.book.plots as plots
    from latentlib.images import plots as image_plots

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 6)
    summary = pd.DataFrame({f"{m}_{s}": [0.5, 0.6, 0.55] for m in ("silhouette", "acc", "nmi", "knn_acc")
                            for s in ("mean", "std")},
                           index=pd.MultiIndex.from_tuples([("a", 2), ("a", 4), ("a", 8)]))
    paper = pd.DataFrame({"mse_mean": [0.4, 0.5, 0.6], "mse_std": [0.01, 0.01, 0.01]}, index=[2, 4, 8])
    return {
        "training curves": lambda: plots.plot_training_curves({"mse": [1.0, 0.5, 0.2], "triplet": [2, 1, 0.5]}),
        "metric vs size": lambda: plots.plot_metric_vs_size_with_paper(
            summary, methods={"a": "MSE autoencoder"}, paper=paper, paper_columns={"mse": "a"}),
        "metric panels": lambda: plots.plot_metric_panels(summary, methods={"a": "MSE autoencoder"}),
        "latent views": lambda: image_plots.plot_latent_views(
            {2: rng.normal(size=(60, 2)), 16: rng.normal(size=(60, 16))}, labels,
            class_names=[str(d) for d in range(10)], max_points=60),
        "reconstructions": lambda: image_plots.plot_reconstructions(
            rng.random((10, 1, 28, 28)), {4: rng.random((10, 1, 28, 28))}),
        "contingency": lambda: image_plots.plot_contingency(labels, (labels + 1) % 10, title="N2D",
                                                            class_names=[str(d) for d in range(10)]),
    }


def test_the_book_style_uses_the_colour_blind_palette_and_phone_sized_fonts():
    import seaborn as sns

    from latentlib.book import display

    style = display.style()
    assert style["axes.prop_cycle"].by_key()["color"] == sns.color_palette("colorblind").as_hex()
    assert style["figure.figsize"][0] == display.FIGURE_WIDTH
    assert min(v for k, v in style.items() if k.endswith("size") and isinstance(v, (int, float))) \
        == display.SMALLEST_FONT


def test_every_figure_helper_keeps_its_text_legible_and_its_width_to_the_column():
    import matplotlib
    import matplotlib.pyplot as plt

    from latentlib.book import display

    problems = []
    with matplotlib.rc_context(display.style()):
        for name, draw in _figures_of_the_book().items():
            fig = draw()
            fig = fig if isinstance(fig, plt.Figure) else fig[0]
            smallest = display.smallest_text(fig)
            width = fig.get_tightbbox(fig.canvas.get_renderer()).width  # inches, the PNG's extent
            if smallest < display.SMALLEST_FONT:
                problems.append(f"{name}: text of {smallest} pt")
            if width > display.FIGURE_WIDTH * 1.1:
                problems.append(f"{name}: {width:.1f} in wide")
            plt.close(fig)
    assert not problems


def test_a_figure_png_records_the_height_of_its_smallest_text():
    import io

    import matplotlib
    import matplotlib.pyplot as plt
    from PIL import Image

    from latentlib.book import display

    with matplotlib.rc_context(display.style()):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        ax.set_title("big", fontsize=20)
        ax.annotate("tiny", (0.5, 0.5), fontsize=6)
        data, size = display.figure_png(fig)
        plt.close(fig)
    image = Image.open(io.BytesIO(data))
    assert size == {"width": image.width // 2, "height": image.height // 2}  # shown at half: 2x
    # 6 pt at 2 x 100 dpi: 6 / 72 * 200 pixels of the PNG
    assert float(image.text[display.FONT_KEY]) == pytest.approx(6 / 72 * 2 * display.FIGURE_DPI, abs=0.1)
    with matplotlib.rc_context(display.style()):
        assert display.figure_png(plt.figure()) is None  # an empty figure shows nothing


def test_chapter_06_figures_name_the_collapsed_run_and_the_papers_series(root):
    """From the committed records of chapter 06 (one of its runs collapsed, SS 0.974): the
    collapsed point carries its words and value, the paper's series says it is the paper's,
    and both figures keep to the column and to legible text."""
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    from latentlib.book import display
    from latentlib.book.results import read_records
    from latentlib.images.gap_judge import judge
    from latentlib.images.gap_words import hypotheses_figure, views_figure

    records = [r for r in read_records("06_mse_gap", root / "book" / "results") if r["variant"] == "quick"]
    study = judge(records)
    collapsed = study.seed_runs[study.seed_runs["collapsed"]]
    assert len(collapsed)  # the committed run this test is about
    with matplotlib.rc_context(display.style()):
        for draw in (hypotheses_figure, views_figure):
            fig = draw(study)
            texts = [t.get_text() for t in fig.findobj(Text)]
            if draw is hypotheses_figure:  # the variant that collapsed is a hypothesis, not a view
                for value in collapsed["silhouette"]:
                    assert f"collapsed run ({value:.3f})" in texts
            legend = [t.get_text() for t in fig.legends[0].get_texts()]
            assert any(label.startswith("the paper's") for label in legend)
            assert not any("(paper)" in label for label in legend)
            assert not any(text.startswith("-0") and text.endswith("%") for text in texts)
            assert display.smallest_text(fig) >= display.SMALLEST_FONT
            assert fig.get_tightbbox(fig.canvas.get_renderer()).width <= display.FIGURE_WIDTH * 1.1
            plt.close(fig)

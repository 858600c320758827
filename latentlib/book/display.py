"""How the book shows its tables and figures in a notebook: one number format for every
table (3 decimals, integers as integers, no ``NaN``, cells kept on one line) and 2x PNG
figures drawn to be read on a phone: a column-wide figure (:data:`FIGURE_WIDTH` inches) with
text of at least :data:`SMALLEST_FONT` points, and one colour-blind-safe palette (seaborn's
``"colorblind"``) as the colour cycle of every figure. Each PNG records the height of its
smallest text in its own pixels (:data:`FONT_KEY`), so the browser test can tell how tall
that text is where the page shows the figure. Importing this module (or :mod:`latentlib.book.plots`) changes nothing: :func:`setup`
registers both with the running kernel when called, and :func:`ensure_setup` (which the
figure functions of :mod:`latentlib.book.plots` call) runs it once per kernel. Outside a
notebook kernel both do nothing."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

DIGITS = 3
MISSING = "–"

#: the book's one palette (figures here; the explorers use the same seaborn palette)
PALETTE = "colorblind"
#: the widest a figure is drawn, in inches: the text column's width on a laptop, so a phone
#: (about 380 px of column) shrinks it by no more than 380 / (6.4 x 100) and its text stays legible
FIGURE_WIDTH = 6.4
FIGURE_DPI = 100
#: the smallest text a figure of the book uses (tick labels, legends, annotations), in points
SMALLEST_FONT = 10
FONT_SIZES = {"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "figure.titlesize": 12,
              "xtick.labelsize": SMALLEST_FONT, "ytick.labelsize": SMALLEST_FONT,
              "legend.fontsize": SMALLEST_FONT, "legend.title_fontsize": SMALLEST_FONT}
#: the PNG text chunk holding the height, in the image's pixels, of the figure's smallest text
FONT_KEY = "latentlib smallest text px"


def _is_integral(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values.dropna(), errors="coerce")
    return bool(len(numbers)) and numbers.notna().all() and bool(np.all(np.mod(numbers, 1) == 0))


def format_number(value: float, digits: int = DIGITS) -> str:
    """``value`` at ``digits`` decimals, the one rounding rule of every table and
    ``mean ± std``: a tiny negative that rounds to zero prints as ``0.000``, not ``-0.000``."""
    text = f"{value:.{digits}f}"
    zero = f"{0:.{digits}f}"
    return zero if text.lstrip("-") == zero else text


def format_cell(value: object, *, integral: bool = False, digits: int = DIGITS) -> str:
    """One cell as the book prints it."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)) or (integral and isinstance(value, (float, np.floating))):
        return f"{int(value):,}" if abs(value) >= 10000 else str(int(value))
    if isinstance(value, (float, np.floating)):
        return format_number(value, digits)
    return str(value)


def show(frame: pd.DataFrame, *, digits: int = DIGITS) -> "pd.io.formats.style.Styler":
    """``frame`` styled for the book: floats at ``digits`` decimals, whole-number columns
    (cluster counts stored as floats) as integers, missing values as a dash."""
    integral = {column: _is_integral(frame[column]) for column in frame.columns
                if pd.api.types.is_float_dtype(frame[column])}
    formatters = {column: (lambda v, i=integral.get(column, False): format_cell(v, integral=i, digits=digits))
                  for column in frame.columns}
    styler = frame.style.format(formatters).format_index(lambda v: format_cell(v, digits=digits), axis=0)
    # ids from the content, not random: a re-run of the same table writes the same HTML
    styler.set_uuid(hashlib.sha1(frame.to_csv().encode()).hexdigest()[:8])
    return styler.set_table_styles([{"selector": "td, th", "props": "white-space: nowrap;"}])


def _frame_html(frame: pd.DataFrame) -> str:
    if frame.size > 20000:  # very large frames: pandas' own (truncated) view
        return frame._repr_html_()
    return show(frame).to_html()


def _kernel() -> object | None:
    """The running IPython shell, or None outside one."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


#: the shell :func:`setup` last registered with (``ensure_setup`` does it once per shell)
_set_up_in: object | None = None


def style() -> dict[str, object]:
    """The matplotlib settings of the book's figures: sizes, fonts and the palette."""
    import seaborn as sns
    from cycler import cycler

    return {**FONT_SIZES, "figure.figsize": (FIGURE_WIDTH, 4.0), "figure.dpi": FIGURE_DPI,
            "axes.prop_cycle": cycler(color=sns.color_palette(PALETTE).as_hex())}


def smallest_text(figure: object) -> float:
    """The font size, in points, of the smallest visible text of ``figure`` (0 without text)."""
    from matplotlib.text import Text

    sizes = [text.get_fontsize() for text in figure.findobj(Text)
             if text.get_visible() and text.get_text().strip() and (text.axes is None or text.axes.get_visible())]
    return float(min(sizes, default=0.0))


def figure_png(figure: object) -> tuple[bytes, dict[str, int]] | None:
    """``figure`` as a 2x PNG (shown at half its pixel size, as IPython's "retina"),
    with the height of its smallest text in the PNG's own pixels (:data:`FONT_KEY`)."""
    import io

    from PIL import Image

    if not figure.axes and not figure.lines:
        return None
    dpi = 2 * figure.dpi
    smallest = smallest_text(figure) * dpi / 72
    buffer = io.BytesIO()
    figure.canvas.print_figure(buffer, format="png", dpi=dpi, bbox_inches="tight",
                               facecolor=figure.get_facecolor(), edgecolor=figure.get_edgecolor(),
                               metadata={FONT_KEY: f"{smallest:.1f}"})
    data = buffer.getvalue()
    width, height = Image.open(io.BytesIO(data)).size
    return data, {"width": width // 2, "height": height // 2}


def setup() -> None:
    """Register the table format and 2x PNG figures with the running notebook kernel
    (again, if called again), and set the book's figure style; outside a kernel it does
    nothing."""
    global _set_up_in
    shell = _kernel()
    if shell is None:
        return
    _set_up_in = shell
    shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, _frame_html)
    try:
        import matplotlib
        from matplotlib.figure import Figure
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    set_matplotlib_formats("retina")  # the inline backend's own formats off, then ours for PNG
    matplotlib.rcParams.update(style())
    shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)


def ensure_setup() -> None:
    """:func:`setup`, once per kernel: what every figure function calls before drawing."""
    shell = _kernel()
    if shell is not None and shell is not _set_up_in:
        setup()

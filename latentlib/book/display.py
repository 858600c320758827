"""How the book shows its tables and figures in a notebook: one number format for every
table (3 decimals, integers as integers, no ``NaN``, cells kept on one line) and 2x PNG
figures. Importing this module (or :mod:`latentlib.book.plots`) changes nothing: :func:`setup`
registers both with the running kernel when called, and :func:`ensure_setup` (which the
figure functions of :mod:`latentlib.book.plots` call) runs it once per kernel. Outside a
notebook kernel both do nothing."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

DIGITS = 3
MISSING = "–"


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


def setup() -> None:
    """Register the table format and 2x PNG figures with the running notebook kernel
    (again, if called again); outside a kernel it does nothing."""
    global _set_up_in
    shell = _kernel()
    if shell is None:
        return
    _set_up_in = shell
    shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, _frame_html)
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    set_matplotlib_formats("retina")


def ensure_setup() -> None:
    """:func:`setup`, once per kernel: what every figure function calls before drawing."""
    shell = _kernel()
    if shell is not None and shell is not _set_up_in:
        setup()

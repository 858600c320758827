"""Argument checks shared by every config, model and loader.

Each check raises ``ValueError("<name> must be <allowed>, got <value>")``: the message
names the parameter, what is allowed and what was given, so that a bad value fails at
once with the fix in the message. Numbers must be finite: ``1e999`` parses as ``inf``
and would only fail minutes later, as a NaN loss.
"""

from __future__ import annotations

import math
from typing import Any


def fail(name: str, value: Any, allowed: str) -> None:
    """Raise the one error message format of the library."""
    raise ValueError(f"{name} must be {allowed}, got {value!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_positive_int(name: str, value: Any) -> None:
    if not _is_int(value) or value < 1:
        fail(name, value, "a positive int")


def check_optional_positive_int(name: str, value: Any) -> None:
    if value is not None:
        check_positive_int(name, value)


def check_count(name: str, value: Any) -> None:
    """How many items to use: a positive int, or ``"all"`` (None also means all)."""
    if value is not None and value != "all" and (not _is_int(value) or value < 1):
        fail(name, value, "a positive int or 'all'")


def check_seed(name: str, value: Any) -> None:
    if not _is_int(value) or value < 0:
        fail(name, value, "an int >= 0")


def check_int_range(name: str, value: Any, *, minimum: int, maximum: int | None = None, why: str = "") -> None:
    """An int in ``[minimum, maximum]`` (no upper bound when ``maximum`` is None); the type
    is checked before the range, so a string fails with this message, not a TypeError."""
    if not _is_int(value) or value < minimum or (maximum is not None and value > maximum):
        allowed = f"an int >= {minimum}" if maximum is None else f"an int in [{minimum}, {maximum}]"
        fail(name, value, allowed + (f" ({why})" if why else ""))


def check_optional_seed(name: str, value: Any) -> None:
    if value is not None:
        check_seed(name, value)


def check_positive_float(name: str, value: Any) -> None:
    if not _is_number(value) or not value > 0:
        fail(name, value, "a positive finite number")


def check_non_negative_float(name: str, value: Any, why: str = "") -> None:
    if not _is_number(value) or value < 0:
        fail(name, value, "a finite number >= 0" + (f" ({why})" if why else ""))


def check_probability(name: str, value: Any) -> None:
    if not _is_number(value) or not 0 <= value < 1:
        fail(name, value, "a probability in [0, 1)")


def check_unit_interval(name: str, value: Any) -> None:
    if not _is_number(value) or not 0 <= value <= 1:
        fail(name, value, "a number in [0, 1]")


def check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        fail(name, value, "True or False")


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        fail(name, value, "one of " + ", ".join(repr(c) for c in choices))


def check_n_clusters(name: str, value: Any, *, optional: bool = False) -> None:
    """K-Means cluster counts: silhouette needs at least two clusters."""
    if optional and value is None:
        return
    if not _is_int(value) or value < 2:
        fail(name, value, ("None or " if optional else "") + "an int >= 2 (silhouette needs two clusters)")


def check_int_tuple(name: str, value: Any, *, allow_empty: bool = False, minimum: int = 1,
                    distinct: bool = True) -> None:
    """A tuple of ints >= ``minimum``, distinct unless ``distinct`` is False (layer widths
    may repeat; sizes and seeds may not). papermill and YAML lists arrive as tuples."""
    kind = f"a {'' if allow_empty else 'non-empty '}list of {'distinct ' if distinct else ''}ints >= {minimum}"
    if not isinstance(value, tuple) or (not value and not allow_empty):
        fail(name, value, kind)
    for item in value:
        if not _is_int(item) or item < minimum:
            fail(name, value, f"{kind} (bad entry {item!r})")
    if distinct and len(set(value)) != len(value):
        fail(name, value, f"{kind} (repeated entries)")

"""The library's one error format: ``<name> must be <allowed>, got <value>``, the type
checked before any comparison."""

import pytest

from latentlib.validation import check_int_range, check_optional_seed


@pytest.mark.parametrize(("value", "kwargs", "message"), [
    ("5", dict(minimum=2), "k must be an int >= 2, got '5'"),  # a string: no TypeError from '5' < 2
    (None, dict(minimum=2), "k must be an int >= 2, got None"),
    (True, dict(minimum=1), "k must be an int >= 1, got True"),
    (3.0, dict(minimum=1), "k must be an int >= 1, got 3.0"),
    (1, dict(minimum=2), "k must be an int >= 2, got 1"),
    (11, dict(minimum=1, maximum=10), r"k must be an int in \[1, 10\], got 11"),
    (0, dict(minimum=1, maximum=10, why="one per class"), r"k must be an int in \[1, 10\] \(one per class\), got 0"),
])
def test_int_range_checks_the_type_then_the_range(value, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_int_range("k", value, **kwargs)


def test_int_range_accepts_its_bounds_and_an_optional_seed_none():
    check_int_range("k", 2, minimum=2)
    check_int_range("k", 10, minimum=1, maximum=10)
    check_int_range("k", 10 ** 9, minimum=2)
    check_optional_seed("seed", None)
    check_optional_seed("seed", 0)
    with pytest.raises(ValueError, match="seed must be an int >= 0, got -1"):
        check_optional_seed("seed", -1)

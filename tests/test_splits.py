"""The one stratified subset of every loader: counts checked in the library's one format."""

import numpy as np
import pytest

from latentlib.data.splits import LabelledSplit, stratified_subset, subset


def small_split():
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.repeat(np.arange(2), 10)
    return LabelledSplit(x_train=x, y_train=y, x_test=x[:10].copy(), y_test=np.repeat(np.arange(2), 5),
                         class_names=["a", "b"], source="test", split="fixed")


@pytest.mark.parametrize("bad", ["some", 0, -3, 2.5, True, [4]])
def test_a_bad_count_names_itself_in_the_one_format(bad):
    x, y = np.zeros((20, 2)), np.repeat(np.arange(2), 10)
    with pytest.raises(ValueError, match=rf"n_images must be a positive int or 'all', got {bad!r}".replace("[", r"\[")):
        stratified_subset(x, y, bad, name="n_images")


def test_true_is_not_a_count_even_where_it_equals_the_size():
    # True == 1: a one-item source used to return whole for n = True
    with pytest.raises(ValueError, match="n_images must be a positive int or 'all', got True"):
        stratified_subset(np.zeros((1, 2)), np.zeros(1, dtype=int), True, name="n_images")


def test_all_none_and_the_whole_size_keep_every_item_and_more_is_refused():
    split = small_split()
    for n in ("all", None, 20):
        x, y = stratified_subset(split.x_train, split.y_train, n, name="n_train")
        assert len(x) == 20 and x is split.x_train
    x, y = stratified_subset(split.x_train, split.y_train, 6, name="n_train")
    assert np.bincount(y).tolist() == [3, 3]
    with pytest.raises(ValueError, match="n_train must be at most the 20 training items this source has"):
        subset(split, n_train=21)
    with pytest.raises(ValueError, match="n_test must be a positive int or 'all', got 'half'"):
        subset(split, n_test="half")

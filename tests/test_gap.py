"""Chapter 06's table cells and short answers, on hand-made runs."""

import pandas as pd

from latentlib.images.gap import _size_cell, gap_answer
from latentlib.verdicts import closes_gap, matches


def test_collapsed_runs_are_left_out_of_the_cell_and_said_so():
    assert _size_cell(pd.DataFrame({"silhouette": [0.974], "collapsed": [True]})) == "0.974 (collapsed)"
    assert _size_cell(pd.DataFrame({"silhouette": [0.5, 0.9, 0.52], "collapsed": [False, True, False]})) == \
        "0.510 ± 0.014 (1 collapsed left out)"
    assert _size_cell(pd.DataFrame({"silhouette": [0.5]})) == "0.500"


def runs(rows):
    return pd.DataFrame(rows, columns=["method", "embedding_size", "seed", "silhouette", "collapsed"])


def test_short_answers_follow_the_per_size_effects():
    table = runs([("baseline", 4, 0, 0.26, False), ("baseline", 4, 1, 0.27, False), ("baseline", 8, 0, 0.18, False),
                  ("baseline", 8, 1, 0.19, False), ("up", 4, 0, 0.52, False), ("up", 8, 0, 0.40, False),
                  ("same", 4, 0, 0.265, False), ("same", 8, 0, 0.185, False), ("pca", 4, 0, 0.24, False)])
    target = {4: 0.53, 8: 0.52}
    assert gap_answer(closes_gap(table, method="up", baseline="baseline", target=target)) == \
        "no; closes it at 1, narrows it at 1 of 2 sizes"
    assert gap_answer(closes_gap(table, method="same", baseline="baseline", target=target)) == \
        "no; no change at 2 of 2 sizes"
    assert gap_answer(matches(table, method="pca", target={4: 0.2444})) == "control: matches Table II"

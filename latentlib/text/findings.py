"""The text chapter's findings, decided with named thresholds (chapter 05 prints them).

Each rule is a plain comparison; the thresholds live here, with why, so that no number
is typed in the notebook and each rule is tested:

- a model **has learned an autoencoder** when the sentence's own code reproduces clearly
  more tokens than another sentence's code (which only leaves the decoder's language
  model): by at least ``LEARNED_MARGIN`` of held-out token accuracy;
- a model **reconstructs** when greedy decoding from its code reproduces at least
  ``RECONSTRUCTS_ACC`` of the held-out tokens in place, counting only positions whose
  word is in the vocabulary (an ``<unk>`` hit is too easy to count): only then do its
  codes stand for the sentences, and only then can their clusters speak for the paper's
  claim;
- clusters **carry sentiment** when their NMI with the labels reaches ``INFORMATIVE_NMI``
  (two random clusters score about 0);
- a representation is **dominated by length** when its first principal component
  correlates with sentence length at ``|r| > LENGTH_R`` and its clusters split by length
  (length NMI above ``LENGTH_NMI``);
- a probe finds sentiment **present** when it beats the majority-class rate by at least
  ``PROBE_MARGIN``.
"""

from __future__ import annotations

from collections.abc import Mapping

#: held-out token accuracy the own code must add over another sentence's code
LEARNED_MARGIN = 0.05
#: held-out token accuracy (known words) from which a model counts as reconstructing:
#: more than half of the words back in place (the issue's bar for "a text autoencoder")
RECONSTRUCTS_ACC = 0.5
#: NMI of two K-Means clusters with sentiment from which they carry information
INFORMATIVE_NMI = 0.05
#: |r| of the first principal component with sentence length, and the length NMI of the clusters
LENGTH_R = 0.5
LENGTH_NMI = 0.1
#: accuracy a linear probe must add over the majority-class rate
PROBE_MARGIN = 0.03


def has_learned(own_code_acc: float, other_code_acc: float, *, margin: float = LEARNED_MARGIN) -> bool:
    """Does the sentence's own code reproduce at least ``margin`` more tokens than another's?"""
    return own_code_acc - other_code_acc >= margin - 1e-12  # a difference of exactly the margin counts


def reconstructs(token_acc_known: float, *, threshold: float = RECONSTRUCTS_ACC) -> bool:
    """Does the model put at least ``threshold`` of the held-out known words back in place?"""
    return token_acc_known >= threshold


def clusters_carry_sentiment(max_nmi: float, *, threshold: float = INFORMATIVE_NMI) -> bool:
    return max_nmi >= threshold


def length_dominated(first_component_r: Mapping[str, float], length_nmi: Mapping[str, float], *,
                     r_threshold: float = LENGTH_R, nmi_threshold: float = LENGTH_NMI) -> list[str]:
    """The representations whose first component and clusters follow sentence length."""
    return [m for m in first_component_r
            if abs(first_component_r[m]) > r_threshold and length_nmi.get(m, 0.0) > nmi_threshold]


def probe_finds_sentiment(gain_over_majority: Mapping[str, float], *, margin: float = PROBE_MARGIN) -> list[str]:
    """The representations whose linear probe beats the majority class by at least ``margin``."""
    return [m for m, gain in gain_over_majority.items() if gain >= margin]

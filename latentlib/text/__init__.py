"""Text (chapter 05): Yelp sentences (Rotten Tomatoes snippets offline), the LSTM denoising
adversarial autoencoder of Shen et al. 2020, a plain LSTM autoencoder and TF-IDF + SVD."""

"""Images (chapters 01-03): MNIST and Fashion-MNIST, MLP and convolutional autoencoders,
the triplet objective, and the grids of the paper's Tables I and II."""

"""latentlib: the library behind the latent-space-book report."""

__version__ = "0.1.0"

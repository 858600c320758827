"""Where data comes from, for every modality: the data root and its one fallback
between sources (each skip said out loud, a corrupt source an error), checksummed
downloads, files read out of packages on the index pip is configured with, and the one
labelled train/test split type with its stratified subset. Modality loaders build on
these; nothing here knows a dataset by name."""

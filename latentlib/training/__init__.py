"""How models are trained: one fit engine (seeding, the loop with progress, the fit
cache keyed by configs, data and the code that runs), the reconstruction trainer and
autoencoder base, fp32/bf16 precision, fit plans (the fits a chapter will ask for, as
data), their executor (here, stacked on one device, or on a dask cluster) and
parameter sweeps. Modalities
supply Trainers; nothing here knows a model family."""

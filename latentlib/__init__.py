"""latentlib: the library behind the latent-space-book report.

Layout: a core grouped by role, and one package per modality with the same file names.

Core (modality-free: imports nothing from ``images``, ``audio`` or ``text``)::

    validation   argument checks: one error format naming the parameter and the fix
    events       notices and progress sent from a running chapter to the terminal
    config       StudyConfig: profiles, overrides, the notebook's parameters by name
    studies      Study: one declaration per chapter, found by walking the modalities
    data/        sources (data root, verified downloads, the one fallback), pypi_files,
                 npm_files (one npm tarball, packed and verified), splits (LabelledSplit,
                 its stratified subset)
    training/    precision, fit (the one fit engine and its cache), autoencoder (base,
                 TrainConfig, reconstruction trainer), plan (FitSpec), executor, sweep,
                 stacked (seeds of one shape as one batched model; its objectives
                 stacked_mse and stacked_triplet, its data device_data, its planned
                 fits stack_plan), precision_rule (what ``auto`` precision picks)
    evaluation/  metrics, probe, baselines (PCA), manifold (UMAP + GMM), evaluate
                 (encode -> K-Means -> scores), verdicts (the rules), claims (Claim)
    book/        provenance, results (records), progress, display, plots, explorer,
                 tables, paper (the paper's numbers), report (results page), summary
                 ("What reproduced" page), reproduce (the re-run check), runner, schedule
                 (which chapters run side by side), site (the built site trimmed to what
                 its pages use)
    cli          ``latentlib run / book / check / data / list / sweep``

Modalities (each imports the core, never another modality)::

    images/  chapters (01, 02, 03, 06, 07 declared)  config  data (mnist, mnist_official,
             fashion_mnist)  models  losses  training  study  plan  claims  sections (their
             results-page blocks)  plots  n2d (07)  gap (06: running; its hypotheses in
             gap_hypotheses, its result and tables in gap_result, its decisions in
             gap_judge, its words and figures in gap_words)
    audio/   chapters (04)  config  clips (AudioClips)  data (urbansound, drumkits,
             everyday_sounds)  features  envelope  models  study  claims  plots
             players (padded inline clips)  listening (neighbours, clips per
             cluster, the audio explorer)  sections (its results-page block)
    text/    chapters (05)  config  data (yelp, rotten_tomatoes, movie_reviews)  tokens
    text/    chapters (05)  config  data (yelp, movie_reviews, rotten_tomatoes; yelp_fixture:
             out-of-domain Yelp sentences)  tokens  models  training  decoding  study
             findings  claims  sections  plots

Import rules, checked by ``tests/test_layout.py``: the core never imports a modality
(it finds their ``chapters`` modules by walking the package); a modality never imports
another; the core's layers import downwards only (base < data < training < evaluation <
book < cli); no import cycles, relative imports included.
"""

__version__ = "0.1.0"

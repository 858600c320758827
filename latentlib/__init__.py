"""latentlib: the library behind the latent-space-book report.

Layout: a shared core and one subpackage per modality, each with the same file names.

Core (modality-free; imports nothing from ``images``, ``audio`` or ``text``)::

    validation   argument checks: one error format naming the parameter and the fix
    events       notices and progress sent from a running chapter to the terminal
    config       StudyConfig: profiles, overrides, the notebook's parameters by name
    studies      study name -> config class (reaches a modality only by name, lazily)
    sources      data root, verified downloads, the first-available-source fallback
    pypi_files   a file of a package, found on the index pip is configured with
    splits       LabelledSplit and its one stratified subset
    datasets     dataset name -> fetcher (``latentlib data NAME``), by name, lazily
    precision    fp32 or bf16 autocast: the one context the engine and the encoders enter
    fit          the one fit engine: seeding, loop with progress, cache key and I/O
    autoencoder  Autoencoder base, TrainConfig, the reconstruction trainer
    evaluate     encode -> K-Means -> scores
    metrics      silhouette, ACC (contingency + Hungarian matching), NMI, ARI
    probe        kNN and linear probes, neighbour precision
    baselines    PCA embeddings of the autoencoder's size
    manifold     N2D: UMAP then GMM / K-Means
    tables       records -> mean +- std tables, the paper's columns beside ours
    verdicts     the claims the book checks, decided with a stated rule
    plots        figures every modality uses (curves, 2-D projections, scatter)
    display      one table format (3 decimals, no NaN) and 2x PNG figures in a notebook
    paper        every number typed from someone else's paper, with its source
    results      result records, written atomically
    provenance   commit, hardware, the run context shared by the runner and the kernel
    progress     the runner's printer of a chapter's events
    report       the results page, generated from records
    runner       papermill execution of the chapters, provenance banner, book build
    cli          ``latentlib run / book / data / list``

Modalities (each imports the core, never another modality)::

    images/  config  data (mnist, mnist_official, fashion_mnist)  models  losses  training
             study  gap (chapter 06: the MSE gap, one variant per hypothesis)
             n2d (chapter 07: N2D on the pooled set)  plots  variants (their results-page blocks)
    audio/   config  data (urbansound, drumkits)  features  envelope (ring time)  models  study  plots
    text/    config  data (yelp, rotten_tomatoes)  tokens  models  training  decoding
             study  findings (chapter 05's rules, thresholds named)  plots  variants (results page)

Import rules, checked by ``tests/test_layout.py``: a core module never imports a
modality (``studies`` and ``datasets`` name them as strings); a modality never imports
another modality; nothing imports ``runner``, ``cli`` or ``report`` except ``cli``.
"""

__version__ = "0.1.0"

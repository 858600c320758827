"""How embeddings are scored and claims decided: K-Means and its scores (silhouette,
ACC by Hungarian matching, NMI, ARI), kNN and linear probes, the PCA baseline, UMAP +
GMM/K-Means (N2D), the verdict rules (holds / does not hold / not shown, each printing
its rule) and the Claim that ties a verdict to the paper's statement. Pure functions of
arrays and run tables; no file I/O."""

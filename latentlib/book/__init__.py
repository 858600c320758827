"""The book's machinery: result records and provenance, papermill execution of the
chapters and the book build (runner), the terminal's progress, the paper's typed
numbers (the only place they live), tables, figures and explorers shared by the
chapters, the results and "What reproduced" pages, and the reproduction check. It reads
studies only through :mod:`latentlib.studies`; it never imports a modality."""

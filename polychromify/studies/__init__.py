"""Studies: scoring any model on any folder, per-photo evidence, the Study type with its one verdict rule, the
generalization and beyond-the-paper studies, and ``verify``. It imports from the product and training wings."""

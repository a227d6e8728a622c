"""Training: the photos (download, cleaning, synthetic landscapes, splits), the profiles, the experiment
registry, the fit loop, the results store with its provenance, the campaign and data-parallel training. It
imports from the product wing only."""

"""The book: each chapter's values and figures, tables, prose, widgets, the in-browser colorizer's page and
the build of the Jupyter Book. It imports from every wing below it; only the command line imports it."""

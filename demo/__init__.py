"""The demo: a sample video built from registry packages, and the end-to-end run on it."""

"""Reads for the patients app's pages, one module per topic."""

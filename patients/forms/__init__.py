"""Forms of the patients app, one module per topic."""

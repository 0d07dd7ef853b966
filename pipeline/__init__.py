"""strategy-review: a cited, verifiable draft critique of a digital strategy."""

__version__ = "0.1.0"

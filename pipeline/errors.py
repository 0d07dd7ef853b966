"""Errors the user can act on. The CLI prints them as one line and exits 2."""


class StrategyReviewError(Exception):
    """A problem with input, configuration or a model that the user can fix."""

    exit_code = 2


class InputError(StrategyReviewError):
    """The input file cannot be read as a strategy document."""


class ModelError(StrategyReviewError):
    """A model could not be reached or gave unusable output."""


class StoreError(StrategyReviewError):
    """The vector store is missing, mismatched or damaged."""


class LockTimeout(StrategyReviewError):
    """Another process held a lock on the home for longer than the lock timeout."""


class ModelUnreachable(ModelError):
    """The model server cannot be reached at all (connection refused, no such host)."""

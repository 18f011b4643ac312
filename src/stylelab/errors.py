"""One exception hierarchy for everything a user can get wrong.

The CLI turns any :class:`StylelabError` into ``error: ...`` and exit code 2;
the web app turns it into a JSON error body (4xx; 503 for a missing model, 500 for an output that
cannot be written). Anything else is a bug.
"""

from __future__ import annotations


class StylelabError(Exception):
    """Base class of all errors caused by input, configuration or environment."""


class InputError(StylelabError):
    """An input file or image is missing, unreadable, too small or too large."""


class ConfigError(StylelabError):
    """An option or configuration value is invalid."""


class OutputError(StylelabError):
    """An output path cannot be written."""


class ModelError(StylelabError):
    """Model weights are missing, corrupt or do not match the architecture."""


class JobError(StylelabError):
    """A background job failed, was cancelled or does not exist."""


class Cancelled(StylelabError):
    """The caller asked a running engine to stop."""


def plain_message(exc: BaseException) -> str:
    """The message for a page: without the backticks that mark setting names ("choose a smaller `size`";
    the CLI turns those into its options instead)."""
    return str(exc).replace("`", "")

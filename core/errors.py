"""Error classes a person reads: one clear sentence each, mapped to exit codes by the CLI."""


class StillroomError(Exception):
    """Base for every error Stillroom reports to a user.

    ``exit_code`` follows the CLI convention: 1 for a refused or failed check,
    2 for bad usage or bad input.
    """

    exit_code = 1


class UsageError(StillroomError):
    """Bad input from the user: a malformed spec, a missing file, a wrong option."""

    exit_code = 2


class ConfigError(UsageError):
    """A pipeline spec or workspace file that does not validate."""


class DataError(UsageError):
    """Malformed input data; the message names the file, the line or row, and the field."""


class WorkspaceError(UsageError):
    """No workspace where one was expected, or a damaged one."""


class PluginError(StillroomError):
    """A plugin that could not be loaded, was refused, or broke its contract."""


class ArtifactError(StillroomError):
    """An artifact that is missing or whose bytes no longer match their digest."""


class RunRefused(StillroomError):
    """A run stopped by a check: preflight, a residual PII scan, a gate."""

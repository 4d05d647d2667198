"""Why a ledger operation or check failed: one class per kind of failure."""

from stillroom.errors import StillroomError, UsageError


class LedgerError(StillroomError):
    """The ledger could not do what was asked, or what it holds does not verify."""


class ProofError(LedgerError):
    """An inclusion or consistency proof that does not verify, or cannot be made."""


class CheckpointError(LedgerError):
    """A signed note that is malformed, or whose signatures or root do not verify."""


class ExportError(UsageError):
    """An export directory that is missing files or cannot be read."""


class NotInLedger(UsageError):
    """A seq or checkpoint size that the ledger does not hold."""

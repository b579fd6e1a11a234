"""Errors and exit codes shared by the whole toolchain.

Every failure the user can cause (a malformed bundle, an unreadable PDF, a bad
argument) is raised as a :class:`PithError` subclass carrying a stable status
code and the process exit code the CLI maps it to.  Nothing else in the project
decides exit codes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from enum import IntEnum

__all__ = [
    "BATCH_EXIT_PRECEDENCE",
    "SECURITY_CODES",
    "UNAVAILABLE_CODES",
    "BundleLookupError",
    "ExitCode",
    "InputError",
    "InternalError",
    "JSONFormatError",
    "KeyringError",
    "MissingToolError",
    "NetworkError",
    "NumberFormatError",
    "PithError",
    "SchemaError",
    "UnverifiedBundleError",
    "batch_exit_code",
]


class ExitCode(IntEnum):
    """Process exit codes of every ``pithtex`` verb (documented in docs/cli.md)."""

    OK = 0
    """The job succeeded; for checks: verified."""
    FAILED = 1
    """A verification or check failed."""
    UNUSABLE = 2
    """The input could not be used: unreadable, malformed, wrong arguments."""
    NO_CLAIM = 3
    """``pithtex check``: the PDF carries no Pith claim at all."""
    NETWORK = 4
    """A resolver could not be reached or answered wrongly."""
    INDETERMINATE = 4
    """``pithtex check``: the verdict could not be decided (no bundle could be had, or
    page 1 shows no verifiable title block); never a finding against the paper."""
    MISSING_TOOL = 5
    """An external program the verb needs (TeX, latexmk, ...) is not installed."""
    INTERNAL = 70
    """A bug in pithtex (``EX_SOFTWARE`` of sysexits), never a property of the input."""
    INTERRUPTED = 130
    """Stopped by ^C (SIGINT)."""


BATCH_EXIT_PRECEDENCE = (
    ExitCode.INTERNAL,
    ExitCode.INTERRUPTED,
    ExitCode.FAILED,
    ExitCode.UNUSABLE,
    ExitCode.NETWORK,
    ExitCode.MISSING_TOOL,
    ExitCode.NO_CLAIM,
    ExitCode.OK,
)
"""A batch exits with the first of these codes that any of its items got.

A bug outranks everything (the batch's results are incomplete), then a failed
verification or refusal, then unusable input, then the rest; a batch whose items
all succeeded exits 0.  Documented in docs/cli.md."""


def batch_exit_code(codes: Iterable[int]) -> ExitCode:
    """The exit code of a batch whose items exited with ``codes`` (OK for none).

    A code that is not an :class:`ExitCode` can only come from a bug: it counts
    as :attr:`ExitCode.INTERNAL`.
    """
    seen = set(codes)
    if not seen <= set(BATCH_EXIT_PRECEDENCE):
        return ExitCode.INTERNAL
    return next(code for code in BATCH_EXIT_PRECEDENCE if code in seen or code is ExitCode.OK)


class PithError(Exception):
    """Base class of the errors this project raises on purpose.

    ``code`` is a stable ``noun.outcome`` status code, ``message`` a sentence for
    humans that names what is wrong.
    """

    exit_code: ExitCode = ExitCode.UNUSABLE
    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code

    def __str__(self) -> str:
        return self.message

    def prefixed(self, context: str) -> PithError:
        """The same error with ``context`` (a file name, say) in front of the message."""
        clone = copy.copy(self)
        clone.message = f"{context}: {self.message}"
        clone.args = (clone.message,)
        return clone


class InputError(PithError):
    """An input file or value is unusable (exit code 2)."""

    default_code = "input.invalid"


class JSONFormatError(InputError):
    """JSON that violates the strict profile; ``path`` names where (``$.a[0].b``)."""

    default_code = "json.invalid"

    def __init__(self, message: str, *, path: str = "$", code: str | None = None) -> None:
        super().__init__(f"{path}: {message}", code=code)
        self.path = path
        self.detail = message


class SchemaError(JSONFormatError):
    """Well-formed JSON whose content is not what the format requires."""

    default_code = "schema.invalid"


class NumberFormatError(InputError):
    """Text that is not a Pith Number in any accepted form."""

    default_code = "number.malformed"


class KeyringError(InputError):
    """A keyring file or key that cannot be used as a root of trust."""

    default_code = "keyring.invalid"


class UnverifiedBundleError(PithError):
    """Raised by APIs that refuse to go on with an unverified bundle (exit code 1).

    ``verdict`` is the bundle's verdict (``untrusted`` or ``invalid``).
    """

    exit_code = ExitCode.FAILED
    default_code = "bundle.unverified"

    def __init__(self, message: str, *, code: str | None = None, verdict: str = "invalid") -> None:
        super().__init__(message, code=code)
        self.verdict = verdict


class NetworkError(PithError):
    """A resolver could not be used (exit code 4)."""

    exit_code = ExitCode.NETWORK
    default_code = "resolver.error"


SECURITY_CODES = (
    "resolver.rollback",
    "resolver.invalid",
    "resolver.untrusted",
    "resolver.wrong_number",
    "resolver.insecure_redirect",
    "resolver.state_mismatch",
)
"""Lookup failures that suggest tampering: they win over transport failures in reports."""

UNAVAILABLE_CODES = ("resolver.offline_miss", "resolver.not_found")
"""Lookup failures that mean no bundle is known, rather than that none could be fetched."""


class BundleLookupError(NetworkError):
    """No usable bundle could be had for a number (exit code 4).

    :attr:`outcome` sorts the failure for reports: ``unavailable`` (no bundle is
    known), ``rejected`` (one was served but failed: wrong number, invalid,
    untrusted, a rollback) or ``unreachable`` (no resolver answered).
    """

    @property
    def outcome(self) -> str:
        if self.code in UNAVAILABLE_CODES:
            return "unavailable"
        return "rejected" if self.code in SECURITY_CODES else "unreachable"


class MissingToolError(PithError):
    """An external program is missing (exit code 5)."""

    exit_code = ExitCode.MISSING_TOOL
    default_code = "tool.missing"


class InternalError(PithError):
    """A bug in pithtex met while handling one item of a batch (exit code 70).

    Raised by nobody on purpose: the job layer makes one when a worker's function
    raised an exception nobody expected, so that the item is reported and the
    batch goes on, with the bug's own exit code rather than unusable input's.
    """

    exit_code = ExitCode.INTERNAL
    default_code = "internal.error"

"""Explicit results: one :class:`CheckResult` per fact checked.

Verification never answers with a bare boolean.  Each check names what it
looked at (``check``, e.g. ``record.hash``), its :class:`Status`, a stable
``noun.outcome`` status code (``record.hash.mismatch``, ``key.untrusted``) and
a sentence saying why.  Callers (the CLI, the PDF checker) read verdicts from
lists of these.  Codes are documented in ``docs/checks.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CheckResult",
    "Status",
    "fail",
    "indeterminate",
    "ok",
    "skip",
]


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a status, not a password
    FAIL = "fail"
    SKIP = "skip"
    INDETERMINATE = "indeterminate"
    """The fact could not be established either way (no bundle to be had, no readable
    title block): never a finding against the subject."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one named check."""

    check: str
    status: Status
    code: str
    reason: str
    subject: str | None = None

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    @property
    def indeterminate(self) -> bool:
        return self.status is Status.INDETERMINATE

    def to_json(self) -> dict[str, str | None]:
        return {
            "check": self.check,
            "status": self.status.value,
            "code": self.code,
            "subject": self.subject,
            "reason": self.reason,
        }


def ok(
    check: str, reason: str, subject: str | None = None, *, code: str | None = None
) -> CheckResult:
    """A passing check; its code defaults to ``<check>.ok``."""
    return CheckResult(check, Status.PASS, code or f"{check}.ok", reason, subject)


def fail(
    check: str, outcome: str, reason: str, subject: str | None = None, *, code: str | None = None
) -> CheckResult:
    """A failing check with code ``<check>.<outcome>`` (or an explicit ``code``)."""
    return CheckResult(check, Status.FAIL, code or f"{check}.{outcome}", reason, subject)


def skip(check: str, outcome: str, reason: str, subject: str | None = None) -> CheckResult:
    """A check that did not apply, with code ``<check>.<outcome>``.

    ``reason`` starts with ``not checked`` and says what was not checked and why, never
    what looks like a pass.
    """
    return CheckResult(check, Status.SKIP, f"{check}.{outcome}", reason, subject)


def indeterminate(check: str, outcome: str, reason: str, subject: str | None = None) -> CheckResult:
    """A check that could not be decided, with code ``<check>.<outcome>``.

    ``reason`` says what could not be established and why, never what looks like a pass.
    """
    return CheckResult(check, Status.INDETERMINATE, f"{check}.{outcome}", reason, subject)

"""What stamping one file gave: :class:`StampResult`, its status and method, and refusals.

A refusal is a :class:`StampRefusedError`; :func:`pithtex.pdf.stamp.stamp_pdf`
never lets it (or any failure of the PDF libraries) escape, but returns it as
:attr:`StampResult.error` with status :attr:`StampStatus.REFUSED`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pithtex.core.errors import ExitCode, PithError

__all__ = ["StampMethod", "StampRefusedError", "StampResult", "StampStatus"]


class StampRefusedError(PithError):
    """A file the stamper will not touch, with the reason (exit code 2 unless set)."""

    def __init__(
        self, message: str, *, code: str | None = None, exit_code: ExitCode = ExitCode.UNUSABLE
    ) -> None:
        super().__init__(message, code=code or "stamp.refused")
        self.exit_code = exit_code


class StampStatus(StrEnum):
    STAMPED = "stamped"
    """New metadata written to the output."""
    UNCHANGED = "unchanged"
    """The file already carried exactly this stamp; nothing written (or a plain copy made)."""
    PLANNED = "planned"
    """Dry run: the file would be stamped; nothing written."""
    REFUSED = "refused"
    """Refused with a reason; nothing written."""


class StampMethod(StrEnum):
    REWRITE = "rewrite"
    INCREMENTAL = "incremental"
    NONE = "none"


@dataclass(frozen=True)
class StampResult:
    source: str
    output: str | None
    status: StampStatus
    method: StampMethod = StampMethod.NONE
    pith_number: str | None = None
    pdfa: str | None = None
    signed: bool = False
    encrypted: bool = False
    embedded_bundle: bool = False
    badge: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()
    error: PithError | None = None

    @property
    def ok(self) -> bool:
        return self.status is not StampStatus.REFUSED

    @property
    def exit_code(self) -> int:
        return int(ExitCode.OK if self.error is None else self.error.exit_code)

    def to_json(self) -> dict[str, Any]:
        written = self.status in (StampStatus.STAMPED, StampStatus.UNCHANGED)
        out: dict[str, Any] = {
            "file": self.source,
            "output": self.output if written else None,
            "planned_output": self.output if self.status is StampStatus.PLANNED else None,
            "exit_code": self.exit_code,
            "status": self.status.value,
            "method": self.method.value,
            "pith_number": self.pith_number,
            "pdfa": self.pdfa,
            "signed": self.signed,
            "encrypted": self.encrypted,
            "embedded_bundle": self.embedded_bundle,
            "badge": self.badge,
            "notes": list(self.notes),
        }
        if self.error is not None:
            out["error"] = {"code": self.error.code, "message": self.error.message}
        return out

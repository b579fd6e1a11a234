"""Stamping finished PDFs: plan, then refuse or write, and say which.

:func:`prepare` verifies a bundle against the keyring and distils it into a
:class:`StampSpec`, the plain data every file is stamped with.
:func:`stamp_pdf` stamps one file with it and returns a :class:`StampResult`;
problems the user can fix (wrong bundle, encrypted file, malformed XMP,
combinations PDF/A forbids) come back as a *refused* result and nothing is
written.

A file is stamped one of two ways:

* **rewrite** (the default): pikepdf (qpdf) writes a complete new file;
* **incremental**: for a PDF with digital signatures (or on request) the new
  metadata is appended as an incremental update (:mod:`pithtex.pdf.stamp.incremental`),
  so the signed bytes stay an unchanged prefix and signatures keep validating.

Output always goes through :func:`pithtex.core.fileio.atomic_output`; the input is
never opened for writing.  The contract of what is written is
``docs/pdf-metadata.md``; the command is described in ``docs/stamp.md``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pithtex.core import names as xmpschema
from pithtex.core.digests import canon_text, is_placeholder_title, text_canon_sha256
from pithtex.core.errors import ExitCode, InputError, PithError
from pithtex.core.fileio import atomic_output, atomic_write_bytes
from pithtex.core.version import __version__

if TYPE_CHECKING:
    import pikepdf
    from lxml import etree

    from pithtex.core.model import Bundle
    from pithtex.pdf.stamp.badge import BadgeOptions, BadgePlacement
    from pithtex.pdf.xmp.write import PdfALevel, XmpUpdate
    from pithtex.trust.keyring import Keyring
    from pithtex.trust.verify import VerifiedBundle

TOOL = f"pithtex {__version__}"


class StampRefusedError(PithError):
    """A file the stamper will not touch, with the reason (exit code 2 unless set)."""

    def __init__(
        self, message: str, *, code: str | None = None, exit_code: ExitCode = ExitCode.UNUSABLE
    ) -> None:
        super().__init__(message, code=code or "stamp.refused")
        self.exit_code = exit_code


class Status(StrEnum):
    STAMPED = "stamped"
    """New metadata written to the output."""
    UNCHANGED = "unchanged"
    """The file already carried exactly this stamp; nothing written (or a plain copy made)."""
    PLANNED = "planned"
    """Dry run: the file would be stamped; nothing written."""
    REFUSED = "refused"
    """Refused with a reason; nothing written."""


class Method(StrEnum):
    REWRITE = "rewrite"
    INCREMENTAL = "incremental"
    NONE = "none"


# ---------------------------------------------------------------- what to stamp


@dataclass(frozen=True, slots=True)
class StampSpec:
    """Everything a verified bundle contributes to a stamp (plain data, picklable)."""

    number: str
    body: str
    canonical_sha256: str
    resolver: str
    bundle_sha256: str
    key_fingerprint: str
    title_canon_sha256: str
    title: str | None
    """The record's title, when the bundle gives one that hashes to ``title_canon_sha256``."""
    bundle_bytes: bytes
    built_at: str

    @property
    def short_form(self) -> str:
        return f"pith:{self.body[:8]}"

    def xmp_values(self, stamped_at: datetime | None) -> dict[str, str]:
        from pithtex.pdf.xmp.write import xmp_date

        values = {
            "number": self.number,
            "canonicalSHA256": self.canonical_sha256,
            "resolver": self.resolver,
            "bundleSHA256": self.bundle_sha256,
            "keyFingerprint": self.key_fingerprint,
            "tool": TOOL,
        }
        if stamped_at is not None:
            values["stampedAt"] = xmp_date(stamped_at)
        return values


def resolver_url(body: str, base: str = xmpschema.DEFAULT_RESOLVER) -> str:
    return base.rstrip("/") + xmpschema.RESOLVER_PATH + body


def prepare(
    bundle_path: str | Path, keyring: Keyring, *, resolver_base: str | None = None
) -> StampSpec:
    """Load and verify a bundle; refuse (exit 1) unless it is verified against ``keyring``."""
    from pithtex.core.model import parse_bundle, read_limited
    from pithtex.trust.verify import require_verified

    data = read_limited(bundle_path)
    try:
        bundle = parse_bundle(data)
    except InputError as exc:
        raise exc.prefixed(str(bundle_path)) from None
    verified = require_verified(bundle, keyring, refusal="nothing was stamped")
    return spec_from_verified(verified, data, resolver_base=resolver_base)


def spec_from_verified(
    verified: VerifiedBundle, data: bytes, *, resolver_base: str | None = None
) -> StampSpec:
    """The stamp of a verified bundle whose bytes are ``data``."""
    from pithtex.core.digests import bundle_sha256

    bundle = verified.bundle
    body = verified.number.body
    title = bundle.title
    if title is not None and text_canon_sha256(title) != bundle.record.title_canon_sha256:
        title = None
    return StampSpec(
        number=verified.number.full,
        body=body,
        canonical_sha256=bundle.canonical_sha256,
        resolver=resolver_url(body, resolver_base) if resolver_base else _bundle_resolver(bundle),
        bundle_sha256=bundle_sha256(bundle.raw),
        key_fingerprint=bundle.signature.fingerprint,
        title_canon_sha256=bundle.record.title_canon_sha256,
        title=title,
        bundle_bytes=data,
        built_at=bundle.built_at,
    )


def _bundle_resolver(bundle: Bundle) -> str:
    """The resolver link the (signed) bundle names, if it has the standard shape."""
    links = bundle.raw.get("links")
    link = links.get("resolver") if isinstance(links, dict) else None
    if (
        isinstance(link, str)
        and link.startswith("https://")
        and link.endswith(xmpschema.RESOLVER_PATH + bundle.body)
    ):
        return link
    return resolver_url(bundle.body)


# ---------------------------------------------------------------- options and results


@dataclass(frozen=True, slots=True)
class StampOptions:
    embed_bundle: bool = False
    badge: BadgeOptions | None = None
    force: bool = False
    """Stamp even when the PDF's title does not match the record (or is missing)."""
    repair_xmp: bool = False
    """Replace a malformed XMP packet (rebuilt from the Info dictionary)."""
    password: str | None = None
    deterministic: bool = False
    """Content-derived document ID, no wall-clock time (unless ``stamp_time`` is given)."""
    stamp_time: datetime | None = None
    incremental: bool = False
    """Append an incremental update even for unsigned PDFs."""
    dry_run: bool = False

    def effective_time(self) -> datetime | None:
        if self.stamp_time is not None:
            return self.stamp_time
        return None if self.deterministic else datetime.now(UTC)


@dataclass(frozen=True)
class StampResult:
    source: str
    output: str | None
    status: Status
    method: Method = Method.NONE
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
        return self.status is not Status.REFUSED

    @property
    def exit_code(self) -> int:
        return int(ExitCode.OK if self.error is None else self.error.exit_code)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.source,
            "output": self.output,
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


# ---------------------------------------------------------------- inspecting a PDF


@dataclass
class PdfFacts:
    """What the stamper needs to know about an opened PDF before deciding anything."""

    encrypted: bool
    signed: bool
    info: dict[str, str]
    xmp: etree._Element | None
    xmp_error: InputError | None
    pdfa: PdfALevel | None
    title: str | None
    attached_bundle: bytes | None
    badge_number: str | None


def inspect_pdf(pdf: pikepdf.Pdf, *, badge: bool = False) -> PdfFacts:
    from pithtex.pdf.xmp import write as xmpwrite
    from pithtex.pdf.xmp.read import DC, parse_tree

    xmp, xmp_error = None, None
    raw = _metadata_bytes(pdf)
    if raw is not None:
        try:
            xmp = parse_tree(raw)
        except InputError as exc:
            xmp_error = exc
    pdfa = None
    if xmp is not None:
        try:
            pdfa = xmpwrite.pdfa_level(xmp)
        except InputError as exc:
            xmp, xmp_error = None, exc
    info = _info_strings(pdf)
    title = xmpwrite.lang_alt_value(xmp, DC, "title") if xmp is not None else None
    if is_placeholder_title(title):
        title = info.get("Title")
    if is_placeholder_title(title):
        title = None
    badge_number = None
    if badge:
        from pithtex.pdf.stamp.badge import existing_badge_number

        badge_number = existing_badge_number(pdf)
    return PdfFacts(
        encrypted=pdf.is_encrypted,
        signed=has_signatures(pdf),
        info=info,
        xmp=xmp,
        xmp_error=xmp_error,
        pdfa=pdfa,
        title=title.strip() if title else None,
        attached_bundle=_attached_bundle(pdf),
        badge_number=badge_number,
    )


def _metadata_bytes(pdf: pikepdf.Pdf) -> bytes | None:
    import pikepdf

    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        return None
    try:
        return bytes(stream.read_bytes())
    except pikepdf.PdfError as exc:
        raise StampRefusedError(
            f"the XMP metadata stream cannot be decoded ({exc})", code="xmp.unreadable"
        ) from None


def _info_strings(pdf: pikepdf.Pdf) -> dict[str, str]:
    import pikepdf

    info = pdf.trailer.get("/Info")
    if not isinstance(info, pikepdf.Dictionary):
        return {}
    return {
        str(key)[1:]: str(value) for key, value in info.items() if isinstance(value, pikepdf.String)
    }


def has_signatures(pdf: pikepdf.Pdf) -> bool:
    """Whether the PDF carries a filled signature field or a certification (DocMDP)."""
    import pikepdf

    perms = pdf.Root.get("/Perms")
    if isinstance(perms, pikepdf.Dictionary) and ("/DocMDP" in perms or "/UR3" in perms):
        return True
    form = pdf.Root.get("/AcroForm")
    if not isinstance(form, pikepdf.Dictionary):
        return False
    pending = list(form.get("/Fields", pikepdf.Array()))
    seen: set[tuple[int, int]] = set()
    while pending:
        node = pending.pop()
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        if node.get("/FT") == pikepdf.Name.Sig and "/V" in node:
            return True
        pending.extend(node.get("/Kids", pikepdf.Array()))
    return False


def _attached_bundle(pdf: pikepdf.Pdf) -> bytes | None:
    if xmpschema.EMBEDDED_BUNDLE_NAME not in pdf.attachments:
        return None
    return bytes(pdf.attachments[xmpschema.EMBEDDED_BUNDLE_NAME].get_file().read_bytes())


# ---------------------------------------------------------------- planning


@dataclass
class StampPlan:
    """The decisions for one file, made before anything is written."""

    incremental: bool
    values: dict[str, str]
    modified: datetime | None
    take_title: str | None
    embed: bool
    badge: BadgePlacement | None
    up_to_date: bool
    notes: list[str] = field(default_factory=list)


def plan_stamp(
    pdf: pikepdf.Pdf, facts: PdfFacts, spec: StampSpec, options: StampOptions
) -> StampPlan:
    """Decide how to stamp, or raise :class:`StampRefusedError` naming why not."""
    notes: list[str] = []
    if facts.encrypted and options.password is None:
        raise StampRefusedError(
            "the PDF is encrypted: give its password with --password to stamp it "
            "(the encryption is kept)",
            code="pdf.encrypted",
        )
    if facts.xmp_error is not None and not options.repair_xmp:
        raise StampRefusedError(
            f"{facts.xmp_error.message}; refusing to replace it (use --repair-xmp to rebuild "
            "the packet from the Info dictionary)",
            code="xmp.malformed",
        )
    if facts.xmp_error is not None:
        notes.append(f"malformed XMP packet replaced: {facts.xmp_error.message}")
    take_title = _check_title(pdf, facts, spec, options, notes)
    incremental = facts.signed or options.incremental
    if facts.signed:
        if options.badge is not None:
            raise StampRefusedError(
                "the PDF is digitally signed: a visible badge changes page 1 and would break "
                "the signed appearance; stamp before signing, or leave out --badge",
                code="signature.badge",
            )
        if facts.encrypted:
            raise StampRefusedError(
                "the PDF is both signed and encrypted: an incremental update of such files "
                "is not supported",
                code="signature.encrypted",
            )
        notes.append("digitally signed: metadata appended as an incremental update")
    if options.embed_bundle and facts.pdfa is not None and not facts.pdfa.allows_json_attachment:
        raise StampRefusedError(
            f"the PDF claims {facts.pdfa.label}, which may not carry a JSON attachment; "
            "stamp it without --embed-bundle (the XMP stamp alone keeps it valid), or produce "
            "PDF/A-3 if the bundle must travel inside",
            code="pdfa.attachment",
        )
    if incremental and options.badge is not None:
        raise StampRefusedError(
            "--badge needs a full rewrite; leave out --incremental", code="stamp.options"
        )
    badge = None
    if options.badge is not None and facts.badge_number != spec.number:
        from pithtex.pdf.stamp.badge import place_badge

        badge = place_badge(pdf, options.badge, spec, options.password)
        notes.extend(badge.notes)
    modified = options.effective_time()
    values = spec.xmp_values(modified)
    return StampPlan(
        incremental=incremental,
        values=values,
        modified=modified,
        take_title=take_title,
        embed=options.embed_bundle,
        badge=badge,
        up_to_date=_up_to_date(facts, spec, options, values, take_title),
        notes=notes,
    )


def _check_title(
    pdf: pikepdf.Pdf, facts: PdfFacts, spec: StampSpec, options: StampOptions, notes: list[str]
) -> str | None:
    """Refuse a PDF whose title is not the record's; returns a title to write, if any."""
    if facts.title is not None:
        if text_canon_sha256(facts.title) == spec.title_canon_sha256:
            return None
        if options.force:
            notes.append(f"title {facts.title!r} does not match the record (--force)")
            return None
        raise StampRefusedError(
            f"the PDF's title {facts.title!r} does not match the record's title hash: "
            "wrong bundle for this paper? (--force stamps anyway)",
            code="title.mismatch",
            exit_code=ExitCode.FAILED,
        )
    if spec.title is not None and _page_one_shows(pdf, spec.title, options.password):
        notes.append("the PDF had no title: the record's title (found on page 1) was written")
        return spec.title
    if options.force:
        notes.append("the PDF has no title to check against the record (--force)")
        return None
    raise StampRefusedError(
        "the PDF has no title (XMP dc:title or Info /Title) and page 1 does not show the "
        "record's title, so the bundle cannot be checked against it (--force stamps anyway)",
        code="title.missing",
        exit_code=ExitCode.FAILED,
    )


def _page_one_shows(pdf: pikepdf.Pdf, title: str, password: str | None) -> bool:
    from pithtex.pdf.stamp.badge import page_text

    if len(pdf.pages) == 0:
        return False
    text = canon_text(page_text(pdf, 0, password))
    wanted = canon_text(title)
    return wanted in text or wanted in text.replace("- ", "")


def _up_to_date(
    facts: PdfFacts,
    spec: StampSpec,
    options: StampOptions,
    values: dict[str, str],
    take_title: str | None,
) -> bool:
    if facts.xmp is None or take_title is not None:
        return False
    from pithtex.pdf.xmp.write import pith_values

    ignored = {"stampedAt", "tool"}
    present = {k: v for k, v in pith_values(facts.xmp).items() if k not in ignored}
    wanted = {k: v for k, v in values.items() if k not in ignored}
    if present != wanted:
        return False
    if options.embed_bundle and facts.attached_bundle != spec.bundle_bytes:
        return False
    return options.badge is None or facts.badge_number == spec.number


# ---------------------------------------------------------------- stamping


def stamp_pdf(
    source: str | Path, output: str | Path, spec: StampSpec, options: StampOptions
) -> StampResult:
    """Stamp ``source`` into ``output`` (which may be ``source``: in place).

    Never raises for a problem with the file: a refusal (or a failure of the
    PDF libraries on a damaged file, code ``stamp.failed``) comes back as a
    result with :attr:`StampResult.error` set, and then nothing was written.
    """
    result = StampResult(str(source), str(output), Status.REFUSED, pith_number=spec.number)
    try:
        return _stamp(Path(source), Path(output), spec, options, result)
    except PithError as exc:
        return replace(result, error=exc.prefixed(str(source)))
    except Exception as exc:  # a file no library could handle must not stop a batch
        failure = InputError(
            f"{source}: stamping failed ({type(exc).__name__}: {exc})", code="stamp.failed"
        )
        return replace(result, error=failure)


def _stamp(
    source: Path, output: Path, spec: StampSpec, options: StampOptions, result: StampResult
) -> StampResult:
    with open_pdf(source, options.password) as pdf:
        facts = inspect_pdf(pdf, badge=options.badge is not None)
        result = replace(
            result,
            signed=facts.signed,
            encrypted=facts.encrypted,
            pdfa=facts.pdfa.label if facts.pdfa else None,
        )
        plan = plan_stamp(pdf, facts, spec, options)
        result = replace(
            result,
            method=Method.INCREMENTAL if plan.incremental else Method.REWRITE,
            embedded_bundle=plan.embed,
            badge=plan.badge.to_json() if plan.badge else None,
            notes=tuple(plan.notes),
        )
        if options.dry_run:
            return replace(result, status=Status.PLANNED)
        if plan.up_to_date:
            if not _same_file(source, output):
                atomic_write_bytes(output, source.read_bytes())
            return replace(result, status=Status.UNCHANGED, method=Method.NONE)
        update = _xmp_update(facts, spec, plan)
        notes = tuple(plan.notes) + tuple(update.notes)
        if plan.incremental:
            from pithtex.pdf.stamp.incremental import append_update

            append_update(source, output, update, spec, embed=plan.embed)
        else:
            _rewrite(pdf, output, update, spec, plan, options)
    return replace(result, status=Status.STAMPED, notes=notes)


@contextlib.contextmanager
def open_pdf(path: Path, password: str | None) -> Iterator[pikepdf.Pdf]:
    import pikepdf

    try:
        pdf = pikepdf.open(path, password=password or "")
    except pikepdf.PasswordError:
        if password is None:
            raise StampRefusedError(
                "the PDF is encrypted: give its password with --password", code="pdf.encrypted"
            ) from None
        raise StampRefusedError("the password does not open the PDF", code="pdf.password") from None
    except FileNotFoundError:
        raise InputError("no such file", code="file.missing") from None
    except IsADirectoryError:
        raise InputError("is a directory, not a PDF", code="file.unreadable") from None
    except pikepdf.PdfError as exc:
        raise InputError(f"not a readable PDF ({exc})", code="pdf.unreadable") from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", code="file.unreadable") from None
    try:
        yield pdf
    except pikepdf.PdfError as exc:
        raise InputError(f"the PDF is damaged ({exc})", code="pdf.damaged") from None
    finally:
        pdf.close()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _xmp_update(facts: PdfFacts, spec: StampSpec, plan: StampPlan) -> XmpUpdate:
    from pithtex.pdf.xmp.write import XmpStamp, update_packet

    stamp = XmpStamp(values=plan.values, modified=plan.modified, title=plan.take_title)
    return update_packet(facts.xmp, stamp, facts.info)


def _rewrite(
    pdf: pikepdf.Pdf,
    output: Path,
    update: XmpUpdate,
    spec: StampSpec,
    plan: StampPlan,
    options: StampOptions,
) -> None:
    import pikepdf

    _write_metadata_stream(pdf, update.packet)
    _write_info(pdf, update)
    if plan.embed:
        embed_bundle(pdf, spec)
    if plan.badge is not None:
        from pithtex.pdf.stamp.badge import draw_badge

        draw_badge(pdf, plan.badge, spec)
    with atomic_output(output) as handle:
        pdf.save(
            handle,
            fix_metadata_version=False,
            deterministic_id=options.deterministic,
            object_stream_mode=pikepdf.ObjectStreamMode.preserve,
            encryption=pdf.is_encrypted,  # True keeps the existing encryption
        )


def _write_metadata_stream(pdf: pikepdf.Pdf, packet: bytes) -> None:
    import pikepdf

    stream = pdf.Root.get("/Metadata")
    if isinstance(stream, pikepdf.Stream):
        stream.write(packet)
    else:
        stream = pdf.make_stream(packet)
        pdf.Root.Metadata = stream
    stream.Type = pikepdf.Name.Metadata
    stream.Subtype = pikepdf.Name.XML


def _write_info(pdf: pikepdf.Pdf, update: XmpUpdate) -> None:
    import pikepdf

    info = pdf.trailer.get("/Info")
    if not isinstance(info, pikepdf.Dictionary):
        if not any(v is not None for v in update.info.values()):
            return
        info = pdf.make_indirect(pikepdf.Dictionary())
        pdf.trailer.Info = info
    for key, value in update.info.items():
        name = pikepdf.Name("/" + key)
        if value is None:
            if name in info:
                del info[name]
        else:
            info[name] = pikepdf.String(value)


def embed_bundle(pdf: pikepdf.Pdf, spec: StampSpec) -> None:
    """Attach the bundle as ``pith-bundle.json``, an associated file of the document."""
    import pikepdf

    from pithtex.pdf.xmp.write import pdf_date

    moment = datetime.fromisoformat(spec.built_at.replace("Z", "+00:00"))
    filespec = pikepdf.AttachedFileSpec(
        pdf,
        spec.bundle_bytes,
        description=f"Pith bundle of {spec.number} (signed record, events and state)",
        filename=xmpschema.EMBEDDED_BUNDLE_NAME,
        mime_type=xmpschema.EMBEDDED_BUNDLE_MIME,
        creation_date=pdf_date(moment),
        mod_date=pdf_date(moment),
        relationship=pikepdf.Name.Supplement,
    )
    pdf.attachments[xmpschema.EMBEDDED_BUNDLE_NAME] = filespec
    obj = pdf.attachments[xmpschema.EMBEDDED_BUNDLE_NAME].obj
    kept = [
        item
        for item in pdf.Root.get("/AF", pikepdf.Array())
        if not (
            isinstance(item, pikepdf.Dictionary)
            and str(item.get("/UF", item.get("/F", ""))) == xmpschema.EMBEDDED_BUNDLE_NAME
        )
    ]
    pdf.Root.AF = pikepdf.Array([*kept, obj])

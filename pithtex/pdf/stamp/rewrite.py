"""Stamping one file: plan, then refuse or write, and say which.

:func:`stamp_pdf` stamps one file with a :class:`~pithtex.pdf.stamp.spec.StampSpec`
and returns a :class:`~pithtex.pdf.stamp.result.StampResult`; problems the
user can fix (wrong bundle, encrypted file, malformed XMP, combinations PDF/A
forbids) come back as a *refused* result and nothing is written.

A file is stamped one of two ways:

* **rewrite** (the default): qpdf writes a complete new file, copying every
  stream as it is encoded;
* **incremental**: for a PDF with digital signatures (or on request) the new
  metadata is appended as an incremental update (:mod:`pithtex.pdf.stamp.incremental`),
  so the signed bytes stay an unchanged prefix and signatures keep validating.

Output always goes through :func:`pithtex.core.fileio.atomic_output`; the input is
never opened for writing.  The contract of what is written is
``docs/pdf-metadata.md``; the command is described in ``docs/stamp.md``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pithtex.core.errors import InputError, PithError
from pithtex.core.fileio import atomic_write_bytes
from pithtex.pdf._access.editing import EditableDocument, open_for_stamping
from pithtex.pdf._access.limits import StreamError
from pithtex.pdf.stamp.plan import PdfFacts, StampPlan, inspect_pdf, plan_stamp
from pithtex.pdf.stamp.result import StampMethod, StampResult, StampStatus
from pithtex.pdf.stamp.spec import StampOptions, StampSpec
from pithtex.pdf.xmp.write import XmpStamp, XmpUpdate, update_packet

__all__ = ["stamp_pdf"]


def stamp_pdf(
    source: str | Path, output: str | Path, spec: StampSpec, options: StampOptions
) -> StampResult:
    """Stamp ``source`` into ``output`` (which may be ``source``: in place).

    In place through a symbolic link, the file the link points to is stamped (a
    temporary file beside it, renamed over it) and the link is left as it is;
    the result's ``output`` names that file.

    Never raises for a problem with the file: a refusal (or a failure of the PDF
    libraries on a damaged file, code ``stamp.failed``) comes back as a result
    with :attr:`StampResult.error` set, and then nothing was written.
    """
    written = _write_target(Path(source), Path(output))
    result = StampResult(str(source), str(written), StampStatus.REFUSED, pith_number=spec.number)
    try:
        return _stamp(Path(source), written, spec, options, result)
    except PithError as exc:
        return replace(result, error=exc.prefixed(str(source)))
    except StreamError as exc:  # an object of the file that cannot be read (within its cap)
        code = exc.code if exc.code.startswith(("stream.", "page.")) else "pdf.damaged"
        failure = InputError(f"{source}: cannot read the PDF ({exc.message})", code=code)
        return replace(result, error=failure)
    except Exception as exc:  # a file no library could handle must not stop a batch
        failure = InputError(
            f"{source}: stamping failed ({type(exc).__name__}: {exc})", code="stamp.failed"
        )
        return replace(result, error=failure)


def _stamp(
    source: Path, output: Path, spec: StampSpec, options: StampOptions, result: StampResult
) -> StampResult:
    with open_for_stamping(source, options.password, options.limits) as document:
        facts = inspect_pdf(document, badge=options.badge is not None, embed=options.embed_bundle)
        result = replace(
            result,
            signed=facts.signed,
            encrypted=facts.encrypted,
            pdfa=facts.pdfa.label if facts.pdfa else None,
        )
        plan = plan_stamp(document, facts, spec, options)
        result = replace(
            result,
            method=StampMethod.INCREMENTAL if plan.incremental else StampMethod.REWRITE,
            embedded_bundle=plan.embed,
            badge=plan.badge.to_json() if plan.badge else None,
            notes=tuple(plan.notes),
        )
        if options.dry_run:
            return replace(result, status=StampStatus.PLANNED)
        if plan.up_to_date:
            if not _same_file(source, output):
                atomic_write_bytes(output, source.read_bytes())
            return replace(result, status=StampStatus.UNCHANGED, method=StampMethod.NONE)
        update = _xmp_update(facts, plan)
        notes = tuple(plan.notes) + tuple(update.notes)
        if plan.incremental:  # an optional part: signed PDFs and --incremental
            from pithtex.pdf.stamp.incremental import append_update

            append_update(source, output, update, spec, embed=plan.embed)
        else:
            _rewrite(document, output, update, spec, plan, options)
    return replace(result, status=StampStatus.STAMPED, notes=notes)


def _write_target(source: Path, output: Path) -> Path:
    """Where to write: ``output``, or for a stamp in place through a symbolic link (or a
    chain of them) the file it points to, so that the link is not replaced by a copy."""
    if output.is_symlink() and (output == source or _same_file(source, output)):
        return output.resolve()
    return output


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _xmp_update(facts: PdfFacts, plan: StampPlan) -> XmpUpdate:
    stamp = XmpStamp(values=plan.values, modified=plan.modified, title=plan.take_title)
    return update_packet(facts.xmp, stamp, facts.info)


def _rewrite(
    document: EditableDocument,
    output: Path,
    update: XmpUpdate,
    spec: StampSpec,
    plan: StampPlan,
    options: StampOptions,
) -> None:
    document.set_metadata(update.packet)
    document.set_info(update.info)
    if plan.embed:
        document.attach(spec.attachment())
    if plan.badge is not None:  # an optional part: only for --badge
        from pithtex.pdf.stamp.badge import draw_badge

        draw_badge(document, plan.badge, spec)
    document.save(output, deterministic=options.deterministic)

"""PDFs from real producers for the stamper's tests.

Each builder makes one kind of PDF the stamper meets in the wild: pdfLaTeX
with hyperref, Ghostscript from PostScript, reportlab, a PDF/A-2b file from
the ``pdfx`` package, a file with rich XMP from ``hyperxmp``, an encrypted
file (pikepdf) and a signed one (pyHanko, with a self-made certificate).
"""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

from conftest import SEED_TITLE, require_tool

TITLE = SEED_TITLE


def _pdflatex(directory: Path, name: str, source: str) -> Path:
    require_tool("pdflatex")
    (directory / f"{name}.tex").write_text(source)
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    pdf = directory / f"{name}.pdf"
    assert result.returncode == 0 and pdf.exists(), (result.stdout + result.stderr)[-3000:]
    return pdf


def latex_pdf(directory: Path, title: str = TITLE, pages: int = 3) -> Path:
    """pdfLaTeX with hyperref: Info dictionary, no XMP."""
    body = "\n".join(
        rf"\section{{Part {i}}}\lipsum[{1 + i % 40}-{3 + i % 40}]" for i in range(pages * 2)
    )
    return _pdflatex(
        directory,
        "latex",
        rf"""\documentclass{{article}}
\usepackage{{lipsum}}
\usepackage[pdftitle={{{title}}},pdfauthor={{Yang You, Jing Li}}]{{hyperref}}
\title{{{title}}}\author{{Yang You}}
\begin{{document}}\maketitle
{body}
\end{{document}}
""",
    )


def pdfa_pdf(directory: Path, title: str = TITLE, level: str = "a-2b") -> Path:
    """A PDF/A file made by the pdfx package (XMP with its own extension schemas)."""
    (directory / "pdfa.xmpdata").write_text(
        rf"""\Title{{{title}}}
\Author{{Yang You\sep Jing Li}}
\Keywords{{optimization\sep BERT}}
\Subject{{Deep learning}}
"""
    )
    return _pdflatex(
        directory,
        "pdfa",
        rf"""\documentclass{{article}}
\usepackage[{level}]{{pdfx}}
\begin{{document}}
\section*{{{title}}}
Some text for a PDF/A file.
\end{{document}}
""",
    )


DOI = "10.48550/arXiv.1904.00962"


def hyperxmp_pdf(directory: Path, title: str = TITLE) -> Path:
    """Rich XMP written by hyperxmp: rights, DOI, PRISM, language, contact."""
    return _pdflatex(
        directory,
        "hyperxmp",
        rf"""\documentclass{{article}}
\usepackage{{hyperref}}
\usepackage{{hyperxmp}}
\hypersetup{{pdftitle={{{title}}},pdfauthor={{Yang You, Jing Li}},
  pdfkeywords={{optimization, BERT}},pdfcopyright={{Copyright (C) 2019 the authors}},
  pdflicenseurl={{https://creativecommons.org/licenses/by/4.0/}},pdfdoi={{{DOI}}},
  pdfcontactemail={{you@example.org}},pdflang={{en-GB}},pdfpubtype={{journal}}}}
\begin{{document}}
Rich XMP from hyperxmp.
\end{{document}}
""",
    )


def ghostscript_pdf(directory: Path, title: str = TITLE) -> Path:
    """Ghostscript's pdfwrite from PostScript, the title set with pdfmark."""
    require_tool("gs")
    escaped = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    ps = directory / "gs.ps"
    ps.write_text(
        f"""%!PS
[ /Title ({escaped}) /Author (Yang You) /DOCINFO pdfmark
/Times-Roman findfont 14 scalefont setfont
72 720 moveto ({escaped}) show
72 700 moveto (A page written by Ghostscript.) show
showpage
"""
    )
    pdf = directory / "gs.pdf"
    subprocess.run(
        ["gs", "-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-sDEVICE=pdfwrite", f"-o{pdf}", str(ps)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return pdf


def reportlab_pdf(
    path: Path, title: str | None = TITLE, pages: int = 2, page_text: str | None = None
) -> Path:
    """A plain reportlab PDF; ``title=None`` leaves the metadata title out."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
    if title is not None:
        pdf.setTitle(title)
    for page in range(pages):
        text = pdf.beginText(72, 770)
        if page == 0 and page_text:
            text.setFont("Helvetica-Bold", 14)
            text.textLine(page_text)
            text.setFont("Helvetica", 10)
        for line in range(50):
            text.textLine(f"Page {page + 1}, line {line + 1}: lorem ipsum dolor sit amet.")
        pdf.drawText(text)
        pdf.showPage()
    pdf.save()
    return path


def encrypted_pdf(source: Path, target: Path, user: str = "reader", owner: str = "owner") -> Path:
    import pikepdf

    with pikepdf.open(source) as pdf:
        pdf.save(target, encryption=pikepdf.Encryption(user=user, owner=owner, R=6))
    return target


@dataclass
class Signer:
    """A self-made certificate and key for pyHanko, and the means to validate with it."""

    cert_der: bytes
    key_der: bytes

    @classmethod
    def make(cls) -> Signer:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pithtex test signer")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        return cls(
            cert.public_bytes(serialization.Encoding.DER),
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )

    def sign(self, source: Path, target: Path, *, certify: bool = False) -> Path:
        from asn1crypto import keys, x509
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        cert = x509.Certificate.load(self.cert_der)
        signer = signers.SimpleSigner(
            signing_cert=cert,
            signing_key=keys.PrivateKeyInfo.load(self.key_der),
            cert_registry=SimpleCertificateStore.from_certs([cert]),
        )
        meta = signers.PdfSignatureMetadata(
            field_name="Signature1",
            certify=certify,
            docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        )
        with source.open("rb") as handle:
            writer = IncrementalPdfFileWriter(handle, strict=False)
            output = signers.sign_pdf(writer, meta, signer=signer)
        target.write_bytes(output.getvalue())
        return target

    def validate(self, path: Path) -> list[object]:
        """pyHanko's validation status of every signature in ``path``."""
        from asn1crypto import x509
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext

        context = ValidationContext(trust_roots=[x509.Certificate.load(self.cert_der)])
        with path.open("rb") as handle:
            reader = PdfFileReader(handle, strict=False)
            return [validate_pdf_signature(s, context) for s in reader.embedded_signatures]

"""XMP packets: :mod:`~pithtex.pdf.xmp.read` (strict, hardened), :mod:`~pithtex.pdf.xmp.write`."""

__all__: list[str] = []

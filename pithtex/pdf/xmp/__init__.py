"""pithtex.pdf.xmp."""

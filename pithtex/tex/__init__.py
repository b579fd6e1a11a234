"""pithtex.tex."""

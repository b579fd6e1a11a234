"""pithtex.pdf."""

"""pithtex.core."""

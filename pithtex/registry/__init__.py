"""pithtex.registry."""

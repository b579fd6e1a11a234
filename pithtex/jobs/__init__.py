"""pithtex.jobs."""

"""The job layer: running many items in bounded worker processes, with progress and timed steps."""

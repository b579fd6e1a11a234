"""The pipelines layer: whole jobs made of the layers below (arXiv uploads, the demo)."""

"""The LaTeX layer: rendering ``pith.sty`` and the data file, TeX sources, running TeX.

:mod:`~pithtex.tex.render` renders the package and the per-paper data file
from ``templates/``; :mod:`~pithtex.tex.source` finds and adds the pith lines
of a source; :mod:`~pithtex.tex.run` compiles the way arXiv does.
"""

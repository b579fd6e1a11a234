"""The formats layer: what every other layer reads and writes.

Strict and canonical JSON (:mod:`~pithtex.core.canonical`), Pith Numbers
(:mod:`~pithtex.core.numbers`), every digest the formats define
(:mod:`~pithtex.core.digests`), the data model and its strict parser
(:mod:`~pithtex.core.model`), check results (:mod:`~pithtex.core.results`), the
published names (:mod:`~pithtex.core.names`), the resolver URL layout
(:mod:`~pithtex.core.layout`), the QR symbol (:mod:`~pithtex.core.qr`), atomic
file output (:mod:`~pithtex.core.fileio`), per-user paths
(:mod:`~pithtex.core.paths`), errors and exit codes (:mod:`~pithtex.core.errors`).
Nothing here imports another pithtex layer.
"""

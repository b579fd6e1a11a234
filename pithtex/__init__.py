"""pithtex: verifiable Pith Number badges for scientific papers.

The package is a library first; the ``pithtex`` command is a thin layer over
it.  Modules, one concept each:

* :mod:`pithtex.canonical` strict JSON and canonical JSON,
* :mod:`pithtex.numbers` Pith Numbers, :mod:`pithtex.records` hashes,
* :mod:`pithtex.model` the data model and parser,
* :mod:`pithtex.ed25519` strict signatures, :mod:`pithtex.trust` keyring,
* :mod:`pithtex.merge` events to state, :mod:`pithtex.verify` bundle checks,
* :mod:`pithtex.signing` the registry side (keys, records, bundles).

Heavy dependencies (pikepdf, jinja2, cryptography) are imported lazily so
that the command starts fast.
"""

__version__ = "0.1.0"

"""The registry layer: resolvers, the bundle cache, configuration, mirrors and the server.

A Pith Number goes in, a verified bundle comes out
(:class:`~pithtex.registry.resolver.Resolver`), over safe HTTP
(:mod:`~pithtex.registry.http`) and a per-user cache
(:mod:`~pithtex.registry.cache`).  Static mirrors
(:mod:`~pithtex.registry.mirror`) publish the resolver layout as files that
:mod:`~pithtex.registry.server` (or any web server) serves.
"""

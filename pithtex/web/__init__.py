"""The verify page: a web page where a person drops PDFs and sees each one's verdict.

It is one layer, above :mod:`pithtex.pipelines` and below :mod:`pithtex.cli`:

* :mod:`~pithtex.web.limits`: what one request may cost (sizes, files, rate, time);
* :mod:`~pithtex.web.upload`: multipart uploads streamed into a private folder, capped;
* :mod:`~pithtex.web.ratelimit`: a per-client token bucket;
* :mod:`~pithtex.web.work`: the check and the page 1 rendering, in a bounded worker;
* :mod:`~pithtex.web.view`: a report as a reader is shown it (verdict words, checks);
* :mod:`~pithtex.web.pages`: the HTML, from Jinja templates with autoescape;
* :mod:`~pithtex.web.app`: the routes of the page, independent of the HTTP server;
* :mod:`~pithtex.web.local`: ``pithtex ui``, the page alone on 127.0.0.1;
* :mod:`~pithtex.web.mirror`: ``pithtex serve SITE --check-page``, the page on a mirror.

Nothing is imported here, so that importing one module costs only that module.
"""

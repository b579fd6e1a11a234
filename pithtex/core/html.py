"""Putting text into HTML safely: JSON inside ``<script>`` elements.

JSON-LD and page data travel inside ``<script type="...json">`` elements of
the record pages mirrors publish.  Inside such an element the HTML parser
looks for ``</script``, and ``<!--`` switches it into a mode where a later
``<script`` changes where the element ends: a record whose title contains
either could end the element early and blank the rest of the page.
:func:`json_for_script` writes ``<``, ``>`` and ``&`` as JSON escapes, which
leaves the same JSON value and none of those sequences.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["json_for_script"]

_SCRIPT_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def json_for_script(value: Any) -> str:
    """``value`` as JSON text that is safe as the content of a ``<script>`` element."""
    return json.dumps(value, ensure_ascii=False).translate(_SCRIPT_UNSAFE)

"""``python -m pithtex``: the same as the ``pithtex`` command."""

from pithtex.cli import main

raise SystemExit(main())

"""``python -m sandbox``: serve the sandbox (same options as ``markwatch sandbox``)."""

from sandbox.cli import main

main()

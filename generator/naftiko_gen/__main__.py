"""Allow ``python -m naftiko_gen``."""

from naftiko_gen.cli import entry

entry()

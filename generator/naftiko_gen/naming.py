"""Turn spec names (kebab, camelCase, dotted, cut at 80 characters) into safe identifiers."""

from __future__ import annotations

import keyword
import re
import sys

# Names the generated modules already use in the scope a spec-derived identifier lands in; a spec
# name that snakes to one of them gets a suffix (``open`` → ``open_2``) instead of shadowing it.
# Settings fields (also the attributes of Upstreams, which keeps the settings it was given).
RESERVED_SETTINGS_FIELDS = frozenset(
    {"field", "str", "int", "tuple", "mcp_allowed_hosts", "max_body_bytes", "settings"}
)
RESERVED_CLIENT_METHODS = frozenset({"open", "close"})  # _Transport's methods, on every client
RESERVED_CLIENT_ARGS = frozenset({"self", "quote_segment"})  # read inside the client methods
RESERVED_CLIENT_CLASSES = frozenset({"OAuth1Client"})  # imported by upstream.py for OAuth 1.0a
RESERVED_REST_HANDLERS = frozenset(  # names build_app's handlers read from the enclosing scopes
    {"upstreams", "max_body_bytes", "selected", "first_problem"}
    | {"openapi", "invalid_body", "body_too_large"}
)

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")


def snake(name: str) -> str:
    """``placeOrder``/``place-order`` → ``place_order``; never a keyword or a leading digit."""
    text = _WORD_BOUNDARY.sub("_", name)
    text = _NON_ALNUM.sub("_", text).strip("_").lower() or "value"
    if text[0].isdigit():
        text = f"n_{text}"
    if keyword.iskeyword(text) or keyword.issoftkeyword(text) or text.startswith("__"):
        text = f"{text}_"
    return text


def pascal(name: str) -> str:
    """``web-orders`` → ``WebOrders``."""
    return "".join(part[:1].upper() + part[1:] for part in snake(name).split("_") if part)


def env_prefix(namespace: str) -> str:
    """Namespace upper-cased, every non-alphanumeric character turned into ``_``."""
    return _NON_ALNUM.sub("_", namespace).upper()


def dist_name(spec_stem: str) -> str:
    """Distribution name from the spec file name: ``web-sessions.yaml`` → ``web-sessions``."""
    text = _NON_ALNUM.sub("-", spec_stem).strip("-").lower() or "capability"
    if text[0].isdigit():
        text = f"capability-{text}"
    return text


def package_name(dist: str) -> str:
    """Import package for a distribution: ``web-sessions`` → ``web_sessions``; a standard-library
    module name gets a trailing ``_`` (``platform.yaml`` → ``platform_``), since a package named
    ``platform`` could never be imported (the standard library comes first on ``sys.path``)."""
    name = snake(dist)
    return f"{name}_" if name in _STDLIB_NAMES else name


# The standard library of every Python a generated package may run on (3.11 and later), whatever
# interpreter runs naftiko-gen: the running one's names plus those removed since 3.11 (PEP 594)
# and added since, so the same spec gets the same package name everywhere.
_STDLIB_NAMES = frozenset(sys.stdlib_module_names) | {
    *("asynchat", "asyncore", "distutils", "imp", "smtpd", "aifc", "audioop", "cgi", "cgitb"),
    *("chunk", "crypt", "imghdr", "mailcap", "msilib", "nis", "nntplib", "ossaudiodev", "pipes"),
    *("sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib", "lib2to3", "tkinter"),
    *("annotationlib", "compression"),
}


def unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... so sanitised names never collide."""
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate

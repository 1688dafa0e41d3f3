"""What the official examples need beyond their own text: the examples that are meant to be
refused (and the code), and stand-in answers shaped like each example's real upstream."""

from __future__ import annotations

from tests.support.stand_in_upstream import Answer

# Examples written to fail (the engine's own negative tests) or using a feature naftiko-gen
# refuses on purpose: staged name -> the diagnostic code that refuses it.
REFUSED: dict[str, str] = {}

_SHIP = {
    "imo_number": "IMO-9321483",
    "vessel_name": "Northern Star",
    "vessel_type": "bulk_carrier",
    "flag_code": "NO",
    "operational_status": "active",
    "year_built": 2009,
    "gross_tonnage": 51000,
    "dimensions": {"length_overall": 229.0, "beam": 32.3},
}
_REGISTRY = [
    ("GET", r".*/ships", Answer.json([_SHIP, {**_SHIP, "imo_number": "IMO-9400000"}])),
    ("GET", r".*/ships/[^/]+", Answer.json(_SHIP)),
]

# Staged name prefix -> routes of its stand-in upstream (first match answers).
STAND_INS: dict[str, list[tuple[str, str, Answer]]] = {
    "tutorial/": _REGISTRY,
}

# Example -> the "left out" warnings (formatted) it is known to produce; every other example must
# build completely.
LEFT_OUT: dict[str, list[str]] = {}

# (example, tool) -> why an error result is the right answer for the stand-in's data.
TOOL_ERRORS: dict[tuple[str, str], str] = {}


def routes_for(name: str) -> list[tuple[str, str, Answer]]:
    for prefix, routes in STAND_INS.items():
        if name.startswith(prefix):
            return routes
    return []

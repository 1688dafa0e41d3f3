"""What the official examples need beyond their own text: the examples that are meant to be
refused (and the code), stand-in answers shaped like each example's real upstream (in the
example's own ``outputRawFormat``), the results the spec makes obvious, and the generator gaps."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.support.framework_examples import ARGUMENT, DUMMY_SECRET
from tests.support.stand_in_upstream import Answer

# Examples written to fail (the engine's own negative tests) or that naftiko-gen refuses on
# purpose: staged name -> a diagnostic code the refusal carries (the cause, not only the
# "nothing left" error that follows it).
REFUSED: dict[str, str] = {
    # The engine's negative test: the only tool refs `unknown.nonexistent`, which names no
    # aggregate function; the engine fails at load ("Unknown aggregate ref"), we leave the tool
    # out (unknown-ref) and then have nothing to expose.
    "test/aggregates/aggregate-invalid-ref.yaml": "unknown-ref",
    # alpha2 HttpClientSpec rejects a baseUri ending in '/' at load time (semantics §2.1); the
    # example exists to prove that rejection.
    "test/baseuri-trailing-slash-capability.yaml": "bad-value",
    # avro/protobuf need `outputSchema` (the .avsc/.proto path); these examples give none (the
    # engine fails each call with "…requires outputSchema"), so the only operation is left out.
    "test/formats/avro-capability.yaml": "output-schema-missing",
    "test/formats/proto-capability.yaml": "output-schema-missing",
}

# Example -> codes of the "left out" warnings it is known to produce (each correct for it);
# every other example must build completely.
LEFT_OUT: dict[str, list[str]] = {
    # javascript cannot run in a Python package; the python step's script lives at
    # file:///app/capabilities/scripts, a deployment folder the framework repository does not
    # hold, and script files are embedded at build time: both script-step tools are left out
    # (the control port, with /scripting, is still built).
    "schemas/examples/script-step.yml": ["unsupported-script-language", "script-not-found"],
    # The Spectral fixtures have a tool without `name` on purpose (the rule they test flags it);
    # an MCP tool without a name cannot be listed or called.
    "test/rules/spectral-semantics-consistent.yaml": ["unnamed-tool"],
    "test/rules/spectral-semantics-inconsistent.yaml": ["unnamed-tool"],
    # `location` names a skill folder that is not in the corpus (the engine serves it from disk
    # at run time); the instruction cannot be packaged.
    "test/skill-capability.yaml": ["skill-instruction-not-found"],
}

# (example, tool) -> why an error result is the right answer for the stand-in's data.
TOOL_ERRORS: dict[tuple[str, str], str] = {}

# Example -> (the symptom the failure must show, the generator bug behind it: what was
# sent/answered vs expected); the test is marked xfail with that reason only when the failure
# shows that symptom. Not a pass: fix the generator, then delete the entry.
KNOWN_GAPS: dict[str, tuple[str, str]] = {}

# ---------------------------------------------------------------------------------------------
# Stand-in data. Shapes follow the Naftiko shipyard mocks (mocks.naftiko.net) the tutorial uses
# and the engine's own format fixtures (TR:schemas/users.*, products.html, readme.md).

SHIP: dict[str, Any] = {
    "imo_number": ARGUMENT,
    "vessel_name": "Northern Star",
    "vessel_type": "bulk_carrier",
    "flag_code": "NO",
    "operational_status": "active",
    "year_built": 2009,
    "gross_tonnage": 51000,
    "dimensions": {"length_overall": 229.0, "beam": 32.3},
    "assignedCrew": ["CREW-001", "CREW-002"],
}
SHIPS = [SHIP, {**SHIP, "imo_number": "IMO-9400000", "vessel_name": "Polar Dawn"}]
CREW = [
    {"crewId": "CREW-001", "fullName": "Ingrid Hansen", "role": "captain"},
    {"crewId": "CREW-002", "fullName": "Tomas Berg", "role": "chief_engineer"},
    {"crewId": "CREW-003", "fullName": "Ana Silva", "role": "deckhand"},
]
CARGO = [{"cargoId": "CARGO-01", "description": "Iron ore", "weightTonnes": 48000}]
VOYAGE = {
    "voyageId": "VOY-2026-0042",
    "shipImo": ARGUMENT,
    "departurePort": "NOOSL",
    "arrivalPort": "NLRTM",
    "status": "planned",
    "departureDate": "2026-12-01",
    "arrivalDate": "2026-12-05",
    "crewIds": ["CREW-001"],
    "cargoIds": [],
}
LEGACY_VESSELS = [
    {
        "vesselCode": "DV-0117",
        "vesselName": "Harbour Queen",
        "category": "tug",
        "flagState": "DK",
        "operationalStatus": "active",
    },
    {
        "vesselCode": "DV-0220",
        "vesselName": "Old Faithful",
        "category": "barge",
        "flagState": "NL",
        "operationalStatus": "laid_up",
    },
]


def _xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    elements = "".join(
        f"<{item}>" + "".join(f"<{k}>{v}</{k}>" for k, v in row.items()) + f"</{item}>"
        for row in rows
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><{root}>{elements}</{root}>'.encode()


USERS = [
    {"id": "1", "name": "Alice Martin", "email": "alice@example.com"},
    {"id": "2", "name": "Bob Chen", "email": "bob@example.com"},
    {"id": "3", "name": "Chloe Diaz", "email": "chloe@example.com"},
]


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


_USERS_YAML = "users:\n" + "".join(
    f"  - id: {int(u['id'])}\n    name: {u['name']}\n    email: {u['email']}\n" for u in USERS
)
PRODUCTS = [
    {"Name": "Widget", "Price": "$99", "Stock": "12"},
    {"Name": "Gadget", "Price": "$149", "Stock": "3"},
]
_PRODUCTS_HTML = (
    "<html><body><table class='other'><tr><th>Ignored</th></tr><tr><td>x</td></tr></table>"
    "<table class='products'><thead><tr><th>Name</th><th>Price</th><th>Stock</th></tr></thead>"
    "<tbody>"
    + "".join(
        f"<tr><td>{p['Name']}</td><td>{p['Price']}</td><td>{p['Stock']}</td></tr>" for p in PRODUCTS
    )
    + "</tbody></table></body></html>"
)
FEATURES = [{"Feature": "Capabilities", "Status": "GA"}, {"Feature": "Skills", "Status": "Beta"}]
_README_MD = (
    "---\ntitle: Naftiko Readme\n---\n\n# Overview\n\nNaftiko turns specs into servers.\n\n"
    "## Features\n\n| Feature | Status |\n| --- | --- |\n"
    + "".join(f"| {f['Feature']} | {f['Status']} |\n" for f in FEATURES)
)

_REGISTRY = [
    ("GET", r"/ships", Answer.json(SHIPS)),
    ("GET", r"/ships/[^/]+", Answer.json(SHIP)),
    ("GET", r"/crew", Answer.json(CREW)),
    ("GET", r"/cargo", Answer.json(CARGO)),
    ("POST", r"/voyages", Answer.json(VOYAGE, status=201)),
    ("GET", r"/voyages/[^/]+", Answer.json(VOYAGE)),
    # The legacy Dockyard API answers XML (legacy-consumes.yaml: outputRawFormat xml).
    ("GET", r"/vessels", Answer(_xml("vessels", "vessel", LEGACY_VESSELS), "application/xml")),
]

# Staged name prefix -> routes of its stand-in upstream (first match answers).
STAND_INS: dict[str, list[tuple[str, str, Answer]]] = {
    "tutorial/": _REGISTRY,
    "test/formats/xml-capability.yaml": [
        ("GET", r"/api/users", Answer(_xml("root", "user", USERS), "application/xml")),
    ],
    "test/formats/csv-capability.yaml": [
        ("GET", r"/api/users", Answer(_csv(USERS), "text/csv")),
    ],
    "test/formats/yaml-capability.yaml": [
        ("GET", r"/api/users", Answer(_USERS_YAML.encode(), "application/yaml")),
    ],
    "test/formats/html-capability.yaml": [
        ("GET", r"/api/products", Answer(_PRODUCTS_HTML.encode(), "text/html")),
    ],
    "test/formats/markdown-capability.yaml": [
        ("GET", r"/api/readme", Answer(_README_MD.encode(), "text/markdown")),
    ],
}


def routes_for(name: str) -> list[tuple[str, str, Answer]]:
    for prefix, routes in STAND_INS.items():
        if name.startswith(prefix):
            return routes
    return []


# ---------------------------------------------------------------------------------------------
# Results the spec makes obvious, computed from the stand-in data above (never copied from what
# the generated code answered). (example, tool name or "GET /rest/path") -> the JSON expected.

_SHAPED_SHIP = {
    "imo": SHIP["imo_number"],
    "name": SHIP["vessel_name"],
    "type": SHIP["vessel_type"],
    "flag": SHIP["flag_code"],
    "status": SHIP["operational_status"],
}
_SHAPED_SPECS = {
    "yearBuilt": SHIP["year_built"],
    "tonnage": SHIP["gross_tonnage"],
    "length": SHIP["dimensions"]["length_overall"],
}
_SHAPED_LIST = [
    {
        "imo": s["imo_number"],
        "name": s["vessel_name"],
        "type": s["vessel_type"],
        "flag": s["flag_code"],
        "status": s["operational_status"],
    }
    for s in SHIPS
]
_SHAPED_LEGACY = [
    {
        "vesselCode": v["vesselCode"],
        "name": v["vesselName"],
        "type": v["category"],
        "flag": v["flagState"],
        "status": v["operationalStatus"],
    }
    for v in LEGACY_VESSELS
]
_USERS_AS_STRINGS = [{k: str(v) for k, v in u.items()} for u in USERS]

RESULTS: dict[tuple[str, str], Any] = {
    # step-1: a mock; the values are the spec's own, `imo` echoes the argument.
    ("tutorial/step-1-shipyard-mock.yml", "get-ship"): {
        "imo": ARGUMENT,
        "name": "Northern Star",
        "type": "cargo",
        "flag": "NO",
        "status": "active",
    },
    ("tutorial/step-2-shipyard-wiring.yml", "get-ship"): _SHAPED_SHIP,
    ("tutorial/step-3-shipyard-auth.yml", "list-ships"): _SHAPED_LIST,
    ("tutorial/step-4-shipyard-output-shaping.yml", "get-ship"): {
        **_SHAPED_SHIP,
        "specs": _SHAPED_SPECS,
    },
    ("tutorial/step-4-shipyard-output-shaping.yml", "list-ships"): _SHAPED_LIST,
    # step-5: the legacy XML (root dropped, repeated <vessel> -> array) shaped by `$.vessel`.
    ("tutorial/step-5-shipyard-multi-source.yml", "list-legacy-vessels"): _SHAPED_LEGACY,
    # step-6: the voyage the registry answered, regrouped (route, dates) by the spec's mapping.
    ("tutorial/step-6-shipyard-write-operations.yml", "create-voyage"): {
        "voyageId": VOYAGE["voyageId"],
        "shipImo": VOYAGE["shipImo"],
        "route": {"from": VOYAGE["departurePort"], "to": VOYAGE["arrivalPort"]},
        "dates": {"departure": VOYAGE["departureDate"], "arrival": VOYAGE["arrivalDate"]},
        "crewIds": VOYAGE["crewIds"],
        "cargoIds": VOYAGE["cargoIds"],
        "status": VOYAGE["status"],
    },
    ("tutorial/step-8-shipyard-skill-groups.yml", "list-ships"): _SHAPED_LIST,
    # step-9: the aggregate's lookup resolves the ship's assignedCrew against /crew.
    ("tutorial/step-9-shipyard-aggregates.yml", "get-ship-with-crew"): {
        **_SHAPED_SHIP,
        **_SHAPED_SPECS,
        "crew": [
            {"fullName": c["fullName"], "role": c["role"]}
            for c in CREW
            if c["crewId"] in SHIP["assignedCrew"]
        ],
    },
    ("tutorial/step-10-shipyard-rest-adapter.yml", "GET /ships"): _SHAPED_LIST,
    # XML leaf values are strings; root <root> is dropped, so `$.root.user` finds nothing in the
    # engine (XmlIntegrationTest: `{"user":[…]}`) -- checked only via the status above.
    ("test/formats/csv-capability.yaml", "GET /csv/users"): _USERS_AS_STRINGS,
    ("test/formats/yaml-capability.yaml", "GET /yaml/users"): [
        {"id": int(u["id"]), "name": u["name"], "email": u["email"]} for u in USERS
    ],
    ("test/formats/html-capability.yaml", "GET /html/products"): [
        {"name": p["Name"], "price": p["Price"], "stock": p["Stock"]} for p in PRODUCTS
    ],
    ("test/formats/markdown-capability.yaml", "GET /markdown/features"): [
        {"feature": f["Feature"], "status": f["Status"]} for f in FEATURES
    ],
}

# What the upstream must have received. Example -> headers on every upstream request (secrets are
# all DUMMY_SECRET); (example, tool) -> the JSON body of the call's last upstream request.
SENT_HEADERS: dict[str, dict[str, str]] = {
    # step-3: bearer auth from REGISTRY_TOKEN and the Registry-Version header from its bind.
    "tutorial/step-3-shipyard-auth.yml": {
        "authorization": f"Bearer {DUMMY_SECRET}",
        "registry-version": DUMMY_SECRET,
    },
}
SENT_BODIES: dict[tuple[str, str], Any] = {
    # step-6: the consumed operation's body template, filled with the tool's arguments (strings
    # quoted, arrays as JSON).
    ("tutorial/step-6-shipyard-write-operations.yml", "create-voyage"): {
        "shipImo": ARGUMENT,
        "departurePort": ARGUMENT,
        "arrivalPort": ARGUMENT,
        "departureDate": ARGUMENT,
        "arrivalDate": ARGUMENT,
        "crewIds": [],
        "cargoIds": [],
    },
}

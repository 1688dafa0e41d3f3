"""naftiko_gen.examples: the README's curl line per REST route, with example inputs."""

from __future__ import annotations

import shlex
from pathlib import Path

from naftiko_gen.build import generate, validate
from naftiko_gen.examples import rest_examples

from tests.support.paths import SPEC_FILES

SPEC = """\
naftiko: 1.0.0-alpha2
info: {label: Odd paths}
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.test
    resources:
    - name: r
      path: /r/{id}
      operations:
      - name: get-r
        method: GET
        inputParameters: [{name: id, in: path}, {name: q, in: query}, {name: n, in: query}]
  exposes:
  - type: rest
    namespace: odd-rest
    port: 8181
    resources:
    - path: "/caf\u00e9 & 'bar'/{id}"
      operations:
      - method: GET
        name: get-r
        call: api.get-r
        inputParameters:
        - {name: id, in: path, type: integer, required: true}
        - {name: q, in: query, type: string, required: false}
        - {name: n, in: query, type: array, required: false}
        with: {id: odd-rest.id, q: odd-rest.q, n: odd-rest.n}
"""


def test_literal_path_parts_and_values_are_percent_encoded(tmp_path: Path) -> None:
    spec = tmp_path / "odd.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    model, _ = validate(spec)

    (example,) = rest_examples(model)

    assert example.method == "GET"
    assert example.url == "http://127.0.0.1:8181/caf%C3%A9%20%26%20%27bar%27/1?q=Q&n=%5B%5D"
    assert example.body is None
    readme = generate(spec).files["README.md"]
    (line,) = [line for line in readme.splitlines() if line.startswith("curl -sS -X")]
    assert shlex.split(line) == ["curl", "-sS", "-X", "GET", example.url]


def test_every_committed_route_has_one_example() -> None:
    for spec in SPEC_FILES:
        model, _ = validate(spec)
        assert model.rest is not None
        examples = rest_examples(model)
        assert [e.method for e in examples] == [op.http_method for op in model.rest.operations]
        assert all(e.url.startswith(f"http://127.0.0.1:{model.rest.port}/") for e in examples)
        assert not [e for e in examples if "{" in e.url]

"""``make corpus`` on a three-file corpus made here: it must not need ../shared to be tested.

One spec builds (a copy of the seed spec), one is refused, one is not Naftiko at all. The run goes
through the real process pool and the real package probe, so this also proves a built package is
imported and its routes and tools are compared.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from naftiko_gen.build import generate

from tests.integration.test_rest_forward import SPEC as FORWARD
from tests.support.corpus_probe import FORWARD_METHODS, probe
from tests.support.corpus_report import (
    BEGIN,
    BROKEN,
    BUILT,
    CRASHED,
    END,
    REFUSED,
    Job,
    Row,
    render,
    run,
    run_file,
    summarise,
    unflattened,
)
from tests.support.paths import SPECS

REFUSED_SPEC = """\
naftiko: 1.0.0-alpha2
info:
  label: Calls an operation that does not exist
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://example.com
    resources:
    - name: things
      path: /things
      operations:
      - name: list-things
        method: GET
  exposes:
  - type: mcp
    namespace: api-mcp
    port: 9090
    tools:
    - name: list-things
      description: List things
      call: api.missing-operation
"""

NOT_NAFTIKO = """\
openapi: 3.0.0
info:
  title: An OpenAPI document, not a capability
  version: "1"
paths: {}
"""

HAND_WRITTEN = "# Corpus\n\nHand-written intro that reruns keep.\n"


def make_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    folder = corpus / "api-evangelist" / "demo"
    folder.mkdir(parents=True)
    # Renamed so its package is not the web_sessions a developer may have pip-installed.
    shutil.copy(SPECS / "web-sessions.yaml", folder / "ibkr-sessions.yaml")
    (folder / "calls-nothing.yaml").write_text(REFUSED_SPEC, encoding="utf-8")
    (corpus / "naftiko-framework" / "main").mkdir(parents=True)
    (corpus / "naftiko-framework" / "main" / "openapi.yml").write_text(NOT_NAFTIKO, "utf-8")
    # The manifest overrides the version the file declares, as the real MANIFEST.tsv does.
    (corpus / "MANIFEST.tsv").write_text(
        "relpath\trepo\tnaftiko_version\n"
        "api-evangelist/demo/calls-nothing.yaml\tdemo\t1.0.0-alpha1\n",
        encoding="utf-8",
    )
    return corpus


def test_three_file_corpus(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path)
    doc = tmp_path / "corpus.md"
    doc.write_text(f"{HAND_WRITTEN}\n{BEGIN}\nstale numbers\n{END}\n\nOutro.\n", encoding="utf-8")

    rows, summary, report = run(corpus, workers=1, timeout=120, out=tmp_path / "out", doc=doc)

    with (tmp_path / "out" / "results.tsv").open(encoding="utf-8", newline="") as stream:
        table = {r["relpath"]: r for r in csv.DictReader(stream, delimiter="\t")}
    assert set(table) == {
        "api-evangelist/demo/calls-nothing.yaml",
        "api-evangelist/demo/ibkr-sessions.yaml",
        "naftiko-framework/main/openapi.yml",
    }
    built = table["api-evangelist/demo/ibkr-sessions.yaml"]
    assert (built["outcome"], built["naftiko_version"], built["group"]) == (
        BUILT,
        "1.0.0-alpha2",
        "api-evangelist",
    )
    assert (built["routes"], built["tools"], built["detail"]) == ("1", "1", "")
    refused = table["api-evangelist/demo/calls-nothing.yaml"]
    assert (refused["outcome"], refused["naftiko_version"]) == (REFUSED, "1.0.0-alpha1")
    assert refused["codes"]  # which code is the generator's business; that there is one is ours
    foreign = table["naftiko-framework/main/openapi.yml"]
    assert (foreign["outcome"], foreign["naftiko_version"], foreign["group"]) == (
        REFUSED,
        "none",
        "naftiko-framework",
    )
    assert foreign["codes"]
    # Every refused row keeps one diagnostic per code for the report's examples.
    assert all(dict(r.examples).keys() == set(r.codes) for r in rows if r.outcome == REFUSED)

    assert summary.total == 3
    assert summary.counts == {BUILT: 1, BROKEN: 0, REFUSED: 2, CRASHED: 0}
    assert (summary.real, summary.real_built, summary.missing_import) == (2, 1, 0)
    assert summary.unlabelled_refusals == []
    assert summary.ok
    assert "| 0 crashes | PASS | 0 crashed |" in report
    assert "MISS | 50.0% (1 of 2) |" in report
    assert "`naftiko-framework/main/openapi.yml`" in report  # listed as a refused example
    assert str(corpus) not in report  # examples name files relative to the corpus

    text = doc.read_text(encoding="utf-8")
    assert text.startswith(HAND_WRITTEN)
    assert text.rstrip().endswith("Outro.")
    assert "stale numbers" not in text
    assert report in text


def test_crashes_missing_imports_and_unlabelled_refusals_are_counted() -> None:
    def row(name: str, outcome: str, codes: tuple[str, ...] = ()) -> Row:
        return Row(
            f"api-evangelist/x/{name}.yaml", "1.0.0-alpha2", "api-evangelist", outcome, codes, 0
        )

    rows = [
        row("ok", BUILT),
        row("boom", CRASHED),
        row("lost-import", REFUSED, ("import-unreadable", "unknown-operation")),
        row("silent", REFUSED),
    ]
    summary = summarise(rows, 1.0)

    assert (summary.real, summary.real_built, summary.missing_import) == (4, 1, 1)
    assert (summary.real_rate, summary.resolvable_rate) == (0.25, 1 / 3)
    assert summary.unlabelled_refusals == ["api-evangelist/x/silent.yaml"]
    assert not summary.ok
    report = render(rows, summary, workers=2)
    assert "| 0 crashes | MISS | 1 crashed |" in report
    assert "| every refusal carries an error code | MISS |" in report


TUTORIAL = """\
naftiko: 1.0.0-alpha2
info: {label: Imports its consumes}
capability:
  consumes:
  - {import: registry, location: ./shared/registry.yaml}
  exposes:
  - type: mcp
    namespace: tools
    port: 9090
    tools:
    - {name: list-ships, description: List ships, call: registry.list-ships}
"""
SHARED_CONSUMES = """\
naftiko: 1.0.0-alpha2
consumes:
- type: http
  namespace: registry
  baseUri: https://registry.example.test
  resources:
  - {name: ships, path: /ships, operations: [{name: list-ships, method: GET}]}
"""


def test_framework_files_are_copied_back_into_their_tree_so_imports_resolve(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "corpus" / "naftiko-framework" / "v1.0.0-alpha2"
    folder.mkdir(parents=True)
    (folder / "tutorial__step-5.yml").write_text(TUTORIAL, "utf-8")
    (folder / "tutorial__shared__registry.yaml").write_text(SHARED_CONSUMES, "utf-8")
    jobs = [
        Job(folder / name, f"naftiko-framework/v1.0.0-alpha2/{name}", "1.0.0-alpha2", 120)
        for name in ("tutorial__shared__registry.yaml", "tutorial__step-5.yml")
    ]

    staged = unflattened(jobs, tmp_path / "staging")
    in_place = run_file(jobs[1])
    in_tree = run_file(staged[1])

    assert staged[1].path == tmp_path / "staging" / "naftiko-framework" / "v1.0.0-alpha2" / (
        "tutorial/step-5.yml"
    )
    assert staged[1].relpath == jobs[1].relpath
    assert (in_place.outcome, in_place.codes) == (REFUSED, ("import-unreadable",))
    assert (in_tree.outcome, in_tree.tools) == (BUILT, 1)


def test_the_probe_expects_every_method_of_a_forward_rule_and_nothing_else(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "forwarding.yaml"
    spec.write_text(FORWARD, "utf-8")

    generated = generate(spec)
    rest = generated.model.rest
    assert rest is not None and rest.forwards

    result = probe(generated)

    assert result.problem == ""
    assert result.routes == len(rest.forwards) * len(FORWARD_METHODS) + len(rest.operations)

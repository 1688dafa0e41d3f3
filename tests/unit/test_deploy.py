"""The generated Dockerfile and Kubernetes manifests, checked statically.

No container engine or cluster runs here (nor in CI): manifests are validated against the
Kubernetes OpenAPI schemas (``kubernetes-validate``, strict: unknown fields are errors), the
Dockerfile is parsed (``dockerfile-parse``) and its build context is turned into a wheel with pip,
which is what its first stage runs. ``docker build`` itself and a real rollout are not run.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser
from naftiko_gen.build import default_output, validate
from naftiko_gen.deploy import deploy_plan
from naftiko_gen.render import yaml_string

from tests.support.packages import build
from tests.support.paths import GENERATED, SPEC_FILES

K8S_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")

BINDS_SPEC = """\
naftiko: 1.0.0-alpha2
info: {label: Bind files}
binds:
- namespace: vault-env
  location: file:///./secrets.yaml
  keys: {NOTES_TOKEN: notes_token, NOTES_USER: notes.user}
- namespace: env
  keys: {NOTES_API_KEY: NOTES_API_KEY}
capability:
  consumes:
  - type: http
    namespace: notes
    baseUri: https://notes.example.test
    authentication: {type: bearer, token: '{{NOTES_TOKEN}}{{NOTES_USER}}{{NOTES_API_KEY}}'}
    resources:
    - {name: notes, path: /notes, operations: [{name: list-notes, method: GET}]}
  exposes:
  - type: mcp
    namespace: notes-mcp
    port: 9191
    tools:
    - {name: list-notes, description: List notes, call: notes.list-notes}
"""

SKILLS_SPEC = """\
naftiko: 1.0.0-alpha2
info: {label: Skills only}
capability:
  exposes:
  - type: skill
    namespace: just-skills
    port: 8095
    skills:
    - {name: onboarding-guide, description: A purely descriptive skill}
"""


@pytest.fixture(scope="module")
def extra_packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Shapes the committed specs do not have: bind files + MCP only, and skills only (whose
    file name is also too long for a Kubernetes name)."""
    return {
        "bind-files": build(BINDS_SPEC, "bind-files", tmp_path_factory.mktemp("binds")),
        "skills": build(SKILLS_SPEC, "skills-" + "x" * 70, tmp_path_factory.mktemp("skills")),
    }


def all_packages(extra: dict[str, Path]) -> list[Path]:
    return [default_output(spec, GENERATED) for spec in SPEC_FILES] + list(extra.values())


def manifests(package: Path) -> dict[str, dict[str, Any]]:
    """``kind`` → object, for every document of ``deploy/k8s/*.yaml``."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((package / "deploy" / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text("utf-8")):
            found[document["kind"]] = document
    return found


def container(package: Path) -> dict[str, Any]:
    (only,) = manifests(package)["Deployment"]["spec"]["template"]["spec"]["containers"]
    return dict(only)


def listeners(package: Path) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container(package)["ports"]}


def console_script(package: Path) -> str:
    pyproject = tomllib.loads((package / "pyproject.toml").read_text("utf-8"))
    (script,) = pyproject["project"]["scripts"]
    return str(script)


# -- Kubernetes ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_manifests_are_valid_kubernetes_objects(
    extra_packages: dict[str, Path], version: str
) -> None:
    for package in all_packages(extra_packages):
        found = manifests(package)
        assert sorted(found) == ["Deployment", "HorizontalPodAutoscaler", "Service"], package
        for document in found.values():
            kubernetes_validate.validate(document, version, strict=True)


def test_the_validator_really_rejects_a_misspelt_field() -> None:
    deployment = manifests(GENERATED / "web_sessions")["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[0], strict=True)


def test_names_labels_and_selectors_tie_the_objects_together(
    extra_packages: dict[str, Path],
) -> None:
    for package in all_packages(extra_packages):
        found = manifests(package)
        deployment, service, hpa = (
            found["Deployment"],
            found["Service"],
            found["HorizontalPodAutoscaler"],
        )
        name = deployment["metadata"]["name"]
        assert DNS_1035.match(name), name
        assert service["metadata"]["name"] == hpa["metadata"]["name"] == name
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"] == labels
        assert service["spec"]["selector"] == labels
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert hpa["spec"]["minReplicas"] >= 2
        assert {(p["name"], p["port"], p["targetPort"]) for p in service["spec"]["ports"]} == {
            (kind, port, kind) for kind, port in listeners(package).items()
        }


def test_probes_call_healthz_on_a_declared_port(extra_packages: dict[str, Path]) -> None:
    for package in all_packages(extra_packages):
        spec = container(package)
        for probe in ("readinessProbe", "livenessProbe"):
            http_get = spec[probe]["httpGet"]
            assert http_get["path"] == "/healthz"
            assert http_get["port"] in listeners(package)


def test_the_pod_runs_as_non_root_without_privileges(extra_packages: dict[str, Path]) -> None:
    for package in all_packages(extra_packages):
        pod = manifests(package)["Deployment"]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        security = container(package)["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["readOnlyRootFilesystem"] is True
        assert security["capabilities"]["drop"] == ["ALL"]


def test_every_bind_variable_comes_from_a_secret_and_no_value_is_written(
    extra_packages: dict[str, Path],
) -> None:
    packages = [(default_output(s, GENERATED), s) for s in SPEC_FILES]
    binds = extra_packages["bind-files"]
    packages.append((binds, binds.parent / "bind-files.yaml"))
    for package, spec in packages:
        model, _ = validate(spec)
        plan = deploy_plan(model)
        spec_env = container(package).get("env", [])
        by_name = {entry["name"]: entry for entry in spec_env}
        pod = manifests(package)["Deployment"]["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["name"]: m for m in container(package)["volumeMounts"]}
        if spec.name == "conformance-tools.yaml":  # an open fixture upstream: no secret at all
            assert not model.secrets
            assert not [e for e in spec_env if "secretKeyRef" in e.get("valueFrom", {})]
            assert "Secret" not in manifests(package)
            continue
        assert model.secrets, package
        for secret in model.secrets:
            if secret.bind_file is None:
                entry = by_name[secret.env_var]
                assert "value" not in entry
                assert entry["valueFrom"]["secretKeyRef"]["name"] == plan.secret_name
                assert entry["valueFrom"]["secretKeyRef"]["key"] == secret.env_var
                continue
            override = by_name[secret.bind_file_override or ""]["value"]
            (mount,) = [m for m in mounts.values() if override.startswith(m["mountPath"] + "/")]
            assert mount["readOnly"] is True
            volume = volumes[mount["name"]]["secret"]
            assert volume["secretName"] == plan.bind_files_secret
            assert [item["path"] for item in volume["items"]] == [override.rsplit("/", 1)[1]]
        secret_names = {s.env_var for s in model.secrets}
        assert not [e for e in spec_env if e["name"] in secret_names and "value" in e]


def test_bind_files_mount_one_secret_volume_per_bind_namespace(
    extra_packages: dict[str, Path],
) -> None:
    package = extra_packages["bind-files"]
    env = {e["name"]: e for e in container(package)["env"]}

    assert env["VAULT_ENV_BIND_FILE"]["value"] == "/etc/bind-files/vault-env/secrets.yaml"
    assert env["NOTES_API_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "bind-files-secrets",
        "key": "NOTES_API_KEY",
    }
    readme = (package / "README.md").read_text("utf-8")
    assert "--from-file=vault-env-secrets.yaml=./secrets.yaml" in readme
    assert "--from-literal=NOTES_API_KEY=..." in readme


def test_mcp_allowed_hosts_name_the_service_in_the_pod_namespace() -> None:
    env = {e["name"]: e for e in container(GENERATED / "web_sessions")["env"]}
    names = list(env)

    hosts = env["WEB_SESSIONS_MCP_ALLOWED_HOSTS"]["value"].split(",")

    assert "web-sessions:*" in hosts
    assert "web-sessions.$(POD_NAMESPACE).svc.cluster.local:*" in hosts
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    # $(VAR) only expands variables defined earlier in the list.
    assert names.index("POD_NAMESPACE") < names.index("WEB_SESSIONS_MCP_ALLOWED_HOSTS")


def test_a_skill_only_package_has_no_mcp_or_secret_settings(
    extra_packages: dict[str, Path],
) -> None:
    package = extra_packages["skills"]
    spec = container(package)

    assert "env" not in spec
    assert listeners(package) == {"skill": 8095}
    assert len(manifests(package)["Service"]["metadata"]["name"]) <= 63


# -- Dockerfile ------------------------------------------------------------------------------


def instructions(package: Path) -> list[dict[str, Any]]:
    parser = DockerfileParser(str(package / "Dockerfile"))
    return [i for i in parser.structure if i["instruction"] != "COMMENT"]


def final_stage(package: Path) -> list[dict[str, Any]]:
    steps = instructions(package)
    last_from = max(n for n, i in enumerate(steps) if i["instruction"] == "FROM")
    return steps[last_from:]


def only(steps: list[dict[str, Any]], instruction: str) -> str:
    (value,) = [i["value"] for i in steps if i["instruction"] == instruction]
    return str(value)


def test_dockerfile_runs_as_non_root_with_a_healthcheck_and_the_listener_ports(
    extra_packages: dict[str, Path],
) -> None:
    for package in all_packages(extra_packages):
        stage = final_stage(package)
        parser = DockerfileParser(str(package / "Dockerfile"))
        assert re.fullmatch(r"python:[0-9.]+-slim", parser.baseimage), parser.baseimage

        user = only(stage, "USER").split(":")[0]
        assert user not in ("", "0", "root")
        assert [i["instruction"] for i in stage].index("USER") < [
            i["instruction"] for i in stage
        ].index("CMD")

        ports = {int(p) for p in only(stage, "EXPOSE").split()}
        assert ports == set(listeners(package).values())

        options, _, check = only(stage, "HEALTHCHECK").partition("CMD")
        assert "--interval=" in options and "--timeout=" in options
        command = json.loads(check)
        probe_port = listeners(package)[container(package)["livenessProbe"]["httpGet"]["port"]]
        assert command[:2] == ["python", "-c"]
        assert f"http://127.0.0.1:{probe_port}/healthz" in command[2]


def test_dockerfile_cmd_serves_every_listener_on_all_interfaces(
    extra_packages: dict[str, Path],
) -> None:
    for package in all_packages(extra_packages):
        cmd = json.loads(only(final_stage(package), "CMD"))

        assert cmd[:4] == [console_script(package), "serve", "--host", "0.0.0.0"]
        flags = dict(zip(cmd[4::2], cmd[5::2], strict=True))
        assert flags == {f"--{kind}-port": str(port) for kind, port in listeners(package).items()}
        # The Deployment runs the same command (args replace CMD; the image has no ENTRYPOINT).
        assert container(package)["args"] == cmd
        assert not [i for i in instructions(package) if i["instruction"] == "ENTRYPOINT"]


def test_the_build_context_makes_a_wheel_with_the_console_script(tmp_path: Path) -> None:
    """What the Dockerfile's first stage runs (``pip wheel .``) on the context ``.dockerignore``
    leaves: the wheel must carry the package and the script CMD starts."""
    package = GENERATED / "web_sessions"
    ignored = [
        line.strip()
        for line in (package / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    context = tmp_path / "context"
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package).as_posix()
        if path.is_file() and not dockerignored(relative, ignored):
            (context / relative).parent.mkdir(parents=True, exist_ok=True)
            (context / relative).write_bytes(path.read_bytes())
    copied = {p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file()}
    assert "pyproject.toml" in copied and "README.md" in copied
    assert not [p for p in copied if p.startswith("deploy/") or p == "Dockerfile"]

    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path / "wheels"),
            str(context),
        ],
        check=True,
    )

    (wheel,) = (tmp_path / "wheels").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (entry_points,) = [n for n in names if n.endswith("entry_points.txt")]
        scripts = archive.read(entry_points).decode()
    assert "web_sessions/cli.py" in names and "web_sessions/openapi.json" in names
    assert "web-sessions = web_sessions.cli:main" in scripts


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Enough of Docker's ``.dockerignore`` matching for the patterns naftiko-gen writes."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for pattern in patterns:
        bare = pattern.rstrip("/")
        if bare.startswith("**/"):
            if any(fnmatch.fnmatch(part, bare[3:]) for part in parts):
                return True
        elif any(fnmatch.fnmatch(prefix, bare) for prefix in prefixes):
            return True
    return False


# -- escaping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "",
        'quote " and \\ backslash',
        "colon: hash # dash - star * amp & bang ! percent % at @ backtick `",
        "new\nline\ttab\r\x00nul\x07bell\x7fdel\x85nel\u2028ls\ufeffbom",
        "yes",
        "null",
        "0o17",
        "1e3",
        "~",
        "emoji 😀 and astral \U0001f600",
        "{{ jinja }} {% x %} $(VAR) ${VAR}",
    ],
)
def test_yaml_filter_round_trips_any_text(text: str) -> None:
    document = f"key: {yaml_string(text)}\nlist: [{yaml_string(text)}]\n"

    assert yaml.safe_load(document) == {"key": text, "list": [text]}
    assert "\n" not in yaml_string(text)

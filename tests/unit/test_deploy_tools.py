"""The deployment files pass the tools a platform team runs on them.

helm lint --strict and helm template for every values file in helm/packyard/ci, Kubernetes
schema validation of each render for the oldest and newest supported Kubernetes versions,
`docker compose config`, compose-lint, hadolint and yamllint. Every tool but helm is a
pip package of the [test] extra; helm comes from $PACKYARD_HELM (.ci/run installs it). Where a
tool is missing the test skips, except in CI (PACKYARD_CI=1), where it fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "packyard"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
# Chart.yaml's kubeVersion is the floor; the newest is the newest release the chart is checked
# against. kubernetes-validate ships schemas for both.
KUBERNETES_VERSIONS = ("1.27.0", "1.34.0")
YAML_FILES = [
    CHART / "values.yaml",
    *CI_VALUES,
    *sorted((ROOT / "helm" / "examples").glob("*.yaml")),
    ROOT / "docker-compose.yml",
    *sorted((ROOT / "deploy").glob("*.yaml")),
]


def tool(name: str) -> str:
    """The tool's path: beside this interpreter (the venv's console scripts), then on PATH."""
    if name == "helm" and os.environ.get("PACKYARD_HELM"):
        return os.environ["PACKYARD_HELM"]
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        assert not os.environ.get("PACKYARD_CI"), f"CI is expected to have {name}"
        pytest.skip(f"{name} is not installed (pip install -e '.[test]'; helm: $PACKYARD_HELM)")
    return found


def run(args: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=120, env=env or os.environ.copy()
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{output}"
    return output


def helm_env(tmp_path: Path) -> dict[str, str]:
    # helm writes its cache and config under HOME; keep it off the developer's.
    return {**os.environ, "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}


def test_there_are_ci_values_for_the_main_configurations() -> None:
    assert {p.name for p in CI_VALUES} >= {
        "test-values.yaml",
        "minimal-values.yaml",
        "ha-values.yaml",
    }


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_helm_lint_strict_passes(values: Path, tmp_path: Path) -> None:
    run([tool("helm"), "lint", "--strict", str(CHART), "-f", str(values)], env=helm_env(tmp_path))


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_renders_are_valid_kubernetes_objects_for_the_oldest_and_newest_version(
    values: Path, tmp_path: Path
) -> None:
    rendered = run(
        [tool("helm"), "template", "rel", str(CHART), "-f", str(values)], env=helm_env(tmp_path)
    )
    objects = [o for o in yaml.safe_load_all(rendered) if o]
    assert [o["kind"] for o in objects].count("Deployment") == 4
    manifest = tmp_path / "rendered.yaml"
    manifest.write_text(rendered)
    for version in KUBERNETES_VERSIONS:
        output = run(
            [tool("kubernetes-validate"), "--strict", "--quiet", "-k", version, str(manifest)]
        )
        # Only cert-manager's own kinds have no schema in the Kubernetes set.
        unknown = [
            line
            for line in output.splitlines()
            if "Couldn't find schema" in line and "cert-manager.io" not in line
        ]
        assert unknown == [], output


def test_chart_kube_version_is_the_oldest_version_validated() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["kubeVersion"] == f">={KUBERNETES_VERSIONS[0]}-0"


def test_docker_compose_config_accepts_the_compose_file(tmp_path: Path) -> None:
    # The secret files need not exist for `config`; a scratch directory keeps it honest.
    env = {**os.environ, "PACKYARD_SECRETS": str(tmp_path)}
    run([tool("docker-compose"), "-f", "docker-compose.yml", "config", "--quiet"], env=env)


def test_compose_lint_finds_nothing_high_or_critical() -> None:
    run([tool("compose-lint"), "check", "--fail-on", "high", "docker-compose.yml"])


def test_hadolint_passes_the_dockerfile() -> None:
    run([tool("hadolint"), "deploy/Dockerfile"])


def test_yamllint_passes_the_values_compose_and_deploy_files() -> None:
    run([tool("yamllint"), "--strict", "-c", ".yamllint", *map(str, YAML_FILES)])


def render(values: str, tmp_path: Path) -> list[dict]:
    rendered = run(
        [tool("helm"), "template", "rel", str(CHART), "-f", str(CHART / "ci" / values)],
        env=helm_env(tmp_path),
    )
    return [o for o in yaml.safe_load_all(rendered) if o]


def by_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {
        o["metadata"]["labels"].get("app.kubernetes.io/component", o["metadata"]["name"]): o
        for o in objects
        if o["kind"] == kind
    }


def test_ha_values_scale_spread_and_schedule_every_component(tmp_path: Path) -> None:
    objects = render("ha-values.yaml", tmp_path)
    components = {"gateway", "metadata", "blob", "connector"}
    deployments = by_kind(objects, "Deployment")
    assert set(by_kind(objects, "HorizontalPodAutoscaler")) == components
    assert set(by_kind(objects, "PodDisruptionBudget")) == components
    for name, deployment in deployments.items():
        # The HPA owns the replica count.
        assert "replicas" not in deployment["spec"], name
        pod = deployment["spec"]["template"]["spec"]
        assert pod["nodeSelector"] == {"node-role.example.com/packyard": "true"}, name
        assert pod["tolerations"][0]["value"] == "packyard", name
    gateway = deployments["gateway"]["spec"]["template"]["spec"]
    assert gateway["priorityClassName"] == "packyard-critical"
    spread = gateway["topologySpreadConstraints"]
    assert [c["topologyKey"] for c in spread] == [
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
    ]
    assert all(
        c["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == "gateway"
        for c in spread
    )
    metadata = deployments["metadata"]["spec"]["template"]["spec"]
    assert "podAntiAffinity" in metadata["affinity"]
    connector_env = {
        e["name"]: e
        for e in deployments["connector"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert connector_env["HTTPS_PROXY"]["valueFrom"] == {
        "secretKeyRef": {"name": "egress-proxy", "key": "url"}
    }
    # NATS passwords given as values live in the chart's Secret, like every other credential.
    secret = by_kind(objects, "Secret")["rel-packyard"]
    assert set(secret["stringData"]) == {"nats-metadata-password", "nats-gateway-password"}
    for name in ("metadata", "gateway"):
        env = {
            e["name"]: e
            for e in deployments[name]["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        assert env["PACKYARD_NATS_USER"]["value"] == name
        assert env["PACKYARD_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": "rel-packyard",
            "key": f"nats-{name}-password",
        }
    blob = deployments["blob"]["spec"]["template"]["spec"]
    assert {"name": "s3-ca", "configMap": {"name": "s3-ca-bundle"}} in blob["volumes"]
    assert "/etc/ssl/s3" in {m["mountPath"] for m in blob["containers"][0]["volumeMounts"]}
    services = by_kind(objects, "Service")
    for name in ("metadata", "blob", "connector"):
        assert services[name]["spec"]["clusterIP"] == "None", name
    assert "clusterIP" not in services["gateway"]["spec"]


def test_minimal_values_take_every_credential_from_existing_secrets(tmp_path: Path) -> None:
    objects = render("minimal-values.yaml", tmp_path)
    kinds = {o["kind"] for o in objects}
    assert "Secret" not in kinds and "PodDisruptionBudget" not in kinds
    refs = {
        (e["name"], e["valueFrom"]["secretKeyRef"]["name"])
        for d in by_kind(objects, "Deployment").values()
        for e in d["spec"]["template"]["spec"]["containers"][0]["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert refs >= {
        ("PACKYARD_DATABASE_URL", "packyard-postgres"),
        ("PACKYARD_S3_ACCESS_KEY", "packyard-s3"),
        ("PACKYARD_S3_SECRET_KEY", "packyard-s3"),
        ("PACKYARD_NATS_PASSWORD", "packyard-nats"),
        ("PACKYARD_ADMIN_KEY", "packyard-admin"),
    }


def test_nats_chart_example_gives_the_users_of_deploy_nats_conf() -> None:
    conf = (ROOT / "deploy" / "nats.conf").read_text()
    wanted = {
        user: json.loads(permissions)
        for user, permissions in re.findall(
            r'user: "(\w+)"\s+password: \S+\s+permissions: (\{.*\})', conf
        )
    }
    example = yaml.safe_load((ROOT / "helm" / "examples" / "nats-values.yaml").read_text())
    users = example["config"]["merge"]["authorization"]["users"]
    assert {u["user"]: u["permissions"] for u in users} == wanted
    assert set(wanted) == {"metadata", "gateway"}
    assert example["config"]["cluster"]["replicas"] == 3
    assert example["config"]["jetstream"]["enabled"] is True


def test_chart_readme_values_table_is_generated_from_values_yaml() -> None:
    run([sys.executable, "scripts/chart_readme", "--check"])
    readme = (CHART / "README.md").read_text()
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for component in ("gateway", "metadata", "blob", "connector"):
        assert f"| `{component}.topologySpreadConstraints` |" in readme
    assert f"| `logLevel` | `{json.dumps(values['logLevel'])}` |" in readme

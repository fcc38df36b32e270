"""docker-compose.yml, the Helm chart and the Dockerfile agree with the code.

No Docker engine or cluster is needed: the files are parsed, and every PACKYARD_* variable
they set is checked against the settings classes the services actually read. When a ``helm``
binary is available (on PATH or as $PACKYARD_HELM) the chart is also rendered and checked
per Deployment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from packyard.blob.settings import BlobSettings
from packyard.connector.settings import ConnectorSettings
from packyard.gateway.settings import GatewaySettings
from packyard.metadata.migrate import _MigrateSettings
from packyard.metadata.settings import MetadataSettings
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "packyard"
SETTINGS: dict[str, type[BaseSettings]] = {
    "gateway": GatewaySettings,
    "metadata": MetadataSettings,
    "blob": BlobSettings,
    "connector": ConnectorSettings,
    "migrate": _MigrateSettings,
}
GRPC_SERVICES = ("metadata", "blob", "connector")
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def env_names(service: str) -> set[str]:
    cls = SETTINGS[service]
    prefix = cls.model_config.get("env_prefix", "")
    return {f"{prefix}{name}".upper() for name in cls.model_fields}


def required_names(service: str) -> set[str]:
    cls = SETTINGS[service]
    prefix = cls.model_config.get("env_prefix", "")
    return {f"{prefix}{n}".upper() for n, f in cls.model_fields.items() if f.is_required()}


def default_port(service: str) -> int:
    if service == "gateway":
        return int(GatewaySettings.model_fields["port"].default)
    return int(str(SETTINGS[service].model_fields["listen_addr"].default).rsplit(":", 1)[1])


ALL_NAMES = set().union(*(env_names(s) for s in SETTINGS))


# -- docker-compose.yml ----------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def packyard_services(compose: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, service in compose["services"].items():
        if str(service.get("image", "")).startswith("packyard:"):
            yield name, service


def test_compose_runs_each_service_and_the_migration_from_one_image(
    compose: dict[str, Any],
) -> None:
    services = dict(packyard_services(compose))
    assert {name: s["command"] for name, s in services.items()} == {
        name: [name] for name in ("migrate", "metadata", "blob", "connector", "gateway")
    }
    assert {s["image"] for s in services.values()} == {f"packyard:${{PACKYARD_VERSION:-{VERSION}}}"}
    assert {s["build"]["dockerfile"] for s in services.values()} == {"deploy/Dockerfile"}
    assert (ROOT / "deploy" / "Dockerfile").exists()


def test_compose_sets_only_variables_the_service_reads_and_all_it_requires(
    compose: dict[str, Any],
) -> None:
    for name, service in packyard_services(compose):
        env = service["environment"]
        packyard = {k for k in env if k.startswith("PACKYARD_")}
        assert packyard <= env_names(name), f"{name} ignores {packyard - env_names(name)}"
        assert required_names(name) <= packyard, f"{name} lacks {required_names(name) - packyard}"
        assert {k for k in env if not k.startswith("PACKYARD_")} <= {
            k for k in env if k.startswith("OTEL_")
        }, f"{name} sets a variable that is neither PACKYARD_* nor OTEL_*"
        assert env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").startswith("http://otel-collector:")


def test_compose_ports_and_addresses_agree_with_the_settings(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in GRPC_SERVICES:
        port = default_port(name)
        env = services[name]["environment"]
        assert env["PACKYARD_LISTEN_ADDR"] == f"0.0.0.0:{port}"
        assert services[name]["healthcheck"]["test"] == [
            "CMD", "python", "-m", "packyard.common.healthcheck", f"127.0.0.1:{port}",
        ]  # fmt: skip
        for client in ("gateway", "connector"):
            key = f"PACKYARD_{name.upper()}_ADDR"
            if key in env_names(client) and client != name:
                assert services[client]["environment"][key] == f"{name}:{port}"
    gateway = services["gateway"]
    port = default_port("gateway")
    assert gateway["environment"]["PACKYARD_PORT"] == str(port)
    assert gateway["environment"]["PACKYARD_HOST"] == "0.0.0.0"
    assert gateway["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(gateway["healthcheck"]["test"])


def test_compose_publishes_only_on_loopback(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for mapping in service.get("ports", []):
            assert str(mapping).startswith("127.0.0.1:"), f"{name} publishes {mapping}"


def test_compose_start_order_waits_on_health_and_the_migration(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            condition = rule["condition"]
            if "healthcheck" in services[dependency]:
                assert condition == "service_healthy", f"{name} -> {dependency}"
            elif services[dependency].get("restart") == "no":
                assert condition == "service_completed_successfully", f"{name} -> {dependency}"
            else:
                assert condition == "service_started", f"{name} -> {dependency}"
    assert services["metadata"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    for name in ("postgres", "minio", "nats", "metadata", "blob", "connector", "gateway"):
        assert "healthcheck" in services[name], name


def test_compose_storage_matches_the_engines(compose: dict[str, Any]) -> None:
    services = compose["services"]
    blob = services["blob"]["environment"]
    assert blob["PACKYARD_S3_ENDPOINT"] == "minio:9000"
    assert "local/" + blob["PACKYARD_S3_BUCKET"] in services["minio-bucket"]["entrypoint"][-1]
    url = services["metadata"]["environment"]["PACKYARD_DATABASE_URL"]
    postgres = services["postgres"]["environment"]
    assert url.endswith(f"@postgres:5432/{postgres['POSTGRES_DB']}")
    assert url.startswith(f"postgresql://{postgres['POSTGRES_USER']}:")
    nats = services["nats"]
    assert nats["command"] == ["-c", "/etc/nats/nats.conf"]
    assert "./deploy/nats.conf:/etc/nats/nats.conf:ro" in nats["volumes"]
    assert "jetstream" in (ROOT / "deploy" / "nats.conf").read_text()
    # Each service connects as its own user, with the password the NATS server was given.
    for name in ("metadata", "connector", "gateway"):
        env = services[name]["environment"]
        assert env["PACKYARD_NATS_URL"] == "nats://nats:4222"
        assert env["PACKYARD_NATS_USER"] == name
        assert env["PACKYARD_NATS_PASSWORD"] == nats["environment"][f"NATS_{name.upper()}_PASSWORD"]


# -- Dockerfile ------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_non_root_with_a_health_check() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    assert re.search(r"^USER 10001", text, re.M)
    assert 'ENTRYPOINT ["packyard"]' in text
    assert 'CMD ["gateway"]' in text
    check = re.search(r"^HEALTHCHECK .*?(?<!\\)$", text, re.M | re.S)
    assert check is not None and "/healthz" in check.group(0)
    assert "PACKYARD_SPOOL_DIR=/var/spool/packyard" in text
    from packyard.gateway.routes import health

    assert {"/healthz", "/readyz"} <= {getattr(r, "path", "") for r in health.router.routes}


# -- Helm chart ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def test_values_and_ci_values_match_the_schema(values: dict[str, Any]) -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(values, schema)
    for path in (CHART / "ci").glob("*-values.yaml"):
        jsonschema.validate(_merged(values, yaml.safe_load(path.read_text())), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_merged(values, {"image": {"tag": "latest"}}), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_merged(values, {"gateway": {"replicas": 3}}), schema)


def test_every_value_is_documented_by_a_comment_naming_it(values: dict[str, Any]) -> None:
    comments = set(re.findall(r"^\s*# ([A-Za-z][\w.]*) --", (CHART / "values.yaml").read_text(),
                              re.M))  # fmt: skip

    def undocumented(node: Any, path: str) -> list[str]:
        if path in comments:
            return []
        if isinstance(node, dict) and node:
            return [m for k, v in node.items() for m in undocumented(v, f"{path}.{k}".strip("."))]
        return [path]

    assert undocumented(values, "") == []


def test_chart_ports_and_version_agree_with_the_code(values: dict[str, Any]) -> None:
    for service in ("gateway", *GRPC_SERVICES):
        assert values[service]["port"] == default_port(service), service
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == VERSION
    assert values["image"]["tag"] in {"", VERSION}


def _template_text() -> str:
    return "\n".join(p.read_text() for p in sorted((CHART / "templates").glob("*")))


def test_chart_sets_only_variables_some_service_reads_and_every_required_one() -> None:
    text = _template_text()
    set_names = set(re.findall(r"\b(PACKYARD_[A-Z0-9_]+)\b", text))
    assert set_names <= ALL_NAMES, f"no settings class reads {set_names - ALL_NAMES}"
    required = set().union(*(required_names(s) for s in SETTINGS))
    assert required <= set_names
    # The migration Job gets the database URL without the release's Secret (it runs first).
    job = (CHART / "templates" / "migrate-job.yaml").read_text()
    assert "pre-install,pre-upgrade" in job and "PACKYARD_DATABASE_URL" in job


def test_chart_probes_use_the_health_service_and_the_gateway_endpoints() -> None:
    deployment = (CHART / "templates" / "deployment.yaml").read_text()
    assert "grpc:" in deployment and "path: /readyz" in deployment
    assert "path: /healthz" in deployment
    assert "readOnlyRootFilesystem: true" in (CHART / "values.yaml").read_text()
    assert "runAsNonRoot: true" in (CHART / "values.yaml").read_text()
    for kind in ("ingress", "hpa", "pdb", "serviceaccount", "configmap", "secret", "service"):
        assert (CHART / "templates" / f"{kind}.yaml").exists(), kind
    assert (CHART / "templates" / "NOTES.txt").exists()


# -- the rendered chart (only where helm exists) ---------------------------------------


def _helm() -> str | None:
    return os.environ.get("PACKYARD_HELM") or shutil.which("helm")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    helm = _helm()
    if helm is None:
        pytest.skip("no helm binary (set PACKYARD_HELM to check the rendered chart)")
    home = tmp_path_factory.mktemp("helm")
    env = {**os.environ, **{f"HELM_{k}_HOME": str(home / k) for k in ("CACHE", "CONFIG", "DATA")}}
    result = subprocess.run(
        [helm, "template", "rel", str(CHART), "-f", str(CHART / "ci" / "test-values.yaml")],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def test_rendered_deployments_get_what_their_service_needs(rendered: list[dict[str, Any]]) -> None:
    config = next(d for d in rendered if d["kind"] == "ConfigMap")["data"]
    assert set(k for k in config if k.startswith("PACKYARD_")) <= ALL_NAMES
    deployments = {
        d["metadata"]["labels"]["app.kubernetes.io/component"]: d
        for d in rendered
        if d["kind"] == "Deployment"
    }
    assert set(deployments) == {"gateway", *GRPC_SERVICES}
    for component, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["args"] == [component]
        env = {e["name"] for e in container["env"]}
        packyard = {n for n in env if n.startswith("PACKYARD_")}
        ignored = packyard - env_names(component)
        assert not ignored, f"{component} ignores {ignored}"
        assert required_names(component) <= packyard | set(config), component
        port = container["ports"][0]["containerPort"]
        assert port == default_port(component)
        if component == "gateway":
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        else:
            assert container["readinessProbe"]["grpc"]["port"] == port
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["securityContext"]["runAsNonRoot"] is True
    job = next(d for d in rendered if d["kind"] == "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "ServiceAccount"} <= {
        d["kind"] for d in rendered
    }

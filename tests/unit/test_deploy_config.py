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
from packyard.metadata.settings import MetadataSettings
from packyard.up import service_command
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "packyard"
SETTINGS: dict[str, type[BaseSettings]] = {
    "gateway": GatewaySettings,
    "metadata": MetadataSettings,
    "blob": BlobSettings,
    "connector": ConnectorSettings,
    "migrate": MetadataSettings,  # packyard migrate reads the metadata service's settings
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


def secrets_as_env(service: dict[str, Any]) -> dict[str, str]:
    """Secret files a service exports as variables (deploy/secret-env.sh): target -> source."""
    return {
        s["target"]: s["source"]
        for s in service.get("secrets", [])
        if isinstance(s, dict) and s.get("target", "").isupper()
    }


def test_compose_runs_each_service_and_the_migration_from_one_image(
    compose: dict[str, Any],
) -> None:
    services = dict(packyard_services(compose))
    assert {name: s["command"] for name, s in services.items()} == {
        **{name: [name] for name in ("migrate", "metadata", "blob", "gateway")},
        "connector": ["connector", "serve"],
        "certs": ["certs", "--out", "/tls/ca", "--export", "/tls"],
    }
    assert {s["image"] for s in services.values()} == {f"packyard:${{PACKYARD_VERSION:-{VERSION}}}"}
    assert {s["build"]["dockerfile"] for s in services.values()} == {"deploy/Dockerfile"}
    assert (ROOT / "deploy" / "Dockerfile").exists()


def test_compose_sets_only_variables_the_service_reads_and_all_it_requires(
    compose: dict[str, Any],
) -> None:
    for name, service in packyard_services(compose):
        if name == "certs":
            assert "environment" not in service
            continue
        env = service["environment"]
        packyard = {k for k in [*env, *secrets_as_env(service)] if k.startswith("PACKYARD_")}
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


def test_compose_services_talk_mtls_with_their_own_certificate_only(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    certs = services["certs"]
    assert certs["restart"] == "no" and certs["network_mode"] == "none"
    assert certs["volumes"] == ["tls:/tls"]
    for name in (*GRPC_SERVICES, "gateway"):
        service = services[name]
        env = service["environment"]
        assert {k: env[k] for k in env if k.startswith("PACKYARD_TLS_")} == {
            "PACKYARD_TLS_CA": "/tls/ca.crt",
            "PACKYARD_TLS_CERT": "/tls/tls.crt",
            "PACKYARD_TLS_KEY": "/tls/tls.key",
        }, name
        (mount,) = [v for v in service["volumes"] if isinstance(v, dict) and v["source"] == "tls"]
        # Its own directory, read-only: no service sees the CA key or another's key.
        assert mount["target"] == "/tls" and mount["read_only"] is True
        assert mount["volume"]["subpath"] == name
        assert service["depends_on"]["certs"]["condition"] == "service_completed_successfully"


def test_compose_keeps_engines_on_an_internal_network(compose: dict[str, Any]) -> None:
    assert compose["networks"]["internal"]["internal"] is True
    services = compose["services"]
    for name in ("postgres", "minio", "minio-bucket", "nats", "migrate", "metadata", "blob"):
        assert services[name]["networks"] == ["internal"], name
    for name, service in services.items():
        if service.get("ports"):
            assert "edge" in service["networks"], name
    on_edge = {n for n, s in services.items() if "edge" in s.get("networks", [])}
    assert on_edge == {"gateway", "connector", "otel-collector", "jaeger"}


def test_compose_storage_matches_the_engines(compose: dict[str, Any]) -> None:
    services = compose["services"]
    blob = services["blob"]["environment"]
    assert blob["PACKYARD_S3_ENDPOINT"] == "minio:9000"
    assert "local/" + blob["PACKYARD_S3_BUCKET"] in services["minio-bucket"]["entrypoint"][-1]
    minio = secrets_as_env(services["minio"])
    blob_secrets = secrets_as_env(services["blob"])
    assert blob_secrets["PACKYARD_S3_ACCESS_KEY"] == minio["MINIO_ROOT_USER"]
    assert blob_secrets["PACKYARD_S3_SECRET_KEY"] == minio["MINIO_ROOT_PASSWORD"]
    # The DSN secret names the database PostgreSQL creates, with the password it was given.
    assert secrets_as_env(services["metadata"])["PACKYARD_DATABASE_URL"] == "database-url"
    assert secrets_as_env(services["migrate"])["PACKYARD_DATABASE_URL"] == "database-url"
    postgres = services["postgres"]["environment"]
    assert postgres["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres-password"
    writer = (ROOT / "scripts" / "compose_secrets").read_text()
    assert (
        f'write database-url "postgresql://{postgres["POSTGRES_USER"]}:'
        f'$(cat "$dir/postgres-password")@postgres:5432/{postgres["POSTGRES_DB"]}"'
    ) in writer
    for secret in compose["secrets"]:
        assert f"write {secret} " in writer, f"scripts/compose_secrets does not write {secret}"
    nats = services["nats"]
    assert nats["command"] == ["-c", "/etc/nats/nats.conf"]
    assert "./deploy/nats.conf:/etc/nats/nats.conf:ro" in nats["volumes"]
    assert "jetstream" in (ROOT / "deploy" / "nats.conf").read_text()
    # Each service connects as its own user, with the password the NATS server was given.
    for name in ("metadata", "gateway"):
        env = services[name]["environment"]
        assert env["PACKYARD_NATS_URL"] == "nats://nats:4222"
        assert env["PACKYARD_NATS_USER"] == name
        assert (
            secrets_as_env(services[name])["PACKYARD_NATS_PASSWORD"]
            == (secrets_as_env(nats)[f"NATS_{name.upper()}_PASSWORD"])
        )
    # The connector no longer talks to NATS (metadata announces what it records).
    assert "PACKYARD_NATS_URL" not in services["connector"]["environment"]


CREDENTIAL = re.compile(r"PASSWORD|SECRET|_KEY$|ACCESS_KEY|DATABASE_URL|_USER$")


def test_compose_keeps_credentials_in_secret_files_and_drops_privileges(
    compose: dict[str, Any],
) -> None:
    for name, service in compose["services"].items():
        # Names of users and paths of files are no secrets; anything else credential-shaped is.
        env = service.get("environment", {})
        literal = {
            k for k, v in env.items() if CREDENTIAL.search(k) and not str(v).startswith("/")
        } - {"POSTGRES_USER", "PACKYARD_NATS_USER"}
        assert not literal, f"{name} sets {literal}"
        assert service["cap_drop"] == ["ALL"], name
        assert service["security_opt"] == ["no-new-privileges:true"], name
        assert service["read_only"] is True, name
        if secrets_as_env(service):
            assert service["entrypoint"][:2] == ["sh", "/usr/local/lib/secret-env.sh"], name
    for secret in compose["secrets"].values():
        assert secret["file"].startswith("${PACKYARD_SECRETS:-./secrets}/")
    assert "secrets/" in (ROOT / ".gitignore").read_text().split()


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
    from packyard.gateway import health

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
    return "\n".join(p.read_text() for p in sorted((CHART / "templates").rglob("*")) if p.is_file())


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
    # Kubernetes' own grpc probes speak plaintext: the probe is the healthcheck module (mTLS).
    assert "grpc:" not in deployment
    assert '"packyard.common.healthcheck"' in deployment and "path: /readyz" in deployment
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
    # CI (.ci/run) installs helm and sets PACKYARD_CI: there a missing helm is a failure, not a
    # skip. A developer without helm still gets the rest of this module.
    if helm is None:
        assert not os.environ.get("PACKYARD_CI"), "CI is expected to have helm ($PACKYARD_HELM)"
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
        assert container["args"] == service_command(component)
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
            assert container["readinessProbe"]["exec"]["command"] == [
                "python", "-m", "packyard.common.healthcheck", f"127.0.0.1:{port}",
            ]  # fmt: skip
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert {
            "PACKYARD_TLS_CA": "/etc/packyard/tls/ca.crt",
            "PACKYARD_TLS_CERT": "/etc/packyard/tls/tls.crt",
            "PACKYARD_TLS_KEY": "/etc/packyard/tls/tls.key",
        }.items() <= env.items()
        tls = next(v for v in pod["volumes"] if v["name"] == "tls")
        assert tls["secret"]["secretName"] == f"rel-packyard-{component}-tls"
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["securityContext"]["runAsNonRoot"] is True
    job = next(d for d in rendered if d["kind"] == "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    certificates = {d["spec"]["commonName"] for d in rendered if d["kind"] == "Certificate"}
    assert certificates == {"gateway", *GRPC_SERVICES}
    policies = {d["metadata"]["name"]: d["spec"] for d in rendered if d["kind"] == "NetworkPolicy"}
    deny = policies["rel-packyard-default-deny"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny
    # metadata: reached by the gateway and the connector only.
    metadata_from = policies["rel-packyard-metadata"]["ingress"][0]["from"]
    assert {
        p["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for p in metadata_from
    } == {
        "gateway",
        "connector",
    }
    assert {"HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "ServiceAccount"} <= {
        d["kind"] for d in rendered
    }


# -- the chart's trust boundary (text checks; the rendered checks above need helm) -------


def test_chart_mounts_each_components_tls_secret_and_wires_the_settings(
    values: dict[str, Any],
) -> None:
    deployment = (CHART / "templates" / "deployment.yaml").read_text()
    for name, file in (("CA", "ca.crt"), ("CERT", "tls.crt"), ("KEY", "tls.key")):
        assert f"- name: PACKYARD_TLS_{name}\n              value: /etc/packyard/tls/{file}" in (
            deployment
        )
    assert "mountPath: /etc/packyard/tls\n              readOnly: true" in deployment
    assert 'include "packyard.tlsSecretName"' in deployment
    assert values["tls"]["certManager"]["enabled"] is False
    assert set(values["tls"]["existingSecret"]) == {"gateway", *GRPC_SERVICES}
    certificates = (CHART / "templates" / "certificates.yaml").read_text()
    assert "commonName: {{ $component }}" in certificates
    assert "spiffe://packyard/%s" in certificates and "client auth" in certificates
    helpers = (CHART / "templates" / "_helpers.tpl").read_text()
    assert "gRPC needs mutual TLS: set tls.certManager.enabled or tls.existingSecret" in helpers


def test_chart_network_policies_allow_only_the_architectures_edges() -> None:
    text = (CHART / "templates" / "networkpolicy.yaml").read_text()
    policies = text.split("\n---\n")
    by_component = {
        m.group(1): p
        for p in policies
        if (m := re.search(r'"component" "([a-z-]+)"\) }}\n  labels', p))
    }
    assert set(by_component) == {
        "default-deny",
        "gateway",
        "metadata",
        "blob",
        "connector",
        "migrate",
    }
    deny = by_component["default-deny"]
    assert "policyTypes: [Ingress, Egress]" in deny and "ingress:" not in deny

    def grpc_edges(policy: str) -> set[str]:
        return set(
            re.findall(r'"packyard.np.grpc" \(dict "root" \$root "component" "(\w+)"\)', policy)
        )

    def callers(policy: str) -> set[str]:
        return set(
            re.findall(r'"packyard.np.peer" \(dict "root" \$root "component" "(\w+)"\)', policy)
        )

    assert grpc_edges(by_component["gateway"]) == set()  # in a range over the three
    assert 'range $to := list "metadata" "blob" "connector"' in by_component["gateway"]
    assert grpc_edges(by_component["connector"]) == {"metadata", "blob"}
    assert grpc_edges(by_component["metadata"]) == {"blob"}
    assert grpc_edges(by_component["blob"]) == set()
    assert callers(by_component["metadata"]) == {"gateway", "connector"}
    assert callers(by_component["blob"]) == {"gateway", "connector", "metadata"}
    assert callers(by_component["connector"]) == {"gateway"}
    assert "upstreamPorts" in by_component["connector"]
    for name in ("gateway", "metadata", "blob", "connector", "migrate"):
        assert 'include "packyard.np.dns"' in by_component[name], name
    assert "s3Ports" in by_component["blob"] and "postgresPorts" in by_component["metadata"]
    assert "postgresPorts" in by_component["migrate"]


def test_secret_env_wrapper_exports_each_secret_file_and_runs_the_command(
    tmp_path: Path,
) -> None:
    (tmp_path / "PACKYARD_DATABASE_URL").write_text("postgresql://u:p w$x@db:5432/d\n")
    (tmp_path / "PACKYARD_NATS_PASSWORD").write_text("s3cr'et")
    result = subprocess.run(
        ["sh", str(ROOT / "deploy" / "secret-env.sh"), "sh", "-c",
         'printf "%s|%s" "$PACKYARD_DATABASE_URL" "$PACKYARD_NATS_PASSWORD"'],
        env={"PATH": os.environ["PATH"], "SECRET_ENV_DIR": str(tmp_path)},
        capture_output=True, text=True, check=True, timeout=10,
    )  # fmt: skip
    assert result.stdout == "postgresql://u:p w$x@db:5432/d|s3cr'et"

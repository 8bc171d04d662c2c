"""The files of ``deploy/`` are valid before anyone runs them: the compose file against the
Compose Specification's schema, every Kubernetes manifest against the API's schemas
(strict: an unknown or misspelt field fails), and the Dockerfile's stages, user and
commands against what the README promises (web and worker targets, non-root, uv-locked)."""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from tests.processes import BIN

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ROOT = DEPLOY.parent
K8S = DEPLOY / "k8s"
KUBERNETES_VERSION = "1.33.0"


def compose_file() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text()))


def manifests() -> list[tuple[str, dict[str, Any]]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [(name, doc) for name in kustomization["resources"] for doc in yaml.safe_load_all((K8S / name).read_text())]


def by_kind(kind: str, name: str) -> dict[str, Any]:
    return next(doc for _, doc in manifests() if doc["kind"] == kind and doc["metadata"]["name"] == name)


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads(
        resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    )
    jsonschema.validate(compose_file(), schema)


def test_compose_runs_the_whole_system_with_health_checks_volumes_and_secrets_from_the_environment() -> None:
    compose = compose_file()
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "mail"}
    for name in ("postgres", "redis", "web", "mail"):
        assert services[name]["healthcheck"]["test"], name
    # The migration runs once, to completion, before web and worker start.
    assert services["migrate"]["command"] == ["billcraft", "db", "upgrade"]
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert {"postgres-data", "redis-data", "billcraft-data"} <= set(compose["volumes"])
    # The secret key is required from the environment, never a default in the file.
    secret = services["web"]["environment"]["BILLCRAFT_SECRET_KEY"]
    assert re.fullmatch(r"\$\{BILLCRAFT_SECRET_KEY:\?.+\}", secret), secret
    # Published ports listen on loopback only.
    for service in services.values():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), port
    # The app's role is created by the init script the compose file mounts.
    mounts = services["postgres"]["volumes"]
    script = next(m.split(":")[0] for m in mounts if "docker-entrypoint-initdb.d" in m)
    text = (DEPLOY / script).read_text()
    assert "NOSUPERUSER NOBYPASSRLS" in text


@pytest.mark.parametrize("name", sorted(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]))
def test_every_kubernetes_manifest_is_valid_against_the_api_schema(name: str) -> None:
    for doc in yaml.safe_load_all((K8S / name).read_text()):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_manifest_check_refuses_a_misspelt_field() -> None:
    """The schema check is strict: the test above would catch a typo, not only bad YAML."""
    web = by_kind("Deployment", "billcraft-web")
    web["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/ready", "port": 8000}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_of_the_folder() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_web_deployment_probes_health_and_ready_and_the_autoscaler_and_service_target_it() -> None:
    web = by_kind("Deployment", "billcraft-web")
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert {p["containerPort"] for p in container["ports"]} == {8000, 9100}
    hpa = by_kind("HorizontalPodAutoscaler", "billcraft-web")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "billcraft-web"}
    assert hpa["spec"]["minReplicas"] >= 2
    service = by_kind("Service", "billcraft-web")
    assert service["spec"]["selector"] == web["spec"]["selector"]["matchLabels"]
    ingress = by_kind("Ingress", "billcraft")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "billcraft-web"


def test_every_pod_runs_as_non_root_with_settings_from_the_configmap_and_secret() -> None:
    configmap = by_kind("ConfigMap", "billcraft")["data"]
    secret = by_kind("Secret", "billcraft")["stringData"]
    assert {"BILLCRAFT_SECRET_KEY", "BILLCRAFT_DATABASE_URL"} <= set(secret)
    assert not {"BILLCRAFT_SECRET_KEY", "BILLCRAFT_DATABASE_URL", "BILLCRAFT_REDIS_URL"} & set(configmap)
    pods = [(n, d["spec"]["template"]["spec"]) for n, d in manifests() if d["kind"] in {"Deployment", "Job"}]
    assert {n for n, _ in pods} == {"web-deployment.yaml", "worker-deployment.yaml", "migrate-job.yaml"}
    for name, pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            sources = {next(iter(s.values()))["name"] for s in container["envFrom"]}
            assert sources == {"billcraft"}, name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
    job = by_kind("Job", "billcraft-migrate")["spec"]["template"]["spec"]["containers"][0]
    assert job["command"] == ["billcraft", "db", "upgrade"]


def test_only_the_proxies_in_front_of_web_are_trusted_with_the_client_address() -> None:
    """Kubernetes trusts the private networks its ingress controller connects from, written
    as networks; Compose trusts no one unless told (the variable passes through, empty)."""
    configmap = by_kind("ConfigMap", "billcraft")["data"]
    networks = [ipaddress.ip_network(n) for n in configmap["BILLCRAFT_TRUSTED_PROXIES"].split(",")]
    assert networks
    assert all(n.is_private for n in networks), networks
    web = compose_file()["services"]["web"]["environment"]
    assert web["BILLCRAFT_TRUSTED_PROXIES"] == "${BILLCRAFT_TRUSTED_PROXIES:-}"


def test_dockerfile_builds_web_and_worker_targets_with_uv_as_a_non_root_user() -> None:
    parser = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    stages: dict[str, list[dict[str, Any]]] = {}
    current = ""
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            current = instruction["value"].split(" AS ")[-1].strip()
            stages[current] = []
        else:
            stages.setdefault(current, []).append(instruction)  # "" holds the ARGs before FROM
    assert {"build", "runtime", "web", "worker"} <= set(stages)
    build = " ".join(i["value"] for i in stages["build"] if i["instruction"] == "RUN")
    assert "uv sync --frozen --no-dev" in build
    runtime = stages["runtime"]
    users = [i["value"] for i in runtime if i["instruction"] == "USER"]
    assert users, "the runtime switches user"
    assert not users[-1].startswith(("root", "0")), users
    packages = " ".join(i["value"] for i in runtime if i["instruction"] == "RUN")
    assert "chromium-headless-shell" in packages
    assert "fonts-" in packages
    # What COPY takes from the repository exists.
    for instruction in stages["build"]:
        if instruction["instruction"] == "COPY" and "--from" not in instruction["value"]:
            for source in shlex.split(instruction["value"])[:-1]:
                assert (ROOT / source).exists(), source
    # Each target's command is one the CLI has.
    for target in ("web", "worker"):
        command = json.loads(next(i["value"] for i in stages[target] if i["instruction"] == "CMD"))
        assert command[0] == "billcraft"
        shown = subprocess.run([str(BIN), command[1], "--help"], capture_output=True, text=True, timeout=60)
        assert shown.returncode == 0, shown.stderr


def test_glibc_serves_large_buffers_from_mmap_wherever_billcraft_runs() -> None:
    """The setting that keeps a web process's memory level under load (issue 23's soak) is
    in the image, the Kubernetes settings and ./run, which starts every local process."""
    parser = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    env = " ".join(i["value"] for i in parser.structure if i["instruction"] == "ENV")
    assert "MALLOC_MMAP_THRESHOLD_=131072" in env
    assert by_kind("ConfigMap", "billcraft")["data"]["MALLOC_MMAP_THRESHOLD_"] == "131072"
    assert 'export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"' in (ROOT / "run").read_text()

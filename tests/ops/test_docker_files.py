"""docker/ stays in step: the compose file is valid Compose, its hubs are watched by /readyz and
named apart, and nginx accepts its configuration and keeps /metrics from the public."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"
SCHEMA = Path(__file__).with_name("compose-spec.json")  # source: SOURCE.md beside it


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DOCKER / "compose.yaml").read_text()))


def _validate(document: dict[str, Any]) -> None:
    # The schema names draft-07 by an address jsonschema does not recognise: say it here.
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(document)


def test_the_compose_file_follows_the_compose_specification() -> None:
    _validate(_compose())


def test_the_schema_refuses_what_compose_refuses() -> None:
    broken = _compose()
    broken["services"]["hub1"]["restart_policy"] = "always"  # not a service member
    with pytest.raises(jsonschema.ValidationError):
        _validate(broken)


def test_every_hub_has_its_own_name_and_a_readiness_check() -> None:
    hubs = {k: v for k, v in _compose()["services"].items() if k.startswith("hub")}
    assert len(hubs) >= 2
    names = {hub["environment"]["BIDOPEN_NODE_NAME"] for hub in hubs.values()}
    assert len(names) == len(hubs)
    for hub in hubs.values():
        assert "/readyz" in " ".join(hub["healthcheck"]["test"])


def test_nginx_does_not_pass_metrics_through() -> None:
    conf = (DOCKER / "nginx.conf").read_text()
    assert "location /metrics" in conf and "return 404" in conf


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx")
    if nginx is None:
        pytest.skip("nginx is not installed on this machine; docker/nginx.conf is checked in CI")
    conf = (DOCKER / "nginx.conf").read_text().replace("hub1:8080", "127.0.0.1:1")
    conf = conf.replace("hub2:8080", "127.0.0.1:2")
    (tmp_path / "nginx.conf").write_text(conf)
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_dashboard_shows_every_metric_the_hub_exports() -> None:
    from bidopen.metrics import HubMetrics

    dashboard = (DOCKER / "grafana-dashboard.json").read_text()
    names = {metric.name for metric in HubMetrics().registry.collect()}
    assert names, "the hub exports metrics"
    assert not [name for name in sorted(names) if name not in dashboard]

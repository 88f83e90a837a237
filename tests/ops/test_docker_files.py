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


def _nginx_test(conf: str, folder: Path) -> subprocess.CompletedProcess[str]:
    # Debian installs it in /usr/sbin, which is not on an ordinary user's PATH.
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if nginx is None:
        pytest.skip("nginx is not installed on this machine (scripts/test.sh installs it)")
    # The shipped upstreams are compose service names that resolve only inside compose;
    # nginx -t resolves them, so the copy under test names 127.0.0.1 instead.
    for upstream in ("hub1:8080", "hub2:8080"):
        assert f"server {upstream};" in conf, f"docker/nginx.conf no longer names {upstream}"
    conf = conf.replace("hub1:8080", "127.0.0.1:1").replace("hub2:8080", "127.0.0.1:2")
    (folder / "nginx.conf").write_text(conf)
    # -p and -e keep every path nginx opens (pid, logs) inside the test's folder.
    return subprocess.run(
        [
            nginx,
            "-t",
            "-p",
            str(folder),
            "-e",
            "stderr",
            "-c",
            str(folder / "nginx.conf"),
            "-g",
            f"pid {folder / 'nginx.pid'};",
        ],
        capture_output=True,
        text=True,
    )


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    result = _nginx_test((DOCKER / "nginx.conf").read_text(), tmp_path)
    assert result.returncode == 0, result.stderr


def test_nginx_refuses_a_broken_configuration(tmp_path: Path) -> None:
    # The check above can fail: the same copy with one directive misspelt is refused.
    broken = (DOCKER / "nginx.conf").read_text().replace("proxy_http_version", "proxy_http_versio")
    result = _nginx_test(broken, tmp_path)
    assert result.returncode != 0 and "proxy_http_versio" in result.stderr


def test_the_dashboard_shows_every_metric_the_hub_exports() -> None:
    from bidopen.metrics import HubMetrics

    dashboard = (DOCKER / "grafana-dashboard.json").read_text()
    names = {metric.name for metric in HubMetrics().registry.collect()}
    assert names, "the hub exports metrics"
    assert not [name for name in sorted(names) if name not in dashboard]

"""local.settings.json and host.json are read the way the Functions host reads them."""

import json
from pathlib import Path

import pytest

from tools.devhost.settings import apply_local_settings, read_host_config, read_request_body_size_limit


def write(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document))


def test_values_are_applied_but_existing_environment_wins(tmp_path: Path):
    write(tmp_path / "local.settings.json", {"Values": {"A": "file", "B": "file"}, "Host": {"LocalHttpPort": 7999}})
    environ = {"B": "env"}
    result = apply_local_settings(tmp_path, environ)
    assert environ == {"A": "file", "B": "env"}
    assert result.applied == ("A",) and result.overridden == ("B",)
    assert result.local_http_port == 7999


def test_host_cors_entries_are_read_whatever_their_case(tmp_path: Path):
    write(tmp_path / "local.settings.json", {"Host": {"cors": "https://a.test", "CorsCredentials": "true"}})
    result = apply_local_settings(tmp_path, {})
    assert result.cors == "https://a.test" and result.cors_credentials


@pytest.mark.parametrize(
    ("value", "limit"), [(None, 104857600), ("1024", 1024), (" 5 ", 5), ("lots", 104857600), ("0", 104857600)]
)
def test_request_body_size_limit_setting(value, limit):
    environ = {} if value is None else {"FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": value}
    assert read_request_body_size_limit(environ) == limit


def test_missing_local_settings_leaves_the_environment_alone(tmp_path: Path):
    environ = {"X": "1"}
    assert apply_local_settings(tmp_path, environ).applied == ()
    assert environ == {"X": "1"}


def test_host_json_defaults(tmp_path: Path):
    config = read_host_config(tmp_path, {})
    assert config.route_prefix == "api"
    assert config.task_hub == "TestHubName"
    assert config.max_concurrent_activities == config.max_concurrent_orchestrations == 8


def test_route_prefix_and_hub_setting_reference(tmp_path: Path):
    write(
        tmp_path / "host.json",
        {
            "extensions": {
                "http": {"routePrefix": ""},
                "durableTask": {
                    "hubName": "%HUB%",
                    "maxConcurrentActivityFunctions": 3,
                    "maxConcurrentOrchestratorFunctions": 2,
                },
            }
        },
    )
    config = read_host_config(tmp_path, {"HUB": "MyHub"})
    assert config.route_prefix == ""
    assert config.task_hub == "MyHub"
    assert config.max_concurrent_activities == 3
    assert config.max_concurrent_orchestrations == 2


@pytest.mark.parametrize("value", [0, -1, "many", True])
def test_concurrency_limit_below_one_refuses_to_start(tmp_path: Path, value):
    write(tmp_path / "host.json", {"extensions": {"durableTask": {"maxConcurrentOrchestratorFunctions": value}}})
    with pytest.raises(SystemExit, match="maxConcurrentOrchestratorFunctions must be a positive integer"):
        read_host_config(tmp_path, {})


def test_undefined_hub_setting_falls_back_to_the_default(tmp_path: Path):
    write(tmp_path / "host.json", {"extensions": {"durableTask": {"hubName": "%NOT_SET%"}}})
    assert read_host_config(tmp_path, {}).task_hub == "TestHubName"

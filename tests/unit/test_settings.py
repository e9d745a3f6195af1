import pytest

from config.settings import SettingsError, load_settings

BASE = {
    "CONTENT_UNDERSTANDING_ENDPOINT": "https://example.services.ai.azure.com/",
    "DURABLE_TASK_HUB_NAME": "ContentAnalysis",
    "PURGE_SCHEDULE": "0 */5 * * * *",
    "AUTH_TENANT_ID": "00000000-0000-0000-0000-000000000001",
    "AUTH_AUDIENCES": "api://content-analysis",
}


def test_defaults_are_the_documented_ones():
    settings = load_settings(BASE)
    assert settings.content_understanding_endpoint == "https://example.services.ai.azure.com"
    assert settings.content_understanding_key is None
    assert (settings.analysis_timeout_seconds, settings.poll_initial_interval_seconds) == (240, 10)
    assert settings.content_understanding_processing_location is None  # the service's default
    assert (settings.poll_max_interval_seconds, settings.result_ttl_seconds) == (10, 3600)
    assert settings.purge_schedule == "0 */5 * * * *"
    assert settings.input_container_url is None
    assert (settings.max_input_files, settings.max_request_bytes) == (10, 1_048_576)


def test_the_default_timeout_reaches_a_frontend_that_polls_60_times_5_s_apart():
    """Counted from the POST, the timeout answer must land before the frontend's last poll (300 s) even with a
    30 s late durable timer (Azure Storage queue back-off) and two more polls to see it."""
    timeout = load_settings(BASE).analysis_timeout_seconds
    assert timeout + 30 + 2 * 5 <= 60 * 5


@pytest.mark.parametrize("location", ["geography", "dataZone", "global"])
def test_the_processing_location_is_one_the_service_knows(location):
    settings = load_settings({**BASE, "CONTENT_UNDERSTANDING_PROCESSING_LOCATION": location})
    assert settings.content_understanding_processing_location == location


@pytest.mark.parametrize("location", ["datazone", "eu", "Global"])
def test_an_unknown_processing_location_stops_the_start(location):
    with pytest.raises(SettingsError) as caught:
        load_settings({**BASE, "CONTENT_UNDERSTANDING_PROCESSING_LOCATION": location})
    assert "CONTENT_UNDERSTANDING_PROCESSING_LOCATION must be one of geography, dataZone, global" in str(caught.value)


def test_the_example_local_settings_are_valid():
    import json
    from pathlib import Path

    values = json.loads((Path(__file__).parents[2] / "local.settings.json.example").read_text())["Values"]
    settings = load_settings(values)
    assert settings.content_understanding_endpoint == "http://127.0.0.1:7072"
    assert settings.input_container_url.endswith("/devstoreaccount1/pro-input-files")


def test_every_bad_value_is_named_in_one_message():
    env = {
        "CONTENT_UNDERSTANDING_ENDPOINT": "ftp://nope",
        "ANALYSIS_TIMEOUT_SECONDS": "soon",
        "POLL_MAX_INTERVAL_SECONDS": "-1",
        "PURGE_SCHEDULE": "*/5 * * * *",
    }
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    message = str(caught.value)
    for name in (
        "CONTENT_UNDERSTANDING_ENDPOINT",
        "ANALYSIS_TIMEOUT_SECONDS",
        "POLL_MAX_INTERVAL_SECONDS",
        "PURGE_SCHEDULE",
    ):
        assert name in message


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"CONTENT_UNDERSTANDING_ENDPOINT": ""}, "is required"),
        ({"CONTENT_UNDERSTANDING_ENDPOINT": "http://cu.example.com"}, "must use https"),
        ({"CONTENT_UNDERSTANDING_ENDPOINT": "https://u:p@cu.example.com"}, "credentials"),
        ({"POLL_INITIAL_INTERVAL_SECONDS": "20", "POLL_MAX_INTERVAL_SECONDS": "10"}, "must not exceed"),
        ({"ANALYSIS_TIMEOUT_SECONDS": "0"}, "ANALYSIS_TIMEOUT_SECONDS must be between"),
        ({"INPUT_CONTAINER_URL": "http://storage.example.com/c"}, "INPUT_CONTAINER_URL"),
        ({"MAX_INPUT_FILES": "0"}, "MAX_INPUT_FILES"),
    ],
)
def test_bad_values_are_rejected_with_a_clear_message(overrides, named):
    with pytest.raises(SettingsError, match=named):
        load_settings({**BASE, **overrides})


def test_loopback_http_is_allowed_for_local_development():
    settings = load_settings({**BASE, "CONTENT_UNDERSTANDING_ENDPOINT": "http://localhost:7072"})
    assert settings.content_understanding_endpoint == "http://localhost:7072"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"CONTENT_UNDERSTANDING_API_VERSION": "2025-05-01-preview"}, "retired"),
        ({"CONTENT_UNDERSTANDING_API_VERSION": "2099-01-01"}, "GA version"),
        ({"DURABLE_TASK_HUB_NAME": ""}, "DURABLE_TASK_HUB_NAME is required"),
        ({"DURABLE_TASK_HUB_NAME": "bad-name"}, "3-45 letters and digits"),
        ({"AUTH_MODE": "none"}, "local development only"),
        ({"AUTH_MODE": "sometimes"}, "AUTH_MODE must be one of"),
        ({"AUTH_TENANT_ID": ""}, "AUTH_TENANT_ID is required"),
        ({"CONTENT_UNDERSTANDING_KEY": "local-simulator-key"}, "simulator's key"),
        ({"INPUT_CONTAINER_URL": "http://127.0.0.1:10000/devstoreaccount1/inputs"}, "Azurite"),
        # a scope's container adds up to 35 characters: `<29 characters>-u-<32 hex>` would pass Azure's 63
        ({"INPUT_CONTAINER_URL": "https://acct.blob.core.windows.net/" + "a" * 29}, "3-28 lowercase"),
        ({"INPUT_CONTAINER_URL": "https://acct.blob.core.windows.net/Pro_Inputs"}, "3-28 lowercase"),
        ({"INPUT_CONTAINER_URL": "https://acct.blob.core.windows.net"}, "must end with a container name"),
        ({"LEGACY_RESULTS_LOOKUP": "true"}, "LEGACY_RESULTS_CUTOVER"),
        ({"CORS_ALLOWED_ORIGINS": "https://app.example.com/path"}, "CORS_ALLOWED_ORIGINS"),
    ],
)
def test_settings_that_cannot_work_refuse_to_start_with_one_sentence_each(overrides, named):
    with pytest.raises(SettingsError, match=named) as caught:
        load_settings({**BASE, **overrides})
    assert len(caught.value.problems) == 1
    assert "\n" not in caught.value.problems[0]


def test_anonymous_mode_is_allowed_in_development():
    settings = load_settings({**BASE, "AUTH_MODE": "none", "AZURE_FUNCTIONS_ENVIRONMENT": "Development"})
    assert settings.auth_mode == "none" and settings.is_development


def test_allowed_input_hosts_default_to_the_input_container_host():
    settings = load_settings({**BASE, "INPUT_CONTAINER_URL": "https://acct.blob.core.windows.net/pro-input-files"})
    assert settings.allowed_input_hosts == ("acct.blob.core.windows.net",)
    assert load_settings(BASE).allowed_input_hosts == ()


def test_cors_origins_come_as_a_list_or_as_the_json_array_the_platform_writes():
    listed = load_settings({**BASE, "CORS_ALLOWED_ORIGINS": "https://a.example.com, http://localhost:3000"})
    platform = load_settings({**BASE, "CORS_ALLOWED_ORIGINS": '["https://a.example.com","http://localhost:3000"]'})
    assert (
        listed.cors_allowed_origins
        == platform.cors_allowed_origins
        == ("https://a.example.com", "http://localhost:3000")
    )

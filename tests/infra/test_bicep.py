"""The deployment templates, checked without Azure.

What this does: every infra/**/*.bicep is parsed by pycep-parser (syntax errors fail CI with line and
column); the app settings the templates set are compared with what config/settings.py reads; the role
assignments the code path needs are present by role definition id; no key or shared-key access is used.

What it does NOT do (it is a parser, not the Bicep compiler): no type checking (a string passed where an
int is expected, a misspelt property of a resource type, an unknown api-version all pass); no module
resolution (br/public:avm/... modules are not downloaded, so their parameter names, outputs and versions
are not checked); no ARM deployment or what-if. `az bicep build --file infra/main.bicep` and
`azd provision --preview` do those, see docs/deploy.md.
"""

from __future__ import annotations

import json
import re

import pytest

from config.settings import known_setting_names, required_setting_names, setting_defaults
from input_files.sas_urls import MAX_BASE_CONTAINER_NAME
from tests.infra.bicep import INFRA, REPO, app_setting_names, bicep_files, parse, resource_body, role_assignments

# Settings the templates set that the Functions host, the platform or an SDK reads, not config/settings.py.
PLATFORM_SETTINGS = {
    # Host storage through the managed identity (no connection string, no key).
    "AzureWebJobsStorage__accountName",
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    # Which identity DefaultAzureCredential uses (Content Understanding tokens, user delegation keys).
    "AZURE_CLIENT_ID",
    # Application Insights, ingestion authenticated by Entra ID.
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    # Durable Task Scheduler: host.json keeps the default provider; these switch it (durableBackend dts).
    "AzureFunctionsJobHost__extensions__durableTask__storageProvider__type",
    "AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName",
    "DURABLE_TASK_SCHEDULER_CONNECTION_STRING",
    # The host refuses bodies far over MAX_REQUEST_BYTES before the worker reads them (set above it).
    "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT",
}

# Settings the templates already set that the app does not read yet (being added in parallel).
# Remove each name once config/settings.py reads it; names the app reads already are ignored here.
PENDING_IN_APP: set[str] = set()

# Settings the app reads that the templates deliberately leave unset: the app's default is the right value in
# Azure and no deployment parameter should change it. docs/deploy.md lists each with that default (checked in
# tests/infra/test_deploy_docs.py). Every other setting is a template parameter defaulting to the app's default
# (test_template_defaults_are_the_apps below), so `azd up` and `func` publishing give the same app.
LEFT_AT_THE_APPS_DEFAULT: dict[str, str] = {
    # Anonymous /health callers get only `status`; details (app, task hub, dependencies) need a signed-in
    # caller. Turning that off is a diagnostic choice for a private network, not a deployment parameter.
    "HEALTH_DETAILS_ANONYMOUS": "false",
}

# Settings the app reads that a deployment must NOT set: without them the app uses its managed identity.
KEY_SETTINGS = {
    "CONTENT_UNDERSTANDING_KEY",
    "INPUT_STORAGE_CONNECTION_STRING",
    "DURATION_MODEL_STORAGE_CONNECTION_STRING",
    "RESULT_STORE_CONNECTION_STRING",
}

ROLES = {
    "a97b65f3-24c7-4388-baec-2e87135dc908": "Cognitive Services User",
    "db58b8e5-c6ad-4a2a-8342-4190687cbf4a": "Storage Blob Delegator",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "0ad04412-c4d5-4796-b79c-f76d14c8d402": "Durable Task Data Contributor",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
}


def test_there_are_templates():
    names = {path.relative_to(INFRA).as_posix() for path in bicep_files()}
    assert {"main.bicep", "modules/function-app.bicep", "modules/durable-task-scheduler.bicep"} <= names


@pytest.mark.parametrize("path", bicep_files(), ids=lambda path: path.relative_to(INFRA).as_posix())
def test_every_template_parses(path):
    template = parse(path)
    assert template["resources"] or template["modules"], "a template that deploys nothing"


def test_every_setting_the_app_reads_is_set_except_keys():
    missing = set(known_setting_names()) - KEY_SETTINGS - set(LEFT_AT_THE_APPS_DEFAULT) - app_setting_names()
    assert not missing, f"the templates do not set {sorted(missing)}"
    assert set(required_setting_names()) <= app_setting_names()


def test_the_settings_left_at_the_apps_default_are_read_by_the_app_and_not_deployed():
    assert set(LEFT_AT_THE_APPS_DEFAULT) <= set(known_setting_names())
    assert not set(LEFT_AT_THE_APPS_DEFAULT) & app_setting_names()
    assert {
        name: str(setting_defaults()[name]).lower() for name in LEFT_AT_THE_APPS_DEFAULT
    } == LEFT_AT_THE_APPS_DEFAULT


def bicep_default(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else f"{value:g}" if isinstance(value, float) else str(value)


def test_template_defaults_are_the_apps():
    """A setting fed by a parameter (`NAME: param` or `NAME: string(param)`) gets the app's own default, so a
    deployment that leaves the parameter alone behaves as the README's Configuration table says."""
    main = (INFRA / "main.bicep").read_text(encoding="utf-8")
    parameters = parse(INFRA / "main.bicep")["parameters"]
    fed = dict(re.findall(r"^\s*([A-Z][A-Z0-9_]+):\s*(?:string\()?(\w+)\)?\s*$", main, re.M))
    defaults = setting_defaults()
    checked = {}
    for name, parameter in fed.items():
        if name in defaults and parameter in parameters and "default" in parameters[parameter]:
            checked[name] = (bicep_default(parameters[parameter]["default"]), bicep_default(defaults[name]))
    different = {name: pair for name, pair in checked.items() if pair[0] != pair[1]}
    assert not different, f"template default != app default (template, app): {different}"
    assert {"ANALYSIS_TIMEOUT_SECONDS", "CALLER_STARTS_PER_MINUTE", "MAX_RESULT_BYTES"} <= set(checked)


def test_no_key_settings_are_deployed():
    assert not (KEY_SETTINGS & app_setting_names())


def test_the_templates_set_nothing_the_app_does_not_know():
    unknown = app_setting_names() - set(known_setting_names()) - PLATFORM_SETTINGS - PENDING_IN_APP
    assert not unknown, f"set by the templates but read by nobody: {sorted(unknown)} (or add them to an allowlist)"


def test_the_allowlists_do_not_hide_names_the_templates_no_longer_set():
    assert app_setting_names() >= (PLATFORM_SETTINGS | PENDING_IN_APP)


def test_every_role_the_code_path_needs_is_assigned():
    assigned = {role for *_, roles in role_assignments() for role in roles}
    missing = {ROLES[role] for role in set(ROLES) - assigned}
    assert not missing, f"no role assignment for {sorted(missing)}"


def decorators(parameter: dict) -> dict:
    return {decorator["type"]: decorator.get("argument") for decorator in parameter["decorators"]}


def test_the_auth_client_id_is_required_and_says_how_to_set_it():
    """No default: `azd up` without it stops before ARM (preprovision hook), and ARM refuses an empty one."""
    main = parse(INFRA / "main.bicep")
    client_id = main["parameters"]["authClientId"]
    assert client_id.get("default") is None, "a default lets `azd up` succeed with an app that cannot authenticate"
    assert decorators(client_id).get("min_length") == 1
    assert "azd env set AUTH_CLIENT_ID" in decorators(client_id)["description"]
    values = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert values["authClientId"]["value"] == "${AUTH_CLIENT_ID}", "no `=default` in the azd substitution"
    assert set(main["parameters"]["authMode"]["decorators"][0]["argument"]) == {"entra", "appservice"}


def test_flex_maximum_instance_count_stays_in_the_range_flex_accepts():
    """Flex Consumption refuses maximumInstanceCount below 40; 1000 is its upper bound."""
    count = parse(INFRA / "main.bicep")["parameters"]["maximumInstanceCount"]
    assert decorators(count).get("min_value") == 40
    assert decorators(count).get("max_value") == 1000
    assert 40 <= count["default"] <= 1000


def test_the_input_container_name_leaves_room_for_every_scopes_container():
    """The app refuses a base container name its per-scope containers would push over Azure's 63 characters;
    the template must not deploy one (the bound comes from the layout code, not a copy of it)."""
    name = parse(INFRA / "main.bicep")["parameters"]["inputContainerName"]
    assert decorators(name).get("max_length") == MAX_BASE_CONTAINER_NAME
    assert 3 <= len(name["default"]) <= MAX_BASE_CONTAINER_NAME


# Names azd, the Azure CLI and azure-identity read to sign the deploying principal in: an output of the same
# name (azd writes outputs into the environment) would replace the pipeline's own identity.
SIGN_IN_NAMES = {
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
}


def test_outputs_do_not_shadow_the_deploying_principal():
    outputs = parse(INFRA / "main.bicep")["outputs"]
    assert not SIGN_IN_NAMES & set(outputs)
    identity = outputs["APP_IDENTITY_CLIENT_ID"]["value"]["operator"]["operands"]
    assert identity["operand_1"] == "appIdentity"


def test_no_shared_keys_anywhere():
    text = "\n".join(path.read_text() for path in bicep_files())
    assert "listKeys" not in text and "AccountKey=" not in text
    main = parse(INFRA / "main.bicep")
    storage_modules = [m for m in main["modules"].values() if "storage-account" in m["detail"].get("path", "")]
    assert len(storage_modules) == 2
    for module in storage_modules:
        assert resource_body(module)["params"]["allowSharedKeyAccess"] is False
    account = parse(INFRA / "modules" / "content-understanding.bicep")["resources"]["account"]
    assert resource_body(account)["properties"]["disableLocalAuth"] is True


def test_avm_modules_are_pinned():
    for path in bicep_files():
        for name, module in parse(path)["modules"].items():
            detail = module["detail"]
            if module["type"] == "bicep_registry_alias":
                assert detail["path"].startswith("avm/res/"), name
                assert re.fullmatch(r"\d+\.\d+\.\d+", detail["tag"]), f"{name}: pin an exact AVM version"


def test_durable_task_scheduler_is_consumption_with_a_non_empty_allow_list():
    main = parse(INFRA / "main.bicep")
    allow_list = main["parameters"]["dtsIpAllowlist"]
    assert allow_list["default"], "an empty ipAllowlist denies all traffic"
    scheduler = parse(INFRA / "modules" / "durable-task-scheduler.bicep")["resources"]["scheduler"]
    assert resource_body(scheduler)["properties"]["sku"]["name"] == "Consumption"
    assert main["parameters"]["durableBackend"]["default"] == "dts"


def test_host_json_serves_every_backend():
    host = json.loads((REPO / "host.json").read_text())
    durable = host["extensions"]["durableTask"]
    assert "storageProvider" not in durable, "the provider is switched by app settings only"
    assert durable["hubName"] == "%DURABLE_TASK_HUB_NAME%"


def test_app_service_authentication_returns_401_but_leaves_health_and_openapi_anonymous():
    template = parse(INFRA / "modules" / "function-app.bicep")
    auth = resource_body(template["resources"]["authentication"])
    validation = auth["properties"]["globalValidation"]
    assert validation["unauthenticatedClientAction"] == "Return401"
    assert validation["excludedPaths"] == "anonymousPaths"
    assert set(template["variables"]["anonymousPaths"]["value"]) == {"/health", "/openapi.json"}


def test_flex_consumption_python_default():
    main = parse(INFRA / "main.bicep")
    python = main["parameters"]["pythonVersion"]
    assert python["default"] == "3.12"
    plan = main["modules"]["plan"]
    assert resource_body(plan)["params"]["sku"]["name"] == "FC1"


def test_parameters_file_names_only_real_parameters():
    declared = set(parse(INFRA / "main.bicep")["parameters"])
    values = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert set(values) <= declared


def test_the_hosts_body_limit_is_above_the_apps():
    """Issue 16 item 8: with the host's limit equal to the app's, the host's empty 413 answered every
    oversized body and the app's JSON 413 was unreachable."""
    main = (REPO / "infra" / "main.bicep").read_text(encoding="utf-8")
    host_limit = re.search(r"^\s*FUNCTIONS_REQUEST_BODY_SIZE_LIMIT:\s*(.+)$", main, re.M).group(1)
    assert re.fullmatch(r"string\(maxRequestBytes \* [2-9]\)", host_limit.strip()), host_limit
    example = json.loads((REPO / "local.settings.json.example").read_text(encoding="utf-8"))["Values"]
    assert int(example["FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"]) > int(example["MAX_REQUEST_BYTES"])


def test_the_processing_location_parameter_allows_what_the_app_accepts_and_defaults_to_the_service():
    """An empty value leaves processingLocation unsent (the service's default); the others are the app's choices."""
    from config.settings import DEFAULT_ANALYSIS_TIMEOUT_SECONDS, PROCESSING_LOCATIONS

    parameters = parse(INFRA / "main.bicep")["parameters"]
    location = parameters["contentUnderstandingProcessingLocation"]
    assert set(decorators(location)["allowed"]) == {"", *PROCESSING_LOCATIONS}
    assert location["default"] == ""
    values = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert values["contentUnderstandingProcessingLocation"]["value"] == "${CONTENT_UNDERSTANDING_PROCESSING_LOCATION=}"
    assert parameters["analysisTimeoutSeconds"]["default"] == DEFAULT_ANALYSIS_TIMEOUT_SECONDS  # the frontend budget


def test_the_blob_stores_live_where_the_identity_may_write_lease_list_and_delete():
    """DURATION_MODEL_STORE and RESULT_STORE (write once, lease, list, Blob Batch delete, create a missing container)
    are containers of the host account, on which the identity holds Storage Blob Data Owner (the data actions
    `containers/blobs/*` and the action `blobServices/containers/*`), and the template creates both containers."""
    main = (INFRA / "main.bicep").read_text(encoding="utf-8")
    template = parse(INFRA / "main.bicep")
    for setting, container in (
        ("DURATION_MODEL_STORE", "durationModelContainerName"),
        ("RESULT_STORE", "resultCopiesContainerName"),
    ):
        value = re.search(rf"^\s*{setting}:\s*'(.+)'\s*$", main, re.M).group(1)
        assert value == f"https://${{hostStorageName}}.blob.${{environment().suffixes.storage}}/${{{container}}}", (
            setting
        )
        assert f"name: {container}" in main, f"the template does not create the {setting} container"
    passed = resource_body(template["modules"]["roles"])["params"]["hostStorageName"]
    assert passed["operator"]["operands"]["operand_1"] == "hostStorage"
    host_roles = {
        role
        for path, _, resource, roles in role_assignments()
        if path.name == "role-assignments.bicep" and resource_body(resource)["scope"] == "hostStorage"
        for role in roles
    }
    assert "b7e6dc6d-f1e8-4753-8033-0f276bb0955b" in host_roles, "Storage Blob Data Owner on the host account"

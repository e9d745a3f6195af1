"""The app identity can read every container it may sign a user delegation SAS for.

A user delegation SAS grants at most what the signing identity may do on the target container (Storage docs;
shared/reference/azure-deployment-and-identity.md), and Azurite enforces no roles, so no local run can show
a missing read role: every file-id analysis in Azure would fail with 403 from Content Understanding. This
derives the containers from the layout code itself (input_files/sas_urls.py), for every layout and the scopes
a caller can have, and checks that the Bicep's Storage Blob Data Reader assignment covers each of them, so a
layout change cannot drift from the roles.
"""

from __future__ import annotations

import re

import pytest

from input_files.sas_urls import CONTAINER_LAYOUTS, container_for_scope
from tests.infra.bicep import INFRA, parse, resource_body, role_assignments

ROLES_FILE = INFRA / "modules" / "role-assignments.bicep"
STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
STORAGE_BLOB_DELEGATOR = "db58b8e5-c6ad-4a2a-8342-4190687cbf4a"
ACCOUNT = "stinexample"

# Every kind of scope the app signs for: anonymous (base container), group and user object ids (GUIDs, any
# case), ids that are not GUIDs (hashed), ids too long for a container name, and legacy group prefixes.
SCOPES = [
    None,
    {"kind": "group", "id": "7f0c2a1e-9b3d-4c5e-8f6a-0b1c2d3e4f5a"},
    {"kind": "group", "id": "7F0C2A1E-9B3D-4C5E-8F6A-0B1C2D3E4F5A"},
    {"kind": "user", "id": "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"},
    {"kind": "group", "id": "team-one"},
    {"kind": "user", "id": "x" * 200},
    {"kind": "group", "id": "ABCDEFGH-shared-prefix"},
]


def base_container() -> str:
    return parse(INFRA / "main.bicep")["parameters"]["inputContainerName"]["default"]


def signed_containers(layout: str) -> set[str]:
    """The containers the app signs SAS URLs for with this layout, from the layout code."""
    url = f"https://{ACCOUNT}.blob.core.windows.net/{base_container()}"
    containers = set()
    for scope in SCOPES:
        location = container_for_scope(url, scope, layout)
        assert location.account_name == ACCOUNT, "a scope's container left the account of INPUT_CONTAINER_URL"
        containers.add(location.container)
    return containers


def assignment_of(role: str) -> dict:
    """The body of the one assignment of `role` (a role definition id) to the app identity on input storage."""
    found = [
        resource_body(resource)
        for path, _, resource, roles in role_assignments()
        if path == ROLES_FILE and role in roles
    ]
    assert len(found) == 1, f"expected one assignment of role {role} in {ROLES_FILE.name}, found {len(found)}"
    return found[0]


def covers(assignment: dict, container: str) -> bool:
    """Whether the assignment lets its principal read blobs in `container` of the input account."""
    template = parse(ROLES_FILE)
    scope = template["resources"][assignment["scope"]]
    body = resource_body(scope)
    base = base_container()
    if scope["type"] == "Microsoft.Storage/storageAccounts":
        in_scope = body["name"] == "inputStorageName"
    elif scope["type"] == "Microsoft.Storage/storageAccounts/blobServices/containers":
        name = body["name"].replace("${inputStorageName}/default/", "").replace("${inputContainerName}", base)
        in_scope = name == container
    else:
        raise AssertionError(f"unexpected scope type {scope['type']}")
    condition = assignment["properties"].get("condition")
    if condition:  # an ABAC condition on the container name (StringEquals / StringStartsWith)
        text = str(condition).replace("${inputContainerName}", base)
        allowed = re.findall(r"(StringEquals|StringStartsWith)\s+'([^']*)'", text)
        in_scope = in_scope and any(
            container == value if op == "StringEquals" else container.startswith(value) for op, value in allowed
        )
    return in_scope


@pytest.mark.parametrize("layout", CONTAINER_LAYOUTS)
def test_the_reader_role_covers_every_container_the_app_signs_for(layout):
    reader = assignment_of(STORAGE_BLOB_DATA_READER)
    containers = signed_containers(layout)
    assert len(containers) > 1, "the layout should give scopes their own containers"
    unreadable = sorted(c for c in containers if not covers(reader, c))
    assert not unreadable, f"{layout}: the app signs SAS URLs for containers it cannot read: {unreadable}"


def test_the_delegation_key_is_granted_at_the_input_account():
    delegator = assignment_of(STORAGE_BLOB_DELEGATOR)
    scope = parse(ROLES_FILE)["resources"][delegator["scope"]]
    assert scope["type"] == "Microsoft.Storage/storageAccounts"
    assert resource_body(scope)["name"] == "inputStorageName"


def test_the_roles_are_on_the_account_the_app_signs_for():
    """INPUT_CONTAINER_URL and the role assignments name the same storage account (the input one)."""
    main = parse(INFRA / "main.bicep")
    url = main["variables"]["inputContainerUrl"]["value"]
    assert url.startswith("https://${inputStorageName}.blob.") and url.endswith("/${inputContainerName}")
    assert resource_body(main["modules"]["inputStorage"])["params"]["name"] == "inputStorageName"
    passed = resource_body(main["modules"]["roles"])["params"]["inputStorageName"]
    assert passed["operator"]["operands"]["operand_1"] == "inputStorage"


def test_a_container_name_condition_is_held_to_the_same_containers():
    """Should the reader role get an ABAC condition (a shared account, docs/security.md), the check still holds."""
    action = "!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})"
    attribute = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]"

    def with_condition(expression: str) -> dict:
        return {"scope": "inputStorage", "properties": {"condition": f"(({action}) OR ({attribute} {expression}))"}}

    for layout in CONTAINER_LAYOUTS:
        prefix = with_condition("StringStartsWith '${inputContainerName}'")
        assert all(covers(prefix, container) for container in signed_containers(layout))
        only_base = with_condition("StringEquals '${inputContainerName}'")
        assert not all(covers(only_base, container) for container in signed_containers(layout))

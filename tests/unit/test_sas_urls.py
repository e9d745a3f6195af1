from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from input_files.sas_urls import (
    CONTAINER_NAME_PATTERN,
    LEGACY_GROUP_PREFIX_LAYOUT,
    MAX_BASE_CONTAINER_NAME,
    PER_SCOPE_LAYOUT,
    SasUrlFactory,
    account_key_from_connection_string,
    container_for_scope,
    scope_container_name,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


GROUP = {"kind": "group", "id": "ABCDEF123456"}


def test_legacy_layout_uses_the_first_eight_characters_of_the_group():
    location = container_for_scope(
        "https://acct.blob.core.windows.net/pro-input-files", GROUP, LEGACY_GROUP_PREFIX_LAYOUT
    )
    assert location.container == "pro-input-files-group-abcdef12"
    assert location.account_name == "acct"
    assert (
        location.blob_url("a b/c.pdf")
        == "https://acct.blob.core.windows.net/pro-input-files-group-abcdef12/a%20b/c.pdf"
    )


def test_path_style_endpoints_such_as_azurite_keep_the_account_in_the_path():
    location = container_for_scope("http://127.0.0.1:10000/devstoreaccount1/pro-input-files", None)
    assert location.account_url == "http://127.0.0.1:10000/devstoreaccount1"
    assert location.account_name == "devstoreaccount1"
    assert location.container == "pro-input-files"


def test_connection_strings_with_a_key_sign_with_that_key():
    assert account_key_from_connection_string("UseDevelopmentStorage=true")[0] == "devstoreaccount1"
    assert account_key_from_connection_string("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Zm9v;") == (
        "a",
        "Zm9v",
    )
    assert account_key_from_connection_string(None) is None
    assert account_key_from_connection_string("BlobEndpoint=https://a.blob.core.windows.net") is None


def test_account_key_sas_is_read_only_and_expires_soon():
    factory = SasUrlFactory(
        "http://127.0.0.1:10000/devstoreaccount1/pro-input-files", "UseDevelopmentStorage=true", 900
    )
    scope = {"kind": "group", "id": "0a1b2c3d-0000-4000-8000-00000000abcd"}
    url = factory.url_for("invoices/a.pdf", scope, now=NOW)
    parts = urlsplit(url)
    assert parts.path == "/devstoreaccount1/pro-input-files-g-0a1b2c3d-0000-4000-8000-00000000abcd/invoices/a.pdf"
    query = parse_qs(parts.query)
    assert query["sp"] == ["r"]
    assert query["se"] == ["2026-11-29T12:15:00Z"]
    assert query["sr"] == ["b"]
    assert query["sig"][0]


def test_per_scope_layout_never_shares_a_container_between_scopes():
    """Groups sharing their first 8 characters shared a container (and SAS URLs) in the old layout."""
    names = {
        scope_container_name("pro-input-files", {"kind": kind, "id": scope_id})
        for kind in ("group", "user")
        for scope_id in ("abcdefgh-1", "ABCDEFGH-2", "abcdefgh", "0a1b2c3d-0000-4000-8000-00000000abcd")
    }
    assert len(names) == 8
    assert all(len(name) <= 63 and name == name.lower() and "_" not in name for name in names)
    legacy = {
        scope_container_name("pro-input-files", {"kind": "group", "id": g}, LEGACY_GROUP_PREFIX_LAYOUT)
        for g in ("abcdefgh-1", "ABCDEFGH-2")
    }
    assert legacy == {"pro-input-files-group-abcdefgh"}  # the documented collision of the legacy layout


def test_the_longest_base_container_the_settings_allow_still_gives_valid_scope_containers():
    """config/settings.py refuses a longer INPUT_CONTAINER_URL container: its scopes' names would pass 63."""
    base = "b" * MAX_BASE_CONTAINER_NAME
    for layout in (PER_SCOPE_LAYOUT, LEGACY_GROUP_PREFIX_LAYOUT):
        for kind in ("group", "user"):
            for scope_id in ("0a1b2c3d-0000-4000-8000-00000000abcd", "not-a-guid", "x" * 200):
                name = scope_container_name(base, {"kind": kind, "id": scope_id}, layout)
                assert len(name) <= 63 and CONTAINER_NAME_PATTERN.fullmatch(name), name
    assert len(scope_container_name(base + "b", {"kind": "user", "id": "not-a-guid"})) > 63


@pytest.mark.parametrize("scope", [None, {"kind": "anonymous", "id": ""}])
def test_anonymous_callers_use_the_base_container(scope):
    assert scope_container_name("pro-input-files", scope) == "pro-input-files"


def test_user_scopes_never_share_a_container_in_the_legacy_layout():
    """Issue 16 item 2: in legacy-group-prefix every signed-in user without X-Group-ID shared the base
    container, so user A could name user B's files and get a read SAS for them."""
    base = "https://acct.blob.core.windows.net/pro-input-files"
    alice = {"kind": "user", "id": "0a1b2c3d-0000-4000-8000-00000000000a"}
    bob = {"kind": "user", "id": "0a1b2c3d-0000-4000-8000-00000000000b"}
    containers = {container_for_scope(base, s, LEGACY_GROUP_PREFIX_LAYOUT).container for s in (alice, bob)}
    assert len(containers) == 2
    assert "pro-input-files" not in containers
    assert container_for_scope(base, alice, LEGACY_GROUP_PREFIX_LAYOUT).container == scope_container_name(
        "pro-input-files", alice
    )  # the same container as in the per-scope layout

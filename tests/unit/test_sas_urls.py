from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

from input_files.sas_urls import SasUrlFactory, account_key_from_connection_string, container_for_group

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def test_group_container_uses_the_first_eight_characters_of_the_group():
    location = container_for_group("https://acct.blob.core.windows.net/pro-input-files", "ABCDEF123456")
    assert location.container == "pro-input-files-group-abcdef12"
    assert location.account_name == "acct"
    assert (
        location.blob_url("a b/c.pdf")
        == "https://acct.blob.core.windows.net/pro-input-files-group-abcdef12/a%20b/c.pdf"
    )


def test_path_style_endpoints_such_as_azurite_keep_the_account_in_the_path():
    location = container_for_group("http://127.0.0.1:10000/devstoreaccount1/pro-input-files", None)
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
    url = factory.url_for("invoices/a.pdf", "group-1234", now=NOW)
    parts = urlsplit(url)
    assert parts.path == "/devstoreaccount1/pro-input-files-group-group-12/invoices/a.pdf"
    query = parse_qs(parts.query)
    assert query["sp"] == ["r"]
    assert query["se"] == ["2026-11-29T12:15:00Z"]
    assert query["sr"] == ["b"]
    assert query["sig"][0]

"""How the allowed origins are gathered and matched (the HTTP behaviour is in test_http_platform.py)."""

import pytest

from tools.devhost.cors import cors_policy, parse_origins


def test_origins_are_comma_separated_or_a_json_array():
    assert parse_origins(" https://a.test, ,https://b.test ") == ["https://a.test", "https://b.test"]
    assert parse_origins('["https://a.test", "https://b.test"]') == ["https://a.test", "https://b.test"]
    assert parse_origins("") == parse_origins(None) == []


def test_the_union_of_all_sources_matched_exactly():
    policy = cors_policy(["https://A.test", None, "https://b.test,https://a.test"], credentials=False)
    assert policy is not None and not policy.any_origin
    assert policy.origins == {"https://a.test", "https://b.test"}
    assert policy.allows("https://a.test") and not policy.allows("https://a.test:443")
    assert policy.varies_by_origin


def test_no_origin_means_no_cors_handling_even_with_credentials():
    assert cors_policy([None, "", " , "], credentials=True) is None


def test_a_star_anywhere_allows_any_origin_but_not_with_credentials():
    policy = cors_policy(["https://a.test", "*"], credentials=False)
    assert policy is not None and policy.any_origin and policy.allows("https://whoever.test")
    assert policy.allowed_origin_header("https://whoever.test") == "*" and not policy.varies_by_origin
    with pytest.raises(ValueError, match="wildcard"):
        cors_policy(["*"], credentials=True)

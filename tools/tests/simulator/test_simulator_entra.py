"""The Entra ID stand-in: OpenID metadata, JWKS, minted RS256 tokens, rogue keys, key rotation."""

from __future__ import annotations

import jwt
import pytest
import requests

from tools.simulator.entra import DEFAULT_TENANT
from tools.tests.simulator.helpers import API

TENANT = "11111111-2222-3333-4444-555555555555"
AUDIENCE = "api://content-analysis"


def jwks_client(sim, tenant=TENANT) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(f"{sim.base_url}/{tenant}/discovery/v2.0/keys", cache_keys=False)


def validate(sim, token, tenant=TENANT, **options):
    key = jwks_client(sim, tenant).get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=AUDIENCE,
        issuer=f"{sim.base_url}/{tenant}/v2.0",
        **options,
    )


def test_openid_configuration_names_issuer_and_jwks_uri(sim):
    response = requests.get(f"{sim.base_url}/{TENANT}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    config = response.json()
    assert config["issuer"] == f"{sim.base_url}/{TENANT}/v2.0"
    assert config["jwks_uri"] == f"{sim.base_url}/{TENANT}/discovery/v2.0/keys"
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert sim.openid_configuration_url(TENANT) == response.url


def test_jwks_publishes_rsa_signing_keys_like_entra(sim):
    response = requests.get(f"{sim.base_url}/{TENANT}/discovery/v2.0/keys")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert key["kty"] == "RSA" and key["use"] == "sig"
    assert key["kid"] and key["n"] and key["e"] == "AQAB"
    assert key["issuer"] == f"{sim.base_url}/{TENANT}/v2.0"
    assert "d" not in key and "p" not in key  # public part only
    assert sim.stats()["jwks_calls"] == 1


def test_minted_token_over_http_validates_against_the_jwks(sim):
    response = requests.post(
        f"{sim.base_url}/_sim/token",
        json={"claims": {"aud": AUDIENCE, "oid": "user-1", "roles": ["Analyst"]}, "tenant": TENANT},
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["kid"] == requests.get(sim.jwks_uri(TENANT)).json()["keys"][0]["kid"]
    claims = validate(sim, token)
    assert claims["tid"] == TENANT
    assert claims["ver"] == "2.0"
    assert claims["oid"] == "user-1" and claims["roles"] == ["Analyst"]
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["nbf"] == claims["iat"]


def test_caller_claims_override_defaults_and_tenant_defaults(sim):
    token = sim.mint_token({"aud": AUDIENCE, "ver": "1.0", "iss": "https://elsewhere/"})
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["ver"], claims["iss"], claims["tid"]) == ("1.0", "https://elsewhere/", DEFAULT_TENANT)


def test_rogue_token_reuses_the_kid_but_fails_the_signature(sim):
    trusted = sim.mint_token({"aud": AUDIENCE}, tenant=TENANT)
    rogue = sim.mint_token({"aud": AUDIENCE}, key="rogue", tenant=TENANT)
    assert jwt.get_unverified_header(rogue)["kid"] == jwt.get_unverified_header(trusted)["kid"]
    validate(sim, trusted)
    with pytest.raises(jwt.InvalidSignatureError):
        validate(sim, rogue)


def test_rogue_over_http_too(sim):
    token = requests.post(
        f"{sim.base_url}/_sim/token", json={"claims": {"aud": AUDIENCE}, "key": "rogue", "tenant": TENANT}
    ).json()["access_token"]
    with pytest.raises(jwt.InvalidSignatureError):
        validate(sim, token)


def test_expired_and_not_yet_valid_tokens(sim):
    expired = sim.mint_token({"aud": AUDIENCE}, tenant=TENANT, expires_in=-60)
    future = requests.post(
        f"{sim.base_url}/_sim/token",
        json={"claims": {"aud": AUDIENCE}, "tenant": TENANT, "not_before_in": 600},
    ).json()["access_token"]
    with pytest.raises(jwt.ExpiredSignatureError):
        validate(sim, expired)
    with pytest.raises(jwt.ImmatureSignatureError):
        validate(sim, future)


def test_rotation_adds_a_key_that_signs_from_then_on(sim):
    before = sim.mint_token({"aud": AUDIENCE}, tenant=TENANT)
    old_kid = jwt.get_unverified_header(before)["kid"]
    rotated = requests.post(f"{sim.base_url}/_sim/jwks/rotate")
    assert rotated.status_code == 200
    new_kid = rotated.json()["kid"]
    after = sim.mint_token({"aud": AUDIENCE}, tenant=TENANT)
    assert jwt.get_unverified_header(after)["kid"] == new_kid != old_kid
    kids = [k["kid"] for k in requests.get(sim.jwks_uri(TENANT)).json()["keys"]]
    assert kids == [old_kid, new_kid]
    validate(sim, before)
    validate(sim, after)
    assert sim.rotate_signing_key() not in (old_kid, new_kid)


def test_a_validator_caching_keys_refreshes_on_unknown_kid(sim):
    cache: dict[str, dict] = {}

    def key_for(token: str) -> dict:
        kid = jwt.get_unverified_header(token)["kid"]
        if kid not in cache:  # refresh-on-unknown-kid, the behaviour the app's validator needs
            cache.update({k["kid"]: k for k in requests.get(sim.jwks_uri(TENANT)).json()["keys"]})
        return cache[kid]

    key_for(sim.mint_token({"aud": AUDIENCE}, tenant=TENANT))
    key_for(sim.mint_token({"aud": AUDIENCE}, tenant=TENANT))
    assert sim.stats()["jwks_calls"] == 1
    sim.rotate_signing_key()
    token = sim.mint_token({"aud": AUDIENCE}, tenant=TENANT)
    jwk = key_for(token)
    assert sim.stats()["jwks_calls"] == 2
    public_key = jwt.PyJWK(jwk, algorithm="RS256").key
    jwt.decode(token, public_key, algorithms=["RS256"], audience=AUDIENCE)


def test_bad_token_requests_are_400(sim):
    url = f"{sim.base_url}/_sim/token"
    assert requests.post(url, json={"key": "stolen"}).status_code == 400
    assert requests.post(url, json={"claims": ["aud"]}).status_code == 400
    assert requests.post(url, json={"expires_in": "soon"}).status_code == 400


def test_content_understanding_auth_is_unchanged_by_minted_tokens(sim):
    analyze = f"{sim.base_url}/contentunderstanding/analyzers/prebuilt-read:analyze?{API}"
    body = {"inputs": [{"url": "https://example.com/a.pdf"}]}
    rogue = sim.mint_token({"aud": "https://cognitiveservices.azure.com"}, key="rogue")
    # Same rule as before for any bearer token: non-empty is accepted, no JWT validation on CU routes.
    assert requests.post(analyze, json=body, headers={"Authorization": f"Bearer {rogue}"}).status_code == 202
    assert requests.post(analyze, json=body, headers={"Authorization": "Bearer "}).status_code == 401


def test_entra_paths_need_no_key_and_unknown_ones_are_404(sim):
    assert requests.get(f"{sim.base_url}/{TENANT}/discovery/v2.0/other").status_code == 404
    assert requests.post(f"{sim.base_url}/{TENANT}/discovery/v2.0/keys").status_code == 404


def test_reset_clears_jwks_calls_but_keeps_keys(sim):
    kid = jwt.get_unverified_header(sim.mint_token())["kid"]
    requests.get(sim.jwks_uri())
    sim.reset()
    assert sim.stats()["jwks_calls"] == 0
    assert jwt.get_unverified_header(sim.mint_token())["kid"] == kid


def test_issuer_follows_public_base_url():
    from tools.simulator import start_simulator

    with start_simulator(port=0, quiet=True, public_base_url="http://localhost:{port}") as sim:
        claims = jwt.decode(sim.mint_token(tenant=TENANT), options={"verify_signature": False})
        config = requests.get(f"{sim.base_url}/{TENANT}/v2.0/.well-known/openid-configuration").json()
    assert claims["iss"] == config["issuer"] == f"http://localhost:{sim.port}/{TENANT}/v2.0"

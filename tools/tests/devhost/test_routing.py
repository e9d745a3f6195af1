"""Route templates behave like the Functions host's (ASP.NET Core) routing."""

import pytest

from tools.devhost.http_triggers import select_route
from tools.devhost.indexing import FunctionSpec
from tools.devhost.routing import RouteTemplateError, parse_template


def match(template: str, path: str, prefix: str = "api"):
    return parse_template(template, prefix).match(path)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/pro-mode/content-analyzers/prebuilt-invoice:analyze", "prebuilt-invoice"),
        ("/api/pro-mode/content-analyzers/my.analyzer-v2_1:analyze", "my.analyzer-v2_1"),
        ("/api/pro-mode/content-analyzers/a:b:analyze", "a:b"),  # the parameter takes the longest prefix
        ("/api/PRO-MODE/Content-Analyzers/x:ANALYZE", "x"),  # literals are case-insensitive
        ("/api/pro-mode/content-analyzers/caf%C3%A9:analyze", "café"),  # values are URL-decoded
        # Characters whose full case folding changes length: offsets are those of the original path.
        ("/api/pro-mode/content-analyzers/%C3%9F:analyze", "ß"),
        ("/api/pro-mode/content-analyzers/stra%C3%9Fe%C3%9F:analyze", "straßeß"),
        ("/api/pro-mode/content-analyzers/%EF%AC%81x:analyze", "ﬁx"),  # U+FB01 folds to "fi"
    ],
)
def test_complex_segment_captures_the_parameter_before_the_literal(path, expected):
    values = match("pro-mode/content-analyzers/{analyzerId}:analyze", path)
    assert values == {"analyzerId": expected}


@pytest.mark.parametrize(
    "path",
    [
        "/api/pro-mode/content-analyzers/:analyze",  # empty parameter
        "/api/pro-mode/content-analyzers/prebuilt-invoice",  # literal missing
        "/api/pro-mode/content-analyzers/x:analyzer",  # literal must end the segment
        "/api/pro-mode/content-analyzers/x:analyze/extra",
    ],
)
def test_complex_segment_rejects(path):
    assert match("pro-mode/content-analyzers/{analyzerId}:analyze", path) is None


def test_complex_segment_with_literal_prefix_and_two_parameters():
    assert match("files/v{major}.{minor}", "/api/files/v1.2.3") == {"major": "1.2", "minor": "3"}
    assert match("files/v{major}.{minor}", "/api/files/x1.2") is None


def test_simple_parameters_and_prefix():
    assert match("analyzerResults/{operationId}", "/api/analyzerResults/abc-123") == {"operationId": "abc-123"}
    assert match("analyzerResults/{operationId}", "/analyzerResults/abc-123") is None
    assert match("analyzerResults/{operationId}", "/analyzerResults/abc", prefix="") == {"operationId": "abc"}
    assert match("analyzerResults/{operationId}", "/api/analyzerResults/abc/", prefix="api") == {"operationId": "abc"}
    assert match("a/{b}", "/api/a") is None
    assert match("a/{b}", "/api/a/b/c") is None


def test_literal_segments_are_case_insensitive():
    assert match("Health/Live", "/API/health/LIVE") == {}


def test_case_is_ignored_ordinally_not_by_full_case_folding():
    """ASP.NET compares OrdinalIgnoreCase: `ß` is not `ss` (Python's casefold would say it is)."""
    assert match("stra\u00dfe", "/api/STRASSE") is None
    assert match("strasse", "/api/stra%C3%9Fe") is None
    assert match("stra\u00dfe", "/api/stra%C3%9Fe") == {}
    assert match("files/{name}.txt", "/api/files/%C3%9F%C3%9F.TXT") == {"name": "ßß"}


def test_optional_parameter_and_default():
    assert match("items/{id?}", "/api/items") == {}
    assert match("items/{id?}", "/api/items/7") == {"id": "7"}
    assert match("items/{page=1}", "/api/items") == {"page": "1"}


def test_catch_all_takes_the_rest_of_the_path():
    assert match("files/{*path}", "/api/files/a/b%20c/d.txt") == {"path": "a/b c/d.txt"}
    assert match("files/{*path}", "/api/files") == {}


@pytest.mark.parametrize(
    ("template", "good", "bad"),
    [
        ("n/{id:int}", "42", "4x"),
        ("n/{id:guid}", "6f9619ff-8b86-d011-b42d-00cf4fc964ff", "not-a-guid"),
        ("n/{id:alpha}", "abcXYZ", "abc1"),
        ("n/{id:length(3)}", "abc", "abcd"),
        ("n/{id:range(1,10)}", "10", "11"),
        ("n/{id:regex(^\\d{{3}}$)}", "123", "1234"),
        ("n/{id:int:min(5)}", "5", "4"),
    ],
)
def test_constraints(template, good, bad):
    assert match(template, f"/api/n/{good}") == {"id": good}
    assert match(template, f"/api/n/{bad}") is None


@pytest.mark.parametrize("template", ["a/{b}{c}", "a/{*b}/c", "a/{b", "a//b", "a/{b?}x"])
def test_invalid_templates_are_rejected(template):
    with pytest.raises(RouteTemplateError):
        parse_template(template, "api")


def _spec(name: str, route: str, methods: tuple[str, ...], index: int) -> FunctionSpec:
    return FunctionSpec(
        name=name,
        trigger_type="httpTrigger",
        trigger={"name": "req"},
        user_function=lambda req: None,
        route=parse_template(route, "api"),
        methods=methods,
        index=index,
    )


def test_route_selection_prefers_literals_and_dispatches_by_method():
    routes = sorted(
        [
            _spec("by_id", "items/{id}", ("GET",), 0),
            _spec("search", "items/search", ("GET",), 1),
            _spec("create", "items/{id}", ("POST",), 2),
        ],
        key=lambda s: (s.route.precedence, s.index),
    )
    assert select_route(routes, "GET", "/api/items/search")[0].name == "search"
    assert select_route(routes, "GET", "/api/items/7")[0].name == "by_id"
    assert select_route(routes, "post", "/api/items/7")[0].name == "create"


def test_method_mismatch_is_no_match_like_the_functions_host():
    """The host answers 404 (not 405) when only the method differs (azure-functions-host#10098)."""
    routes = [_spec("only_get", "things", ("GET",), 0)]
    assert select_route(routes, "DELETE", "/api/things") is None
    assert select_route(routes, "GET", "/api/nothing") is None

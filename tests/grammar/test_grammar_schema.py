"""grammar/schema.py: the JSON Schema subset both grammar engines compile."""

import json

import pytest

from webgpu_llm.grammar.schema import FORMATS, TYPES, prepare_schema
from webgpu_llm.grammar.spec import GrammarError

from schema_cases import REFUSED_SCHEMAS, SCHEMA_CASES

NODE_KEYS = {
    "string": {"minLength", "maxLength", "pattern", "format"},
    "integer": {"minimum", "maximum"},
    "number": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
    "array": {"items", "minItems", "maxItems"},
    "object": {"properties", "required", "additionalProperties"},
    "boolean": set(), "null": set(),
}


def check_prepared_node(node, defs):
    """Fails unless `node` has exactly one of the shapes the schema.py docstring promises."""
    assert isinstance(node, dict), node
    if not node:
        return
    if "enum" in node:
        assert set(node) == {"enum"} and node["enum"], node
        return
    if "anyOf" in node:
        assert set(node) == {"anyOf"} and node["anyOf"], node
        for branch in node["anyOf"]:
            check_prepared_node(branch, defs)
        return
    if "$ref" in node:
        assert set(node) == {"$ref"}, node
        assert node["$ref"].startswith("#/$defs/") and node["$ref"][len("#/$defs/"):] in defs, node
        return
    kind = node["type"]
    assert kind in TYPES and set(node) - {"type"} <= NODE_KEYS[kind], node
    if kind == "string":
        assert len({"pattern", "format"} & node.keys()) + bool({"minLength", "maxLength"} & node.keys()) <= 1
        assert node.get("format", "date") in FORMATS
    if kind == "integer":
        assert all(isinstance(node[k], int) for k in ("minimum", "maximum") if k in node)
    if kind == "number":
        assert not ({"minimum", "exclusiveMinimum"} <= node.keys())
        assert not ({"maximum", "exclusiveMaximum"} <= node.keys())
    if kind == "array" and "items" in node:
        check_prepared_node(node["items"], defs)
    if kind == "object":
        assert isinstance(node["additionalProperties"], bool)
        assert set(node["required"]) <= set(node["properties"])
        for child in node["properties"].values():
            check_prepared_node(child, defs)


def check_prepared(prepared):
    defs = prepared.get("$defs", {})
    body = {k: v for k, v in prepared.items() if k != "$defs"}
    check_prepared_node(body, defs)
    for node in defs.values():
        check_prepared_node(node, defs)


def test_at_least_thirty_schema_cases():
    assert len(SCHEMA_CASES) >= 30
    assert len({name for name, _ in SCHEMA_CASES}) == len(SCHEMA_CASES)


@pytest.mark.parametrize("name,schema", SCHEMA_CASES, ids=[name for name, _ in SCHEMA_CASES])
def test_supported_schema_prepares_into_the_documented_subset(name, schema):
    prepared = prepare_schema(schema, "response_format.json_schema.schema")
    json.dumps(prepared, allow_nan=False)
    check_prepared(prepared)
    # The prepared form is itself inside the subset and a fixed point of preparation.
    assert prepare_schema(prepared) == prepared


@pytest.mark.parametrize("schema,keyword", REFUSED_SCHEMAS, ids=[f"{i}-{k}" for i, (_, k) in
                                                                  enumerate(REFUSED_SCHEMAS)])
def test_refused_schema_names_keyword_and_place(schema, keyword):
    with pytest.raises(GrammarError) as caught:
        prepare_schema(schema, "response_format.json_schema.schema")
    message = str(caught.value)
    assert keyword in message
    assert message.startswith("response_format.json_schema.schema at /")
    assert caught.value.param == "response_format.json_schema.schema"
    assert caught.value.pointer is not None and caught.value.pointer.startswith("/")


def test_pointer_names_the_nested_place():
    schema = {"type": "object", "properties": {"a/b": {"type": "array", "items": {"not": {}}}}}
    with pytest.raises(GrammarError, match=r"at /properties/a~1b/items/not: JSON Schema keyword 'not'") as caught:
        prepare_schema(schema, "tools[0].function.parameters")
    assert caught.value.keyword == "not"
    assert "supported: $defs, $ref" in str(caught.value)


def test_one_of_becomes_any_of_and_const_an_enum():
    prepared = prepare_schema({"oneOf": [{"const": "x"}, {"type": "integer"}]})
    assert prepared == {"anyOf": [{"enum": ["x"]}, {"type": "integer"}]}


def test_additional_properties_default_depends_on_properties():
    assert prepare_schema({"type": "object", "properties": {"a": {}}})["additionalProperties"] is False
    assert prepare_schema({"type": "object"})["additionalProperties"] is True
    assert prepare_schema({"type": "object", "properties": {}, "additionalProperties": True}) == \
        {"type": "object", "properties": {}, "required": [], "additionalProperties": True}


def test_type_list_splits_keywords_per_type():
    prepared = prepare_schema({"type": ["string", "integer", "null"], "maxLength": 3, "minimum": 1})
    assert prepared == {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "integer", "minimum": 1},
                                  {"type": "null"}]}


def test_integer_bounds_become_inclusive_integers():
    assert prepare_schema({"type": "integer", "exclusiveMinimum": 1.5, "maximum": 9.9, "exclusiveMaximum": 9}) \
        == {"type": "integer", "minimum": 2, "maximum": 8}


def test_number_keeps_the_tighter_bound_per_side():
    assert prepare_schema({"type": "number", "minimum": 1, "exclusiveMinimum": 1, "maximum": 5,
                           "exclusiveMaximum": 6}) == {"type": "number", "exclusiveMinimum": 1, "maximum": 5}


def test_refs_are_collected_under_defs_once():
    prepared = prepare_schema(SCHEMA_CASES_BY_NAME["ref_defs"])
    assert list(prepared["$defs"]) == ["address"]
    assert prepared["properties"]["home"] == prepared["properties"]["work"] == {"$ref": "#/$defs/address"}
    root = prepare_schema(SCHEMA_CASES_BY_NAME["recursive_root"])
    assert root["$defs"]["root"]["properties"]["next"]["anyOf"][0] == {"$ref": "#/$defs/root"}


def test_json_string_input_and_its_errors():
    assert prepare_schema('{"type": "boolean"}') == {"type": "boolean"}
    with pytest.raises(GrammarError, match="not valid JSON"):
        prepare_schema('{"type": ')
    with pytest.raises(GrammarError, match="not valid JSON"):
        prepare_schema('{"type": "number", "maximum": NaN}')
    with pytest.raises(GrammarError, match="must be a JSON Schema object, got list"):
        prepare_schema([{"type": "string"}])


SCHEMA_CASES_BY_NAME = dict(SCHEMA_CASES)

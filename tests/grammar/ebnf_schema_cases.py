"""Prepared JSON Schemas (the form grammar/schema.py gives) with texts the grammar must take or refuse.

Each Case lists
- valid: texts in the fixed layout (", " and ": ") that the schema accepts;
- invalid: texts the schema refuses (json.loads or jsonschema says no);
- layout: texts the schema accepts in another layout (free whitespace, other
  separators, other key order, other escapes), which the grammar refuses;
- narrower: texts the schema accepts that the grammar refuses by design
  (documented in grammar/json_ebnf.py and its helpers).
The test checks each list against `jsonschema` first, so a case cannot be wrong silently.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    schema: dict
    valid: tuple
    invalid: tuple = ()
    layout: tuple = ()
    narrower: tuple = ()


PERSON = {"type": "object", "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 20},
    "age": {"type": "integer", "minimum": 0, "maximum": 130},
    "email": {"type": "string", "format": "email"},
}, "required": ["name", "age"], "additionalProperties": False}

LINKED_LIST = {"$ref": "#/$defs/node", "$defs": {"node": {"type": "object", "properties": {
    "value": {"type": "integer"}, "next": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/node"}]},
}, "required": ["value", "next"], "additionalProperties": False}}}

TREE = {"$ref": "#/$defs/tree", "$defs": {"tree": {"type": "object", "properties": {
    "label": {"type": "string", "maxLength": 8},
    "children": {"type": "array", "items": {"$ref": "#/$defs/tree"}, "maxItems": 3},
}, "required": ["label"], "additionalProperties": False}}}

SHAPES = {"anyOf": [
    {"type": "object", "properties": {"kind": {"enum": ["circle"]}, "r": {"type": "number", "minimum": 0}},
     "required": ["kind", "r"], "additionalProperties": False},
    {"type": "object", "properties": {"kind": {"enum": ["square"]}, "side": {"type": "number", "minimum": 0}},
     "required": ["kind", "side"], "additionalProperties": False},
    {"type": "object", "properties": {"kind": {"enum": ["segment"]}, "n": {"type": "integer"}},
     "required": ["kind", "n"], "additionalProperties": False},
]}

_RAW_CASES = [
    ("any_value", {}, ['{"a": [1, 2.5, "x", true, null, {}]}', '"text"', "-0", "1e-7", "[]"],
     ["{", '"unterminated'], ['{"a":1}', "[1,2]", " 1"]),
    ("string", {"type": "string"}, ['""', '"plain"', '"q\\"b\\\\s\\n\\t\\u001f\\u007f"', '"é😀/"'],
     ['"a', "12", '"\\x"'], []),
    ("string_length", {"type": "string", "minLength": 2, "maxLength": 4},
     ['"ab"', '"abcd"', '"\\n\\n"', '"éé"'], ['"a"', '"abcde"', '"\\n"'], []),
    ("string_max_zero", {"type": "string", "maxLength": 0}, ['""'], ['"a"'], []),
    ("pattern_anchored", {"type": "string", "pattern": "^[A-Z]{2}-[0-9]{3,5}$"},
     ['"AB-123"', '"XY-98765"'], ['"ab-123"', '"AB-12"', '"AB-123456"', '"xAB-123"'], []),
    ("pattern_unanchored", {"type": "string", "pattern": "cat|dog"},
     ['"cat"', '"a dog here"', '"concatenate"'], ['"cow"', '"c-a-t"'], []),
    ("pattern_alternation_literals", {"type": "string", "pattern": "^(x20|x11|x10)$"},
     ['"x20"', '"x11"', '"x10"'], ['"x21"', '"x1"', '"x200"'], []),
    ("pattern_escapes", {"type": "string", "pattern": "^\\d+(\\.\\d{1,2})?\\s?[\"\\\\]$"},
     ['"12.5 \\""', '"7\\\\"', '"3.14\\t\\\\"'], ['"12.555\\""', '"a\\""', '"12"'], []),
    ("pattern_dot", {"type": "string", "pattern": "^a.c$"}, ['"abc"', '"a\\"c"', '"a\\tc"', '"aéc"'],
     ['"a\\nc"', '"ac"'], []),
    ("format_date", {"type": "string", "format": "date"},
     ['"2024-02-29"', '"2023-12-31"', '"2000-02-29"', '"0001-01-01"'],
     ['"2023-02-29"', '"1900-02-29"', '"2024-13-01"', '"2024-04-31"', '"0000-01-01"', '"2024-1-01"'], []),
    ("format_time", {"type": "string", "format": "time"}, ['"12:00:00Z"', '"23:59:59.123+05:30"'],
     ['"24:00:00Z"', '"12:60:00Z"', '"12:00:00"'], []),
    ("format_date_time", {"type": "string", "format": "date-time"},
     ['"2024-01-01T12:00:00Z"', '"1999-12-31T23:59:59.5-08:00"'], ['"2024-01-01 12:00:00Z"', '"2024-01-01"'], []),
    ("format_email", {"type": "string", "format": "email"}, ['"a.b@c.de"', '"first+tag@sub.example.org"'],
     ['"no-at-sign"'], []),
    ("format_uuid", {"type": "string", "format": "uuid"},
     ['"123e4567-e89b-12d3-a456-426614174000"', '"123E4567-E89B-12D3-A456-426614174000"'],
     ['"123e4567e89b12d3a456426614174000"', '"123e4567-e89b-12d3-a456-42661417400g"'], []),
    ("integer", {"type": "integer"}, ["0", "-7", "123456789012345678901234567890"], ["1.5", "01", '"1"'], []),
    ("integer_range", {"type": "integer", "minimum": -5, "maximum": 120},
     ["-5", "0", "9", "10", "99", "100", "120"], ["-6", "121", "200", "1000", "-10"], []),
    ("integer_exclusive_prepared", {"type": "integer", "minimum": 1, "maximum": 9}, ["1", "5", "9"], ["0", "10"],
     []),
    ("integer_lower_only", {"type": "integer", "minimum": 1999}, ["1999", "2000", "10000"], ["1998", "-1", "999"],
     []),
    ("integer_upper_only", {"type": "integer", "maximum": -3}, ["-3", "-4", "-1000"], ["-2", "0", "5"], []),
    ("number", {"type": "number"}, ["0", "-1.25", "6.02e23", "1E-7"], ["1.", ".5", "+1", "01"], []),
    ("number_range", {"type": "number", "minimum": 0.5, "maximum": 10.25},
     ["0.5", "0.75", "1", "9.999", "10", "10.25", "10.2"], ["0.49", "10.26", "11", "-1", "0"], []),
    ("number_exclusive", {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
     ["0.5", "0.001", "0.999"], ["0", "1", "0.0", "1.0", "-0.5"], []),
    ("number_negative_range", {"type": "number", "minimum": -2.5, "maximum": -0.5},
     ["-2.5", "-1", "-0.5", "-0.75"], ["-2.6", "-0.4", "0", "1"], []),
    ("boolean", {"type": "boolean"}, ["true", "false"], ["True", "1", "null"], []),
    ("null", {"type": "null"}, ["null"], ["None", "0"], []),
    ("enum_strings_shared_prefix", {"enum": ["x20", "x11", "x10", "x1"]}, ['"x20"', '"x11"', '"x10"', '"x1"'],
     ['"x21"', '"x2"', '"x100"'], []),
    ("enum_mixed", {"enum": ["red", 1, 1.5, None, True, [1, 2], {"k": "v"}]},
     ['"red"', "1", "1.5", "null", "true", "[1, 2]", '{"k": "v"}'], ['"blue"', "2", "false", "[1]"],
     ["[1,2]", '{"k":"v"}']),
    ("enum_control_chars", {"enum": ["tab\there", "nul\u0000", "del\u007f", "quote\"", "slash/"]},
     ['"tab\\there"', '"nul\\u0000"', '"del\\u007f"', '"quote\\""', '"slash/"'], ['"tab here"'],
     ['"slash\\/"', '"tab\\u0009here"']),
    ("object_required_optional", PERSON,
     ['{"name": "Al", "age": 30}', '{"name": "Al", "age": 30, "email": "al@x.io"}'],
     ['{"age": 30}', '{"name": "", "age": 30}', '{"name": "Al", "age": 131}', '{"name": "Al", "age": 1, "x": 1}'],
     ['{"age": 30, "name": "Al"}', '{"name":"Al","age":30}', '{"name": "Al",  "age": 30}']),
    ("object_all_optional", {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"},
                                                              "c": {"type": "boolean"}},
                             "required": [], "additionalProperties": False},
     ["{}", '{"a": 1}', '{"b": "x"}', '{"c": true}', '{"a": 1, "c": false}', '{"a": 1, "b": "", "c": true}'],
     ['{"d": 1}', '{"a": "1"}'], ['{"b": "x", "a": 1}', '{"c": true, "a": 1}']),
    ("object_optional_key_prefixes", {"type": "object", "properties": {
        "id": {"enum": [1]}, "idx": {"enum": [2]}, "i": {"enum": [3]}}, "required": [], "additionalProperties": False},
     ["{}", '{"id": 1}', '{"idx": 2}', '{"i": 3}', '{"id": 1, "idx": 2, "i": 3}'],
     ['{"id": 2}', '{"idx": 1}', '{"i": 1}'], ['{"i": 3, "id": 1}']),
    ("object_any", {"type": "object", "properties": {}, "required": [], "additionalProperties": True},
     ["{}", '{"x": [1, {"y": null}]}'], ["[]", '{"x"}'], ['{"x":1}']),
    ("object_empty_closed", {"type": "object", "properties": {}, "required": [], "additionalProperties": False},
     ["{}"], ['{"a": 1}'], ["{ }"]),
    ("array_bounds", {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 9},
                      "minItems": 2, "maxItems": 4},
     ["[1, 2]", "[0, 9, 5, 5]"], ["[]", "[1]", "[1, 2, 3, 4, 5]", "[10, 1]"], ["[1,2]", "[ 1, 2]"]),
    ("array_any_items", {"type": "array"}, ["[]", '[1, "a", [null]]'], ["[1, ]"], ["[1,2]"]),
    ("array_max_zero", {"type": "array", "items": {"type": "string"}, "maxItems": 0}, ["[]"], ['["a"]'], []),
    ("array_of_enums", {"type": "array", "items": {"enum": ["x20", "x11", "x10"]}, "maxItems": 3},
     ['["x20", "x10"]', "[]"], ['["x21"]', '["x20", "x20", "x20", "x20"]'], []),
    ("any_of_types", {"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 0}, {"type": "string",
                                                                                      "maxLength": 3}]},
     ["null", "0", "42", '"abc"'], ["-1", '"abcd"', "true"], []),
    ("any_of_consts", {"anyOf": [{"enum": ["x20"]}, {"enum": ["x11"]}, {"enum": ["x10"]}]},
     ['"x20"', '"x11"', '"x10"'], ['"x21"', '"x1"'], []),
    ("any_of_objects", SHAPES,
     ['{"kind": "circle", "r": 1.5}', '{"kind": "square", "side": 2}', '{"kind": "segment", "n": -3}'],
     ['{"kind": "circle", "side": 1}', '{"kind": "square", "r": 1}', '{"kind": "segment", "n": 1.5}'], []),
    ("ref_linked_list", LINKED_LIST,
     ['{"value": 1, "next": null}', '{"value": 1, "next": {"value": 2, "next": null}}'],
     ['{"value": 1}', '{"value": 1, "next": {"value": 2}}'], []),
    ("ref_tree", TREE,
     ['{"label": "root"}', '{"label": "a", "children": [{"label": "b", "children": []}, {"label": "c"}]}'],
     ['{"label": "toolonglabel"}', '{"children": []}'], []),
    ("nested_objects", {"type": "object", "properties": {
        "user": PERSON, "tags": {"type": "array", "items": {"type": "string", "pattern": "^#[a-z]+$"}},
        "score": {"type": "number", "minimum": 0, "maximum": 1}}, "required": ["user"], "additionalProperties": False},
     ['{"user": {"name": "Bo", "age": 7}, "tags": ["#a", "#bc"], "score": 0.25}', '{"user": {"name": "Bo", "age": 7}}'],
     ['{"user": {"name": "Bo", "age": 7}, "tags": ["a"]}', '{"user": {"name": "Bo", "age": 7}, "score": 1.5}'], []),
]

CASES = [Case(name, schema, tuple(valid), tuple(invalid), tuple(layout)) for name, schema, valid, invalid, layout
         in _RAW_CASES] + [
    Case("integer_exponent", {"type": "integer"}, ("1000",), ("1.5",), (), ("1e3", "-0.0")),
    Case("email_needs_dot", {"type": "string", "format": "email"}, ('"a@b.c"',), ('"ab"',), (), ('"a@b"',)),
    Case("object_declared_only", {"type": "object", "properties": {"a": {"type": "integer"}}, "required": [],
                                  "additionalProperties": True},
         ("{}", '{"a": 1}'), ('{"a": "x"}',), (), ('{"a": 1, "b": 2}',)),
]

# Prepared-form violations: (schema, text the GrammarError must contain)
REFUSED = [
    ({"type": "string", "pattern": "(?=a)b"}, "pattern"),
    ({"type": "string", "pattern": "(a)\\1"}, "pattern"),
    ({"type": "string", "pattern": "\\bword"}, "pattern"),
    ({"type": "string", "pattern": "a(^b)"}, "pattern"),
    ({"type": "string", "pattern": "\\p{L}"}, "pattern"),
    ({"type": "string", "pattern": "(?i)abc"}, "pattern"),
    ({"type": "string", "format": "hostname"}, "format"),
    ({"type": "object", "properties": {}, "required": [], "additionalProperties": False, "minProperties": 1},
     "minProperties"),
    ({"not": {"type": "string"}}, "not"),
    ({"const": 1}, "const"),
    ({"$ref": "#/$defs/missing", "$defs": {}}, "$ref"),
    ({"type": "array", "items": {"type": "integer"}, "uniqueItems": True}, "uniqueItems"),
    ({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["b"], "additionalProperties": False},
     "required"),
]

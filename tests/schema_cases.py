"""Schemas and grammars the grammar engines are tested on (native llguidance and the browser's xgrammar).

SCHEMA_CASES: (name, schema) pairs covering every kind grammar/schema.py supports;
an output generated under a schema must `json.loads` and validate under the
*original* schema with the `jsonschema` package (formats checked).
REFUSED_SCHEMAS: (schema, keyword the GrammarError message must name).
EBNF_CASES: (name, GBNF-style EBNF text, Python regex of exactly its language).
"""

ADDRESS = {"type": "object", "properties": {"street": {"type": "string", "maxLength": 20},
                                            "zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
           "required": ["street", "zip"], "additionalProperties": False}

SCHEMA_CASES = [
    ("string", {"type": "string"}),
    ("integer", {"type": "integer"}),
    ("number", {"type": "number"}),
    ("boolean", {"type": "boolean"}),
    ("null", {"type": "null"}),
    ("any_value", {}),
    ("any_object", {"type": "object"}),
    ("type_list", {"type": ["string", "null"], "maxLength": 4}),
    ("flat_object", {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12},
                                                      "age": {"type": "integer", "minimum": 0, "maximum": 130},
                                                      "member": {"type": "boolean"}},
                     "required": ["name", "age", "member"], "additionalProperties": False}),
    ("optional_properties", {"type": "object", "properties": {"a": {"type": "integer"},
                                                              "b": {"type": "string", "maxLength": 3},
                                                              "c": {"type": "null"}},
                             "required": ["b"]}),
    ("additional_true", {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"],
                         "additionalProperties": True}),
    ("nested_objects", {"type": "object", "properties": {"person": {
        "type": "object", "properties": {"name": {"type": "string", "maxLength": 10}, "address": ADDRESS},
        "required": ["name", "address"], "additionalProperties": False}},
        "required": ["person"], "additionalProperties": False}),
    ("array_of_integers", {"type": "array", "items": {"type": "integer", "minimum": -5, "maximum": 5},
                           "minItems": 1, "maxItems": 4}),
    ("array_any_items", {"type": "array", "maxItems": 3}),
    ("array_exact_length", {"type": "array", "items": {"type": "boolean"}, "minItems": 3, "maxItems": 3}),
    ("array_of_objects", {"type": "array", "items": {
        "type": "object", "properties": {"sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{2}$"},
                                         "qty": {"type": "integer", "minimum": 1}},
        "required": ["sku", "qty"], "additionalProperties": False}, "maxItems": 3}),
    ("string_enum", {"type": "string", "enum": ["red", "green", "blue"]}),
    ("mixed_enum", {"enum": ["a", 1, 2.5, True, None]}),
    ("enum_of_containers", {"enum": [{"a": 1, "b": [1, 2]}, [1, "x"], "é\n\"q"]}),
    ("const", {"type": "object", "properties": {"kind": {"const": "point"}, "x": {"type": "number"}},
               "required": ["kind", "x"], "additionalProperties": False}),
    ("any_of", {"anyOf": [{"type": "integer", "minimum": 10}, {"type": "string", "maxLength": 5}]}),
    ("one_of_disjoint", {"oneOf": [
        {"type": "object", "properties": {"shape": {"const": "circle"}, "r": {"type": "number", "minimum": 0}},
         "required": ["shape", "r"], "additionalProperties": False},
        {"type": "object", "properties": {"shape": {"const": "square"}, "side": {"type": "integer"}},
         "required": ["shape", "side"], "additionalProperties": False}]}),
    ("ref_defs", {"type": "object", "properties": {"home": {"$ref": "#/$defs/address"},
                                                   "work": {"$ref": "#/$defs/address"}},
                  "required": ["home"], "additionalProperties": False, "$defs": {"address": ADDRESS}}),
    ("ref_definitions", {"$ref": "#/definitions/color",
                         "definitions": {"color": {"type": "string", "enum": ["cyan", "magenta"]}}}),
    ("recursive_tree", {"$ref": "#/$defs/node", "$defs": {"node": {
        "type": "object", "properties": {"value": {"type": "integer", "minimum": 0, "maximum": 9},
                                         "children": {"type": "array", "items": {"$ref": "#/$defs/node"},
                                                      "maxItems": 2}},
        "required": ["value"], "additionalProperties": False}}}),
    ("recursive_root", {"type": "object", "properties": {"v": {"type": "integer"},
                                                         "next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}},
                        "required": ["v", "next"], "additionalProperties": False}),
    ("string_lengths", {"type": "string", "minLength": 2, "maxLength": 6}),
    ("pattern", {"type": "string", "pattern": "^[a-z]{2,4}-[0-9]{1,3}$"}),
    ("pattern_unanchored", {"type": "string", "pattern": "[0-9]"}),
    ("format_date", {"type": "string", "format": "date"}),
    ("format_date_time", {"type": "string", "format": "date-time"}),
    ("format_time", {"type": "string", "format": "time"}),
    ("format_email", {"type": "string", "format": "email"}),
    ("format_uuid", {"type": "string", "format": "uuid"}),
    ("integer_bounds", {"type": "integer", "minimum": -20, "maximum": 1000}),
    ("integer_exclusive", {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10}),
    ("number_bounds", {"type": "number", "minimum": -1.5, "maximum": 2.25}),
    ("number_exclusive", {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}),
    ("annotations_ignored", {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:example:ann",
                             "title": "Reply", "description": "a reply", "type": "object",
                             "properties": {"answer": {"type": "string", "maxLength": 8, "default": "",
                                                       "examples": ["yes"]}},
                             "required": ["answer"], "additionalProperties": False}),
    ("boolean_schema_true", {"type": "object", "properties": {"anything": True}, "required": ["anything"],
                             "additionalProperties": False}),
    ("inferred_object", {"properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}),
    ("nullable_fields", {"type": "object", "properties": {
        "note": {"anyOf": [{"type": "string", "maxLength": 6}, {"type": "null"}]},
        "score": {"type": ["number", "null"], "minimum": 0, "maximum": 1}},
        "required": ["note", "score"], "additionalProperties": False}),
    ("webllm_json_string", '{"type": "object", "properties": {"size": {"type": "string", "enum": ["small", '
                           '"large"]}, "count": {"type": "integer", "minimum": 1, "maximum": 3}}, "required": '
                           '["size", "count"]}'),
    ("bounded_string", {"type": "string", "maxLength": 12}),
    ("enum_and_integer", {"type": "object", "properties": {
        "unit": {"enum": ["celsius", "fahrenheit"]}, "value": {"type": "integer", "minimum": -50, "maximum": 50}},
        "required": ["unit", "value"], "additionalProperties": False}),
]

REFUSED_SCHEMAS = [
    ({"not": {"type": "string"}}, "not"),
    ({"type": "object", "properties": {"a": {"if": {"type": "string"}, "then": {"maxLength": 2}}}}, "if"),
    ({"type": "object", "patternProperties": {"^x": {"type": "string"}}}, "patternProperties"),
    ({"type": "array", "uniqueItems": True}, "uniqueItems"),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "dependentRequired": {"a": ["b"]}},
     "dependentRequired"),
    ({"allOf": [{"type": "string"}]}, "allOf"),
    ({"type": "integer", "multipleOf": 3}, "multipleOf"),
    ({"type": "array", "prefixItems": [{"type": "string"}]}, "prefixItems"),
    ({"type": "array", "items": [{"type": "string"}]}, "items"),
    ({"type": "object", "propertyNames": {"maxLength": 3}}, "propertyNames"),
    ({"type": "string", "format": "hostname"}, "format"),
    ({"type": "string", "format": "ipv4"}, "format"),
    ({"$ref": "https://example.com/schema.json"}, "$ref"),
    ({"$ref": "#/$defs/missing", "$defs": {}}, "$ref"),
    ({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}}, "$ref"),
    ({"type": "object", "properties": {"next": {"$ref": "#"}}, "required": ["next"]}, "$ref"),
    ({"type": "integer", "minimum": 5, "maximum": 2}, "minimum"),
    ({"type": "integer", "exclusiveMinimum": 1, "exclusiveMaximum": 2}, "minimum"),
    ({"type": "number", "exclusiveMinimum": 1, "maximum": 1}, "minimum"),
    ({"type": "string", "minLength": 5, "maxLength": 2}, "minLength"),
    ({"type": "array", "minItems": 3, "maxItems": 1}, "minItems"),
    ({"type": "string", "maxLength": -1}, "maxLength"),
    ({"type": "number", "minimum": True}, "minimum"),
    ({"type": "string", "pattern": "^(?=a)b"}, "pattern"),
    ({"type": "string", "pattern": "(a)\\1"}, "pattern"),
    ({"type": "string", "pattern": "[a-"}, "pattern"),
    ({"type": "string", "pattern": "^a+$", "maxLength": 3}, "maxLength"),
    ({"type": "string", "format": "date", "pattern": "^2"}, "format"),
    ({"type": "strnig"}, "type"),
    ({"type": "string", "minimum": 1}, "minimum"),
    ({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["b"]}, "required"),
    ({"type": "object", "additionalProperties": {"type": "string"}}, "additionalProperties"),
    ({"type": "string", "enum": ["a", 1]}, "enum"),
    ({"enum": []}, "enum"),
    ({"const": 1, "minimum": 0}, "minimum"),
    ({"anyOf": []}, "anyOf"),
    ({"type": "object", "anyOf": [{"required": ["a"]}]}, "type"),
    ({"$ref": "#/$defs/a", "maxLength": 2, "$defs": {"a": {"type": "string"}}}, "maxLength"),
    ({"type": "string", "nullable": True}, "nullable"),
    ({"minLength": 1, "minimum": 1}, "type"),
    ({"type": "object", "properties": {"a": False}}, "false"),
]

EBNF_CASES = [
    ("literal_choice", 'root ::= "yes" | "no"', r"yes|no"),
    ("char_classes", 'root ::= [a-z] [a-z0-9_]*', r"[a-z][a-z0-9_]*"),
    ("negated_class", 'root ::= "<" [^<>]+ ">"', r"<[^<>]+>"),
    ("repetition_bounds", 'root ::= [0-9]{2,4} "-" [A-F]{3}', r"[0-9]{2,4}-[A-F]{3}"),
    ("optional_and_plus", 'root ::= "a"? "b"+ "c"*', r"a?b+c*"),
    ("rules_and_comments", '# a date\nroot ::= year "-" month  # iso-like\nyear ::= [12] [0-9]{3}\n'
                           'month ::= "0" [1-9] | "1" [0-2]\n', r"[12][0-9]{3}-(0[1-9]|1[0-2])"),
    ("nested_groups", 'root ::= ("(" ("x" | "y")+ ")")+', r"(\((x|y)+\))+"),
    ("recursion", 'root ::= item\nitem ::= "[" (item ("," item)*)? "]" | "n"',
     None),  # balanced brackets: checked by a small parser in the test, no regex can
    ("escapes", 'root ::= "\\"" [^"\\n]{0,5} "\\"" "\\t"?', r'"[^"\n]{0,5}"\t?'),
    ("multiline_alternatives", 'root ::= (\n  "alpha"\n  | "beta"\n  | "gamma"\n) "!"', r"(alpha|beta|gamma)!"),
    ("dashed_rule_names", 'root ::= key-value (", " key-value){0,2}\nkey-value ::= [a-c] "=" [0-9]',
     r"[a-c]=[0-9](, [a-c]=[0-9]){0,2}"),
    ("unicode_and_hex", 'root ::= "\\u00e9" [\\x41-\\x43]{1,2} "ü"', r"é[A-C]{1,2}ü"),
]

# The JSON grammar of WebLLM's EBNF example (flexible whitespace, right-recursive string characters).
WEBLLM_JSON_GRAMMAR = r"""
root ::= basic_array | basic_object
basic_any ::= basic_number | basic_string | basic_boolean | basic_null | basic_array | basic_object
basic_integer ::= ("0" | "-"? [1-9] [0-9]*) ".0"?
basic_number ::= ("0" | "-"? [1-9] [0-9]*) ("." [0-9]+)? ([eE] [+-]? [0-9]+)?
basic_string ::= (([\"] basic_string_1 [\"]))
basic_string_1 ::= "" | [^"\\\x00-\x1F] basic_string_1 | "\\" escape basic_string_1
escape ::= ["\\/bfnrt] | "u" [A-Fa-f0-9] [A-Fa-f0-9] [A-Fa-f0-9] [A-Fa-f0-9]
basic_boolean ::= "true" | "false"
basic_null ::= "null"
basic_array ::= "[" ("" | ws basic_any (ws "," ws basic_any)*) ws "]"
basic_object ::= "{" ("" | ws basic_string ws ":" ws basic_any ( ws "," ws basic_string ws ":" ws basic_any)*) ws "}"
ws ::= [ \n\t]*
"""

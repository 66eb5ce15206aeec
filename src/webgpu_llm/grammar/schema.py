"""Check a request's JSON Schema and rewrite it into the subset both grammar engines compile.

`prepare_schema(schema, param)` takes the schema a request gave (a dict, or
WebLLM's JSON string) and returns a *prepared* schema, or raises GrammarError
naming the keyword, its JSON pointer and what is allowed. Nothing is ever
silently left unconstrained: a keyword outside the subset is an error.

Accepted input (SUPPORTED_KEYWORDS below):
- type: object, array, string, integer, number, boolean, null, or a list of them
- object: properties, required, additionalProperties (true or false)
- array: items (one schema), minItems, maxItems
- string: minLength, maxLength, pattern (ECMA-262 subset, see PATTERN_REFUSED),
  format (FORMATS); at most one of pattern / format / length bounds per schema
- integer, number: minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers)
- any type: enum, const (alone, or with type and annotations), anyOf, oneOf
  (alone), $ref (local "#..." pointers; recursion allowed while a finite value
  exists), $defs and definitions (containers); boolean schema true
- ignored annotations: ANNOTATIONS

Decisions the engines (llguidance natively, xgrammar through the browser's
JSON Schema -> EBNF generator) rely on:
- oneOf is generated as anyOf: a value is valid under some branch, not proven
  to match only one. Give oneOf disjoint branches (different types or const
  discriminators) for outputs that validate under oneOf too.
- additionalProperties absent means false where `properties` is given (as
  OpenAI's strict mode and xgrammar's default): only declared keys are
  generated, which is still valid under the schema. An object schema without
  `properties` and without additionalProperties means any object.
- Properties are generated in the order the schema lists them.
- Without `type`, the type is inferred from the keywords when they belong to
  one type (e.g. `properties` -> object), else the schema is refused.

Prepared form (every node is exactly one of these; root may add "$defs"):
    {}                                       any JSON value
    {"enum": [v, ...]}                       one of these values (const -> one value)
    {"anyOf": [node, ...]}                   from anyOf, oneOf and type lists
    {"$ref": "#/$defs/NAME"}                 NAME is in the root's "$defs"
    {"type": "null"} | {"type": "boolean"}
    {"type": "string", ["minLength"], ["maxLength"] | ["pattern"] | ["format"]}
    {"type": "integer", ["minimum"], ["maximum"]}                 inclusive ints
    {"type": "number", ["minimum"|"exclusiveMinimum"], ["maximum"|"exclusiveMaximum"]}
    {"type": "array", ["items": node], ["minItems"], ["maxItems"]}
    {"type": "object", "properties": {k: node}, "required": [k...], "additionalProperties": bool}
Standard library only (DESIGN.md, decision 1).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import unquote

from .spec import GrammarError

TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")
ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$schema", "$id", "$comment",
                         "deprecated", "readOnly", "writeOnly"})
# Keywords that constrain one type; a schema without `type` infers it from these.
TYPE_KEYWORDS = {
    "object": frozenset({"properties", "required", "additionalProperties"}),
    "array": frozenset({"items", "minItems", "maxItems"}),
    "string": frozenset({"minLength", "maxLength", "pattern", "format"}),
    "number": frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}),
}
TYPE_KEYWORDS["integer"] = TYPE_KEYWORDS["number"]
COMBINATOR_KEYWORDS = frozenset({"anyOf", "oneOf"})
VALUE_KEYWORDS = frozenset({"enum", "const"})
CONTAINER_KEYWORDS = frozenset({"$defs", "definitions"})
SUPPORTED_KEYWORDS = frozenset({"type", "$ref"}) | COMBINATOR_KEYWORDS | VALUE_KEYWORDS | CONTAINER_KEYWORDS \
    | ANNOTATIONS | frozenset().union(*TYPE_KEYWORDS.values())
FORMATS = ("date", "date-time", "time", "email", "uuid")
# Regex features neither engine's regex can express (lookaround, backreferences, word boundaries).
PATTERN_REFUSED = (("(?=", "lookahead"), ("(?!", "negative lookahead"), ("(?<=", "lookbehind"),
                   ("(?<!", "negative lookbehind"), ("\\b", "word boundary"), ("\\B", "word boundary"))
_BACKREFERENCE = re.compile(r"\\[1-9]|\\k<")

_SUPPORTED_TEXT = ", ".join(sorted(SUPPORTED_KEYWORDS - ANNOTATIONS))


def _error(param: str, pointer: str, message: str, keyword: str | None = None) -> GrammarError:
    where = pointer or "/"
    return GrammarError(f"{param} at {where}: {message}", param=param, keyword=keyword, pointer=where)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _refuse_constant(text: str) -> None:
    raise ValueError(f"{text} is not JSON")


def load_schema(schema: Any, param: str) -> dict:
    """The schema as a dict: a dict as given, or WebLLM's JSON string parsed."""
    if isinstance(schema, str):
        try:
            schema = json.loads(schema, parse_constant=_refuse_constant)
        except ValueError as error:
            raise GrammarError(f"{param} is not valid JSON: {error}", param=param) from error
    if not isinstance(schema, dict):
        raise GrammarError(f"{param} must be a JSON Schema object, got {type(schema).__name__}", param=param)
    return schema


def prepare_schema(schema: Any, param: str = "schema") -> dict:
    """The prepared form of `schema` (module docstring), or GrammarError saying what is not allowed."""
    root = load_schema(schema, param)
    preparer = _Preparer(root, param)
    prepared = preparer.node(root, "")
    if preparer.defs:
        _check_finite(preparer, prepared)
        prepared = dict(prepared) if "$ref" not in prepared else {"$ref": prepared["$ref"]}
        prepared["$defs"] = preparer.defs
    return prepared


class _Preparer:
    """Walks one schema document; `defs` collects every $ref target, prepared once."""

    def __init__(self, root: dict, param: str):
        self.root = root
        self.param = param
        self.defs: dict[str, dict] = {}
        self.def_pointer: dict[str, str] = {}  # def name -> pointer of its source schema
        self._names: dict[str, str] = {}  # resolved pointer -> def name

    def error(self, pointer: str, message: str, keyword: str | None = None) -> GrammarError:
        return _error(self.param, pointer, message, keyword)

    def node(self, schema: Any, pointer: str) -> dict:
        if schema is True:
            return {}
        if schema is False:
            raise self.error(pointer, "the schema false allows no value (only additionalProperties may be false)")
        if not isinstance(schema, dict):
            raise self.error(pointer, f"a schema must be an object or true, got {type(schema).__name__}")
        for keyword in schema:
            if keyword not in SUPPORTED_KEYWORDS:
                raise self.error(f"{pointer}/{_escape(keyword)}",
                                 f"JSON Schema keyword {keyword!r} is not supported; supported: {_SUPPORTED_TEXT}",
                                 keyword)
        constraints = {k: v for k, v in schema.items() if k not in ANNOTATIONS and k not in CONTAINER_KEYWORDS}
        for keyword in CONTAINER_KEYWORDS & schema.keys():
            if not isinstance(schema[keyword], dict):
                raise self.error(f"{pointer}/{keyword}", f"{keyword} must be an object of named schemas", keyword)
        if "$ref" in constraints:
            self._alone(constraints, "$ref", pointer)
            return {"$ref": "#/$defs/" + self.reference(constraints["$ref"], pointer)}
        for keyword in ("anyOf", "oneOf"):
            if keyword in constraints:
                self._alone(constraints, keyword, pointer)
                return self.any_of(constraints[keyword], f"{pointer}/{keyword}", keyword)
        if "enum" in constraints or "const" in constraints:
            return self.values(constraints, pointer)
        types = self.types(constraints, pointer)
        if types is None:
            return {}
        if len(types) == 1:
            return self.typed(types[0], constraints, pointer)
        return {"anyOf": [self.typed(t, _only_keywords_of(t, constraints), pointer) for t in types]}

    def _alone(self, constraints: dict, keyword: str, pointer: str) -> None:
        others = sorted(set(constraints) - {keyword})
        if others:
            raise self.error(f"{pointer}/{_escape(others[0])}",
                             f"{others[0]!r} cannot be combined with {keyword!r} in one schema "
                             f"(only annotations and $defs may stand beside {keyword}); move it into the "
                             f"{'referenced schema' if keyword == '$ref' else 'branches'}", others[0])

    def any_of(self, branches: Any, pointer: str, keyword: str) -> dict:
        if not isinstance(branches, list) or not branches:
            raise self.error(pointer, f"{keyword} must be a non-empty array of schemas", keyword)
        return {"anyOf": [self.node(branch, f"{pointer}/{index}") for index, branch in enumerate(branches)]}

    def values(self, constraints: dict, pointer: str) -> dict:
        if "enum" in constraints and "const" in constraints:
            raise self.error(f"{pointer}/const", "use either enum or const, not both", "const")
        keyword = "enum" if "enum" in constraints else "const"
        values = constraints["enum"] if keyword == "enum" else [constraints["const"]]
        if keyword == "enum" and (not isinstance(values, list) or not values):
            raise self.error(f"{pointer}/enum", "enum must be a non-empty array of values", "enum")
        others = sorted(set(constraints) - {keyword, "type"})
        if others:
            raise self.error(f"{pointer}/{_escape(others[0])}",
                             f"{others[0]!r} cannot be combined with {keyword!r}: the listed values are the "
                             "constraint (only type and annotations may stand beside it)", others[0])
        types = self.types({"type": constraints["type"]}, pointer) if "type" in constraints else None
        for index, value in enumerate(values):
            value_pointer = f"{pointer}/enum/{index}" if keyword == "enum" else f"{pointer}/const"
            _check_json_value(value, value_pointer, self)
            kind = _json_type(value)
            if types is not None and kind not in types and not (kind == "integer" and "number" in types):
                raise self.error(value_pointer, f"{keyword} value {value!r} is not of type {' or '.join(types)}",
                                 keyword)
        return {"enum": list(values)}

    def types(self, constraints: dict, pointer: str) -> list[str] | None:
        """The schema's types (declared, else inferred from its keywords); None = any value."""
        if "type" not in constraints:
            groups = {kind for kind, words in TYPE_KEYWORDS.items() if words & constraints.keys()}
            if not groups:
                return None
            if groups == {"integer", "number"}:
                return ["number"]
            if len(groups) > 1:
                raise self.error(pointer, "keywords of several types without a 'type' "
                                 f"({', '.join(sorted(constraints))}); add 'type'", "type")
            return [groups.pop()]
        declared = constraints["type"]
        names = declared if isinstance(declared, list) else [declared]
        if not names or any(not isinstance(name, str) or name not in TYPES for name in names):
            raise self.error(f"{pointer}/type", f"type must be one of {', '.join(TYPES)} or a non-empty list "
                             f"of them, got {declared!r}", "type")
        return list(dict.fromkeys(names))

    def typed(self, kind: str, constraints: dict, pointer: str) -> dict:
        allowed = TYPE_KEYWORDS.get(kind, frozenset())
        for keyword in constraints:
            if keyword != "type" and keyword not in allowed:
                raise self.error(f"{pointer}/{_escape(keyword)}", f"{keyword!r} does not apply to type {kind!r}"
                                 f" (it applies to {_types_of(keyword)})", keyword)
        if kind == "object":
            return self.object(constraints, pointer)
        if kind == "array":
            return self.array(constraints, pointer)
        if kind == "string":
            return _string(constraints, pointer, self)
        if kind in ("integer", "number"):
            return _numeric(kind, constraints, pointer, self)
        return {"type": kind}

    def object(self, constraints: dict, pointer: str) -> dict:
        properties = constraints.get("properties")
        if properties is not None and not isinstance(properties, dict):
            raise self.error(f"{pointer}/properties", "properties must be an object of schemas", "properties")
        additional = constraints.get("additionalProperties", properties is None)
        if not isinstance(additional, bool):
            raise self.error(f"{pointer}/additionalProperties",
                             "additionalProperties must be true or false (a schema there is not supported)",
                             "additionalProperties")
        required = constraints.get("required", [])
        if not isinstance(required, list) or any(not isinstance(name, str) for name in required):
            raise self.error(f"{pointer}/required", "required must be an array of property names", "required")
        prepared = {name: self.node(sub, f"{pointer}/properties/{_escape(name)}")
                    for name, sub in (properties or {}).items()}
        for name in required:
            if name not in prepared:
                raise self.error(f"{pointer}/required", f"required property {name!r} is not in properties "
                                 "(every required property needs a schema)", "required")
        return {"type": "object", "properties": prepared, "required": list(dict.fromkeys(required)),
                "additionalProperties": additional}

    def array(self, constraints: dict, pointer: str) -> dict:
        prepared: dict[str, Any] = {"type": "array"}
        if "items" in constraints:
            if isinstance(constraints["items"], list):
                raise self.error(f"{pointer}/items", "items must be one schema (tuple form / prefixItems is "
                                 "not supported)", "items")
            prepared["items"] = self.node(constraints["items"], f"{pointer}/items")
        _bounds_pair(constraints, "minItems", "maxItems", pointer, self, prepared)
        return prepared

    def reference(self, ref: Any, pointer: str) -> str:
        """The $defs name of the local schema `ref` points at (prepared on first use)."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise self.error(f"{pointer}/$ref", f"only local references ('#', '#/$defs/Name') are supported, "
                             f"got {ref!r}", "$ref")
        target_pointer = unquote(ref[1:])
        if target_pointer and not target_pointer.startswith("/"):
            raise self.error(f"{pointer}/$ref", f"$ref {ref!r} is not a JSON pointer (anchors are not "
                             "supported)", "$ref")
        name = self._names.get(target_pointer)
        if name is not None:
            return name
        target = _resolve(self.root, target_pointer)
        if target is _MISSING:
            raise self.error(f"{pointer}/$ref", f"$ref {ref!r} points at nothing in this schema", "$ref")
        name = self._name_for(target_pointer)
        self._names[target_pointer] = name
        self.def_pointer[name] = target_pointer
        self.defs[name] = {}  # placeholder: recursion reaches this name before its body is done
        self.defs[name] = self.node(target, target_pointer)
        return name

    def _name_for(self, target_pointer: str) -> str:
        parts = target_pointer.split("/")
        base = parts[-1] if len(parts) == 3 and parts[1] in CONTAINER_KEYWORDS else target_pointer
        base = re.sub(r"[^A-Za-z0-9_]+", "_", base).strip("_") or "root"
        name, suffix = base, 2
        while name in self.defs:
            name, suffix = f"{base}_{suffix}", suffix + 1
        return name


_MISSING = object()


def _escape(key: str) -> str:
    """A property name as a JSON pointer token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


def _resolve(root: Any, pointer: str) -> Any:
    node = root
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return _MISSING
    return node


def _types_of(keyword: str) -> str:
    return " and ".join(kind for kind, words in TYPE_KEYWORDS.items() if keyword in words)


def _only_keywords_of(kind: str, constraints: dict) -> dict:
    """One branch of a type list: the keywords of that type only."""
    own = TYPE_KEYWORDS.get(kind, frozenset())
    return {k: v for k, v in constraints.items() if k in own}


def _check_json_value(value: Any, pointer: str, preparer: _Preparer) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise preparer.error(pointer, "values must be finite JSON numbers")
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json_value(item, f"{pointer}/{index}", preparer)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json_value(item, f"{pointer}/{_escape(key)}", preparer)
    elif value is not None and not isinstance(value, (bool, int, float, str)):
        raise preparer.error(pointer, f"{type(value).__name__} is not a JSON value")


def _count(value: Any, keyword: str, pointer: str, preparer: _Preparer) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise preparer.error(f"{pointer}/{keyword}", f"{keyword} must be a non-negative integer, got {value!r}",
                             keyword)
    return value


def _bounds_pair(constraints: dict, low: str, high: str, pointer: str, preparer: _Preparer,
                 prepared: dict) -> None:
    lower = _count(constraints[low], low, pointer, preparer) if low in constraints else None
    upper = _count(constraints[high], high, pointer, preparer) if high in constraints else None
    if lower is not None and upper is not None and lower > upper:
        raise preparer.error(f"{pointer}/{low}", f"{low} {lower} is greater than {high} {upper}: no value fits",
                             low)
    if lower:
        prepared[low] = lower
    if upper is not None:
        prepared[high] = upper


def _string(constraints: dict, pointer: str, preparer: _Preparer) -> dict:
    prepared: dict[str, Any] = {"type": "string"}
    present = [k for k in ("pattern", "format") if k in constraints]
    lengths = [k for k in ("minLength", "maxLength") if k in constraints]
    if len(present) + bool(lengths) > 1:
        second = (present + lengths)[1]
        raise preparer.error(f"{pointer}/{second}", f"{second!r} cannot be combined with "
                             f"{(present + lengths)[0]!r}: a string takes one of pattern, format or "
                             "minLength/maxLength (fold a length into the pattern, e.g. ^[a-z]{3,8}$)", second)
    if "format" in constraints:
        fmt = constraints["format"]
        if fmt not in FORMATS:
            raise preparer.error(f"{pointer}/format", f"format {fmt!r} is not supported; supported: "
                                 f"{', '.join(FORMATS)}", "format")
        prepared["format"] = fmt
    if "pattern" in constraints:
        prepared["pattern"] = _pattern(constraints["pattern"], pointer, preparer)
    _bounds_pair(constraints, "minLength", "maxLength", pointer, preparer, prepared)
    return prepared


def _pattern(pattern: Any, pointer: str, preparer: _Preparer) -> str:
    where = f"{pointer}/pattern"
    if not isinstance(pattern, str):
        raise preparer.error(where, "pattern must be a string (a regular expression)", "pattern")
    for text, name in PATTERN_REFUSED:
        if text in pattern:
            raise preparer.error(where, f"pattern uses a {name} ({text}), which the grammar engines cannot "
                                 "enforce; use literals, classes, groups, | and quantifiers", "pattern")
    if _BACKREFERENCE.search(pattern):
        raise preparer.error(where, "pattern uses a backreference, which the grammar engines cannot enforce",
                             "pattern")
    try:
        re.compile(pattern)
    except re.error as error:
        raise preparer.error(where, f"pattern is not a valid regular expression: {error}", "pattern") from error
    return pattern


def _bound(constraints: dict, keyword: str, pointer: str, preparer: _Preparer) -> float | int | None:
    if keyword not in constraints:
        return None
    value = constraints[keyword]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        hint = " (the draft-04 boolean form is not supported: give the bound itself)" \
            if isinstance(value, bool) else ""
        raise preparer.error(f"{pointer}/{keyword}", f"{keyword} must be a finite number, got {value!r}{hint}",
                             keyword)
    return value


def _numeric(kind: str, constraints: dict, pointer: str, preparer: _Preparer) -> dict:
    low, high = (_bound(constraints, k, pointer, preparer) for k in ("minimum", "maximum"))
    low_ex, high_ex = (_bound(constraints, k, pointer, preparer) for k in ("exclusiveMinimum", "exclusiveMaximum"))
    if kind == "integer":
        return _integer(low, high, low_ex, high_ex, pointer, preparer)
    prepared: dict[str, Any] = {"type": "number"}
    # On each side the tighter bound counts; at equal values the exclusive one is tighter.
    lower = upper = None  # (value, exclusive)
    for value, exclusive in ((low, False), (low_ex, True)):
        if value is not None and (lower is None or (value, exclusive) > lower):
            lower = (value, exclusive)
    for value, exclusive in ((high, False), (high_ex, True)):
        if value is not None and (upper is None or (value, not exclusive) < (upper[0], not upper[1])):
            upper = (value, exclusive)
    if lower is not None:
        prepared["exclusiveMinimum" if lower[1] else "minimum"] = lower[0]
    if upper is not None:
        prepared["exclusiveMaximum" if upper[1] else "maximum"] = upper[0]
    if lower is not None and upper is not None:
        if lower[0] > upper[0] or (lower[0] == upper[0] and (lower[1] or upper[1])):
            raise preparer.error(pointer, f"minimum/maximum bounds {lower[0]} .. {upper[0]} (exclusive: "
                                 f"{lower[1]}, {upper[1]}) leave no number", "minimum")
    return prepared


def _integer(low, high, low_ex, high_ex, pointer: str, preparer: _Preparer) -> dict:
    lows = [math.ceil(low) if low is not None else None, math.floor(low_ex) + 1 if low_ex is not None else None]
    highs = [math.floor(high) if high is not None else None,
             math.ceil(high_ex) - 1 if high_ex is not None else None]
    lower = max((v for v in lows if v is not None), default=None)
    upper = min((v for v in highs if v is not None), default=None)
    prepared: dict[str, Any] = {"type": "integer"}
    if lower is not None:
        prepared["minimum"] = lower
    if upper is not None:
        prepared["maximum"] = upper
    if lower is not None and upper is not None and lower > upper:
        raise preparer.error(pointer, f"minimum/maximum bounds leave no integer (lowest allowed {lower}, "
                             f"highest {upper})", "minimum")
    return prepared


def _check_finite(preparer: _Preparer, root: dict) -> None:
    """Refuse $ref recursion that no finite JSON value satisfies (the grammar would never end)."""
    finite: dict[str, bool] = {name: False for name in preparer.defs}
    changed = True
    while changed:
        changed = False
        for name, node in preparer.defs.items():
            if not finite[name] and _has_finite_value(node, finite):
                finite[name] = changed = True
    for name, ok in finite.items():
        if not ok:
            raise preparer.error(preparer.def_pointer[name] or "/", "this schema has no finite value: every "
                                 "way through it recurses through $ref; make the recursion optional", "$ref")


def _has_finite_value(node: dict, finite: dict[str, bool]) -> bool:
    if "$ref" in node:
        return finite[node["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in node:
        return any(_has_finite_value(branch, finite) for branch in node["anyOf"])
    if node.get("type") == "object":
        return all(_has_finite_value(node["properties"][name], finite) for name in node["required"])
    if node.get("type") == "array" and node.get("minItems", 0) > 0 and "items" in node:
        return _has_finite_value(node["items"], finite)
    return True

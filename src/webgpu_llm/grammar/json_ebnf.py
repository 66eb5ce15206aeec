"""A prepared JSON Schema (grammar/schema.py) as EBNF for xgrammar's `compileGrammar`.

xgrammar 0.1.27's own `compileJSONSchema` merges literal alternatives wrongly,
gets integer ranges wrong and aborts on some inputs, so the browser engine
compiles this EBNF instead. The JSON is written in the fixed layout of
grammar/spec.py (", " between items, ": " after keys, no other whitespace)
with llguidance's string rules (grammar/json_text.py), so that both engines
allow the same text.

What each prepared node becomes:
- `{}`: any JSON value; `enum`/`const`: their values as one trie of texts;
- `anyOf`: the branches, their leading literals factored as a trie;
- `$ref`: the rule of that `$defs` entry (recursion is allowed);
- object: the properties in schema order, required ones always, optional
  ones possibly left out (their order kept); no other keys. With
  `additionalProperties: true` and no properties: any object; with
  properties too, only the declared ones are written (valid, but narrower
  than llguidance, which also allows other keys);
- array: items with minItems/maxItems; string: minLength/maxLength, pattern
  (grammar/regex_ebnf.py) or format (FORMAT_PATTERNS); integer and number:
  bounds digit by digit (grammar/number_ranges.py).
A keyword outside the prepared form raises GrammarError naming it.
Standard library only (DESIGN.md, decision 1).
"""

from __future__ import annotations

import json
from typing import Any

from .ebnf_text import (EMPTY, EVERY_CHAR, RuleSet, alternation, literal, literal_trie, repeat, sequence,
                        split_leading_literal)
from .json_text import encode_string, encode_value, string_char
from .number_ranges import UNBOUNDED_NUMBER, integer_range, number_range
from .regex_ebnf import pattern_body
from .spec import ITEM_SEPARATOR, KEY_SEPARATOR, GrammarError

# RFC 3339 dates and times (the JSON Schema formats), years 0001..9999, day counts per month and leap years.
_YEAR = "([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_LEAP_YEAR = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|([2468][048]|[13579][26]|0[48])00)"
_MONTH_DAY = "((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))"
_DATE = f"({_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_TIME = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
_ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
FORMAT_PATTERNS = {
    "date": f"^{_DATE}$",
    "time": f"^{_TIME}$",
    "date-time": f"^{_DATE}T{_TIME}$",
    "email": f"^{_ATOM}(\\.{_ATOM})*@{_LABEL}(\\.{_LABEL})+$",
    "uuid": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
}

NODE_KEYWORDS = {
    "object": {"type", "properties", "required", "additionalProperties"},
    "array": {"type", "items", "minItems", "maxItems"},
    "string": {"type", "minLength", "maxLength", "pattern", "format"},
    "integer": {"type", "minimum", "maximum"},
    "number": {"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"},
    "boolean": {"type"},
    "null": {"type"},
}


def _error(pointer: str, message: str) -> GrammarError:
    return GrammarError(f"schema at {pointer or '/'}: {message}")


class _Generator:
    """Walks one prepared schema; rules are named after where they are in it."""

    def __init__(self, root: dict, rules: RuleSet):
        self.defs = root.get("$defs", {})
        if not isinstance(self.defs, dict):
            raise _error("/$defs", "$defs must be an object of schemas")
        self.rules = rules
        self._def_rules: dict[str, str] = {}
        self._common: dict[str, str] = {}

    # ---------------------------------------------------------------- shared rules

    def common(self, name: str) -> str:
        """One of the rules for unconstrained JSON, made on first use."""
        if name in self._common:
            return self._common[name]
        rule = self.rules.reserve(name)
        self._common[name] = rule
        sep = literal(ITEM_SEPARATOR)
        if name == "json_char":
            body = string_char(EVERY_CHAR)
        elif name == "json_string":
            body = sequence(literal('"'), f"{self.common('json_char')}*", literal('"'))
        elif name == "json_value":
            body = alternation([self.common("json_object"), self.common("json_array"), self.common("json_string"),
                                UNBOUNDED_NUMBER, literal_trie([("true", EMPTY), ("false", EMPTY),
                                                                ("null", EMPTY)])])
        elif name == "json_array":
            value = self.common("json_value")
            body = sequence(literal("["), f"({value} ({sep} {value})*)?", literal("]"))
        elif name == "json_object":
            pair = sequence(self.common("json_string"), literal(KEY_SEPARATOR), self.common("json_value"))
            body = sequence(literal("{"), f"({pair} ({sep} {pair})*)?", literal("}"))
        else:
            raise KeyError(name)
        self.rules.define(rule, body)
        return rule

    # ---------------------------------------------------------------- nodes

    def rule(self, node: Any, pointer: str, hint: str) -> str:
        """A rule name (or a short expression) for the values of `node`."""
        body = self.body(node, pointer, hint)
        if body.isidentifier() or body.startswith('"') and split_leading_literal(body)[1] == EMPTY:
            return body
        return self.rules.add(hint, body)

    def body(self, node: Any, pointer: str, hint: str) -> str:
        if node is True or node == {}:
            return self.common("json_value")
        if not isinstance(node, dict):
            raise _error(pointer, f"a prepared schema node must be an object, got {type(node).__name__}")
        if "$ref" in node:
            self._only(node, {"$ref", "$defs"} if pointer == "" else {"$ref"}, pointer)
            return self.reference(node["$ref"], pointer)
        if "enum" in node:
            self._only(node, {"enum", "$defs"} if pointer == "" else {"enum"}, pointer)
            if not isinstance(node["enum"], list) or not node["enum"]:
                raise _error(f"{pointer}/enum", "enum must be a non-empty array")
            return literal_trie([(encode_value(v), EMPTY) for v in node["enum"]])
        if "anyOf" in node:
            self._only(node, {"anyOf", "$defs"} if pointer == "" else {"anyOf"}, pointer)
            return self.any_of(node["anyOf"], f"{pointer}/anyOf", hint)
        kind = node.get("type")
        if kind not in NODE_KEYWORDS:
            unknown = sorted(set(node) - {"$defs"})
            raise _error(pointer, f"unsupported schema node (keys {unknown}): the browser grammar takes the form "
                         "grammar/schema.py prepares (type, enum, anyOf or $ref)")
        self._only(node, NODE_KEYWORDS[kind] | ({"$defs"} if pointer == "" else set()), pointer)
        if kind == "object":
            return self.object(node, pointer, hint)
        if kind == "array":
            return self.array(node, pointer, hint)
        if kind == "string":
            return self.string(node, pointer)
        if kind == "integer":
            return integer_range(node.get("minimum"), node.get("maximum"))
        if kind == "number":
            return number_range(node.get("minimum"), node.get("exclusiveMinimum"), node.get("maximum"),
                                node.get("exclusiveMaximum"))
        if kind == "boolean":
            return literal_trie([("true", EMPTY), ("false", EMPTY)])
        return literal("null")

    @staticmethod
    def _only(node: dict, allowed: set, pointer: str) -> None:
        extra = sorted(set(node) - allowed)
        if extra:
            raise _error(f"{pointer}/{extra[0]}", f"keyword {extra[0]!r} is not supported here (allowed: "
                         f"{', '.join(sorted(allowed))})")

    def reference(self, ref: Any, pointer: str) -> str:
        prefix = "#/$defs/"
        if not isinstance(ref, str) or not ref.startswith(prefix) or ref[len(prefix):] not in self.defs:
            raise _error(f"{pointer}/$ref", f"$ref {ref!r} must name an entry of the root's $defs")
        name = ref[len(prefix):]
        rule = self._def_rules.get(name)
        if rule is None:
            rule = self.rules.reserve(f"def_{name}")
            self._def_rules[name] = rule  # before the body: a recursive reference finds it
            self.rules.define(rule, self.body(self.defs[name], f"/$defs/{name}", f"def_{name}"))
        return rule

    def any_of(self, branches: Any, pointer: str, hint: str) -> str:
        if not isinstance(branches, list) or not branches:
            raise _error(pointer, "anyOf must be a non-empty array of schemas")
        # Each branch's leading literal goes into one trie: literal alternatives sharing a
        # prefix are what xgrammar 0.1.27 merges wrongly (grammar/ebnf_text.py).
        items = [split_leading_literal(self.body(b, f"{pointer}/{i}", f"{hint}_{i}"))
                 for i, b in enumerate(branches)]
        return literal_trie(items)

    def object(self, node: dict, pointer: str, hint: str) -> str:
        properties = node.get("properties", {})
        required = node.get("required", [])
        if not isinstance(properties, dict) or not isinstance(required, list):
            raise _error(pointer, "properties must be an object and required an array")
        missing = [name for name in required if name not in properties]
        if missing:
            raise _error(f"{pointer}/required", f"required property {missing[0]!r} is not in properties")
        if not properties:
            return self.common("json_object") if node.get("additionalProperties") else literal("{}")
        keys = list(properties)
        pairs = [sequence(literal(encode_string(k) + KEY_SEPARATOR),
                          self.rule(properties[k], f"{pointer}/properties/{k}", f"{hint}_{k}")) for k in keys]
        needed = [k in required for k in keys]
        tails = self._tails(pairs, needed, hint)
        # The first property written: any optional one before the first required one, or that one.
        last_first = needed.index(True) if True in needed else len(keys) - 1
        firsts = [split_leading_literal(pairs[i]) for i in range(last_first + 1)]
        inside = literal_trie([(text, sequence(rest, tails[i + 1])) for i, (text, rest) in enumerate(firsts)])
        if True not in needed:
            inside = f"({inside})?"
        return sequence(literal("{"), inside, literal("}"))

    def _tails(self, pairs: list[str], needed: list[bool], hint: str) -> list[str]:
        """tails[i]: what may follow once something is written, properties i.. remaining."""
        tails = [EMPTY] * (len(pairs) + 1)
        for i in range(len(pairs) - 1, 0, -1):  # tails[0] is never needed: the first pair has no ", "
            item = sequence(literal(ITEM_SEPARATOR), pairs[i])
            body = sequence(item if needed[i] else f"({item})?", tails[i + 1])
            tails[i] = body if needed[i] or tails[i + 1] == EMPTY else self.rules.add(f"{hint}_after_{i}", body)
        return tails

    def array(self, node: dict, pointer: str, hint: str) -> str:
        item = self.rule(node.get("items", {}), f"{pointer}/items", f"{hint}_item")
        low, high = node.get("minItems", 0), node.get("maxItems")
        for name, value in (("minItems", low), ("maxItems", high)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise _error(f"{pointer}/{name}", f"{name} must be a non-negative integer")
        if high is not None and high < low:
            raise _error(pointer, f"minItems {low} is above maxItems {high}")
        if high == 0:
            return literal("[]")
        more = repeat(sequence(literal(ITEM_SEPARATOR), item), max(low - 1, 0), None if high is None else high - 1)
        items = sequence(item, more)
        return sequence(literal("["), items if low else f"({items})?", literal("]"))

    def string(self, node: dict, pointer: str) -> str:
        char = self.common("json_char")
        if "format" in node:
            if node["format"] not in FORMAT_PATTERNS:
                raise _error(f"{pointer}/format", f"format {node['format']!r} is not supported (supported: "
                             f"{', '.join(FORMAT_PATTERNS)})")
            body = pattern_body(FORMAT_PATTERNS[node["format"]], char, f"format {node['format']}")
        elif "pattern" in node:
            if not isinstance(node["pattern"], str):
                raise _error(f"{pointer}/pattern", "pattern must be a string")
            body = pattern_body(node["pattern"], char, f"schema at {pointer or '/'}: pattern")
        else:
            low, high = node.get("minLength", 0), node.get("maxLength")
            if high is not None and high < low:
                raise _error(pointer, f"minLength {low} is above maxLength {high}")
            body = repeat(char, low, high)
        return sequence(literal('"'), body, literal('"'))


def schema_rules(schema: dict, rules: RuleSet, hint: str = "value") -> str:
    """Add the rules of a prepared schema to `rules`; the expression of its values."""
    if not isinstance(schema, dict):
        raise GrammarError(f"a JSON schema must be an object, got {type(schema).__name__}")
    return _Generator(schema, rules).body(schema, "", hint)


def json_schema_ebnf(schema: dict | str) -> str:
    """The EBNF grammar (root rule `root`) of the JSON values a prepared schema allows."""
    if isinstance(schema, str):
        schema = json.loads(schema)
    rules = RuleSet()
    return rules.text(schema_rules(schema, rules))

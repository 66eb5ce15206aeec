"""What a JSON Schema accepts, for the grammar tests: `jsonschema` with its 2020-12 format checks,
plus `time` and `date-time` (which it leaves unchecked without its optional packages) checked with
the stdlib as RFC 3339 full-time and date-time."""

import copy
import datetime
import json
import re

import jsonschema

RFC3339_TIME = re.compile(r"\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def format_ok(fmt: str, text: str) -> bool:
    try:
        if fmt == "date":
            return re.fullmatch(r"\d{4}-\d\d-\d\d", text) is not None and bool(datetime.date.fromisoformat(text))
        if fmt == "time":
            return RFC3339_TIME.fullmatch(text) is not None and bool(datetime.time.fromisoformat(text[:8]))
        if fmt == "date-time":
            date, separator, time = text.partition("T")
            return separator == "T" and format_ok("date", date) and format_ok("time", time)
    except ValueError:
        return False
    return FORMAT_CHECKER.conforms(text, fmt)


FORMAT_CHECKER = copy.deepcopy(jsonschema.Draft202012Validator.FORMAT_CHECKER)
for _name in ("date", "time", "date-time"):
    FORMAT_CHECKER.checks(_name)(lambda value, _fmt=_name: not isinstance(value, str) or format_ok(_fmt, value))


def schema_accepts(schema: dict, text: str) -> bool:
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER).is_valid(value)

"""Checks of single request fields, shared by the request parsers.

Each raises `InvalidRequestError` whose `param` names the field and whose
message says what is allowed and shows what was given (as JSON).
"""

from __future__ import annotations

import json
import math
from typing import Any

from .errors import InvalidRequestError


def require_object(value: Any, where: str | None, allowed: str) -> dict[str, Any]:
    """`value` as a dict, else an error saying `where` must be `allowed`."""
    if not isinstance(value, dict):
        raise InvalidRequestError(f"{where} must be {allowed}, got {show(value)}", param=where)
    return value


def check_keys(value: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    """Every key of `value` is one of `allowed` (null values of other keys pass, as JSON
    encoders that keep `undefined` fields as null would send them)."""
    for key, item in value.items():
        if key not in allowed and item is not None:
            raise InvalidRequestError(f"unknown field {key!r} in {where}; allowed: {', '.join(allowed)}",
                                      param=f"{where}.{key}", code="unknown_parameter")


def optional_number(body: dict[str, Any], name: str, low: float, high: float,
                     low_open: bool = False) -> float | None:
    value = body.get(name)
    return None if value is None else number(value, name, low, high, name, low_open)


def number(value: Any, name: str, low: float, high: float, where: str | None = None,
            low_open: bool = False) -> float:
    # bool is an int subclass in Python; JSON true is never a number here. An int is compared
    # as an int: one past float's range (10**400) would overflow math.isfinite.
    ok = type(value) is int or (type(value) is float and math.isfinite(value))
    ok = ok and (value > low if low_open else value >= low) and value <= high
    if not ok:
        if high == math.inf:
            allowed = f"a number > {_fmt(low)}" if low_open else f"a number >= {_fmt(low)}"
        else:
            allowed = f"a number in {'(' if low_open else '['}{_fmt(low)}, {_fmt(high)}]"
        raise InvalidRequestError(f"{where or name} must be {allowed}, got {show(value)}",
                                  param=name)
    return float(value)


def optional_int(body: dict[str, Any], name: str, low: int, high: int | None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if type(value) is int and value >= low and (high is None or value <= high):
        return value
    allowed = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
    raise InvalidRequestError(f"{name} must be {allowed}, got {show(value)}", param=name)


def optional_bool(body: dict[str, Any], name: str, param: str | None = None) -> bool | None:
    value = body.get(name)
    if value is None or type(value) is bool:
        return value
    raise InvalidRequestError(f"{param or name} must be a boolean, got {show(value)}",
                              param=param or name)


def optional_str(body: dict[str, Any], name: str, param: str | None = None) -> str | None:
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    raise InvalidRequestError(f"{param or name} must be a string, got {show(value)}",
                              param=param or name)


def _fmt(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def show(value: Any, limit: int = 60) -> str:
    """The offending value as JSON (true, null, "x"), cut short."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

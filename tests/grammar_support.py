"""Helpers for grammar tests: seeded random walks through a matcher's masks, schema validation.

A walk picks uniformly among the allowed tokens for `budget` steps, then
steers towards an end: a stop token when allowed, else single-byte tokens
that close strings, objects and arrays first. Every pick is still one the
mask allows, so the text is whatever the grammar lets through.
"""

import datetime
import json
import random
import re

import jsonschema
import numpy as np

CLOSERS = (b'"', b"}", b"]", b")", b">")
RFC3339_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)")


def allowed_ids(mask: bytes, vocab_size: int) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(mask, dtype=np.uint8), bitorder="little")
    return np.flatnonzero(bits[:vocab_size])


def _rfc3339_time(value) -> bool:
    return not isinstance(value, str) or RFC3339_TIME.fullmatch(value) is not None


def _rfc3339_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    date, sep, time = value.partition("T") if "T" in value else value.partition("t")
    try:
        datetime.date.fromisoformat(date)
    except ValueError:
        return False
    return bool(sep) and len(date) == 10 and RFC3339_TIME.fullmatch(time) is not None


def format_checker() -> jsonschema.FormatChecker:
    """jsonschema's checker with date-time and time checked by RFC 3339 (the package needs an extra for those)."""
    checker = jsonschema.FormatChecker()
    checker.checks("time")(_rfc3339_time)
    checker.checks("date-time")(_rfc3339_date_time)
    return checker


_VALIDATORS: dict[str, jsonschema.Draft202012Validator] = {}


def validate(schema, value) -> None:
    """Raise jsonschema.ValidationError unless `value` is valid under `schema` (a dict or JSON text)."""
    key = schema if isinstance(schema, str) else json.dumps(schema)
    validator = _VALIDATORS.get(key)
    if validator is None:
        validator = jsonschema.Draft202012Validator(json.loads(key), format_checker=format_checker())
        _VALIDATORS[key] = validator
    validator.validate(value)


class Walk:
    """The tokens and masks of one random walk."""

    def __init__(self):
        self.tokens: list[int] = []
        self.masks: list[bytes] = []
        self.stopped = False


def random_walk(matcher, tokenizer, stop_ids, vocab_size, seed, budget=24, limit=1500, on_step=None) -> Walk:
    """Walk `matcher` until it takes a stop token (or only a stop token is allowed)."""
    rng = random.Random(seed)
    stop_set = set(stop_ids)
    walk = Walk()
    while len(walk.tokens) < limit:
        mask = matcher.next_mask()
        walk.masks.append(mask)
        allowed = allowed_ids(mask, vocab_size)
        assert len(allowed), f"nothing allowed after {tokenizer.decode(walk.tokens)!r}"
        if on_step is not None:
            on_step(walk, allowed)
        stops = [int(t) for t in allowed if int(t) in stop_set]
        if len(stops) == len(allowed) or (stops and len(walk.tokens) >= budget):
            choice = stops[0]
        elif len(walk.tokens) < budget:
            choice = int(rng.choice(allowed))
        else:
            choice = _closing_choice(allowed, tokenizer, rng)
        assert matcher.accept_token(choice), f"allowed token {choice} refused"
        walk.tokens.append(choice)
        if choice in stop_set:
            walk.stopped = True
            return walk
    raise AssertionError(f"walk did not end in {limit} tokens: {tokenizer.decode(walk.tokens)[:300]!r}")


_SINGLE_BYTE: dict[int, dict[bytes, int]] = {}


def _single_byte_tokens(tokenizer) -> dict[bytes, int]:
    """byte -> the id of the token that is that one byte (computed once per tokenizer)."""
    table = _SINGLE_BYTE.get(id(tokenizer))
    if table is None:
        table = {}
        for token_id in range(tokenizer.vocab_size):
            if tokenizer.id_to_token(token_id) is not None and token_id not in tokenizer.special_token_ids:
                piece = tokenizer.token_bytes(token_id)
                if len(piece) == 1:
                    table.setdefault(piece, token_id)
        _SINGLE_BYTE[id(tokenizer)] = table
    return table


def _closing_choice(allowed, tokenizer, rng) -> int:
    allowed_set = set(allowed.tolist())
    single = {piece: t for piece, t in _single_byte_tokens(tokenizer).items() if t in allowed_set}
    closers = [single[c] for c in CLOSERS if c in single]
    if closers and rng.random() < 0.6:  # not always: a closer may be plain text (inside a string)
        return rng.choice(closers)
    return rng.choice(sorted(single.values())) if single else int(rng.choice(allowed))


def check_layout(text: str) -> None:
    """The fixed JSON layout of grammar/spec.py: ", " and ": " outside strings, no other whitespace."""
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            escaped, in_string = (not escaped and char == "\\"), (escaped or char != '"')
            continue
        if char == '"':
            in_string = True
        elif char in ",:":
            assert text[index + 1:index + 2] == " ", f"no single space after {char!r} at {index}: {text!r}"
        elif char.isspace():
            assert text[index - 1:index] in (",", ":"), f"free whitespace at {index}: {text!r}"


def walk_text(walk: Walk, tokenizer, stop_ids) -> str:
    return tokenizer.decode([t for t in walk.tokens if t not in set(stop_ids)])

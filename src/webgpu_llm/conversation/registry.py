"""Named conversation templates shipped with the package (templates.json).

The converter writes one of these into `mlc-chat-config.json` as
`conv_template`; at run time the engine uses the one in the model's config,
so a model converted by MLC keeps its own. Standard library only.
"""

from __future__ import annotations

import functools
import importlib.resources
import json

from .template import ConversationError, ConvTemplate

DATA_FILE = "templates.json"


@functools.cache
def _entries() -> dict[str, dict]:
    """name -> {"conv_template": MLC dict, "prefix_token_text": {id: text}}, in file order."""
    text = importlib.resources.files(__package__).joinpath(DATA_FILE).read_text("utf-8")
    return {entry["conv_template"]["name"]: entry for entry in json.loads(text)["templates"]}


def template_names() -> list[str]:
    """Registered names, in preference order (generic chatml first)."""
    return list(_entries())


def get_template(name: str) -> ConvTemplate:
    """A fresh copy of the registered template `name`."""
    entry = _lookup(name)
    return ConvTemplate.from_dict(json.loads(json.dumps(entry["conv_template"])))


def prefix_token_text(name: str) -> dict[int, str]:
    """Token text of each of the template's `system_prefix_token_ids` (e.g. 1 -> "<s>").

    Only for comparing a rendering with the model's Jinja template, where
    BOS appears as text; the engine feeds these as ids.
    """
    entry = _lookup(name)
    return {int(token_id): text for token_id, text in entry["prefix_token_text"].items()}


def _lookup(name: str) -> dict:
    entries = _entries()
    if name not in entries:
        raise ConversationError(
            f"unknown conversation template {name!r}; registered: {', '.join(entries)}")
    return entries[name]

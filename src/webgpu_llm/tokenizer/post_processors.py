"""Post-processors from tokenizer.json: add BOS/EOS-like ids around one sequence.

Only single-sequence encoding is supported (no pairs), which is what an LLM
engine needs. Applied only when `encode(..., add_special_tokens=True)`.
"""

from __future__ import annotations

from typing import Callable

from .errors import TokenizerError

PostProcessor = Callable[[list[int]], list[int]]

SUPPORTED_POST_PROCESSORS = ("Sequence", "TemplateProcessing", "ByteLevel", "RobertaProcessing", "BertProcessing")


def _template(spec: dict) -> PostProcessor:
    """HF `TemplateProcessing`'s `single` template: `$A` plus special-token pieces."""
    special_ids = {name: entry["ids"] for name, entry in spec.get("special_tokens", {}).items()}
    before: list[int] = []
    after: list[int] = []
    seen_sequence = False
    for piece in spec["single"]:
        if "Sequence" in piece:
            if piece["Sequence"]["id"] != "A":
                raise TokenizerError("TemplateProcessing single template may only use sequence $A")
            seen_sequence = True
        elif "SpecialToken" in piece:
            name = piece["SpecialToken"]["id"]
            if name not in special_ids:
                raise TokenizerError(f"TemplateProcessing uses special token {name!r} it does not define")
            (after if seen_sequence else before).extend(special_ids[name])
        else:
            raise TokenizerError(f"TemplateProcessing piece {piece!r} is not supported; supported: Sequence, SpecialToken")
    return lambda ids: before + ids + after


def _wrap(spec: dict) -> PostProcessor:
    # HF Roberta/BertProcessing: `cls` and `sep` are [token, id] pairs.
    cls_id, sep_id = spec["cls"][1], spec["sep"][1]
    return lambda ids: [cls_id] + ids + [sep_id]


def _sequence(parts: list[PostProcessor]) -> PostProcessor:
    def run_all(ids: list[int]) -> list[int]:
        for part in parts:
            ids = part(ids)
        return ids

    return run_all


def build_post_processor(spec: dict | None) -> PostProcessor | None:
    """The post-processor a tokenizer.json `post_processor` entry describes (None for none)."""
    if spec is None:
        return None
    kind = spec.get("type")
    if kind == "Sequence":
        return _sequence([part for part in map(build_post_processor, spec["processors"]) if part is not None])
    if kind == "TemplateProcessing":
        return _template(spec)
    if kind == "ByteLevel":
        return None  # only adjusts offsets in HF; ids are unchanged
    if kind in ("RobertaProcessing", "BertProcessing"):
        return _wrap(spec)
    raise TokenizerError(
        f"post-processor type {kind!r} is not supported; supported: {', '.join(SUPPORTED_POST_PROCESSORS)}"
    )

"""The kernel specializer: a `.wgsl` file + defines -> WGSL source for a target.

A minimal preprocessor, on purpose (DESIGN.md, decision 6):
  #if NAME / #if !NAME / #elif NAME / #else / #endif   on boolean defines
  #include "file.wgsl"                                   shared snippets
Every non-boolean define becomes a typed `const` at the top (ints as u32,
floats as f32), so sizes are compile-time constants. Directives differ per
target: Chrome (Tint) needs `enable subgroups;` where naga (wgpu-native)
rejects it. The variant key (file, entry point, defines) is the pipeline
cache key. Binding names come from the WGSL itself: `@binding(i) var<...>
NAME` declares that bind-group entry i is called NAME.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any

_BINDING = re.compile(r"@binding\((\d+)\)\s*var(?:<[^>]*>)?\s+(\w+)")
_DIRECTIVE = re.compile(r"^\s*#(if|elif|else|endif|include)\b\s*(.*?)\s*$")


class KernelSourceError(ValueError):
    """A kernel file that does not preprocess (unbalanced #if, unknown define...)."""


def read_kernel_file(name: str) -> str:
    try:
        return resources.files("webgpu_llm.kernels").joinpath(name).read_text()
    except FileNotFoundError as e:
        raise KernelSourceError(f"no kernel file {name!r} in webgpu_llm/kernels") from e


def _const_line(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return f"const {name}: bool = {'true' if value else 'false'};"
    if isinstance(value, int):
        if value < 0:
            return f"const {name}: i32 = {value}i;"
        return f"const {name}: u32 = {value}u;"
    if isinstance(value, float):
        return f"const {name}: f32 = {value:.9e}f;"
    raise KernelSourceError(f"define {name}={value!r}: only bool, int and float are allowed")


def preprocess(text: str, flags: dict[str, bool], file_name: str = "<kernel>") -> str:
    """Resolve #if/#elif/#else/#endif on boolean flags and #include files."""
    out: list[str] = []
    stack: list[tuple[bool, bool]] = []  # (this branch active, some branch taken)

    def truth(expr: str) -> bool:
        negate = expr.startswith("!")
        name = expr.lstrip("!").strip()
        if name not in flags:
            raise KernelSourceError(f"{file_name}: #if on unknown flag {name!r}; flags: {sorted(flags)}")
        return flags[name] != negate

    for line in text.splitlines():
        m = _DIRECTIVE.match(line)
        active = all(s[0] for s in stack)
        if not m:
            if active:
                out.append(line)
            continue
        kind, arg = m.groups()
        if kind == "if":
            taken = truth(arg) and active  # truth() first: a typo errs in any branch
            stack.append((taken, taken))
        elif kind in ("elif", "else"):
            if not stack:
                raise KernelSourceError(f"{file_name}: #{kind} without #if")
            _, done = stack.pop()
            parent = all(s[0] for s in stack)
            branch = (kind == "else" or truth(arg)) and parent and not done
            stack.append((branch, done or branch))
        elif kind == "endif":
            if not stack:
                raise KernelSourceError(f"{file_name}: #endif without #if")
            stack.pop()
        elif kind == "include" and active:
            included = arg.strip('"')
            out.append(preprocess(read_kernel_file(included), flags, included))
    if stack:
        raise KernelSourceError(f"{file_name}: #if without #endif")
    return "\n".join(out)


@dataclass(frozen=True)
class KernelVariant:
    """One specialization of one kernel file: the unit of pipeline caching."""

    file: str  # e.g. "rms_norm.wgsl"
    defines: tuple[tuple[str, Any], ...]  # sorted (name, value); bools are #if flags
    entry_point: str = "main"

    @classmethod
    def of(cls, file: str, entry_point: str = "main", **defines: Any) -> KernelVariant:
        return cls(file, tuple(sorted(defines.items())), entry_point)

    @property
    def name(self) -> str:
        return f"{self.file.removesuffix('.wgsl')}:{self.entry_point}"

    @property
    def key(self) -> str:
        return self.name + "|" + ",".join(f"{k}={v}" for k, v in self.defines)

    @cached_property
    def body(self) -> str:
        """Preprocessed WGSL without target directives (target independent)."""
        flags = {k: v for k, v in self.defines if isinstance(v, bool)}
        consts = [_const_line(k, v) for k, v in self.defines if not isinstance(v, bool)]
        text = preprocess(read_kernel_file(self.file), flags, self.file)
        return "\n".join(consts) + "\n" + text

    @cached_property
    def bindings(self) -> tuple[str, ...]:
        """Binding names in binding order, as declared in the specialized WGSL."""
        found = {int(i): name for i, name in _BINDING.findall(self.body)}
        if sorted(found) != list(range(len(found))):
            raise KernelSourceError(f"{self.name}: bindings must be numbered 0..n-1, got {sorted(found)}")
        return tuple(found[i] for i in range(len(found)))

    def source(self, target: str, features: Any) -> str:
        """Full WGSL for a compiler: `target` "naga" (wgpu-native) or "tint" (Chrome)."""
        flags = dict((k, v) for k, v in self.defines if isinstance(v, bool))
        directives = []
        if flags.get("F16_COMPUTE"):
            directives.append("enable f16;")
        if flags.get("SUBGROUPS") and target == "tint":
            directives.append("enable subgroups;")  # naga rejects it; Tint requires it
        return "\n".join(directives) + "\n" + self.body

"""The kernels a browser on a real GPU runs (gemv.wgsl, attention_decode/prefill, the sampler, the
tiled matmul, and their batched variants) compile in Chromium's own WGSL compiler (Tint), and
a pipeline is made from each. The suite's browser runs SwiftShader, a CPU adapter, which takes
the CPU kernels: without this, a change to a GPU kernel that only naga accepts would reach
users' browsers untried."""

from __future__ import annotations

import tempfile

from playwright.sync_api import sync_playwright

from browser_support import StaticServer, launch_chromium
from webgpu_llm.kernels.attention_decode import attention_decode_kernel
from webgpu_llm.kernels.attention_prefill import attention_prefill_kernel
from webgpu_llm.kernels.gemv import gemv_kernel
from webgpu_llm.kernels.matmul import matmul_kernel
from webgpu_llm.kernels.rope_kv_append import rope_kv_append_kernel
from webgpu_llm.kernels.sample import sample_kernel

COMPILE = """async (sources) => {
  const adapter = await navigator.gpu.requestAdapter();
  const features = ["subgroups", "shader-f16"].filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({requiredFeatures: features});
  const errors = [];
  for (const s of sources) {
    device.pushErrorScope("validation");
    const module = device.createShaderModule({code: s.code});
    for (const m of (await module.getCompilationInfo()).messages) {
      if (m.type === "error") errors.push(`${s.key}: ${m.message} at line ${m.lineNum}`);
    }
    try {
      await device.createComputePipelineAsync({layout: "auto", compute: {module, entryPoint: s.entry}});
    } catch (e) { errors.push(`${s.key}: pipeline: ${e.message}`); }
    const scope = await device.popErrorScope();
    if (scope) errors.push(`${s.key}: ${scope.message}`);
  }
  return {features, errors};
}"""


def gpu_variants(subgroups: bool) -> list:
    out = []
    for fmt in ("Q4F16", "Q4F32", "F16", "BF16"):
        for options in ({}, {"norm": "BF16"}, {"swiglu": True, "accumulate": True}, {"norm": "F16", "swiglu": True}):
            for k in (72, 45):
                for batched in (0, 4):
                    out.append(gemv_kernel(37, k, fmt, subgroups, batched=batched, **options))
        out.append(gemv_kernel(37, 72, fmt, subgroups, x_last_row=True, norm="F16"))
        out.append(matmul_kernel(37, 72, fmt, swiglu=True))
    for entry in ("partial", "merge"):
        for batch in (0, 4):
            out.append(attention_decode_kernel(entry, 6, 2, 64, 16, 300, subgroups, batch=batch))
            out.append(attention_decode_kernel(entry, 16, 1, 8, 16, 300, subgroups, batch=batch, window=40,
                                               layer_pages=4))
    for batch in (0, 4):
        out.append(sample_kernel(49152, subgroups, batch))
        out.append(rope_kv_append_kernel(6, 2, 64, 16, qk_norm=True, batch=batch))
    out.append(attention_prefill_kernel(6, 2, 64, 16))
    return out


def test_gpu_kernels_compile_in_chromium():
    variants = gpu_variants(False) + gpu_variants(True)
    sources = [{"key": v.key, "code": v.source("tint", None), "entry": v.entry_point} for v in variants]
    folder = tempfile.mkdtemp()
    with open(f"{folder}/index.html", "w") as page_file:
        page_file.write("<!doctype html><title>kernels</title>")
    with sync_playwright() as p, StaticServer(folder) as server:
        context = launch_chromium(p)
        try:
            page = context.new_page()
            page.goto(server.url + "/index.html")
            result = page.evaluate(COMPILE, sources)
        finally:
            context.close()
    assert "subgroups" in result["features"]  # the subgroup variants are the ones GPUs take
    assert result["errors"] == [], "\n".join(result["errors"])

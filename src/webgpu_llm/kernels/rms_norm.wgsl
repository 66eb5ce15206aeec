// RMSNorm of each token row, as HF LlamaRMSNorm computes it in f32:
//   out = x / sqrt(mean(x^2) + EPS) * weight
// One workgroup per row; invocations stride over D, then the sum of squares
// is reduced by subgroupAdd (SUBGROUPS) or a workgroup-memory tree. The
// residual add is fused into the o_proj / down_proj products, except where the
// product's output is normalized first (Gemma's post-attention and post-MLP norms):
// then ACCUMULATE adds the normalized row into `out` (the residual stream).
//
// Defines: D (hidden size), EPS (f32), WORKGROUP (a power of two),
// PRESENT_WORDS = ceil(WORKGROUP/32); flags VECTOR_BF16 (weight is bf16,
// else f16), SUBGROUPS, ACCUMULATE.

#include "half.wgsl"
#include "step_params.wgsl"

@group(0) @binding(0) var<uniform> params: StepParams;                // num_tokens = T
@group(0) @binding(1) var<storage, read> x: array<f32>;              // (T, D)
@group(0) @binding(2) var<storage, read> weight: array<u32>;         // (ceil(D/2),) 16-bit, two per word
@group(0) @binding(3) var<storage, read_write> out: array<f32>;      // (T, D)

var<workgroup> partial: array<f32, WORKGROUP>;
#if SUBGROUPS
var<workgroup> present: array<atomic<u32>, PRESENT_WORDS>;  // bit i: invocation i holds a subgroup sum
#endif

fn weight_at(i: u32) -> f32 {
#if VECTOR_BF16
    return bf16_at(weight[i >> 1u], (i & 1u) == 1u);
#else
    return f16_at(weight[i >> 1u], (i & 1u) == 1u);
#endif
}

// Sum of `value` over the workgroup; every invocation gets the total.
fn workgroup_sum(value: f32, lid: u32, lane: u32) -> f32 {
#if SUBGROUPS
    // One partial per subgroup, summed in invocation order: deterministic,
    // and no assumption about the subgroup size or layout. The writer is the
    // lowest active lane: right even where the strided loop above left the
    // subgroup split (no reconvergence guarantee without maximal reconvergence).
    if (lid < PRESENT_WORDS) {
        atomicStore(&present[lid], 0u);
    }
    workgroupBarrier();
    let s = subgroupAdd(value);
    if (lane == subgroupMin(lane)) {
        partial[lid] = s;
        atomicOr(&present[lid / 32u], 1u << (lid % 32u));
    }
    workgroupBarrier();
    var sum = 0.0;
    for (var w = 0u; w < PRESENT_WORDS; w++) {
        var bits = atomicLoad(&present[w]);
        while (bits != 0u) {
            sum += partial[w * 32u + countTrailingZeros(bits)];
            bits &= bits - 1u;
        }
    }
    return sum;
#else
    partial[lid] = value;
    workgroupBarrier();
    for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
        if (lid < stride) {
            partial[lid] += partial[lid + stride];
        }
        workgroupBarrier();
    }
    return partial[0];
#endif
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
#if SUBGROUPS
        @builtin(subgroup_invocation_id) lane: u32,
#endif
) {
#if !SUBGROUPS
    let lane = 0u;
#endif
    let row = wid.x + wid.y * groups.x;  // rows past 65535 spill into y
    if (row >= params.num_tokens) {
        return;
    }
    let base = row * D;
    var squares = 0.0;
    for (var i = lid; i < D; i += WORKGROUP) {
        let v = x[base + i];
        squares += v * v;
    }
    let scale = inverseSqrt(workgroup_sum(squares, lid, lane) / f32(D) + EPS);
    for (var i = lid; i < D; i += WORKGROUP) {
#if ACCUMULATE
        out[base + i] += x[base + i] * scale * weight_at(i);
#else
        out[base + i] = x[base + i] * scale * weight_at(i);
#endif
    }
}

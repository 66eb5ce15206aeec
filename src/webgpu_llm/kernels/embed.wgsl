// Embedding lookup: out[t] = dequantized row tokens[t] of the [VOCAB, HIDDEN]
// embedding matrix, for the T = params.num_tokens tokens of this step.
//
// One invocation per octet (8 values) of one output row: a q4 word and its
// group scale, or 8 16-bit values. Rows of 16-bit formats are not word aligned
// when HIDDEN is odd, so those are addressed element by element.
//
// Rows are multiplied by SCALE (1, or Gemma's sqrt(hidden size)).
//
// Defines: VOCAB, HIDDEN, GROUPS (q4 groups per row), K8 (q4 words per row),
// OCTETS = ceil(HIDDEN/8), WORKGROUP, SCALE (f32); flags W_Q4F16 | W_Q4F32 | W_F16 | W_BF16,
// QUANTIZED.

#include "half.wgsl"
#include "step_params.wgsl"

@group(0) @binding(0) var<uniform> params: StepParams;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;       // (T,)
#if QUANTIZED
@group(0) @binding(2) var<storage, read> q_weight: array<u32>;     // (VOCAB, K8) eight nibbles per word
@group(0) @binding(3) var<storage, read> q_scale: array<u32>;      // (VOCAB, GROUPS) 16-bit, two per word
@group(0) @binding(4) var<storage, read_write> out: array<f32>;    // (T, HIDDEN)
#else
@group(0) @binding(2) var<storage, read> weight: array<u32>;       // (VOCAB * HIDDEN / 2,) 16-bit, two per word
@group(0) @binding(3) var<storage, read_write> out: array<f32>;    // (T, HIDDEN)
#endif

#if QUANTIZED
#include "q4_scale.wgsl"

fn octet_values(row: u32, j: u32) -> array<f32, 8> {
    let scale = q4_scale(row, j / 4u);
    let word = q_weight[row * K8 + j];
    var v: array<f32, 8>;
    for (var i = 0u; i < 8u; i++) {
        v[i] = (f32((word >> (4u * i)) & 15u) - 7.0) * scale;
    }
    return v;
}
#else
fn octet_values(row: u32, j: u32) -> array<f32, 8> {
    var v: array<f32, 8>;
    for (var i = 0u; i < 8u; i++) {
        let e = row * HIDDEN + min(8u * j + i, HIDDEN - 1u);  // values past HIDDEN are not written
#if W_F16
        v[i] = f16_at(weight[e >> 1u], (e & 1u) == 1u);
#else
        v[i] = bf16_at(weight[e >> 1u], (e & 1u) == 1u);
#endif
    }
    return v;
}
#endif

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = gid.x + gid.y * groups.x * WORKGROUP;  // workgroups past 65535 spill into y
    let t = index / OCTETS;
    let j = index % OCTETS;
    if (t >= params.num_tokens) {
        return;
    }
    let row = min(tokens[t], VOCAB - 1u);  // an out-of-range id must not read another tensor
    let v = octet_values(row, j);
    for (var i = 0u; i < 8u; i++) {
        let k = 8u * j + i;
        if (k < HIDDEN) {
            out[t * HIDDEN + k] = v[i] * SCALE;
        }
    }
}

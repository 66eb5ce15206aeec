// LayerNorm of each token row, as HF BertLayer computes it in f32:
//   v = x (+ x_bias with INPUT_BIAS) (+ out with RESIDUAL)
//   out = (v - mean(v)) / sqrt(var(v) + EPS) * gamma + beta
// With RESIDUAL this is BERT's `LayerNorm(dense(h) + bias + h)` after a product,
// in place on the residual stream `out`. One workgroup per row; each invocation
// keeps its PER_LANE values in registers, so x and out are read once; the mean
// and then the variance (two passes: no cancellation) reduce through workgroup memory.
//
// Defines: D (hidden size), EPS (f32), WORKGROUP (a power of two),
// PER_LANE = ceil(D / WORKGROUP); flags VECTOR_BF16 (gamma, beta, x_bias are bf16,
// else f16), INPUT_BIAS, RESIDUAL.

#include "half.wgsl"
#include "encoder_params.wgsl"

@group(0) @binding(0) var<uniform> params: EncoderParams;            // rows = T
@group(0) @binding(1) var<storage, read> x: array<f32>;              // (T, D)
@group(0) @binding(2) var<storage, read> gamma: array<u32>;          // (ceil(D/2),) 16-bit, two per word
@group(0) @binding(3) var<storage, read> beta: array<u32>;           // (ceil(D/2),)
@group(0) @binding(4) var<storage, read_write> out: array<f32>;      // (T, D)
#if INPUT_BIAS
@group(0) @binding(5) var<storage, read> x_bias: array<u32>;         // (ceil(D/2),) the product's bias
#endif

var<workgroup> partial: array<f32, WORKGROUP>;

fn half_at(word: u32, odd: bool) -> f32 {
#if VECTOR_BF16
    return bf16_at(word, odd);
#else
    return f16_at(word, odd);
#endif
}

// Sum of `value` over the workgroup; every invocation gets the total.
fn workgroup_sum(value: f32, lid: u32) -> f32 {
    partial[lid] = value;
    workgroupBarrier();
    for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
        if (lid < stride) {
            partial[lid] += partial[lid + stride];
        }
        workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();  // partial is reused by the next sum
    return total;
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
    let row = wid.x + wid.y * groups.x;  // rows past 65535 spill into y
    if (row >= params.rows) {
        return;  // uniform per workgroup: the barriers below stay in uniform control flow
    }
    let base = row * D;
    var v: array<f32, PER_LANE>;
    var sum = 0.0;
    for (var s = 0u; s < PER_LANE; s++) {
        let i = lid + s * WORKGROUP;
        if (i < D) {
            var value = x[base + i];
#if INPUT_BIAS
            value += half_at(x_bias[i >> 1u], (i & 1u) == 1u);
#endif
#if RESIDUAL
            value += out[base + i];
#endif
            v[s] = value;
            sum += value;
        }
    }
    let mean = workgroup_sum(sum, lid) / f32(D);
    var squares = 0.0;
    for (var s = 0u; s < PER_LANE; s++) {
        if (lid + s * WORKGROUP < D) {
            let centered = v[s] - mean;
            squares += centered * centered;
        }
    }
    let scale = 1.0 / sqrt(workgroup_sum(squares, lid) / f32(D) + EPS);
    for (var s = 0u; s < PER_LANE; s++) {
        let i = lid + s * WORKGROUP;
        if (i < D) {
            let odd = (i & 1u) == 1u;
            out[base + i] = (v[s] - mean) * scale * half_at(gamma[i >> 1u], odd) + half_at(beta[i >> 1u], odd);
        }
    }
}

// A product's bias, and with GELU the exact (erf) GELU of HF's "gelu", in place:
//   y[t, n] = act(y[t, n] + bias[n])
// One invocation per value. WGSL has no erf: Abramowitz & Stegun 7.1.26
// (|error| <= 1.5e-7, below f32's resolution of the GELU around its values).
//
// Defines: N (values per row), WORKGROUP; flags VECTOR_BF16 (bias is bf16, else f16), GELU.

#include "half.wgsl"
#include "encoder_params.wgsl"

@group(0) @binding(0) var<uniform> params: EncoderParams;            // rows = T
@group(0) @binding(1) var<storage, read> bias: array<u32>;           // (ceil(N/2),) 16-bit, two per word
@group(0) @binding(2) var<storage, read_write> y: array<f32>;        // (T, N)

fn erf_approx(x: f32) -> f32 {
    let a = abs(x);
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    return sign(x) * (1.0 - poly * exp(-a * a));
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let e = gid.x + gid.y * groups.x * WORKGROUP;  // workgroups past 65535 spill into y
    if (e >= params.rows * N) {
        return;
    }
    let n = e % N;
#if VECTOR_BF16
    var v = y[e] + bf16_at(bias[n >> 1u], (n & 1u) == 1u);
#else
    var v = y[e] + f16_at(bias[n >> 1u], (n & 1u) == 1u);
#endif
#if GELU
    v = 0.5 * v * (1.0 + erf_approx(v * 0.7071067811865476));
#endif
    y[e] = v;
}

// The bindings of the prefill products (matmul.wgsl for GPUs, matmul_cpu.wgsl for
// CPU adapters) and their reads of one weight value or pair: q4 through
// q4_scale.wgsl, 16-bit rows through value_at / value_pair. Needs the defines
// of kernels/matmul.py.

#include "half.wgsl"
#include "step_params.wgsl"

@group(0) @binding(0) var<uniform> params: StepParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;            // (T, K)
#if QUANTIZED
@group(0) @binding(2) var<storage, read> q_weight: array<u32>;     // (W_ROWS, K8) eight nibbles per word
@group(0) @binding(3) var<storage, read> q_scale: array<u32>;      // (W_ROWS, GROUPS) 16-bit, two per word
@group(0) @binding(4) var<storage, read_write> y: array<f32>;      // (T, N)
#else
@group(0) @binding(2) var<storage, read> weight: array<u32>;       // (W_ROWS * K / 2,) 16-bit, two per word
@group(0) @binding(3) var<storage, read_write> y: array<f32>;      // (T, N)
#endif
// W_ROWS is N, or 2N with SWIGLU (MLC's fused gate_up: gate rows then up rows).

#if QUANTIZED
#include "q4_scale.wgsl"
#else
const EVEN_K: bool = K % 2u == 0u;  // 16-bit rows start word aligned: read values in pairs
const LAST_PAIR: u32 = K + K % 2u - 2u;  // K - 2 when EVEN_K (written so K = 1 does not underflow)

fn value_at(e: u32) -> f32 {
#if W_F16
    return f16_at(weight[e >> 1u], (e & 1u) == 1u);
#else
    return bf16_at(weight[e >> 1u], (e & 1u) == 1u);
#endif
}

// Values k and k + 1 (k even) of matrix row `row`; clamped in bounds (x is zero past K).
fn value_pair(row: u32, k: u32) -> vec2<f32> {
    if (EVEN_K) {
        let word = weight[(row * K + min(k, LAST_PAIR)) >> 1u];
#if W_F16
        return unpack2x16float(word);
#else
        return vec2<f32>(bitcast<f32>(word << 16u), bitcast<f32>(word & 0xffff0000u));
#endif
    }
    let e = row * K;
    return vec2<f32>(value_at(e + min(k, K - 1u)), value_at(e + min(k + 1u, K - 1u)));
}
#endif


// Prefill product y (T, N) = x (T, K) W^T for CPU adapters (lavapipe, SwiftShader),
// the prefill sibling of gemv_cpu.wgsl: each invocation computes ROWS outputs for
// TOKENS consecutive tokens by itself, so there is no workgroup memory and no
// barrier (which a CPU implementation pays for by switching between its lane
// groups). A weight octet (one q4 word, or eight 16-bit values) is read and
// dequantized once and used for all TOKENS tokens, whose x octets are read once
// and used for all ROWS rows; that reuse is what makes prefill cheaper per token
// than TOKENS decode steps. Consecutive workgroups take the same rows for the
// next tokens, so a row block's weights stay in the cache.
//
// Defines: as matmul.wgsl for N, K, GROUPS, K8 and the flags; ROWS (outputs per
// invocation), ACC_ROWS (ROWS, 2*ROWS with SWIGLU: gate and up rows), TOKENS,
// OCTETS (q4 words per row, or ceil(K/8)), WORKGROUP, BLOCKS = ceil(N / (WORKGROUP * ROWS)).

#include "matmul_bindings.wgsl"
#include "gate_activation.wgsl"

struct Octet {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// x values k = 8j .. 8j+7 of token t; zero past K (q4 padding may hold any code).
fn x_octet(t: u32, j: u32) -> Octet {
    var v: array<f32, 8>;
    for (var i = 0u; i < 8u; i++) {
        let k = 8u * j + i;
        v[i] = select(0.0, x[t * K + min(k, K - 1u)], k < K);
    }
    return Octet(vec4<f32>(v[0], v[1], v[2], v[3]), vec4<f32>(v[4], v[5], v[6], v[7]));
}

// Values k = 8j .. 8j+7 of weight row `row`, dequantized (past K: any finite value).
fn w_octet(row: u32, j: u32) -> Octet {
#if QUANTIZED
    let word = vec4<u32>(q_weight[row * K8 + j]);
    let scale = q4_scale(row, j / 4u);
    let lo = vec4<f32>((word >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(15u)) - 7.0;
    let hi = vec4<f32>((word >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(15u)) - 7.0;
    return Octet(lo * scale, hi * scale);
#else
    let k = 8u * j;
    return Octet(vec4<f32>(value_pair(row, k), value_pair(row, k + 2u)),
                 vec4<f32>(value_pair(row, k + 4u), value_pair(row, k + 6u)));
#endif
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
    let num_tokens = params.num_tokens;
    let token_blocks = (num_tokens + TOKENS - 1u) / TOKENS;
    let block = wid.x + wid.y * groups.x;  // workgroups past 65535 spill into y
    let row_block = block / token_blocks;
    let first = (row_block * WORKGROUP + lid) * ROWS;  // this invocation's first output
    if (row_block >= BLOCKS || first >= N) {
        return;
    }
    let t0 = (block % token_blocks) * TOKENS;
    var rows: array<u32, ACC_ROWS>;
    for (var s = 0u; s < ACC_ROWS; s++) {
        let out = min(first + s % ROWS, N - 1u);  // clamped: loads stay in bounds, stores are skipped
        rows[s] = select(out, out + N, s >= ROWS);  // SWIGLU: slots ROWS.. are the up rows
    }
    // acc[s * TOKENS + i]: weight row rows[s] . x row t0 + i
    var acc: array<f32, ACC_ROWS * TOKENS>;
    for (var j = 0u; j < OCTETS; j++) {
        var xs: array<Octet, TOKENS>;
        for (var i = 0u; i < TOKENS; i++) {
            xs[i] = x_octet(min(t0 + i, num_tokens - 1u), j);  // clamped: rows past T are not stored
        }
        for (var s = 0u; s < ACC_ROWS; s++) {
            let w = w_octet(rows[s], j);
            for (var i = 0u; i < TOKENS; i++) {
                acc[s * TOKENS + i] += dot(w.lo, xs[i].lo) + dot(w.hi, xs[i].hi);
            }
        }
    }
    for (var i = 0u; i < TOKENS; i++) {
        let t = t0 + i;
        for (var r = 0u; r < ROWS; r++) {
            if (t < num_tokens && first + r < N) {
                var v = acc[r * TOKENS + i];
#if SWIGLU
                v = gate_activation(v) * acc[(ROWS + r) * TOKENS + i];
#endif
                let e = t * N + first + r;
#if ACCUMULATE
                v += y[e];  // residual add fused into o_proj / down_proj
#endif
                y[e] = v;
            }
        }
    }
}

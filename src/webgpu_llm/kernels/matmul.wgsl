// Prefill product y (T, N) = x (T, K) W^T, tiled through workgroup memory.
//
// A workgroup owns a TILE_T x TILE_N tile of y; each invocation owns a 4 x 4
// block of it (4 tokens x 4 consecutive columns; twice that with SWIGLU: gate
// and up), held in vec4 variables with constant indices only, so they stay in
// registers (arrays indexed by loop variables land in private memory). K is
// walked in steps of TILE_K: each step stages x and W into workgroup memory as
// vec4s, x as [k][token quad] and W as [k][row quad], W dequantized to f32 once
// (a q4 word is one octet of 8 values). Then per k an invocation reads one
// vec4 of tokens and one vec4 of columns (two with SWIGLU) and does 16 (32)
// fmas. Consecutive workgroups take consecutive token blocks of the same W
// tile, so W is read from memory about once while its tile sits in the cache.
//
// Defines: N, K, GROUPS (q4 groups per row), K8 (q4 words per row), TILE_T,
// TILE_N (multiples of 4), TILE_K (a multiple of 8 dividing 32), W_TILE (TILE_N,
// or 2*TILE_N with SWIGLU), WORKGROUP = (TILE_T/4) * (TILE_N/4), N_BLOCKS =
// ceil(N/TILE_N), K_STEPS = ceil(K/TILE_K); flags W_Q4F16 | W_Q4F32 | W_F16 |
// W_BF16, QUANTIZED, ACCUMULATE, SWIGLU, GELU_TANH (the gate's activation, see gate_activation).

#include "matmul_bindings.wgsl"

const TOKEN_QUADS: u32 = TILE_T / 4u;
const COL_QUADS: u32 = TILE_N / 4u;
const ROW_QUADS: u32 = W_TILE / 4u;   // COL_QUADS, or 2 * COL_QUADS with SWIGLU
const OCTETS_PER_STEP: u32 = TILE_K / 8u;

// Not zero-initialized on every implementation: stage_tiles writes every entry each step.
var<workgroup> x_tile: array<vec4<f32>, TILE_K * TOKEN_QUADS>;  // [k][token quad]
var<workgroup> w_tile: array<vec4<f32>, TILE_K * ROW_QUADS>;    // [k][row quad]

// Matrix row behind tile row r; clamped in bounds (outputs past N are dropped).
fn matrix_row(n0: u32, r: u32) -> u32 {
    let n = min(n0 + r % TILE_N, N - 1u);
    return select(n, n + N, r >= TILE_N);  // SWIGLU: tile rows TILE_N.. are the up rows
}

// Dequantize tile rows 4rq .. 4rq+3 at k = 8 * octet .. 8 * octet + 7 into w_tile
// entries (8h + i, rq). Anything past K may hold any finite value: x is zero there.
fn stage_w_octet(n0: u32, rq: u32, octet: u32, h: u32) {
    let rows = vec4<u32>(matrix_row(n0, 4u * rq), matrix_row(n0, 4u * rq + 1u),
                         matrix_row(n0, 4u * rq + 2u), matrix_row(n0, 4u * rq + 3u));
#if QUANTIZED
    let g = octet / 4u;
    let scale = vec4<f32>(q4_scale(rows.x, g), q4_scale(rows.y, g), q4_scale(rows.z, g), q4_scale(rows.w, g));
    let words = vec4<u32>(q_weight[rows.x * K8 + octet], q_weight[rows.y * K8 + octet],
                          q_weight[rows.z * K8 + octet], q_weight[rows.w * K8 + octet]);
    for (var i = 0u; i < 8u; i++) {
        let codes = (words >> vec4<u32>(4u * i)) & vec4<u32>(15u);
        w_tile[(8u * h + i) * ROW_QUADS + rq] = (vec4<f32>(codes) - 7.0) * scale;
    }
#else
    for (var p = 0u; p < 4u; p++) {
        let k = 8u * octet + 2u * p;
        let a = value_pair(rows.x, k);
        let b = value_pair(rows.y, k);
        let c = value_pair(rows.z, k);
        let d = value_pair(rows.w, k);
        w_tile[(8u * h + 2u * p) * ROW_QUADS + rq] = vec4<f32>(a.x, b.x, c.x, d.x);
        w_tile[(8u * h + 2u * p + 1u) * ROW_QUADS + rq] = vec4<f32>(a.y, b.y, c.y, d.y);
    }
#endif
}

fn stage_tiles(lid: u32, t0: u32, n0: u32, k0: u32, num_tokens: u32) {
    for (var idx = lid; idx < TILE_K * TOKEN_QUADS; idx += WORKGROUP) {
        let k = k0 + idx % TILE_K;  // neighbouring invocations read neighbouring k
        let t = t0 + 4u * (idx / TILE_K);
        let kc = min(k, K - 1u);
        let last = num_tokens - 1u;
        let v = vec4<f32>(x[min(t, last) * K + kc], x[min(t + 1u, last) * K + kc],
                          x[min(t + 2u, last) * K + kc], x[min(t + 3u, last) * K + kc]);
        let inside = vec4<bool>(t < num_tokens, t + 1u < num_tokens, t + 2u < num_tokens, t + 3u < num_tokens);
        x_tile[(idx % TILE_K) * TOKEN_QUADS + idx / TILE_K] = select(vec4<f32>(0.0), v, inside & vec4<bool>(k < K));
    }
    for (var idx = lid; idx < ROW_QUADS * OCTETS_PER_STEP; idx += WORKGROUP) {
        let h = idx % OCTETS_PER_STEP;
        stage_w_octet(n0, idx / OCTETS_PER_STEP, k0 / 8u + h, h);
    }
}

// The gate's activation: SiLU (SwiGLU), or with GELU_TANH gelu's tanh approximation
// (GeGLU, HF's gelu_pytorch_tanh), its tanh argument clamped where f32 tanh is +-1 anyway.
fn gate_activation(g: vec4<f32>) -> vec4<f32> {
#if GELU_TANH
    let inner = 0.7978845608028654 * (g + 0.044715 * g * g * g);
    return 0.5 * g * (1.0 + tanh(clamp(inner, vec4<f32>(-15.0), vec4<f32>(15.0))));
#else
    return g / (1.0 + exp(-g));
#endif
}

// Columns n .. n + 3 of token t; `up` is unused without SWIGLU.
fn store_row(t: u32, n: u32, num_tokens: u32, acc: vec4<f32>, up: vec4<f32>) {
    if (t >= num_tokens) {
        return;
    }
#if SWIGLU
    let v = gate_activation(acc) * up;
#else
    let v = acc;
#endif
    for (var c = 0u; c < 4u; c++) {
        if (n + c < N) {
            let i = t * N + n + c;
#if ACCUMULATE
            y[i] = v[c] + y[i];  // residual add fused into o_proj / down_proj
#else
            y[i] = v[c];
#endif
        }
    }
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
    let num_tokens = params.num_tokens;
    let token_blocks = (num_tokens + TILE_T - 1u) / TILE_T;
    let block = wid.x + wid.y * groups.x;  // workgroups past 65535 spill into y
    let n_block = block / token_blocks;
    if (n_block >= N_BLOCKS) {
        return;
    }
    let t0 = (block % token_blocks) * TILE_T;
    let n0 = n_block * TILE_N;
    let tq = lid / COL_QUADS;
    let cq = lid % COL_QUADS;

    // acc_i: token 4tq + i, columns 4cq .. 4cq+3 (gate rows with SWIGLU); up_i: the up rows.
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
#if SWIGLU
    var up0 = vec4<f32>(0.0);
    var up1 = vec4<f32>(0.0);
    var up2 = vec4<f32>(0.0);
    var up3 = vec4<f32>(0.0);
#endif
    for (var step = 0u; step < K_STEPS; step++) {
        stage_tiles(lid, t0, n0, step * TILE_K, num_tokens);
        workgroupBarrier();
        for (var kk = 0u; kk < TILE_K; kk++) {
            let a = x_tile[kk * TOKEN_QUADS + tq];
            let b = w_tile[kk * ROW_QUADS + cq];
            acc0 = fma(vec4<f32>(a.x), b, acc0);
            acc1 = fma(vec4<f32>(a.y), b, acc1);
            acc2 = fma(vec4<f32>(a.z), b, acc2);
            acc3 = fma(vec4<f32>(a.w), b, acc3);
#if SWIGLU
            let u = w_tile[kk * ROW_QUADS + COL_QUADS + cq];
            up0 = fma(vec4<f32>(a.x), u, up0);
            up1 = fma(vec4<f32>(a.y), u, up1);
            up2 = fma(vec4<f32>(a.z), u, up2);
            up3 = fma(vec4<f32>(a.w), u, up3);
#endif
        }
        workgroupBarrier();
    }

    let t = t0 + 4u * tq;
    let n = n0 + 4u * cq;
#if SWIGLU
    store_row(t, n, num_tokens, acc0, up0);
    store_row(t + 1u, n, num_tokens, acc1, up1);
    store_row(t + 2u, n, num_tokens, acc2, up2);
    store_row(t + 3u, n, num_tokens, acc3, up3);
#else
    store_row(t, n, num_tokens, acc0, acc0);
    store_row(t + 1u, n, num_tokens, acc1, acc1);
    store_row(t + 2u, n, num_tokens, acc2, acc2);
    store_row(t + 3u, n, num_tokens, acc3, acc3);
#endif
}

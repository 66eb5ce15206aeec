// Prefill product y (T, N) = x (T, K) W^T, tiled through workgroup memory.
//
// A workgroup owns a TILE_T x TILE_N tile of y; each invocation holds
// THREAD_T x THREAD_N accumulators (twice that with SWIGLU: gate and up) for
// tokens tt + i * TOKEN_THREADS and columns tn + c * COL_THREADS, strided so
// neighbouring invocations read neighbouring workgroup-memory words. K is
// walked in steps of TILE_K: each step stages TILE_T x TILE_K of x and
// W_TILE x TILE_K of W, dequantized to f32 once (a q4 word is one octet of
// 8 values), then every invocation does TILE_K rank-1 updates from them.
// Consecutive workgroups take consecutive token blocks of the same W tile,
// so W is read from memory about once while its tile sits in the cache.
//
// Defines: N, K, GROUPS (q4 groups per row), K8 (q4 words per row), TILE_T,
// TILE_N, TILE_K (a multiple of 8 dividing 32), THREAD_T, THREAD_N, W_TILE
// (TILE_N, or 2*TILE_N with SWIGLU), WORKGROUP = (TILE_T/THREAD_T) *
// (TILE_N/THREAD_N), N_BLOCKS = ceil(N/TILE_N), K_STEPS = ceil(K/TILE_K);
// flags W_Q4F16 | W_Q4F32 | W_F16 | W_BF16, QUANTIZED, ACCUMULATE, SWIGLU.

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

const COL_THREADS: u32 = TILE_N / THREAD_N;
const TOKEN_THREADS: u32 = TILE_T / THREAD_T;
const OCTETS_PER_STEP: u32 = TILE_K / 8u;
const SLOTS: u32 = W_TILE / TILE_N;  // 1, or 2 with SWIGLU

var<workgroup> x_tile: array<f32, TILE_T * TILE_K>;  // [token][k]: each row of readers shares one word
var<workgroup> w_tile: array<f32, TILE_K * W_TILE>;  // [k][row]: readers take consecutive rows

// Matrix row behind tile row r; clamped in bounds (outputs past N are dropped).
fn matrix_row(n0: u32, r: u32) -> u32 {
    let n = min(n0 + r % TILE_N, N - 1u);
    return select(n, n + N, r >= TILE_N);  // SWIGLU: tile rows TILE_N.. are the up rows
}

// The 8 values of matrix row `row` at k = 8 * octet .. 8 * octet + 7 (anything past K: x is zero there).
fn w_octet(row: u32, octet: u32) -> array<f32, 8> {
    var v: array<f32, 8>;
#if QUANTIZED
    let e = row * GROUPS + octet / 4u;
#if W_Q4F16
    let scale = f16_at(q_scale[e >> 1u], (e & 1u) == 1u);
#else
    let scale = bf16_at(q_scale[e >> 1u], (e & 1u) == 1u);
#endif
    let word = q_weight[row * K8 + octet];
    for (var i = 0u; i < 8u; i++) {
        v[i] = (f32((word >> (4u * i)) & 15u) - 7.0) * scale;
    }
#else
    // Rows are not word aligned when K is odd: address each element.
    for (var i = 0u; i < 8u; i++) {
        let e = row * K + min(8u * octet + i, K - 1u);
#if W_F16
        v[i] = f16_at(weight[e >> 1u], (e & 1u) == 1u);
#else
        v[i] = bf16_at(weight[e >> 1u], (e & 1u) == 1u);
#endif
    }
#endif
    return v;
}

fn stage_tiles(lid: u32, t0: u32, n0: u32, k0: u32, num_tokens: u32) {
    for (var idx = lid; idx < TILE_T * TILE_K; idx += WORKGROUP) {
        let t = t0 + idx / TILE_K;
        let k = k0 + idx % TILE_K;
        let inside = t < num_tokens && k < K;
        x_tile[idx] = select(0.0, x[min(t, num_tokens - 1u) * K + min(k, K - 1u)], inside);
    }
    for (var idx = lid; idx < W_TILE * OCTETS_PER_STEP; idx += WORKGROUP) {
        let r = idx / OCTETS_PER_STEP;
        let h = idx % OCTETS_PER_STEP;
        let v = w_octet(matrix_row(n0, r), k0 / 8u + h);
        for (var i = 0u; i < 8u; i++) {
            w_tile[(8u * h + i) * W_TILE + r] = v[i];
        }
    }
}

fn silu(g: f32) -> f32 {
    return g / (1.0 + exp(-g));
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
    let tt = lid / COL_THREADS;
    let tn = lid % COL_THREADS;

    var acc: array<f32, THREAD_T * THREAD_N * SLOTS>;  // [slot][i][c]
    for (var step = 0u; step < K_STEPS; step++) {
        stage_tiles(lid, t0, n0, step * TILE_K, num_tokens);
        workgroupBarrier();
        for (var kk = 0u; kk < TILE_K; kk++) {
            var a: array<f32, THREAD_T>;
            for (var i = 0u; i < THREAD_T; i++) {
                a[i] = x_tile[(tt + i * TOKEN_THREADS) * TILE_K + kk];
            }
            for (var slot = 0u; slot < SLOTS; slot++) {
                for (var c = 0u; c < THREAD_N; c++) {
                    let b = w_tile[kk * W_TILE + slot * TILE_N + tn + c * COL_THREADS];
                    for (var i = 0u; i < THREAD_T; i++) {
                        let s = (slot * THREAD_T + i) * THREAD_N + c;
                        acc[s] = fma(a[i], b, acc[s]);
                    }
                }
            }
        }
        workgroupBarrier();
    }

    for (var i = 0u; i < THREAD_T; i++) {
        let t = t0 + tt + i * TOKEN_THREADS;
        for (var c = 0u; c < THREAD_N; c++) {
            let n = n0 + tn + c * COL_THREADS;
            if (t < num_tokens && n < N) {
                var v = acc[i * THREAD_N + c];
#if SWIGLU
                v = silu(v) * acc[(THREAD_T + i) * THREAD_N + c];
#endif
#if ACCUMULATE
                v += y[t * N + n];  // residual add fused into o_proj / down_proj
#endif
                y[t * N + n] = v;
            }
        }
    }
}

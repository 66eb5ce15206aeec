// RoPE on q and k, then k and v appended to the paged KV cache, for the T
// tokens of a step (token t is at position params.pos + t; BATCHED: row t of a
// batched decode step, the next token of its own sequence at params.rows[t].pos).
//
// RoPE follows HF's rotate_half convention: element i pairs with i + Dh/2,
//   out[i]        = x[i] cos(a) - x[i + Dh/2] sin(a)
//   out[i + Dh/2] = x[i + Dh/2] cos(a) + x[i] sin(a),   a = position * inv_freq[i]
// with `a` the f32 product, as HF forms it. sin/cos are only accurate near
// [-pi, pi] on GPUs (Vulkan promises 2^-11 there and nothing outside), while
// a reaches ~1.3e5 at 128k positions: `a` is first reduced modulo 2 pi with a
// three-part 2 pi (Cody-Waite), exact to well below f32 resolution.
//
// One invocation per (token, head, pair i < Dh/2); heads 0..H-1 are queries,
// H..H+KVH-1 keys, then KVH values (copied, not rotated).
// Cache layout (LAYER_PAGES, KVH, PAGE, Dh): position p is in physical page
// page_table[table_base + (p / PAGE) % LAYER_PAGES], slot p % PAGE, where
// table_base is where the sequence's entries start (params.table_base, a row's). A layer with a sliding
// window keeps only LAYER_PAGES pages, a ring that holds the window of every
// query of a chunk; other layers have a page per position and the modulo is a no-op.
//
// Before rope, as HF orders it: BIAS adds the qkv projection's bias (Qwen2);
// QK_NORM RMS-normalizes each q and k head over its DH values with the weights
// q_norm / k_norm (Qwen3, Gemma 3; each invocation sums its head's squares
// itself: DH reads, cheaper than a pass). LONGROPE (Phi-3) keeps two rows of
// frequencies, short then long, and takes the long row once the step reaches past
// ORIGINAL positions (HF switches on the sequence length the same way);
// ROPE_SCALE multiplies cos and sin (longrope's attention factor, else 1).
//
// Defines: H, KVH, DH, HALF = DH/2, PAGE, LAYER_PAGES, PAIRS = (H + 2 KVH) *
// HALF (per token), WORKGROUP, ROPE_SCALE, ORIGINAL, NORM_EPS; flags BIAS,
// QK_NORM, VECTOR_BF16 (bias and norm weights are bf16, else f16), LONGROPE,
// BATCHED (with BATCH).

#include "half.wgsl"
#include "step_params.wgsl"

#if BATCHED
#include "batch_params.wgsl"
@group(0) @binding(0) var<uniform> params: BatchParams;                // N rows, each its own position
#else
@group(0) @binding(0) var<uniform> params: StepParams;                 // pos, num_tokens = T
#endif
@group(0) @binding(1) var<storage, read> qkv: array<f32>;             // (T, (H + 2 KVH) * DH): q, k, v heads
@group(0) @binding(2) var<storage, read> inv_freq: array<f32>;        // (HALF,), LONGROPE (2, HALF)
@group(0) @binding(3) var<storage, read_write> q: array<f32>;         // (T, H, DH) rotated
@group(0) @binding(4) var<storage, read_write> k_cache: array<f32>;   // (pages, KVH, PAGE, DH) rotated
@group(0) @binding(5) var<storage, read_write> v_cache: array<f32>;   // (pages, KVH, PAGE, DH)
@group(0) @binding(6) var<storage, read> page_table: array<u32>;      // (pages,) logical -> physical page
#if BIAS
@group(0) @binding(7) var<storage, read> qkv_bias: array<u32>;        // ((H + 2 KVH) * DH,) 16-bit, two per word
#endif
#if QK_NORM
@group(0) @binding(7) var<storage, read> q_norm: array<u32>;          // (DH,) 16-bit, two per word
@group(0) @binding(8) var<storage, read> k_norm: array<u32>;          // (DH,) 16-bit, two per word
#endif

fn vector_at(v: u32, i: u32) -> f32 {
#if VECTOR_BF16
    return bf16_at(v, (i & 1u) == 1u);
#else
    return f16_at(v, (i & 1u) == 1u);
#endif
}

// Element d of head `head` of token row `src0` (the row's first element), bias added.
fn head_value(src0: u32, head: u32, d: u32) -> f32 {
    let e = head * DH + d;
#if BIAS
    return qkv[src0 + e] + vector_at(qkv_bias[e >> 1u], e);
#else
    return qkv[src0 + e];
#endif
}

// 2 pi = TWO_PI_A + TWO_PI_B + TWO_PI_C. A and B have 8 and 7 significant
// bits, so k * A and k * B are exact for |k| < 2^16 (positions up to ~400k).
const TWO_PI_A: f32 = 6.28125;
const TWO_PI_B: f32 = 1.9378662109375e-3;
const TWO_PI_C: f32 = -2.559031351268004e-6;
const INV_TWO_PI: f32 = 0.15915494309189535;

// (cos a, sin a) for a = position * inverse frequency, reduced to about [-pi, pi].
fn rotation(position: u32, freq: f32) -> vec2<f32> {
    let a = f32(position) * freq;
    let k = round(a * INV_TWO_PI);
    let r = ((a - k * TWO_PI_A) - k * TWO_PI_B) - k * TWO_PI_C;
    return vec2<f32>(cos(r), sin(r)) * ROPE_SCALE;
}

// `end`: one past the last position of the token's sequence in this step.
fn frequency(i: u32, end: u32) -> f32 {
#if LONGROPE
    return inv_freq[select(i, i + HALF, end > ORIGINAL)];
#else
    return inv_freq[i];
#endif
}

fn cache_index(table_base: u32, position: u32, kv_head: u32, i: u32) -> u32 {
    let page = page_table[table_base + (position / PAGE) % LAYER_PAGES];
    return ((page * KVH + kv_head) * PAGE + position % PAGE) * DH + i;
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = gid.x + gid.y * groups.x * WORKGROUP;  // workgroups past 65535 spill into y
    let t = index / PAIRS;
#if BATCHED
    if (t >= params.head.num_tokens) {
        return;
    }
    let position = params.rows[t].pos;
    let table_base = params.rows[t].table_base;
    let end = position + 1u;
#else
    if (t >= params.num_tokens) {
        return;
    }
    let position = params.pos + t;
    let table_base = params.table_base;
    let end = params.pos + params.num_tokens;
#endif
    let head = (index % PAIRS) / HALF;  // 0..H+2KVH-1
    let i = index % HALF;
    let src0 = t * (PAIRS * 2u);
    var x0 = head_value(src0, head, i);
    var x1 = head_value(src0, head, i + HALF);
#if QK_NORM
    if (head < H + KVH) {
        var squares = 0.0;
        for (var d = 0u; d < DH; d++) {
            let v = head_value(src0, head, d);
            squares += v * v;
        }
        let scale = inverseSqrt(squares / f32(DH) + NORM_EPS);
        if (head < H) {
            x0 *= scale * vector_at(q_norm[i >> 1u], i);
            x1 *= scale * vector_at(q_norm[(i + HALF) >> 1u], i + HALF);
        } else {
            x0 *= scale * vector_at(k_norm[i >> 1u], i);
            x1 *= scale * vector_at(k_norm[(i + HALF) >> 1u], i + HALF);
        }
    }
#endif
    if (head >= H + KVH) {
        let dst = cache_index(table_base, position, head - H - KVH, i);
        v_cache[dst] = x0;
        v_cache[dst + HALF] = x1;
        return;
    }
    let cs = rotation(position, frequency(i, end));
    let y0 = x0 * cs.x - x1 * cs.y;
    let y1 = x1 * cs.x + x0 * cs.y;
    if (head < H) {
        let dst = (t * H + head) * DH + i;
        q[dst] = y0;
        q[dst + HALF] = y1;
    } else {
        let dst = cache_index(table_base, position, head - H, i);
        k_cache[dst] = y0;
        k_cache[dst + HALF] = y1;
    }
}

// RoPE on q and k, then k and v appended to the paged KV cache, for the T
// tokens of a step (token t is at position params.pos + t).
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
// Cache layout (pages, KVH, PAGE, Dh): position p is in physical page
// page_table[p / PAGE], slot p % PAGE.
//
// Defines: H, KVH, DH, HALF = DH/2, PAGE, PAIRS = (H + 2 KVH) * HALF (per
// token), WORKGROUP.

#include "step_params.wgsl"

@group(0) @binding(0) var<uniform> params: StepParams;                 // pos, num_tokens = T
@group(0) @binding(1) var<storage, read> qkv: array<f32>;             // (T, (H + 2 KVH) * DH): q, k, v heads
@group(0) @binding(2) var<storage, read> inv_freq: array<f32>;        // (HALF,)
@group(0) @binding(3) var<storage, read_write> q: array<f32>;         // (T, H, DH) rotated
@group(0) @binding(4) var<storage, read_write> k_cache: array<f32>;   // (pages, KVH, PAGE, DH) rotated
@group(0) @binding(5) var<storage, read_write> v_cache: array<f32>;   // (pages, KVH, PAGE, DH)
@group(0) @binding(6) var<storage, read> page_table: array<u32>;      // (pages,) logical -> physical page

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
    return vec2<f32>(cos(r), sin(r));
}

fn cache_index(position: u32, kv_head: u32, i: u32) -> u32 {
    let page = page_table[position / PAGE];
    return ((page * KVH + kv_head) * PAGE + position % PAGE) * DH + i;
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = gid.x + gid.y * groups.x * WORKGROUP;  // workgroups past 65535 spill into y
    let t = index / PAIRS;
    if (t >= params.num_tokens) {
        return;
    }
    let head = (index % PAIRS) / HALF;  // 0..H+2KVH-1
    let i = index % HALF;
    let position = params.pos + t;
    let src = t * (PAIRS * 2u) + head * DH + i;
    let x0 = qkv[src];
    let x1 = qkv[src + HALF];
    if (head >= H + KVH) {
        let dst = cache_index(position, head - H - KVH, i);
        v_cache[dst] = x0;
        v_cache[dst + HALF] = x1;
        return;
    }
    let cs = rotation(position, inv_freq[i]);
    let y0 = x0 * cs.x - x1 * cs.y;
    let y1 = x1 * cs.x + x0 * cs.y;
    if (head < H) {
        let dst = (t * H + head) * DH + i;
        q[dst] = y0;
        q[dst + HALF] = y1;
    } else {
        let dst = cache_index(position, head - H, i);
        k_cache[dst] = y0;
        k_cache[dst + HALF] = y1;
    }
}

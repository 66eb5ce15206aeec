// Causal attention for CPU adapters (lavapipe, SwiftShader), prefill and decode
// alike: T queries at positions pos..pos+T-1 (T = 1 when decoding) over the
// paged KV cache; query t sees keys first_key(pos + t)..pos + t.
//
// Each invocation walks its query's keys alone with the online softmax (running
// max m and sum l; the output is rescaled by exp(m_old - m_new) once per block of
// 4 keys), so there is no workgroup memory, no barrier and no merge pass: the GPU
// kernels' splits over keys pay a CPU implementation's price for every barrier
// and every workgroup launched (SwiftShader ~0.4 ms per workgroup). A CPU runs a
// workgroup's invocations as SIMD lanes and loads storage lane by lane, unless
// the address is the same for all of them: so a workgroup is one kv head's G
// query heads for TOKENS neighbouring queries, and all its lanes walk the same
// keys (the workgroup's range; a lane gives the keys it does not see weight 0),
// which makes every K/V load one load for the whole workgroup.
//
// BATCHED (decode only, TOKENS = 1): query t is row t of a batched step, the next
// token of its own sequence, at params.rows[t].pos over its own pages.
//
// Defines: H, KVH, DH, D4 = DH/4, G = H/KVH, PAGE, LAYER_PAGES, SCALE, SOFTCAP
// (f32), WINDOW, TOKENS, WORKGROUP = G * TOKENS; BATCH with BATCHED.

#include "step_params.wgsl"
#include "attention_keys.wgsl"

#if BATCHED
#include "batch_params.wgsl"
@group(0) @binding(0) var<uniform> params: BatchParams;                // N rows, each its own position
#else
@group(0) @binding(0) var<uniform> params: StepParams;                 // pos, num_tokens = T
#endif
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;         // (T, H, DH/4) rotated queries
@group(0) @binding(2) var<storage, read> k_cache: array<vec4<f32>>;   // (pages, KVH, PAGE, DH/4)
@group(0) @binding(3) var<storage, read> v_cache: array<vec4<f32>>;   // (pages, KVH, PAGE, DH/4)
@group(0) @binding(4) var<storage, read> page_table: array<u32>;      // (pages,) logical -> physical
@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>; // (T, H * DH / 4)

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
#if BATCHED
    let num_tokens = params.head.num_tokens;
#else
    let num_tokens = params.num_tokens;
#endif
    let t0 = wid.x * TOKENS;  // the workgroup's first query
    let kv = wid.y;
    if (t0 >= num_tokens) {  // uniform: the whole workgroup leaves
        return;
    }
    let h = kv * G + lid % G;
    let t = min(t0 + lid / G, num_tokens - 1u);  // lanes past T compute a copy, never stored
#if BATCHED
    let first_pos = params.rows[t0].pos;  // TOKENS = 1: the row's own sequence
    table_base = params.rows[t0].table_base;
#else
    let first_pos = params.pos + t0;  // the position of query t0
    table_base = params.table_base;
#endif
    let q_pos = first_pos + (t - t0);
    var qv: array<vec4<f32>, D4>;
    for (var i = 0u; i < D4; i++) {
        qv[i] = q[(t * H + h) * D4 + i] * SCALE;
    }
    // The keys any lane here sees: from its first query's first key to its last query.
    let lowest = first_key(first_pos);
    let last = first_pos + (min(t0 + TOKENS, num_tokens) - 1u - t0);
    var acc: array<vec4<f32>, D4>;
    var m = EMPTY;
    var l = 0.0;
    for (var j = lowest; j <= last; j += 4u) {
        // Keys past `last` read its row (a valid one: a ring slot outside the range may hold
        // anything, and 0 * NaN is NaN); keys this lane does not see get weight 0.
        let key = vec4<u32>(j) + vec4<u32>(0u, 1u, 2u, 3u);
        let rows = min(key, vec4<u32>(last));
        let r = vec4<u32>(cache_row(rows.x, kv), cache_row(rows.y, kv), cache_row(rows.z, kv),
                          cache_row(rows.w, kv)) * D4;
        let seen = vec4<bool>(visible(key.x, q_pos), visible(key.y, q_pos), visible(key.z, q_pos),
                              visible(key.w, q_pos));
        var dots = vec4<f32>(0.0);
        for (var i = 0u; i < D4; i++) {
            dots += vec4<f32>(dot(qv[i], k_cache[r.x + i]), dot(qv[i], k_cache[r.y + i]),
                              dot(qv[i], k_cache[r.z + i]), dot(qv[i], k_cache[r.w + i]));
        }
        let s = select(vec4<f32>(EMPTY), vec4<f32>(capped(dots.x), capped(dots.y), capped(dots.z), capped(dots.w)),
                       seen);
        let m_new = max(m, max(max(s.x, s.y), max(s.z, s.w)));
        let alpha = exp(m - m_new);
        let p = select(vec4<f32>(0.0), exp(s - m_new), seen);
        l = l * alpha + p.x + p.y + p.z + p.w;
        m = m_new;
        for (var i = 0u; i < D4; i++) {
            acc[i] = acc[i] * alpha + p.x * v_cache[r.x + i] + p.y * v_cache[r.y + i]
                + p.z * v_cache[r.z + i] + p.w * v_cache[r.w + i];
        }
    }
    if (t0 + lid / G < num_tokens) {
        for (var i = 0u; i < D4; i++) {
            out[(t * H + h) * D4 + i] = acc[i] / l;
        }
    }
}

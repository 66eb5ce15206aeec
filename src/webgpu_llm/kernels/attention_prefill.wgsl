// Causal attention for a prefill chunk: T queries at positions pos..pos+T-1
// over keys 0..pos+T-1 (keys before pos were cached by earlier chunks; this
// chunk's were appended by rope_kv_append). Query t sees keys 0..pos+t.
//
// One workgroup per (tile of BQ queries, query head); GQA: head h reads kv
// head h / G. Key tiles of BK positions are staged in workgroup memory (K,
// then V in the same buffer) and folded in with the online softmax
// (running max m, running sum l, output rescaled by exp(m_old - m_new)).
// LANES invocations share a query row: for scores each takes every LANES-th
// key of the tile, for the output each owns every LANES-th vec4 of dims.
// Rows of the staged tiles are padded by one vec4 so that rows read side by
// side fall in different banks.
//
// Scores are scaled by SCALE, then soft-capped (SOFTCAP > 0: Gemma 2). WINDOW > 0:
// query i sees keys i - WINDOW < j <= i only, and key tiles wholly before the
// window of the tile's first query are skipped. Cache rows are in a ring of
// LAYER_PAGES pages (see rope_kv_append.wgsl).
//
// Defines: H, KVH, DH, D4 = DH/4, G = H/KVH, PAGE, LAYER_PAGES, BQ, BK, LANES,
// WORKGROUP = BQ*LANES, STRIDE4 = D4 + 1, VPL = ceil(D4/LANES), SCALE, SOFTCAP
// (f32), WINDOW.

#include "step_params.wgsl"
#include "attention_keys.wgsl"

@group(0) @binding(0) var<uniform> params: StepParams;                 // pos, num_tokens = T
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;         // (T, H, DH/4) rotated queries
@group(0) @binding(2) var<storage, read> k_cache: array<vec4<f32>>;   // (pages, KVH, PAGE, DH/4)
@group(0) @binding(3) var<storage, read> v_cache: array<vec4<f32>>;   // (pages, KVH, PAGE, DH/4)
@group(0) @binding(4) var<storage, read> page_table: array<u32>;      // (pages,) logical -> physical
@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>; // (T, H * DH / 4)

var<workgroup> q_tile: array<vec4<f32>, BQ * STRIDE4>;   // queries times SCALE
var<workgroup> kv_tile: array<vec4<f32>, BK * STRIDE4>;  // K, then V, of one key tile
var<workgroup> scores: array<f32, BQ * BK>;

// Stage rows first..first+BK-1 of a cache (K or V) into kv_tile; rows outside lowest..last
// are zero (a ring slot before the window may hold anything, and 0 * NaN is NaN).
fn stage_keys(first: u32, lowest: u32, last: u32, kv: u32, lid: u32, values: bool) {
    for (var i = lid; i < BK * D4; i += WORKGROUP) {
        let j = i / D4;
        let c = i % D4;
        let key = first + j;
        var v = vec4<f32>(0.0);
        if (key >= lowest && key <= last) {
            let at = cache_row(key, kv) * D4 + c;
            if (values) {
                v = v_cache[at];
            } else {
                v = k_cache[at];
            }
        }
        kv_tile[j * STRIDE4 + c] = v;
    }
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    table_base = params.table_base;
    let q0 = wid.x * BQ;
    let h = wid.y;
    let kv = h / G;
    if (q0 >= params.num_tokens) {  // uniform: the whole workgroup leaves
        return;
    }
    let r = lid / LANES;
    let lane = lid % LANES;
    let t = q0 + r;
    let row_valid = t < params.num_tokens;
    let q_pos = params.pos + t;  // this row's position: it sees keys 0..q_pos
    let last = params.pos + min(q0 + BQ, params.num_tokens) - 1u;  // last key of any row here

    for (var i = lid; i < BQ * D4; i += WORKGROUP) {
        let rr = i / D4;
        let c = i % D4;
        let tt = min(q0 + rr, params.num_tokens - 1u);  // rows past T: a copy, never written out
        q_tile[rr * STRIDE4 + c] = q[(tt * H + h) * D4 + c] * SCALE;
    }

    var m = EMPTY;
    var l = 0.0;
    var acc: array<vec4<f32>, VPL>;
    // The tile's first query sees the earliest keys; tiles before its window hold none.
    var lowest = 0u;
    if (WINDOW > 0u && params.pos + q0 >= WINDOW) {
        lowest = params.pos + q0 + 1u - WINDOW;
    }
    for (var first = lowest / BK * BK; first <= last; first += BK) {
        workgroupBarrier();  // the previous tile's V reads are done (and q_tile is stored)
        stage_keys(first, lowest, last, kv, lid, false);
        workgroupBarrier();
        for (var j = lane; j < BK; j += LANES) {
            var s = 0.0;
            for (var c = 0u; c < D4; c++) {
                s += dot(q_tile[r * STRIDE4 + c], kv_tile[j * STRIDE4 + c]);
            }
            scores[r * BK + j] = select(EMPTY, capped(s), visible(first + j, q_pos));
        }
        workgroupBarrier();
        // Every lane of a row folds in the same scores, so all agree on m and l.
        var m_new = m;
        for (var j = 0u; j < BK; j++) {
            m_new = max(m_new, scores[r * BK + j]);
        }
        let alpha = exp(m - m_new);
        var p: array<f32, BK>;
        var p_sum = 0.0;
        for (var j = 0u; j < BK; j++) {
            p[j] = select(0.0, exp(scores[r * BK + j] - m_new), visible(first + j, q_pos));
            p_sum += p[j];
        }
        l = l * alpha + p_sum;
        m = m_new;
        workgroupBarrier();  // K reads are done before V replaces it
        stage_keys(first, lowest, last, kv, lid, true);
        workgroupBarrier();
        for (var i = 0u; i < VPL; i++) {
            let c = min(lane + LANES * i, D4 - 1u);  // clamped lanes (D4 % LANES != 0) are not written
            var a = acc[i] * alpha;
            for (var j = 0u; j < BK; j++) {
                a += p[j] * kv_tile[j * STRIDE4 + c];
            }
            acc[i] = a;
        }
    }
    if (row_valid) {
        for (var i = 0u; i < VPL; i++) {
            let c = lane + LANES * i;
            if (c < D4) {
                out[(t * H + h) * D4 + c] = acc[i] / l;
            }
        }
    }
}

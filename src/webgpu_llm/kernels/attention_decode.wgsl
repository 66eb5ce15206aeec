// Decode attention for one query token ("flash decoding"), in two entry points:
//   partial: the keys are split in chunks of CHUNK positions; one workgroup per
//            (chunk, kv head, block of HB query heads sharing that kv head)
//            writes, per query head, the chunk's max score m, its sum of
//            exp(s - m) and its unnormalized output sum_j exp(s_j - m) v_j.
//   merge:   one workgroup per query head combines the chunks by the
//            log-sum-exp rule: M = max m_c, out = sum_c e^(m_c - M) o_c /
//            sum_c e^(m_c - M) l_c.
// The query is at position params.pos and attends to keys 0..pos (its own
// K/V were appended by rope_kv_append). The dispatch is sized for the whole
// context at record time; chunks past pos return at once with an empty
// partial (max EMPTY, sum 0), and merge reads only chunks 0..pos/CHUNK.
// GQA: query head h reads kv head h / G. Scores are scaled by SCALE (1/sqrt(DH),
// or Gemma's query_pre_attn_scalar^-1/2), then soft-capped to SOFTCAP tanh(s / SOFTCAP)
// when SOFTCAP > 0 (Gemma 2). WINDOW > 0 keeps keys pos - WINDOW < j <= pos only
// (sliding window); chunks wholly before the window leave an empty partial. Cache
// rows are in a ring of LAYER_PAGES pages (see rope_kv_append.wgsl).
//
// Partial: one invocation per key of the chunk computes the HB dot products
// (K row read as vec4, q block in workgroup memory), max and sum are reduced
// across the workgroup (subgroup ops or a workgroup-memory tree), then each
// invocation owns one vec4 of output dims and one of KEY_LANES interleaved
// key lanes, walks the chunk's V rows as vec4 (a row is read by neighbouring
// invocations: coalesced), and the lanes' sums meet in workgroup memory.
//
// BATCHED (continuous batching): B = params.head.num_tokens rows, each the next
// token of its own sequence: row r's query is q row r, at params.rows[r].pos, its
// pages from page_table entry params.rows[r].table_base. Workgroup z is the row;
// rows are stacked on the head axis (partials (B, H, ...) = (B*H, ...), out
// (B, H*DH)), so row r computes exactly what the unbatched kernel does for it.
// Rows z >= B (a dispatch sized for the batch capacity) return.
//
// Defines: H, KVH, DH, D4 = DH/4, G = H/KVH, HB (query heads per workgroup,
// divides G), HEAD_BLOCKS = G/HB, PAGE, CHUNK (= WORKGROUP of partial),
// KEY_LANES = max(1, WORKGROUP / D4), MAX_CHUNKS, SCALE, SOFTCAP (f32), WINDOW,
// LAYER_PAGES, WORKGROUP,
// PRESENT_WORDS; BATCH (BATCHED: the capacity, rows in BatchParams); flags MERGE
// (the merge entry and its bindings, else partial), SUBGROUPS (partial only), BATCHED.

#include "step_params.wgsl"

#if BATCHED
#include "batch_params.wgsl"

@group(0) @binding(0) var<uniform> params: BatchParams;                  // rows[r].pos, .table_base
#else
@group(0) @binding(0) var<uniform> params: StepParams;                   // pos: the query's position
#endif
#if MERGE
@group(0) @binding(1) var<storage, read> partial_out: array<f32>;       // (H, MAX_CHUNKS, DH); BATCHED (B, H, ...)
@group(0) @binding(2) var<storage, read> partial_max: array<f32>;       // (H, MAX_CHUNKS); BATCHED (B, H, ...)
@group(0) @binding(3) var<storage, read> partial_sum: array<f32>;       // (H, MAX_CHUNKS); BATCHED (B, H, ...)
@group(0) @binding(4) var<storage, read_write> out: array<f32>;         // (H * DH,); BATCHED (B, H * DH)

const EMPTY: f32 = -3.4028234e38;  // an empty partial's max, as in attention_keys.wgsl

@compute @workgroup_size(WORKGROUP)
fn merge(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
#if BATCHED
    if (wid.z >= params.head.num_tokens) {
        return;
    }
    let h = wid.z * H + wid.x;  // head wid.x of row wid.z
    let pos = params.rows[wid.z].pos;
#else
    let h = wid.x;
    let pos = params.pos;
#endif
    let used = min(pos / CHUNK + 1u, MAX_CHUNKS);  // chunks holding keys 0..pos
    let row = h * MAX_CHUNKS;
    var m = EMPTY;
    for (var c = 0u; c < used; c++) {
        m = max(m, partial_max[row + c]);
    }
    var total = 0.0;
    for (var c = 0u; c < used; c++) {
        total += exp(partial_max[row + c] - m) * partial_sum[row + c];
    }
    for (var d = lid; d < DH; d += WORKGROUP) {
        var acc = 0.0;
        for (var c = 0u; c < used; c++) {
            acc += exp(partial_max[row + c] - m) * partial_out[(row + c) * DH + d];
        }
        out[h * DH + d] = acc / total;
    }
}
#else
#include "attention_keys.wgsl"

@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;           // (H, DH/4) rotated query; BATCHED (B, H, DH/4)
@group(0) @binding(2) var<storage, read> k_cache: array<vec4<f32>>;     // (pages, KVH, PAGE, DH/4)
@group(0) @binding(3) var<storage, read> v_cache: array<vec4<f32>>;     // (pages, KVH, PAGE, DH/4)
@group(0) @binding(4) var<storage, read> page_table: array<u32>;        // (entries,) logical -> physical, from table_base
@group(0) @binding(5) var<storage, read_write> partial_out: array<vec4<f32>>; // (H, MAX_CHUNKS, DH/4); BATCHED (B, H, ...)
@group(0) @binding(6) var<storage, read_write> partial_max: array<f32>; // (H, MAX_CHUNKS); BATCHED (B, H, ...)
@group(0) @binding(7) var<storage, read_write> partial_sum: array<f32>; // (H, MAX_CHUNKS); BATCHED (B, H, ...)

var<workgroup> q_block: array<vec4<f32>, HB * D4>;   // the HB queries, times SCALE
var<workgroup> probs: array<f32, HB * CHUNK>;        // exp(s - m) per (head, key)
var<workgroup> reduced: array<f32, HB * WORKGROUP>;
var<workgroup> lane_out: array<vec4<f32>, KEY_LANES * HB * D4>;  // (lane, head, dims) V sums
#if SUBGROUPS
var<workgroup> present: array<atomic<u32>, PRESENT_WORDS>;  // bit i: invocation i holds subgroup results
#endif

// Max (want_max) or sum over the workgroup of each of the HB values; every
// invocation gets the results. Call from uniform control flow.
fn reduce_heads(values: array<f32, HB>, want_max: bool, lid: u32, lane: u32) -> array<f32, HB> {
    var result: array<f32, HB>;
    workgroupBarrier();  // earlier readers of `reduced` and `present` are done
#if SUBGROUPS
    // One partial per subgroup, combined in invocation order: no assumption
    // about the subgroup size or which invocations form a subgroup. The
    // writer is the lowest active lane and `present` is rebuilt each time, so
    // this stays right even if an adapter regroups invocations between calls.
    if (lid < PRESENT_WORDS) {
        atomicStore(&present[lid], 0u);
    }
    workgroupBarrier();
    let leader = lane == subgroupMin(lane);
    for (var g = 0u; g < HB; g++) {
        let s = select(subgroupAdd(values[g]), subgroupMax(values[g]), want_max);
        if (leader) {
            reduced[lid * HB + g] = s;
        }
    }
    if (leader) {
        atomicOr(&present[lid / 32u], 1u << (lid % 32u));
    }
    workgroupBarrier();
    for (var g = 0u; g < HB; g++) {
        result[g] = select(0.0, EMPTY, want_max);
    }
    for (var w = 0u; w < PRESENT_WORDS; w++) {
        var bits = atomicLoad(&present[w]);
        while (bits != 0u) {
            let i = w * 32u + countTrailingZeros(bits);
            for (var g = 0u; g < HB; g++) {
                let v = reduced[i * HB + g];
                result[g] = select(result[g] + v, max(result[g], v), want_max);
            }
            bits &= bits - 1u;
        }
    }
#else
    for (var g = 0u; g < HB; g++) {
        reduced[g * WORKGROUP + lid] = values[g];
    }
    workgroupBarrier();
    for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
        if (lid < stride) {
            for (var g = 0u; g < HB; g++) {
                let a = reduced[g * WORKGROUP + lid];
                let b = reduced[g * WORKGROUP + lid + stride];
                reduced[g * WORKGROUP + lid] = select(a + b, max(a, b), want_max);
            }
        }
        workgroupBarrier();
    }
    for (var g = 0u; g < HB; g++) {
        result[g] = reduced[g * WORKGROUP];
    }
#endif
    return result;
}

@compute @workgroup_size(WORKGROUP)
fn partial(@builtin(local_invocation_index) lid: u32,
           @builtin(workgroup_id) wid: vec3<u32>,
#if SUBGROUPS
           @builtin(subgroup_invocation_id) lane: u32,
#endif
) {
#if !SUBGROUPS
    let lane = 0u;
#endif
#if BATCHED
    if (wid.z >= params.head.num_tokens) {  // uniform: the whole workgroup leaves
        return;
    }
    let pos = params.rows[wid.z].pos;
    table_base = params.rows[wid.z].table_base;
#else
    let pos = params.pos;
    table_base = params.table_base;
#endif
    let chunk = wid.x;
    let kv = wid.y / HEAD_BLOCKS;
#if BATCHED
    let h0 = wid.z * H + kv * G + (wid.y % HEAD_BLOCKS) * HB;  // row wid.z's heads follow the earlier rows'
#else
    let h0 = kv * G + (wid.y % HEAD_BLOCKS) * HB;  // first query head of this block
#endif
    let start = chunk * CHUNK;
    let first = first_key(pos);
    if (start > pos || start + CHUNK <= first) {  // uniform: the whole workgroup leaves
        if (lid < HB) {
            partial_max[(h0 + lid) * MAX_CHUNKS + chunk] = EMPTY;
            partial_sum[(h0 + lid) * MAX_CHUNKS + chunk] = 0.0;
        }
        return;
    }
    let count = min(CHUNK, pos + 1u - start);  // keys of this chunk at or before pos

    for (var i = lid; i < HB * D4; i += WORKGROUP) {
        q_block[i] = q[h0 * D4 + i] * SCALE;
    }
    workgroupBarrier();

    // Scores: invocation lid takes key start + lid. Invocations past `count`
    // compute on a clamped, valid row and discard it, so that control flow
    // stays uniform up to the subgroup reductions (no reconvergence needed).
    let valid = lid < count && start + lid >= first;
    let row = cache_row(start + min(lid, count - 1u), kv) * D4;
    var dots: array<f32, HB>;
    for (var i = 0u; i < D4; i++) {
        let k = k_cache[row + i];
        for (var g = 0u; g < HB; g++) {
            dots[g] += dot(q_block[g * D4 + i], k);
        }
    }
    var scores: array<f32, HB>;
    for (var g = 0u; g < HB; g++) {
        scores[g] = select(EMPTY, capped(dots[g]), valid);
    }
    var m = reduce_heads(scores, true, lid, lane);  // var: indexed by lid below
    var p: array<f32, HB>;
    for (var g = 0u; g < HB; g++) {
        p[g] = select(0.0, exp(scores[g] - m[g]), valid);
        probs[g * CHUNK + lid] = p[g];
    }
    var l = reduce_heads(p, false, lid, lane);  // its leading barrier also publishes probs

    // Output: task t owns dims 4*(t % D4).. over the keys j = t / D4 (mod KEY_LANES).
    for (var t = lid; t < D4 * KEY_LANES; t += WORKGROUP) {
        let d4 = t % D4;
        let lane = t / D4;
        // Zeroed explicitly: a bare `var` here kept its value across iterations (lavapipe).
        var acc = array<vec4<f32>, HB>();
        // Keys before the window are skipped, not weighted by 0: a ring slot may hold anything.
        for (var j = lane + select(0u, first - start, first > start); j < count; j += KEY_LANES) {
            let v = v_cache[cache_row(start + j, kv) * D4 + d4];
            for (var g = 0u; g < HB; g++) {
                acc[g] += probs[g * CHUNK + j] * v;
            }
        }
        for (var g = 0u; g < HB; g++) {
            lane_out[(lane * HB + g) * D4 + d4] = acc[g];
        }
    }
    workgroupBarrier();
    for (var i = lid; i < HB * D4; i += WORKGROUP) {
        var sum = vec4<f32>(0.0);
        for (var lane = 0u; lane < KEY_LANES; lane++) {
            sum += lane_out[lane * HB * D4 + i];
        }
        let g = i / D4;
        partial_out[((h0 + g) * MAX_CHUNKS + chunk) * D4 + i % D4] = sum;
    }
    if (lid < HB) {
        partial_max[(h0 + lid) * MAX_CHUNKS + chunk] = m[lid];
        partial_sum[(h0 + lid) * MAX_CHUNKS + chunk] = l[lid];
    }
}
#endif

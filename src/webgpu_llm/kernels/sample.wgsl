// The sampler: the last dispatch of every step. One workgroup over the whole
// vocabulary picks the next token and leaves it on the GPU, where the next
// step's embedding lookup reads it (DESIGN.md, decision 5).
//
// Order of processing (vLLM / HF transformers):
//   0. a grammar mask (when flags & FLAG_GRAMMAR): tokens whose bit is clear
//      in row 1 of token_masks get MASKED_LOGIT after steps 1-3, so nothing
//      (bias, penalties, temperature, top-k/p) can bring them back
//   1. logit_bias is added                      (when flags & FLAG_LOGIT_BIAS)
//   2. repetition_penalty (CTRL, HF): for tokens in the prompt or generated,
//      logit > 0 -> logit / p, else logit * p
//   3. frequency / presence penalties (OpenAI) over generated tokens:
//      logit -= count * frequency + (count > 0) * presence
//   -> `processed`; logprobs are log_softmax(processed), before temperature.
//   4. temperature == 0: greedy argmax, the lowest id wins ties. Otherwise
//      p ~ exp((x - max) / temperature); top-k keeps every token whose logit is
//      >= the k-th largest (ties at the boundary stay, as in HF); top-p keeps the
//      smallest set of most probable tokens whose mass (within the top-k set)
//      is >= top_p, again with boundary ties kept; then one draw u in [0, 1)
//      picks by inverse CDF in token-id order over the kept, renormalized mass.
//
// Thresholds are found without sorting: logits map to order-preserving u32
// keys, and a bisection over key values (snapped to keys that occur, so it
// ends after at most 32 passes and usually fewer) finds the exact k-th
// largest key and the exact nucleus boundary.
//
// Defines: VOCAB (u32), WORKGROUP (u32, a power of two), MAX_TOP (u32, 20);
// flag SUBGROUPS. The workgroup-memory path needs no subgroups; the subgroup
// path never assumes a subgroup size, and checks at run time that subgroups
// are contiguous blocks of local_invocation_index before using that layout
// for float sums (the Vulkan spec promises no such relation), falling back to
// the workgroup-memory tree when they are not.

#include "step_params.wgsl"
#if BATCHED
// BATCHED (define BATCH, the batch capacity): a batched decode step, one
// workgroup per row r < N = batch.head.num_tokens, dispatched as (N, 1, 1).
// Row r samples with batch.samplers[r] and the state of its sequence slot
// s = batch.rows[r].slot, exactly as the unbatched kernel does for one
// sequence (same code per workgroup, so the same bits). Layouts:
//   logits (N, VOCAB) by row; logit_bias, generated_counts, processed
//   (BATCH, VOCAB) by slot; token_masks (BATCH, 2, MASK_WORDS) by slot;
//   history (BATCH, history_capacity) by slot; by row, and so only rows < N
//   written: tokens (BATCH,), row r's id at [r] (the next step's embedding
//   reads it there), and logprob_out (BATCH, LOGPROB_ROW), not a ring (the
//   CPU reads rows 0..N-1 back every step).
// Two rows of one step must not share a slot (their counts would race).
#include "batch_params.wgsl"
#endif
// Unbatched, row and slot are 0. Either way the helpers that read settings
// take them as a `params` argument: a private copy would be non-uniform to
// WGSL's uniformity analysis (all mutable module-scope variables are), and
// their branches hold barriers.

const FLAG_LOGIT_BIAS: u32 = 1u;
const FLAG_LOGPROBS: u32 = 2u;
const FLAG_GRAMMAR: u32 = 4u;
// Finite, so that order keys, max and weights stay ordinary arithmetic: exp of
// (MASKED_LOGIT - max) / T is 0 for any allowed max and any T <= 1.
const MASKED_LOGIT: f32 = -3.0e38;
const FLT_BIG: f32 = 1.0e38;
const MASK_WORDS: u32 = (VOCAB + 31u) / 32u;
const NO_ID: u32 = 0xffffffffu;
const NEG_INF_BITS: u32 = 0xff800000u;
const LOGPROB_ROW: u32 = 1u + 2u * MAX_TOP;

#if BATCHED
@group(0) @binding(0) var<uniform> batch: BatchParams;
#else
@group(0) @binding(0) var<uniform> params: StepParams;  // helpers' `params` arguments shadow it
#endif
@group(0) @binding(1) var<storage, read> logits: array<f32>;                // (VOCAB,) LM head output
@group(0) @binding(2) var<storage, read> logit_bias: array<f32>;            // (VOCAB,)
@group(0) @binding(3) var<storage, read_write> generated_counts: array<u32>; // (VOCAB,) this request
// (2, MASK_WORDS) bits, bit i%32 of word i/32: row 0 the prompt's tokens, row 1
// the tokens a grammar allows now (written by the CPU before this dispatch).
// One buffer for both keeps the sampler within 8 storage buffers per stage.
@group(0) @binding(4) var<storage, read> token_masks: array<u32>;
@group(0) @binding(5) var<storage, read_write> processed: array<f32>;       // (VOCAB,) logits after steps 1-3
@group(0) @binding(6) var<storage, read_write> tokens: array<u32>;          // (>=1,) [0] = chosen id
@group(0) @binding(7) var<storage, read_write> history: array<u32>;         // (history_capacity,)
// (history_capacity, 1 + 2*MAX_TOP): chosen logprob, then (id, logprob) pairs.
// Declared u32 so that ids pass through bit for bit; logprobs are f32 bits.
@group(0) @binding(8) var<storage, read_write> logprob_out: array<u32>;

#include "sample_reduce.wgsl"

// Per-invocation values set once in main, read by the helpers below.
var<private> max_logit: f32;
var<private> temperature: f32;
// Where this workgroup's row and sequence slot start (0 unbatched).
var<private> row_base: u32;   // r * VOCAB: this row's logits
var<private> slot_base: u32;  // s * VOCAB: its slot's logit_bias, generated_counts, processed
var<private> mask_base: u32;  // s * 2 * MASK_WORDS: its slot's token_masks

// f32 -> u32 with the same order (-0 and +0 share one key, so ties are by id).
fn order_key(x: f32) -> u32 {
    let b = select(bitcast<u32>(x), 0u, bitcast<u32>(x) == 0x80000000u);
    return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn key_value(k: u32) -> f32 {
    return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}

fn in_prompt(i: u32) -> bool {
    return ((token_masks[mask_base + i / 32u] >> (i % 32u)) & 1u) != 0u;
}

fn grammar_allows(i: u32) -> bool {
    return ((token_masks[mask_base + MASK_WORDS + i / 32u] >> (i % 32u)) & 1u) != 0u;
}

// A token the sampler may choose (the grammar mask, where there is one).
fn is_allowed(x: f32) -> bool {
    return x > MASKED_LOGIT;
}

// Steps 1-3 for one token.
fn process_logit(i: u32, params: StepParams) -> f32 {
    var x = logits[row_base + i];
    if ((params.flags & FLAG_LOGIT_BIAS) != 0u) {
        x += logit_bias[slot_base + i];
    }
    let count = generated_counts[slot_base + i];
    let p = params.repetition_penalty;
    if (p != 1.0 && (count > 0u || in_prompt(i))) {
        x = select(x * p, x / p, x > 0.0);
    }
    x = x - f32(count) * params.frequency_penalty - select(0.0, params.presence_penalty, count > 0u);
    if ((params.flags & FLAG_GRAMMAR) != 0u && !grammar_allows(i)) {
        return MASKED_LOGIT;
    }
    return max(x, -FLT_BIG);  // an allowed token stays above MASKED_LOGIT
}

// Unnormalized probability at the sampling temperature (<= 1).
fn weight(x: f32) -> f32 {
    return exp((x - max_logit) / temperature);
}

// ---- thresholds ----

struct Survey {
    count: u32,  // tokens with floor_key <= key and key >= mid
    up: u32,     // the smallest such key
    down: u32,   // the largest key in [floor_key, mid)
    mass: f32,   // their summed weight (only when with_mass)
}

fn survey(floor_key: u32, mid: u32, with_mass: bool) -> Survey {
    var count = 0u;
    var up = 0xffffffffu;
    var down = 0u;
    var mass = 0.0;
    for (var i = lid; i < VOCAB; i += WORKGROUP) {
        let x = processed[slot_base + i];
        let k = order_key(x);
        if (k >= mid) {
            count += 1u;
            up = min(up, k);
            if (with_mass) { mass += weight(x); }
        } else if (k >= floor_key) {
            down = max(down, k);
        }
    }
    let ints = combine_u(count, up, down);
    var total = 0.0;
    if (with_mass) {
        total = reduce_sum(mass);
    }
    return Survey(ints.x, ints.y, ints.z, total);
}

// The largest t in [lo, hi] (both keys that occur, t = lo passing) whose set
// {key >= t} still passes: count >= need_count, or mass >= need_mass when
// by_mass. Each pass snaps the bounds to occurring keys, so the search walks
// distinct logit values only and ends in at most 32 passes.
fn bisect(floor_key: u32, low: u32, high: u32, need_count: u32, need_mass: f32, by_mass: bool) -> u32 {
    var lo = low;
    var hi = high;
    for (var iteration = 0u; iteration < 40u && lo < hi; iteration++) {
        let mid = lo + (hi - lo) / 2u + 1u;  // in (lo, hi]
        let s = survey(floor_key, mid, by_mass);
        if (select(s.count >= need_count, s.mass >= need_mass, by_mass)) {
            lo = s.up;    // same set as mid: passes
        } else {
            hi = s.down;  // same set as down + 1 .. mid: fails
        }
    }
    return lo;
}

// The smallest key a token needs to stay in the sampling set (top-k, then top-p).
fn keep_threshold(min_key: u32, max_key: u32, params: StepParams) -> u32 {
    var floor_key = min_key;
    if (params.top_k > 0u && params.top_k < VOCAB) {
        floor_key = bisect(0u, min_key, max_key, params.top_k, 0.0, false);
    }
    if (params.top_p < 1.0) {
        let kept = survey(floor_key, floor_key, true).mass;
        floor_key = bisect(floor_key, floor_key, max_key, 0u, params.top_p * kept, true);
    }
    return floor_key;
}

// ---- choices ----

fn greedy(max_key: u32) -> u32 {
    var first = NO_ID;
    for (var i = lid; i < VOCAB; i += WORKGROUP) {
        if (order_key(processed[slot_base + i]) == max_key) {
            first = min(first, i);
        }
    }
    return combine_u(0u, first, 0u).y;
}

// Inverse CDF in token-id order: invocation j owns the ids
// [j*chunk, (j+1)*chunk); a prefix scan of their masses finds the owner of
// u * total, which walks its ids. Needs processed[] visible (storageBarrier).
fn draw(threshold: u32, u: f32) -> u32 {
    let chunk = (VOCAB + WORKGROUP - 1u) / WORKGROUP;
    let begin = min(lid * chunk, VOCAB);
    let end = min(begin + chunk, VOCAB);
    var own = 0.0;
    var last = 0u;  // the last kept id, for a draw that rounds up to the total
    for (var i = begin; i < end; i++) {
        let x = processed[slot_base + i];
        if (order_key(x) >= threshold && is_allowed(x)) {
            own += weight(x);
            last = i;
        }
    }
    workgroupBarrier();
    tree[lid] = own;
    workgroupBarrier();
    for (var offset = 1u; offset < WORKGROUP; offset <<= 1u) {
        let add = select(0.0, tree[select(0u, lid - offset, lid >= offset)], lid >= offset);
        workgroupBarrier();
        tree[lid] += add;
        workgroupBarrier();
    }
    let inclusive = tree[lid];
    let exclusive = select(0.0, tree[select(0u, lid - 1u, lid > 0u)], lid > 0u);
    let target_mass = u * tree[WORKGROUP - 1u];
    var pick = NO_ID;
    if (exclusive <= target_mass && target_mass < inclusive) {
        var run = 0.0;
        for (var i = begin; i < end; i++) {
            let x = processed[slot_base + i];
            if (order_key(x) >= threshold && is_allowed(x)) {
                run += weight(x);
                pick = i;
                if (exclusive + run > target_mass) { break; }
            }
        }
    }
    let found = combine_u(0u, pick, last);
    return select(found.y, found.z, found.y == NO_ID);
}

// PCG-hash (O'Neill's PCG RXS-M-XS output on one LCG step), chained over
// (seed, seed_hi, step); sample.py's uniform_draw is the same function.
fn pcg_hash(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

fn uniform_draw(params: StepParams) -> f32 {
    let h = pcg_hash(pcg_hash(pcg_hash(params.seed) ^ params.seed_hi) ^ params.step);
    return f32(h >> 8u) * (1.0 / 16777216.0);  // 24 bits: exact in f32, < 1
}

// ---- logprobs ----

fn log_partition() -> f32 {
    var own = 0.0;
    for (var i = lid; i < VOCAB; i += WORKGROUP) {
        own += exp(processed[slot_base + i] - max_logit);
    }
    return max_logit + log(reduce_sum(own));
}

// Comes after (prev_key, prev_id) in the order (logit descending, id ascending).
fn ranks_after(k: u32, i: u32, prev_key: u32, prev_id: u32) -> bool {
    return k < prev_key || (k == prev_key && i > prev_id);
}

// Repeated selection of the next largest logit, one pair per round.
fn write_top_logprobs(row: u32, log_z: f32, params: StepParams) {
    let wanted = min(params.num_top_logprobs, MAX_TOP);
    var prev_key = 0xffffffffu;
    var prev_id = NO_ID;
    for (var r = 0u; r < MAX_TOP; r++) {
        var id = NO_ID;
        if (r < wanted) {
            var best = 0u;
            for (var i = lid; i < VOCAB; i += WORKGROUP) {
                let k = order_key(processed[slot_base + i]);
                if (ranks_after(k, i, prev_key, prev_id)) { best = max(best, k); }
            }
            let best_key = combine_u(0u, 0xffffffffu, best).z;
            var first = NO_ID;
            for (var i = lid; i < VOCAB; i += WORKGROUP) {
                let k = order_key(processed[slot_base + i]);
                if (k == best_key && ranks_after(k, i, prev_key, prev_id)) { first = min(first, i); }
            }
            id = combine_u(0u, first, 0u).y;
            prev_key = best_key;
            prev_id = id;
        }
        if (lid == 0u) {
            let lp = select(NEG_INF_BITS, bitcast<u32>(key_value(prev_key) - log_z), id != NO_ID);
            logprob_out[row + 1u + 2u * r] = id;
            logprob_out[row + 2u + 2u * r] = lp;
        }
    }
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(local_invocation_index) local_index: u32,
#if SUBGROUPS
        @builtin(subgroup_size) subgroup_size: u32,
        @builtin(subgroup_invocation_id) subgroup_lane: u32,
#endif
#if BATCHED
        @builtin(workgroup_id) workgroup: vec3<u32>,
#endif
) {
#if BATCHED
    let batch_row = workgroup.x;
    if (batch_row >= batch.head.num_tokens) { return; }  // uniform: the whole workgroup leaves
    let params = batch.samplers[batch_row];  // uniform, as the branches around barriers need
    let seq_slot = batch.rows[batch_row].slot;
    row_base = batch_row * VOCAB;
    slot_base = seq_slot * VOCAB;
    mask_base = seq_slot * 2u * MASK_WORDS;
#else
    let batch_row = 0u;
    let seq_slot = 0u;
#endif
    lid = local_index;
#if SUBGROUPS
    sg_size = subgroup_size;
    sg_lane = subgroup_lane;
    check_subgroup_layout();
#endif
    var low = 0xffffffffu;
    var high = 0u;
    for (var i = lid; i < VOCAB; i += WORKGROUP) {
        let x = process_logit(i, params);
        processed[slot_base + i] = x;
        low = min(low, order_key(x));
        high = max(high, order_key(x));
    }
    let range = combine_u(0u, low, high);  // (_, min key, max key)
    max_logit = key_value(range.z);
    temperature = params.temperature;
    storageBarrier();  // draw() reads ids other invocations processed

    var chosen: u32;
    if (params.temperature <= 0.0) {
        chosen = greedy(range.z);
    } else {
        chosen = draw(keep_threshold(range.y, range.z, params), uniform_draw(params));
    }

    let slot = params.step % max(params.history_capacity, 1u);
    if ((params.flags & FLAG_LOGPROBS) != 0u) {
        let log_z = log_partition();
#if BATCHED
        let row = batch_row * LOGPROB_ROW;  // by row of the step
#else
        let row = slot * LOGPROB_ROW;  // a ring over the history
#endif
        write_top_logprobs(row, log_z, params);
        if (lid == 0u) {
            logprob_out[row] = bitcast<u32>(processed[slot_base + chosen] - log_z);
        }
    }
    if (lid == 0u) {
        tokens[batch_row] = chosen;
        history[seq_slot * max(params.history_capacity, 1u) + slot] = chosen;
        generated_counts[slot_base + chosen] += 1u;
    }
}

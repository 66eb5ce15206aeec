// Decode matrix-vector product y = W x (one token) for GPUs, bandwidth bound.
// CPU adapters take gemv_cpu.wgsl (same bindings and dot products, no reduction).
//
// Layout: a workgroup owns ROWS output rows (a "block"); every invocation
// holds ACC_ROWS accumulators (ROWS, or 2*ROWS with SWIGLU: gate and up
// rows) and strides over K in units of one 16-byte load per row: a q4 group
// (one vec4<u32>: 32 codes, one scale) or an octet of 8 16-bit values, so
// neighbouring invocations read neighbouring 16 bytes of each row (coalesced;
// 4-byte loads measured at half this bandwidth on an H100). x is read through
// the cache (it can be 56 KiB, over the 16 KiB workgroup-memory default) and
// reused across rows.
// The sums over K are reduced by subgroupAdd (SUBGROUPS) or a workgroup tree.
//
// Defines: N (outputs), K, GROUPS (q4 groups per row), K8 (q4 words per row),
// OCTETS = ceil(K/8), ROWS, ACC_ROWS, SLOTS (ACC_ROWS, +1 with NORM), BLOCKS =
// ceil(N/ROWS), WORKGROUP (a power of two), PRESENT_WORDS = ceil(WORKGROUP/32);
// flags W_Q4F16 | W_Q4F32 | W_F16 | W_BF16, QUANTIZED, ALIGNED (K % 8 == 0: vec4
// reads of x and of 16-bit rows), SUBGROUPS, ACCUMULATE, SWIGLU, X_LAST_ROW,
// BATCHED, HAS_PARAMS (X_LAST_ROW or BATCHED: `params` is bound); NORM
// (x is first RMS-normalized with `norm_weight`, HF's LlamaRMSNorm, EPS;
// NORM_BF16 picks its 16-bit format): decode fuses each RMSNorm into the product
// that reads it, one dispatch fewer; its sum of x*x is reduced in slot ACC_ROWS
// of SLOTS, beside the dot products (gemv_dot.wgsl says why that is exact).
// BATCHED (continuous batching): B = params.num_tokens <= BATCH rows, x (B, K) ->
// y (B, N): a workgroup per (block, row), running the single-token loops on its row,
// so each row's bits are the unbatched kernel's. Measured on an H100 (1B shape, 8
// rows): 7.4 ms a step, against 13.5-33 ms for kernels that read each weight unit
// once for several rows (rows' sums in unrolled loops or vec4 lanes): those are
// bound by their x loads or registers, and cost as much per row as this one.

#include "step_params.wgsl"
#include "gemv_bindings.wgsl"
#include "gemv_dot.wgsl"

var<workgroup> partial: array<f32, SLOTS * WORKGROUP>;
#if SUBGROUPS
var<workgroup> present: array<atomic<u32>, PRESENT_WORDS>;  // bit i: invocation i holds a subgroup sum
#endif

// Matrix row of accumulator slot s; clamped so loads stay in bounds (results past N are dropped).
fn matrix_row(block: u32, s: u32) -> u32 {
    let out = min(block * ROWS + s % ROWS, N - 1u);
    return select(out, out + N, s >= ROWS);  // SWIGLU: slots ROWS.. are the up rows
}

// Sum of slot s over the workgroup, after reduce().
fn total(s: u32) -> f32 {
#if SUBGROUPS
    // One partial per subgroup, in invocation order: deterministic, and no
    // assumption about the subgroup size or which invocations form a subgroup.
    var sum = 0.0;
    for (var w = 0u; w < PRESENT_WORDS; w++) {
        var bits = atomicLoad(&present[w]);
        while (bits != 0u) {
            let i = w * 32u + countTrailingZeros(bits);
            sum += partial[i * SLOTS + s];
            bits &= bits - 1u;
        }
    }
    return sum;
#else
    return partial[s * WORKGROUP];
#endif
}

// Reduces each slot of `acc` over the workgroup and writes the block's outputs (of batch
// row batch_row when BATCHED). Every invocation calls it: it holds barriers.
fn reduce_and_store(sums: array<f32, SLOTS>, lid: u32, lane: u32, block: u32) {
    var acc = sums;
#if SUBGROUPS
    // Cleared explicitly: lavapipe under wgpu-native was seen to start a workgroup
    // with stale bits here, although WGSL zero-initializes workgroup memory.
    if (lid < PRESENT_WORDS) {
        atomicStore(&present[lid], 0u);
    }
    workgroupBarrier();
    for (var s = 0u; s < SLOTS; s++) {
        acc[s] = subgroupAdd(acc[s]);
    }
    if (lane == 0u) {
        for (var s = 0u; s < SLOTS; s++) {
            partial[lid * SLOTS + s] = acc[s];
        }
        atomicOr(&present[lid / 32u], 1u << (lid % 32u));
    }
    workgroupBarrier();
#else
    for (var s = 0u; s < SLOTS; s++) {
        partial[s * WORKGROUP + lid] = acc[s];
    }
    workgroupBarrier();
    for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
        if (lid < stride) {
            for (var s = 0u; s < SLOTS; s++) {
                partial[s * WORKGROUP + lid] += partial[s * WORKGROUP + lid + stride];
            }
        }
        workgroupBarrier();
    }
#endif
    let n = block * ROWS + lid;
    if (lid < ROWS && n < N) {
#if NORM
        let scale = rms_scale(total(ACC_ROWS));
#else
        let scale = 1.0;
#endif
#if SWIGLU
        store_output(n, total(lid), total(lid + ROWS), scale);
#else
        store_output(n, total(lid), 0.0, scale);
#endif
    }
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
#if SUBGROUPS
        @builtin(subgroup_invocation_id) subgroup_lane: u32,
#endif
) {
#if SUBGROUPS
    let lane = subgroup_lane;
#else
    let lane = 0u;
#endif
    let id = wid.x + wid.y * groups.x;  // workgroups past 65535 spill into y
#if BATCHED
    // Row r of the batch for each block: workgroup r * BLOCKS + block, through the single-token loops.
    let block = id % BLOCKS;
    let row = id / BLOCKS;
    if (row >= params.num_tokens) {  // uniform: the whole workgroup has one row
        return;
    }
    batch_row = row;
#else
    let block = id;
    if (block >= BLOCKS) {
        return;
    }
#endif
    var rows: array<u32, ACC_ROWS>;
    for (var s = 0u; s < ACC_ROWS; s++) {
        rows[s] = matrix_row(block, s);
    }
    let sums = row_sums(rows, lid, WORKGROUP);
    var acc: array<f32, SLOTS>;
    for (var s = 0u; s < ACC_ROWS; s++) {
        acc[s] = sums[s];
    }
#if NORM
    acc[ACC_ROWS] = squares;
#endif
    reduce_and_store(acc, lid, lane, block);
}

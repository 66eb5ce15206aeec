// Decode matrix-vector product y = W x (one token) for CPU adapters (lavapipe,
// SwiftShader): each invocation computes ROWS whole outputs by itself, so there
// is no workgroup reduction and no barrier. CPU WebGPU implementations run a
// workgroup's invocations as SIMD lanes of one thread and pay dearly for what a
// GPU gets for free: a barrier (the thread switches between every lane group),
// workgroup memory, and every workgroup launched. Here a lane streams its own
// rows from start to end (one prefetchable stream each), reads x from the cache
// and reuses it across its ROWS rows; WORKGROUP * ROWS outputs per workgroup
// keep the number of workgroups small.
//
// Defines: as gemv.wgsl for N, K, GROUPS, K8, OCTETS and the flags (no
// SUBGROUPS); ROWS (outputs per invocation), ACC_ROWS (ROWS, 2*ROWS with SWIGLU:
// gate and up rows), WORKGROUP, BLOCKS = ceil(N / (WORKGROUP * ROWS)).
// BATCHED: B = params.num_tokens rows, x (B, K) -> y (B, N); workgroup b * B + r
// computes block b of row r (as in gemv.wgsl).

#include "step_params.wgsl"
#include "gemv_bindings.wgsl"
#include "gemv_dot.wgsl"

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
#if BATCHED
    let flat = wid.x + wid.y * groups.x;  // past 65535 spill into y
    let block = flat / params.num_tokens;
    batch_row = flat % params.num_tokens;
#else
    let block = wid.x + wid.y * groups.x;  // blocks past 65535 spill into y
#endif
    let first = (block * WORKGROUP + lid) * ROWS;  // this invocation's first output
    if (block >= BLOCKS || first >= N) {
        return;
    }
    var rows: array<u32, ACC_ROWS>;
    for (var s = 0u; s < ACC_ROWS; s++) {
        let out = min(first + s % ROWS, N - 1u);  // clamped: loads stay in bounds, stores are skipped
        rows[s] = select(out, out + N, s >= ROWS);  // SWIGLU: slots ROWS.. are the up rows
    }
    let sums = row_sums(rows, 0u, 1u);
#if NORM
    let scale = rms_scale(squares);
#else
    let scale = 1.0;
#endif
    for (var r = 0u; r < ROWS; r++) {
        if (first + r < N) {
#if SWIGLU
            store_output(first + r, sums[r], sums[ROWS + r], scale);
#else
            store_output(first + r, sums[r], 0.0, scale);
#endif
        }
    }
}

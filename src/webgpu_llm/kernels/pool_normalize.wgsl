// One embedding per input: its rows pooled, then optionally L2-normalized
// (sentence-transformers' Pooling and Normalize modules):
//   MEAN: e = sum_{j < length} h[j] / length      else ([CLS]): e = h[0]
//   NORMALIZE: e = e / max(||e||, 1e-12)         (torch.nn.functional.normalize)
// One workgroup per input; each invocation keeps its PER_LANE values in registers
// while the sum of squares reduces through workgroup memory.
//
// Defines: D, WORKGROUP (a power of two), PER_LANE = ceil(D / WORKGROUP); flags MEAN, NORMALIZE.

#include "encoder_params.wgsl"

@group(0) @binding(0) var<uniform> params: EncoderParams;
@group(0) @binding(1) var<storage, read> hidden: array<f32>;         // (batch * seq_len, D)
@group(0) @binding(2) var<storage, read> lengths: array<u32>;        // (batch,)
@group(0) @binding(3) var<storage, read_write> out: array<f32>;      // (batch, D)

var<workgroup> partial: array<f32, WORKGROUP>;

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
    let seq = wid.x + wid.y * groups.x;  // inputs past 65535 spill into y
    if (seq >= params.batch) {
        return;  // uniform per workgroup
    }
    let first = seq * params.seq_len;
    let length = max(min(lengths[seq], params.seq_len), 1u);
    var e: array<f32, PER_LANE>;
    var squares = 0.0;
    for (var s = 0u; s < PER_LANE; s++) {
        let i = lid + s * WORKGROUP;
        if (i < D) {
#if MEAN
            var sum = 0.0;
            for (var j = 0u; j < length; j++) {
                sum += hidden[(first + j) * D + i];
            }
            e[s] = sum / f32(length);
#else
            e[s] = hidden[first * D + i];
#endif
            squares += e[s] * e[s];
        }
    }
    var scale = 1.0;
#if NORMALIZE
    partial[lid] = squares;
    workgroupBarrier();
    for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
        if (lid < stride) {
            partial[lid] += partial[lid + stride];
        }
        workgroupBarrier();
    }
    scale = 1.0 / max(sqrt(partial[0]), 1e-12);
#endif
    for (var s = 0u; s < PER_LANE; s++) {
        let i = lid + s * WORKGROUP;
        if (i < D) {
            out[seq * D + i] = e[s] * scale;
        }
    }
}

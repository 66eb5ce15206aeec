// Bidirectional multi-head attention over a batch of padded sequences (BERT):
//   out[r, h] = softmax_j(q[r, h] . k[j, h] * SCALE) v[j, h]   over the keys j < lengths[b]
// of r's own input b = r / seq_len; padding keys are masked out, as HF's
// attention_mask does, and padding query rows get zeros (pooling skips them).
// One invocation per (row, head) with an online softmax: no workgroup memory and
// no barrier, which suits CPU adapters; inputs are short (<= 512 tokens).
//
// Defines: H (heads), HEAD_DIM, D = H * HEAD_DIM, SCALE (f32), WORKGROUP.

#include "encoder_params.wgsl"

@group(0) @binding(0) var<uniform> params: EncoderParams;            // rows = T
@group(0) @binding(1) var<storage, read> qkv: array<f32>;            // (T, 3D): q heads, k heads, v heads
@group(0) @binding(2) var<storage, read> lengths: array<u32>;        // (batch,) tokens of each input
@group(0) @binding(3) var<storage, read_write> out: array<f32>;      // (T, D) heads side by side

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let index = gid.x + gid.y * groups.x * WORKGROUP;  // workgroups past 65535 spill into y
    let r = index / H;
    let h = index % H;
    if (r >= params.rows) {
        return;
    }
    let seq = r / params.seq_len;
    let length = min(lengths[seq], params.seq_len);
    let o = r * D + h * HEAD_DIM;
    if (r % params.seq_len >= length) {
        for (var c = 0u; c < HEAD_DIM; c++) {
            out[o + c] = 0.0;
        }
        return;
    }
    var q: array<f32, HEAD_DIM>;
    var acc: array<f32, HEAD_DIM>;
    let q_at = r * 3u * D + h * HEAD_DIM;
    for (var c = 0u; c < HEAD_DIM; c++) {
        q[c] = qkv[q_at + c] * SCALE;
    }
    var running_max = -3.0e38;
    var total = 0.0;
    let first = seq * params.seq_len;
    for (var j = 0u; j < length; j++) {
        let k_at = (first + j) * 3u * D + D + h * HEAD_DIM;
        var score = 0.0;
        for (var c = 0u; c < HEAD_DIM; c++) {
            score += q[c] * qkv[k_at + c];
        }
        let new_max = max(running_max, score);
        let rescale = exp(running_max - new_max);
        let weight = exp(score - new_max);
        total = total * rescale + weight;
        let v_at = k_at + D;
        for (var c = 0u; c < HEAD_DIM; c++) {
            acc[c] = acc[c] * rescale + weight * qkv[v_at + c];
        }
        running_max = new_max;
    }
    for (var c = 0u; c < HEAD_DIM; c++) {
        out[o + c] = acc[c] / total;
    }
}

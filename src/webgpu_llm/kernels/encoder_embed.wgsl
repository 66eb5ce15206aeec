// BERT's input embeddings before their LayerNorm:
//   out[r] = word[tokens[r]] + position[r % seq_len] + token_type[0]
// (one sequence per input, so every token type is 0, as HF's default
// token_type_ids). One invocation per value; padding rows are embedded too
// (token 0) and masked later by the attention and the pooling.
//
// Defines: VOCAB, D, WORKGROUP; flag VECTOR_BF16 (the tables are bf16, else f16).

#include "half.wgsl"
#include "encoder_params.wgsl"

@group(0) @binding(0) var<uniform> params: EncoderParams;            // rows = T
@group(0) @binding(1) var<storage, read> tokens: array<u32>;         // (T,)
@group(0) @binding(2) var<storage, read> word: array<u32>;           // (VOCAB, D) 16-bit, two per word
@group(0) @binding(3) var<storage, read> position: array<u32>;       // (max positions, D)
@group(0) @binding(4) var<storage, read> token_type: array<u32>;     // (type vocab, D)
@group(0) @binding(5) var<storage, read_write> out: array<f32>;      // (T, D)

fn half_at(word16: u32, odd: bool) -> f32 {
#if VECTOR_BF16
    return bf16_at(word16, odd);
#else
    return f16_at(word16, odd);
#endif
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let e = gid.x + gid.y * groups.x * WORKGROUP;  // workgroups past 65535 spill into y
    if (e >= params.rows * D) {
        return;
    }
    let r = e / D;
    let i = e % D;
    let w = min(tokens[r], VOCAB - 1u) * D + i;  // an out-of-range id must not read past the table
    let p = (r % params.seq_len) * D + i;
    out[e] = half_at(word[w >> 1u], (w & 1u) == 1u) + half_at(position[p >> 1u], (p & 1u) == 1u)
           + half_at(token_type[i >> 1u], (i & 1u) == 1u);
}

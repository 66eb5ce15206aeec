// The scale of q4 group `group` of weight row `row`: f16 (q4f16_1) or bf16
// (q4f32_1, float32 stored as bf16), two per u32 word of `q_scale`, GROUPS per row.
// Needs half.wgsl, a `q_scale: array<u32>` binding and the W_Q4F16 flag.

fn q4_scale(row: u32, group: u32) -> f32 {
    let e = row * GROUPS + group;
#if W_Q4F16
    return f16_at(q_scale[e >> 1u], (e & 1u) == 1u);
#else
    return bf16_at(q_scale[e >> 1u], (e & 1u) == 1u);
#endif
}

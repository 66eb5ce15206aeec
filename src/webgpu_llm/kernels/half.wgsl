// 16-bit floats read from u32 words, two per word, element 2i in the low half.
// f16 through unpack2x16float works without shader-f16 (DESIGN.md, decision 6);
// bf16 is the top half of an f32 (float32 tensors are stored as bf16 on disk).

fn f16_at(word: u32, odd: bool) -> f32 {
    let pair = unpack2x16float(word);
    return select(pair.x, pair.y, odd);
}

fn bf16_at(word: u32, odd: bool) -> f32 {
    return bitcast<f32>(select(word << 16u, word & 0xffff0000u, odd));
}

// The values that change from step to step, written once per step into one
// uniform buffer that every kernel of the step reads (DESIGN.md, decision 4).
// Mirrors kernels/step_params.py field by field; size is a multiple of 16.
struct StepParams {
    pos: u32,                 // tokens already in the KV cache before this step
    num_tokens: u32,          // tokens this step processes (1 when decoding)
    step: u32,                // decode step index: RNG stream offset and history slot
    seed: u32,                // request seed, low 32 bits
    seed_hi: u32,             // request seed, high 32 bits
    temperature: f32,         // 0 means greedy (argmax)
    top_p: f32,               // 1 means off
    top_k: u32,               // 0 means off
    frequency_penalty: f32,   // OpenAI: subtract count * penalty
    presence_penalty: f32,    // OpenAI: subtract penalty once a token appeared
    repetition_penalty: f32,  // CTRL/HF: divide positive logits, multiply negative ones
    num_top_logprobs: u32,    // 0..20; top alternatives written per step
    flags: u32,               // bit 0: logit bias buffer active; bit 1: write logprobs
    history_capacity: u32,    // slots in the token history ring
    table_base: u32,          // first page_table entry of the sequence's pages (a batch slot's)
    _pad1: u32,
}

// A batched decode step (continuous batching): one uniform buffer, written once
// per step, for the N rows of the step, each the next token of its own sequence.
// It starts with a StepParams whose num_tokens is N, so kernels that only need
// the row count (embed, rms_norm, the GEMVs) bind the same buffer as StepParams.
// Mirrors kernels/step_params.py (pack_batch); needs step_params.wgsl and the
// define BATCH (the largest N, the engine's batch capacity).

struct BatchRow {
    pos: u32,         // the row's query position: its sequence's tokens already in the KV cache
    table_base: u32,  // first entry of its sequence's pages in page_table
    slot: u32,        // its sequence slot: which sampler state it uses
    _pad: u32,
}

struct BatchParams {
    head: StepParams,                    // num_tokens = N rows; the other fields unused
    rows: array<BatchRow, BATCH>,
    samplers: array<StepParams, BATCH>,  // row r's sampling settings, step = its own decode step
}

// What the attention kernels (attention_decode.wgsl, attention_prefill.wgsl,
// attention_cpu.wgsl) share about keys: where a position's row is in the paged
// cache, which keys a query sees, and the score's soft-cap. Needs a
// `page_table: array<u32>` binding and the defines KVH, PAGE, LAYER_PAGES,
// WINDOW, SOFTCAP.

// -FLT_MAX: an empty or masked score. exp(EMPTY - m) is 0 for any real m; a
// finite value keeps the arithmetic free of inf - inf.
const EMPTY: f32 = -3.4028234e38;

// The first page_table entry of the query's sequence (params.table_base, or its batch row's),
// set by each kernel's main before any cache_row.
var<private> table_base: u32;

// Row of position p for kv head `kv` in a cache of DH-wide rows (a ring of LAYER_PAGES pages).
fn cache_row(p: u32, kv: u32) -> u32 {
    return (page_table[table_base + (p / PAGE) % LAYER_PAGES] * KVH + kv) * PAGE + p % PAGE;
}

// The first key the query at `pos` sees: pos - WINDOW + 1 with a sliding window, else 0.
fn first_key(pos: u32) -> u32 {
    if (WINDOW > 0u && pos >= WINDOW) {
        return pos + 1u - WINDOW;
    }
    return 0u;
}

// Whether the query at q_pos sees the key at `key`.
fn visible(key: u32, q_pos: u32) -> bool {
    return key <= q_pos && key >= first_key(q_pos);
}

fn capped(score: f32) -> f32 {
    if (SOFTCAP > 0.0) {
        // tanh saturates to 1 in f32 beyond 15; clamped so no implementation overflows exp.
        return SOFTCAP * tanh(clamp(score / SOFTCAP, -15.0, 15.0));
    }
    return score;
}

// The batched GEMV's dot products (gemv.wgsl with BATCHED, for GPUs; included
// after gemv_dot.wgsl): row_sums for every row of a batch's x at once. Each
// weight unit is loaded once and each q4 word dequantized once for all rows;
// row r's sums take the same steps in the same order as row_sums alone
// (((w0 + w1) + w2) + w3) * scale per group), so its bits are the same.
// Loops over rows run to the constant BATCH, guarded by the row count, so
// they can unroll and the accumulators stay in registers (an array indexed
// by a run-time row lives in memory).

// The squares of each batch row (NORM), kept while `squares` serves the row being read.
var<private> row_squares: array<f32, BATCH>;

#if NORM
fn row_octet(r: u32, j: u32) -> Octet {
    squares = row_squares[r];
    let v = x_octet(r * K, j);
    row_squares[r] = squares;
    return v;
}
#else
fn row_octet(r: u32, j: u32) -> Octet {
    return x_octet(r * K, j);
}
#endif

// Unit u of each of the block's ACC_ROWS weight rows.
fn block_units(rows: array<u32, ACC_ROWS>, u: u32) -> array<Unit, ACC_ROWS> {
    var w: array<Unit, ACC_ROWS>;
    for (var s = 0u; s < ACC_ROWS; s++) {
        w[s] = unit_of(rows[s], u);
    }
    return w;
}

#if QUANTIZED
fn batch_row_sums(rows: array<u32, ACC_ROWS>, first: u32, stride: u32,
                  count: u32) -> array<array<f32, ACC_ROWS>, BATCH> {
    var acc: array<array<f32, ACC_ROWS>, BATCH>;
    for (var g = first; g < GROUPS; g += stride) {
        let w = block_units(rows, g);
        var group_sums: array<array<f32, ACC_ROWS>, BATCH>;
        for (var i = 0u; i < 4u; i++) {
            var lo: array<vec4<f32>, ACC_ROWS>;
            var hi: array<vec4<f32>, ACC_ROWS>;
            for (var s = 0u; s < ACC_ROWS; s++) {
                lo[s] = half_codes(w[s].words[i]);
                hi[s] = half_codes(w[s].words[i] >> 16u);
            }
            for (var r = 0u; r < BATCH; r++) {
                if (r < count) {
                    let xs = row_octet(r, 4u * g + i);
                    for (var s = 0u; s < ACC_ROWS; s++) {
                        let d = codes_dot(lo[s], hi[s], xs);  // word_dot's
                        group_sums[r][s] = select(group_sums[r][s] + d, d, i == 0u);
                    }
                }
            }
        }
        for (var r = 0u; r < BATCH; r++) {
            if (r < count) {
                for (var s = 0u; s < ACC_ROWS; s++) {
                    acc[r][s] += group_sums[r][s] * w[s].scale;  // unit_dot's scaling
                }
            }
        }
    }
    return acc;
}
#else
fn batch_row_sums(rows: array<u32, ACC_ROWS>, first: u32, stride: u32,
                  count: u32) -> array<array<f32, ACC_ROWS>, BATCH> {
    var acc: array<array<f32, ACC_ROWS>, BATCH>;
    for (var j = first; j < OCTETS; j += stride) {
        let w = block_units(rows, j);
        for (var r = 0u; r < BATCH; r++) {
            if (r < count) {
                let xs = row_octet(r, j);
                for (var s = 0u; s < ACC_ROWS; s++) {
                    acc[r][s] += unit_dot(w[s], xs);
                }
            }
        }
    }
    return acc;
}
#endif

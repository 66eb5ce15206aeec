// What the decode GEMV kernels (gemv.wgsl, gemv_cpu.wgsl) share once their
// bindings are declared (gemv_bindings.wgsl): reads of x (with the fused
// RMSNorm's weight), the dot products of weight rows with x over 16-byte units
// (a q4 group: one vec4<u32> of 32 codes and one scale; or an octet of eight
// 16-bit values) and the epilogue that writes y. The kernels differ only in who
// sums which units of which rows: a workgroup reduction, or one invocation
// summing whole rows by itself.
//
// NORM: W (g * x * r) = r * W (g * x) for the scalar r = 1/rms(x), so the loops
// multiply x by the norm weight g only, sum x*x on the side (`squares`) and
// scale the dot products by r at the end: no extra pass over x.

#include "half.wgsl"

#if NORM
var<private> squares: f32;  // this invocation's share of sum(x*x) over the octets it read
#endif
#if BATCHED
// The workgroup's row of the batch (set by main): it reads row batch_row of x and writes that row
// of y, through the same loops as a single token, so each row's result is bit for bit the same.
var<private> batch_row: u32;
#endif

struct Octet {
    lo: vec4<f32>,
    hi: vec4<f32>,
}

// Where x's row starts: the last of params.num_tokens rows (X_LAST_ROW), row batch_row
// (BATCHED), else 0.
fn x_row_start() -> u32 {
#if X_LAST_ROW
    return (params.num_tokens - 1u) * K;
#elif BATCHED
    return batch_row * K;
#else
    return 0u;
#endif
}

// Eight x values starting at k = 8j; zeros past K (q4 padding may hold any code).
fn x_raw(row_start: u32, j: u32) -> Octet {
#if ALIGNED
    let i = row_start / 4u + 2u * min(j, OCTETS - 1u);
    let inside = j < OCTETS;  // false only in the padding of the last q4 group
    return Octet(select(vec4<f32>(0.0), x[i], inside), select(vec4<f32>(0.0), x[i + 1u], inside));
#else
    var v: array<f32, 8>;
    for (var i = 0u; i < 8u; i++) {
        let k = 8u * j + i;
        v[i] = select(0.0, x[row_start + min(k, K - 1u)], k < K);
    }
    return Octet(vec4<f32>(v[0], v[1], v[2], v[3]), vec4<f32>(v[4], v[5], v[6], v[7]));
#endif
}

#if NORM
fn norm_value(k: u32) -> f32 {
    let word = norm_weight[min(k, K - 1u) >> 1u];
#if NORM_BF16
    return bf16_at(word, (k & 1u) == 1u);
#else
    return f16_at(word, (k & 1u) == 1u);
#endif
}

fn norm_pair(word: u32) -> vec2<f32> {
#if NORM_BF16
    return vec2<f32>(bf16_at(word, false), bf16_at(word, true));
#else
    return unpack2x16float(word);
#endif
}

// Norm weights k = 8j .. 8j+7 (clamped at the end: x is zero there).
fn norm_octet(j: u32) -> Octet {
#if ALIGNED
    let w = 4u * min(j, OCTETS - 1u);
    return Octet(vec4<f32>(norm_pair(norm_weight[w]), norm_pair(norm_weight[w + 1u])),
                 vec4<f32>(norm_pair(norm_weight[w + 2u]), norm_pair(norm_weight[w + 3u])));
#else
    let k = 8u * j;
    return Octet(vec4<f32>(norm_value(k), norm_value(k + 1u), norm_value(k + 2u), norm_value(k + 3u)),
                 vec4<f32>(norm_value(k + 4u), norm_value(k + 5u), norm_value(k + 6u), norm_value(k + 7u)));
#endif
}

// g * x for octet j, adding its x*x to `squares` (each invocation visits an octet once).
fn x_octet(row_start: u32, j: u32) -> Octet {
    let v = x_raw(row_start, j);
    squares += dot(v.lo, v.lo) + dot(v.hi, v.hi);
    let g = norm_octet(j);
    return Octet(v.lo * g.lo, v.hi * g.hi);
}
#else
fn x_octet(row_start: u32, j: u32) -> Octet {
    return x_raw(row_start, j);
}
#endif

#if QUANTIZED
#include "q4_scale.wgsl"

// The four codes in bits 0..15 of `bits`, minus 7, as floats.
fn half_codes(bits: u32) -> vec4<f32> {
    return vec4<f32>((vec4<u32>(bits) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(15u)) - 7.0;
}

// The dot of a word's codes (lo: bits 0..15, hi: bits 16..31, as half_codes) with x.
fn codes_dot(lo: vec4<f32>, hi: vec4<f32>, xs: Octet) -> f32 {
    return dot(lo, xs.lo) + dot(hi, xs.hi);
}

// (q - 7) . x for the eight codes of one word.
fn word_dot(word: u32, xs: Octet) -> f32 {
    return codes_dot(half_codes(word), half_codes(word >> 16u), xs);
}

// x's four octets for q4 group g, shared by every row that reads them.
fn group_x(row_start: u32, g: u32) -> array<Octet, 4> {
    return array<Octet, 4>(x_octet(row_start, 4u * g), x_octet(row_start, 4u * g + 1u),
                           x_octet(row_start, 4u * g + 2u), x_octet(row_start, 4u * g + 3u));
}

// One 16-byte unit of a weight row: a q4 group's 32 codes and its scale.
struct Unit {
    words: vec4<u32>,
    scale: f32,
}

fn unit_of(row: u32, g: u32) -> Unit {
    return Unit(q_weight[row * GROUPS + g], q4_scale(row, g));
}

// Dot of a group with x (its four octets in xs), times the group's scale.
fn unit_dot(u: Unit, xs: array<Octet, 4>) -> f32 {
    let sum = word_dot(u.words.x, xs[0]) + word_dot(u.words.y, xs[1]) + word_dot(u.words.z, xs[2])
        + word_dot(u.words.w, xs[3]);
    return sum * u.scale;
}

// Dot of group g of row `row` with x.
fn row_dot(row: u32, g: u32, xs: array<Octet, 4>) -> f32 {
    return unit_dot(unit_of(row, g), xs);
}
#else
fn half_value(word: u32, odd: bool) -> f32 {
#if W_F16
    return f16_at(word, odd);
#else
    return bf16_at(word, odd);
#endif
}

// One 16-byte unit of a weight row: an octet of 16-bit values, as f32.
alias Unit = Octet;

fn unit_of(row: u32, j: u32) -> Unit {
#if ALIGNED
    let w = weight[row * (K / 8u) + j];
    let lo = vec4<f32>(half_value(w.x, false), half_value(w.x, true), half_value(w.y, false), half_value(w.y, true));
    let hi = vec4<f32>(half_value(w.z, false), half_value(w.z, true), half_value(w.w, false), half_value(w.w, true));
    return Octet(lo, hi);
#else
    // Rows are not word aligned when K is odd: address each element.
    var v: array<f32, 8>;
    for (var i = 0u; i < 8u; i++) {
        let k = min(8u * j + i, K - 1u);  // x is zero past K; stay inside this row
        let e = row * K + k;
        v[i] = half_value(weight[e >> 1u], (e & 1u) == 1u);
    }
    return Octet(vec4<f32>(v[0], v[1], v[2], v[3]), vec4<f32>(v[4], v[5], v[6], v[7]));
#endif
}

fn unit_dot(u: Unit, xs: Octet) -> f32 {
    return dot(u.lo, xs.lo) + dot(u.hi, xs.hi);
}

fn row_dot(row: u32, j: u32, xs: Octet) -> f32 {
    return unit_dot(unit_of(row, j), xs);
}
#endif

// Dot products of the ACC_ROWS weight rows `rows` with x over the units first,
// first + stride, ... (q4 groups, or octets): all of each row when first = 0, stride = 1.
fn row_sums(rows: array<u32, ACC_ROWS>, first: u32, stride: u32) -> array<f32, ACC_ROWS> {
    let row_start = x_row_start();
    var acc: array<f32, ACC_ROWS>;
#if QUANTIZED
    for (var g = first; g < GROUPS; g += stride) {
        let xs = group_x(row_start, g);
        for (var s = 0u; s < ACC_ROWS; s++) {
            acc[s] += row_dot(rows[s], g, xs);
        }
    }
#else
    for (var j = first; j < OCTETS; j += stride) {
        let xs = x_octet(row_start, j);
        for (var s = 0u; s < ACC_ROWS; s++) {
            acc[s] += row_dot(rows[s], j, xs);
        }
    }
#endif
    return acc;
}

// 1/rms(x) from sum(x*x) over K (HF's LlamaRMSNorm, EPS) with NORM, else 1.
fn rms_scale(sum_squares: f32) -> f32 {
#if NORM
    return inverseSqrt(sum_squares / f32(K) + EPS);
#else
    return 1.0;
#endif
}

#include "gate_activation.wgsl"

// y[n] from output n's full dot products: `value` (the gate row with SWIGLU), `up` (read
// only with SWIGLU), each scaled by `scale` (rms_scale), plus y[n] with ACCUMULATE.
// BATCHED: output n of row batch_row, y[batch_row * N + n].
fn store_output(n: u32, value: f32, up: f32, scale: f32) {
    var v = value * scale;
#if SWIGLU
    v = gate_activation(v) * up * scale;
#endif
#if BATCHED
    let at = batch_row * N + n;
#if ACCUMULATE
    v += y[at];
#endif
    y[at] = v;
#else
#if ACCUMULATE
    v += y[n];  // residual add fused into o_proj / down_proj
#endif
    y[n] = v;
#endif
}

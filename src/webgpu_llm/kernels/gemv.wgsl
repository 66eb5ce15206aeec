// Decode matrix-vector product y = W x (one token), bandwidth bound.
//
// Layout: a workgroup owns ROWS output rows (a "block"); every invocation
// holds ACC_ROWS accumulators (ROWS, or 2*ROWS with SWIGLU: gate and up
// rows) and strides over K in units of one 16-byte load per row: a q4 group
// (one vec4<u32>: 32 codes, one scale) or an octet of 8 16-bit values, so
// neighbouring invocations read neighbouring 16 bytes of each row (coalesced;
// 4-byte loads measured at half this bandwidth on an H100). x is read through
// the cache (it can be 56 KiB, over the 16 KiB workgroup-memory default) and
// reused across rows.
// The sums over K are reduced by subgroupAdd (SUBGROUPS) or a workgroup tree.
//
// Defines: N (outputs), K, GROUPS (q4 groups per row), K8 (q4 words per row),
// OCTETS = ceil(K/8), ROWS, ACC_ROWS, SLOTS (ACC_ROWS, +1 with NORM), BLOCKS =
// ceil(N/ROWS), WORKGROUP (a power of two), PRESENT_WORDS = ceil(WORKGROUP/32);
// flags W_Q4F16 | W_Q4F32 | W_F16 | W_BF16, QUANTIZED, ALIGNED (K % 8 == 0: vec4
// reads of x and of 16-bit rows), SUBGROUPS, ACCUMULATE, SWIGLU, X_LAST_ROW; NORM
// (x is first RMS-normalized with `norm_weight`, HF's LlamaRMSNorm, EPS;
// NORM_BF16 picks its 16-bit format): decode fuses each RMSNorm into the product
// that reads it, one dispatch fewer. W (g * x * r) = r * W (g * x) for the scalar
// r = 1/rms(x), so the loop multiplies x by the norm weight g only, sums x*x on
// the side (slot ACC_ROWS of SLOTS) and scales the reduced dot products by r at
// the end: no extra pass over x.

#include "half.wgsl"
#include "step_params.wgsl"

#if ALIGNED
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;     // (K/4,) or with X_LAST_ROW (T, K/4)
#else
@group(0) @binding(0) var<storage, read> x: array<f32>;           // (K,) or with X_LAST_ROW (T, K)
#endif
#if QUANTIZED
@group(0) @binding(1) var<storage, read> q_weight: array<vec4<u32>>; // (W_ROWS, GROUPS) = (W_ROWS, K8) u32, 8 nibbles each
@group(0) @binding(2) var<storage, read> q_scale: array<u32>;     // (W_ROWS, GROUPS) 16-bit, two per word
@group(0) @binding(3) var<storage, read_write> y: array<f32>;     // (N,)
#if X_LAST_ROW
@group(0) @binding(4) var<uniform> params: StepParams;
#endif
#else
#if ALIGNED
@group(0) @binding(1) var<storage, read> weight: array<vec4<u32>>; // (W_ROWS, K/8) eight 16-bit values
#else
@group(0) @binding(1) var<storage, read> weight: array<u32>;       // (W_ROWS * K / 2,) 16-bit, two per word
#endif
@group(0) @binding(2) var<storage, read_write> y: array<f32>;      // (N,)
#if X_LAST_ROW
@group(0) @binding(3) var<uniform> params: StepParams;
#endif
#endif
#if NORM
// After the bindings above, so the binding numbers stay contiguous.
#if QUANTIZED
#if X_LAST_ROW
@group(0) @binding(5) var<storage, read> norm_weight: array<u32>;  // (ceil(K/2),) 16-bit, two per word
#else
@group(0) @binding(4) var<storage, read> norm_weight: array<u32>;  // (ceil(K/2),) 16-bit, two per word
#endif
#else
#if X_LAST_ROW
@group(0) @binding(4) var<storage, read> norm_weight: array<u32>;  // (ceil(K/2),) 16-bit, two per word
#else
@group(0) @binding(3) var<storage, read> norm_weight: array<u32>;  // (ceil(K/2),) 16-bit, two per word
#endif
#endif
var<private> squares: f32;  // this invocation's share of sum(x*x)
#endif
// W_ROWS is N, or 2N with SWIGLU (MLC's fused gate_up: gate rows then up rows).

var<workgroup> partial: array<f32, SLOTS * WORKGROUP>;
#if SUBGROUPS
var<workgroup> present: array<atomic<u32>, PRESENT_WORDS>;  // bit i: invocation i holds a subgroup sum
#endif

struct Octet {
    lo: vec4<f32>,
    hi: vec4<f32>,
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

// g * x for octet j, adding its x*x to `squares` (each octet is visited once per workgroup).
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

// (q - 7) . x for the eight codes of one word.
fn word_dot(word: u32, xs: Octet) -> f32 {
    let lo = vec4<f32>((vec4<u32>(word) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(15u)) - 7.0;
    let hi = vec4<f32>((vec4<u32>(word) >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(15u)) - 7.0;
    return dot(lo, xs.lo) + dot(hi, xs.hi);
}

// Dot of group g of row `row` with x (its four octets in xs), times the group's scale.
fn row_dot(row: u32, g: u32, xs: array<Octet, 4>) -> f32 {
    let words = q_weight[row * GROUPS + g];
    let sum = word_dot(words.x, xs[0]) + word_dot(words.y, xs[1]) + word_dot(words.z, xs[2])
        + word_dot(words.w, xs[3]);
    return sum * q4_scale(row, g);
}
#else
fn half_value(word: u32, odd: bool) -> f32 {
#if W_F16
    return f16_at(word, odd);
#else
    return bf16_at(word, odd);
#endif
}

fn row_dot(row: u32, j: u32, xs: Octet) -> f32 {
#if ALIGNED
    let w = weight[row * (K / 8u) + j];
    let lo = vec4<f32>(half_value(w.x, false), half_value(w.x, true), half_value(w.y, false), half_value(w.y, true));
    let hi = vec4<f32>(half_value(w.z, false), half_value(w.z, true), half_value(w.w, false), half_value(w.w, true));
    return dot(lo, xs.lo) + dot(hi, xs.hi);
#else
    // Rows are not word aligned when K is odd: address each element.
    var v: array<f32, 8>;
    for (var i = 0u; i < 8u; i++) {
        let k = min(8u * j + i, K - 1u);  // x is zero past K; stay inside this row
        let e = row * K + k;
        v[i] = half_value(weight[e >> 1u], (e & 1u) == 1u);
    }
    return dot(vec4<f32>(v[0], v[1], v[2], v[3]), xs.lo) + dot(vec4<f32>(v[4], v[5], v[6], v[7]), xs.hi);
#endif
}
#endif

// Matrix row of accumulator slot s; clamped so loads stay in bounds (results past N are dropped).
fn matrix_row(block: u32, s: u32) -> u32 {
    let out = min(block * ROWS + s % ROWS, N - 1u);
    return select(out, out + N, s >= ROWS);  // SWIGLU: slots ROWS.. are the up rows
}

// Sum of slot s over the workgroup, after reduce().
fn total(s: u32) -> f32 {
#if SUBGROUPS
    // One partial per subgroup, in invocation order: deterministic, and no
    // assumption about the subgroup size or which invocations form a subgroup.
    var sum = 0.0;
    for (var w = 0u; w < PRESENT_WORDS; w++) {
        var bits = atomicLoad(&present[w]);
        while (bits != 0u) {
            let i = w * 32u + countTrailingZeros(bits);
            sum += partial[i * SLOTS + s];
            bits &= bits - 1u;
        }
    }
    return sum;
#else
    return partial[s * WORKGROUP];
#endif
}

fn silu(g: f32) -> f32 {
    return g / (1.0 + exp(-g));
}

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>,
#if SUBGROUPS
        @builtin(subgroup_invocation_id) lane: u32,
#endif
) {
    let block = wid.x + wid.y * groups.x;  // blocks past 65535 spill into y
    if (block >= BLOCKS) {
        return;
    }
    var rows: array<u32, ACC_ROWS>;
    var acc: array<f32, SLOTS>;
    for (var s = 0u; s < ACC_ROWS; s++) {
        rows[s] = matrix_row(block, s);
    }
#if X_LAST_ROW
    let row_start = (params.num_tokens - 1u) * K;
#else
    let row_start = 0u;
#endif
#if QUANTIZED
    for (var g = lid; g < GROUPS; g += WORKGROUP) {
        let xs = array<Octet, 4>(x_octet(row_start, 4u * g), x_octet(row_start, 4u * g + 1u),
                                 x_octet(row_start, 4u * g + 2u), x_octet(row_start, 4u * g + 3u));
        for (var s = 0u; s < ACC_ROWS; s++) {
            acc[s] += row_dot(rows[s], g, xs);
        }
    }
#else
    for (var j = lid; j < OCTETS; j += WORKGROUP) {
        let xs = x_octet(row_start, j);
        for (var s = 0u; s < ACC_ROWS; s++) {
            acc[s] += row_dot(rows[s], j, xs);
        }
    }
#endif
#if NORM
    acc[ACC_ROWS] = squares;
#endif
#if SUBGROUPS
    // Cleared explicitly: lavapipe under wgpu-native was seen to start a workgroup
    // with stale bits here, although WGSL zero-initializes workgroup memory.
    if (lid < PRESENT_WORDS) {
        atomicStore(&present[lid], 0u);
    }
    workgroupBarrier();
    for (var s = 0u; s < SLOTS; s++) {
        acc[s] = subgroupAdd(acc[s]);
    }
    if (lane == 0u) {
        for (var s = 0u; s < SLOTS; s++) {
            partial[lid * SLOTS + s] = acc[s];
        }
        atomicOr(&present[lid / 32u], 1u << (lid % 32u));
    }
    workgroupBarrier();
#else
    for (var s = 0u; s < SLOTS; s++) {
        partial[s * WORKGROUP + lid] = acc[s];
    }
    workgroupBarrier();
    for (var stride = WORKGROUP / 2u; stride > 0u; stride /= 2u) {
        if (lid < stride) {
            for (var s = 0u; s < SLOTS; s++) {
                partial[s * WORKGROUP + lid] += partial[s * WORKGROUP + lid + stride];
            }
        }
        workgroupBarrier();
    }
#endif
    let n = block * ROWS + lid;
    if (lid < ROWS && n < N) {
#if NORM
        let scale = inverseSqrt(total(ACC_ROWS) / f32(K) + EPS);
#else
        let scale = 1.0;
#endif
        var v = total(lid) * scale;
#if SWIGLU
        v = silu(v) * total(lid + ROWS) * scale;
#endif
#if ACCUMULATE
        v += y[n];  // residual add fused into o_proj / down_proj
#endif
        y[n] = v;
    }
}

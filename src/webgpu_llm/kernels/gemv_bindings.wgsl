// The bindings of the decode GEMV kernels (gemv.wgsl for GPUs, gemv_cpu.wgsl for
// CPU adapters), numbered contiguously for every flag combination. Needs
// step_params.wgsl and the defines of kernels/gemv.py.
// W_ROWS is N, or 2N with SWIGLU (MLC's fused gate_up: gate rows then up rows).
// HAS_PARAMS (X_LAST_ROW or BATCHED) binds `params`, for its num_tokens: T rows of
// x (X_LAST_ROW reads the last), or B = num_tokens rows of x and y (BATCHED).

#if ALIGNED
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;     // (K/4,); X_LAST_ROW (T, K/4); BATCHED (B, K/4)
#else
@group(0) @binding(0) var<storage, read> x: array<f32>;           // (K,); X_LAST_ROW (T, K); BATCHED (B, K)
#endif
#if QUANTIZED
@group(0) @binding(1) var<storage, read> q_weight: array<vec4<u32>>; // (W_ROWS, GROUPS) = (W_ROWS, K8) u32, 8 nibbles each
@group(0) @binding(2) var<storage, read> q_scale: array<u32>;     // (W_ROWS, GROUPS) 16-bit, two per word
@group(0) @binding(3) var<storage, read_write> y: array<f32>;     // (N,); BATCHED (B, N)
#if HAS_PARAMS
@group(0) @binding(4) var<uniform> params: StepParams;
#endif
#else
#if ALIGNED
@group(0) @binding(1) var<storage, read> weight: array<vec4<u32>>; // (W_ROWS, K/8) eight 16-bit values
#else
@group(0) @binding(1) var<storage, read> weight: array<u32>;       // (W_ROWS * K / 2,) 16-bit, two per word
#endif
@group(0) @binding(2) var<storage, read_write> y: array<f32>;      // (N,); BATCHED (B, N)
#if HAS_PARAMS
@group(0) @binding(3) var<uniform> params: StepParams;
#endif
#endif
#if NORM
// After the bindings above, so the binding numbers stay contiguous.
#if QUANTIZED
#if HAS_PARAMS
@group(0) @binding(5) var<storage, read> norm_weight: array<u32>;  // (ceil(K/2),) 16-bit, two per word
#else
@group(0) @binding(4) var<storage, read> norm_weight: array<u32>;  // (ceil(K/2),) 16-bit, two per word
#endif
#else
#if HAS_PARAMS
@group(0) @binding(4) var<storage, read> norm_weight: array<u32>;  // (ceil(K/2),) 16-bit, two per word
#else
@group(0) @binding(3) var<storage, read> norm_weight: array<u32>;  // (ceil(K/2),) 16-bit, two per word
#endif
#endif
#endif

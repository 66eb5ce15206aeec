// The gate's activation: SiLU (SwiGLU), or with GELU_TANH gelu's tanh approximation
// (GeGLU, HF's gelu_pytorch_tanh), its tanh argument clamped where f32 tanh is +-1 anyway.
fn gate_activation(g: f32) -> f32 {
#if GELU_TANH
    return 0.5 * g * (1.0 + tanh(clamp(0.7978845608028654 * (g + 0.044715 * g * g * g), -15.0, 15.0)));
#else
    return g / (1.0 + exp(-g));
#endif
}

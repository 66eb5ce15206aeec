// Logit soft-capping in place (Gemma 2's final_logit_softcapping):
//   logits = CAP * tanh(logits / CAP)
// between the LM head and the sampler, so the sampler, logprobs and the
// logits read back are all of the capped values, as HF returns them.
//
// Defines: N (values), CAP (f32 > 0), WORKGROUP.

@group(0) @binding(0) var<storage, read_write> logits: array<f32>;  // (N,)

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.x + gid.y * groups.x * WORKGROUP;  // workgroups past 65535 spill into y
    if (i < N) {
        // tanh saturates to +-1 in f32 beyond 15; clamped so no implementation overflows exp.
        logits[i] = CAP * tanh(clamp(logits[i] / CAP, -15.0, 15.0));
    }
}

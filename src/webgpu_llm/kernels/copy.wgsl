// dst = src, 16 bytes per invocation: the bandwidth reference for `bench`
// (the memory-bandwidth roofline is measured with this kernel on the same adapter).
// Defines: WORDS4 (u32) number of vec4<u32> to copy; WORKGROUP (u32).

@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;      // (WORDS4,)
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<u32>>; // (WORDS4,)

@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    // 2-D grid: more than 65535 workgroups of a large copy spill into y.
    let i = gid.x + gid.y * groups.x * WORKGROUP;
    if (i < WORDS4) {
        dst[i] = src[i];
    }
}

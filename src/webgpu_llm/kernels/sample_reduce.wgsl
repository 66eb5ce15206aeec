// The sampler's workgroup reductions (included by sample.wgsl): integer
// (sum, min, max) through atomics, exact and order free, and float sums in a
// fixed order, over subgroups where their layout allows, else a tree in
// workgroup memory. Call them from uniform control flow. Needs WORKGROUP and
// the flag SUBGROUPS; main sets lid (and sg_size, sg_lane) and, with
// SUBGROUPS, calls check_subgroup_layout() before any float sum.

var<workgroup> tree: array<f32, WORKGROUP>;   // float sums and the prefix scan
var<workgroup> acc_add: atomic<u32>;
var<workgroup> acc_min: atomic<u32>;
var<workgroup> acc_max: atomic<u32>;
var<workgroup> shared_u: vec3<u32>;           // (sum, min, max) handed out uniformly
var<workgroup> shared_f: f32;
var<workgroup> layout_broken: atomic<u32>;
var<workgroup> linear_subgroup_size: u32;    // 0: use the workgroup-memory tree

// Set once by main.
var<private> lid: u32;
var<private> sg_size: u32;
var<private> sg_lane: u32;

// (sum, min, max) over the workgroup: integer atomics, exact and order free.
fn combine_u(add: u32, low: u32, high: u32) -> vec3<u32> {
    workgroupBarrier();  // earlier readers of the accumulators are done
    if (lid == 0u) {
        atomicStore(&acc_add, 0u);
        atomicStore(&acc_min, 0xffffffffu);
        atomicStore(&acc_max, 0u);
    }
    workgroupBarrier();
#if SUBGROUPS
    let a = subgroupAdd(add);
    let l = subgroupMin(low);
    let h = subgroupMax(high);
    if (sg_lane == 0u) {
        atomicAdd(&acc_add, a);
        atomicMin(&acc_min, l);
        atomicMax(&acc_max, h);
    }
#else
    if (add != 0u) { atomicAdd(&acc_add, add); }
    if (low != 0xffffffffu) { atomicMin(&acc_min, low); }
    if (high != 0u) { atomicMax(&acc_max, high); }
#endif
    workgroupBarrier();
    if (lid == 0u) {
        shared_u = vec3<u32>(atomicLoad(&acc_add), atomicLoad(&acc_min), atomicLoad(&acc_max));
    }
    return workgroupUniformLoad(&shared_u);
}

fn tree_sum(value: f32) -> f32 {
    tree[lid] = value;
    workgroupBarrier();
    for (var stride = WORKGROUP / 2u; stride > 0u; stride >>= 1u) {
        if (lid < stride) {
            tree[lid] += tree[lid + stride];
        }
        workgroupBarrier();
    }
    return tree[0];
}

#if SUBGROUPS
// Subgroup sums, level by level; partial j of a level sits in tree[j].
// Valid only when subgroup k holds invocations [k*S, (k+1)*S) (checked in main).
fn subgroup_sum(value: f32, size: u32) -> f32 {
    var v = value;
    var live = WORKGROUP;  // partials still to combine, held by lid < live
    loop {
        let s = subgroupAdd(select(0.0, v, lid < live));
        workgroupBarrier();
        if (sg_lane == 0u && lid < live) {
            tree[lid / size] = s;
        }
        workgroupBarrier();
        live = (live + size - 1u) / size;
        if (live == 1u) { break; }
        v = select(0.0, tree[lid], lid < live);
    }
    return tree[0];
}
#endif

// Float sum over the workgroup, in a fixed order (the same inputs give the same bits).
fn reduce_sum(value: f32) -> f32 {
    // `size` is uniform (workgroupUniformLoad), as the loop of barriers needs;
    // the load is also the leading barrier.
    let size = workgroupUniformLoad(&linear_subgroup_size);
    var total: f32;
#if SUBGROUPS
    if (size != 0u) {
        total = subgroup_sum(value, size);
    } else {
        total = tree_sum(value);
    }
#else
    total = tree_sum(value);
#endif
    if (lid == 0u) {
        shared_f = total;
    }
    return workgroupUniformLoad(&shared_f);
}

#if SUBGROUPS
// Subgroup sums go through tree[lid / S] only when every subgroup is full, has
// the same size S, and holds one block [k*S, (k+1)*S) of invocations.
// layout_broken is cleared here: lavapipe was seen leaving it nonzero at the
// start of a workgroup, which silently kept every sum on the tree.
fn check_subgroup_layout() {
    if (lid == 0u) {
        atomicStore(&layout_broken, 0u);
    }
    workgroupBarrier();
    let block = lid / sg_size;
    let full = subgroupAdd(1u) == sg_size;
    let lowest = subgroupMin(block);  // both calls unconditional: Tint rejects one behind `&&`
    let highest = subgroupMax(block);
    let same = lowest == block && highest == block;
    if (!(full && same && WORKGROUP % sg_size == 0u)) {
        atomicOr(&layout_broken, 1u);
    }
    let sizes = combine_u(0u, sg_size, sg_size);
    if (lid == 0u) {
        let ok = atomicLoad(&layout_broken) == 0u && sizes.y == sizes.z;
        linear_subgroup_size = select(0u, sizes.y, ok);
    }
}
#endif

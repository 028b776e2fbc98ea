//===- Passes.td - kernel library lowering passes ----------*- tablegen -*-===//

#ifndef NHC_KERNELS_PASSES_TD
#define NHC_KERNELS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NHCGPUMapParallelLoopsPass
    : Pass<"nhc-gpu-map-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "Tile kernel parallel loops into blocks of threads and map "
                "them to the GPU grid";
  let description = [{
    Kernel-library functions express their independent work as one or more
    top-level `scf.parallel` loops (docs/kernels.md). This pass tiles the
    **last** dimension of each such loop by `block-size` (with a bounds guard
    instead of `min` bounds, so the thread count is a constant) and attaches
    the `gpu.loop_dim_map` mapping that `convert-parallel-loops-to-gpu`
    consumes:

    - outer loop: the tile count of the last dimension to `block_x` (the only
      grid dimension allowed more than 65535 blocks), dimensions 0 and 1 to
      `block_y` and `block_z`, any further dimension runs sequentially;
    - inner loop: the last dimension to `thread_x`, the others (extent 1)
      sequentially.

    Kernels therefore put their widest, contiguous dimension last.

    Before:
    ```mlir
    scf.parallel (%r, %c) = (%c0, %c0) to (%R, %C) step (%c1, %c1) { ... }
    ```
    After (block-size=128):
    ```mlir
    scf.parallel (%r, %c0t) = (%c0, %c0) to (%R, %C) step (%c1, %c128) {
      scf.parallel (%i, %j) = (%c0, %c0) to (%c1, %c128) step (%c1, %c1) {
        %c = arith.addi %j, %c0t : index
        scf.if (%c < %C) { ... }
      } {mapping = [#gpu.loop_dim_map<processor = sequential, ...>,
                    #gpu.loop_dim_map<processor = thread_x, ...>]}
    } {mapping = [#gpu.loop_dim_map<processor = block_y, ...>,
                  #gpu.loop_dim_map<processor = block_x, ...>]}
    ```
    Loops with reductions or with nested `scf.parallel` are rejected.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"128",
           "Threads per block (tile size of the last parallel dimension)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def NHCSelectKernelVariantsPass
    : Pass<"nhc-select-kernel-variants", "::mlir::ModuleOp"> {
  let summary = "Keep the kernel library's forms for one target (first in "
                "the host and GPU pipelines)";
  let description = [{
    Some kernels of the library exist for the host only: the decode GEMV
    microkernels of `gemv.mlir` (one thread walks a whole weight row, the
    wrong shape for a GPU, where cuBLASLt serves). They carry the unit
    attribute `nhc.host_only`. Others have a GPU form besides the portable
    one: a private function with `nhc.gpu_variant_of = "<kernel>"` and the
    kernel's type, written with the gpu dialect (a `gpu.launch` whose
    threads cooperate through workgroup memory and barriers; `*_gpu.mlir`).

    With `target=gpu` this pass erases the host-only kernels and gives each
    kernel with a GPU form that form's body (so the launch table lists the
    GPU form's launches under the kernel's name); with `target=host` it
    erases the GPU forms. Calls in a GPU form's launches are inlined (a
    block function's barriers and warp-level `nvgpu` ops included), so a
    form may call one function from two launches with different constant
    arguments and get two specialized kernels. The pipelines' `symbol-dce`
    then drops private
    helpers nothing calls. A GPU form of no kernel, or of a different type,
    is an error, and so is a second GPU form of a kernel or a call in a
    form's launch that cannot be inlined (to a host-only kernel).

    ```mlir
    func.func @nhc_rms_norm(...) { scf.parallel ... }
    func.func private @nhc_rms_norm_gpu(...)
        attributes {nhc.gpu_variant_of = "nhc_rms_norm"} { gpu.launch ... }
    // target=gpu: @nhc_rms_norm(...) { gpu.launch ... }
    // target=host: @nhc_rms_norm(...) { scf.parallel ... }
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"gpu\"",
           "The target the library is compiled for: gpu or host">,
  ];
}

def NHCEmulateGPUKernelsPass
    : Pass<"nhc-emulate-gpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Turn outlined GPU kernels into host functions that run "
                "every thread of a grid in turn (a test double's kernels)";
  let description = [{
    For testing a GPU launcher without a GPU: each `gpu.func` kernel of the
    module's `gpu.module`s becomes a public `func.func` of the same name with
    seven more `index` arguments, the grid's and the block's x, y, z sizes
    and the launch's dynamic shared memory bytes, whose body loops over every block and every thread of the launch and
    runs the kernel body once per thread, `gpu.block_id` / `gpu.thread_id` /
    `gpu.grid_dim` / `gpu.block_dim` replaced by the loop indices and sizes.
    Each also gets `@<kernel>_abi_slots() -> i64`: the number of LLVM-level
    parameters of the kernel (a memref being five), which is how many
    `kernelParams` a launcher passes, and
    `@<kernel>_static_shared_bytes() -> i64`: the bytes of its workgroup
    buffers (what `CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES` reports, less
    alignment). Everything else in the module (the host functions, the
    `gpu.module`s) is erased.

    Threads of a block that meet at `gpu.barrier` run in turns between the
    barriers (loop fission): each stretch of the body between two barriers
    becomes its own loop nest over the block's threads, so every thread
    finishes what precedes a barrier before any thread goes on. A barrier
    may stand in the body, in `scf.for` loops or in `scf.if` branches
    (placed so themselves); such a loop runs once per block with its body's
    stretches inside, such a branch is taken or not by the whole block (its
    condition must be the same in every thread), the values they carry or
    yield (`iter_args`, results; scalars or vectors of scalars) kept per
    thread like values that cross a barrier. Workgroup buffers (static shapes) are allocated once, before the
    block loops, and reused by each block in turn (their contents start
    undefined on a GPU too). Dynamic shared memory is one heap buffer of the
    launch's bytes, allocated the same way: each `gpu.dynamic_shared_memory`
    must be in the body, used only by 1-D `memref.view`s of 32-bit elements
    in the body whose offset and size are computed from the kernel's
    arguments and constants (so the views are made once, before the block
    loops; a view not within the launch's bytes on 4-byte words aborts the
    run), each view used only by loads and stores;
    a scalar value (or a vector of scalars, kept as its elements) defined
    before a barrier and used after it is kept per thread in an array of the
    block's size; constants are made again where used.

    A warp's tensor-core product, `nvgpu.mma.sync`, is a sync point as well
    (placed as a barrier may be): the stretch before it ends, then one loop
    over the block's threads (consecutive mmas, none taking another's
    result as a fragment, share one loop)
    computes each thread's accumulator fragment from the fragments its
    warp's lanes (threads t - t % 32 .. +31) kept, by the PTX ISA's fragment
    layouts, summing in k order in f32 (a private helper function per
    shape, `__nhc_emulated_mma_*`, called per thread and mma). Shapes:
    m16n8k16 with f16 operands, m16n8k8 with tf32 ones (their low 13 bits
    dropped, as the tensor cores ignore them), f32 accumulators. MLIR 22's
    `convert-nvgpu-to-nvvm` cannot lower bf16 operands; tf32 holds every
    bf16 value exactly.

    A `gpu.shuffle` (width the constant 32: whole warps) is a sync point
    too: one loop over the block's threads in which each thread reads its
    source lane's kept value (xor, down, up or idx by the offset's low 5
    bits, in its own warp, as `shfl.sync` does); a source outside lanes
    0..31 leaves the thread its own value with `valid` false (what
    `shfl.sync` returns), one past the block's threads aborts the run. Since its placement rules are a barrier's, a
    shuffle the emulation runs is uniform over the whole block, stricter
    than the warp a GPU needs.

    The pass fails, naming the kernel, for any other gpu or nvgpu op
    (subgroup operations would need threads in lockstep), a shuffle over
    other widths, a barrier, mma or shuffle under other control flow,
    private memory attributions, a
    workgroup buffer used other than by loads and stores, dynamic shared
    memory used other than as above, and a value of
    another type used across a barrier, an mma or a shuffle. Threads run in turns, so races between them do not show as
    such; with `reverse-order` blocks and threads run in descending order,
    so a result that changes with it depends on the order of threads that
    no barrier fixes (the kernel unit tests run both orders).

    With `check-races`, each workgroup element records the thread and the
    barrier interval (epoch) of its last write and reads; a thread that
    reads an element another thread wrote in the same interval, or writes
    one another thread read or wrote in it, aborts the run with a message
    naming the kernel (`cf.assert`), and so does a loop (a branch) holding
    a sync point whose bounds (condition) differ between the threads of a
    block. Intervals count
    real barriers only, so the boundaries of the emulation's loops (which
    order threads as a barrier would) do not hide a missing one. Views of
    the dynamic shared memory share its tags per 4-byte word (aliasing
    views see each other's accesses).

    Always, what a GPU does not forgive and the host would: every load and
    store (scalar or vector, global or workgroup memory; not atomics,
    masked or gather loads, or copies, which no kernel uses) asserts that
    each element it touches is inside its memref, per dimension; every
    `memref.view` the kernel makes of a byte buffer asserts that it lies
    within the buffer; and a vector load or store with an `alignment`
    asserts that its address is a multiple of it (`ld.global.v4` faults
    otherwise). Each message names the kernel and the source location.
    Workgroup buffers and dynamic shared memory are refilled with all-ones
    bits (NaN as a float) at each block's start, since shared memory starts
    undefined on a GPU: a value read before any thread of the block wrote
    it shows in the results unless the kernel discards it.

    ```mlir
    gpu.module @nhc_kernels {
      gpu.func @k(%a: memref<?xf32>) kernel {
        %t = gpu.thread_id x
        ...
      }
    }
    // becomes
    func.func @k(%a: memref<?xf32>, %gx: index, %gy: index, %gz: index,
                 %bx: index, %by: index, %bz: index, %shared: index) {
      scf.for %iz = 0 to %gz { ... scf.for %tx = 0 to %bx { ... } }
    }
    func.func @k_abi_slots() -> i64 { return 5 }
    func.func @k_static_shared_bytes() -> i64 { return 0 }
    ```

    With `keep-launchers`, the host functions stay instead (and no
    `_abi_slots` functions are made): each `gpu.launch_func` becomes a
    `func.call` of its emulated kernel with the launch's grid and block
    sizes, so every library kernel keeps its own signature and runs its GPU
    body, grid computation included (the kernel unit tests' `gpu-form.`
    run), the launch's dynamic shared memory bytes (0 without) last. A
    launch with async tokens is an error.
  }];
  let options = [
    Option<"keepLaunchers", "keep-launchers", "bool", /*default=*/"false",
           "Keep the host functions, their launches calling the emulated "
           "kernels">,
    Option<"reverseOrder", "reverse-order", "bool", /*default=*/"false",
           "Run the blocks, and the threads between two barriers, in "
           "descending order">,
    Option<"checkRaces", "check-races", "bool", /*default=*/"false",
           "Abort when threads of a block touch a workgroup element between "
           "two barriers (not all reads) or a loop or branch holding a "
           "barrier or mma has bounds or a condition that differ between "
           "them">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::cf::ControlFlowDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def NHCGPUMergeModulesPass
    : Pass<"nhc-gpu-merge-modules", "::mlir::ModuleOp"> {
  let summary = "Merge all outlined gpu.modules into one";
  let description = [{
    `gpu-kernel-outlining` puts every launch into its own `gpu.module`. The
    kernel library ships one PTX module per chip, so this pass moves every
    kernel into a single `gpu.module` named `name` and rewrites the
    `gpu.launch_func` symbol references. A kernel whose module one host
    function F launches is named after F and its place among the modules F
    launches: `F_kernel`, then `F_kernel_1`, `F_kernel_2`, ... (e.g.
    `nhc_attention_kernel` .. `nhc_attention_kernel_4` for the five
    launches of `nhc_attention`'s GPU form), so a kernel's name does not
    change when another function gains a launch; a kernel launched from
    several functions takes its module's name, and one of a module of
    several kernels `<module>_<kernel>`. Other
    symbols keep their names: identical copies (a helper outlining copied
    into each module that calls it) become one, different ones with the same
    name are an error.
  }];
  let options = [
    Option<"moduleName", "name", "std::string", /*default=*/"\"nhc_kernels\"",
           "Symbol name of the merged gpu.module">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def NHCAddSlicedKernelsPass
    : Pass<"nhc-add-sliced-kernels", "::mlir::ModuleOp"> {
  let summary = "Add a sliced, phased variant of every kernel, for the host's "
                "threads";
  let description = [{
    A kernel whose work is a sequence of top-level `scf.parallel` loops
    (everything else in its body reads memory at most) gets a public clone
    `@<kernel>_sliced` taking three more `index` arguments, `slice`, `slices`
    and `phase`, and returning whether a later phase exists (`i1`). Phase `i`
    runs loop `i` only, and only its share: the loop's dimensions are
    collapsed into one of `n` iterations and the clone runs iterations
    `[n * slice / slices, n * (slice + 1) / slices)`. The host runtime calls
    the clone once per thread with `slice` = 0 .. `slices` - 1 at the same
    time, for phase 0, 1, ... until it returns false, finishing every slice
    of a phase before the next (the barrier that attention's K/V append and
    its attend loop need). The iterations of an `scf.parallel` are
    independent, so the results do not depend on the thread count. Kernels
    with a reduction loop or a write outside their loops get no clone.

    ```mlir
    func.func @nhc_add(%r: memref<?xf32>, %u: memref<?xf32>, %n: index) {
      scf.parallel (%i) = (%c0) to (%n) step (%c1) { ... }
    }
    // gains
    func.func @nhc_add_sliced(%r: memref<?xf32>, %u: memref<?xf32>, %n: index,
                              %slice: index, %slices: index, %phase: index)
        -> i1 {
      scf.if %phase == 0 {
        // lo = n * slice / slices, hi = n * (slice + 1) / slices
        scf.parallel (%i) = (%lo) to (%hi) step (%c1) { ... }
      }
      return %phase + 1 < 1
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def NHCAddBf16StateKernelsPass
    : Pass<"nhc-add-bf16-state-kernels", "::mlir::ModuleOp"> {
  let summary = "Add a kernel's form that keeps marked state arguments as "
                "bf16 (first, when the library is parsed)";
  let description = [{
    A kernel with `nhc.bf16_state_form = "<name>"` gets a public clone
    `@<name>` in which every argument marked `nhc.bf16_state` (a
    `memref<?xf32>`) is a `memref<?xi16>` of bf16 bits: a load of it widens
    the bits to f32 (exactly), a store rounds the f32 to the nearest bf16
    by calling the module's `@nhc_bf16_bits : (f32) -> i32`
    (lib/Kernels/device_ops.mlir: ties to even, NaN stays a quiet NaN, as
    torch's `.to(torch.bfloat16)`; a store without it is an error);
    `vector.load`/`vector.store` do the same per lane with their
    `alignment` halved (an f32 access proven 16-byte aligned by its base
    pointer and an element offset divisible by 4 is 8-byte aligned at half
    the element size). The indices are elements, so index arithmetic is
    unchanged. A helper called with such an argument is cloned the same way
    (`@<helper>_bf16_<i>...`, the narrowed argument positions), and the
    kernel's GPU form (`nhc.gpu_variant_of`) gets a clone that is the new
    kernel's GPU form. `memref.prefetch` and
    `memref.extract_aligned_pointer_as_index` take the new argument as is
    (so byte arithmetic on the address is the kernel's to keep valid for
    2-byte elements: the attention's 16-byte alignment test is stricter than
    its 8-byte bf16 loads need); any other use of it is an error naming the
    op. The markers are removed.
    Used for the attention's KV cache (`nhc_attention_bf16_kv`,
    docs/kernels.md): half the bytes per cached position, where the
    computation stays f32.

    ```mlir
    func.func @k(%c: memref<?xf32> {nhc.bf16_state}, %i: index)
        attributes {nhc.bf16_state_form = "k_bf16"} {
      %x = memref.load %c[%i] : memref<?xf32>
      ...
    }
    // gains
    func.func @k_bf16(%c: memref<?xi16>, %i: index) {
      %b = memref.load %c[%i] : memref<?xi16>
      %x = arith.bitcast (arith.shli (arith.extui %b : i16 to i32), 16) : i32 to f32
      ...
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def NHCHoistStaticAllocasPass
    : Pass<"nhc-hoist-static-allocas", "::mlir::func::FuncOp"> {
  let summary = "Move host code's stack buffers to the function's entry "
                "block, once per call";
  let description = [{
    A `memref.alloca` inside a loop gets fresh stack memory every iteration.
    `scf.parallel` is an automatic allocation scope, so canonicalization
    inlines a `memref.alloca_scope` that ends its body; `convert-scf-to-cf`
    then lowers the loop without `llvm.stacksave`/`llvm.stackrestore`, and an
    `alloca` in a loop block grows the stack with every iteration for the
    whole kernel call. (An `alloca_scope` that keeps a loop cannot be lowered
    at all: the loop becomes blocks, and the scope allows one.)

    Host code runs a function's loop iterations one after another on one
    thread (a sliced kernel's threads each make their own call), so one
    buffer per call serves every iteration. This pass moves every
    `memref.alloca` of a static shape that is not in the function's entry
    block to the start of it (LLVM's static allocas, reserved once in the
    prologue), and inlines the `memref.alloca_scope`s left without
    allocations. An allocation with a dynamic size inside a loop, or one
    whose buffer is yielded or branched out of its region (two iterations
    could hold it at once), is an error; one with a dynamic size outside
    loops stays where it is (it runs at most once per call). Runs first in the host
    lowering (`buildHostCodeToLLVMPipeline`), after the last
    canonicalization.

    ```mlir
    scf.parallel (%i) = (%c0) to (%n) step (%c1) {
      memref.alloca_scope {
        %buf = memref.alloca() : memref<64xf32>
        scf.for ... { ... %buf ... }
      }
    }
    // becomes
    %buf = memref.alloca() : memref<64xf32>
    ...
    scf.parallel (%i) = (%c0) to (%n) step (%c1) {
      scf.for ... { ... %buf ... }
    }
    ```
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def NHCExternDynamicSharedMemoryPass
    : Pass<"nhc-extern-dynamic-shared-memory", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Make the NVVM lowering's dynamic shared memory symbols "
                "extern, so PTX places them after the static shared memory";
  let description = [{
    `convert-gpu-to-nvvm` (MLIR 22) lowers `gpu.dynamic_shared_memory` to
    an internal zero-sized `llvm.mlir.global` in address space 3, which the
    NVPTX backend prints as `.shared .align 16 .b8 __dynamic_shmem__0;`: a
    one-byte static variable that ptxas places among the kernel's static
    shared memory, so a kernel with workgroup buffers and dynamic shared
    memory would write its dynamic bytes over its static ones. CUDA's
    dynamic shared memory is an extern array of unknown size (`extern
    __shared__ char buf[];`, PTX ISA "Variables: .shared"), which the
    backend prints for an external zero-sized global. This pass gives every
    zero-sized, uninitialized global of the shared address space (3)
    external linkage.

    ```mlir
    llvm.mlir.global internal @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
    // becomes
    llvm.mlir.global external @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def NHCAlignWorkgroupMemoryPass
    : Pass<"nhc-align-workgroup-memory", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Align every kernel's workgroup buffers for the widest "
                "vector access (16 bytes)";
  let description = [{
    `convert-gpu-to-nvvm` (MLIR 22) lowers a `gpu.func` workgroup
    attribution to an `llvm.mlir.global` in the shared address space with
    the alignment of its element type unless the attribution carries
    `llvm.align`: an f32 buffer becomes `.shared .align 4`. The NVPTX
    backend still merges neighbouring loads and stores of such a buffer
    into `ld.shared.v4`/`v2` (16 and 8 bytes), which the PTX ISA requires
    to be aligned to their whole size ("Vectors", "Addresses as Operands");
    whether the buffer happens to be is up to where ptxas places it, and a
    misaligned one faults (`CUDA_ERROR_MISALIGNED_ADDRESS`) only on a GPU.
    This pass gives every workgroup attribution of every `gpu.func`
    `llvm.align` of at least `alignment` bytes (an attribution's larger
    one is kept).

    ```mlir
    gpu.func @k() workgroup(%b : memref<1024xf32, #gpu.address_space<workgroup>>) kernel
    // becomes
    gpu.func @k() workgroup(%b : memref<1024xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
    ```
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", "16",
           "least alignment in bytes (a power of two)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def NHCInsertGridDependencyControlPass
    : Pass<"nhc-insert-grid-dependency-control", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Start every kernel with griddepcontrol.wait and "
                "launch_dependents, so launches may overlap their "
                "predecessors (programmatic dependent launch, sm_90+)";
  let description = [{
    Programmatic dependent launch (CUDA Programming Guide, "Programmatic
    Dependent Launch and Synchronization"; PTX ISA, `griddepcontrol`) lets
    the driver start a kernel launched with
    `CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION` before the
    kernel ahead of it on the stream has finished: its launch and its
    blocks' placement overlap the predecessor's last blocks, which at one
    decode token is a large part of a small kernel's time. Such a kernel
    must itself wait for its predecessor before it reads anything:
    `griddepcontrol.wait` blocks until every prerequisite grid has
    completed and its memory is visible.

    This pass puts, at the start of every kernel's entry block (before any
    load, in every block of every grid, so a kernel never completes before
    its predecessor and the stream's order stays transitive):

    ```mlir
    nvvm.griddepcontrol wait
    nvvm.griddepcontrol launch_dependents
    ```

    `launch_dependents` after the wait lets the next kernel be placed once
    every block of this one has started, and at most one grid runs ahead
    of the one it waits for. Without the launch attribute both are no-ops,
    so the code is correct under any launch; the runtime launches with the
    attribute only code this pass ran on (the launch table's
    `grid_dependency_control`, docs/artifact-format.md). `griddepcontrol`
    needs sm_90 or newer and PTX ISA 7.8: a module with an `#nvvm.target`
    for an older chip, or whose features name an older PTX ISA, is an
    error.
  }];
  let dependentDialects = ["::mlir::NVVM::NVVMDialect"];
}

#endif // NHC_KERNELS_PASSES_TD

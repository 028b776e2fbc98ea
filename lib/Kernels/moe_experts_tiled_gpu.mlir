// GPU form of nhc_moe_expert_matmul_bf16_tiled (moe_experts.mlir): the
// routed experts' products of a step with many routes per expert (a
// prefill) on tensor cores. One block of 256 threads per (64 output
// columns, active entry); the block walks its expert's sorted routes 64 at
// a time, each tile y = X Wᵀ over k 32 at a time, as the attention
// prefill's S = Q Kᵀ (gen-gpu-tiles.py's 64 x 64 product: 8 warps, each a
// 16 x 32 part as four m16n8k8 tf32 mmas; operands staged k-major, rows 72
// floats apart). x is rounded to bf16 and the weights are bf16, so every
// operand is exact in tf32 and one mma per product computes the products
// exactly, summed in f32 (in another order than the portable form's).
// Each weight tile is read once per 64 routes of its expert, where
// nhc_moe_expert_matmul_bf16's GPU form reads it once per 4: past a few
// routes per expert (a prefill's) this form moves a sixteenth of the
// weight bytes and does its products on tensor cores. A thread stages 8
// columns of one row of x and of the weight per stage, as 16-byte loads
// where the rows are aligned (nhc_moe_tile_stage_bf16). Not measured on a GPU.
// Both dtypes' kernels and staging functions are written whole by
// tools/scripts/gen-gpu-tiles.py (they differ in the weight's type, width
// and widening only); the helpers below are written by hand.
// BEGIN GENERATED experts: tools/scripts/gen-gpu-tiles.py
func.func private @nhc_moe_expert_matmul_bf16_tiled_gpu(
    %x: memref<?xf32>, %token: memref<?xi32>, %offsets: memref<?xi32>,
    %active: memref<?xi32>, %w: memref<?xi16>, %y: memref<?xf32>, %A: index,
    %n: index, %k: index, %gather: index, %act: index)
    attributes {nhc.gpu_variant_of = "nhc_moe_expert_matmul_bf16_tiled"} {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %tiles = arith.ceildivsi %n, %c64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %tiles, %gy = %A, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%stage : memref<4608xf32, #gpu.address_space<workgroup>>,
                       %srcRows : memref<64xi32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %c16 = arith.constant 16 : index
    %c24 = arith.constant 24 : index
    %c32 = arith.constant 32 : index
    %c72 = arith.constant 72 : index
    %kTile = arith.constant 64 : index
    // One mma per product: the operands are exact in tf32.
    %allTerms = arith.constant false
    %range:3 = func.call @nhc_moe_expert_range(%offsets, %active, %by)
        : (memref<?xi32>, memref<?xi32>, index) -> (index, index, index)
    %j0 = arith.muli %bx, %kTile : index
    %wBase = func.call @nhc_moe_weight_row(%range#0, %c0, %n, %k)
        : (index, index, index, index) -> index
    %doGather = arith.cmpi ne, %gather, %c0 : index
    %wAddress = memref.extract_aligned_pointer_as_index %w : memref<?xi16> -> index
    %xAddress = memref.extract_aligned_pointer_as_index %x : memref<?xf32> -> index
    %chunked = func.call @nhc_moe_tile_chunked(%xAddress, %wAddress, %k, %c2)
        : (index, index, index, index) -> i1
    // This lane's places in its warp's 16 x 32 part of a 64 x 64 tile.
    %laneId = arith.remui %tx, %c32 : index
    %warpId = arith.divui %tx, %c32 : index
    %g = arith.divui %laneId, %c4 : index
    %t = arith.remui %laneId, %c4 : index
    %wm = arith.remui %warpId, %c4 : index
    %wn = arith.divui %warpId, %c4 : index
    %mBase = arith.muli %wm, %c16 : index
    %nBase = arith.muli %wn, %c32 : index
    %rowA = arith.addi %mBase, %g : index
    %rowB = arith.addi %rowA, %c8 : index
    %t2 = arith.muli %t, %c2 : index
    %t4 = arith.addi %t, %c4 : index
    %tk0 = arith.muli %t, %c72 : index
    %tk4 = arith.muli %t4, %c72 : index
    %nj0 = arith.addi %nBase, %c0 : index
    %bn0 = arith.addi %nj0, %g : index
    %cj00 = arith.addi %nj0, %t2 : index
    %cj01 = arith.addi %cj00, %one : index
    %pc00 = arith.muli %cj00, %c72 : index
    %pc01 = arith.muli %cj01, %c72 : index
    %nj1 = arith.addi %nBase, %c8 : index
    %bn1 = arith.addi %nj1, %g : index
    %cj10 = arith.addi %nj1, %t2 : index
    %cj11 = arith.addi %cj10, %one : index
    %pc10 = arith.muli %cj10, %c72 : index
    %pc11 = arith.muli %cj11, %c72 : index
    %nj2 = arith.addi %nBase, %c16 : index
    %bn2 = arith.addi %nj2, %g : index
    %cj20 = arith.addi %nj2, %t2 : index
    %cj21 = arith.addi %cj20, %one : index
    %pc20 = arith.muli %cj20, %c72 : index
    %pc21 = arith.muli %cj21, %c72 : index
    %nj3 = arith.addi %nBase, %c24 : index
    %bn3 = arith.addi %nj3, %g : index
    %cj30 = arith.addi %nj3, %t2 : index
    %cj31 = arith.addi %cj30, %one : index
    %pc30 = arith.muli %cj30, %c72 : index
    %pc31 = arith.muli %cj31, %c72 : index
    scf.for %p0 = %range#1 to %range#2 step %kTile {
      %left = arith.subi %range#2, %p0 : index
      %rows = arith.minui %left, %kTile : index
      func.call @nhc_moe_tile_sources(%token, %srcRows, %p0, %rows, %range#1, %doGather, %tx)
          : (memref<?xi32>, memref<64xi32, #gpu.address_space<workgroup>>, index, index, index, i1, index) -> ()
      gpu.barrier
      %ezero = arith.constant dense<0.0> : vector<2x2xf32>
      %eacc:4 = scf.for %k0 = %c0 to %k step %c32
          iter_args(%ea0 = %ezero, %ea1 = %ezero, %ea2 = %ezero, %ea3 = %ezero) -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        func.call @nhc_moe_tile_stage_bf16(%x, %srcRows, %w, %wBase, %k0, %rows, %j0, %n, %k, %tx, %chunked, %stage)
            : (memref<?xf32>, memref<64xi32, #gpu.address_space<workgroup>>, memref<?xi16>, index, index, index, index, index, index, index, i1, memref<4608xf32, #gpu.address_space<workgroup>>) -> ()
        gpu.barrier
        %e0k = arith.constant 0 : index
        %e0kb = arith.constant 2304 : index
        %e0ao0 = arith.addi %e0k, %tk0 : index
        %e0ai0 = arith.addi %e0ao0, %rowA : index
        %e0a0 = memref.load %stage[%e0ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0ao1 = arith.addi %e0k, %tk0 : index
        %e0ai1 = arith.addi %e0ao1, %rowB : index
        %e0a1 = memref.load %stage[%e0ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0ao2 = arith.addi %e0k, %tk4 : index
        %e0ai2 = arith.addi %e0ao2, %rowA : index
        %e0a2 = memref.load %stage[%e0ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0ao3 = arith.addi %e0k, %tk4 : index
        %e0ai3 = arith.addi %e0ao3, %rowB : index
        %e0a3 = memref.load %stage[%e0ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0A:2 = func.call @nhc_tf32_split4(%e0a0, %e0a1, %e0a2, %e0a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %e0bo00 = arith.addi %e0kb, %tk0 : index
        %e0bi00 = arith.addi %e0bo00, %bn0 : index
        %e0b00 = memref.load %stage[%e0bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0bo01 = arith.addi %e0kb, %tk4 : index
        %e0bi01 = arith.addi %e0bo01, %bn0 : index
        %e0b01 = memref.load %stage[%e0bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0B0:2 = func.call @nhc_tf32_split2(%e0b00, %e0b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e0bo10 = arith.addi %e0kb, %tk0 : index
        %e0bi10 = arith.addi %e0bo10, %bn1 : index
        %e0b10 = memref.load %stage[%e0bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0bo11 = arith.addi %e0kb, %tk4 : index
        %e0bi11 = arith.addi %e0bo11, %bn1 : index
        %e0b11 = memref.load %stage[%e0bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0B1:2 = func.call @nhc_tf32_split2(%e0b10, %e0b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e0bo20 = arith.addi %e0kb, %tk0 : index
        %e0bi20 = arith.addi %e0bo20, %bn2 : index
        %e0b20 = memref.load %stage[%e0bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0bo21 = arith.addi %e0kb, %tk4 : index
        %e0bi21 = arith.addi %e0bo21, %bn2 : index
        %e0b21 = memref.load %stage[%e0bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0B2:2 = func.call @nhc_tf32_split2(%e0b20, %e0b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e0bo30 = arith.addi %e0kb, %tk0 : index
        %e0bi30 = arith.addi %e0bo30, %bn3 : index
        %e0b30 = memref.load %stage[%e0bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0bo31 = arith.addi %e0kb, %tk4 : index
        %e0bi31 = arith.addi %e0bo31, %bn3 : index
        %e0b31 = memref.load %stage[%e0bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0B3:2 = func.call @nhc_tf32_split2(%e0b30, %e0b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e0s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %e0m00 = nvgpu.mma.sync (%e0A#0, %e0B0#1, %ea0) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m10 = nvgpu.mma.sync (%e0A#0, %e0B1#1, %ea1) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m20 = nvgpu.mma.sync (%e0A#0, %e0B2#1, %ea2) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m30 = nvgpu.mma.sync (%e0A#0, %e0B3#1, %ea3) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m01 = nvgpu.mma.sync (%e0A#1, %e0B0#0, %e0m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m11 = nvgpu.mma.sync (%e0A#1, %e0B1#0, %e0m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m21 = nvgpu.mma.sync (%e0A#1, %e0B2#0, %e0m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m31 = nvgpu.mma.sync (%e0A#1, %e0B3#0, %e0m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %e0m01, %e0m11, %e0m21, %e0m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %ea0, %ea1, %ea2, %ea3 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %e0m02 = nvgpu.mma.sync (%e0A#0, %e0B0#0, %e0s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e0m12 = nvgpu.mma.sync (%e0A#0, %e0B1#0, %e0s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e0m22 = nvgpu.mma.sync (%e0A#0, %e0B2#0, %e0s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e0m32 = nvgpu.mma.sync (%e0A#0, %e0B3#0, %e0s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e1k = arith.constant 576 : index
        %e1kb = arith.constant 2880 : index
        %e1ao0 = arith.addi %e1k, %tk0 : index
        %e1ai0 = arith.addi %e1ao0, %rowA : index
        %e1a0 = memref.load %stage[%e1ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1ao1 = arith.addi %e1k, %tk0 : index
        %e1ai1 = arith.addi %e1ao1, %rowB : index
        %e1a1 = memref.load %stage[%e1ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1ao2 = arith.addi %e1k, %tk4 : index
        %e1ai2 = arith.addi %e1ao2, %rowA : index
        %e1a2 = memref.load %stage[%e1ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1ao3 = arith.addi %e1k, %tk4 : index
        %e1ai3 = arith.addi %e1ao3, %rowB : index
        %e1a3 = memref.load %stage[%e1ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1A:2 = func.call @nhc_tf32_split4(%e1a0, %e1a1, %e1a2, %e1a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %e1bo00 = arith.addi %e1kb, %tk0 : index
        %e1bi00 = arith.addi %e1bo00, %bn0 : index
        %e1b00 = memref.load %stage[%e1bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1bo01 = arith.addi %e1kb, %tk4 : index
        %e1bi01 = arith.addi %e1bo01, %bn0 : index
        %e1b01 = memref.load %stage[%e1bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1B0:2 = func.call @nhc_tf32_split2(%e1b00, %e1b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e1bo10 = arith.addi %e1kb, %tk0 : index
        %e1bi10 = arith.addi %e1bo10, %bn1 : index
        %e1b10 = memref.load %stage[%e1bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1bo11 = arith.addi %e1kb, %tk4 : index
        %e1bi11 = arith.addi %e1bo11, %bn1 : index
        %e1b11 = memref.load %stage[%e1bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1B1:2 = func.call @nhc_tf32_split2(%e1b10, %e1b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e1bo20 = arith.addi %e1kb, %tk0 : index
        %e1bi20 = arith.addi %e1bo20, %bn2 : index
        %e1b20 = memref.load %stage[%e1bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1bo21 = arith.addi %e1kb, %tk4 : index
        %e1bi21 = arith.addi %e1bo21, %bn2 : index
        %e1b21 = memref.load %stage[%e1bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1B2:2 = func.call @nhc_tf32_split2(%e1b20, %e1b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e1bo30 = arith.addi %e1kb, %tk0 : index
        %e1bi30 = arith.addi %e1bo30, %bn3 : index
        %e1b30 = memref.load %stage[%e1bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1bo31 = arith.addi %e1kb, %tk4 : index
        %e1bi31 = arith.addi %e1bo31, %bn3 : index
        %e1b31 = memref.load %stage[%e1bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1B3:2 = func.call @nhc_tf32_split2(%e1b30, %e1b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e1s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %e1m00 = nvgpu.mma.sync (%e1A#0, %e1B0#1, %e0m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m10 = nvgpu.mma.sync (%e1A#0, %e1B1#1, %e0m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m20 = nvgpu.mma.sync (%e1A#0, %e1B2#1, %e0m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m30 = nvgpu.mma.sync (%e1A#0, %e1B3#1, %e0m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m01 = nvgpu.mma.sync (%e1A#1, %e1B0#0, %e1m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m11 = nvgpu.mma.sync (%e1A#1, %e1B1#0, %e1m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m21 = nvgpu.mma.sync (%e1A#1, %e1B2#0, %e1m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m31 = nvgpu.mma.sync (%e1A#1, %e1B3#0, %e1m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %e1m01, %e1m11, %e1m21, %e1m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %e0m02, %e0m12, %e0m22, %e0m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %e1m02 = nvgpu.mma.sync (%e1A#0, %e1B0#0, %e1s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e1m12 = nvgpu.mma.sync (%e1A#0, %e1B1#0, %e1s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e1m22 = nvgpu.mma.sync (%e1A#0, %e1B2#0, %e1s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e1m32 = nvgpu.mma.sync (%e1A#0, %e1B3#0, %e1s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e2k = arith.constant 1152 : index
        %e2kb = arith.constant 3456 : index
        %e2ao0 = arith.addi %e2k, %tk0 : index
        %e2ai0 = arith.addi %e2ao0, %rowA : index
        %e2a0 = memref.load %stage[%e2ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2ao1 = arith.addi %e2k, %tk0 : index
        %e2ai1 = arith.addi %e2ao1, %rowB : index
        %e2a1 = memref.load %stage[%e2ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2ao2 = arith.addi %e2k, %tk4 : index
        %e2ai2 = arith.addi %e2ao2, %rowA : index
        %e2a2 = memref.load %stage[%e2ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2ao3 = arith.addi %e2k, %tk4 : index
        %e2ai3 = arith.addi %e2ao3, %rowB : index
        %e2a3 = memref.load %stage[%e2ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2A:2 = func.call @nhc_tf32_split4(%e2a0, %e2a1, %e2a2, %e2a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %e2bo00 = arith.addi %e2kb, %tk0 : index
        %e2bi00 = arith.addi %e2bo00, %bn0 : index
        %e2b00 = memref.load %stage[%e2bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2bo01 = arith.addi %e2kb, %tk4 : index
        %e2bi01 = arith.addi %e2bo01, %bn0 : index
        %e2b01 = memref.load %stage[%e2bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2B0:2 = func.call @nhc_tf32_split2(%e2b00, %e2b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e2bo10 = arith.addi %e2kb, %tk0 : index
        %e2bi10 = arith.addi %e2bo10, %bn1 : index
        %e2b10 = memref.load %stage[%e2bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2bo11 = arith.addi %e2kb, %tk4 : index
        %e2bi11 = arith.addi %e2bo11, %bn1 : index
        %e2b11 = memref.load %stage[%e2bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2B1:2 = func.call @nhc_tf32_split2(%e2b10, %e2b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e2bo20 = arith.addi %e2kb, %tk0 : index
        %e2bi20 = arith.addi %e2bo20, %bn2 : index
        %e2b20 = memref.load %stage[%e2bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2bo21 = arith.addi %e2kb, %tk4 : index
        %e2bi21 = arith.addi %e2bo21, %bn2 : index
        %e2b21 = memref.load %stage[%e2bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2B2:2 = func.call @nhc_tf32_split2(%e2b20, %e2b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e2bo30 = arith.addi %e2kb, %tk0 : index
        %e2bi30 = arith.addi %e2bo30, %bn3 : index
        %e2b30 = memref.load %stage[%e2bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2bo31 = arith.addi %e2kb, %tk4 : index
        %e2bi31 = arith.addi %e2bo31, %bn3 : index
        %e2b31 = memref.load %stage[%e2bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2B3:2 = func.call @nhc_tf32_split2(%e2b30, %e2b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e2s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %e2m00 = nvgpu.mma.sync (%e2A#0, %e2B0#1, %e1m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m10 = nvgpu.mma.sync (%e2A#0, %e2B1#1, %e1m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m20 = nvgpu.mma.sync (%e2A#0, %e2B2#1, %e1m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m30 = nvgpu.mma.sync (%e2A#0, %e2B3#1, %e1m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m01 = nvgpu.mma.sync (%e2A#1, %e2B0#0, %e2m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m11 = nvgpu.mma.sync (%e2A#1, %e2B1#0, %e2m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m21 = nvgpu.mma.sync (%e2A#1, %e2B2#0, %e2m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m31 = nvgpu.mma.sync (%e2A#1, %e2B3#0, %e2m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %e2m01, %e2m11, %e2m21, %e2m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %e1m02, %e1m12, %e1m22, %e1m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %e2m02 = nvgpu.mma.sync (%e2A#0, %e2B0#0, %e2s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e2m12 = nvgpu.mma.sync (%e2A#0, %e2B1#0, %e2s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e2m22 = nvgpu.mma.sync (%e2A#0, %e2B2#0, %e2s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e2m32 = nvgpu.mma.sync (%e2A#0, %e2B3#0, %e2s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e3k = arith.constant 1728 : index
        %e3kb = arith.constant 4032 : index
        %e3ao0 = arith.addi %e3k, %tk0 : index
        %e3ai0 = arith.addi %e3ao0, %rowA : index
        %e3a0 = memref.load %stage[%e3ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3ao1 = arith.addi %e3k, %tk0 : index
        %e3ai1 = arith.addi %e3ao1, %rowB : index
        %e3a1 = memref.load %stage[%e3ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3ao2 = arith.addi %e3k, %tk4 : index
        %e3ai2 = arith.addi %e3ao2, %rowA : index
        %e3a2 = memref.load %stage[%e3ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3ao3 = arith.addi %e3k, %tk4 : index
        %e3ai3 = arith.addi %e3ao3, %rowB : index
        %e3a3 = memref.load %stage[%e3ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3A:2 = func.call @nhc_tf32_split4(%e3a0, %e3a1, %e3a2, %e3a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %e3bo00 = arith.addi %e3kb, %tk0 : index
        %e3bi00 = arith.addi %e3bo00, %bn0 : index
        %e3b00 = memref.load %stage[%e3bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3bo01 = arith.addi %e3kb, %tk4 : index
        %e3bi01 = arith.addi %e3bo01, %bn0 : index
        %e3b01 = memref.load %stage[%e3bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3B0:2 = func.call @nhc_tf32_split2(%e3b00, %e3b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e3bo10 = arith.addi %e3kb, %tk0 : index
        %e3bi10 = arith.addi %e3bo10, %bn1 : index
        %e3b10 = memref.load %stage[%e3bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3bo11 = arith.addi %e3kb, %tk4 : index
        %e3bi11 = arith.addi %e3bo11, %bn1 : index
        %e3b11 = memref.load %stage[%e3bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3B1:2 = func.call @nhc_tf32_split2(%e3b10, %e3b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e3bo20 = arith.addi %e3kb, %tk0 : index
        %e3bi20 = arith.addi %e3bo20, %bn2 : index
        %e3b20 = memref.load %stage[%e3bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3bo21 = arith.addi %e3kb, %tk4 : index
        %e3bi21 = arith.addi %e3bo21, %bn2 : index
        %e3b21 = memref.load %stage[%e3bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3B2:2 = func.call @nhc_tf32_split2(%e3b20, %e3b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e3bo30 = arith.addi %e3kb, %tk0 : index
        %e3bi30 = arith.addi %e3bo30, %bn3 : index
        %e3b30 = memref.load %stage[%e3bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3bo31 = arith.addi %e3kb, %tk4 : index
        %e3bi31 = arith.addi %e3bo31, %bn3 : index
        %e3b31 = memref.load %stage[%e3bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3B3:2 = func.call @nhc_tf32_split2(%e3b30, %e3b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e3s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %e3m00 = nvgpu.mma.sync (%e3A#0, %e3B0#1, %e2m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m10 = nvgpu.mma.sync (%e3A#0, %e3B1#1, %e2m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m20 = nvgpu.mma.sync (%e3A#0, %e3B2#1, %e2m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m30 = nvgpu.mma.sync (%e3A#0, %e3B3#1, %e2m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m01 = nvgpu.mma.sync (%e3A#1, %e3B0#0, %e3m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m11 = nvgpu.mma.sync (%e3A#1, %e3B1#0, %e3m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m21 = nvgpu.mma.sync (%e3A#1, %e3B2#0, %e3m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m31 = nvgpu.mma.sync (%e3A#1, %e3B3#0, %e3m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %e3m01, %e3m11, %e3m21, %e3m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %e2m02, %e2m12, %e2m22, %e2m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %e3m02 = nvgpu.mma.sync (%e3A#0, %e3B0#0, %e3s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e3m12 = nvgpu.mma.sync (%e3A#0, %e3B1#0, %e3s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e3m22 = nvgpu.mma.sync (%e3A#0, %e3B2#0, %e3s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e3m32 = nvgpu.mma.sync (%e3A#0, %e3B3#0, %e3s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        gpu.barrier
        scf.yield %e3m02, %e3m12, %e3m22, %e3m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %ev00 = vector.extract %eacc#0[0, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev00, %y, %p0, %rows, %rowA, %j0, %cj00, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev01 = vector.extract %eacc#0[0, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev01, %y, %p0, %rows, %rowA, %j0, %cj01, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev02 = vector.extract %eacc#0[1, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev02, %y, %p0, %rows, %rowB, %j0, %cj00, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev03 = vector.extract %eacc#0[1, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev03, %y, %p0, %rows, %rowB, %j0, %cj01, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev10 = vector.extract %eacc#1[0, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev10, %y, %p0, %rows, %rowA, %j0, %cj10, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev11 = vector.extract %eacc#1[0, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev11, %y, %p0, %rows, %rowA, %j0, %cj11, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev12 = vector.extract %eacc#1[1, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev12, %y, %p0, %rows, %rowB, %j0, %cj10, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev13 = vector.extract %eacc#1[1, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev13, %y, %p0, %rows, %rowB, %j0, %cj11, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev20 = vector.extract %eacc#2[0, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev20, %y, %p0, %rows, %rowA, %j0, %cj20, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev21 = vector.extract %eacc#2[0, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev21, %y, %p0, %rows, %rowA, %j0, %cj21, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev22 = vector.extract %eacc#2[1, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev22, %y, %p0, %rows, %rowB, %j0, %cj20, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev23 = vector.extract %eacc#2[1, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev23, %y, %p0, %rows, %rowB, %j0, %cj21, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev30 = vector.extract %eacc#3[0, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev30, %y, %p0, %rows, %rowA, %j0, %cj30, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev31 = vector.extract %eacc#3[0, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev31, %y, %p0, %rows, %rowA, %j0, %cj31, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev32 = vector.extract %eacc#3[1, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev32, %y, %p0, %rows, %rowB, %j0, %cj30, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev33 = vector.extract %eacc#3[1, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev33, %y, %p0, %rows, %rowB, %j0, %cj31, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
    }
    gpu.terminator
  }
  return
}

// Thread tx's share of a stage from k0: tile row `row` = tx % 64 and the
// 8 columns k0 + 8 (tx / 64) + s, s < 8, of x's bf16 values of the tile's
// route `row` (srcRows) as A(row, kk) at kk * 72 + row, and of the
// expert's bf16 weight row j0 + row (rows from wBase), widened exactly
// (nhc_widen_bf16), as B(kk, row) 2304 later; 0 past the tile's `rows`
// routes, n or k. A warp's 32 threads take 32 consecutive rows, so each
// of its stores hits 32 banks. With `chunked` (every row of x 16-byte
// aligned and of the weight 16-byte, k % 8 == 0) the 8 columns are
// two 16-byte loads of x and one of the weight, else 8 loads of each.
func.func private @nhc_moe_tile_stage_bf16(%x: memref<?xf32>,
    %srcRows: memref<64xi32, #gpu.address_space<workgroup>>,
    %w: memref<?xi16>, %wBase: index, %k0: index, %rows: index, %j0: index,
    %n: index, %k: index, %tx: index, %chunked: i1,
    %stage: memref<4608xf32, #gpu.address_space<workgroup>>) {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c72 = arith.constant 72 : index
  %zero = arith.constant 0.0 : f32
  %zeros = arith.constant dense<0.0> : vector<8xf32>
  %at:6 = func.call @nhc_moe_tile_place(%srcRows, %k0, %rows, %j0, %n, %k, %wBase, %tx)
      : (memref<64xi32, #gpu.address_space<workgroup>>, index, index, index, index, index, index, index)
      -> (index, index, i1, i1, index, index)
  scf.if %chunked {
    %kIn = arith.cmpi ult, %at#0, %k : index // the whole chunk: k % 8 == 0
    %a8 = func.call @nhc_moe_tile_x8(%x, %at#1, %at#0, %kIn, %at#2)
        : (memref<?xf32>, index, index, i1, i1) -> vector<8xf32>
    %wOk = arith.andi %kIn, %at#3 : i1
    %b8 = scf.if %wOk -> (vector<8xf32>) {
      %wi = arith.addi %at#4, %at#0 : index
      %bits = vector.load %w[%wi] {alignment = 16} : memref<?xi16>, vector<8xi16>
      %wf = func.call @nhc_widen_bf16x8(%bits) : (vector<8xi16>) -> vector<8xf32>
      scf.yield %wf : vector<8xf32>
    } else {
      scf.yield %zeros : vector<8xf32>
    }
    func.call @nhc_moe_stage_pair8(%stage, %at#5, %a8, %b8)
        : (memref<4608xf32, #gpu.address_space<workgroup>>, index, vector<8xf32>, vector<8xf32>) -> ()
  } else {
    scf.for %s = %c0 to %c8 step %one {
      %col = arith.addi %at#0, %s : index
      %kIn = arith.cmpi ult, %col, %k : index
      %kSafe = arith.select %kIn, %col, %c0 : index
      %a = func.call @nhc_moe_tile_x1(%x, %at#1, %kSafe, %kIn, %at#2)
          : (memref<?xf32>, index, index, i1, i1) -> f32
      %wi = arith.addi %at#4, %kSafe : index
      %wv = memref.load %w[%wi] : memref<?xi16>
      %wf = func.call @nhc_widen_bf16(%wv) : (i16) -> f32
      %wOk = arith.andi %kIn, %at#3 : i1
      %b = arith.select %wOk, %wf, %zero : f32
      %sRow = arith.muli %s, %c72 : index
      %as = arith.addi %at#5, %sRow : index
      func.call @nhc_moe_stage_pair1(%stage, %as, %a, %b)
          : (memref<4608xf32, #gpu.address_space<workgroup>>, index, f32, f32) -> ()
    }
  }
  return
}
// END GENERATED experts

// nhc_moe_expert_matmul_e4m3_tiled: the same tiles on e4m3 weights (FP8
// routed experts as stored, a byte each), widened exactly as staged
// (nhc_moe_tile_stage_e4m3); x rounded to bf16 as the untiled e4m3 form
// does (the FP8 recipe's quantized rows are e4m3 values, unchanged by it).
// e4m3 values are exact in tf32: one mma per product.
// BEGIN GENERATED experts_e4m3: tools/scripts/gen-gpu-tiles.py
func.func private @nhc_moe_expert_matmul_e4m3_tiled_gpu(
    %x: memref<?xf32>, %token: memref<?xi32>, %offsets: memref<?xi32>,
    %active: memref<?xi32>, %w: memref<?xi8>, %y: memref<?xf32>, %A: index,
    %n: index, %k: index, %gather: index, %act: index)
    attributes {nhc.gpu_variant_of = "nhc_moe_expert_matmul_e4m3_tiled"} {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %tiles = arith.ceildivsi %n, %c64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %tiles, %gy = %A, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%stage : memref<4608xf32, #gpu.address_space<workgroup>>,
                       %srcRows : memref<64xi32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %c16 = arith.constant 16 : index
    %c24 = arith.constant 24 : index
    %c32 = arith.constant 32 : index
    %c72 = arith.constant 72 : index
    %kTile = arith.constant 64 : index
    // One mma per product: the operands are exact in tf32.
    %allTerms = arith.constant false
    %range:3 = func.call @nhc_moe_expert_range(%offsets, %active, %by)
        : (memref<?xi32>, memref<?xi32>, index) -> (index, index, index)
    %j0 = arith.muli %bx, %kTile : index
    %wBase = func.call @nhc_moe_weight_row(%range#0, %c0, %n, %k)
        : (index, index, index, index) -> index
    %doGather = arith.cmpi ne, %gather, %c0 : index
    %wAddress = memref.extract_aligned_pointer_as_index %w : memref<?xi8> -> index
    %xAddress = memref.extract_aligned_pointer_as_index %x : memref<?xf32> -> index
    %chunked = func.call @nhc_moe_tile_chunked(%xAddress, %wAddress, %k, %one)
        : (index, index, index, index) -> i1
    // This lane's places in its warp's 16 x 32 part of a 64 x 64 tile.
    %laneId = arith.remui %tx, %c32 : index
    %warpId = arith.divui %tx, %c32 : index
    %g = arith.divui %laneId, %c4 : index
    %t = arith.remui %laneId, %c4 : index
    %wm = arith.remui %warpId, %c4 : index
    %wn = arith.divui %warpId, %c4 : index
    %mBase = arith.muli %wm, %c16 : index
    %nBase = arith.muli %wn, %c32 : index
    %rowA = arith.addi %mBase, %g : index
    %rowB = arith.addi %rowA, %c8 : index
    %t2 = arith.muli %t, %c2 : index
    %t4 = arith.addi %t, %c4 : index
    %tk0 = arith.muli %t, %c72 : index
    %tk4 = arith.muli %t4, %c72 : index
    %nj0 = arith.addi %nBase, %c0 : index
    %bn0 = arith.addi %nj0, %g : index
    %cj00 = arith.addi %nj0, %t2 : index
    %cj01 = arith.addi %cj00, %one : index
    %pc00 = arith.muli %cj00, %c72 : index
    %pc01 = arith.muli %cj01, %c72 : index
    %nj1 = arith.addi %nBase, %c8 : index
    %bn1 = arith.addi %nj1, %g : index
    %cj10 = arith.addi %nj1, %t2 : index
    %cj11 = arith.addi %cj10, %one : index
    %pc10 = arith.muli %cj10, %c72 : index
    %pc11 = arith.muli %cj11, %c72 : index
    %nj2 = arith.addi %nBase, %c16 : index
    %bn2 = arith.addi %nj2, %g : index
    %cj20 = arith.addi %nj2, %t2 : index
    %cj21 = arith.addi %cj20, %one : index
    %pc20 = arith.muli %cj20, %c72 : index
    %pc21 = arith.muli %cj21, %c72 : index
    %nj3 = arith.addi %nBase, %c24 : index
    %bn3 = arith.addi %nj3, %g : index
    %cj30 = arith.addi %nj3, %t2 : index
    %cj31 = arith.addi %cj30, %one : index
    %pc30 = arith.muli %cj30, %c72 : index
    %pc31 = arith.muli %cj31, %c72 : index
    scf.for %p0 = %range#1 to %range#2 step %kTile {
      %left = arith.subi %range#2, %p0 : index
      %rows = arith.minui %left, %kTile : index
      func.call @nhc_moe_tile_sources(%token, %srcRows, %p0, %rows, %range#1, %doGather, %tx)
          : (memref<?xi32>, memref<64xi32, #gpu.address_space<workgroup>>, index, index, index, i1, index) -> ()
      gpu.barrier
      %ezero = arith.constant dense<0.0> : vector<2x2xf32>
      %eacc:4 = scf.for %k0 = %c0 to %k step %c32
          iter_args(%ea0 = %ezero, %ea1 = %ezero, %ea2 = %ezero, %ea3 = %ezero) -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
        func.call @nhc_moe_tile_stage_e4m3(%x, %srcRows, %w, %wBase, %k0, %rows, %j0, %n, %k, %tx, %chunked, %stage)
            : (memref<?xf32>, memref<64xi32, #gpu.address_space<workgroup>>, memref<?xi8>, index, index, index, index, index, index, index, i1, memref<4608xf32, #gpu.address_space<workgroup>>) -> ()
        gpu.barrier
        %e0k = arith.constant 0 : index
        %e0kb = arith.constant 2304 : index
        %e0ao0 = arith.addi %e0k, %tk0 : index
        %e0ai0 = arith.addi %e0ao0, %rowA : index
        %e0a0 = memref.load %stage[%e0ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0ao1 = arith.addi %e0k, %tk0 : index
        %e0ai1 = arith.addi %e0ao1, %rowB : index
        %e0a1 = memref.load %stage[%e0ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0ao2 = arith.addi %e0k, %tk4 : index
        %e0ai2 = arith.addi %e0ao2, %rowA : index
        %e0a2 = memref.load %stage[%e0ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0ao3 = arith.addi %e0k, %tk4 : index
        %e0ai3 = arith.addi %e0ao3, %rowB : index
        %e0a3 = memref.load %stage[%e0ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0A:2 = func.call @nhc_tf32_split4(%e0a0, %e0a1, %e0a2, %e0a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %e0bo00 = arith.addi %e0kb, %tk0 : index
        %e0bi00 = arith.addi %e0bo00, %bn0 : index
        %e0b00 = memref.load %stage[%e0bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0bo01 = arith.addi %e0kb, %tk4 : index
        %e0bi01 = arith.addi %e0bo01, %bn0 : index
        %e0b01 = memref.load %stage[%e0bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0B0:2 = func.call @nhc_tf32_split2(%e0b00, %e0b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e0bo10 = arith.addi %e0kb, %tk0 : index
        %e0bi10 = arith.addi %e0bo10, %bn1 : index
        %e0b10 = memref.load %stage[%e0bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0bo11 = arith.addi %e0kb, %tk4 : index
        %e0bi11 = arith.addi %e0bo11, %bn1 : index
        %e0b11 = memref.load %stage[%e0bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0B1:2 = func.call @nhc_tf32_split2(%e0b10, %e0b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e0bo20 = arith.addi %e0kb, %tk0 : index
        %e0bi20 = arith.addi %e0bo20, %bn2 : index
        %e0b20 = memref.load %stage[%e0bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0bo21 = arith.addi %e0kb, %tk4 : index
        %e0bi21 = arith.addi %e0bo21, %bn2 : index
        %e0b21 = memref.load %stage[%e0bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0B2:2 = func.call @nhc_tf32_split2(%e0b20, %e0b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e0bo30 = arith.addi %e0kb, %tk0 : index
        %e0bi30 = arith.addi %e0bo30, %bn3 : index
        %e0b30 = memref.load %stage[%e0bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0bo31 = arith.addi %e0kb, %tk4 : index
        %e0bi31 = arith.addi %e0bo31, %bn3 : index
        %e0b31 = memref.load %stage[%e0bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e0B3:2 = func.call @nhc_tf32_split2(%e0b30, %e0b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e0s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %e0m00 = nvgpu.mma.sync (%e0A#0, %e0B0#1, %ea0) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m10 = nvgpu.mma.sync (%e0A#0, %e0B1#1, %ea1) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m20 = nvgpu.mma.sync (%e0A#0, %e0B2#1, %ea2) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m30 = nvgpu.mma.sync (%e0A#0, %e0B3#1, %ea3) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m01 = nvgpu.mma.sync (%e0A#1, %e0B0#0, %e0m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m11 = nvgpu.mma.sync (%e0A#1, %e0B1#0, %e0m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m21 = nvgpu.mma.sync (%e0A#1, %e0B2#0, %e0m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e0m31 = nvgpu.mma.sync (%e0A#1, %e0B3#0, %e0m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %e0m01, %e0m11, %e0m21, %e0m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %ea0, %ea1, %ea2, %ea3 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %e0m02 = nvgpu.mma.sync (%e0A#0, %e0B0#0, %e0s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e0m12 = nvgpu.mma.sync (%e0A#0, %e0B1#0, %e0s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e0m22 = nvgpu.mma.sync (%e0A#0, %e0B2#0, %e0s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e0m32 = nvgpu.mma.sync (%e0A#0, %e0B3#0, %e0s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e1k = arith.constant 576 : index
        %e1kb = arith.constant 2880 : index
        %e1ao0 = arith.addi %e1k, %tk0 : index
        %e1ai0 = arith.addi %e1ao0, %rowA : index
        %e1a0 = memref.load %stage[%e1ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1ao1 = arith.addi %e1k, %tk0 : index
        %e1ai1 = arith.addi %e1ao1, %rowB : index
        %e1a1 = memref.load %stage[%e1ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1ao2 = arith.addi %e1k, %tk4 : index
        %e1ai2 = arith.addi %e1ao2, %rowA : index
        %e1a2 = memref.load %stage[%e1ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1ao3 = arith.addi %e1k, %tk4 : index
        %e1ai3 = arith.addi %e1ao3, %rowB : index
        %e1a3 = memref.load %stage[%e1ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1A:2 = func.call @nhc_tf32_split4(%e1a0, %e1a1, %e1a2, %e1a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %e1bo00 = arith.addi %e1kb, %tk0 : index
        %e1bi00 = arith.addi %e1bo00, %bn0 : index
        %e1b00 = memref.load %stage[%e1bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1bo01 = arith.addi %e1kb, %tk4 : index
        %e1bi01 = arith.addi %e1bo01, %bn0 : index
        %e1b01 = memref.load %stage[%e1bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1B0:2 = func.call @nhc_tf32_split2(%e1b00, %e1b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e1bo10 = arith.addi %e1kb, %tk0 : index
        %e1bi10 = arith.addi %e1bo10, %bn1 : index
        %e1b10 = memref.load %stage[%e1bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1bo11 = arith.addi %e1kb, %tk4 : index
        %e1bi11 = arith.addi %e1bo11, %bn1 : index
        %e1b11 = memref.load %stage[%e1bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1B1:2 = func.call @nhc_tf32_split2(%e1b10, %e1b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e1bo20 = arith.addi %e1kb, %tk0 : index
        %e1bi20 = arith.addi %e1bo20, %bn2 : index
        %e1b20 = memref.load %stage[%e1bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1bo21 = arith.addi %e1kb, %tk4 : index
        %e1bi21 = arith.addi %e1bo21, %bn2 : index
        %e1b21 = memref.load %stage[%e1bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1B2:2 = func.call @nhc_tf32_split2(%e1b20, %e1b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e1bo30 = arith.addi %e1kb, %tk0 : index
        %e1bi30 = arith.addi %e1bo30, %bn3 : index
        %e1b30 = memref.load %stage[%e1bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1bo31 = arith.addi %e1kb, %tk4 : index
        %e1bi31 = arith.addi %e1bo31, %bn3 : index
        %e1b31 = memref.load %stage[%e1bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e1B3:2 = func.call @nhc_tf32_split2(%e1b30, %e1b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e1s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %e1m00 = nvgpu.mma.sync (%e1A#0, %e1B0#1, %e0m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m10 = nvgpu.mma.sync (%e1A#0, %e1B1#1, %e0m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m20 = nvgpu.mma.sync (%e1A#0, %e1B2#1, %e0m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m30 = nvgpu.mma.sync (%e1A#0, %e1B3#1, %e0m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m01 = nvgpu.mma.sync (%e1A#1, %e1B0#0, %e1m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m11 = nvgpu.mma.sync (%e1A#1, %e1B1#0, %e1m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m21 = nvgpu.mma.sync (%e1A#1, %e1B2#0, %e1m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e1m31 = nvgpu.mma.sync (%e1A#1, %e1B3#0, %e1m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %e1m01, %e1m11, %e1m21, %e1m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %e0m02, %e0m12, %e0m22, %e0m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %e1m02 = nvgpu.mma.sync (%e1A#0, %e1B0#0, %e1s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e1m12 = nvgpu.mma.sync (%e1A#0, %e1B1#0, %e1s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e1m22 = nvgpu.mma.sync (%e1A#0, %e1B2#0, %e1s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e1m32 = nvgpu.mma.sync (%e1A#0, %e1B3#0, %e1s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e2k = arith.constant 1152 : index
        %e2kb = arith.constant 3456 : index
        %e2ao0 = arith.addi %e2k, %tk0 : index
        %e2ai0 = arith.addi %e2ao0, %rowA : index
        %e2a0 = memref.load %stage[%e2ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2ao1 = arith.addi %e2k, %tk0 : index
        %e2ai1 = arith.addi %e2ao1, %rowB : index
        %e2a1 = memref.load %stage[%e2ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2ao2 = arith.addi %e2k, %tk4 : index
        %e2ai2 = arith.addi %e2ao2, %rowA : index
        %e2a2 = memref.load %stage[%e2ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2ao3 = arith.addi %e2k, %tk4 : index
        %e2ai3 = arith.addi %e2ao3, %rowB : index
        %e2a3 = memref.load %stage[%e2ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2A:2 = func.call @nhc_tf32_split4(%e2a0, %e2a1, %e2a2, %e2a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %e2bo00 = arith.addi %e2kb, %tk0 : index
        %e2bi00 = arith.addi %e2bo00, %bn0 : index
        %e2b00 = memref.load %stage[%e2bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2bo01 = arith.addi %e2kb, %tk4 : index
        %e2bi01 = arith.addi %e2bo01, %bn0 : index
        %e2b01 = memref.load %stage[%e2bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2B0:2 = func.call @nhc_tf32_split2(%e2b00, %e2b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e2bo10 = arith.addi %e2kb, %tk0 : index
        %e2bi10 = arith.addi %e2bo10, %bn1 : index
        %e2b10 = memref.load %stage[%e2bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2bo11 = arith.addi %e2kb, %tk4 : index
        %e2bi11 = arith.addi %e2bo11, %bn1 : index
        %e2b11 = memref.load %stage[%e2bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2B1:2 = func.call @nhc_tf32_split2(%e2b10, %e2b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e2bo20 = arith.addi %e2kb, %tk0 : index
        %e2bi20 = arith.addi %e2bo20, %bn2 : index
        %e2b20 = memref.load %stage[%e2bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2bo21 = arith.addi %e2kb, %tk4 : index
        %e2bi21 = arith.addi %e2bo21, %bn2 : index
        %e2b21 = memref.load %stage[%e2bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2B2:2 = func.call @nhc_tf32_split2(%e2b20, %e2b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e2bo30 = arith.addi %e2kb, %tk0 : index
        %e2bi30 = arith.addi %e2bo30, %bn3 : index
        %e2b30 = memref.load %stage[%e2bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2bo31 = arith.addi %e2kb, %tk4 : index
        %e2bi31 = arith.addi %e2bo31, %bn3 : index
        %e2b31 = memref.load %stage[%e2bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e2B3:2 = func.call @nhc_tf32_split2(%e2b30, %e2b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e2s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %e2m00 = nvgpu.mma.sync (%e2A#0, %e2B0#1, %e1m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m10 = nvgpu.mma.sync (%e2A#0, %e2B1#1, %e1m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m20 = nvgpu.mma.sync (%e2A#0, %e2B2#1, %e1m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m30 = nvgpu.mma.sync (%e2A#0, %e2B3#1, %e1m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m01 = nvgpu.mma.sync (%e2A#1, %e2B0#0, %e2m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m11 = nvgpu.mma.sync (%e2A#1, %e2B1#0, %e2m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m21 = nvgpu.mma.sync (%e2A#1, %e2B2#0, %e2m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e2m31 = nvgpu.mma.sync (%e2A#1, %e2B3#0, %e2m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %e2m01, %e2m11, %e2m21, %e2m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %e1m02, %e1m12, %e1m22, %e1m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %e2m02 = nvgpu.mma.sync (%e2A#0, %e2B0#0, %e2s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e2m12 = nvgpu.mma.sync (%e2A#0, %e2B1#0, %e2s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e2m22 = nvgpu.mma.sync (%e2A#0, %e2B2#0, %e2s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e2m32 = nvgpu.mma.sync (%e2A#0, %e2B3#0, %e2s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e3k = arith.constant 1728 : index
        %e3kb = arith.constant 4032 : index
        %e3ao0 = arith.addi %e3k, %tk0 : index
        %e3ai0 = arith.addi %e3ao0, %rowA : index
        %e3a0 = memref.load %stage[%e3ai0] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3ao1 = arith.addi %e3k, %tk0 : index
        %e3ai1 = arith.addi %e3ao1, %rowB : index
        %e3a1 = memref.load %stage[%e3ai1] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3ao2 = arith.addi %e3k, %tk4 : index
        %e3ai2 = arith.addi %e3ao2, %rowA : index
        %e3a2 = memref.load %stage[%e3ai2] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3ao3 = arith.addi %e3k, %tk4 : index
        %e3ai3 = arith.addi %e3ao3, %rowB : index
        %e3a3 = memref.load %stage[%e3ai3] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3A:2 = func.call @nhc_tf32_split4(%e3a0, %e3a1, %e3a2, %e3a3)
            : (f32, f32, f32, f32) -> (vector<4x1xf32>, vector<4x1xf32>)
        %e3bo00 = arith.addi %e3kb, %tk0 : index
        %e3bi00 = arith.addi %e3bo00, %bn0 : index
        %e3b00 = memref.load %stage[%e3bi00] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3bo01 = arith.addi %e3kb, %tk4 : index
        %e3bi01 = arith.addi %e3bo01, %bn0 : index
        %e3b01 = memref.load %stage[%e3bi01] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3B0:2 = func.call @nhc_tf32_split2(%e3b00, %e3b01)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e3bo10 = arith.addi %e3kb, %tk0 : index
        %e3bi10 = arith.addi %e3bo10, %bn1 : index
        %e3b10 = memref.load %stage[%e3bi10] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3bo11 = arith.addi %e3kb, %tk4 : index
        %e3bi11 = arith.addi %e3bo11, %bn1 : index
        %e3b11 = memref.load %stage[%e3bi11] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3B1:2 = func.call @nhc_tf32_split2(%e3b10, %e3b11)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e3bo20 = arith.addi %e3kb, %tk0 : index
        %e3bi20 = arith.addi %e3bo20, %bn2 : index
        %e3b20 = memref.load %stage[%e3bi20] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3bo21 = arith.addi %e3kb, %tk4 : index
        %e3bi21 = arith.addi %e3bo21, %bn2 : index
        %e3b21 = memref.load %stage[%e3bi21] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3B2:2 = func.call @nhc_tf32_split2(%e3b20, %e3b21)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e3bo30 = arith.addi %e3kb, %tk0 : index
        %e3bi30 = arith.addi %e3bo30, %bn3 : index
        %e3b30 = memref.load %stage[%e3bi30] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3bo31 = arith.addi %e3kb, %tk4 : index
        %e3bi31 = arith.addi %e3bo31, %bn3 : index
        %e3b31 = memref.load %stage[%e3bi31] : memref<4608xf32, #gpu.address_space<workgroup>>
        %e3B3:2 = func.call @nhc_tf32_split2(%e3b30, %e3b31)
            : (f32, f32) -> (vector<2x1xf32>, vector<2x1xf32>)
        %e3s:4 = scf.if %allTerms -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
          %e3m00 = nvgpu.mma.sync (%e3A#0, %e3B0#1, %e2m02) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m10 = nvgpu.mma.sync (%e3A#0, %e3B1#1, %e2m12) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m20 = nvgpu.mma.sync (%e3A#0, %e3B2#1, %e2m22) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m30 = nvgpu.mma.sync (%e3A#0, %e3B3#1, %e2m32) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m01 = nvgpu.mma.sync (%e3A#1, %e3B0#0, %e3m00) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m11 = nvgpu.mma.sync (%e3A#1, %e3B1#0, %e3m10) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m21 = nvgpu.mma.sync (%e3A#1, %e3B2#0, %e3m20) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          %e3m31 = nvgpu.mma.sync (%e3A#1, %e3B3#0, %e3m30) {mmaShape = [16, 8, 8], tf32Enabled}
              : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
          scf.yield %e3m01, %e3m11, %e3m21, %e3m31 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        } else {
          scf.yield %e2m02, %e2m12, %e2m22, %e2m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
        }
        %e3m02 = nvgpu.mma.sync (%e3A#0, %e3B0#0, %e3s#0) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e3m12 = nvgpu.mma.sync (%e3A#0, %e3B1#0, %e3s#1) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e3m22 = nvgpu.mma.sync (%e3A#0, %e3B2#0, %e3s#2) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        %e3m32 = nvgpu.mma.sync (%e3A#0, %e3B3#0, %e3s#3) {mmaShape = [16, 8, 8], tf32Enabled}
            : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
        gpu.barrier
        scf.yield %e3m02, %e3m12, %e3m22, %e3m32 : vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>
      }
      %ev00 = vector.extract %eacc#0[0, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev00, %y, %p0, %rows, %rowA, %j0, %cj00, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev01 = vector.extract %eacc#0[0, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev01, %y, %p0, %rows, %rowA, %j0, %cj01, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev02 = vector.extract %eacc#0[1, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev02, %y, %p0, %rows, %rowB, %j0, %cj00, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev03 = vector.extract %eacc#0[1, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev03, %y, %p0, %rows, %rowB, %j0, %cj01, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev10 = vector.extract %eacc#1[0, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev10, %y, %p0, %rows, %rowA, %j0, %cj10, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev11 = vector.extract %eacc#1[0, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev11, %y, %p0, %rows, %rowA, %j0, %cj11, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev12 = vector.extract %eacc#1[1, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev12, %y, %p0, %rows, %rowB, %j0, %cj10, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev13 = vector.extract %eacc#1[1, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev13, %y, %p0, %rows, %rowB, %j0, %cj11, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev20 = vector.extract %eacc#2[0, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev20, %y, %p0, %rows, %rowA, %j0, %cj20, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev21 = vector.extract %eacc#2[0, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev21, %y, %p0, %rows, %rowA, %j0, %cj21, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev22 = vector.extract %eacc#2[1, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev22, %y, %p0, %rows, %rowB, %j0, %cj20, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev23 = vector.extract %eacc#2[1, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev23, %y, %p0, %rows, %rowB, %j0, %cj21, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev30 = vector.extract %eacc#3[0, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev30, %y, %p0, %rows, %rowA, %j0, %cj30, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev31 = vector.extract %eacc#3[0, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev31, %y, %p0, %rows, %rowA, %j0, %cj31, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev32 = vector.extract %eacc#3[1, 0] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev32, %y, %p0, %rows, %rowB, %j0, %cj30, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
      %ev33 = vector.extract %eacc#3[1, 1] : f32 from vector<2x2xf32>
      func.call @nhc_moe_tile_store(%ev33, %y, %p0, %rows, %rowB, %j0, %cj31, %n, %act)
          : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()
    }
    gpu.terminator
  }
  return
}

// Thread tx's share of a stage from k0: tile row `row` = tx % 64 and the
// 8 columns k0 + 8 (tx / 64) + s, s < 8, of x's bf16 values of the tile's
// route `row` (srcRows) as A(row, kk) at kk * 72 + row, and of the
// expert's e4m3 weight row j0 + row (rows from wBase), widened exactly
// (nhc_widen_e4m3), as B(kk, row) 2304 later; 0 past the tile's `rows`
// routes, n or k. A warp's 32 threads take 32 consecutive rows, so each
// of its stores hits 32 banks. With `chunked` (every row of x 16-byte
// aligned and of the weight 8-byte, k % 8 == 0) the 8 columns are
// two 16-byte loads of x and one of the weight, else 8 loads of each.
func.func private @nhc_moe_tile_stage_e4m3(%x: memref<?xf32>,
    %srcRows: memref<64xi32, #gpu.address_space<workgroup>>,
    %w: memref<?xi8>, %wBase: index, %k0: index, %rows: index, %j0: index,
    %n: index, %k: index, %tx: index, %chunked: i1,
    %stage: memref<4608xf32, #gpu.address_space<workgroup>>) {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c72 = arith.constant 72 : index
  %zero = arith.constant 0.0 : f32
  %zeros = arith.constant dense<0.0> : vector<8xf32>
  %at:6 = func.call @nhc_moe_tile_place(%srcRows, %k0, %rows, %j0, %n, %k, %wBase, %tx)
      : (memref<64xi32, #gpu.address_space<workgroup>>, index, index, index, index, index, index, index)
      -> (index, index, i1, i1, index, index)
  scf.if %chunked {
    %kIn = arith.cmpi ult, %at#0, %k : index // the whole chunk: k % 8 == 0
    %a8 = func.call @nhc_moe_tile_x8(%x, %at#1, %at#0, %kIn, %at#2)
        : (memref<?xf32>, index, index, i1, i1) -> vector<8xf32>
    %wOk = arith.andi %kIn, %at#3 : i1
    %b8 = scf.if %wOk -> (vector<8xf32>) {
      %wi = arith.addi %at#4, %at#0 : index
      %bits = vector.load %w[%wi] {alignment = 8} : memref<?xi8>, vector<8xi8>
      %wf = func.call @nhc_widen_e4m3x8(%bits) : (vector<8xi8>) -> vector<8xf32>
      scf.yield %wf : vector<8xf32>
    } else {
      scf.yield %zeros : vector<8xf32>
    }
    func.call @nhc_moe_stage_pair8(%stage, %at#5, %a8, %b8)
        : (memref<4608xf32, #gpu.address_space<workgroup>>, index, vector<8xf32>, vector<8xf32>) -> ()
  } else {
    scf.for %s = %c0 to %c8 step %one {
      %col = arith.addi %at#0, %s : index
      %kIn = arith.cmpi ult, %col, %k : index
      %kSafe = arith.select %kIn, %col, %c0 : index
      %a = func.call @nhc_moe_tile_x1(%x, %at#1, %kSafe, %kIn, %at#2)
          : (memref<?xf32>, index, index, i1, i1) -> f32
      %wi = arith.addi %at#4, %kSafe : index
      %wv = memref.load %w[%wi] : memref<?xi8>
      %wf = func.call @nhc_widen_e4m3(%wv) : (i8) -> f32
      %wOk = arith.andi %kIn, %at#3 : i1
      %b = arith.select %wOk, %wf, %zero : f32
      %sRow = arith.muli %s, %c72 : index
      %as = arith.addi %at#5, %sRow : index
      func.call @nhc_moe_stage_pair1(%stage, %as, %a, %b)
          : (memref<4608xf32, #gpu.address_space<workgroup>>, index, f32, f32) -> ()
    }
  }
  return
}
// END GENERATED experts_e4m3

// Whether a stage's loads may be vectors: every row of x 16-byte aligned
// and every row of the weight (wBytes bytes an element) aligned to 8 of its
// elements (k % 8 == 0: each expert's rows too), so a thread's 8 columns
// are whole vector loads.
func.func private @nhc_moe_tile_chunked(%xAddress: index, %wAddress: index,
                                        %k: index, %wBytes: index) -> i1 {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %xRowBytes = arith.muli %k, %c4 : index
  %xAligned = func.call @nhc_rows_16_byte_aligned(%xAddress, %xRowBytes)
      : (index, index) -> i1
  %wAlign = arith.muli %wBytes, %c8 : index
  %wRem = arith.remui %wAddress, %wAlign : index
  %kRem = arith.remui %k, %c8 : index
  %either = arith.ori %wRem, %kRem : index
  %wAligned = arith.cmpi eq, %either, %c0 : index
  %both = arith.andi %xAligned, %wAligned : i1
  return %both : i1
}

// srcRows[r] = the row of x route p0 + r reads (r < rows; row 0 past them:
// their products land only in outputs that are not stored), by threads 0
// to 63. Every thread read the previous tile's before the last barrier of
// its stages.
func.func private @nhc_moe_tile_sources(%token: memref<?xi32>,
    %srcRows: memref<64xi32, #gpu.address_space<workgroup>>, %p0: index,
    %rows: index, %first: index, %gather: i1, %tx: index) {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %fills = arith.cmpi ult, %tx, %c64 : index
  scf.if %fills {
    %p = arith.addi %p0, %tx : index
    %inTile = arith.cmpi ult, %tx, %rows : index
    %pSafe = arith.select %inTile, %p, %first : index
    %src = func.call @nhc_moe_source_row(%token, %pSafe, %gather)
        : (memref<?xi32>, index, i1) -> index
    %srcIn = arith.select %inTile, %src, %c0 : index
    %src32 = arith.index_cast %srcIn : index to i32
    memref.store %src32, %srcRows[%tx] : memref<64xi32, #gpu.address_space<workgroup>>
  }
  return
}

// Where thread tx stages (nhc_moe_tile_stage_bf16, _e4m3): its first column kc = k0 +
// 8 (tx / 64), the first element of its x row (srcRows[tx % 64] * k),
// whether the route and the weight row j0 + tx % 64 exist, that weight
// row's first element (from wBase; row 0 past n) and its A slot kk * 72 +
// row (B's is 2304 later).
func.func private @nhc_moe_tile_place(
    %srcRows: memref<64xi32, #gpu.address_space<workgroup>>, %k0: index,
    %rows: index, %j0: index, %n: index, %k: index, %wBase: index,
    %tx: index) -> (index, index, i1, i1, index, index) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %c72 = arith.constant 72 : index
  %row = arith.remui %tx, %c64 : index
  %chunk = arith.divui %tx, %c64 : index
  %kk0 = arith.muli %chunk, %c8 : index
  %kc = arith.addi %k0, %kk0 : index
  %rowIn = arith.cmpi ult, %row, %rows : index
  %src32 = memref.load %srcRows[%row] : memref<64xi32, #gpu.address_space<workgroup>>
  %src = arith.index_cast %src32 : i32 to index
  %xRow = arith.muli %src, %k : index
  %j = arith.addi %j0, %row : index
  %jIn = arith.cmpi ult, %j, %n : index
  %jSafe = arith.select %jIn, %j, %c0 : index
  %wRow0 = arith.muli %jSafe, %k : index
  %wRow = arith.addi %wBase, %wRow0 : index
  %aRow = arith.muli %kk0, %c72 : index
  %aAt = arith.addi %aRow, %row : index
  return %kc, %xRow, %rowIn, %jIn, %wRow, %aAt
      : index, index, i1, i1, index, index
}

// x[xRow + kc .. + 7] rounded to bf16 (two 16-byte loads) where `ok`,
// else zeros.
func.func private @nhc_moe_tile_x8(%x: memref<?xf32>, %xRow: index,
                                   %kc: index, %kIn: i1, %rowIn: i1)
    -> vector<8xf32> {
  %c4 = arith.constant 4 : index
  %zeros = arith.constant dense<0.0> : vector<8xf32>
  %ok = arith.andi %kIn, %rowIn : i1
  %a8 = scf.if %ok -> (vector<8xf32>) {
    %xi = arith.addi %xRow, %kc : index
    %xi4 = arith.addi %xi, %c4 : index
    %lo = vector.load %x[%xi] {alignment = 16} : memref<?xf32>, vector<4xf32>
    %hi = vector.load %x[%xi4] {alignment = 16} : memref<?xf32>, vector<4xf32>
    %x8 = vector.shuffle %lo, %hi [0, 1, 2, 3, 4, 5, 6, 7] : vector<4xf32>, vector<4xf32>
    %xb = func.call @nhc_round_to_bf16x8(%x8) : (vector<8xf32>) -> vector<8xf32>
    scf.yield %xb : vector<8xf32>
  } else {
    scf.yield %zeros : vector<8xf32>
  }
  return %a8 : vector<8xf32>
}

// x[xRow + col] rounded to bf16 where the column and the route exist, else
// 0 (col is in bounds either way).
func.func private @nhc_moe_tile_x1(%x: memref<?xf32>, %xRow: index,
                                   %col: index, %kIn: i1, %rowIn: i1) -> f32 {
  %zero = arith.constant 0.0 : f32
  %xi = arith.addi %xRow, %col : index
  %xv = memref.load %x[%xi] : memref<?xf32>
  %xb = func.call @nhc_round_to_bf16(%xv) : (f32) -> f32
  %ok = arith.andi %kIn, %rowIn : i1
  %a = arith.select %ok, %xb, %zero : f32
  return %a : f32
}

// A(row, kk) = a and B(kk, row) = b at A's slot `at` (B's 2304 later).
func.func private @nhc_moe_stage_pair1(
    %stage: memref<4608xf32, #gpu.address_space<workgroup>>, %at: index,
    %a: f32, %b: f32) {
  %c2304 = arith.constant 2304 : index
  %bAt = arith.addi %at, %c2304 : index
  memref.store %a, %stage[%at] : memref<4608xf32, #gpu.address_space<workgroup>>
  memref.store %b, %stage[%bAt] : memref<4608xf32, #gpu.address_space<workgroup>>
  return
}

// A thread's 8 columns of A (a8) and of B (b8) from A's slot `at`.
func.func private @nhc_moe_stage_pair8(
    %stage: memref<4608xf32, #gpu.address_space<workgroup>>, %at: index,
    %a8: vector<8xf32>, %b8: vector<8xf32>) {
  %c2304 = arith.constant 2304 : index
  %bAt = arith.addi %at, %c2304 : index
  func.call @nhc_moe_stage_column8(%stage, %at, %a8)
      : (memref<4608xf32, #gpu.address_space<workgroup>>, index, vector<8xf32>) -> ()
  func.call @nhc_moe_stage_column8(%stage, %bAt, %b8)
      : (memref<4608xf32, #gpu.address_space<workgroup>>, index, vector<8xf32>) -> ()
  return
}

// Eight e4m3 bytes widened exactly (nhc_widen_e4m3 each, the positions
// constants).
func.func private @nhc_widen_e4m3x8(%bits: vector<8xi8>) -> vector<8xf32> {
  %b0 = vector.extract %bits[0] : i8 from vector<8xi8>
  %b1 = vector.extract %bits[1] : i8 from vector<8xi8>
  %b2 = vector.extract %bits[2] : i8 from vector<8xi8>
  %b3 = vector.extract %bits[3] : i8 from vector<8xi8>
  %b4 = vector.extract %bits[4] : i8 from vector<8xi8>
  %b5 = vector.extract %bits[5] : i8 from vector<8xi8>
  %b6 = vector.extract %bits[6] : i8 from vector<8xi8>
  %b7 = vector.extract %bits[7] : i8 from vector<8xi8>
  %f0 = func.call @nhc_widen_e4m3(%b0) : (i8) -> f32
  %f1 = func.call @nhc_widen_e4m3(%b1) : (i8) -> f32
  %f2 = func.call @nhc_widen_e4m3(%b2) : (i8) -> f32
  %f3 = func.call @nhc_widen_e4m3(%b3) : (i8) -> f32
  %f4 = func.call @nhc_widen_e4m3(%b4) : (i8) -> f32
  %f5 = func.call @nhc_widen_e4m3(%b5) : (i8) -> f32
  %f6 = func.call @nhc_widen_e4m3(%b6) : (i8) -> f32
  %f7 = func.call @nhc_widen_e4m3(%b7) : (i8) -> f32
  %v = vector.from_elements %f0, %f1, %f2, %f3, %f4, %f5, %f6, %f7 : vector<8xf32>
  return %v : vector<8xf32>
}

// stage[at + 72 s] = v[s] for s < 8 (k-rows of one staged column), the
// positions constants (indexing a vector by a value would put it in local
// memory).
func.func private @nhc_moe_stage_column8(
    %stage: memref<4608xf32, #gpu.address_space<workgroup>>, %at: index,
    %v: vector<8xf32>) {
  %c72 = arith.constant 72 : index
  %v0 = vector.extract %v[0] : f32 from vector<8xf32>
  %v1 = vector.extract %v[1] : f32 from vector<8xf32>
  %v2 = vector.extract %v[2] : f32 from vector<8xf32>
  %v3 = vector.extract %v[3] : f32 from vector<8xf32>
  %v4 = vector.extract %v[4] : f32 from vector<8xf32>
  %v5 = vector.extract %v[5] : f32 from vector<8xf32>
  %v6 = vector.extract %v[6] : f32 from vector<8xf32>
  %v7 = vector.extract %v[7] : f32 from vector<8xf32>
  %a1 = arith.addi %at, %c72 : index
  %a2 = arith.addi %a1, %c72 : index
  %a3 = arith.addi %a2, %c72 : index
  %a4 = arith.addi %a3, %c72 : index
  %a5 = arith.addi %a4, %c72 : index
  %a6 = arith.addi %a5, %c72 : index
  %a7 = arith.addi %a6, %c72 : index
  memref.store %v0, %stage[%at] : memref<4608xf32, #gpu.address_space<workgroup>>
  memref.store %v1, %stage[%a1] : memref<4608xf32, #gpu.address_space<workgroup>>
  memref.store %v2, %stage[%a2] : memref<4608xf32, #gpu.address_space<workgroup>>
  memref.store %v3, %stage[%a3] : memref<4608xf32, #gpu.address_space<workgroup>>
  memref.store %v4, %stage[%a4] : memref<4608xf32, #gpu.address_space<workgroup>>
  memref.store %v5, %stage[%a5] : memref<4608xf32, #gpu.address_space<workgroup>>
  memref.store %v6, %stage[%a6] : memref<4608xf32, #gpu.address_space<workgroup>>
  memref.store %v7, %stage[%a7] : memref<4608xf32, #gpu.address_space<workgroup>>
  return
}

// y[(p0 + row) * n + j0 + col] = act(v) where the route and the column
// exist (nhc_moe_store_output).
func.func private @nhc_moe_tile_store(%v: f32, %y: memref<?xf32>,
                                      %p0: index, %rows: index, %row: index,
                                      %j0: index, %col: index, %n: index,
                                      %act: index) {
  %rowIn = arith.cmpi ult, %row, %rows : index
  %j = arith.addi %j0, %col : index
  %jIn = arith.cmpi ult, %j, %n : index
  %exists = arith.andi %rowIn, %jIn : i1
  scf.if %exists {
    %p = arith.addi %p0, %row : index
    func.call @nhc_moe_store_output(%v, %y, %p, %j, %n, %act)
        : (f32, memref<?xf32>, index, index, index, index) -> ()
  }
  return
}

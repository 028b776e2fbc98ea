// RUN: cat %nhc_src_root/lib/Kernels/fp8.mlir %nhc_src_root/lib/Kernels/norms.mlir %nhc_src_root/lib/Kernels/device_ops.mlir %nhc_src_root/lib/Kernels/conv1d.mlir | nhc-opt --nhc-kernels-to-host-pipeline | FileCheck %s --check-prefix=NORMS
// RUN: cat %nhc_src_root/lib/Kernels/request.mlir %nhc_src_root/lib/Kernels/ssd_scan.mlir %nhc_src_root/lib/Kernels/conv1d.mlir | nhc-opt --nhc-kernels-to-host-pipeline | FileCheck %s --check-prefix=SSD
// RUN: nhc-opt %nhc_src_root/lib/Kernels/gather.mlir --nhc-kernels-to-host-pipeline | FileCheck %s --check-prefix=GATHER
// RUN: cat %nhc_src_root/lib/Kernels/request.mlir %nhc_src_root/lib/Kernels/attention.mlir %nhc_src_root/lib/Kernels/attention_prefill.mlir | nhc-opt --nhc-kernels-to-host-pipeline | FileCheck %s --check-prefix=ATTN

// Each memref<?xT> argument becomes (allocated, aligned, offset, size,
// stride); index is i64 and f32 stays f32.
// NORMS-LABEL: llvm.func @nhc_rms_norm(
// NORMS-SAME:    %{{[^:,]+}}: !llvm.ptr, %{{[^:,]+}}: !llvm.ptr, %{{[^:,]+}}: i64, %{{[^:,]+}}: i64, %{{[^:,]+}}: i64,
// NORMS-SAME:    %{{[^:,]+}}: !llvm.ptr, %{{[^:,]+}}: !llvm.ptr, %{{[^:,]+}}: i64, %{{[^:,]+}}: i64, %{{[^:,]+}}: i64,
// NORMS-SAME:    %{{[^:,]+}}: !llvm.ptr, %{{[^:,]+}}: !llvm.ptr, %{{[^:,]+}}: i64, %{{[^:,]+}}: i64, %{{[^:,]+}}: i64,
// NORMS-SAME:    %{{[^:,]+}}: i64, %{{[^:,]+}}: i64, %{{[^:,]+}}: f32,
// NORMS-SAME:    %{{[^:,]+}}: !llvm.ptr, %{{[^:,]+}}: !llvm.ptr, %{{[^:,]+}}: i64, %{{[^:,]+}}: i64, %{{[^:,]+}}: i64,
// NORMS-SAME:    %{{[^:,]+}}: i64)
// NORMS:         llvm.intr.sqrt
// Its sliced twin (nhc-add-sliced-kernels) takes (slice, slices) last.
// NORMS-LABEL: llvm.func @nhc_rms_norm_sliced(
// NORMS-SAME:    %{{[^:,]+}}: i64, %{{[^:,]+}}: i64, %{{[^:,]+}}: i64)
// NORMS:         llvm.udiv
// NORMS-LABEL: llvm.func @nhc_add_rms_norm(
// NORMS-LABEL: llvm.func @nhc_gated_rms_norm(
// NORMS:         llvm.intr.exp
// NORMS-NOT:   scf.
// NORMS-NOT:   func.func

// softplus keeps libm's exact log1pf; the private helpers are inlined away.
// SSD:         llvm.func @log1pf(f32) -> f32
// SSD-LABEL:   llvm.func @nhc_ssd_scan(
// SSD:           llvm.call @log1pf
// SSD-LABEL:   llvm.func @nhc_ssd_chunk_scan(
// SSD:           llvm.call @log1pf
// SSD-NOT:     @nhc_ssd_dt

// GATHER-LABEL: llvm.func @nhc_gather_last(
// GATHER-SAME:    %{{[^:,]+}}: !llvm.ptr, %{{[^:,]+}}: !llvm.ptr, %{{[^:,]+}}: i64, %{{[^:,]+}}: i64, %{{[^:,]+}}: i64,
// GATHER:         llvm.load %{{.*}} : !llvm.ptr -> i64

// The attention's per-(request, KV head) buffers are reserved once per call,
// in the entry block (nhc-hoist-static-allocas), not in the loop blocks where
// each iteration would reserve them again.
// ATTN-LABEL: llvm.func @nhc_attention(
// ATTN-NOT:     ^bb
// ATTN-COUNT-7: llvm.alloca %{{.*}} x f32
// ATTN-NOT:     llvm.alloca
// ATTN-LABEL: llvm.func @nhc_attention_sliced(
// ATTN-NOT:     ^bb
// ATTN-COUNT-7: llvm.alloca %{{.*}} x f32
// ATTN-NOT:     llvm.alloca

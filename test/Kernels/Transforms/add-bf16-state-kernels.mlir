// RUN: nhc-opt %s -split-input-file -nhc-add-bf16-state-kernels | FileCheck %s

// The marked argument becomes bf16 bits: a load widens them (the bits are
// the f32's high half), a store rounds by the library's @nhc_bf16_bits;
// the unmarked argument and the index arithmetic are untouched. The
// original loses its markers.
// CHECK-LABEL: func.func @copy(
// CHECK-SAME:    %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: index)
// CHECK-NOT:     nhc.bf16_state
// CHECK:         memref.load %{{.*}} : memref<?xf32>
// CHECK-LABEL: func.func @copy_bf16(
// CHECK-SAME:    %[[C:[^:]*]]: memref<?xi16>, %[[X:[^:]*]]: memref<?xf32>, %[[I:[^:]*]]: index)
// CHECK:         %[[BITS:.*]] = memref.load %[[C]][%[[I]]] : memref<?xi16>
// CHECK:         %[[WIDE:.*]] = arith.extui %[[BITS]] : i16 to i32
// CHECK:         %[[HIGH:.*]] = arith.shli %[[WIDE]], %{{.*}} : i32
// CHECK:         %[[F:.*]] = arith.bitcast %[[HIGH]] : i32 to f32
// CHECK:         %[[SUM:.*]] = arith.addf %[[F]], %[[F]] : f32
// CHECK:         memref.store %[[SUM]], %[[X]][%[[I]]] : memref<?xf32>
// CHECK:         %[[V:.*]] = memref.load %[[X]][%[[I]]] : memref<?xf32>
// CHECK:         %[[ROUNDED:.*]] = call @nhc_bf16_bits(%[[V]]) : (f32) -> i32
// CHECK:         %[[NARROW:.*]] = arith.trunci %[[ROUNDED]] : i32 to i16
// CHECK:         memref.store %[[NARROW]], %[[C]][%[[I]]] : memref<?xi16>
func.func private @nhc_bf16_bits(%v: f32) -> i32
func.func @copy(%c: memref<?xf32> {nhc.bf16_state}, %x: memref<?xf32>,
                %i: index) attributes {nhc.bf16_state_form = "copy_bf16"} {
  %f = memref.load %c[%i] : memref<?xf32>
  %sum = arith.addf %f, %f : f32
  memref.store %sum, %x[%i] : memref<?xf32>
  %v = memref.load %x[%i] : memref<?xf32>
  memref.store %v, %c[%i] : memref<?xf32>
  return
}

// -----

// Vector accesses widen and round per lane with their alignment halved; a
// helper called with the argument is cloned for it (named by the narrowed
// positions) while other callers keep the original; the GPU form gets a
// clone that is the new kernel's GPU form; prefetches and the aligned
// pointer take the bits as they are.
// CHECK-LABEL: func.func @kernel(
// CHECK:         call @load_chunk(%{{.*}}, %{{.*}}) : (memref<?xf32>, index)
// CHECK-LABEL: func.func @kernel_bf16(
// CHECK-SAME:    %[[C:[^:]*]]: memref<?xi16>, %[[D:[^:]*]]: memref<?xi16>, %[[I:[^:]*]]: index)
// CHECK:         memref.prefetch %[[C]][%[[I]]], read, locality<3>, data : memref<?xi16>
// CHECK:         memref.extract_aligned_pointer_as_index %[[D]] : memref<?xi16> -> index
// CHECK:         %[[V:.*]] = call @load_chunk_bf16_0(%[[C]], %[[I]]) : (memref<?xi16>, index) -> vector<4xf32>
// CHECK:         %[[L0:.*]] = vector.extract %[[V]][0] : f32 from vector<4xf32>
// CHECK:         %[[B0:.*]] = call @nhc_bf16_bits(%[[L0]]) : (f32) -> i32
// CHECK:         %[[N0:.*]] = arith.trunci %[[B0]] : i32 to i16
// CHECK-COUNT-3: call @nhc_bf16_bits(
// CHECK:         %[[R:.*]] = vector.from_elements %[[N0]], %{{.*}}, %{{.*}}, %{{.*}} : vector<4xi16>
// CHECK:         vector.store %[[R]], %[[D]][%[[I]]] {alignment = 8 : i64} : memref<?xi16>, vector<4xi16>
// CHECK-LABEL: func.func private @load_chunk_bf16_0(
// CHECK-SAME:    %[[B:[^:]*]]: memref<?xi16>, %[[J:[^:]*]]: index) -> vector<4xf32>
// CHECK:         %[[BITS:.*]] = vector.load %[[B]][%[[J]]] {alignment = 8 : i64} : memref<?xi16>, vector<4xi16>
// CHECK:         arith.extui %[[BITS]] : vector<4xi16> to vector<4xi32>
// CHECK:         arith.bitcast %{{.*}} : vector<4xi32> to vector<4xf32>
// CHECK-LABEL: func.func private @kernel_gpu(
// CHECK-SAME:    nhc.gpu_variant_of = "kernel"
// CHECK-LABEL: func.func private @kernel_gpu_bf16_state(
// CHECK-SAME:    memref<?xi16>, %{{.*}}: memref<?xi16>, %{{.*}}: index)
// CHECK-SAME:    nhc.gpu_variant_of = "kernel_bf16"
// CHECK:         call @load_chunk_bf16_0(
// CHECK-LABEL: func.func @other(
// CHECK:         call @load_chunk(
func.func private @nhc_bf16_bits(%v: f32) -> i32
func.func @kernel(%c: memref<?xf32> {nhc.bf16_state},
                  %d: memref<?xf32> {nhc.bf16_state}, %i: index)
    attributes {nhc.bf16_state_form = "kernel_bf16"} {
  memref.prefetch %c[%i], read, locality<3>, data : memref<?xf32>
  %address = memref.extract_aligned_pointer_as_index %d : memref<?xf32> -> index
  %v = func.call @load_chunk(%c, %i) : (memref<?xf32>, index) -> vector<4xf32>
  vector.store %v, %d[%i] {alignment = 16} : memref<?xf32>, vector<4xf32>
  return
}
func.func private @load_chunk(%b: memref<?xf32>, %j: index) -> vector<4xf32> {
  %v = vector.load %b[%j] {alignment = 16} : memref<?xf32>, vector<4xf32>
  return %v : vector<4xf32>
}
func.func private @kernel_gpu(%c: memref<?xf32>, %d: memref<?xf32>, %i: index)
    attributes {nhc.gpu_variant_of = "kernel"} {
  %v = func.call @load_chunk(%c, %i) : (memref<?xf32>, index) -> vector<4xf32>
  vector.store %v, %d[%i] : memref<?xf32>, vector<4xf32>
  return
}
func.func @other(%b: memref<?xf32>, %j: index) -> vector<4xf32> {
  %v = func.call @load_chunk(%b, %j) : (memref<?xf32>, index) -> vector<4xf32>
  return %v : vector<4xf32>
}

// -----

// A call passing two narrowed arguments gets one clone for both.
// CHECK-LABEL: func.func @pair_bf16(
// CHECK:         call @both_bf16_0_1(%{{.*}}, %{{.*}}) : (memref<?xi16>, memref<?xi16>) -> ()
// CHECK-LABEL: func.func private @both_bf16_0_1(
// CHECK-SAME:    memref<?xi16>, %{{.*}}: memref<?xi16>)
func.func private @nhc_bf16_bits(%v: f32) -> i32
func.func @pair(%a: memref<?xf32> {nhc.bf16_state},
                %b: memref<?xf32> {nhc.bf16_state})
    attributes {nhc.bf16_state_form = "pair_bf16"} {
  func.call @both(%a, %b) : (memref<?xf32>, memref<?xf32>) -> ()
  return
}
func.func private @both(%a: memref<?xf32>, %b: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %x = memref.load %a[%c0] : memref<?xf32>
  memref.store %x, %b[%c0] : memref<?xf32>
  return
}

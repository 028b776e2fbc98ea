// RUN: nhc-opt %s -split-input-file -nhc-add-sliced-kernels | FileCheck %s

// A single-loop kernel gains a twin with (slice, slices) that runs its share
// of the loop's iterations, linearized: iterations n*slice/slices up to
// n*(slice+1)/slices of n = R * C, each turned back into (r, c).
// CHECK-LABEL: func.func @two_dims(
// CHECK-LABEL: func.func @two_dims_sliced(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?xf32>, %[[R:[^:]*]]: index, %[[C:[^:]*]]: index, %[[SLICE:[^:]*]]: index, %[[SLICES:[^:]*]]: index, %[[PHASE:[^:]*]]: index) -> i1
// CHECK:         %[[FIRST:.*]] = arith.cmpi eq, %[[PHASE]], %{{.*}} : index
// CHECK:         scf.if %[[FIRST]] {
// CHECK:         %[[TR:.*]] = arith.ceildivui
// CHECK:         %[[TC:.*]] = arith.ceildivui
// CHECK:         %[[N:.*]] = arith.muli %{{.*}}, %[[TC]] : index
// CHECK:         %[[NEXT:.*]] = arith.addi %[[SLICE]], %{{.*}} : index
// CHECK:         %[[NLO:.*]] = arith.muli %[[N]], %[[SLICE]] : index
// CHECK:         %[[LO:.*]] = arith.divui %[[NLO]], %[[SLICES]] : index
// CHECK:         %[[NHI:.*]] = arith.muli %[[N]], %[[NEXT]] : index
// CHECK:         %[[HI:.*]] = arith.divui %[[NHI]], %[[SLICES]] : index
// CHECK:         scf.parallel (%[[I:.*]]) = (%[[LO]]) to (%[[HI]]) step
// CHECK:           arith.remui %[[I]], %[[TC]] : index
// CHECK:           %[[ROWS:.*]] = arith.divui %[[I]], %[[TC]] : index
// CHECK:           arith.remui %[[ROWS]], %[[TR]] : index
// CHECK:           memref.store
// One phase: the result says whether phase + 1 < 1.
// CHECK:         %[[NEXTPHASE:.*]] = arith.addi %[[PHASE]], %{{.*}} : index
// CHECK:         %[[MORE:.*]] = arith.cmpi ult, %[[NEXTPHASE]], %{{.*}} : index
// CHECK:         return %[[MORE]] : i1
func.func @two_dims(%x: memref<?xf32>, %R: index, %C: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%r, %c) = (%c0, %c0) to (%R, %C) step (%c1, %c1) {
    %row = arith.muli %r, %C : index
    %i = arith.addi %row, %c : index
    memref.store %one, %x[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// Reading memory outside the loop is fine (a scale loaded once).
// CHECK-LABEL: func.func @load_outside(
// CHECK-LABEL: func.func @load_outside_sliced(
func.func @load_outside(%x: memref<?xf32>, %s: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %scale = memref.load %s[%c0] : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %scale, %x[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// Argument attributes stay on the kernel's arguments; the new ones have none.
// CHECK-LABEL: func.func @with_arg_attrs_sliced(
// CHECK-SAME:    %{{[^:]*}}: memref<?xf32> {test.kept}, %{{[^:]*}}: index, %{{[^:]*}}: index, %{{[^:]*}}: index, %{{[^:]*}}: index) -> i1
func.func @with_arg_attrs(%x: memref<?xf32> {test.kept}, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %one, %x[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// Two loops (attention appends K/V, then reads it) become two phases: the
// runtime finishes every slice of phase 0 before phase 1 starts.
// CHECK-LABEL: func.func @two_loops_sliced(
// CHECK-SAME:    %[[PH:[^:]*]]: index) -> i1
// CHECK:         %[[P0:.*]] = arith.cmpi eq, %[[PH]], %[[C0:.*]] : index
// CHECK:         scf.if %[[P0]] {
// CHECK:           scf.parallel
// CHECK:         %[[P1:.*]] = arith.cmpi eq, %[[PH]], %[[CI1:.*]] : index
// CHECK:         scf.if %[[P1]] {
// CHECK:           scf.parallel
// CHECK:         arith.cmpi ult
func.func @two_loops(%x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %one, %x[%i] : memref<?xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %x[%i] : memref<?xf32>
    %d = arith.addf %v, %v : f32
    memref.store %d, %x[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// A write outside the loops, a reduction, or a private helper: no twin,
// the kernel runs on one thread.
// CHECK-NOT: _sliced
func.func @store_outside(%x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  memref.store %one, %x[%c0] : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %one, %x[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

func.func @reduction(%x: memref<?xf32>, %n: index) -> () {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %s = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %v = memref.load %x[%i] : memref<?xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %sum = arith.addf %a, %b : f32
      scf.reduce.return %sum : f32
    }
  }
  memref.store %s, %x[%c0] : memref<?xf32>
  return
}

func.func private @helper(%x: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %one, %x[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// REQUIRES: system-linux
// gpu.shuffle in the emulation: each thread reads its source lane's value in
// its own warp. Two warps of a 64-thread block, x[t] = t * 3 + 1: a xor
// butterfly sums each warp's values into every lane, down / up shuffles read
// the neighbours (and are not valid past the warp's ends), xor 1 swaps lane
// pairs, idx reads one lane (a constant offset, and 37, a kernel argument, of
// which shfl.sync takes the low 5 bits: lane 5 again) and each lane's mirror
// (an offset kept per thread). The check compares every element with what
// the lanes' values give.
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races})' -o %t.ll.mlir
// RUN: mlir-runner %t.ll.mlir -e main -entry-point-result=void
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers check-races reverse-order})' -o %t.rev.ll.mlir
// RUN: mlir-runner %t.rev.ll.mlir -e main -entry-point-result=void
// A shuffle from the wrong lane fails the check (down by 2 instead of 1):
// RUN: sed 's/%down, %downOk = gpu.shuffle down %v, %one/%down, %downOk = gpu.shuffle down %v, %by2/' %s | nhc-opt --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers})' -o %t.bad.ll.mlir
// RUN: not --crash stdbuf -o0 mlir-runner %t.bad.ll.mlir -e main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: shuffle emulation: down differs
// A block of 48 threads leaves its second warp 16 lanes: a shuffle reading
// past them aborts.
// RUN: sed 's/sx = .c64,/sx = %c48,/' %s | nhc-opt --pass-pipeline='builtin.module(nhc-kernels-to-gpu-emulation-pipeline{keep-launchers})' -o %t.past.ll.mlir
// RUN: not --crash stdbuf -o0 mlir-runner %t.past.ll.mlir -e main -entry-point-result=void 2>&1 | FileCheck %s --check-prefix=PAST
// PAST: GPU kernel '{{.*}}': a gpu.shuffle reads a lane past the block's threads
// On the GPU the same ops are the warp shuffle instructions:
// RUN: nhc-opt %s --pass-pipeline='builtin.module(nhc-kernels-to-nvvm-pipeline{chip=sm_80,sm_90})' | FileCheck %s --check-prefix=PTX
// PTX-DAG: shfl.sync.bfly.b32
// PTX-DAG: shfl.sync.down.b32
// PTX-DAG: shfl.sync.up.b32
// PTX-DAG: shfl.sync.idx.b32

// out[k * 64 + t] for k = 0 .. 9: the warp's sum, down 1, its valid flag, up
// 3, its valid flag, lane 5's value, the mirror lane's (31 - lane) value, the
// value of lane ^ 1, idx `far` (37: lane 5), its valid flag.
func.func @shuffles(%x: memref<?xf32>, %out: memref<?xf32>, %far: i32) {
  %c1 = arith.constant 1 : index
  %c48 = arith.constant 48 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %c32 = arith.constant 32 : index
    %n64 = arith.constant 64 : index
    %one = arith.constant 1 : i32
    %by2 = arith.constant 2 : i32
    %three = arith.constant 3 : i32
    %four = arith.constant 4 : i32
    %five = arith.constant 5 : i32
    %eight = arith.constant 8 : i32
    %sixteen = arith.constant 16 : i32
    %c31 = arith.constant 31 : i32
    %width = arith.constant 32 : i32
    %zf = arith.constant 0.0 : f32
    %onef = arith.constant 1.0 : f32
    %v = memref.load %x[%tx] : memref<?xf32>
    %s1, %ok1 = gpu.shuffle xor %v, %sixteen, %width : f32
    %v1 = arith.addf %v, %s1 : f32
    %s2, %ok2 = gpu.shuffle xor %v1, %eight, %width : f32
    %v2 = arith.addf %v1, %s2 : f32
    %s3, %ok3 = gpu.shuffle xor %v2, %four, %width : f32
    %v3 = arith.addf %v2, %s3 : f32
    %s4, %ok4 = gpu.shuffle xor %v3, %by2, %width : f32
    %v4 = arith.addf %v3, %s4 : f32
    %s5, %ok5 = gpu.shuffle xor %v4, %one, %width : f32
    %sum = arith.addf %v4, %s5 : f32
    %down, %downOk = gpu.shuffle down %v, %one, %width : f32
    %up, %upOk = gpu.shuffle up %v, %three, %width : f32
    %fifth, %fifthOk = gpu.shuffle idx %v, %five, %width : f32
    %lane = arith.remui %tx, %c32 : index
    %lane32 = arith.index_cast %lane : index to i32
    %mirrorLane = arith.subi %c31, %lane32 : i32
    %mirror, %mirrorOk = gpu.shuffle idx %v, %mirrorLane, %width : f32
    %swapped, %swappedOk = gpu.shuffle xor %v, %one, %width : f32
    %farLane, %farOk = gpu.shuffle idx %v, %far, %width : f32
    %downFlag = arith.select %downOk, %onef, %zf : f32
    %upFlag = arith.select %upOk, %onef, %zf : f32
    %farFlag = arith.select %farOk, %onef, %zf : f32
    %values = vector.from_elements %sum, %down, %downFlag, %up, %upFlag, %fifth, %mirror, %swapped, %farLane, %farFlag : vector<10xf32>
    %c10 = arith.constant 10 : index
    %step = arith.constant 1 : index
    scf.for %i = %c0 to %c10 step %step {
      %e = vector.extract %values[%i] : f32 from vector<10xf32>
      %row = arith.muli %i, %n64 : index
      %at = arith.addi %row, %tx : index
      memref.store %e, %out[%at] : memref<?xf32>
    }
    gpu.terminator
  }
  return
}

func.func private @expect(%out: memref<?xf32>, %k: index, %t: index,
                          %want: f32) {
  %c64 = arith.constant 64 : index
  %row = arith.muli %k, %c64 : index
  %at = arith.addi %row, %t : index
  %got = memref.load %out[%at] : memref<?xf32>
  %same = arith.cmpf oeq, %got, %want : f32
  cf.assert %same, "shuffle emulation: a value differs"
  return
}

// x[t] = t * 3 + 1, thread t's value.
func.func private @value(%t: index) -> f32 {
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %p = arith.muli %t, %c3 : index
  %q = arith.addi %p, %c1 : index
  %i = arith.index_cast %q : index to i64
  %f = arith.sitofp %i : i64 to f32
  return %f : f32
}

func.func @check(%out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  %c9 = arith.constant 9 : index
  %c31 = arith.constant 31 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %zf = arith.constant 0.0 : f32
  %onef = arith.constant 1.0 : f32
  scf.for %t = %c0 to %c64 step %c1 {
    %lane = arith.remui %t, %c32 : index
    %warp = arith.subi %t, %lane : index
    %mine = func.call @value(%t) : (index) -> f32
    // The warp's sum: 32 values, exact in f32.
    %warpEnd = arith.addi %warp, %c32 : index
    %sum = scf.for %u = %warp to %warpEnd step %c1 iter_args(%s = %zf) -> (f32) {
      %xv = func.call @value(%u) : (index) -> f32
      %s2 = arith.addf %s, %xv : f32
      scf.yield %s2 : f32
    }
    %row0 = arith.addi %t, %c0 : index
    %gotSum = memref.load %out[%row0] : memref<?xf32>
    %sumOk = arith.cmpf oeq, %gotSum, %sum : f32
    cf.assert %sumOk, "shuffle emulation: xor sum differs"
    // down 1: lane + 1 while it is in the warp, else the lane's own value.
    %next = arith.addi %lane, %c1 : index
    %downIn = arith.cmpi ult, %next, %c32 : index
    %tNext = arith.addi %t, %c1 : index
    %downFrom = arith.select %downIn, %tNext, %t : index
    %downWant = func.call @value(%downFrom) : (index) -> f32
    %at1 = arith.addi %t, %c64 : index
    %gotDown = memref.load %out[%at1] : memref<?xf32>
    %downOk = arith.cmpf oeq, %gotDown, %downWant : f32
    cf.assert %downOk, "shuffle emulation: down differs"
    %downFlag = arith.select %downIn, %onef, %zf : f32
    func.call @expect(%out, %c2, %t, %downFlag) : (memref<?xf32>, index, index, f32) -> ()
    // up 3: lane - 3 from lane 3 on.
    %upIn = arith.cmpi uge, %lane, %c3 : index
    %tPrev = arith.subi %t, %c3 : index
    %upFrom = arith.select %upIn, %tPrev, %t : index
    %upWant = func.call @value(%upFrom) : (index) -> f32
    func.call @expect(%out, %c3, %t, %upWant) : (memref<?xf32>, index, index, f32) -> ()
    %upFlag = arith.select %upIn, %onef, %zf : f32
    func.call @expect(%out, %c4, %t, %upFlag) : (memref<?xf32>, index, index, f32) -> ()
    // idx 5 and the mirror lane.
    %fifthT = arith.addi %warp, %c5 : index
    %fifth = func.call @value(%fifthT) : (index) -> f32
    func.call @expect(%out, %c5, %t, %fifth) : (memref<?xf32>, index, index, f32) -> ()
    %mirrorLane = arith.subi %c31, %lane : index
    %mirrorT = arith.addi %warp, %mirrorLane : index
    %mirror = func.call @value(%mirrorT) : (index) -> f32
    func.call @expect(%out, %c6, %t, %mirror) : (memref<?xf32>, index, index, f32) -> ()
    // xor 1: the other lane of the pair; idx 37: lane 5, valid.
    %pairLane = arith.xori %lane, %c1 : index
    %pairT = arith.addi %warp, %pairLane : index
    %pair = func.call @value(%pairT) : (index) -> f32
    func.call @expect(%out, %c7, %t, %pair) : (memref<?xf32>, index, index, f32) -> ()
    func.call @expect(%out, %c8, %t, %fifth) : (memref<?xf32>, index, index, f32) -> ()
    func.call @expect(%out, %c9, %t, %onef) : (memref<?xf32>, index, index, f32) -> ()
  }
  return
}

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c640 = arith.constant 640 : index
  %far = arith.constant 37 : i32
  %x = memref.alloc(%c64) : memref<?xf32>
  %out = memref.alloc(%c640) : memref<?xf32>
  scf.for %t = %c0 to %c64 step %c1 {
    %v = func.call @value(%t) : (index) -> f32
    memref.store %v, %x[%t] : memref<?xf32>
  }
  func.call @shuffles(%x, %out, %far) : (memref<?xf32>, memref<?xf32>, i32) -> ()
  func.call @check(%out) : (memref<?xf32>) -> ()
  memref.dealloc %x : memref<?xf32>
  memref.dealloc %out : memref<?xf32>
  return
}

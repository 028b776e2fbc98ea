// RUN: nhc-opt %s --nemotron-exec-plan-buffers | FileCheck %s

// q, k and v are written by three gemms into buffers of their own, packed
// into @qkv at columns 0, 8 and 12: the pass moves each gemm's output (and
// a tap) to those columns with @qkv's row stride and drops the three
// declarations; the attention call already reads @qkv.

// CHECK: nemotron_exec.buffer @b0 per token : tensor<16xf32>
// CHECK: nemotron_exec.buffer @b1 per token : tensor<16xf32>
// CHECK-NEXT: nemotron_exec.schedule @body
// CHECK: nemotron_exec.gemm @wq rows %{{.*}} a %[[X:.*]][0, 16] c %[[QKV:.*]][0, 16]
// CHECK: nemotron_exec.gemm @wk rows %{{.*}} a %[[X]][0, 16] c %{{.*}}[8, 16]
// CHECK: nemotron_exec.gemm @wv rows %{{.*}} a %[[X]][0, 16] c %{{.*}}[12, 16]
// CHECK: nemotron_exec.tap "embeddings" %{{.*}}[12, 16] width 4
// CHECK: nemotron_exec.call @attend(%{{.*}}, %c16)
// CHECK-NOT: within

func.func private @attend(memref<?xf32>, index)
nemotron_exec.weight @wq : tensor<8x16xf32>
nemotron_exec.weight @wk : tensor<4x16xf32>
nemotron_exec.weight @wv : tensor<4x16xf32>
nemotron_exec.buffer @x per token : tensor<16xf32>
nemotron_exec.buffer @qkv per token : tensor<16xf32>
nemotron_exec.buffer @q per token : tensor<8xf32> {within = @qkv, column = 0}
nemotron_exec.buffer @k per token : tensor<4xf32> {within = @qkv, column = 8}
nemotron_exec.buffer @v per token : tensor<4xf32> {within = @qkv, column = 12}
nemotron_exec.schedule @body {
  %t = nemotron_exec.dim tokens
  %x = nemotron_exec.buffer_ref @x : memref<?xf32>
  %q = nemotron_exec.buffer_ref @q : memref<?xf32>
  %k = nemotron_exec.buffer_ref @k : memref<?xf32>
  %v = nemotron_exec.buffer_ref @v : memref<?xf32>
  nemotron_exec.gemm @wq rows %t a %x[0, 16] c %q[0, 8] {epilogue = "none", k = 16, n = 8} : memref<?xf32>, memref<?xf32>
  nemotron_exec.gemm @wk rows %t a %x[0, 16] c %k[0, 4] {epilogue = "none", k = 16, n = 4} : memref<?xf32>, memref<?xf32>
  nemotron_exec.gemm @wv rows %t a %x[0, 16] c %v[0, 4] {epilogue = "none", k = 16, n = 4} : memref<?xf32>, memref<?xf32>
  nemotron_exec.tap "embeddings" %v[0, 4] width 4 : memref<?xf32>
  %qkv = nemotron_exec.buffer_ref @qkv : memref<?xf32>
  %c16 = arith.constant 16 : index
  nemotron_exec.call @attend(%qkv, %c16) : (memref<?xf32>, index) -> ()
}

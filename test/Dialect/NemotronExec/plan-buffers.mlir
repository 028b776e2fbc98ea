// RUN: nhc-opt %s --nemotron-exec-plan-buffers | FileCheck %s

// @x dies at the first call, so @y (same rows and type, first used later)
// takes its storage; @z overlaps @y and gets its own; @i32 and @req differ in
// element type and rows; @unused is dropped; @head takes @y's storage and,
// read by @head_all, lives to the end of @body: @late takes @z's.

// CHECK: nemotron_exec.buffer @b0 per token : tensor<4xf32>
// CHECK-NEXT: nemotron_exec.buffer @b1 per token : tensor<4xf32>
// CHECK-NEXT: nemotron_exec.buffer @b2 per token : tensor<4xi32>
// CHECK-NEXT: nemotron_exec.buffer @b3 per request : tensor<4xf32>
// CHECK-NEXT: nemotron_exec.schedule @body
// CHECK: %[[X:.*]] = nemotron_exec.buffer_ref @b0
// CHECK: nemotron_exec.call @use1(%[[X]])
// CHECK: %[[Y:.*]] = nemotron_exec.buffer_ref @b0
// CHECK: %[[Z:.*]] = nemotron_exec.buffer_ref @b1
// CHECK: nemotron_exec.call @use2(%[[Y]], %[[Z]])
// CHECK: nemotron_exec.buffer_ref @b2 : memref<?xi32>
// CHECK: nemotron_exec.buffer_ref @b3 : memref<?xf32>
// CHECK: %[[HEAD:.*]] = nemotron_exec.buffer_ref @b0
// CHECK: nemotron_exec.call @use1(%[[HEAD]])
// CHECK: %[[LATE:.*]] = nemotron_exec.buffer_ref @b1
// CHECK: nemotron_exec.call @use1(%[[LATE]])
// CHECK-LABEL: nemotron_exec.schedule @head_all
// CHECK: nemotron_exec.buffer_ref @b0

func.func private @use1(memref<?xf32>)
func.func private @use2(memref<?xf32>, memref<?xf32>)
func.func private @use_i32(memref<?xi32>)
nemotron_exec.buffer @x per token : tensor<4xf32>
nemotron_exec.buffer @unused per token : tensor<4xf32>
nemotron_exec.buffer @y per token : tensor<4xf32>
nemotron_exec.buffer @z per token : tensor<4xf32>
nemotron_exec.buffer @i32 per token : tensor<4xi32>
nemotron_exec.buffer @req per request : tensor<4xf32>
nemotron_exec.buffer @head per token : tensor<4xf32>
nemotron_exec.buffer @late per token : tensor<4xf32>
nemotron_exec.schedule @body {
  %x = nemotron_exec.buffer_ref @x : memref<?xf32>
  nemotron_exec.call @use1(%x) : (memref<?xf32>) -> ()
  %y = nemotron_exec.buffer_ref @y : memref<?xf32>
  %z = nemotron_exec.buffer_ref @z : memref<?xf32>
  nemotron_exec.call @use2(%y, %z) : (memref<?xf32>, memref<?xf32>) -> ()
  %i = nemotron_exec.buffer_ref @i32 : memref<?xi32>
  nemotron_exec.call @use_i32(%i) : (memref<?xi32>) -> ()
  %r = nemotron_exec.buffer_ref @req : memref<?xf32>
  nemotron_exec.call @use1(%r) : (memref<?xf32>) -> ()
  %h = nemotron_exec.buffer_ref @head : memref<?xf32>
  nemotron_exec.call @use1(%h) : (memref<?xf32>) -> ()
  %l = nemotron_exec.buffer_ref @late : memref<?xf32>
  nemotron_exec.call @use1(%l) : (memref<?xf32>) -> ()
}
nemotron_exec.schedule @head_all {
  %h = nemotron_exec.buffer_ref @head : memref<?xf32>
  nemotron_exec.call @use1(%h) : (memref<?xf32>) -> ()
}

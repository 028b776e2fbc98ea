// RUN: nhc-opt %s -split-input-file -verify-diagnostics -nhc-add-bf16-state-kernels

func.func @k(%c: memref<?xf32> {nhc.bf16_state}, %n: index)
    attributes {nhc.bf16_state_form = "k_bf16"} {
  %c0 = arith.constant 0 : index
  // A use whose meaning depends on the element size.
  // expected-error @+1 {{cannot keep this operand as bf16 state ('memref.subview' is not a load, store, prefetch, aligned-pointer query or call)}}
  %s = memref.subview %c[%c0] [%n] [1] : memref<?xf32> to memref<?xf32, strided<[1], offset: ?>>
  return
}

// -----

// expected-error @+1 {{no argument is marked nhc.bf16_state}}
func.func @k(%c: memref<?xf32>) attributes {nhc.bf16_state_form = "k_bf16"} {
  return
}

// -----

// expected-error @+1 {{argument 0 kept as bf16 must be memref<?xf32>, got 'memref<?xi32>'}}
func.func @k(%c: memref<?xi32> {nhc.bf16_state})
    attributes {nhc.bf16_state_form = "k_bf16"} {
  return
}

// -----

func.func @k_bf16() {
  return
}
// expected-error @+1 {{'k_bf16' (its bf16 state form) already exists}}
func.func @k(%c: memref<?xf32> {nhc.bf16_state})
    attributes {nhc.bf16_state_form = "k_bf16"} {
  return
}

// -----

// Storing the state's memref itself (not through it) is no narrowable use.
func.func @k(%c: memref<?xf32> {nhc.bf16_state}, %box: memref<1xmemref<?xf32>>)
    attributes {nhc.bf16_state_form = "k_bf16"} {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{cannot keep this operand as bf16 state}}
  memref.store %c, %box[%c0] : memref<1xmemref<?xf32>>
  return
}

// -----

// A store of bf16 state rounds by the library's helper; without it (or with
// another signature) the pass refuses the store.
func.func private @nhc_bf16_bits(%v: f64) -> i32
func.func @k(%c: memref<?xf32> {nhc.bf16_state}, %i: index, %v: f32)
    attributes {nhc.bf16_state_form = "k_bf16"} {
  // expected-error @+1 {{storing bf16 state needs @nhc_bf16_bits : (f32) -> i32 in the module (lib/Kernels/device_ops.mlir)}}
  memref.store %v, %c[%i] : memref<?xf32>
  return
}

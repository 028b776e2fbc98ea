// RUN: nhc-opt %s -split-input-file -verify-diagnostics --nemotron-exec-plan-buffers
// RUN: nhc-opt %S/../../Conversion/NemotronToExec/Inputs/in-place-read-later.mlir -verify-diagnostics --convert-nemotron-to-exec --nemotron-exec-plan-buffers

// An in-place update whose source is read after it: its old values are gone.

func.func private @update(memref<?xf32>)
func.func private @read(memref<?xf32>)
nemotron_exec.buffer @a per token : tensor<4xf32>
nemotron_exec.buffer @b per token : tensor<4xf32>
nemotron_exec.schedule @body {
  %a = nemotron_exec.buffer_ref @a : memref<?xf32>
  nemotron_exec.call @update(%a) : (memref<?xf32>) -> ()
  // expected-error @+1 {{updates buffer 'a' in place, but its old values are read later}}
  nemotron_exec.alias @b = @a
  nemotron_exec.call @read(%a) : (memref<?xf32>) -> ()
}

// -----

// ... also when a head schedule reads it (heads run after the body).

func.func private @update(memref<?xf32>)
nemotron_exec.buffer @a per token : tensor<4xf32>
nemotron_exec.buffer @b per token : tensor<4xf32>
nemotron_exec.schedule @body {
  %a = nemotron_exec.buffer_ref @a : memref<?xf32>
  nemotron_exec.call @update(%a) : (memref<?xf32>) -> ()
  // expected-error @+1 {{updates buffer 'a' in place, but its old values are read later}}
  nemotron_exec.alias @b = @a
}
nemotron_exec.schedule @head_all {
  %a = nemotron_exec.buffer_ref @a : memref<?xf32>
  nemotron_exec.call @update(%a) : (memref<?xf32>) -> ()
}

// -----

nemotron_exec.buffer @a per token : tensor<4xf32>
nemotron_exec.buffer @b per token : tensor<8xf32>
nemotron_exec.schedule @body {
  // expected-error @+1 {{buffers 'b' and 'a' differ in rows or row type, so one cannot hold the other}}
  nemotron_exec.alias @b = @a
}

// -----

// A packed buffer read by a kernel call: its columns cannot be moved.

func.func private @read(memref<?xf32>)
nemotron_exec.buffer @qkv per token : tensor<16xf32>
nemotron_exec.buffer @q per token : tensor<8xf32> {within = @qkv, column = 0}
nemotron_exec.schedule @body {
  %q = nemotron_exec.buffer_ref @q : memref<?xf32>
  // expected-error @+1 {{reads buffer 'q', packed into 'qkv', but its columns cannot be moved there}}
  nemotron_exec.call @read(%q) : (memref<?xf32>) -> ()
}

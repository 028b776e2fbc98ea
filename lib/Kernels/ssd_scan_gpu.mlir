// GPU form of ssd_scan.mlir's decode scan (nhc-select-kernel-variants): one
// block of 256 threads per (head, request) instead of one thread per state
// row. The head's P x N state (contiguous in the pool) is streamed once per
// token, 8 rows at a time: the 32 lanes of a row take every 32nd state
// element (consecutive lanes, consecutive floats), update it and sum their
// share of C . h_p; the row's first lane adds the 32 partial sums from
// workgroup memory in lane order and writes y_p. Same arithmetic per state
// element as the portable form; y's sum runs in another order.
func.func private @nhc_ssd_scan_gpu(%xbc: memref<?xf32>, %proj: memref<?xf32>,
                                    %proj_stride: index, %dt_offset: index,
                                    %dt_bias: memref<?xf32>,
                                    %a_log: memref<?xf32>, %d: memref<?xf32>,
                                    %ssm_state: memref<?xf32>,
                                    %y: memref<?xf32>, %req: memref<?xi64>,
                                    %R: index, %H: index, %P: index,
                                    %N: index, %G: index, %dt_min: f32,
                                    %dt_max: f32)
    attributes {nhc.gpu_variant_of = "nhc_ssd_scan"} {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  gpu.launch blocks(%h, %r, %bz) in (%gx = %H, %gy = %R, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)
             workgroup(%partial : memref<256xf32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %one = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %c32 = arith.constant 32 : index
    %zero = arith.constant 0.0 : f32
    %true = arith.constant true
    %HP = arith.muli %H, %P : index
    %GN = arith.muli %G, %N : index
    %xbcStride = func.call @nhc_ssd_xbc_stride(%H, %P, %N, %G)
        : (index, index, index, index) -> index
    %q:5 = func.call @nhc_ssd_request(%req, %r) : (memref<?xi64>, index)
        -> (index, index, index, index, i1)
    // Prefill requests are the chunked scan's: a trip count of zero rather
    // than a branch, because every thread must reach the barriers.
    %ntok = arith.select %q#4, %c0, %q#1 : index
    %row = arith.divui %tx, %c32 : index
    %lane = arith.remui %tx, %c32 : index
    %g = func.call @nhc_ssd_group(%h, %H, %G) : (index, index, index) -> index
    %A = func.call @nhc_ssd_a(%a_log, %h) : (memref<?xf32>, index) -> f32
    %Dh = memref.load %d[%h] : memref<?xf32>
    %dtb = memref.load %dt_bias[%h] : memref<?xf32>
    %hp0 = arith.muli %h, %P : index
    %sbase0 = func.call @nhc_ssd_state_row(%q#3, %hp0, %HP, %N)
        : (index, index, index, index) -> index
    %bcol = func.call @nhc_ssd_b_col(%g, %HP, %N) : (index, index, index) -> index
    %ccol = arith.addi %bcol, %GN : index
    %dtcol = arith.addi %dt_offset, %h : index
    %isLead = arith.cmpi eq, %lane, %c0 : index
    %firstPartial = arith.muli %row, %c32 : index
    scf.for %t = %c0 to %ntok step %one {
      %tok = arith.addi %q#0, %t : index
      %dt = func.call @nhc_ssd_dt(%proj, %tok, %proj_stride, %dtcol, %dtb,
                                  %true, %dt_min, %dt_max)
          : (memref<?xf32>, index, index, index, f32, i1, f32, f32) -> f32
      %dtA = arith.mulf %dt, %A : f32
      %dA = math.exp %dtA : f32
      %xrow = arith.muli %tok, %xbcStride : index
      %bbase = arith.addi %xrow, %bcol : index
      %cbase = arith.addi %xrow, %ccol : index
      %yrow = arith.muli %tok, %HP : index
      scf.for %p0 = %c0 to %P step %c8 {
        %p = arith.addi %p0, %row : index
        %active = arith.cmpi ult, %p, %P : index
        %hp = arith.addi %hp0, %p : index
        %xi = arith.addi %xrow, %hp : index
        %pN = arith.muli %p, %N : index
        %sbase = arith.addi %sbase0, %pN : index
        %x, %acc = scf.if %active -> (f32, f32) {
          %xv = memref.load %xbc[%xi] : memref<?xf32>
          %s = scf.for %n = %lane to %N step %c32 iter_args(%a = %zero) -> (f32) {
            %si = arith.addi %sbase, %n : index
            %sv = memref.load %ssm_state[%si] : memref<?xf32>
            %bi = arith.addi %bbase, %n : index
            %bv = memref.load %xbc[%bi] : memref<?xf32>
            %ci = arith.addi %cbase, %n : index
            %cv = memref.load %xbc[%ci] : memref<?xf32>
            %decay = arith.mulf %sv, %dA : f32
            %dB = arith.mulf %dt, %bv : f32
            %dBx = arith.mulf %dB, %xv : f32
            %s2 = arith.addf %decay, %dBx : f32
            memref.store %s2, %ssm_state[%si] : memref<?xf32>
            %cs = arith.mulf %cv, %s2 : f32
            %a2 = arith.addf %a, %cs : f32
            scf.yield %a2 : f32
          }
          scf.yield %xv, %s : f32, f32
        } else {
          scf.yield %zero, %zero : f32, f32
        }
        memref.store %acc, %partial[%tx] : memref<256xf32, #gpu.address_space<workgroup>>
        gpu.barrier
        %write = arith.andi %isLead, %active : i1
        scf.if %write {
          %sum = scf.for %i = %c0 to %c32 step %one iter_args(%a = %zero) -> (f32) {
            %pi = arith.addi %firstPartial, %i : index
            %pv = memref.load %partial[%pi] : memref<256xf32, #gpu.address_space<workgroup>>
            %a2 = arith.addf %a, %pv : f32
            scf.yield %a2 : f32
          }
          %dx = arith.mulf %x, %Dh : f32
          %yv = arith.addf %sum, %dx : f32
          %yi = arith.addi %yrow, %hp : index
          memref.store %yv, %y[%yi] : memref<?xf32>
        }
        gpu.barrier
      }
    }
    gpu.terminator
  }
  return
}

// GPU form of logprob.mlir (nhc-select-kernel-variants): a block of 1024
// threads per row, as sample_gpu.mlir. The block finds the row's top by
// shuffles (@nhc_sample_block_best), sums its terms in f64 (each thread's
// stretch in order, then the threads' partial sums in a fixed order:
// the same sum on every run), thread 0 writes the picked token's entry;
// for N > 0 the N-th ranked candidate by sample_gpu.mlir's radix select in
// count mode, then each thread appends its candidates up to it to a list
// in workgroup memory (a workgroup atomic count) and thread 0 sorts the
// list. About 7 passes over the row (1 top, 1 sum, 4 select, 1 list);
// not measured on a GPU. Ids need V < 2^24 as sample_gpu.mlir's.
func.func private @nhc_logprob_rows_gpu(%logits: memref<?xf32>,
    %picked: memref<?xi32>, %out: memref<?xi32>, %R: index, %V: index,
    %N: index) attributes {nhc.gpu_variant_of = "nhc_logprob_rows"} {
  %c1 = arith.constant 1 : index
  %c1024 = arith.constant 1024 : index
  gpu.launch blocks(%r, %by, %bz) in (%gx = %R, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1024, %sy = %c1, %sz = %c1)
             workgroup(%bestV : memref<32xf32, #gpu.address_space<workgroup>>,
                       %bestI : memref<32xi32, #gpu.address_space<workgroup>>,
                       %parts : memref<1024xf64, #gpu.address_space<workgroup>>,
                       %warpSums : memref<32xf64, #gpu.address_space<workgroup>>,
                       %hCount : memref<256xi32, #gpu.address_space<workgroup>>,
                       %hMass : memref<256xf64, #gpu.address_space<workgroup>>,
                       %hMin : memref<256xi32, #gpu.address_space<workgroup>>,
                       %hMax : memref<256xi32, #gpu.address_space<workgroup>>,
                       %pick : memref<8xi32, #gpu.address_space<workgroup>>,
                       %pickF : memref<4xf64, #gpu.address_space<workgroup>>,
                       %warpN : memref<32xf32, #gpu.address_space<workgroup>>,
                       %listN : memref<1xi32, #gpu.address_space<workgroup>>,
                       %list : memref<32xi32, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %c32 = arith.constant 32 : index
    %step = arith.constant 1024 : index
    %k0 = arith.constant 0 : i32
    %k1 = arith.constant 1 : i32
    %k32 = arith.constant 32 : i32
    %zero = arith.constant 0.0 : f64
    %one = arith.constant 1.0 : f32
    %none = arith.constant 0xFF800000 : f32
    %false = arith.constant false
    %true = arith.constant true
    %lead = arith.cmpi eq, %tx, %c0 : index
    %row = arith.muli %r, %V : index
    %entries = arith.addi %N, %c1 : index
    %base = arith.muli %r, %entries : index
    scf.if %lead {
      memref.store %k0, %listN[%c0] : memref<1xi32, #gpu.address_space<workgroup>>
    }
    %mine:2 = scf.for %j = %tx to %V step %step
        iter_args(%bv = %none, %bi = %V) -> (f32, index) {
      %at = arith.addi %row, %j : index
      %v = memref.load %logits[%at] : memref<?xf32>
      %n:2 = func.call @nhc_argmax_better(%v, %j, %bv, %bi)
          : (f32, index, f32, index) -> (f32, index)
      scf.yield %n#0, %n#1 : f32, index
    }
    %best:2 = func.call @nhc_sample_block_best(%mine#0, %mine#1, %tx, %V,
        %bestV, %bestI)
        : (f32, index, index, index,
           memref<32xf32, #gpu.address_space<workgroup>>,
           memref<32xi32, #gpu.address_space<workgroup>>) -> (f32, index)
    %nan = arith.cmpf uno, %best#0, %best#0 : f32
    scf.if %nan {
      scf.if %lead {
        func.call @nhc_logprob_nan_row(%picked, %out, %r, %base, %N,
            %best#1)
            : (memref<?xi32>, memref<?xi32>, index, index, index, index)
            -> ()
      }
    } else {
      %mySum = scf.for %j = %tx to %V step %step iter_args(%s = %zero)
          -> (f64) {
        %at = arith.addi %row, %j : index
        %l = memref.load %logits[%at] : memref<?xf32>
        %t = func.call @nhc_logprob_term(%l, %best#0) : (f32, f32) -> f64
        %ns = arith.addf %s, %t : f64
        scf.yield %ns : f64
      }
      %sum = func.call @nhc_logprob_block_sum(%mySum, %tx, %parts, %warpSums)
          : (f64, index, memref<1024xf64, #gpu.address_space<workgroup>>,
             memref<32xf64, #gpu.address_space<workgroup>>) -> f64
      %logSum = func.call @nhc_logprob_log_sum(%best#0, %sum)
          : (f32, f64) -> f64
      scf.if %lead {
        func.call @nhc_logprob_write_picked(%logits, %row, %V, %picked, %r,
            %out, %base, %best#0, %logSum)
            : (memref<?xf32>, index, index, memref<?xi32>, index,
               memref<?xi32>, index, f32, f64) -> ()
      }
      %some = arith.cmpi ugt, %N, %c0 : index
      scf.if %some {
        %Nf = func.call @nhc_sample_index_f64(%N) : (index) -> f64
        %all = func.call @nhc_sample_key(%none) : (f32) -> i32
        %b:4 = func.call @nhc_sample_select_block(%logits, %row, %V, %tx,
            %all, %V, %best#0, %one, %Nf, %false, %true, %hCount, %hMass,
            %hMin, %hMax, %pick, %pickF, %warpN)
            : (memref<?xf32>, index, index, index, i32, index, f32, f32, f64,
               i1, i1, memref<256xi32, #gpu.address_space<workgroup>>,
               memref<256xf64, #gpu.address_space<workgroup>>,
               memref<256xi32, #gpu.address_space<workgroup>>,
               memref<256xi32, #gpu.address_space<workgroup>>,
               memref<8xi32, #gpu.address_space<workgroup>>,
               memref<4xf64, #gpu.address_space<workgroup>>,
               memref<32xf32, #gpu.address_space<workgroup>>)
            -> (i32, index, f64, i1)
        %bKey = arith.select %b#3, %b#0, %all : i32
        %bId = arith.select %b#3, %b#1, %V : index
        // The prefix through the boundary (at most N ids) into the list.
        scf.for %j = %tx to %V step %step {
          %at = arith.addi %row, %j : index
          %l = memref.load %logits[%at] : memref<?xf32>
          %key = func.call @nhc_sample_key(%l) : (f32) -> i32
          %in = func.call @nhc_sample_in_prefix(%key, %j, %bKey, %bId)
              : (i32, index, i32, index) -> i1
          scf.if %in {
            %slot = memref.atomic_rmw addi %k1, %listN[%c0]
                : (i32, memref<1xi32, #gpu.address_space<workgroup>>) -> i32
            %room = arith.cmpi slt, %slot, %k32 : i32
            scf.if %room {
              %s = arith.index_castui %slot : i32 to index
              %j32 = arith.index_cast %j : index to i32
              memref.store %j32, %list[%s] : memref<32xi32, #gpu.address_space<workgroup>>
            }
          }
        }
        gpu.barrier
        scf.if %lead {
          %count = memref.load %listN[%c0] : memref<1xi32, #gpu.address_space<workgroup>>
          %countI = arith.index_castui %count : i32 to index
          %M = arith.minui %countI, %N : index
          scf.for %e = %c0 to %M step %c1 {
            %id32 = memref.load %list[%e] : memref<32xi32, #gpu.address_space<workgroup>>
            %id = arith.index_castui %id32 : i32 to index
            %e1 = arith.addi %e, %c1 : index
            %at = arith.addi %base, %e1 : index
            func.call @nhc_logprob_store_id(%out, %at, %id)
                : (memref<?xi32>, index, index) -> ()
          }
          func.call @nhc_logprob_finish(%logits, %row, %out, %base, %M, %N,
              %best#0, %logSum)
              : (memref<?xf32>, index, memref<?xi32>, index, index, index,
                 f32, f64) -> ()
        }
      }
    }
    gpu.terminator
  }
  return
}

// The sum of the block's 1024 values in a fixed order, in every thread:
// thread w < 32 sums those of threads 32w .. 32w + 31 in order, then each
// thread the 32 sums in order (buffers used once).
func.func private @nhc_logprob_block_sum(%x: f64, %tx: index,
    %parts: memref<1024xf64, #gpu.address_space<workgroup>>,
    %warpSums: memref<32xf64, #gpu.address_space<workgroup>>) -> f64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f64
  memref.store %x, %parts[%tx] : memref<1024xf64, #gpu.address_space<workgroup>>
  gpu.barrier
  %summer = arith.cmpi ult, %tx, %c32 : index
  scf.if %summer {
    %first = arith.muli %tx, %c32 : index
    %s = scf.for %i = %c0 to %c32 step %c1 iter_args(%acc = %zero) -> (f64) {
      %at = arith.addi %first, %i : index
      %v = memref.load %parts[%at] : memref<1024xf64, #gpu.address_space<workgroup>>
      %n = arith.addf %acc, %v : f64
      scf.yield %n : f64
    }
    memref.store %s, %warpSums[%tx] : memref<32xf64, #gpu.address_space<workgroup>>
  }
  gpu.barrier
  %total = scf.for %w = %c0 to %c32 step %c1 iter_args(%acc = %zero) -> (f64) {
    %v = memref.load %warpSums[%w] : memref<32xf64, #gpu.address_space<workgroup>>
    %n = arith.addf %acc, %v : f64
    scf.yield %n : f64
  }
  return %total : f64
}

// The host attention's prefill path (nhc_attention in attention.mlir calls it
// for a request @nhc_attention_prefill_fits accepts): the same online
// softmax per (query, head) over blocks of 64 positions, with the loops
// turned so that each block of K is read once per tile of 64 queries and
// transposed into a [D, 64] buffer on the stack. A query head's 64 scores of
// a block are then four 16-lane accumulators over D (a broadcast of q[d]
// times the block's d-th row): no lane reduction per position, which the
// per-query form pays for every (position, head). m and l of a tile's
// queries and up to kTileHeads = 16 heads live in stack buffers (wider
// groups take several passes over the blocks); the accumulator o lives in
// `out`. A query's positions past its own (causal) are scored with the rest
// of the block and not used; positions past the tile's last are zeros.
// The buffers have static shapes (nhc-hoist-static-allocas reserves them
// once per kernel call): the transposed block holds D <= kMaxD = 256.

// Whether a request of n new tokens with head size D takes the tiled path:
// at least 8 queries (fewer leave most of a tile's transposed block unused)
// and D within the transposed block's buffer (memref<16384xf32> below,
// 64 x kMaxD).
func.func private @nhc_attention_prefill_fits(%n: index, %D: index) -> i1 {
  %kMinQueries = arith.constant 8 : index
  %kMaxD = arith.constant 256 : index
  %many = arith.cmpi uge, %n, %kMinQueries : index
  %fits = arith.cmpi ule, %D, %kMaxD : index
  %both = arith.andi %many, %fits : i1
  return %both : i1
}

func.func private @nhc_attention_prefill_tiles(
    %qkv: memref<?xf32>, %qkv_stride: index, %q_offset: index,
    %k_cache: memref<?xf32>, %v_cache: memref<?xf32>, %out: memref<?xf32>,
    %kvbase: index, %rowKV: index, %rowOut: index, %off: index, %n: index,
    %start: index, %hFirst: index, %group: index, %D: index, %scale: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c48 = arith.constant 48 : index
  %c64 = arith.constant 64 : index
  %false = arith.constant false
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %zeros = arith.constant dense<0.0> : vector<16xf32>
  %scalev = vector.broadcast %scale : f32 to vector<16xf32>
  %kTileHeads = arith.constant 16 : index
  %kt = memref.alloca() {alignment = 64 : i64} : memref<16384xf32>
  %sbuf = memref.alloca() {alignment = 64 : i64} : memref<64xf32>
  %mbuf = memref.alloca() : memref<1024xf32>
  %lbuf = memref.alloca() : memref<1024xf32>
  %mDyn = memref.cast %mbuf : memref<1024xf32> to memref<?xf32>
  %lDyn = memref.cast %lbuf : memref<1024xf32> to memref<?xf32>
  scf.for %q0 = %c0 to %n step %c64 {
    %qEnd0 = arith.addi %q0, %c64 : index
    %qEnd = arith.minui %qEnd0, %n : index
    %tileLen0 = arith.addi %start, %qEnd : index // positions the tile sees
    scf.for %g0 = %c0 to %group step %kTileHeads {
      %gEnd0 = arith.addi %g0, %kTileHeads : index
      %gEnd = arith.minui %gEnd0, %group : index
      %gn = arith.subi %gEnd, %g0 : index
      %h0 = arith.addi %hFirst, %g0 : index
      // m = -inf, l = 0, o = 0 for the tile's (query, head) pairs.
      scf.for %i = %q0 to %qEnd step %c1 {
        %iq = arith.subi %i, %q0 : index
        %iqRow = arith.muli %iq, %kTileHeads : index
        %tok = arith.addi %off, %i : index
        %orow = arith.muli %tok, %rowOut : index
        scf.for %g = %c0 to %gn step %c1 {
          %mi = arith.addi %iqRow, %g : index
          memref.store %ninf, %mbuf[%mi] : memref<1024xf32>
          memref.store %zero, %lbuf[%mi] : memref<1024xf32>
          %h = arith.addi %h0, %g : index
          %hD = arith.muli %h, %D : index
          %obase = arith.addi %orow, %hD : index
          scf.for %dd = %c0 to %D step %c1 {
            %oi = arith.addi %obase, %dd : index
            memref.store %zero, %out[%oi] : memref<?xf32>
          }
        }
      }
      scf.for %b0 = %c0 to %tileLen0 step %c64 {
        %bEnd0 = arith.addi %b0, %c64 : index
        %bEnd = arith.minui %bEnd0, %tileLen0 : index
        %bn = arith.subi %bEnd, %b0 : index
        %vfirst = arith.muli %b0, %rowKV : index
        %vbase = arith.addi %kvbase, %vfirst : index
        // K's block transposed: kt[d * 64 + j] = K[b0 + j][d], zeros
        // past the block's rows.
        scf.for %j = %c0 to %c64 step %c1 {
          %inBlock = arith.cmpi ult, %j, %bn : index
          %pos = arith.addi %b0, %j : index
          %prow = arith.muli %pos, %rowKV : index
          %pbase = arith.addi %kvbase, %prow : index
          scf.for %dd = %c0 to %D step %c1 {
            %v = scf.if %inBlock -> (f32) {
              %ki = arith.addi %pbase, %dd : index
              %kv = memref.load %k_cache[%ki] : memref<?xf32>
              scf.yield %kv : f32
            } else {
              scf.yield %zero : f32
            }
            %dRow = arith.muli %dd, %c64 : index
            %ti = arith.addi %dRow, %j : index
            memref.store %v, %kt[%ti] : memref<16384xf32>
          }
        }
        scf.for %i = %q0 to %qEnd step %c1 {
          %len0 = arith.addi %start, %i : index
          %len = arith.addi %len0, %c1 : index
          %sees = arith.cmpi ult, %b0, %len : index
          scf.if %sees {
            %qEndPos = arith.minui %bEnd, %len : index
            %bnq = arith.subi %qEndPos, %b0 : index
            %iq = arith.subi %i, %q0 : index
            %iqRow = arith.muli %iq, %kTileHeads : index
            %tok = arith.addi %off, %i : index
            %qrow = arith.muli %tok, %qkv_stride : index
            %orow = arith.muli %tok, %rowOut : index
            scf.for %g = %c0 to %gn step %c1 {
              %h = arith.addi %h0, %g : index
              %hD = arith.muli %h, %D : index
              %qcol = arith.addi %q_offset, %hD : index
              %qbase = arith.addi %qrow, %qcol : index
              %obase = arith.addi %orow, %hD : index
              // The block's 64 scores: four accumulators over D.
              %acc:4 = scf.for %dd = %c0 to %D step %c1
                  iter_args(%a0 = %zeros, %a1 = %zeros, %a2 = %zeros, %a3 = %zeros)
                  -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
                %qi = arith.addi %qbase, %dd : index
                %qv = memref.load %qkv[%qi] : memref<?xf32>
                %qb = vector.broadcast %qv : f32 to vector<16xf32>
                %dRow = arith.muli %dd, %c64 : index
                %t16 = arith.addi %dRow, %c16 : index
                %t32 = arith.addi %dRow, %c32 : index
                %t48 = arith.addi %dRow, %c48 : index
                %k0 = vector.load %kt[%dRow] : memref<16384xf32>, vector<16xf32>
                %k1 = vector.load %kt[%t16] : memref<16384xf32>, vector<16xf32>
                %k2 = vector.load %kt[%t32] : memref<16384xf32>, vector<16xf32>
                %k3 = vector.load %kt[%t48] : memref<16384xf32>, vector<16xf32>
                %n0 = vector.fma %qb, %k0, %a0 : vector<16xf32>
                %n1 = vector.fma %qb, %k1, %a1 : vector<16xf32>
                %n2 = vector.fma %qb, %k2, %a2 : vector<16xf32>
                %n3 = vector.fma %qb, %k3, %a3 : vector<16xf32>
                scf.yield %n0, %n1, %n2, %n3
                    : vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>
              }
              %s0 = arith.mulf %acc#0, %scalev : vector<16xf32>
              %s1 = arith.mulf %acc#1, %scalev : vector<16xf32>
              %s2 = arith.mulf %acc#2, %scalev : vector<16xf32>
              %s3 = arith.mulf %acc#3, %scalev : vector<16xf32>
              vector.store %s0, %sbuf[%c0] : memref<64xf32>, vector<16xf32>
              vector.store %s1, %sbuf[%c16] : memref<64xf32>, vector<16xf32>
              vector.store %s2, %sbuf[%c32] : memref<64xf32>, vector<16xf32>
              vector.store %s3, %sbuf[%c48] : memref<64xf32>, vector<16xf32>
              %bmax = scf.for %j = %c0 to %bnq step %c1
                  iter_args(%mx = %ninf) -> (f32) {
                %sc = memref.load %sbuf[%j] : memref<64xf32>
                %mx2 = arith.maximumf %mx, %sc : f32
                scf.yield %mx2 : f32
              }
              %mi = arith.addi %iqRow, %g : index
              func.call @nhc_attention_softmax_pv(%sbuf, %bnq, %bmax, %mDyn, %lDyn, %mi, %out, %obase, %v_cache, %vbase, %rowKV, %D, %false, %c0)
                  : (memref<64xf32>, index, f32, memref<?xf32>, memref<?xf32>, index, memref<?xf32>, index, memref<?xf32>, index, index, index, i1, index) -> ()
            }
          }
        }
      }
      // out = o / l.
      scf.for %i = %q0 to %qEnd step %c1 {
        %iq = arith.subi %i, %q0 : index
        %iqRow = arith.muli %iq, %kTileHeads : index
        %tok = arith.addi %off, %i : index
        %orow = arith.muli %tok, %rowOut : index
        scf.for %g = %c0 to %gn step %c1 {
          %mi = arith.addi %iqRow, %g : index
          %l = memref.load %lbuf[%mi] : memref<1024xf32>
          %h = arith.addi %h0, %g : index
          %hD = arith.muli %h, %D : index
          %obase = arith.addi %orow, %hD : index
          scf.for %dd = %c0 to %D step %c1 {
            %oi = arith.addi %obase, %dd : index
            %ov = memref.load %out[%oi] : memref<?xf32>
            %o2 = arith.divf %ov, %l : f32
            memref.store %o2, %out[%oi] : memref<?xf32>
          }
        }
      }
    }
  }
  return
}

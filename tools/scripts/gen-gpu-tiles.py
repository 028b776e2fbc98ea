#!/usr/bin/env python3
"""Writes the tensor-core tiles of the GPU forms' 64 x 64 products.

The GPU chunked SSD scan (lib/Kernels/ssd_scan_gpu.mlir), the GPU
attention's prefill (lib/Kernels/attention_gpu.mlir) and the tiled routed
experts' matmul (lib/Kernels/moe_experts_tiled_gpu.mlir) compute 64 x 64
products with warp-level mmas (nvgpu.mma.sync), each lane holding four
accumulator fragments and its operands' fragments. MLIR has no loop that
keeps named fragments in registers across unrolled k-steps without spelling
each out, so those parts of the kernels are written by this script between
the markers

    // BEGIN GENERATED <part>: tools/scripts/gen-gpu-tiles.py
    ...
    // END GENERATED <part>

at the marker's indentation; the rest of each file is written by hand.
Parts, by file:
  ssd_scan_gpu.mlir   lanes (a lane's fragment places), step2 (W = C Bᵀ),
                      step3 (y = exp(cum) C h_prevᵀ + D x + W X),
                      step4 ((coef ∘ X)ᵀ B)
  attention_gpu.mlir  lanes, scores (S = Q Kᵀ), values (O = O corr + P V)
  moe_experts_tiled_gpu.mlir  experts and experts_e4m3 (the whole kernel
                      and its staging for bf16 and e4m3 weights: tiles of
                      routes by output columns, X Wᵀ)

    gen-gpu-tiles.py FILE            rewrite the parts in FILE
    gen-gpu-tiles.py --check FILE    exit 1 if any part differs from what
                                     this script writes (a lit test runs it)
"""
import re
import sys

WG = '#gpu.address_space<workgroup>'
SB = f'memref<64xf32, {WG}>'
# The attention prefill's per-query statistics (m, l, rescale at 0, 64,
# 128).
AQS = f'memref<192xf32, {WG}>'


# The tensor-core form of a 64 x 64 product: 8 warps over the tile, warp w
# taking rows 16 (w % 4) .. +15 and columns 32 (w / 4) .. +31 as four
# m16n8k8 tiles; lane = 4 g + t. Operands in workgroup memory, k-major, rows
# 72 floats apart (so a fragment's 32 loads, 72 t + g, hit 32 banks): A(row,
# k) at k * 72 + row, B(k, col) at k * 72 + col. Each product runs in
# 3xTF32: a = hi + lo with hi and lo tf32 (nhc_tf32_split*), a b = hi lo' +
# lo hi' + hi hi' (the small terms first), about f32's accuracy on tf32
# tensor cores; or, where the kernel's `gemm_precision` argument is bf16
# (1: the session multiplies BF16 checkpoints in bf16), in one mma, hi hi'
# (operands rounded to tf32, 10 bits of mantissa to bf16's 7). %allTerms
# (i1) chooses; the kernels pass it as a constant to a block function
# called from two launches (one of them empty), so that each GPU kernel
# holds one of the two paths once the branches fold.
AST = f'memref<4608xf32, {WG}>'
TF = 'vector<4x1xf32>'
# The SSD chunk scan's state on chip (dynamic shared memory): row p of the
# head's P x N state at %hs[p * %hStride ..], %hStride = N rounded up to 32,
# plus 4 (so a B fragment's 32 loads, hStride g + t, hit 32 banks).
HS = f'memref<?xf32, {WG}>'
TB = 'vector<2x1xf32>'
TC = 'vector<2x2xf32>'
ROWS = ('%rowA', '%rowB')  # accumulator element i's row: ROWS[i // 2]


def lanes(I):
    """A lane's places in the warp's tile: its fragment rows and columns,
    the operand offsets of its k (t and t + 4), each n8 tile's B column
    (bn) and accumulator columns (cj, and their Pᵀ rows pc)."""
    o=[f'{I}%laneId = arith.remui %tx, %c32 : index',
       f'{I}%warpId = arith.divui %tx, %c32 : index',
       f'{I}%g = arith.divui %laneId, %c4 : index',
       f'{I}%t = arith.remui %laneId, %c4 : index',
       f'{I}%wm = arith.remui %warpId, %c4 : index',
       f'{I}%wn = arith.divui %warpId, %c4 : index',
       f'{I}%mBase = arith.muli %wm, %c16 : index',
       f'{I}%nBase = arith.muli %wn, %c32 : index',
       f'{I}%rowA = arith.addi %mBase, %g : index',
       f'{I}%rowB = arith.addi %rowA, %c8 : index',
       f'{I}%t2 = arith.muli %t, %c2 : index',
       f'{I}%t4 = arith.addi %t, %c4 : index',
       f'{I}%tk0 = arith.muli %t, %c72 : index',
       f'{I}%tk4 = arith.muli %t4, %c72 : index']
    for j in range(4):
        o+=[f'{I}%nj{j} = arith.addi %nBase, %c{8*j} : index' if j else
            f'{I}%nj{j} = arith.addi %nBase, %c0 : index',
            f'{I}%bn{j} = arith.addi %nj{j}, %g : index',
            f'{I}%cj{j}0 = arith.addi %nj{j}, %t2 : index',
            f'{I}%cj{j}1 = arith.addi %cj{j}0, %one : index',
            f'{I}%pc{j}0 = arith.muli %cj{j}0, %c72 : index',
            f'{I}%pc{j}1 = arith.muli %cj{j}1, %c72 : index']
    return o


def mma_steps(I, pre, acc, a_buf, a_base, b_buf, b_base, steps,
              b_in_state=False):
    """acc[j] (4 accumulator fragments) += A B over `steps` k-steps of 8:
    A(row, k) at a_buf[a_base + k * 72 + row], B(k, n) at
    b_buf[b_base + k * 72 + n], or with b_in_state the SSD state on chip:
    B(k, n) = h(p0 + n, k0 + k) at %hs[%hrt<j> + k0 + k - t] (state_rows).
    Each k-step's products in 3xTF32 (hi lo', lo hi', then hi hi': the
    small terms first, in a branch taken unless one mma does) or in hi hi'
    alone. Returns the lines and the final names."""
    o=[]
    for ks in range(steps):
        P=f'{pre}{ks}'
        o.append(f'{I}%{P}k = arith.constant {a_base + 8 * ks * 72} : index')
        if b_in_state:
            for r in range(2):
                o.append(f'{I}%{P}hk{r} = arith.addi %k0, %c{8 * ks + 4 * r} : index'
                         if 8 * ks + 4 * r else
                         f'{I}%{P}hk{r} = arith.addi %k0, %c0 : index')
        elif b_base != a_base:
            o.append(f'{I}%{P}kb = arith.constant {b_base + 8 * ks * 72} : index')
        kb = f'%{P}kb' if b_base != a_base else f'%{P}k'
        # A: a_r at row ROWS[r % 2], k = t + 4 (r / 2).
        for r in range(4):
            o+=[f'{I}%{P}ao{r} = arith.addi %{P}k, %tk{4 * (r // 2)} : index',
                f'{I}%{P}ai{r} = arith.addi %{P}ao{r}, {ROWS[r % 2]} : index',
                f'{I}%{P}a{r} = memref.load {a_buf}[%{P}ai{r}] : {AST}']
        o+=[f'{I}%{P}A:2 = func.call @nhc_tf32_split4(%{P}a0, %{P}a1, %{P}a2, %{P}a3)',
            f'{I}    : (f32, f32, f32, f32) -> ({TF}, {TF})']
        for j in range(4):
            # B: b_r at k = t + 4 r, column bn_j.
            for r in range(2):
                if b_in_state:
                    o+=[f'{I}%{P}bi{j}{r} = arith.addi %hrt{j}, %{P}hk{r} : index',
                        f'{I}%{P}b{j}{r} = memref.load %hs[%{P}bi{j}{r}] : {HS}']
                    continue
                o+=[f'{I}%{P}bo{j}{r} = arith.addi {kb}, %tk{4 * r} : index',
                    f'{I}%{P}bi{j}{r} = arith.addi %{P}bo{j}{r}, %bn{j} : index',
                    f'{I}%{P}b{j}{r} = memref.load {b_buf}[%{P}bi{j}{r}] : {AST}']
            o+=[f'{I}%{P}B{j}:2 = func.call @nhc_tf32_split2(%{P}b{j}0, %{P}b{j}1)',
                f'{I}    : (f32, f32) -> ({TB}, {TB})']
        types = ', '.join([TC] * 4)
        o.append(f'{I}%{P}s:4 = scf.if %allTerms -> ({types}) {{')
        small = list(acc)
        for n, (x, y) in enumerate([('#0', '#1'), ('#1', '#0')]):
            o+=mma_terms(I + '  ', P, n, x, y, small)
        o+=[f'{I}  scf.yield ' + ', '.join(small) + f' : {types}',
            f'{I}}} else {{',
            f'{I}  scf.yield ' + ', '.join(acc) + f' : {types}',
            f'{I}}}']
        acc = [f'%{P}s#{j}' for j in range(4)]
        o+=mma_terms(I, P, 2, '#0', '#0', acc)
    return o, acc


def mma_terms(I, P, n, x, y, acc):
    """acc[j] += A<x> B<j><y> for the 4 n8 tiles (the emulation runs
    consecutive mmas as one batch); acc is updated to the results' names."""
    o=[]
    for j in range(4):
        name = f'%{P}m{j}{n}'
        o+=[f'{I}{name} = nvgpu.mma.sync (%{P}A{x}, %{P}B{j}{y}, {acc[j]}) {{mmaShape = [16, 8, 8], tf32Enabled}}',
            f'{I}    : ({TF}, {TB}, {TC}) -> {TC}']
        acc[j] = name
    return o


def fragment(I, name, values):
    return [f'{I}{name} = vector.from_elements ' + ', '.join(values) + f' : {TC}']


def elements():
    """The 16 (n8 tile j, element i) places of a lane's accumulators."""
    for j in range(4):
        for i in range(4):
            yield j, i


def accumulators(I, pre, init):
    """Fragments %<pre>c0..3 of the values init(j, i) -> (lines, value)."""
    o, acc = [], []
    for j in range(4):
        vals=[]
        for i in range(4):
            lines, value = init(j, i)
            o += lines
            vals.append(value)
        o += fragment(I, f'%{pre}c{j}', vals)
        acc.append(f'%{pre}c{j}')
    return o, acc


def element(j, i):
    """Accumulator fragment j's element i: (row, column) names."""
    return ROWS[i // 2], f'%cj{j}{i % 2}'


def tile_product(I, pre, tile, first, finish, before_finish=()):
    """One 32-wide k chunk of a 64 x 64 product (A at %stage[0..], B at
    %stage[2304..]) whose partial sums live k-major in the workgroup `tile`
    (element (row, col) at col * 72 + row): reloaded unless `first`, the
    chunk's mmas added, then `before_finish`'s lines and per element the
    call finish(j, i, row, col, value) -> (callee with operands, operand
    types) giving the value stored back (the partial sum, or on the last
    chunk the finished element)."""
    def partial(j, i):
        row, _ = element(j, i)
        return ([f'{I}%{pre}i{j}{i} = arith.addi %pc{j}{i % 2}, {row} : index',
                 f'{I}%{pre}o{j}{i} = memref.load {tile}[%{pre}i{j}{i}] : {AST}',
                 f'{I}%{pre}0{j}{i} = arith.select {first}, %zero, %{pre}o{j}{i} : f32'],
                f'%{pre}0{j}{i}')
    lines, acc = accumulators(I, pre, partial)
    steps, acc = mma_steps(I, pre, acc, '%stage', 0, '%stage', 2304, 4)
    o = lines + steps + list(before_finish)
    for j, i in elements():
        row, col = element(j, i)
        value = f'%{pre}v{j}{i}'
        callee, types = finish(j, i, row, col, value)
        o+=[f'{I}{value} = vector.extract {acc[j]}[{i // 2}, {i % 2}] : f32 from {TC}',
            f'{I}%{pre}f{j}{i} = func.call {callee}',
            f'{I}    : {types} -> f32',
            f'{I}memref.store %{pre}f{j}{i}, {tile}[%{pre}i{j}{i}] : {AST}']
    return o



# The SSD chunk scan's buffers: %stage (A's 32 k-rows at 0, B's at 2304, or
# 64 rows of X), %wT (W(l, s) at s * 72 + l: the A operand of W X).


def warp_staging_place(I):
    """Element %e of a 32 x 64 staging, as (k-row %kk, column %row) such
    that a warp stores 4 k-rows of 8 columns: banks 8 kk + row, all 32 (for
    sources contiguous along k)."""
    return [f'{I}%rowLow = arith.remui %e, %c8 : index',
            f'{I}%e8 = arith.divui %e, %c8 : index',
            f'{I}%kkLow = arith.remui %e8, %c4 : index',
            f'{I}%e32 = arith.divui %e, %c32 : index',
            f'{I}%kkHigh = arith.remui %e32, %c8 : index',
            f'{I}%rowHigh = arith.divui %e32, %c8 : index',
            f'{I}%kk4 = arith.muli %kkHigh, %c4 : index',
            f'{I}%kk = arith.addi %kk4, %kkLow : index',
            f'{I}%row8 = arith.muli %rowHigh, %c8 : index',
            f'{I}%row = arith.addi %row8, %rowLow : index']


def stage_pair(I, a, b):
    """Stores the staged pair: %<a> as A(row, kk), %<b> as B(kk, row)."""
    return [f'{I}%sr = arith.muli %kk, %c72 : index',
            f'{I}%aAt = arith.addi %sr, %row : index',
            f'{I}%bAt = arith.addi %aAt, %c2304 : index',
            f'{I}memref.store %{a}, %stage[%aAt] : {AST}',
            f'{I}memref.store %{b}, %stage[%bAt] : {AST}']


def stage(I, second):
    """Stages 32 state columns from k0: A(row, kk) = C of chunk token row,
    and with second == 'b' B(kk, row) = B of that token; 0 past the chunk or
    N."""
    o=[f'{I}scf.for %e = %tx to %kStage step %threads {{']
    K=I+'  '
    o+=warp_staging_place(K)
    o+=[f'{K}%k = arith.addi %k0, %kk : index',
        f'{K}%kIn = arith.cmpi ult, %k, %N : index',
        f'{K}%kSafe = arith.select %kIn, %k, %c0 : index',
        f'{K}%rowIn = arith.cmpi ult, %row, %n : index',
        f'{K}%cOk = arith.andi %kIn, %rowIn : i1',
        f'{K}%rowSafe = arith.select %rowIn, %row, %c0 : index',
        f'{K}%tok = arith.addi %c0tok, %rowSafe : index',
        f'{K}%trow = arith.muli %tok, %xbcStride : index',
        f'{K}%ci0 = arith.addi %trow, %ccol : index',
        f'{K}%ci = arith.addi %ci0, %kSafe : index',
        f'{K}%cv = memref.load %xbc[%ci] : memref<?xf32>',
        f'{K}%cz = arith.select %cOk, %cv, %zero : f32']
    if second=='b':
        o+=[f'{K}%bi0 = arith.addi %trow, %bcol : index',
            f'{K}%bi = arith.addi %bi0, %kSafe : index',
            f'{K}%bv = memref.load %xbc[%bi] : memref<?xf32>',
            f'{K}%sb = arith.select %cOk, %bv, %zero : f32']
        o+=stage_pair(K, 'cz', 'sb')
    else:
        o+=[f'{K}%sr = arith.muli %kk, %c72 : index',
            f'{K}%aAt = arith.addi %sr, %row : index',
            f'{K}memref.store %cz, %stage[%aAt] : {AST}']
    o.append(f'{I}}}')
    return o


def state_rows(I):
    """Per 64-column tile p0: where each n8 tile's B column (state row
    p0 + bn_j of the block's part [pBegin, pEnd), the last row past pEnd:
    its products land only in outputs that do not exist) starts in %hs,
    plus the lane's t."""
    o=[f'{I}%pLast = arith.subi %pEnd, %one : index']
    for j in range(4):
        o+=[f'{I}%hpj{j} = arith.addi %p0, %bn{j} : index',
            f'{I}%hq{j} = arith.minui %hpj{j}, %pLast : index',
            f'{I}%hqp{j} = arith.subi %hq{j}, %pBegin : index',
            f'{I}%hr{j} = arith.muli %hqp{j}, %hStride : index',
            f'{I}%hrt{j} = arith.addi %hr{j}, %t : index']
    return o


def in_memory(I, pre, slot, partial):
    """Accumulator fragments %<pre>c0..3 of a tile whose partial sums live
    in global memory: per element its (index, exists) from `slot` and its
    partial sum from `partial` (both formatted with {row}, {col}, {j}{i})."""
    def init(j, i):
        row, col = element(j, i)
        names = dict(row=row, col=col, j=j, i=i)
        callee, types = slot.format(**names).split(' : ')
        lines = [f'{I}%{pre}i{j}{i}:2 = func.call {callee}',
                 f'{I}    : {types} -> (index, i1)']
        callee, types = partial.format(**names).split(' : ')
        lines += [f'{I}%{pre}0{j}{i} = func.call {callee}',
                  f'{I}    : {types} -> f32']
        return lines, f'%{pre}0{j}{i}'
    return accumulators(I, pre, init)


def store_in_memory(I, pre, memory, acc, store='@nhc_tile_store_if',
                    memory_type='memref<?xf32>'):
    """Stores the fragments' elements where in_memory's slots exist."""
    o=[]
    for j, i in elements():
        o+=[f'{I}%{pre}v{j}{i} = vector.extract {acc[j]}[{i // 2}, {i % 2}] : f32 from {TC}',
            f'{I}func.call {store}({memory}, %{pre}i{j}{i}#0, %{pre}i{j}{i}#1, %{pre}v{j}{i})',
            f'{I}    : ({memory_type}, index, i1, f32) -> ()']
    return o


def step2(I):
    """W = C Bᵀ over the state columns 32 at a time, partial sums in %wT,
    scaled and causally masked on the last stage (nhc_ssd_chunk_weight)."""
    J=I+'  '
    o=[f'{I}scf.for %k0 = %c0 to %N step %c32 {{'] + stage(J, 'b')
    o+=[f'{J}gpu.barrier',
        f'{J}%first = arith.cmpi eq, %k0, %c0 : index',
        f'{J}%kNext = arith.addi %k0, %c32 : index',
        f'{J}%lastStage = arith.cmpi uge, %kNext, %N : index']
    loads=[f'{J}%cumL{h} = memref.load %cumbuf[{row}] : {SB}'
           for h, row in zip('AB', ROWS)]
    for j in range(4):
        for c in range(2):
            loads+=[f'{J}%cumS{j}{c} = memref.load %cumbuf[%cj{j}{c}] : {SB}',
                    f'{J}%dtS{j}{c} = memref.load %dtbuf[%cj{j}{c}] : {SB}']
    def weight(j, i, row, col, value):
        h, c = 'AB'[i // 2], i % 2
        return (f'@nhc_ssd_chunk_weight({value}, %lastStage, {row}, {col}, %n, %cumL{h}, %cumS{j}{c}, %dtS{j}{c})',
                '(f32, i1, index, index, index, f32, f32, f32)')
    o+=tile_product(J, 'w', '%wT', '%first', weight, loads)
    o+=[f'{J}gpu.barrier', f'{I}}}']
    return o


def step3(I):
    """A 64-column tile of the outputs: C h_prevᵀ over the state columns 32
    at a time (C staged, the state read on chip), its partial sums carried
    in registers from stage to stage, then X's tile staged and
    y = exp(cum_l) (C h_prevᵀ) + D x + W X."""
    J=I+'  '
    slot=('@nhc_ssd_chunk_y_slot({row}, {col}, %p0, %n, %pEnd, %c0tok, %HP, %hp0)'
          ' : (index, index, index, index, index, index, index, index)')
    o=state_rows(I)
    carried=', '.join(f'%ya{j} = %yzero' for j in range(4))
    types=', '.join([TC] * 4)
    o+=[f'{I}%yzero = arith.constant dense<0.0> : {TC}',
        f'{I}%yacc:4 = scf.for %k0 = %c0 to %N step %c32',
        f'{I}    iter_args({carried}) -> ({types}) {{']
    o+=stage(J, 'c') + [f'{J}gpu.barrier']
    steps, acc = mma_steps(J, 'y', [f'%ya{j}' for j in range(4)], '%stage', 0,
                           '%hs', 0, 4, b_in_state=True)
    o+=steps
    # The stage is free for the next one only when every warp is done.
    o+=[f'{J}gpu.barrier',
        f'{J}scf.yield ' + ', '.join(acc) + f' : {types}',
        f'{I}}}']
    # X's 64 x 64 tile: B(s, pp) = x of chunk token s, column p0 + pp.
    o+=[f'{I}scf.for %e = %tx to %c4096 step %threads {{',
        f'{J}%pp = arith.remui %e, %kTile : index',
        f'{J}%s = arith.divui %e, %kTile : index',
        f'{J}%p = arith.addi %p0, %pp : index',
        f'{J}%pIn = arith.cmpi ult, %p, %pEnd : index',
        f'{J}%sIn = arith.cmpi ult, %s, %n : index',
        f'{J}%xOk = arith.andi %pIn, %sIn : i1',
        f'{J}%pSafe = arith.select %pIn, %p, %c0 : index',
        f'{J}%sSafe = arith.select %sIn, %s, %c0 : index',
        f'{J}%stok = arith.addi %c0tok, %sSafe : index',
        f'{J}%srow = arith.muli %stok, %xbcStride : index',
        f'{J}%xi0 = arith.addi %srow, %hp0 : index',
        f'{J}%xi = arith.addi %xi0, %pSafe : index',
        f'{J}%xv = memref.load %xbc[%xi] : memref<?xf32>',
        f'{J}%xz = arith.select %xOk, %xv, %zero : f32',
        f'{J}%sr = arith.muli %s, %c72 : index',
        f'{J}%si = arith.addi %sr, %pp : index',
        f'{J}memref.store %xz, %stage[%si] : {AST}',
        f'{I}}}',
        f'{I}gpu.barrier']
    for h, row in zip('AB', ROWS):
        o+=[f'{I}%cumX{h} = memref.load %cumbuf[{row}] : {SB}',
            f'{I}%ecum{h} = math.exp %cumX{h} : f32',
            f'{I}%xr{h} = arith.muli {row}, %c72 : index']
    def init(j, i):
        row, col = element(j, i)
        h = 'AB'[i // 2]
        callee, types = slot.format(row=row, col=col).split(' : ')
        return ([f'{I}%xi{j}{i}:2 = func.call {callee}',
                 f'{I}    : {types} -> (index, i1)',
                 f'{I}%ch{j}{i} = vector.extract %yacc#{j}[{i // 2}, {i % 2}] : f32 from {TC}',
                 f'{I}%off{j}{i} = arith.mulf %ch{j}{i}, %ecum{h} : f32',
                 f'{I}%xa{j}{i} = arith.addi %xr{h}, {col} : index',
                 f'{I}%xl{j}{i} = memref.load %stage[%xa{j}{i}] : {AST}',
                 f'{I}%dx{j}{i} = arith.mulf %Dh, %xl{j}{i} : f32',
                 f'{I}%x0{j}{i} = arith.addf %off{j}{i}, %dx{j}{i} : f32'],
                f'%x0{j}{i}')
    lines, acc = accumulators(I, 'x', init)
    o+=lines
    steps, acc = mma_steps(I, 'x', acc, '%wT', 0, '%stage', 0, 8)
    o+=steps + store_in_memory(I, 'x', '%y', acc)
    o.append(f'{I}gpu.barrier')
    return o


def step4(I):
    """The state tile (p0.., n0..): exp(cum_last) h + (coef ∘ X)ᵀ B, 32
    tokens a stage (A(p, s) = coef_s x_s[p], B(s, n) = B_s[n]: consecutive
    threads, consecutive floats), partial sums kept in the state on chip."""
    J=I+'  '
    K=J+'  '
    L=K+'  '
    o=[f'{I}scf.for %n0 = %c0 to %N step %kTile {{',
       f'{J}scf.for %s0 = %c0 to %n step %c32 {{',
       f'{K}scf.for %e = %tx to %kStage step %threads {{',
       f'{L}%row = arith.remui %e, %kTile : index',
       f'{L}%kk = arith.divui %e, %kTile : index',
       f'{L}%j = arith.addi %s0, %kk : index',
       f'{L}%jIn = arith.cmpi ult, %j, %n : index',
       f'{L}%jSafe = arith.select %jIn, %j, %c0 : index',
       f'{L}%stok = arith.addi %c0tok, %jSafe : index',
       f'{L}%srow = arith.muli %stok, %xbcStride : index',
       f'{L}%p = arith.addi %p0, %row : index',
       f'{L}%pIn = arith.cmpi ult, %p, %pEnd : index',
       f'{L}%xOk = arith.andi %jIn, %pIn : i1',
       f'{L}%pSafe = arith.select %pIn, %p, %c0 : index',
       f'{L}%xi0 = arith.addi %srow, %hp0 : index',
       f'{L}%xi = arith.addi %xi0, %pSafe : index',
       f'{L}%xv = memref.load %xbc[%xi] : memref<?xf32>',
       f'{L}%coef = memref.load %coefbuf[%jSafe] : {SB}',
       f'{L}%w = arith.mulf %coef, %xv : f32',
       f'{L}%wz = arith.select %xOk, %w, %zero : f32',
       f'{L}%k = arith.addi %n0, %row : index',
       f'{L}%kIn = arith.cmpi ult, %k, %N : index',
       f'{L}%bOk = arith.andi %jIn, %kIn : i1',
       f'{L}%kSafe = arith.select %kIn, %k, %c0 : index',
       f'{L}%bi0 = arith.addi %srow, %bcol : index',
       f'{L}%bi = arith.addi %bi0, %kSafe : index',
       f'{L}%bv = memref.load %xbc[%bi] : memref<?xf32>',
       f'{L}%sb = arith.select %bOk, %bv, %zero : f32']
    o+=stage_pair(L, 'wz', 'sb')
    o+=[f'{K}}}',
        f'{K}gpu.barrier',
        f'{K}%first = arith.cmpi eq, %s0, %c0 : index']
    lines, acc = in_memory(
        K, 'h',
        '@nhc_ssd_chunk_state_slot({row}, {col}, %p0, %n0, %pBegin, %pEnd, %N, %hStride)'
        ' : (index, index, index, index, index, index, index, index)',
        '@nhc_ssd_chunk_state_partial(%hs, %hi{j}{i}#0, %hi{j}{i}#1, %first, %etot)'
        f' : ({HS}, index, i1, i1, f32)')
    o+=lines
    steps, acc = mma_steps(K, 'h', acc, '%stage', 0, '%stage', 2304, 4)
    o+=steps + store_in_memory(K, 'h', '%hs', acc,
                               '@nhc_ssd_chunk_state_store', HS)
    o+=[f'{K}gpu.barrier', f'{J}}}', f'{I}}}']
    return o


def scores(I):
    """Inside the loop over head columns k0: after the Q and K chunks'
    barrier, S += Q Kᵀ over those 32 columns on tensor cores, partial sums
    kept in Pᵀ; on the last chunk scaled and causally masked
    (nhc_attention_score)."""
    o=[f'{I}%sFirst = arith.cmpi eq, %k0, %c0 : index',
       f'{I}%kNext = arith.addi %k0, %c32 : index',
       f'{I}%lastChunk = arith.cmpi uge, %kNext, %D : index']
    def score(j, i, row, col, value):
        return (f'@nhc_attention_score({value}, %lastChunk, {row}, {col}, %nq, %p0, %causal0, %scale)',
                '(f32, i1, index, index, index, index, index, f32)')
    return o + tile_product(I, 's', '%pT', '%sFirst', score)


def values(I):
    """Inside the loop over 64-column tiles d0 of the head: after V's
    barrier, O = O corr + P V on tensor cores (O's partial sums in its
    output rows, 0 before the first position tile), divided by l on the
    last."""
    o=[]
    for h, row in zip('AB', ROWS):
        o+=[f'{I}%corrAt{h} = arith.addi {row}, %c128 : index',
            f'{I}%corr{h} = memref.load %qstats[%corrAt{h}] : {AQS}',
            f'{I}%lAt{h} = arith.addi {row}, %c64 : index',
            f'{I}%l{h} = memref.load %qstats[%lAt{h}] : {AQS}']
    def partial(j, i):
        row, col = element(j, i)
        h = 'AB'[i // 2]
        return ([f'{I}%oi{j}{i}:2 = func.call @nhc_attention_out_slot({row}, {col}, %d0, %nq, %D, %oRow0, %rowOut)',
                 f'{I}    : (index, index, index, index, index, index, index) -> (index, i1)',
                 f'{I}%op{j}{i} = func.call @nhc_tile_load_partial(%out, %oi{j}{i}#0, %oi{j}{i}#1, %firstTile)',
                 f'{I}    : (memref<?xf32>, index, i1, i1) -> f32',
                 f'{I}%o0{j}{i} = arith.mulf %op{j}{i}, %corr{h} : f32'],
                f'%o0{j}{i}')
    lines, acc = accumulators(I, 'o', partial)
    o+=lines
    steps, acc = mma_steps(I, 'o', acc, '%pT', 0, '%stage', 0, 8)
    o+=steps
    for j, i in elements():
        h = 'AB'[i // 2]
        o+=[f'{I}%ov{j}{i} = vector.extract {acc[j]}[{i // 2}, {i % 2}] : f32 from {TC}',
            f'{I}%ofin{j}{i} = arith.divf %ov{j}{i}, %l{h} : f32',
            f'{I}%of{j}{i} = arith.select %lastTile, %ofin{j}{i}, %ov{j}{i} : f32',
            f'{I}func.call @nhc_tile_store_if(%out, %oi{j}{i}#0, %oi{j}{i}#1, %of{j}{i})',
            f'{I}    : (memref<?xf32>, index, i1, f32) -> ()']
    return o


# The tensor-core expert matmul's buffers: %stage (x's 32 k-rows at 0, the
# weight's at 2304), %srcRows (each tile row's row of x).
SRC = f'memref<64xi32, {WG}>'


def experts_tile(I, stage, weight):
    """A tile of 64 routes of one expert by 64 output columns: acc = X Wᵀ
    over k 32 at a time (`stage` stages x's rows rounded to bf16 and the
    expert's widened weight rows, a `weight` memref, 0 past the tile, n or
    k), partial sums carried in registers, then each element activated and
    stored where it exists (nhc_moe_tile_store). The operands are bf16 or
    e4m3 values, exact in tf32: one mma per product."""
    J=I+'  '
    carried=', '.join(f'%ea{j} = %ezero' for j in range(4))
    types=', '.join([TC] * 4)
    o=[f'{I}%ezero = arith.constant dense<0.0> : {TC}',
       f'{I}%eacc:4 = scf.for %k0 = %c0 to %k step %c32',
       f'{I}    iter_args({carried}) -> ({types}) {{',
       f'{J}func.call {stage}(%x, %srcRows, %w, %wBase, %k0, %rows, %j0, %n, %k, %tx, %chunked, %stage)',
       f'{J}    : (memref<?xf32>, {SRC}, {weight}, index, index, index, index, index, index, index, i1, {AST}) -> ()',
       f'{J}gpu.barrier']
    steps, acc = mma_steps(J, 'e', [f'%ea{j}' for j in range(4)], '%stage',
                           0, '%stage', 2304, 4)
    o+=steps
    # The stage is free for the next one only when every warp is done.
    o+=[f'{J}gpu.barrier',
        f'{J}scf.yield ' + ', '.join(acc) + f' : {types}',
        f'{I}}}']
    for j, i in elements():
        row, col = element(j, i)
        o+=[f'{I}%ev{j}{i} = vector.extract %eacc#{j}[{i // 2}, {i % 2}] : f32 from {TC}',
            f'{I}func.call @nhc_moe_tile_store(%ev{j}{i}, %y, %p0, %rows, {row}, %j0, {col}, %n, %act)',
            f'{I}    : (f32, memref<?xf32>, index, index, index, index, index, index, index) -> ()']
    return o


def experts_kernel(I, dtype, element, stage, width):
    """The whole GPU form of nhc_moe_expert_matmul_<dtype>_tiled: a block
    of 256 threads per (64 output columns, active entry) walking its
    expert's sorted routes 64 at a time (nhc_moe_tile_sources), each tile
    an experts_tile. The two weight dtypes differ only in the weight's
    element type, its staging function and its bytes per element (`width`,
    for nhc_moe_tile_chunked)."""
    weight = f'memref<?x{element}>'
    o=[f'func.func private @nhc_moe_expert_matmul_{dtype}_tiled_gpu(',
       '    %x: memref<?xf32>, %token: memref<?xi32>, %offsets: memref<?xi32>,',
       f'    %active: memref<?xi32>, %w: {weight}, %y: memref<?xf32>, %A: index,',
       '    %n: index, %k: index, %gather: index, %act: index)',
       f'    attributes {{nhc.gpu_variant_of = "nhc_moe_expert_matmul_{dtype}_tiled"}} {{',
       '  %c1 = arith.constant 1 : index',
       '  %c64 = arith.constant 64 : index',
       '  %c256 = arith.constant 256 : index',
       '  %tiles = arith.ceildivsi %n, %c64 : index',
       '  gpu.launch blocks(%bx, %by, %bz) in (%gx = %tiles, %gy = %A, %gz = %c1)',
       '             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1)',
       f'             workgroup(%stage : {AST},',
       f'                       %srcRows : {SRC}) {{']
    for name, value in (('c0', 0), ('one', 1), ('c2', 2), ('c4', 4), ('c8', 8),
                        ('c16', 16), ('c24', 24), ('c32', 32), ('c72', 72),
                        ('kTile', 64)):
        o.append(f'    %{name} = arith.constant {value} : index')
    o+=['    // One mma per product: the operands are exact in tf32.',
        '    %allTerms = arith.constant false',
        '    %range:3 = func.call @nhc_moe_expert_range(%offsets, %active, %by)',
        '        : (memref<?xi32>, memref<?xi32>, index) -> (index, index, index)',
        '    %j0 = arith.muli %bx, %kTile : index',
        '    %wBase = func.call @nhc_moe_weight_row(%range#0, %c0, %n, %k)',
        '        : (index, index, index, index) -> index',
        '    %doGather = arith.cmpi ne, %gather, %c0 : index',
        f'    %wAddress = memref.extract_aligned_pointer_as_index %w : {weight} -> index',
        '    %xAddress = memref.extract_aligned_pointer_as_index %x : memref<?xf32> -> index',
        f'    %chunked = func.call @nhc_moe_tile_chunked(%xAddress, %wAddress, %k, {width})',
        '        : (index, index, index, index) -> i1',
        "    // This lane's places in its warp's 16 x 32 part of a 64 x 64 tile."]
    o+=lanes('    ')
    o+=['    scf.for %p0 = %range#1 to %range#2 step %kTile {',
        '      %left = arith.subi %range#2, %p0 : index',
        '      %rows = arith.minui %left, %kTile : index',
        '      func.call @nhc_moe_tile_sources(%token, %srcRows, %p0, %rows, %range#1, %doGather, %tx)',
        f'          : (memref<?xi32>, {SRC}, index, index, index, i1, index) -> ()',
        '      gpu.barrier']
    o+=experts_tile('      ', stage, weight)
    o+=['    }',
        '    gpu.terminator',
        '  }',
        '  return',
        '}']
    return [I + line if line else line for line in o]


def experts_stage(I, dtype, element, width):
    """nhc_moe_tile_stage_<dtype>: thread tx's share of a stage (below);
    the dtypes differ in the weight's element type, its bytes (the
    chunk's alignment) and its widening (nhc_widen_<dtype>, x8)."""
    weight = f'memref<?x{element}>'
    o=["// Thread tx's share of a stage from k0: tile row `row` = tx % 64 and the",
       "// 8 columns k0 + 8 (tx / 64) + s, s < 8, of x's bf16 values of the tile's",
       "// route `row` (srcRows) as A(row, kk) at kk * 72 + row, and of the",
       f"// expert's {dtype} weight row j0 + row (rows from wBase), widened exactly",
       "// (nhc_widen_" + dtype + "), as B(kk, row) 2304 later; 0 past the tile's `rows`",
       "// routes, n or k. A warp's 32 threads take 32 consecutive rows, so each",
       "// of its stores hits 32 banks. With `chunked` (every row of x 16-byte",
       "// aligned and of the weight " + str(8 * width) + "-byte, k % 8 == 0) the 8 columns are",
       "// two 16-byte loads of x and one of the weight, else 8 loads of each.",
       f'func.func private @nhc_moe_tile_stage_{dtype}(%x: memref<?xf32>,',
       f'    %srcRows: {SRC},',
       f'    %w: {weight}, %wBase: index, %k0: index, %rows: index, %j0: index,',
       '    %n: index, %k: index, %tx: index, %chunked: i1,',
       f'    %stage: {AST}) {{',
       '  %c0 = arith.constant 0 : index',
       '  %one = arith.constant 1 : index',
       '  %c8 = arith.constant 8 : index',
       '  %c72 = arith.constant 72 : index',
       '  %zero = arith.constant 0.0 : f32',
       '  %zeros = arith.constant dense<0.0> : vector<8xf32>',
       '  %at:6 = func.call @nhc_moe_tile_place(%srcRows, %k0, %rows, %j0, %n, %k, %wBase, %tx)',
       f'      : ({SRC}, index, index, index, index, index, index, index)',
       '      -> (index, index, i1, i1, index, index)',
       '  scf.if %chunked {',
       '    %kIn = arith.cmpi ult, %at#0, %k : index // the whole chunk: k % 8 == 0',
       '    %a8 = func.call @nhc_moe_tile_x8(%x, %at#1, %at#0, %kIn, %at#2)',
       '        : (memref<?xf32>, index, index, i1, i1) -> vector<8xf32>',
       '    %wOk = arith.andi %kIn, %at#3 : i1',
       '    %b8 = scf.if %wOk -> (vector<8xf32>) {',
       '      %wi = arith.addi %at#4, %at#0 : index',
       f'      %bits = vector.load %w[%wi] {{alignment = {8 * width}}} : {weight}, vector<8x{element}>',
       f'      %wf = func.call @nhc_widen_{dtype}x8(%bits) : (vector<8x{element}>) -> vector<8xf32>',
       '      scf.yield %wf : vector<8xf32>',
       '    } else {',
       '      scf.yield %zeros : vector<8xf32>',
       '    }',
       '    func.call @nhc_moe_stage_pair8(%stage, %at#5, %a8, %b8)',
       f'        : ({AST}, index, vector<8xf32>, vector<8xf32>) -> ()',
       '  } else {',
       '    scf.for %s = %c0 to %c8 step %one {',
       '      %col = arith.addi %at#0, %s : index',
       '      %kIn = arith.cmpi ult, %col, %k : index',
       '      %kSafe = arith.select %kIn, %col, %c0 : index',
       '      %a = func.call @nhc_moe_tile_x1(%x, %at#1, %kSafe, %kIn, %at#2)',
       '          : (memref<?xf32>, index, index, i1, i1) -> f32',
       '      %wi = arith.addi %at#4, %kSafe : index',
       f'      %wv = memref.load %w[%wi] : {weight}',
       f'      %wf = func.call @nhc_widen_{dtype}(%wv) : ({element}) -> f32',
       '      %wOk = arith.andi %kIn, %at#3 : i1',
       '      %b = arith.select %wOk, %wf, %zero : f32',
       '      %sRow = arith.muli %s, %c72 : index',
       '      %as = arith.addi %at#5, %sRow : index',
       '      func.call @nhc_moe_stage_pair1(%stage, %as, %a, %b)',
       f'          : ({AST}, index, f32, f32) -> ()',
       '    }',
       '  }',
       '  return',
       '}']
    return [I + line if line else line for line in o]


def experts(I):
    """The bf16 experts' kernel and its staging."""
    return (experts_kernel(I, 'bf16', 'i16', '@nhc_moe_tile_stage_bf16', '%c2')
            + [''] + experts_stage(I, 'bf16', 'i16', 2))


def experts_e4m3(I):
    """The e4m3 experts' kernel and its staging."""
    return (experts_kernel(I, 'e4m3', 'i8', '@nhc_moe_tile_stage_e4m3', '%one')
            + [''] + experts_stage(I, 'e4m3', 'i8', 1))


# The parts each kernel file holds.
FILES = {
    'moe_experts_tiled_gpu.mlir': {'experts': experts,
                                   'experts_e4m3': experts_e4m3},
    'ssd_scan_gpu.mlir': {'lanes': lanes, 'step2': step2, 'step3': step3,
                          'step4': step4},
    'attention_gpu.mlir': {'lanes': lanes, 'scores': scores,
                           'values': values},
}
MARKER = re.compile(
    r'^( *)// BEGIN GENERATED (\w+): tools/scripts/gen-gpu-tiles.py\n'
    r'.*?^\1// END GENERATED \2\n', re.M | re.S)


def regenerate(text, parts):
    found = []
    def part(match):
        indent, name = match.group(1), match.group(2)
        if name not in parts:
            sys.exit(f'gen-gpu-tiles.py: unknown part {name!r}')
        found.append(name)
        lines = parts[name](indent)
        return (f'{indent}// BEGIN GENERATED {name}: tools/scripts/gen-gpu-tiles.py\n'
                + '\n'.join(lines) + f'\n{indent}// END GENERATED {name}\n')
    new = MARKER.sub(part, text)
    # A part may be written at several places (each kernel's lanes).
    if sorted(set(found)) != sorted(parts):
        sys.exit(f'gen-gpu-tiles.py: found the parts {sorted(set(found))}, '
                 f'expected {sorted(parts)}')
    return new


def main(argv):
    check = argv[1:2] == ['--check']
    paths = argv[2:] if check else argv[1:]
    if len(paths) != 1:
        sys.exit(__doc__)
    with open(paths[0], encoding='utf-8') as f:
        text = f.read()
    # A copy of a kernel file (a test's) keeps the kernel's name at its end.
    kinds = [f for f in FILES if paths[0].endswith(f)]
    if len(kinds) != 1:
        sys.exit(f'gen-gpu-tiles.py: {paths[0]} is none of {sorted(FILES)}')
    new = regenerate(text, FILES[kinds[0]])
    if check:
        if new != text:
            print(f'{paths[0]}: the generated parts are stale; run '
                  f'tools/scripts/gen-gpu-tiles.py {paths[0]}', file=sys.stderr)
            return 1
        return 0
    if new != text:
        with open(paths[0], 'w', encoding='utf-8') as f:
            f.write(new)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

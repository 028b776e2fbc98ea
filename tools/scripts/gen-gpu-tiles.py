#!/usr/bin/env python3
"""Writes the 4 x 4 register-block tiles of the GPU forms' 64 x 64 products.

The GPU chunked SSD scan (lib/Kernels/ssd_scan_gpu.mlir) and the GPU
attention's prefill (lib/Kernels/attention_gpu.mlir) compute 64 x 64
products, each thread accumulating a 4 x 4 block in 16 registers (rows
ti + 16a, columns tj + 16b). MLIR has no loop that keeps 16 named
accumulators without spelling each out, so those parts of the kernels are
written by this script between the markers

    // BEGIN GENERATED <part>: tools/scripts/gen-gpu-tiles.py
    ...
    // END GENERATED <part>

at the marker's indentation; the rest of each file is written by hand.
Parts, by file:
  ssd_scan_gpu.mlir   step2 (W = C Bᵀ), step3 (C h_prevᵀ),
                      step4 ((coef ∘ X)ᵀ B)
  attention_gpu.mlir  scores (S = Q Kᵀ), values (O = O corr + P V)

    gen-gpu-tiles.py FILE            rewrite the parts in FILE
    gen-gpu-tiles.py --check FILE    exit 1 if any part differs from what
                                     this script writes (a lit test runs it)
"""
import re
import sys

# The kernel's workgroup buffers: staging tiles (32 rows of 65 floats), the
# 64 x 64 weight tile, the per-token vectors.
WG = '#gpu.address_space<workgroup>'
ST = f'memref<2080xf32, {WG}>'
WB = f'memref<4096xf32, {WG}>'
SB = f'memref<64xf32, {WG}>'
# The attention prefill's: the staging tile (Q and K chunks, 32 rows of 65
# floats each, K's from 2080; or 64 rows of V), the probabilities Pᵀ (64
# rows of 65), the per-query statistics (m, l, rescale at 0, 64, 128).
AST = f'memref<4160xf32, {WG}>'
AQS = f'memref<192xf32, {WG}>'
F16 = ', '.join(['f32'] * 16)


def ab():
    """The 16 (row, column) places of a thread's 4 x 4 block."""
    for a in range(4):
        for b in range(4):
            yield a, b


def micro_loop(ind, pre, init, a_op=('%aT', ST, 'row'), b_op=('%bT', ST, 'col'),
               bound='%c32'):
    """%<pre>acc#(4a+b) = init[a][b] + sum over kk < bound of
    A[kk * 65 + row_a] * B[kk * 65 + col_b], A and B given as (memref, type,
    prefix of the 4 row or column values: %row0..3 for rows ti + 16a)."""
    (abuf, atype, arow), (bbuf, btype, bcol) = a_op, b_op
    o=[f'{ind}%{pre}acc:16 = scf.for %kk = %c0 to {bound} step %one',
       f'{ind}    iter_args(' + ', '.join(f'%{pre}s{a}{b} = {init[a][b]}' for a,b in ab()) + ')',
       f'{ind}    -> ({F16}) {{',
       f'{ind}  %{pre}kr = arith.muli %kk, %c65 : index']
    for a in range(4):
        o+=[f'{ind}  %{pre}ai{a} = arith.addi %{pre}kr, %{arow}{a} : index',
            f'{ind}  %{pre}av{a} = memref.load {abuf}[%{pre}ai{a}] : {atype}']
    for b in range(4):
        o+=[f'{ind}  %{pre}bi{b} = arith.addi %{pre}kr, %{bcol}{b} : index',
            f'{ind}  %{pre}bv{b} = memref.load {bbuf}[%{pre}bi{b}] : {btype}']
    for a,b in ab():
        o+=[f'{ind}  %{pre}m{a}{b} = arith.mulf %{pre}av{a}, %{pre}bv{b} : f32',
            f'{ind}  %{pre}n{a}{b} = arith.addf %{pre}s{a}{b}, %{pre}m{a}{b} : f32']
    o.append(f'{ind}  scf.yield ' + ', '.join(f'%{pre}n{a}{b}' for a,b in ab()) + f' : {F16}')
    o.append(f'{ind}}}')
    return o


def stage(ind, second):
    """Stages 32 state columns from k0: aT[kk][row] = C of chunk token row,
    bT[kk][row] = B of that token (second == 'b') or state row p0 + row
    (second == 'h'); 0 past the chunk, P or N."""
    o=[f'{ind}scf.for %e = %tx to %kStage step %threads {{']
    K=ind+'  '
    o+=[f'{K}%kk = arith.remui %e, %c32 : index',
        f'{K}%row = arith.divui %e, %c32 : index',
        f'{K}%k = arith.addi %k0, %kk : index',
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
    else:
        o+=[f'{K}%p = arith.addi %p0, %row : index',
            f'{K}%pIn = arith.cmpi ult, %p, %P : index',
            f'{K}%hOk = arith.andi %kIn, %pIn : i1',
            f'{K}%pSafe = arith.select %pIn, %p, %c0 : index',
            f'{K}%pN = arith.muli %pSafe, %N : index',
            f'{K}%hi0 = arith.addi %sbase, %pN : index',
            f'{K}%hi = arith.addi %hi0, %kSafe : index',
            f'{K}%hv = memref.load %ssm_state[%hi] : memref<?xf32>',
            f'{K}%sb = arith.select %hOk, %hv, %zero : f32']
    o+=[f'{K}%kr = arith.muli %kk, %c65 : index',
        f'{K}%si = arith.addi %kr, %row : index',
        f'{K}memref.store %cz, %aT[%si] : {ST}',
        f'{K}memref.store %sb, %bT[%si] : {ST}',
        f'{ind}}}']
    return o


def block_in_memory(ind, pre, memory, slot, partial):
    """A 4 x 4 block whose partial sums live in global `memory`: per place
    its (index, exists) from `slot`, its partial sum so far from `partial`
    (both calls with {a}, {b} for the place), the stage's products added,
    the sums stored back where the place exists."""
    init = [[None] * 4 for _ in range(4)]
    o = []
    for a, b in ab():
        callee, types = slot.format(a=a, b=b).split(' : ')
        o += [f'{ind}%{pre}i{a}{b}:2 = func.call {callee}',
              f'{ind}    : {types} -> (index, i1)']
        callee, types = partial.format(a=a, b=b).split(' : ')
        o += [f'{ind}%{pre}0{a}{b} = func.call {callee}',
              f'{ind}    : {types} -> f32']
        init[a][b] = f'%{pre}0{a}{b}'
    o += micro_loop(ind, pre, init)
    for a, b in ab():
        o += [f'{ind}func.call @nhc_tile_store_if({memory}, %{pre}i{a}{b}#0, '
              f'%{pre}i{a}{b}#1, %{pre}acc#{a * 4 + b})',
              f'{ind}    : (memref<?xf32>, index, i1, f32) -> ()']
    return o


def state_column_stage(I, second):
    """The head of a loop over the N state columns 32 at a time: the stage
    (stage()), its barrier, %first for the loop's first stage."""
    J = I + '  '
    return ([f'{I}scf.for %k0 = %c0 to %N step %c32 {{'] + stage(J, second) +
            [f'{J}gpu.barrier', f'{J}%first = arith.cmpi eq, %k0, %c0 : index'])


def step2(I):
    """W = C Bᵀ, partial sums in wbuf, scaled on the last stage."""
    J=I+'  '
    o=state_column_stage(I, 'b')
    o+=[f'{J}%kNext = arith.addi %k0, %c32 : index',
        f'{J}%lastStage = arith.cmpi uge, %kNext, %N : index']
    init=[[None]*4 for _ in range(4)]
    for a,b in ab():
        o+=[f'{J}%wi{a}{b} = arith.addi %wrow{a}, %col{b} : index',
            f'{J}%wo{a}{b} = memref.load %wbuf[%wi{a}{b}] : {WB}',
            f'{J}%w0{a}{b} = arith.select %first, %zero, %wo{a}{b} : f32']
        init[a][b]=f'%w0{a}{b}'
    o+=micro_loop(J,'w',init)
    for a in range(4):
        o.append(f'{J}%cumL{a} = memref.load %cumbuf[%row{a}] : {SB}')
    for b in range(4):
        o+=[f'{J}%cumS{b} = memref.load %cumbuf[%col{b}] : {SB}',
            f'{J}%dtS{b} = memref.load %dtbuf[%col{b}] : {SB}']
    for a,b in ab():
        o+=[f'{J}%wf{a}{b} = func.call @nhc_ssd_chunk_weight(%wacc#{a*4+b}, %lastStage, %row{a}, %col{b}, %n, %cumL{a}, %cumS{b}, %dtS{b})',
            f'{J}    : (f32, i1, index, index, index, f32, f32, f32) -> f32',
            f'{J}memref.store %wf{a}{b}, %wbuf[%wi{a}{b}] : {WB}']
    o+=[f'{J}gpu.barrier', f'{I}}}']
    return o


def step3(I):
    """Partial sums of C h_prevᵀ for a 64-column tile, kept in y."""
    J=I+'  '
    o=state_column_stage(I, 'h')
    o+=block_in_memory(
        J, 'y', '%y',
        '@nhc_ssd_chunk_y_slot(%row{a}, %col{b}, %p0, %n, %P, %c0tok, %HP, %hp0)'
        ' : (index, index, index, index, index, index, index, index)',
        '@nhc_tile_load_partial(%y, %yi{a}{b}#0, %yi{a}{b}#1, %first)'
        ' : (memref<?xf32>, index, i1, i1)')
    o+=[f'{J}gpu.barrier', f'{I}}}']
    return o


def step4(I):
    """The state tile (p0.., n0..): exp(cum_last) h + (coef ∘ X)ᵀ B, 32
    tokens a stage, partial sums kept in the state."""
    J=I+'  '
    K=J+'  '
    o=[f'{I}scf.for %n0 = %c0 to %N step %kTile {{',
       f'{J}scf.for %s0 = %c0 to %n step %c32 {{',
       f'{K}scf.for %e = %tx to %kStage step %threads {{']
    L=K+'  '
    o+=[f'{L}%row = arith.remui %e, %kTile : index',
        f'{L}%kk = arith.divui %e, %kTile : index',
        f'{L}%j = arith.addi %s0, %kk : index',
        f'{L}%jIn = arith.cmpi ult, %j, %n : index',
        f'{L}%jSafe = arith.select %jIn, %j, %c0 : index',
        f'{L}%stok = arith.addi %c0tok, %jSafe : index',
        f'{L}%srow = arith.muli %stok, %xbcStride : index',
        f'{L}%p = arith.addi %p0, %row : index',
        f'{L}%pIn = arith.cmpi ult, %p, %P : index',
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
        f'{L}%sb = arith.select %bOk, %bv, %zero : f32',
        f'{L}%kr = arith.muli %kk, %c65 : index',
        f'{L}%si = arith.addi %kr, %row : index',
        f'{L}memref.store %wz, %aT[%si] : {ST}',
        f'{L}memref.store %sb, %bT[%si] : {ST}',
        f'{K}}}',
        f'{K}gpu.barrier',
        f'{K}%first = arith.cmpi eq, %s0, %c0 : index']
    o+=block_in_memory(
        K, 'h', '%ssm_state',
        '@nhc_ssd_chunk_state_slot(%row{a}, %col{b}, %p0, %n0, %P, %N, %sbase)'
        ' : (index, index, index, index, index, index, index)',
        '@nhc_ssd_state_partial(%ssm_state, %hi{a}{b}#0, %hi{a}{b}#1, %first, %etot)'
        ' : (memref<?xf32>, index, i1, i1, f32)')
    o+=[f'{K}gpu.barrier', f'{J}}}', f'{I}}}']
    return o


def scores(I):
    """Inside the loop over head columns k0: after the Q and K chunks'
    barrier, S += Q Kᵀ over those 32 columns, partial sums kept in Pᵀ; on
    the last chunk scaled and causally masked (nhc_attention_score)."""
    o=[f'{I}%sFirst = arith.cmpi eq, %k0, %c0 : index',
       f'{I}%kNext = arith.addi %k0, %c32 : index',
       f'{I}%lastChunk = arith.cmpi uge, %kNext, %D : index']
    init=[[None]*4 for _ in range(4)]
    for a,b in ab():
        o+=[f'{I}%si{a}{b} = arith.addi %pcol{b}, %row{a} : index',
            f'{I}%so{a}{b} = memref.load %pT[%si{a}{b}] : {AST}',
            f'{I}%s0{a}{b} = arith.select %sFirst, %zero, %so{a}{b} : f32']
        init[a][b]=f'%s0{a}{b}'
    o+=micro_loop(I, 's', init, ('%stage', AST, 'row'), ('%stage', AST, 'kcol'))
    for a,b in ab():
        o+=[f'{I}%sf{a}{b} = func.call @nhc_attention_score(%sacc#{a*4+b}, %lastChunk, %row{a}, %col{b}, %nq, %p0, %causal0, %scale)',
            f'{I}    : (f32, i1, index, index, index, index, index, f32) -> f32',
            f'{I}memref.store %sf{a}{b}, %pT[%si{a}{b}] : {AST}']
    return o


def values(I):
    """Inside the loop over 64-column tiles d0 of the head: after V's
    barrier, O = O corr + P V (O's partial sums in its output rows, 0 before
    the first position tile), divided by l on the last."""
    o=[]
    for a in range(4):
        o+=[f'{I}%ca{a} = arith.addi %row{a}, %c128 : index',
            f'{I}%corr{a} = memref.load %qstats[%ca{a}] : {AQS}',
            f'{I}%la{a} = arith.addi %row{a}, %c64 : index',
            f'{I}%l{a} = memref.load %qstats[%la{a}] : {AQS}']
    init=[[None]*4 for _ in range(4)]
    for a,b in ab():
        o+=[f'{I}%oi{a}{b}:2 = func.call @nhc_attention_out_slot(%row{a}, %col{b}, %d0, %nq, %D, %oRow0, %rowOut)',
            f'{I}    : (index, index, index, index, index, index, index) -> (index, i1)',
            f'{I}%op{a}{b} = func.call @nhc_tile_load_partial(%out, %oi{a}{b}#0, %oi{a}{b}#1, %firstTile)',
            f'{I}    : (memref<?xf32>, index, i1, i1) -> f32',
            f'{I}%o0{a}{b} = arith.mulf %op{a}{b}, %corr{a} : f32']
        init[a][b]=f'%o0{a}{b}'
    o+=micro_loop(I, 'o', init, ('%pT', AST, 'row'), ('%stage', AST, 'col'),
                  '%c64')
    for a,b in ab():
        o+=[f'{I}%ofin{a}{b} = arith.divf %oacc#{a*4+b}, %l{a} : f32',
            f'{I}%of{a}{b} = arith.select %lastTile, %ofin{a}{b}, %oacc#{a*4+b} : f32',
            f'{I}func.call @nhc_tile_store_if(%out, %oi{a}{b}#0, %oi{a}{b}#1, %of{a}{b})',
            f'{I}    : (memref<?xf32>, index, i1, f32) -> ()']
    return o


# The parts each kernel file holds.
FILES = {
    'ssd_scan_gpu.mlir': {'step2': step2, 'step3': step3, 'step4': step4},
    'attention_gpu.mlir': {'scores': scores, 'values': values},
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
    if sorted(found) != sorted(parts):
        sys.exit(f'gen-gpu-tiles.py: found the parts {sorted(found)}, '
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

//===- AddSlicedKernels.cpp - per-thread slices of kernel loops -----------===//

#include "nhc/Kernels/Passes.h"
#include "nhc/format/library_kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::nhc {

#define GEN_PASS_DEF_NHCADDSLICEDKERNELSPASS
#include "nhc/Kernels/Passes.h.inc"

namespace {

/// The kernel's top-level parallel loops, in order, when everything else in
/// its body at most reads memory (so it can run again in every phase); else
/// empty.
SmallVector<scf::ParallelOp> sliceableLoops(func::FuncOp kernel) {
  if (kernel.isPrivate() || kernel.isExternal() ||
      !kernel.getBody().hasOneBlock() || kernel.getNumResults() != 0)
    return {};
  SmallVector<scf::ParallelOp> loops;
  for (Operation &op : kernel.getBody().front()) {
    if (auto parallel = dyn_cast<scf::ParallelOp>(op)) {
      if (parallel.getNumReductions() != 0)
        return {};
      loops.push_back(parallel);
      continue;
    }
    if (isa<func::ReturnOp>(op))
      continue;
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    bool readsAtMost =
        effects && !effects.hasEffect<MemoryEffects::Write>() &&
        !effects.hasEffect<MemoryEffects::Allocate>() &&
        !effects.hasEffect<MemoryEffects::Free>() && op.getNumRegions() == 0;
    if (!readsAtMost)
      return {};
  }
  return loops;
}

/// Replaces `loop` by its share: one dimension of n = prod(trip counts)
/// iterations, of which the slice runs [n * slice / slices,
/// n * (slice + 1) / slices), each turned back into the original induction
/// variables.
void sliceLoop(IRRewriter &rewriter, scf::ParallelOp loop, Value slice,
               Value slices) {
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  SmallVector<Value> trips;
  Value total = one;
  for (auto [lb, ub, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    Value span = arith::SubIOp::create(rewriter, loc, ub, lb);
    Value nonNegative = arith::MaxSIOp::create(rewriter, loc, span, zero);
    Value trip = arith::CeilDivUIOp::create(rewriter, loc, nonNegative, step);
    trips.push_back(trip);
    total = arith::MulIOp::create(rewriter, loc, total, trip);
  }
  Value next = arith::AddIOp::create(rewriter, loc, slice, one);
  Value lo = arith::DivUIOp::create(
      rewriter, loc, arith::MulIOp::create(rewriter, loc, total, slice),
      slices);
  Value hi = arith::DivUIOp::create(
      rewriter, loc, arith::MulIOp::create(rewriter, loc, total, next),
      slices);
  auto linear = scf::ParallelOp::create(rewriter, loc, ValueRange{lo},
                                        ValueRange{hi}, ValueRange{one});
  Block *body = linear.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.setInsertionPointToStart(body);
  Value rest = linear.getInductionVars()[0];
  SmallVector<Value> ivs(trips.size());
  for (size_t d = trips.size(); d-- > 0;) {
    Value idx = arith::RemUIOp::create(rewriter, loc, rest, trips[d]);
    rest = arith::DivUIOp::create(rewriter, loc, rest, trips[d]);
    Value offset = arith::MulIOp::create(rewriter, loc, idx, loop.getStep()[d]);
    ivs[d] = arith::AddIOp::create(rewriter, loc, loop.getLowerBound()[d],
                                   offset);
  }
  rewriter.mergeBlocks(loop.getBody(), body, ivs);
  rewriter.eraseOp(loop);
}

void addSlicedClone(func::FuncOp kernel, SymbolTable &symbols) {
  OpBuilder builder(kernel->getContext());
  builder.setInsertionPointAfter(kernel);
  auto clone = cast<func::FuncOp>(builder.clone(*kernel));
  clone.setSymName((kernel.getSymName() + ::nhc::format::kernel::kSlicedSuffix).str());
  // The loops as sliceableLoops found them in the kernel (the clone's
  // signature changes below).
  SmallVector<scf::ParallelOp> loops = sliceableLoops(clone);
  assert(!loops.empty() && "only sliceable kernels are cloned");
  Block &entry = clone.getBody().front();
  Type index = builder.getIndexType();
  Location loc = kernel.getLoc();
  Value slice = entry.addArgument(index, loc);
  Value slices = entry.addArgument(index, loc);
  Value phase = entry.addArgument(index, loc);
  SmallVector<Type> inputs(entry.getArgumentTypes());
  // The kernel's argument attributes, none for the new arguments.
  SmallVector<DictionaryAttr> argAttrs;
  clone.getAllArgAttrs(argAttrs);
  clone.setFunctionType(builder.getFunctionType(inputs, {builder.getI1Type()}));
  argAttrs.resize(inputs.size(), builder.getDictionaryAttr({}));
  clone.setAllArgAttrs(argAttrs);
  symbols.insert(clone);

  // Phase i runs the slice of loop i; the loops' order is kept by the
  // runtime finishing every slice of a phase before the next phase.
  IRRewriter rewriter(clone.getContext());
  for (auto [i, loop] : llvm::enumerate(loops)) {
    rewriter.setInsertionPoint(loop);
    Value index = arith::ConstantIndexOp::create(rewriter, loc, i);
    Value mine = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                       phase, index);
    auto guard = scf::IfOp::create(rewriter, loc, mine, /*withElse=*/false);
    rewriter.moveOpBefore(loop, guard.thenBlock()->getTerminator());
    sliceLoop(rewriter, loop, slice, slices);
  }
  // Returns whether a later phase exists.
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  rewriter.setInsertionPoint(ret);
  Value count = arith::ConstantIndexOp::create(rewriter, loc, loops.size());
  Value nextPhase = arith::AddIOp::create(
      rewriter, loc, phase, arith::ConstantIndexOp::create(rewriter, loc, 1));
  Value more = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult,
                                     nextPhase, count);
  rewriter.replaceOpWithNewOp<func::ReturnOp>(ret, more);
}

struct NHCAddSlicedKernelsPass
    : impl::NHCAddSlicedKernelsPassBase<NHCAddSlicedKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> kernels;
    for (auto kernel : module.getOps<func::FuncOp>())
      if (!sliceableLoops(kernel).empty() &&
          !symbols.lookup((kernel.getSymName() + ::nhc::format::kernel::kSlicedSuffix).str()))
        kernels.push_back(kernel);
    for (func::FuncOp kernel : kernels)
      addSlicedClone(kernel, symbols);
  }
};

} // namespace
} // namespace mlir::nhc

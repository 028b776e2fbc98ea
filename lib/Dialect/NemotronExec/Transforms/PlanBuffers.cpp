//===- PlanBuffers.cpp - share buffers between disjoint lifetimes -*- C++ -*-===//

#include "nhc/Dialect/NemotronExec/Transforms/Passes.h"

#include "llvm/ADT/DenseMap.h"

namespace mlir::nemotron_exec {
#define GEN_PASS_DEF_NEMOTRONEXECPLANBUFFERSPASS
#include "nhc/Dialect/NemotronExec/Transforms/Passes.h.inc"
} // namespace mlir::nemotron_exec

using namespace mlir;
using namespace mlir::nemotron_exec;

namespace {

/// First and last position (in step order) of the ops that use a buffer.
struct Lifetime {
  int64_t first = INT64_MAX;
  int64_t last = -1;
};

/// The position of every op of the step: @body first, both heads after it.
llvm::DenseMap<Operation *, int64_t> stepPositions(ModuleOp module) {
  llvm::DenseMap<Operation *, int64_t> positions;
  int64_t bodyEnd = 0;
  for (auto schedule : module.getOps<ScheduleOp>())
    if (schedule.getSymName() == kBodySchedule)
      bodyEnd = std::distance(schedule.getBody().front().begin(),
                              schedule.getBody().front().end());
  for (auto schedule : module.getOps<ScheduleOp>()) {
    int64_t at = schedule.getSymName() == kBodySchedule ? 0 : bodyEnd;
    for (Operation &op : schedule.getBody().front())
      positions[&op] = at++;
  }
  return positions;
}

/// Merges the result of each in-place update into its source, in step
/// order, after checking that the source's old values are dead.
LogicalResult resolveAliases(ModuleOp module) {
  SmallVector<AliasOp> aliases;
  for (auto schedule : module.getOps<ScheduleOp>())
    for (auto alias : schedule.getBody().front().getOps<AliasOp>())
      aliases.push_back(alias);
  if (aliases.empty())
    return success();
  llvm::DenseMap<Operation *, int64_t> positions = stepPositions(module);
  // result -> source, followed transitively (an update of an update).
  llvm::DenseMap<StringAttr, StringAttr> mergedInto;
  auto storageOf = [&](StringAttr name) {
    while (mergedInto.count(name))
      name = mergedInto.lookup(name);
    return name;
  };
  SmallVector<BufferRefOp> refs;
  module.walk([&](BufferRefOp ref) { refs.push_back(ref); });
  for (AliasOp alias : aliases) {
    StringAttr source = alias.getSourceAttr().getAttr();
    int64_t at = positions.lookup(alias);
    for (BufferRefOp ref : refs) {
      if (ref.getNameAttr().getAttr() != source)
        continue;
      for (Operation *user : ref->getUsers())
        if (positions.lookup(user) > at)
          return alias.emitError()
                 << "updates buffer '" << source.getValue()
                 << "' in place, but its old values are read later";
    }
    mergedInto[alias.getResultAttr().getAttr()] = source;
  }
  for (BufferRefOp ref : refs)
    ref.setNameAttr(FlatSymbolRefAttr::get(storageOf(ref.getNameAttr().getAttr())));
  for (AliasOp alias : aliases) {
    if (Operation *merged = SymbolTable::lookupSymbolIn(
            module, alias.getResultAttr().getAttr()))
      merged->erase();
    alias.erase();
  }
  return success();
}

/// Moves the writers and readers of each packed buffer (`within`, `column`)
/// to the columns of the buffer it is packed into, and drops its
/// declaration. Gemm operands and taps carry their own column and row
/// stride; other users cannot be moved.
LogicalResult placePackedBuffers(ModuleOp module) {
  SmallVector<BufferOp> packed;
  for (BufferOp buffer : module.getOps<BufferOp>())
    if (buffer.getWithin())
      packed.push_back(buffer);
  if (packed.empty())
    return success();
  llvm::DenseMap<StringAttr, BufferOp> byName;
  for (BufferOp buffer : packed)
    byName[buffer.getSymNameAttr()] = buffer;
  SmallVector<BufferRefOp> refs;
  module.walk([&](BufferRefOp ref) {
    if (byName.count(ref.getNameAttr().getAttr()))
      refs.push_back(ref);
  });
  for (BufferRefOp ref : refs) {
    BufferOp buffer = byName.lookup(ref.getNameAttr().getAttr());
    auto outer = SymbolTable::lookupNearestSymbolFrom<BufferOp>(
        buffer, buffer.getWithinAttr());
    uint64_t column = *buffer.getColumn();
    uint64_t ld = outer.getRowElements();
    Builder b(module.getContext());
    for (Operation *user : ref->getUsers()) {
      if (auto gemm = dyn_cast<GemmOp>(user)) {
        if (gemm.getA() == ref.getResult()) {
          gemm.setAOffsetAttr(b.getI64IntegerAttr(gemm.getAOffset() + column));
          gemm.setLdaAttr(b.getI64IntegerAttr(ld));
        }
        if (gemm.getC() == ref.getResult()) {
          gemm.setCOffsetAttr(b.getI64IntegerAttr(gemm.getCOffset() + column));
          gemm.setLdcAttr(b.getI64IntegerAttr(ld));
        }
      } else if (auto tap = dyn_cast<TapOp>(user)) {
        tap.setOffsetAttr(b.getI64IntegerAttr(tap.getOffset() + column));
        tap.setLdAttr(b.getI64IntegerAttr(ld));
      } else {
        return user->emitOpError()
               << "reads buffer '" << buffer.getSymName() << "', packed into '"
               << outer.getSymName()
               << "', but its columns cannot be moved there";
      }
    }
    ref.setNameAttr(buffer.getWithinAttr());
  }
  for (BufferOp buffer : packed)
    buffer.erase();
  return success();
}

struct NemotronExecPlanBuffersPass
    : mlir::nemotron_exec::impl::NemotronExecPlanBuffersPassBase<
          NemotronExecPlanBuffersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(resolveAliases(module)) || failed(placePackedBuffers(module)))
      return signalPassFailure();
    SmallVector<BufferOp> buffers(module.getOps<BufferOp>());
    llvm::DenseMap<StringAttr, Lifetime> lifetimes;

    // A reference lives where the ops that read it run.
    llvm::DenseMap<Operation *, int64_t> positions = stepPositions(module);
    module.walk([&](BufferRefOp ref) {
      Lifetime &life = lifetimes[ref.getNameAttr().getAttr()];
      for (Operation *user : ref->getUsers()) {
        int64_t at = positions.lookup(user);
        life.first = std::min(life.first, at);
        life.last = std::max(life.last, at);
      }
    });

    // Unused buffers are dropped; the others in order of first use.
    SmallVector<BufferOp> used;
    for (BufferOp buffer : buffers) {
      auto it = lifetimes.find(buffer.getSymNameAttr());
      if (it == lifetimes.end() || it->second.last < 0)
        buffer.erase();
      else
        used.push_back(buffer);
    }
    llvm::stable_sort(used, [&](BufferOp a, BufferOp b) {
      return lifetimes[a.getSymNameAttr()].first <
             lifetimes[b.getSymNameAttr()].first;
    });

    struct Slot {
      BufferOp decl;
      int64_t freeAfter;
    };
    SmallVector<Slot> slots;
    llvm::DenseMap<StringAttr, StringAttr> renamed;
    OpBuilder builder(module.getContext());
    for (BufferOp buffer : used) {
      Lifetime life = lifetimes[buffer.getSymNameAttr()];
      Slot *slot = nullptr;
      for (Slot &candidate : slots)
        if (candidate.freeAfter < life.first &&
            candidate.decl.getRows() == buffer.getRows() &&
            candidate.decl.getType() == buffer.getType()) {
          slot = &candidate;
          break;
        }
      if (!slot) {
        builder.setInsertionPoint(buffer);
        auto decl = BufferOp::create(
            builder, buffer.getLoc(),
            builder.getStringAttr("b" + std::to_string(slots.size())),
            buffer.getRowsAttr(), buffer.getTypeAttr(),
            /*within=*/FlatSymbolRefAttr(), /*column=*/IntegerAttr());
        slots.push_back({decl, -1});
        slot = &slots.back();
      }
      slot->freeAfter = life.last;
      renamed[buffer.getSymNameAttr()] = slot->decl.getSymNameAttr();
    }
    for (BufferOp buffer : used)
      buffer.erase();
    // The new declarations, in slot order, where the old ones were.
    for (size_t i = 1; i < slots.size(); ++i)
      slots[i].decl->moveAfter(slots[i - 1].decl);

    module.walk([&](BufferRefOp ref) {
      ref.setNameAttr(
          FlatSymbolRefAttr::get(renamed.at(ref.getNameAttr().getAttr())));
    });
  }
};

} // namespace

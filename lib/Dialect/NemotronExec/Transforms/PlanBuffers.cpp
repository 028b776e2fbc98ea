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

struct NemotronExecPlanBuffersPass
    : mlir::nemotron_exec::impl::NemotronExecPlanBuffersPassBase<
          NemotronExecPlanBuffersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<BufferOp> buffers(module.getOps<BufferOp>());
    llvm::DenseMap<StringAttr, Lifetime> lifetimes;

    // @body runs first; either head runs after it, so both start where the
    // body ends.
    int64_t bodyEnd = 0;
    for (auto schedule : module.getOps<ScheduleOp>())
      if (schedule.getSymName() == kBodySchedule)
        bodyEnd = std::distance(schedule.getBody().front().begin(),
                                schedule.getBody().front().end());
    for (auto schedule : module.getOps<ScheduleOp>()) {
      int64_t position =
          schedule.getSymName() == kBodySchedule ? 0 : bodyEnd;
      for (Operation &op : schedule.getBody().front()) {
        // A reference lives where the ops that read it run.
        if (auto ref = dyn_cast<BufferRefOp>(op)) {
          Lifetime &life = lifetimes[ref.getNameAttr().getAttr()];
          for (Operation *user : ref->getUsers()) {
            int64_t at = position + std::distance(
                                        schedule.getBody().front().begin(),
                                        user->getIterator());
            life.first = std::min(life.first, at);
            life.last = std::max(life.last, at);
          }
        }
      }
    }

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
            buffer.getRowsAttr(), buffer.getTypeAttr());
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

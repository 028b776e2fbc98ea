//===- InsertGridDependencyControl.cpp - programmatic dependent launch ----===//
//
// Every kernel waits for the grids ahead of it before its first load and
// then lets the next one be placed, so the runtime may launch it with
// programmatic stream serialization (see the pass's description in
// Passes.td).
//
//===----------------------------------------------------------------------===//

#include "nhc/Kernels/Passes.h"
#include "nhc/format/chip_name.h"
#include "nhc/format/launch_table_schema.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/Builders.h"

namespace mlir::nhc {

#define GEN_PASS_DEF_NHCINSERTGRIDDEPENDENCYCONTROLPASS
#include "nhc/Kernels/Passes.h.inc"

bool chipHasGridDependencyControl(StringRef chip) {
  // PTX ISA, griddepcontrol: "Requires sm_90 or higher".
  return ::nhc::format::parseChipName(chip).number >=
         ::nhc::format::launch_table::kGridDependencyControlMinSm;
}

namespace {
/// PTX ISA 7.8, where griddepcontrol appears.
constexpr unsigned kMinPtx = 78;

/// Whether `features` (e.g. "+ptx80") name a PTX ISA version below `min`;
/// none named leaves the backend's default for the chip (7.8 or newer for
/// sm_90).
bool ptxVersionBelow(StringRef features, unsigned min) {
  size_t at = features.find("+ptx");
  if (at == StringRef::npos)
    return false;
  StringRef digits = features.drop_front(at + 4).take_while(
      [](char c) { return c >= '0' && c <= '9'; });
  unsigned version = 0;
  return !digits.getAsInteger(10, version) && version < min;
}

struct NHCInsertGridDependencyControlPass
    : impl::NHCInsertGridDependencyControlPassBase<
          NHCInsertGridDependencyControlPass> {
  void runOnOperation() override {
    gpu::GPUModuleOp module = getOperation();
    if (ArrayAttr targets = module.getTargetsAttr()) {
      for (Attribute attr : targets) {
        auto target = dyn_cast<NVVM::NVVMTargetAttr>(attr);
        if (target && !chipHasGridDependencyControl(target.getChip())) {
          module.emitError() << "griddepcontrol needs sm_90 or newer; the "
                                "module targets "
                             << target.getChip();
          return signalPassFailure();
        }
        if (target && ptxVersionBelow(target.getFeatures(), kMinPtx)) {
          module.emitError() << "griddepcontrol needs PTX ISA 7.8 or newer; "
                                "the module's target has features '"
                             << target.getFeatures() << "'";
          return signalPassFailure();
        }
      }
    }
    for (auto fn : module.getOps<gpu::GPUFuncOp>()) {
      if (!fn.isKernel() || fn.getBody().empty())
        continue;
      OpBuilder b = OpBuilder::atBlockBegin(&fn.getBody().front());
      NVVM::GriddepcontrolOp::create(b, fn.getLoc(),
                                     NVVM::GridDepActionKind::wait);
      NVVM::GriddepcontrolOp::create(b, fn.getLoc(),
                                     NVVM::GridDepActionKind::launch_dependents);
    }
  }
};
} // namespace

} // namespace mlir::nhc

//===- AlignWorkgroupMemory.cpp - 16-byte aligned workgroup buffers -------===//
//
// The NVPTX backend merges workgroup-memory accesses into 8- and 16-byte
// vector ones that must be aligned to their size; MLIR 22 aligns a buffer
// only to its element type unless told otherwise (see the pass's
// description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "nhc/Kernels/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::nhc {

#define GEN_PASS_DEF_NHCALIGNWORKGROUPMEMORYPASS
#include "nhc/Kernels/Passes.h.inc"

namespace {
struct NHCAlignWorkgroupMemoryPass
    : impl::NHCAlignWorkgroupMemoryPassBase<NHCAlignWorkgroupMemoryPass> {
  using Base::Base;

  void runOnOperation() override {
    if (alignment <= 0 || !llvm::isPowerOf2_64(alignment)) {
      getOperation().emitError()
          << "nhc-align-workgroup-memory: alignment must be a power of two, "
             "got "
          << static_cast<int64_t>(alignment);
      return signalPassFailure();
    }
    StringRef name = LLVM::LLVMDialect::getAlignAttrName();
    Builder builder(&getContext());
    for (auto func : getOperation().getOps<gpu::GPUFuncOp>()) {
      for (unsigned i = 0, e = func.getNumWorkgroupAttributions(); i < e;
           ++i) {
        auto existing = dyn_cast_or_null<IntegerAttr>(
            func.getWorkgroupAttributionAttr(i, name));
        if (existing && existing.getInt() >= alignment)
          continue;
        func.setWorkgroupAttributionAttr(i, name,
                                         builder.getI64IntegerAttr(alignment));
      }
    }
  }
};
} // namespace

} // namespace mlir::nhc

//===- ExternDynamicSharedMemory.cpp - PTX's extern shared array ----------===//
//
// Dynamic shared memory must be PTX's `.extern .shared` array of unknown
// size, which ptxas places after the static shared memory; MLIR 22 lowers
// it to an internal one-byte variable among them (see the pass's
// description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "nhc/Kernels/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::nhc {

#define GEN_PASS_DEF_NHCEXTERNDYNAMICSHAREDMEMORYPASS
#include "nhc/Kernels/Passes.h.inc"

namespace {
struct NHCExternDynamicSharedMemoryPass
    : impl::NHCExternDynamicSharedMemoryPassBase<
          NHCExternDynamicSharedMemoryPass> {
  void runOnOperation() override {
    for (auto global : getOperation().getOps<LLVM::GlobalOp>()) {
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      if (global.getAddrSpace() !=
              static_cast<unsigned>(NVVM::NVVMMemorySpace::Shared) || !array ||
          array.getNumElements() != 0 || global.getValueOrNull() ||
          global.getInitializerBlock())
        continue;
      global.setLinkage(LLVM::Linkage::External);
    }
  }
};
} // namespace

} // namespace mlir::nhc

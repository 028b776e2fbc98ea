//===- SelectKernelVariants.cpp - the library's kernels for one target ----===//
//
// The kernel library holds some kernels in two forms: the portable one
// (scf.parallel, one thread per row on a GPU) and a GPU form written with
// the gpu dialect (blocks cooperating through workgroup memory). Host-only
// kernels carry `nhc.host_only`; GPU forms are private functions with
// `nhc.gpu_variant_of = "<kernel>"` and the kernel's signature.
//
//===----------------------------------------------------------------------===//

#include "nhc/Kernels/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/Inliner.h"
#include "mlir/Transforms/InliningUtils.h"

namespace mlir::nhc {

#define GEN_PASS_DEF_NHCSELECTKERNELVARIANTSPASS
#include "nhc/Kernels/Passes.h.inc"

namespace {
constexpr StringLiteral kHostOnly = "nhc.host_only";

/// Inlining into a gpu.launch body: the GPU dialect does not declare its
/// launch region a legal destination, so the pipeline's inliner leaves calls
/// there (and a helper with a barrier could not be emulated, nor kernels be
/// merged without copies of it). Everything else as the dialects say.
struct InlineIntoLaunch : InlinerInterface {
  using InlinerInterface::InlinerInterface;
  bool isLegalToInline(Region *dest, Region *src, bool wouldBeCloned,
                       IRMapping &mapping) const override {
    return isa<gpu::LaunchOp>(dest->getParentOp()) ||
           InlinerInterface::isLegalToInline(dest, src, wouldBeCloned, mapping);
  }
  /// A block function's warp-level ops (nvgpu, whose dialect declares no
  /// inliner interface) belong in the launch it is called from.
  bool isLegalToInline(Operation *op, Region *dest, bool wouldBeCloned,
                       IRMapping &mapping) const override {
    Operation *into = dest->getParentOp();
    return ((isa<gpu::LaunchOp>(into) ||
             into->getParentOfType<gpu::LaunchOp>()) &&
            isa<nvgpu::NVGPUDialect>(op->getDialect())) ||
           InlinerInterface::isLegalToInline(op, dest, wouldBeCloned, mapping);
  }
};

/// Inlines every call inside the gpu.launch ops of `fn`, transitively.
LogicalResult inlineLaunchCalls(func::FuncOp fn, SymbolTable &symbols) {
  InlineIntoLaunch interface(fn.getContext());
  InlinerConfig config;
  for (int round = 0; round < 16; ++round) {
    SmallVector<func::CallOp> calls;
    fn.walk([&](gpu::LaunchOp launch) {
      launch.walk([&](func::CallOp call) { calls.push_back(call); });
    });
    if (calls.empty())
      return success();
    for (func::CallOp call : calls) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal() ||
          failed(inlineCall(interface, config.getCloneCallback(), call, callee,
                            &callee.getBody()))) {
        call.emitError("cannot inline '") << call.getCallee()
                                          << "' into a GPU form's launch";
        return failure();
      }
      call.erase();
    }
  }
  return fn.emitError("calls nested deeper than 16 in a GPU form");
}
constexpr StringLiteral kGpuVariantOf = "nhc.gpu_variant_of";

struct NHCSelectKernelVariantsPass
    : impl::NHCSelectKernelVariantsPassBase<NHCSelectKernelVariantsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (target != "gpu" && target != "host") {
      module.emitError("nhc-select-kernel-variants: target must be 'gpu' or "
                       "'host', not '")
          << target << "'";
      return signalPassFailure();
    }
    const bool gpu = target == "gpu";
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> variants, hostOnly;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn->hasAttr(kGpuVariantOf))
        variants.push_back(fn);
      else if (fn->hasAttr(kHostOnly))
        hostOnly.push_back(fn);
    }
    if (!gpu) { // the portable forms stay
      for (func::FuncOp variant : variants)
        symbols.erase(variant);
      return;
    }
    // Every lookup before anything is erased.
    llvm::DenseMap<Operation *, func::FuncOp> formOf;
    for (func::FuncOp variant : variants) {
      auto of = dyn_cast<StringAttr>(variant->getAttr(kGpuVariantOf));
      auto kernel = of ? symbols.lookup<func::FuncOp>(of.getValue()) : nullptr;
      if (!kernel || kernel->hasAttr(kGpuVariantOf) ||
          kernel->hasAttr(kHostOnly)) {
        variant.emitError("GPU form of no kernel: '")
            << kGpuVariantOf << "' must name a kernel of the library";
        return signalPassFailure();
      }
      if (kernel.getFunctionType() != variant.getFunctionType()) {
        variant.emitError("GPU form of '")
            << of.getValue() << "' has type " << variant.getFunctionType()
            << ", the kernel " << kernel.getFunctionType();
        return signalPassFailure();
      }
      if (!formOf.try_emplace(kernel, variant).second) {
        variant.emitError("a second GPU form of '") << of.getValue() << "'";
        return signalPassFailure();
      }
    }
    for (func::FuncOp fn : hostOnly)
      symbols.erase(fn);
    for (auto [kernelOp, variant] : formOf) {
      auto kernel = cast<func::FuncOp>(kernelOp);
      // The kernel's body becomes the GPU form's: callers and the kernel's
      // attributes (its visibility, its name) stay.
      kernel.getBody().takeBody(variant.getBody());
      symbols.erase(variant);
    }
    for (auto [kernelOp, variant] : formOf)
      if (failed(inlineLaunchCalls(cast<func::FuncOp>(kernelOp), symbols)))
        return signalPassFailure();
  }
};
} // namespace

} // namespace mlir::nhc

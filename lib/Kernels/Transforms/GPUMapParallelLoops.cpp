//===- GPUMapParallelLoops.cpp - tile and map loops to the GPU -*- C++ -*-===//

#include "nhc/Kernels/Passes.h"

#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"

namespace mlir::nhc {

#define GEN_PASS_DEF_NHCGPUMAPPARALLELLOOPSPASS
#include "nhc/Kernels/Passes.h.inc"

namespace {
using gpu::Processor;

/// Sets the mapping of `loop`: `last` for its last dimension, then `leading`
/// in order for dimensions 0, 1, ..., and sequential beyond those.
LogicalResult mapLoop(scf::ParallelOp loop, Processor last,
                      ArrayRef<Processor> leading) {
  Builder b(loop.getContext());
  unsigned n = loop.getNumLoops();
  SmallVector<gpu::ParallelLoopDimMappingAttr> attrs;
  for (unsigned i = 0; i < n; ++i) {
    Processor p = i + 1 == n           ? last
                  : i < leading.size() ? leading[i]
                                       : Processor::Sequential;
    attrs.push_back(b.getAttr<gpu::ParallelLoopDimMappingAttr>(
        p, b.getDimIdentityMap(), b.getDimIdentityMap()));
  }
  return gpu::setMappingAttr(loop, attrs);
}

struct NHCGPUMapParallelLoopsPass
    : impl::NHCGPUMapParallelLoopsPassBase<NHCGPUMapParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (blockSize <= 0) {
      getOperation().emitError("block-size must be positive");
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> roots;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>())
        roots.push_back(loop);
    });
    for (scf::ParallelOp loop : roots) {
      if (loop->hasAttr(gpu::getMappingAttrName()))
        continue;
      if (loop.getNumReductions() != 0) {
        loop.emitError("parallel loops with reductions cannot be mapped");
        return signalPassFailure();
      }
      bool nested = false;
      loop.getBody()->walk([&](scf::ParallelOp) { nested = true; });
      if (nested) {
        loop.emitError("nested parallel loops are not supported; express "
                       "the inner work with scf.for");
        return signalPassFailure();
      }
      SmallVector<int64_t> tiles(loop.getNumLoops(), 1);
      tiles.back() = blockSize;
      auto [outer, inner] =
          scf::tileParallelLoop(loop, tiles, /*noMinMaxBounds=*/true);
      if (failed(mapLoop(outer, Processor::BlockX,
                         {Processor::BlockY, Processor::BlockZ})) ||
          failed(mapLoop(inner, Processor::ThreadX, {})))
        return signalPassFailure();
    }
  }
};
} // namespace

} // namespace mlir::nhc

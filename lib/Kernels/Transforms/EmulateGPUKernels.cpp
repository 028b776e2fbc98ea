//===- EmulateGPUKernels.cpp - GPU kernels as host loops over a grid ------===//
//
// The kernels of a CUDA test double (runtime/test/fake_cuda_driver.c): the
// same outlined kernel bodies the PTX is made from, run on the host once per
// thread, so a launcher's grids, blocks and parameters are checked by the
// numbers they produce.
//
//===----------------------------------------------------------------------===//

#include "nhc/Kernels/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::nhc {

#define GEN_PASS_DEF_NHCEMULATEGPUKERNELSPASS
#include "nhc/Kernels/Passes.h.inc"

namespace {

/// LLVM-level parameters of `type` under the default memref convention.
int64_t abiSlots(Type type) {
  if (auto memref = dyn_cast<MemRefType>(type))
    return 3 + 2 * memref.getRank(); // allocated, aligned, offset, sizes, strides
  return 1;
}

/// Why `kernel` cannot run one thread after another, or empty.
std::string unsupported(gpu::GPUFuncOp kernel) {
  if (!kernel.getWorkgroupAttributions().empty() ||
      !kernel.getPrivateAttributions().empty())
    return "it has workgroup or private memory attributions";
  if (!kernel.getBody().hasOneBlock())
    return "its body has more than one block";
  std::string why;
  kernel.getBody().walk([&](Operation *op) {
    bool ids = isa<gpu::ThreadIdOp, gpu::BlockIdOp, gpu::BlockDimOp,
                   gpu::GridDimOp, gpu::ReturnOp>(op);
    if (!ids && isa<gpu::GPUDialect>(op->getDialect())) {
      why = "it uses '" + op->getName().getStringRef().str() +
            "', which needs threads running together";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return why;
}

struct NHCEmulateGPUKernelsPass
    : impl::NHCEmulateGPUKernelsPassBase<NHCEmulateGPUKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUFuncOp> kernels;
    module.walk([&](gpu::GPUFuncOp fn) {
      if (fn.isKernel())
        kernels.push_back(fn);
    });
    for (gpu::GPUFuncOp kernel : kernels)
      if (std::string why = unsupported(kernel); !why.empty()) {
        kernel.emitError("cannot emulate GPU kernel '")
            << kernel.getName() << "': " << why;
        return signalPassFailure();
      }

    SmallVector<Operation *> created;
    OpBuilder b(module.getContext());
    b.setInsertionPointToEnd(module.getBody());
    for (gpu::GPUFuncOp kernel : kernels) {
      created.push_back(emulate(b, kernel));
      created.push_back(slotCount(b, kernel));
    }
    for (Operation &op :
         llvm::make_early_inc_range(module.getBody()->getOperations()))
      if (!llvm::is_contained(created, &op))
        op.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }

  /// func.func @<kernel>(args..., gx, gy, gz, bx, by, bz): every thread.
  func::FuncOp emulate(OpBuilder &b, gpu::GPUFuncOp kernel) {
    Location loc = kernel.getLoc();
    MLIRContext *ctx = b.getContext();
    SmallVector<Type> inputs(kernel.getFunctionType().getInputs());
    unsigned numArgs = inputs.size();
    inputs.append(6, b.getIndexType());
    auto fn = func::FuncOp::create(b, loc, kernel.getName(),
                                   FunctionType::get(ctx, inputs, {}));
    Block *entry = fn.addEntryBlock();
    OpBuilder body = OpBuilder::atBlockBegin(entry);
    Value zero = arith::ConstantIndexOp::create(body, loc, 0);
    Value one = arith::ConstantIndexOp::create(body, loc, 1);
    auto size = [&](unsigned i) { return entry->getArgument(numArgs + i); };
    // Loops z, y, x over blocks, then over threads; ids[0..2] are the
    // block's x, y, z, ids[3..5] the thread's.
    Value ids[6];
    for (int level : {0, 3})
      for (int d = 2; d >= 0; --d) {
        auto loop = scf::ForOp::create(body, loc, zero, size(level + d), one);
        ids[level + d] = loop.getInductionVar();
        body.setInsertionPoint(loop.getBody()->getTerminator());
      }

    IRMapping map;
    for (unsigned i = 0; i < numArgs; ++i)
      map.map(kernel.getArgument(i), entry->getArgument(i));
    for (Operation &op : kernel.getBody().front())
      if (!isa<gpu::ReturnOp>(op))
        body.clone(op, map);
    // The ids and sizes, wherever the body reads them, become the loops'.
    fn.walk([&](Operation *op) {
      Value replacement;
      if (auto id = dyn_cast<gpu::BlockIdOp>(op))
        replacement = ids[static_cast<int>(id.getDimension())];
      else if (auto id = dyn_cast<gpu::ThreadIdOp>(op))
        replacement = ids[3 + static_cast<int>(id.getDimension())];
      else if (auto id = dyn_cast<gpu::GridDimOp>(op))
        replacement = size(static_cast<int>(id.getDimension()));
      else if (auto id = dyn_cast<gpu::BlockDimOp>(op))
        replacement = size(3 + static_cast<int>(id.getDimension()));
      if (!replacement)
        return;
      op->getResult(0).replaceAllUsesWith(replacement);
      op->erase();
    });
    OpBuilder end = OpBuilder::atBlockEnd(entry);
    func::ReturnOp::create(end, loc);
    return fn;
  }

  /// func.func @<kernel>_abi_slots() -> i64.
  func::FuncOp slotCount(OpBuilder &b, gpu::GPUFuncOp kernel) {
    Location loc = kernel.getLoc();
    int64_t slots = 0;
    for (Type type : kernel.getFunctionType().getInputs())
      slots += abiSlots(type);
    auto fn = func::FuncOp::create(
        b, loc, (kernel.getName() + "_abi_slots").str(),
        FunctionType::get(b.getContext(), {}, {b.getI64Type()}));
    OpBuilder body = OpBuilder::atBlockBegin(fn.addEntryBlock());
    Value count = arith::ConstantIntOp::create(body, loc, slots, 64);
    func::ReturnOp::create(body, loc, count);
    return fn;
  }
};
} // namespace

} // namespace mlir::nhc

//===- PackedEntryPoints.cpp - void nhc_<name>_packed(void **) --*- C++ -*-===//

#include "nhc/Target/CPU/HostLibrary.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

using namespace mlir;
using namespace mlir::nhc;

LogicalResult mlir::nhc::addPackedEntryPoints(llvm::Module &module,
                                              ArrayRef<KernelSignature> kernels,
                                              std::string &error) {
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptrTy = llvm::PointerType::getUnqual(ctx);
  auto *wrapperTy =
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptrTy}, false);
  for (const KernelSignature &sig : kernels) {
    llvm::Function *kernel = module.getFunction(sig.name);
    if (!kernel) {
      error = "kernel " + sig.name + " is missing from the LLVM module";
      return failure();
    }
    if (kernel->arg_size() != sig.numAbiSlots()) {
      error = "kernel " + sig.name + " has " +
              std::to_string(kernel->arg_size()) +
              " LLVM parameters, the ABI expects " +
              std::to_string(sig.numAbiSlots());
      return failure();
    }
    auto *wrapper =
        llvm::Function::Create(wrapperTy, llvm::GlobalValue::ExternalLinkage,
                               sig.name + "_packed", module);
    wrapper->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", wrapper));
    llvm::Value *args = wrapper->getArg(0);
    SmallVector<llvm::Value *> values;
    for (llvm::Argument &param : kernel->args()) {
      llvm::Value *slot =
          b.CreateConstInBoundsGEP1_64(ptrTy, args, param.getArgNo());
      llvm::Value *storage = b.CreateLoad(ptrTy, slot);
      values.push_back(b.CreateLoad(param.getType(), storage));
    }
    b.CreateCall(kernel, values);
    b.CreateRetVoid();
  }
  return success();
}

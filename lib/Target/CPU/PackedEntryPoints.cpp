//===- PackedEntryPoints.cpp - void nhc_<name>_packed(void **) --*- C++ -*-===//

#include "nhc/Target/CPU/HostLibrary.h"

#include "nhc/runtime/artifact.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

using namespace mlir;
using namespace mlir::nhc;

/// Loads the first `count` parameters of `callee` from the packed `args`
/// (`args[i]` points at parameter i).
static SmallVector<llvm::Value *> unpack(llvm::IRBuilder<> &b,
                                         llvm::Value *args,
                                         llvm::Function &callee,
                                         unsigned count) {
  auto *ptrTy = llvm::PointerType::getUnqual(b.getContext());
  SmallVector<llvm::Value *> values;
  for (unsigned i = 0; i < count; ++i) {
    llvm::Value *slot = b.CreateConstInBoundsGEP1_64(ptrTy, args, i);
    llvm::Value *storage = b.CreateLoad(ptrTy, slot);
    values.push_back(b.CreateLoad(callee.getArg(i)->getType(), storage));
  }
  return values;
}

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
    b.CreateCall(kernel, unpack(b, wrapper->getArg(0), *kernel,
                                sig.numAbiSlots()));
    b.CreateRetVoid();

    // `int64_t <name>_sliced_packed(void **args, int64_t slice, int64_t
    // slices, int64_t phase)` when nhc-add-sliced-kernels made a sliced
    // twin; returns 1 when a later phase exists.
    llvm::Function *sliced = module.getFunction(sig.name + "_sliced");
    if (!sliced)
      continue;
    auto *i64 = llvm::Type::getInt64Ty(ctx);
    if (sliced->arg_size() != sig.numAbiSlots() + 3 ||
        !sliced->getReturnType()->isIntegerTy(1)) {
      error = "kernel " + sig.name + "_sliced has " +
              std::to_string(sliced->arg_size()) +
              " LLVM parameters, the ABI expects " +
              std::to_string(sig.numAbiSlots() + 3) + " and an i1 result";
      return failure();
    }
    auto *slicedTy =
        llvm::FunctionType::get(i64, {ptrTy, i64, i64, i64}, false);
    auto *slicedWrapper =
        llvm::Function::Create(slicedTy, llvm::GlobalValue::ExternalLinkage,
                               sig.name + "_sliced_packed", module);
    slicedWrapper->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::IRBuilder<> sb(llvm::BasicBlock::Create(ctx, "entry", slicedWrapper));
    SmallVector<llvm::Value *> values = unpack(
        sb, slicedWrapper->getArg(0), *sliced, sig.numAbiSlots());
    values.push_back(slicedWrapper->getArg(1));
    values.push_back(slicedWrapper->getArg(2));
    values.push_back(slicedWrapper->getArg(3));
    llvm::Value *more = sb.CreateCall(sliced, values);
    sb.CreateRet(sb.CreateZExt(more, i64));
  }
  // The sliced entries' ABI, which the runtime checks before it uses them.
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  new llvm::GlobalVariable(module, i64, /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage,
                           llvm::ConstantInt::get(i64, NHC_HOST_SLICED_ABI_VERSION),
                           NHC_HOST_SLICED_ABI_SYMBOL);
  return success();
}

//===- KernelLibrary.cpp - the embedded kernel library ----------*- C++ -*-===//

#include "nhc/Kernels/KernelLibrary.h"
#include "nhc/Kernels/Passes.h"

#include "nhc/format/library_kernels.h"
#include "nhc/format/manifest_schema.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::nhc;
namespace schema = ::nhc::format::manifest;

namespace {
struct EmbeddedSource {
  const char *name;
  const char *text;
};
// Generated from lib/Kernels/*.mlir by EmbedKernelSources.cmake.
const EmbeddedSource kEmbedded[] = {
#include "KernelSources.inc"
};
} // namespace

ArrayRef<KernelSource> mlir::nhc::kernelSources() {
  static const std::vector<KernelSource> sources = [] {
    std::vector<KernelSource> result;
    for (const EmbeddedSource &src : kEmbedded)
      result.push_back({src.name, src.text});
    llvm::sort(result, [](const KernelSource &a, const KernelSource &b) {
      return a.fileName < b.fileName;
    });
    return result;
  }();
  return sources;
}

ArrayRef<StringRef> mlir::nhc::kernelNames() {
  // Those plans call, then those only the runtime calls.
  static const std::vector<StringRef> names = [] {
    std::vector<StringRef> all;
    for (const char *name : ::nhc::format::kernel::kPlanKernels)
      all.push_back(name);
    for (const char *name : ::nhc::format::kernel::kRuntimeKernels)
      all.push_back(name);
    return all;
  }();
  return names;
}

void mlir::nhc::registerKernelLibraryDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, gpu::GPUDialect,
                  math::MathDialect, memref::MemRefDialect,
                  nvgpu::NVGPUDialect, NVVM::NVVMDialect, scf::SCFDialect,
                  vector::VectorDialect>();
}

OwningOpRef<ModuleOp> mlir::nhc::parseKernelLibrary(MLIRContext &context) {
  DialectRegistry registry;
  registerKernelLibraryDialects(registry);
  context.appendDialectRegistry(registry);

  Location loc = FileLineColLoc::get(&context, "lib/Kernels", 0, 0);
  OwningOpRef<ModuleOp> library = ModuleOp::create(loc);
  SymbolTable symbols(*library);
  // Files may call each other's private helpers (fp8.mlir's quantization):
  // the merged library is verified as a whole below.
  ParserConfig config(&context, /*verifyAfterParse=*/false);
  for (const KernelSource &src : kernelSources()) {
    OwningOpRef<ModuleOp> part =
        parseSourceString<ModuleOp>(src.text, config, src.fileName);
    if (!part)
      return nullptr;
    for (Operation &op : llvm::make_early_inc_range(*part->getBody())) {
      op.remove();
      // Private helpers of different files must not collide either.
      if (auto sym = dyn_cast<SymbolOpInterface>(op);
          sym && symbols.lookup(sym.getName())) {
        op.emitError("symbol '") << sym.getName() << "' is defined twice";
        op.destroy();
        return nullptr;
      }
      symbols.insert(&op);
    }
  }
  if (failed(verify(*library)))
    return nullptr;
  // Kernels derived from the sources' (the bf16 KV cache attention) are
  // kernels of the contract like the rest.
  if (failed(addBf16StateKernels(*library)) || failed(verify(*library)))
    return nullptr;

  llvm::StringSet<> expected;
  for (StringRef name : kernelNames())
    expected.insert(name);
  for (auto fn : library->getOps<func::FuncOp>())
    if (fn.isPublic() && !expected.erase(fn.getSymName())) {
      fn.emitError("public function is not a kernel of the contract "
                   "(docs/execution-model.md); make it private");
      return nullptr;
    }
  if (!expected.empty()) {
    emitError(loc, "kernel '")
        << expected.begin()->getKey() << "' is missing from the library";
    return nullptr;
  }
  // Kernels in the contract's order, then the private helpers.
  Block *body = library->getBody();
  for (StringRef name : llvm::reverse(kernelNames()))
    library->lookupSymbol(name)->moveBefore(body, body->begin());
  return library;
}

LogicalResult mlir::nhc::verifyKernelDeclarations(ModuleOp module) {
  auto decls = module.getOps<func::FuncOp>();
  if (decls.empty())
    return success();
  OwningOpRef<ModuleOp> library = parseKernelLibrary(*module.getContext());
  if (!library)
    return failure();
  for (func::FuncOp decl : decls) {
    auto kernel = library->lookupSymbol<func::FuncOp>(decl.getSymName());
    if (!kernel || !kernel.isPublic())
      return decl.emitError("'")
             << decl.getSymName() << "' is not a kernel of the library";
    FunctionType expected = kernel.getFunctionType();
    FunctionType got = decl.getFunctionType();
    if (got != expected)
      return decl.emitError("declaration of '")
             << decl.getSymName()
             << "' differs from the kernel library's: expected " << expected
             << ", got " << got;
  }
  return success();
}

std::vector<std::string> KernelSignature::paramKinds() const {
  std::vector<std::string> kinds;
  for (const KernelParam &p : params)
    kinds.push_back(p.kind);
  return kinds;
}

unsigned KernelSignature::numAbiSlots() const {
  unsigned n = 0;
  for (const KernelParam &p : params)
    n += p.abiSlots;
  return n;
}

FailureOr<KernelSignature> mlir::nhc::getKernelSignature(func::FuncOp fn) {
  KernelSignature sig;
  sig.name = fn.getSymName().str();
  if (fn.getNumResults() != 0)
    return fn.emitError("kernel must not return values");
  for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes())) {
    KernelParam param;
    if (auto memref = dyn_cast<MemRefType>(type)) {
      Type elt = memref.getElementType();
      // i8: the bytes of a narrow weight (gemv.mlir); i16: bf16 bits
      // (device_ops.mlir).
      bool eltOk = elt.isF32() || elt.isInteger(8) || elt.isInteger(16) ||
                   elt.isInteger(32) || elt.isInteger(64);
      if (memref.getRank() != 1 || memref.hasStaticShape() ||
          !memref.getLayout().isIdentity() || !eltOk || memref.getMemorySpace())
        return fn.emitError("argument ")
               << i << " must be memref<?xf32>, memref<?xi8>, memref<?xi16>, "
               << "memref<?xi32> or memref<?xi64>, got " << type;
      param.kind = schema::value::kParamMemRef;
      namespace value = schema::value;
      param.elementType = elt.isF32()         ? value::kElemF32
                          : elt.isInteger(8)  ? value::kElemI8
                          : elt.isInteger(16) ? value::kElemI16
                          : elt.isInteger(32) ? value::kElemI32
                                              : value::kElemI64;
      param.abiSlots = 5; // allocated, aligned, offset, size, stride
    } else if (type.isIndex()) {
      param.kind = schema::value::kParamIndex;
    } else if (type.isF32()) {
      param.kind = schema::value::kParamF32;
    } else {
      return fn.emitError("argument ")
             << i << " has a type outside the kernel ABI: " << type;
    }
    sig.params.push_back(std::move(param));
  }
  return sig;
}

FailureOr<std::vector<KernelSignature>>
mlir::nhc::getKernelSignatures(ModuleOp module) {
  std::vector<KernelSignature> sigs;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (!fn.isPublic())
      continue;
    FailureOr<KernelSignature> sig = getKernelSignature(fn);
    if (failed(sig))
      return failure();
    sigs.push_back(std::move(*sig));
  }
  return sigs;
}

//===- KernelLibrary.h - the embedded kernel library ------------*- C++ -*-===//
//
// The kernels of docs/execution-model.md are MLIR sources in lib/Kernels,
// embedded into the compiler at build time. This header parses them and
// describes their ABI.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_KERNELS_KERNELLIBRARY_H
#define NHC_KERNELS_KERNELLIBRARY_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace mlir::nhc {

/// One embedded source file of lib/Kernels.
struct KernelSource {
  llvm::StringRef fileName; // e.g. "norms.mlir"
  llvm::StringRef text;
};

/// The embedded sources, sorted by file name.
llvm::ArrayRef<KernelSource> kernelSources();

/// The kernel names of the execution-model contract, in its table's order.
/// These are exactly the public functions of the parsed library.
llvm::ArrayRef<llvm::StringRef> kernelNames();

/// Inserts the dialects the kernel sources are written in.
void registerKernelLibraryDialects(DialectRegistry &registry);

/// Parses every embedded source into one module (kernels plus private
/// helpers), verifies it and checks that its public functions are exactly
/// kernelNames(). Reports problems through the context's diagnostics and
/// returns null.
OwningOpRef<ModuleOp> parseKernelLibrary(MLIRContext &context);

/// Checks that every `func.func` of execution-level `module` declares a
/// kernel of the library with the library's function type: the manifest's
/// `params` are written from these declarations. Reports on the offending
/// declaration and fails.
LogicalResult verifyKernelDeclarations(ModuleOp module);

/// One kernel argument as the ABI sees it.
struct KernelParam {
  /// "memref", "index" or "f32": the manifest's spelling of the kind
  /// (nhc/format/manifest_schema.h, value::kParam*).
  std::string kind;
  /// "f32", "i8", "i16", "i32" or "i64" for a memref
  /// (nhc/format/manifest_schema.h, value::kElem*), empty otherwise.
  std::string elementType;
  /// LLVM-level parameters (= `void **args` slots): 5 for a memref, else 1.
  unsigned abiSlots = 1;
};

/// A kernel's name and arguments, in ABI order.
struct KernelSignature {
  std::string name;
  std::vector<KernelParam> params;

  /// The manifest's `params` list: one kind per MLIR argument.
  std::vector<std::string> paramKinds() const;
  /// Length of the packed entry point's `args` array.
  unsigned numAbiSlots() const;
};

/// The signature of a kernel function; fails (with a diagnostic on `fn`) if
/// an argument is not an ABI type or the function returns values.
FailureOr<KernelSignature> getKernelSignature(func::FuncOp fn);

/// The signatures of all public functions of `module`, in module order.
FailureOr<std::vector<KernelSignature>> getKernelSignatures(ModuleOp module);

} // namespace mlir::nhc

#endif // NHC_KERNELS_KERNELLIBRARY_H

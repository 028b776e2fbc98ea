//===- nhc-kernels.cpp - build the kernel library for a target -*- C++ -*-===//
//
// A developer tool over the kernel library APIs: prints the library, its ABI,
// its host LLVM IR / shared object, or its PTX / cubin for one chip.
//
//===----------------------------------------------------------------------===//

#include "nhc/Compiler/OutputFile.h"
#include "nhc/Kernels/KernelLibrary.h"
#include "nhc/Pipelines/Pipelines.h"
#include "nhc/Target/CPU/HostLibrary.h"
#include "nhc/Target/CUDA/CudaLibrary.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::nhc;
namespace cl = llvm::cl;

namespace {
enum class Emit {
  Mlir,
  Signatures,
  Llvm,
  HostObject,
  HostSo,
  Ptx,
  Cubin,
  CudaLaunches,
  CudaHost,
  GpuEmulationSo
};

cl::opt<Emit>
    emit("emit", cl::desc("What to write"), cl::init(Emit::Mlir),
         cl::values(
             clEnumValN(Emit::Mlir, "mlir", "the kernel library (MLIR)"),
             clEnumValN(Emit::Signatures, "signatures",
                        "kernel names and parameter kinds (JSON)"),
             clEnumValN(Emit::Llvm, "llvm",
                        "optimized host LLVM IR with packed entry points"),
             clEnumValN(Emit::HostObject, "host-obj", "host ELF object"),
             clEnumValN(Emit::HostSo, "host-so", "host ELF shared library"),
             clEnumValN(Emit::Ptx, "ptx", "PTX for --chip"),
             clEnumValN(Emit::Cubin, "cubin", "cubin for --chip (needs ptxas)"),
             clEnumValN(Emit::CudaLaunches, "cuda-launches",
                        "the launch table: how each kernel function launches its GPU kernels (JSON)"),
             clEnumValN(
                 Emit::CudaHost, "cuda-host",
                 "host side of the GPU lowering: grids and launches (MLIR)"),
             clEnumValN(Emit::GpuEmulationSo, "gpu-emulation-so",
                        "the GPU kernels as host code over a grid, for the "
                        "CUDA test double (ELF shared library)")));
cl::opt<std::string> chip("chip", cl::desc("GPU architecture"),
                          cl::init("sm_90"));
cl::opt<std::string> cpu("cpu",
                         cl::desc("Host CPU (x86-64, x86-64-v3, "
                                  "native, ...)"),
                         cl::init("x86-64"));
cl::opt<std::string> input(cl::Positional,
                           cl::desc("[kernels.mlir] (default: the embedded "
                                    "library)"),
                           cl::init(""));
cl::opt<std::string> output("o", cl::desc("Output file"), cl::init("-"));

OwningOpRef<ModuleOp> loadKernels(MLIRContext &ctx) {
  if (input.empty())
    return parseKernelLibrary(ctx);
  DialectRegistry registry;
  registerKernelLibraryDialects(registry);
  ctx.appendDialectRegistry(registry);
  llvm::SourceMgr sourceMgr;
  std::string err;
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(input, &err);
  if (!file) {
    llvm::errs() << err << "\n";
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &ctx);
}

std::string signaturesJson(ModuleOp kernels) {
  FailureOr<std::vector<KernelSignature>> sigs = getKernelSignatures(kernels);
  if (failed(sigs))
    return "";
  llvm::json::Array array;
  for (const KernelSignature &sig : *sigs) {
    llvm::json::Array params, types;
    for (const KernelParam &p : sig.params) {
      params.push_back(p.kind);
      types.push_back(p.kind == "memref" ? "memref<?x" + p.elementType + ">"
                                         : p.kind);
    }
    array.push_back(llvm::json::Object{{"name", sig.name},
                                       {"params", std::move(params)},
                                       {"types", std::move(types)},
                                       {"abi_slots", sig.numAbiSlots()}});
  }
  std::string text;
  llvm::raw_string_ostream(text)
      << llvm::formatv("{0:2}", llvm::json::Value(std::move(array))) << "\n";
  return text;
}

/// The bytes to write, or std::nullopt after reporting an error.
std::optional<std::string> build(ModuleOp kernels) {
  std::string error, text;
  switch (emit) {
  case Emit::Mlir:
    llvm::raw_string_ostream(text) << kernels << "\n";
    return text;
  case Emit::Signatures:
    text = signaturesJson(kernels);
    if (text.empty())
      return std::nullopt;
    return text;
  case Emit::Llvm:
  case Emit::HostObject:
  case Emit::HostSo: {
    HostTargetOptions options;
    options.cpu = cpu;
    FailureOr<HostLibrary> lib = compileHostLibrary(kernels, options, error);
    if (failed(lib))
      break;
    return emit == Emit::Llvm         ? lib->llvmIR
           : emit == Emit::HostObject ? lib->object
                                      : lib->sharedObject;
  }
  case Emit::GpuEmulationSo: {
    HostTargetOptions options;
    options.cpu = cpu;
    FailureOr<HostLibrary> lib = compileGPUEmulationLibrary(
        kernels, options, CudaTargetOptions().blockSize, error);
    if (failed(lib))
      break;
    return lib->sharedObject;
  }
  case Emit::Ptx:
  case Emit::Cubin:
  case Emit::CudaLaunches:
  case Emit::CudaHost: {
    CudaTargetOptions options;
    options.chips = {chip};
    options.assemble = emit == Emit::Cubin;
    FailureOr<CudaLibrary> lib = compileCudaLibrary(kernels, options, error);
    if (failed(lib))
      break;
    if (emit == Emit::CudaLaunches)
      return lib->launchTable;
    if (emit == Emit::CudaHost)
      return lib->hostIR;
    const CudaImage &image = lib->images.front();
    if (emit == Emit::Ptx)
      return image.ptx;
    if (image.cubin.empty()) {
      error = "ptxas was not found; cannot emit a cubin";
      break;
    }
    return image.cubin;
  }
  }
  llvm::errs() << "nhc-kernels: " << error << "\n";
  return std::nullopt;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "nhc kernel library builder\n");

  MLIRContext ctx;
  OwningOpRef<ModuleOp> kernels = loadKernels(ctx);
  if (!kernels)
    return 1;
  std::optional<std::string> bytes = build(*kernels);
  if (!bytes)
    return 1;

  std::string error;
  if (!writeOutputFile(output, *bytes, error)) {
    llvm::errs() << "nhc-kernels: " << error << "\n";
    return 1;
  }
  return 0;
}

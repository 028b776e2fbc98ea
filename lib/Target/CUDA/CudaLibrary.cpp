//===- CudaLibrary.cpp - compile the kernel library to PTX ------*- C++ -*-===//

#include "nhc/Target/CUDA/CudaLibrary.h"

#include "LaunchTable.h"

#include "nhc/Kernels/Passes.h"
#include "nhc/Pipelines/Pipelines.h"
#include "nhc/Target/ExternalTool.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <memory>
#include <mutex>

using namespace mlir;
using namespace mlir::nhc;

namespace {
/// libdevice in the CUDA toolkit at `root`, if it is there.
std::optional<std::string> findLibdevice(StringRef root) {
  SmallString<128> path(root);
  llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
  if (root.empty() || !llvm::sys::fs::exists(path))
    return std::nullopt;
  return path.str().str();
}

/// The toolkit root holding libdevice: the one ptxas lives in, else
/// /usr/local/cuda; empty leaves the choice to MLIR's NVVM target.
std::string findCudaPath(const std::optional<std::string> &ptxas) {
  if (ptxas) {
    SmallString<128> root(*ptxas);
    llvm::sys::path::remove_filename(root); // .../bin
    llvm::sys::path::remove_filename(root); // toolkit root
    if (findLibdevice(root))
      return root.str().str();
  }
  return findLibdevice("/usr/local/cuda") ? "/usr/local/cuda" : "";
}

std::string firstLine(StringRef text) { return text.split('\n').first.str(); }
} // namespace

CudaToolchain mlir::nhc::findCudaToolchain(const CudaTargetOptions &options) {
  CudaToolchain tools;
  if (options.assemble)
    tools.ptxas = options.ptxas.empty()
                      ? findPtxas(options.cudaPath)
                      : std::optional<std::string>(options.ptxas);
  tools.cudaPath =
      options.cudaPath.empty() ? findCudaPath(tools.ptxas) : options.cudaPath;
  tools.libdevice = findLibdevice(tools.cudaPath);
  return tools;
}

void mlir::nhc::registerNVPTXTarget() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
}

FailureOr<CudaLibrary> mlir::nhc::compileCudaLibrary(
    ModuleOp kernels, const CudaTargetOptions &options, std::string &error) {
  MLIRContext *ctx = kernels.getContext();
  DialectRegistry registry;
  registerKernelLoweringDialects(registry);
  ctx->appendDialectRegistry(registry);

  CudaToolchain tools = findCudaToolchain(options);
  const std::optional<std::string> &ptxas = tools.ptxas;
  const std::string &cudaPath = tools.cudaPath;

  std::vector<std::string> chips = options.chips;
  if (chips.empty())
    chips.push_back("sm_90");
  // The NVVM half runs once per group: griddepcontrol is an sm_90 instruction.
  std::vector<std::string> plain, waiting;
  for (const std::string &chip : chips)
    (options.gridDependencyControl && chipHasGridDependencyControl(chip)
         ? waiting
         : plain)
        .push_back(chip);

  auto collectInto = [&error](MLIRContext *ctx) {
    return std::make_unique<ScopedDiagnosticHandler>(
        ctx, [&error](Diagnostic &diag) {
          llvm::raw_string_ostream(error)
              << diag.getLocation() << ": " << diag << "\n";
          return success();
        });
  };
  OwningOpRef<ModuleOp> kernelsOnGpu = kernels.clone();
  {
    auto collect = collectInto(ctx);
    PassManager pm(ctx);
    buildKernelsToGPUKernelsPipeline(pm, options.blockSize);
    if (failed(pm.run(*kernelsOnGpu))) {
      error = "nhc-kernels-to-nvvm-pipeline failed:\n" + error;
      return failure();
    }
  }

  std::map<std::string, std::string> ptxOf;
  OwningOpRef<ModuleOp> module; // the first group's: its host side
  for (const std::vector<std::string> *group : {&plain, &waiting}) {
    if (group->empty())
      continue;
    KernelsToNVVMPipelineOptions pipeline;
    pipeline.chips = ArrayRef<std::string>(*group);
    pipeline.features = options.features;
    pipeline.optLevel = options.optLevel;
    pipeline.cudaPath = cudaPath;
    pipeline.format = "isa";
    pipeline.gridDependencyControl = group == &waiting;
    OwningOpRef<ModuleOp> lowered = kernelsOnGpu->clone();
    {
      auto collect = collectInto(ctx);
      PassManager pm(ctx);
      buildGPUKernelsToNVVMPipeline(pm, pipeline);
      if (failed(pm.run(*lowered))) {
        error = "nhc-kernels-to-nvvm-pipeline failed:\n" + error;
        return failure();
      }
    }
    SmallVector<gpu::BinaryOp> binaries(lowered->getOps<gpu::BinaryOp>());
    if (binaries.size() != 1) {
      error = "expected one gpu.binary, got " + std::to_string(binaries.size());
      return failure();
    }
    for (Attribute attr : binaries.front().getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      auto target = dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget());
      if (!target) {
        error = "gpu.binary holds a non-NVVM object";
        return failure();
      }
      ptxOf[target.getChip().str()] = object.getObject().getValue().str();
    }
    if (!module)
      module = std::move(lowered);
  }

  CudaLibrary lib;
  for (const std::string &chip : chips) {
    auto ptx = ptxOf.find(chip);
    if (ptx == ptxOf.end()) {
      error = "gpu-module-to-binary made no PTX for " + chip;
      return failure();
    }
    lib.images.push_back({chip, ptx->second, {}, {}});
  }

  {
    auto collect = collectInto(ctx);
    FailureOr<nlohmann::json> table =
        buildLaunchTable(*module, chips, waiting);
    if (failed(table)) {
      error = "launch table: " + error;
      return failure();
    }
    lib.launchTable = table->dump(2) + "\n";
  }

  // The launches now reference a missing symbol: print without verifying.
  for (gpu::BinaryOp binary :
       llvm::make_early_inc_range(module->getOps<gpu::BinaryOp>()))
    binary.erase();
  llvm::raw_string_ostream hostIR(lib.hostIR);
  module->print(hostIR, OpPrintingFlags().assumeVerified());

  if (!ptxas)
    return lib;
  std::string versionLog;
  if (runTool(*ptxas, {*ptxas, "--version"}, versionLog) == 0) {
    StringRef text(versionLog);
    size_t at = text.find("release");
    lib.ptxasVersion = at == StringRef::npos ? firstLine(text)
                                             : firstLine(text.drop_front(at));
  }
  for (CudaImage &image : lib.images) {
    int status =
        assemblePtx(*ptxas, image.ptx, image.chip, image.cubin, image.ptxasLog);
    if (status != 0) {
      error = *ptxas + " -arch=" + image.chip + " failed (status " +
              std::to_string(status) + "):\n" + image.ptxasLog;
      return failure();
    }
  }
  return lib;
}

//===- CompileModel.cpp - config to artifact --------------------*- C++ -*-===//
//
// import → nemotron-lower-to-exec-pipeline → manifest (a translation), and the
// kernel library → host shared library + PTX/cubin; all into one artifact.
//
//===----------------------------------------------------------------------===//

#include "nhc/Compiler/CompileModel.h"

#include "mlir/Pass/PassManager.h"
#include "nhc/Compiler/KernelCodegen.h"
#include "nhc/Dialect/Nemotron/Transforms/Passes.h"
#include "nhc/Frontend/ImportModel.h"
#include "nhc/Pipelines/Pipelines.h"
#include "nhc/Target/Manifest/ManifestTranslation.h"
#include "nhc/format/container.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::nhc {

namespace {
std::string printed(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->print(os);
  os << "\n";
  return text;
}

std::vector<std::string> targetNames(const CompileOptions &options) {
  std::vector<std::string> names = {"cpu"};
  for (const std::string &chip : options.cudaChips)
    names.push_back("cuda:" + chip);
  return names;
}
} // namespace

FailureOr<std::string> compileModel(MLIRContext &context,
                                    const ModelConfig &config,
                                    const CompileOptions &options) {
  OwningOpRef<ModuleOp> model = importModel(context, config);
  if (!model)
    return failure();
  if (options.emit == EmitKind::Nemotron)
    return printed(*model);

  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  if (options.emit == EmitKind::Kernels) {
    nemotron::buildLowerToKernelsPipeline(pm);
    if (failed(pm.run(*model)))
      return failure();
    return printed(*model);
  }
  ModelToExecPipelineOptions pipeline;
  for (const std::string &target : targetNames(options))
    pipeline.targets.push_back(target);
  pipeline.kvCacheDtype = options.kvCacheDtype;
  pipeline.ssmStateDtype = options.ssmStateDtype;
  pipeline.activationDtype = options.activationDtype;
  buildModelToExecPipeline(pm, pipeline);
  if (failed(pm.run(*model)))
    return failure();
  if (options.emit == EmitKind::Exec)
    return printed(*model);

  FailureOr<nlohmann::json> manifest = translateToManifest(*model);
  if (failed(manifest))
    return failure();
  if (options.emit == EmitKind::Manifest)
    return printManifest(*manifest);

  OwningOpRef<ModuleOp> library = parseKernels(context);
  if (!library)
    return failure();
  if (options.emit == EmitKind::LLVM)
    return emitHostLLVMIR(*library);
  if (options.emit == EmitKind::PTX) {
    FailureOr<CudaCode> cuda =
        compileCudaKernels(*library, {options.cudaChips.front()},
                           options.cache);
    if (failed(cuda))
      return failure();
    return cuda->ptx.front().second;
  }
  if (options.emit == EmitKind::LaunchTable) {
    FailureOr<CudaCode> cuda = compileCudaKernels(*library, options.cudaChips, options.cache);
    if (failed(cuda))
      return failure();
    return cuda->launchTable;
  }

  FailureOr<KernelCode> code =
      compileKernelCode(*library, options.cudaChips, options.cache);
  if (failed(code))
    return failure();
  ::nhc::format::ContainerWriter writer;
  writer.setManifest(manifest->dump());
  for (auto &[level, sharedObject] : code->host)
    writer.addSection(NHC_SECTION_HOST_SHARED_LIBRARY, level, sharedObject);
  if (std::optional<CudaCode> &cuda = code->cuda) {
    for (auto &[chip, ptx] : cuda->ptx)
      writer.addSection(NHC_SECTION_PTX, chip, ptx);
    for (auto &[chip, cubin] : cuda->cubin)
      writer.addSection(NHC_SECTION_CUBIN, chip, cubin);
    writer.addSection(NHC_SECTION_LAUNCH_TABLE_JSON, "cuda", cuda->launchTable);
  }
  std::string bytes;
  ::nhc::format::ContainerError error = writer.serialize(bytes);
  if (error.failed())
    return emitError(model->getLoc()) << error.message;
  return bytes;
}

} // namespace mlir::nhc

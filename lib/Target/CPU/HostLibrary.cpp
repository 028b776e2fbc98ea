//===- HostLibrary.cpp - compile the kernel library for the host *- C++ -*-===//

#include "nhc/Target/CPU/HostLibrary.h"

#include "nhc/Pipelines/Pipelines.h"
#include "nhc/Target/ExternalTool.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <mutex>
#include <thread>

using namespace mlir;
using namespace mlir::nhc;

namespace {
/// Collects the context's diagnostics into `error` while alive.
class DiagnosticCollector {
public:
  DiagnosticCollector(MLIRContext *ctx, std::string &error)
      : handler(ctx, [&error](Diagnostic &diag) {
          llvm::raw_string_ostream os(error);
          os << diag.getLocation() << ": " << diag << "\n";
          for (Diagnostic &note : diag.getNotes())
            os << note.getLocation() << ": note: " << note << "\n";
          return success();
        }) {}

private:
  ScopedDiagnosticHandler handler;
};

std::unique_ptr<llvm::TargetMachine>
createHostTargetMachine(const HostTargetOptions &options, std::string &error) {
  mlir::nhc::registerHostTarget();
  llvm::Triple triple(options.triple);
  if (triple.getArch() != llvm::Triple::x86_64) {
    error = "unsupported host triple '" + options.triple +
            "' (only x86_64 is supported)";
    return nullptr;
  }
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;

  std::string cpu = options.cpu;
  std::string features = options.features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") +
                  std::string(feature.second ? "+" : "-") +
                  feature.first().str();
  }
  llvm::CodeGenOptLevel level =
      options.optLevel == 0   ? llvm::CodeGenOptLevel::None
      : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
      : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                              : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> tm(
      target->createTargetMachine(triple, cpu, features, llvm::TargetOptions(),
                                  llvm::Reloc::PIC_, std::nullopt, level));
  if (!tm)
    error = "cannot create a target machine for " + options.triple + " (cpu " +
            cpu + ")";
  return tm;
}

void optimize(llvm::Module &module, llvm::TargetMachine &tm,
              unsigned optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  llvm::PassBuilder pb(&tm, tuning);
  // glibc's libmvec gives the loop vectorizer vector expf / logf (softmax
  // probabilities, SSD decays), within a few ulp of the scalar ones.
  llvm::TargetLibraryInfoImpl libraryInfo(module.getTargetTriple());
  libraryInfo.addVectorizableFunctionsFromVecLib(llvm::VectorLibrary::LIBMVEC,
                                                 module.getTargetTriple());
  fam.registerPass([&] { return llvm::TargetLibraryAnalysis(libraryInfo); });
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel == 0   ? llvm::OptimizationLevel::O0
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm = optLevel == 0
                                    ? pb.buildO0DefaultPipeline(level)
                                    : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
}

LogicalResult emitObject(llvm::Module &module, llvm::TargetMachine &tm,
                         std::string &object, std::string &error) {
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager codegen;
  if (tm.addPassesToEmitFile(codegen, os, nullptr,
                             llvm::CodeGenFileType::ObjectFile)) {
    error = "the target machine cannot emit object files";
    return failure();
  }
  codegen.run(module);
  object.assign(buffer.begin(), buffer.end());
  return success();
}

/// Links `object` into a shared library with a system compiler driver, which
/// knows where libc, libm (expf, log1pf) and libmvec (their vector forms)
/// live.
LogicalResult linkSharedObject(StringRef object,
                               const HostTargetOptions &options,
                               std::string &sharedObject, std::string &error) {
  std::optional<std::string> driver = findHostLinker(options);
  if (!driver) {
    error = "no linker found (looked for cc, clang, clang-22, gcc on PATH)";
    return failure();
  }
  TempFile objFile("kernels", "o"), soFile("kernels", "so");
  if (!objFile.ok() || !soFile.ok() || !objFile.write(object)) {
    error = "cannot write temporary files for linking";
    return failure();
  }
  std::string log;
  int status = runTool(*driver,
                       {*driver, "-shared", "-o", soFile.getPath(),
                        objFile.getPath(), "-lmvec", "-lm", "-Wl,-z,defs"},
                       log);
  if (status != 0) {
    error = "linking the host library with " + *driver + " failed (status " +
            std::to_string(status) + "):\n" + log;
    return failure();
  }
  std::optional<std::string> bytes = soFile.read();
  if (!bytes) {
    error = "cannot read the linked shared library";
    return failure();
  }
  sharedObject = std::move(*bytes);
  return success();
}
} // namespace

/// Optimizes, generates and links the library for `cpu` from the LLVM IR
/// bitcode of the lowered kernels, in a context of its own (so CPUs can be
/// built on separate threads).
static LogicalResult buildForCpu(StringRef bitcode,
                                 const HostTargetOptions &options,
                                 HostLibrary &lib, std::string &error) {
  llvm::LLVMContext llvmCtx;
  llvm::Expected<std::unique_ptr<llvm::Module>> parsed = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(bitcode, "nhc_kernels"), llvmCtx);
  if (!parsed) {
    error = "cannot read back the kernels' bitcode: " +
            llvm::toString(parsed.takeError());
    return failure();
  }
  std::unique_ptr<llvm::Module> llvmModule = std::move(*parsed);
  std::unique_ptr<llvm::TargetMachine> tm =
      createHostTargetMachine(options, error);
  if (!tm)
    return failure();
  llvmModule->setDataLayout(tm->createDataLayout());
  llvmModule->setTargetTriple(tm->getTargetTriple());

  if (failed(addPackedEntryPoints(*llvmModule, lib.kernels, error)))
    return failure();
  // Stack clash protection (clang's -fstack-clash-protection): a frame
  // larger than a page (the attention's prefill tile takes about 75 KiB) is
  // touched a page at a time, so a caller's thread with too little stack
  // faults on its guard page instead of writing past it.
  for (llvm::Function &fn : *llvmModule)
    if (!fn.isDeclaration())
      fn.addFnAttr("probe-stack", "inline-asm");
  optimize(*llvmModule, *tm, options.optLevel);
  {
    llvm::raw_string_ostream os(error);
    if (llvm::verifyModule(*llvmModule, &os))
      return failure();
  }
  llvm::raw_string_ostream(lib.llvmIR) << *llvmModule;
  if (failed(emitObject(*llvmModule, *tm, lib.object, error)) ||
      failed(linkSharedObject(lib.object, options, lib.sharedObject, error)))
    return failure();
  return success();
}

/// Fails, naming the function, when a stack allocation of `module` is in a
/// loop: each time an alloca runs it reserves more stack, until the function
/// returns, so one in a loop exhausts the thread's stack
/// (nhc-hoist-static-allocas keeps the kernels clear of it).
static LogicalResult checkNoAllocaInLoops(const llvm::Module &module,
                                         std::string &error) {
  for (const llvm::Function &fn : module) {
    if (fn.isDeclaration())
      continue;
    llvm::DominatorTree dominators(const_cast<llvm::Function &>(fn));
    llvm::LoopInfo loops(dominators);
    for (const llvm::BasicBlock &block : fn) {
      if (!loops.getLoopFor(&block))
        continue;
      for (const llvm::Instruction &inst : block)
        if (llvm::isa<llvm::AllocaInst>(inst)) {
          error = "host code of '" + fn.getName().str() +
                  "' allocates stack memory inside a loop: the stack would "
                  "grow with every iteration";
          return failure();
        }
    }
  }
  return success();
}

/// Runs `pipeline` (named `pipelineName` in errors) on a clone of `kernels`
/// and returns the result as LLVM bitcode.
static FailureOr<std::string>
lowerToBitcode(ModuleOp kernels, StringRef pipelineName,
               llvm::function_ref<void(OpPassManager &)> pipeline,
               std::string &error) {
  MLIRContext *ctx = kernels.getContext();
  DialectRegistry registry;
  registerKernelLoweringDialects(registry);
  ctx->appendDialectRegistry(registry);
  OwningOpRef<ModuleOp> module = kernels.clone();
  {
    DiagnosticCollector collect(ctx, error);
    PassManager pm(ctx);
    pipeline(pm);
    if (failed(pm.run(*module))) {
      error = (pipelineName + " failed:\n").str() + error;
      return failure();
    }
  }
  std::string bitcode;
  {
    llvm::LLVMContext llvmCtx;
    DiagnosticCollector collect(ctx, error);
    std::unique_ptr<llvm::Module> llvmModule =
        translateModuleToLLVMIR(*module, llvmCtx, "nhc_kernels");
    if (!llvmModule) {
      error = "translation to LLVM IR failed:\n" + error;
      return failure();
    }
    if (failed(checkNoAllocaInLoops(*llvmModule, error)))
      return failure();
    llvm::raw_string_ostream os(bitcode);
    llvm::WriteBitcodeToFile(*llvmModule, os);
  }
  return bitcode;
}

/// The signatures of the library's kernels (getKernelSignatures, its
/// diagnostics into `error`).
static FailureOr<std::vector<KernelSignature>>
librarySignatures(ModuleOp kernels, std::string &error) {
  DiagnosticCollector collect(kernels.getContext(), error);
  return getKernelSignatures(kernels);
}

/// The functions `bitcode` defines, in module order, with their LLVM
/// parameter counts.
static FailureOr<std::vector<std::pair<std::string, size_t>>>
definedFunctions(StringRef bitcode, std::string &error) {
  llvm::LLVMContext llvmCtx;
  llvm::Expected<std::unique_ptr<llvm::Module>> parsed =
      llvm::parseBitcodeFile(llvm::MemoryBufferRef(bitcode, "emulation"),
                             llvmCtx);
  if (!parsed) {
    error = llvm::toString(parsed.takeError());
    return failure();
  }
  std::vector<std::pair<std::string, size_t>> defined;
  for (llvm::Function &fn : **parsed)
    if (!fn.isDeclaration())
      defined.emplace_back(fn.getName().str(), fn.arg_size());
  return defined;
}

void mlir::nhc::registerHostTarget() {
  // Registration writes LLVM's target registry: once per process, before
  // any thread reads it.
  static std::once_flag registered;
  std::call_once(registered, [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
  });
}

std::optional<std::string>
mlir::nhc::findHostLinker(const HostTargetOptions &options) {
  if (!options.linker.empty())
    return options.linker;
  return findTool({"cc", "clang", "clang-22", "gcc"});
}

FailureOr<std::vector<HostLibrary>> mlir::nhc::compileHostLibraries(
    ModuleOp kernels, const HostTargetOptions &options,
    ArrayRef<std::string> cpus, std::string &error) {
  FailureOr<std::vector<KernelSignature>> signatures =
      librarySignatures(kernels, error);
  if (failed(signatures))
    return failure();
  FailureOr<std::string> bitcode =
      lowerToBitcode(kernels, "nhc-kernels-to-host-pipeline",
                     buildKernelsToHostPipeline, error);
  if (failed(bitcode))
    return failure();

  std::vector<HostLibrary> libs(cpus.size());
  std::vector<std::string> errors(cpus.size());
  std::vector<char> ok(cpus.size(), 0);
  auto build = [&](size_t i) {
    HostTargetOptions cpuOptions = options;
    cpuOptions.cpu = cpus[i];
    libs[i].kernels = *signatures;
    ok[i] = succeeded(buildForCpu(*bitcode, cpuOptions, libs[i], errors[i]));
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < cpus.size(); ++i)
    threads.emplace_back(build, i);
  if (!cpus.empty())
    build(0);
  for (std::thread &t : threads)
    t.join();
  for (size_t i = 0; i < cpus.size(); ++i)
    if (!ok[i]) {
      error = "building the host library for cpu " + cpus[i] + ": " + errors[i];
      return failure();
    }
  return libs;
}

FailureOr<HostLibrary> mlir::nhc::compileHostLibrary(
    ModuleOp kernels, const HostTargetOptions &options, std::string &error) {
  FailureOr<std::vector<HostLibrary>> libs =
      compileHostLibraries(kernels, options, {options.cpu}, error);
  if (failed(libs))
    return failure();
  return std::move(libs->front());
}

/// The library through nhc-kernels-to-gpu-emulation-pipeline with
/// `emulation`, as bitcode, and the functions it defines with their LLVM
/// parameter counts.
static FailureOr<std::pair<std::string,
                           std::vector<std::pair<std::string, size_t>>>>
lowerEmulation(ModuleOp kernels, const GPUEmulationPipelineOptions &emulation,
               std::string &error) {
  std::string name;
  llvm::raw_string_ostream os(name);
  os << "nhc-kernels-to-gpu-emulation-pipeline";
  emulation.print(os);
  FailureOr<std::string> bitcode = lowerToBitcode(
      kernels, name,
      [&](OpPassManager &pm) {
        buildKernelsToGPUEmulationPipeline(pm, emulation);
      },
      error);
  if (failed(bitcode))
    return failure();
  FailureOr<std::vector<std::pair<std::string, size_t>>> defined =
      definedFunctions(*bitcode, error);
  if (failed(defined))
    return failure();
  return std::make_pair(std::move(*bitcode), std::move(*defined));
}

FailureOr<HostLibrary> mlir::nhc::compileGPUEmulationLibrary(
    ModuleOp kernels, const HostTargetOptions &options, int64_t blockSize,
    std::string &error) {
  GPUEmulationPipelineOptions emulation;
  emulation.blockSize = blockSize;
  emulation.checkRaces = true;
  auto lowered = lowerEmulation(kernels, emulation, error);
  if (failed(lowered))
    return failure();
  // The packed entries' signatures: every emulated kernel, its parameter
  // count from its `_abi_slots` twin's constant (the twins themselves, and
  // the `_static_shared_bytes` ones, are plain C functions).
  HostLibrary lib;
  for (const auto &[name, numParams] : lowered->second) {
    if (StringRef(name).ends_with("_abi_slots") ||
        StringRef(name).ends_with("_static_shared_bytes"))
      continue;
    KernelSignature sig;
    sig.name = name;
    sig.params.resize(numParams); // one slot each
    lib.kernels.push_back(std::move(sig));
  }
  if (failed(buildForCpu(lowered->first, options, lib, error)))
    return failure();
  return lib;
}

FailureOr<HostLibrary> mlir::nhc::compileEmulatedGPUKernels(
    ModuleOp kernels, const HostTargetOptions &options, int64_t blockSize,
    bool reverseOrder, std::string &error) {
  FailureOr<std::vector<KernelSignature>> signatures =
      librarySignatures(kernels, error);
  if (failed(signatures))
    return failure();
  GPUEmulationPipelineOptions emulation;
  emulation.blockSize = blockSize;
  emulation.keepLaunchers = true;
  emulation.reverseOrder = reverseOrder;
  emulation.checkRaces = true;
  auto lowered = lowerEmulation(kernels, emulation, error);
  if (failed(lowered))
    return failure();
  // The GPU pipeline drops host-only kernels: entries for the others.
  HostLibrary lib;
  for (KernelSignature &sig : *signatures)
    if (llvm::any_of(lowered->second,
                     [&](const auto &fn) { return fn.first == sig.name; }))
      lib.kernels.push_back(std::move(sig));
  if (failed(buildForCpu(lowered->first, options, lib, error)))
    return failure();
  return lib;
}

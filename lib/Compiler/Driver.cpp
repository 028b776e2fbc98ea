//===- Driver.cpp - the nhc command-line driver -----------------*- C++ -*-===//

#include "nhc/Compiler/Driver.h"
#include "nhc/Compiler/OutputFile.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "nhc/Compiler/CompileModel.h"
#include "nhc/Config/ModelConfig.h"
#include "nhc/InitAll.h"
#include "nhc/format/chip_name.h"
#include "nhc/runtime/escape.h"
#include "nhc/runtime/checkpoint_files.h"
#include "nhc/runtime/same_path.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <unistd.h>

using namespace mlir;
using namespace mlir::nhc;
namespace cl = llvm::cl;

namespace {
/// LLVM reports a failed allocation here (its new-handler included): a
/// message and exit status 1, as for any bad input, instead of an abort.
void reportOutOfMemory(void *, const char *, bool) {
  static const char kMessage[] = "nhc: error: out of memory\n";
  (void)!::write(2, kMessage, sizeof(kMessage) - 1);
  ::_exit(1);
}

/// Refuses an output that would replace one of `inputs`
/// (nhc/runtime/same_path.h says when two paths name one file).
bool checkOutputPath(const std::string &output,
                     const std::vector<std::string> &inputs,
                     std::string &error) {
  if (output == "-")
    return true;
  for (const std::string &input : inputs) {
    if (::nhc::writesInput(output, input)) {
      error = "-o: '" + ::nhc::escapeControls(output) +
              "' is an input of this run ('" + ::nhc::escapeControls(input) +
              "'); refusing to overwrite it";
      return false;
    }
  }
  if (llvm::sys::fs::is_directory(output)) {
    error = "-o: '" + ::nhc::escapeControls(output) + "' is a directory";
    return false;
  }
  return true;
}

constexpr const char *kUsage =
    "usage: nhc compile CONFIG.json|CHECKPOINT_DIR -o MODEL.nhc "
    "[--target=cpu|cuda:sm_80,sm_90 ...]\n"
    "                   [--kv-cache-dtype=f32|bf16] [--ssm-state-dtype=f32|bf16]\n"
    "                   [--activation-dtype=f32|model]\n"
    "                   [--emit=artifact|nemotron|kernels|exec|manifest|llvm|ptx|launch-table]\n"
    "       nhc compile --help\n"
    "       nhc quantize --fp8 CHECKPOINT_DIR --calibration FILE -o OUT_DIR "
    "(nhc quantize --help)\n";

/// `cpu` or `cuda:sm_80,sm_90` (several --target flags add up).
bool parseTargets(const std::vector<std::string> &specs, CompileOptions &options,
                  std::string &error) {
  for (const std::string &spec : specs) {
    if (spec == "cpu")
      continue; // the host library is always built: it is the CPU target
    if (spec.rfind("cuda:", 0) != 0 || spec.size() == 5) {
      error = "unknown target '" + spec + "' (expected cpu or cuda:sm_XX[,sm_YY])";
      return false;
    }
    llvm::SmallVector<llvm::StringRef> chips;
    llvm::StringRef(spec).drop_front(5).split(chips, ',');
    for (llvm::StringRef chip : chips) {
      ::nhc::format::ChipName name = ::nhc::format::parseChipName(chip);
      if (name.suffixed || name.number < 80) {
        error = "unsupported CUDA target '" + spec +
                "' (expected sm_80 or newer, e.g. cuda:sm_90)";
        return false;
      }
      options.cudaChips.push_back("sm_" + std::to_string(name.number));
    }
  }
  return true;
}

/// Whether an option outside `category` (LLVM's, MLIR's) was given.
bool otherOptionsGiven(const cl::OptionCategory &category) {
  for (const auto &entry : cl::getRegisteredOptions()) {
    const cl::Option *option = entry.second;
    if (option->getNumOccurrences() &&
        !llvm::is_contained(option->Categories, &category))
      return true;
  }
  return false;
}

/// --verbose: how much of the kernel library's code the compile cache had.
void printCacheUse(const CompileCache &cache) {
  if (!cache.enabled()) {
    llvm::errs() << "nhc: kernel code compiled; compile cache off\n";
    return;
  }
  llvm::errs() << "nhc: kernel code: " << cache.hits() << " of "
               << cache.lookups() << " builds from the compile cache '"
               << cache.directory() << "'";
  if (double waited = cache.fillWaitSeconds(); waited > 0)
    llvm::errs() << " (" << llvm::format("%.1f", waited)
                 << " s spent waiting for another compile of the same code)";
  llvm::errs() << "\n";
}

int runCompile(int argc, char **argv) {
  // --help lists these; LLVM's and MLIR's own options stay usable
  // (--mlir-print-ir-after-all, ...) and are listed by --help-hidden.
  static cl::OptionCategory nhcOptions("nhc compile options");
  static cl::opt<std::string> inputPath(
      cl::Positional, cl::Required,
      cl::desc("<config.json or checkpoint directory>"), cl::cat(nhcOptions));
  static cl::opt<EmitKind> emit(
      "emit",
      cl::desc("What to produce (default: artifact with -o FILE, nemotron on "
               "stdout)"),
      cl::values(
          clEnumValN(EmitKind::Artifact, "artifact",
                     "the binary model artifact (manifest + host library + "
                     "PTX/cubin per CUDA target)"),
          clEnumValN(EmitKind::Nemotron, "nemotron",
                     "the imported model as nemotron dialect IR"),
          clEnumValN(EmitKind::Kernels, "kernels",
                     "the model after decomposition into kernel-level ops"),
          clEnumValN(EmitKind::Exec, "exec",
                     "one step as nemotron_exec IR: kernel and library calls "
                     "over buffers (nhc-translate --nemotron-to-manifest "
                     "writes its manifest)"),
          clEnumValN(EmitKind::Manifest, "manifest",
                     "the artifact manifest (JSON)"),
          clEnumValN(EmitKind::LLVM, "llvm",
                     "LLVM IR of the host kernel library"),
          clEnumValN(EmitKind::PTX, "ptx",
                     "PTX of the kernel library for the first CUDA target "
                     "(sm_90 if none)"),
          clEnumValN(EmitKind::LaunchTable, "launch-table",
                     "how a CUDA launcher runs each kernel (JSON; for the "
                     "CUDA targets, sm_90 if none)")),
      cl::cat(nhcOptions));
  static cl::list<std::string> targets(
      "target", cl::desc("cpu (always built) or cuda:sm_80,sm_90"),
      cl::value_desc("target"), cl::cat(nhcOptions));
  static cl::opt<StateDtype> kvCacheDtype(
      "kv-cache-dtype",
      cl::desc("Element type of the attention layers' KV cache"),
      mlir::nhc::kvCacheDtypeValues(), cl::init(StateDtype::F32),
      cl::cat(nhcOptions));
  static cl::opt<StateDtype> ssmStateDtype(
      "ssm-state-dtype",
      cl::desc("Element type of the Mamba layers' SSM state"),
      mlir::nhc::ssmStateDtypeValues(), cl::init(StateDtype::F32),
      cl::cat(nhcOptions));
  static cl::opt<ActivationDtype> activationDtype(
      "activation-dtype",
      cl::desc("What a bf16/f16 model's activations are rounded to between "
               "kernels"),
      mlir::nhc::activationDtypeValues(), cl::init(ActivationDtype::F32),
      cl::cat(nhcOptions));
  static cl::opt<bool> verbose(
      "verbose", cl::desc("Also print what the config holds but nhc ignores "
                          "(e.g. FP8 KV-cache settings)"),
      cl::cat(nhcOptions));
  static cl::opt<std::string> outputPath(
      "o", cl::desc("Output file ('-' for stdout)"), cl::value_desc("file"),
      cl::init("-"), cl::cat(nhcOptions));
  static cl::opt<bool> noCache(
      "no-cache",
      cl::desc("Compile the kernel library even if the compile cache "
               "(NHC_CACHE_DIR, else $XDG_CACHE_HOME/nhc, else "
               "~/.cache/nhc) holds its code"),
      cl::cat(nhcOptions));

  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  cl::HideUnrelatedOptions(nhcOptions);
  // Bad usage exits 2 (docs/cli.md), not LLVM's default 1.
  if (!cl::ParseCommandLineOptions(argc, argv,
                                   "nhc compile: Nemotron-H compiler\n",
                                   &llvm::errs()))
    return 2;

  CompileOptions options;
  std::string error;
  if (!parseTargets(targets, options, error)) {
    llvm::errs() << "nhc: error: " << error << "\n";
    return 2;
  }
  options.kvCacheDtype = kvCacheDtype;
  options.ssmStateDtype = ssmStateDtype;
  options.activationDtype = activationDtype;
  // LLVM and MLIR options can change the kernel code, and the key does not
  // hold them: a compile given any of them compiles everything.
  if (!noCache && !otherOptionsGiven(nhcOptions))
    options.cache = CompileCache::fromEnvironment();
  options.emit = emit.getNumOccurrences()
                     ? emit.getValue()
                     : (outputPath == "-" ? EmitKind::Nemotron
                                          : EmitKind::Artifact);
  if (options.emit == EmitKind::Artifact && outputPath == "-") {
    llvm::errs() << "nhc: error: the binary artifact needs -o FILE\n";
    return 2;
  }
  if ((options.emit == EmitKind::PTX ||
       options.emit == EmitKind::LaunchTable) &&
      options.cudaChips.empty())
    options.cudaChips.push_back("sm_90");

  // The path given is refused before it is parsed (whatever its content),
  // then every file the config loader read or found (config.json,
  // hf_quant_config.json).
  if (!checkOutputPath(outputPath, {inputPath}, error)) {
    llvm::errs() << "nhc: error: " << error << "\n";
    return 1;
  }
  ModelConfig config;
  if (!loadModelConfig(inputPath, config, error)) {
    llvm::errs() << error << "\n";
    return 1;
  }
  for (const std::string &warning : config.warnings)
    llvm::errs() << warning << "\n";
  if (verbose)
    for (const std::string &note : config.notes)
      llvm::errs() << note << "\n";
  std::vector<std::string> inputs = config.inputPaths;
  inputs.push_back(config.configPath);
  if (config.quantization)
    inputs.push_back(config.quantization->sourcePath);
  if (!checkOutputPath(outputPath, inputs, error)) {
    llvm::errs() << "nhc: error: " << error << "\n";
    return 1;
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  // Without a handler MLIR prints errors only; warnings matter here.
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  FailureOr<std::string> output = compileModel(context, config, options);
  if (failed(output))
    return 1;
  if (verbose && (options.emit == EmitKind::Artifact ||
                  options.emit == EmitKind::PTX ||
                  options.emit == EmitKind::LaunchTable))
    printCacheUse(options.cache);

  if (!writeOutputFile(outputPath, *output, error)) {
    llvm::errs() << "nhc: error: " << error << "\n";
    return 1;
  }
  return 0;
}
} // namespace

namespace {
/// `nhc quantize ...` is the runtime tool nhc-quantize, installed next to
/// nhc: quantizing runs the model, which the compiler itself never does.
int runQuantize(int argc, char **argv) {
  std::string self =
      llvm::sys::fs::getMainExecutable(argv[0], (void *)&runQuantize);
  llvm::SmallString<256> tool(llvm::sys::path::parent_path(self));
  llvm::sys::path::append(tool, "nhc-quantize");
  std::string path = tool.str().str();
  std::vector<char *> args = {path.data()};
  args.insert(args.end(), argv + 2, argv + argc);
  args.push_back(nullptr);
  execv(path.c_str(), args.data());
  llvm::errs() << "nhc: error: cannot run '" << tool
               << "' (nhc quantize needs nhc-quantize next to nhc)\n";
  return 1;
}
} // namespace

int mlir::nhc::runNhcMain(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::install_bad_alloc_error_handler(reportOutOfMemory);
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 ||
      std::strcmp(argv[1], "-h") == 0) {
    llvm::outs() << kUsage;
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "quantize") == 0)
    return runQuantize(argc, argv);
  if (std::strcmp(argv[1], "compile") != 0) {
    llvm::errs() << "nhc: error: unknown command '" << argv[1] << "'\n"
                 << kUsage;
    return 2;
  }
  // Parse `compile`'s options as if it were the program name.
  std::string program = std::string(argv[0]) + " compile";
  argv[1] = program.data();
  return runCompile(argc - 1, argv + 1);
}

//===- Driver.cpp - the nhc command-line driver -----------------*- C++ -*-===//

#include "nhc/Compiler/Driver.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "nhc/Frontend/ImportModel.h"
#include "nhc/Config/ModelConfig.h"
#include "nhc/InitAll.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
namespace cl = llvm::cl;

namespace {
enum class EmitKind { Nemotron };

constexpr const char *kUsage =
    "usage: nhc compile CONFIG.json|CHECKPOINT_DIR [--emit=nemotron] [-o FILE]\n"
    "       nhc compile --help\n";

int runCompile(int argc, char **argv) {
  static cl::opt<std::string> inputPath(
      cl::Positional, cl::Required,
      cl::desc("<config.json or checkpoint directory>"));
  static cl::opt<EmitKind> emit(
      "emit", cl::desc("What to produce"), cl::init(EmitKind::Nemotron),
      cl::values(clEnumValN(EmitKind::Nemotron, "nemotron",
                            "the model as nemotron dialect IR")));
  static cl::opt<std::string> outputPath(
      "o", cl::desc("Output file ('-' for stdout)"), cl::value_desc("file"),
      cl::init("-"));

  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "nhc compile: Nemotron-H compiler\n");

  nhc::ModelConfig config;
  std::string error;
  if (!nhc::loadModelConfig(inputPath, config, error)) {
    llvm::errs() << error << "\n";
    return 1;
  }

  DialectRegistry registry;
  nhc::registerAllDialects(registry);
  MLIRContext context(registry);
  OwningOpRef<ModuleOp> module = nhc::importModel(context, config);
  if (!module)
    return 1;

  std::string openError;
  auto output = openOutputFile(outputPath, &openError);
  if (!output) {
    llvm::errs() << "nhc: error: " << openError << "\n";
    return 1;
  }
  switch (emit) {
  case EmitKind::Nemotron:
    module->print(output->os());
    output->os() << "\n";
    break;
  }
  output->keep();
  return 0;
}
} // namespace

int mlir::nhc::runNhcMain(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 ||
      std::strcmp(argv[1], "-h") == 0) {
    llvm::outs() << kUsage;
    return argc < 2 ? 2 : 0;
  }
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

//===- config_fuzzer.cpp - config.json reader ------------------------------===//
//
// Any text: parseModelConfig succeeds with sizes inside nhc's limits, or
// fails with a positioned message naming the file; never a crash, a
// sanitizer report or super-linear cost.
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"
#include "nhc/Config/ModelConfig.h"
#include "nhc/runtime/limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::nhc::ModelConfig config;
  std::string error;
  std::string text(reinterpret_cast<const char *>(data), size);
  bool ok = mlir::nhc::parseModelConfig("config.json", text, config, error);
  if (!ok && error.rfind("config.json:", 0) != 0)
    std::abort(); // every error names the file
  if (ok && (config.layers.empty() || config.layers.size() > nhc::kMaxLayers ||
             config.hiddenSize <= 0 ||
             static_cast<uint64_t>(config.vocabSize) > nhc::kMaxVocab))
    std::abort(); // validation let an out-of-range model through
  return 0;
}

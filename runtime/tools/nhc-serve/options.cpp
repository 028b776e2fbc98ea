//===- options.cpp - nhc-serve command line -------------------------------===//

#include "options.h"

#include <algorithm>
#include <string>

#include "../common/command_line.h"
#include "nhc/runtime/limits.h"

namespace nhc::serve {

const char *usageText() {
  return "usage: nhc-serve MODEL.nhc --weights PATH [options]\n"
         "OpenAI-compatible HTTP server: /v1/completions, "
         "/v1/chat/completions (SSE\n"
         "streaming or not), /v1/models, /health, /metrics (Prometheus).\n"
         "  --weights PATH             checkpoint: .safetensors, directory "
         "or index\n"
         "  --tokenizer DIR|FILE       tokenizer.json (+ tokenizer_config."
         "json); default:\n"
         "                             the checkpoint's directory\n"
         "  --host HOST                listen address (default 127.0.0.1)\n"
         "  --port N                   port (default 8000; 0 = any free "
         "port)\n"
         "  --max-slots N              requests running at once (default 8)\n"
         "  --max-seq-len N            tokens a request's state holds: its "
         "prompt and\n"
         "                             every generated token but the last "
         "(default\n"
         "                             min(max_position_embeddings, 8192);\n"
         "                             larger runs past the trained length,\n"
         "                             with a warning)\n"
         "  --step-tokens N            tokens per step: running decodes + "
         "prompt chunks\n"
         "                             (default 512; at least "
         "--max-slots + 2)\n"
         "  --max-queue N              requests waiting for a slot before "
         "503 (default 64)\n"
         "  --max-body-bytes N         larger request bodies get 413 "
         "(default 4 MiB)\n"
         "  --http-threads N           connections served at once (default "
         "max-slots +\n"
         "                             max-queue + 16; at least max-slots + "
         "max-queue + 2;\n"
         "                             at most 4096)\n"
         "  --served-model-name NAME   the model id clients use (default: "
         "MODEL's stem)\n"
         "  --backend NAME             device backend: host (default) or "
         "cuda (one GPU;\n"
         "                             see nhc_backends())\n"
         "  --gemm-precision P         f32 (default) or bf16: host prefill "
         "gemms on BF16\n"
         "                             weights in bf16 arithmetic (the cuda "
         "backend runs\n"
         "                             BF16 weights in bf16 whatever P)\n"
         "Prints 'nhc-serve: listening on http://HOST:PORT' when ready; one "
         "log line per\nrequest on stderr. Exit status: 0 after SIGINT/"
         "SIGTERM, 1 error, 2 bad usage.\n";
}

bool parseOptions(int argc, char **argv, Options &options,
                  std::string &error) {
  struct Numeric {
    const char *name;
    uint64_t *out;
    uint64_t min, max;
  };
  const Numeric numerics[] = {
      {"--port", &options.port, 0, 65535},
      {"--max-slots", &options.maxSlots, 1, nhc::kMaxSlots},
      {"--max-seq-len", &options.maxSeqLen, 1, nhc::kMaxSequenceLength},
      {"--step-tokens", &options.stepTokens, 1, nhc::kMaxSequenceLength},
      {"--max-queue", &options.maxQueue, 0, kMaxHttpThreads - 3},
      {"--max-body-bytes", &options.maxBodyBytes, 1024, 1ull << 30},
      {"--http-threads", &options.httpThreads, 2, kMaxHttpThreads}};
  auto numericOf = [&](const std::string &name) -> const Numeric * {
    for (const Numeric &n : numerics)
      if (name == n.name)
        return &n;
    return nullptr;
  };
  auto textOf = [&](const std::string &name) -> std::string * {
    return name == "--weights"             ? &options.weights
           : name == "--tokenizer"         ? &options.tokenizer
           : name == "--host"              ? &options.host
           : name == "--served-model-name" ? &options.servedModelName
           : name == "--backend"           ? &options.backend
                                           : nullptr;
  };
  auto kindOf = [&](const std::string &name) {
    return numericOf(name) || textOf(name) || name == "--gemm-precision"
               ? tools::OptionKind::Valued
               : tools::OptionKind::Unknown;
  };
  auto onOption = [&](const std::string &name, const std::string &value,
                      std::string &error) {
    if (name == "--gemm-precision") {
      if (tools::parseGemmPrecision(value, options.gemmPrecision))
        return true;
      error = "invalid value '" + value + "' for --gemm-precision (expected "
              "f32 or bf16)";
      return false;
    }
    if (std::string *text = textOf(name)) {
      if (value.empty()) {
        error = "option '" + name + "' needs a non-empty value";
        return false;
      }
      *text = value;
      return true;
    }
    const Numeric *numeric = numericOf(name);
    uint64_t parsed = 0;
    if (!tools::parseUInt(value, parsed) || parsed < numeric->min ||
        parsed > numeric->max) {
      error = "invalid value '" + value + "' for " + name + " (expected " +
              std::to_string(numeric->min) + " to " +
              std::to_string(numeric->max) + ")";
      return false;
    }
    *numeric->out = parsed;
    return true;
  };
  if (!tools::walkCommandLine(argc, argv, options.help, options.model,
                              options.weights, kindOf, onOption, error))
    return false;
  if (options.help)
    return true;
  // Every running or waiting request holds an HTTP worker; two more keep
  // /health and /metrics answering and let a 503 reach the next client.
  uint64_t needed = options.maxSlots + options.maxQueue + 2;
  if (needed > kMaxHttpThreads) {
    error = "--max-slots " + std::to_string(options.maxSlots) +
            " + --max-queue " + std::to_string(options.maxQueue) +
            " requests need " + std::to_string(needed) +
            " HTTP worker threads; at most " +
            std::to_string(kMaxHttpThreads) + " (--http-threads) are allowed";
    return false;
  }
  if (options.httpThreads == 0)
    options.httpThreads = std::min(needed + 14, kMaxHttpThreads);
  else if (options.httpThreads < needed) {
    error = "--http-threads " + std::to_string(options.httpThreads) +
            " is too few for --max-slots " + std::to_string(options.maxSlots) +
            " + --max-queue " + std::to_string(options.maxQueue) +
            " requests (at least " + std::to_string(needed) + ")";
    return false;
  }
  return true;
}

} // namespace nhc::serve

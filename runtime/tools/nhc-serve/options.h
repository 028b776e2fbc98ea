//===- options.h - nhc-serve command line --------------------*- C++ -*-===//
#ifndef NHC_SERVE_OPTIONS_H
#define NHC_SERVE_OPTIONS_H

#include <cstdint>
#include <string>

#include "nhc/runtime/session.h"

namespace nhc::serve {

/// HTTP worker threads at most: each is a thread with its own stack, and
/// every running or waiting request holds one.
constexpr uint64_t kMaxHttpThreads = 4096;

struct Options {
  std::string model;     // MODEL.nhc
  std::string weights;   // --weights: checkpoint file, directory or index
  std::string tokenizer; // --tokenizer: default the checkpoint's directory
  std::string host = "127.0.0.1";
  uint64_t port = 8000;     // 0 = any free port (printed)
  uint64_t maxSlots = 8;    // concurrent requests (state slots)
  uint64_t maxSeqLen = 0;   // 0 = min(max_position_embeddings, 8192)
  uint64_t stepTokens = 512; // per-step token budget
  uint64_t maxQueue = 64;   // waiting requests before 503
  uint64_t maxBodyBytes = 4u << 20;
  uint64_t httpThreads = 0; // 0: max-slots + max-queue + 16
  std::string servedModelName; // default: the artifact's file stem
  std::string backend; // --backend: empty = the runtime's default (host)
  nhc_gemm_precision_t gemmPrecision = NHC_GEMM_PRECISION_F32;
  bool help = false;
};

bool parseOptions(int argc, char **argv, Options &options, std::string &error);
const char *usageText();

} // namespace nhc::serve

#endif // NHC_SERVE_OPTIONS_H

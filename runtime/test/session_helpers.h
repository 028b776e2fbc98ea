//===- session_helpers.h - Executable test artifacts ----------*- C++ -*-===//
//
// Builds artifacts that a session can run: a manifest with buffers, kernels
// and schedules, plus the test kernel library (test_kernels.c) embedded as
// the HOST_SHARED_LIBRARY section, and checkpoints with chosen values.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_TEST_SESSION_HELPERS_H
#define NHC_RUNTIME_TEST_SESSION_HELPERS_H

#include <cstdint>
#include <string>
#include <vector>

#include "nhc/format/container.h"
#include "test_helpers.h"

namespace nhc::test {

/// Bytes of the test kernel library (a shared object).
const Bytes &testKernelLibrary();

/// Artifact bytes: manifest + (if `withKernels`) the test kernel library.
Bytes buildExecutableArtifact(const Json &manifest, bool withKernels = true);

/// Kernel table entries of test_kernels.c, by name.
Json kernelSpec(const std::string &name);
/// A manifest kernels table listing the given kernels.
Json kernelTable(const std::vector<std::string> &names);

/// Schedule argument forms.
Json bufferArg(const std::string &name);
Json weightArg(const std::string &name);
Json stateArg(const std::string &name);
Json dimArg(const std::string &dim, int64_t times = 1);
Json indexArg(int64_t value);
Json f32Arg(float value);
Json requestsArg();
Json tokenIdsArg();
Json logitsArg();
Json kernelCall(const std::string &name, Json args);
Json bufferSpec(const std::string &name, const std::string &per,
                uint64_t elems, const std::string &dtype = "f32");

/// Little-endian encodings (values must be exactly representable for
/// bf16 / f16: the encoders truncate).
Bytes f32Bytes(const std::vector<float> &values);
Bytes bf16Bytes(const std::vector<float> &values);
Bytes f16Bytes(const std::vector<float> &values);
/// Deterministic values k/64 with small k, exact in bf16 and f16.
std::vector<float> exactValues(size_t count, int seed);
/// bf16 round trip by truncation, as bf16Bytes stores it.
float bf16Truncate(float value);

/// An entry of the manifest's `state` list; `shape` may start with
/// "max_seq_len".
Json stateTensor(const std::string &name, int layer, const std::string &dtype,
                 Json shape);

/// A minimal valid manifest: model of `vocab` x `hidden`, `layers` layers
/// and no state; callers add weights, state, buffers, kernels, schedules.
Json baseManifest(uint64_t vocab, uint64_t hidden, uint32_t layers = 1);
void addWeight(Json &manifest, const std::string &name,
               const std::string &dtype, std::vector<uint64_t> shape);

/// A loaded artifact + checkpoint + session in a temporary directory.
class SessionFixture {
public:
  SessionFixture() = default;
  ~SessionFixture();
  SessionFixture(const SessionFixture &) = delete;
  SessionFixture &operator=(const SessionFixture &) = delete;

  /// Writes and loads; returns the status of the first failing call
  /// (nhc_artifact_load, nhc_weights_open or nhc_session_create_ex with
  /// `backend`).
  nhc_status_t open(const Json &manifest, const SafetensorsBuilder &weights,
                    uint32_t maxSlots = 4, uint64_t maxSeqLen = 32,
                    bool withKernels = true, const char *backend = nullptr,
                    nhc_gemm_precision_t precision = NHC_GEMM_PRECISION_F32);

  nhc_session_t *session = nullptr;
  nhc_artifact_t *artifact = nullptr;
  nhc_weights_t *weights = nullptr;
  TempDir dir;
};

// The toy hybrid model used by the session tests: vocab 16, hidden 8,
// layer 0 "Mamba" (decay state in its conv pool), layer 1 "attention"
// (running mean over its K cache), gemms with BF16/F16 weights, and heads
// for LAST and ALL logits.
constexpr uint64_t kToyVocab = 16;
constexpr uint64_t kToyHidden = 8;
/// Sets (or with nullptr unsets) environment variable `name` for a scope.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
  std::string name_;
  bool hadValue_ = false;
  std::string saved_;
};

Json toyModelManifest();

/// Writes `writer`'s artifact as `fileName` and the toy model's weights to
/// a temporary directory and creates a session (1 slot, 8 tokens) on
/// `backend` (nullptr: the default); releases everything and returns the
/// status (nhc_last_error() has the message).
nhc_status_t tryToyModelSession(const format::ContainerWriter &writer,
                                const std::string &fileName,
                                const char *backend = nullptr);
/// The toy model's weights; with `nanToken` >= 0 that token's embedding
/// row is NaN (every logit after it is then NaN), with `nanHeadRow` >= 0
/// that row of the LM head (that token's logit is then always NaN).
SafetensorsBuilder toyModelWeights(int32_t nanToken = -1,
                                   int32_t nanHeadRow = -1);

/// The toy model computed naively for one sequence: logits after each of
/// `tokens`, given nothing before them.
std::vector<std::vector<float>> toyReferenceLogits(
    const std::vector<int32_t> &tokens);

} // namespace nhc::test

#endif // NHC_RUNTIME_TEST_SESSION_HELPERS_H

//===- main.cpp - nhc-bench: throughput against the machine's limits ------===//
//
// Measures a compiled model on a backend (host, or cuda: --backend): cold start
// (and to the first token), prefill tok/s and TTFT per prompt length, decode tok/s per batch size and context length, peak
// RSS; each throughput also as a fraction of its physical limit:
//   decode:  max(bytes moved per step / memory bandwidth, FLOPs per step /
//            GEMM peak as for prefill, but f32's on the host up to
//            NHC_GEMV_MAX_ROWS requests) / measured step time (the roofline;
//            FLOPs: decodeFlops), bytes = every weight as the session's backend holds it
//            (nhc_session_weight_dtype: matrices in their stored dtype on
//            the host, as uploaded on cuda; f32 copies; one embedding row
//            per request; routed experts at the share a batch of B touches
//            if routes were uniform, 1 - (1 - top_k / E)^B) + each
//            request's conv and SSM state read and written back and its
//            KV caches read up to its context, the new row written
//            (StateSizes); bandwidth: the host's DRAM read
//            rate, or the device's copy rate; the steps end at the context
//            (a request prefilled to context - steps, restored per slot);
//   prefill: (FLOPs / measured time) / GEMM peak (f32, or oneDNN's bf16
//            with --gemm-precision bf16; on cuda each matrix's share at
//            cuBLASLt's rate for the dtype the device holds it in, e4m3,
//            bf16 or f32: device_limits.h), FLOPs = 2 x tokens x
//            matmul parameters (routed experts at top_k / E) + attention
//            2 x 2 x L^2 / 2 x q width per attention layer.
// Prints a table and writes JSON (docs/benchmarks.md). Sessions only through
// the C API; the device's limits through the runtime's CUDA seams.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "../common/command_line.h"
#include "../common/output_check.h"
#include "../nhc-run/output_file.h"
#include "device_limits.h"
#include "machine_limits.h"
#include "nhc/format/manifest_schema.h"
#include "nhc/runtime/api.h"
#include "nhc/runtime/state_names.h"
#include "random_weights.h"
#include "step_profile.h"

namespace {

namespace key = nhc::format::manifest::key;
namespace value = nhc::format::manifest::value;

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

double seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The NHC_* environment variables of this run, by name: the runtime's
/// switches (docs/runtime.md: NHC_CUDA_PDL, NHC_CUDA_GRAPHS, ...) that make
/// two runs of the same command measure different things.
std::map<std::string, std::string> nhcEnvironment() {
  std::map<std::string, std::string> settings;
  for (char **entry = environ; entry && *entry; ++entry) {
    std::string text = *entry;
    size_t equals = text.find('=');
    if (text.compare(0, 4, "NHC_") == 0 && equals != std::string::npos)
      settings[text.substr(0, equals)] = text.substr(equals + 1);
  }
  return settings;
}

struct Options {
  std::string model, weights, json;
  std::string writeWeights; // --write-weights: write the checkpoint, exit
  bool randomWeights = false;
  nhc_dtype_t storage = NHC_DTYPE_BF16;
  uint64_t seed = 0;
  std::vector<uint64_t> prefill = {512, 2048};
  std::vector<uint64_t> batches = {1, 8};
  std::vector<uint64_t> contexts = {1024, 8192};
  uint64_t decodeSteps = 8;
  bool smoke = false;
  bool profile = false; // --profile: time per schedule entry
  /// --decode-output: logits copied out, greedy ids, ids sampled by the
  /// session (temperature 0.8, top_p 0.95), no logits, or those with
  /// their logprobs (20 alternatives).
  std::string decodeOutput = "logits";
  /// --prefill-output: the prompt's last logits copied out, or every
  /// row's logprob of the next prompt token and its top alternative with
  /// the greedy first token (an echo request: lm-evaluation-harness's
  /// loglikelihood), no logits.
  std::string prefillOutput = "logits";
  nhc_gemm_precision_t precision = NHC_GEMM_PRECISION_F32;
  std::string backend = "host";
};

const char *kUsage =
    "usage: nhc-bench MODEL.nhc (--weights PATH | --random-weights)\n"
    "                 [--storage bf16|f16|f32] [--seed S]\n"
    "                 [--prefill 512,2048] [--decode-batch 1,8]\n"
    "                 [--context 1024,8192] [--decode-steps 8]\n"
    "                 [--gemm-precision f32|bf16] [--backend host|cuda]\n"
    "                 [--json FILE] [--smoke] [--profile]\n"
    "                 [--decode-output logits|ids|sampled|logprobs]\n"
    "                 [--prefill-output logits|logprobs]\n"
    "       nhc-bench MODEL.nhc --write-weights FILE [--storage S] [--seed S]\n"
    "\n"
    "Measures cold start (and to the first token), prefill throughput and\n"
    "TTFT, decode throughput and peak RSS of a\n"
    "compiled model on --backend (default host), each throughput also as a\n"
    "fraction of the measured limit: for prefill the GEMM peak of the\n"
    "arithmetic the session's gemms run in (host: --gemm-precision; cuda:\n"
    "cuBLASLt), for decode the roofline: the step's bytes at the host's\n"
    "DRAM or the device's memory bandwidth, or its FLOPs at that peak,\n"
    "whichever takes longer.\n"
    "--random-weights binds seeded random weights of the artifact's shapes\n"
    "(stored as --storage; nhc_weights_synthetic: no file, generated inside\n"
    "the cold start, a cuda session's F32/BF16 matrices on the device).\n"
    "--profile adds each timed row's time per operation (a kernel, a gemm\n"
    "role over all layers, with its roofline) from the steps' schedule\n"
    "entries (nhc_step_options_t.entry_seconds), as a table after the\n"
    "results and in the JSON: on the host the timed steps', on cuda the\n"
    "timed prefill's and, for decode, as many more steps run without graph\n"
    "replay (CUDA events; the timed steps replay).\n"
    "--decode-output ids has each decode step return greedy token ids\n"
    "instead of its [B, vocab] logits (nhc_step_options_t.greedy_ids: on\n"
    "cuda only the ids leave the device); sampled, ids each request's rule\n"
    "picks (temperature 0.8, top_p 0.95, a seeded draw per token:\n"
    "nhc_step_options_t.sampling, on cuda nhc_sample_rows); logprobs, those\n"
    "ids with their logprobs and 20 alternatives each\n"
    "(nhc_step_options_t.logprobs, on cuda nhc_logprob_rows); default logits.\n"
    "--prefill-output logprobs has each prefill return, instead of its last\n"
    "logits, every row's logprob of the next prompt token and its top\n"
    "alternative (NHC_LOGITS_ALL with logprob_ids) and its greedy first\n"
    "token: an echo request's prompt logprobs, on cuda computed there.\n"
    "--smoke runs\n"
    "tiny sizes (CI: checks the output, not the speed). --write-weights\n"
    "writes those random weights to FILE (for nhc-run, nhc-serve and\n"
    "tools/bench/serve_bench.py) and measures nothing. Exit: 0 ok, 1 error,\n"
    "2 bad usage.\n";

bool parseList(const std::string &text, std::vector<uint64_t> &out) {
  out.clear();
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string item = text.substr(pos, comma - pos);
    char *end = nullptr;
    unsigned long long v = std::strtoull(item.c_str(), &end, 10);
    if (item.empty() || *end || v == 0 || v > (1ull << 24))
      return false;
    out.push_back(v);
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  return !out.empty();
}

bool parseOptions(int argc, char **argv, Options &o, std::string &error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        throw std::invalid_argument("option '" + arg + "' needs a value");
      return argv[++i];
    };
    try {
      if (arg == "--weights")
        o.weights = value();
      else if (arg == "--random-weights")
        o.randomWeights = true;
      else if (arg == "--write-weights")
        o.writeWeights = value();
      else if (arg == "--smoke")
        o.smoke = true;
      else if (arg == "--profile")
        o.profile = true;
      else if (arg == "--decode-output") {
        o.decodeOutput = value();
        if (o.decodeOutput != "logits" && o.decodeOutput != "ids" &&
            o.decodeOutput != "sampled" && o.decodeOutput != "logprobs")
          throw std::invalid_argument(
              "--decode-output must be logits, ids, sampled or logprobs");
      }
      else if (arg == "--prefill-output") {
        o.prefillOutput = value();
        if (o.prefillOutput != "logits" && o.prefillOutput != "logprobs")
          throw std::invalid_argument(
              "--prefill-output must be logits or logprobs");
      }
      else if (arg == "--gemm-precision") {
        if (!nhc::tools::parseGemmPrecision(value(), o.precision))
          throw std::invalid_argument("--gemm-precision must be f32 or bf16");
      }
      else if (arg == "--json")
        o.json = value();
      else if (arg == "--backend") {
        o.backend = value();
        if (o.backend != "host" && o.backend != "cuda")
          throw std::invalid_argument("--backend must be host or cuda");
      }
      else if (arg == "--seed") {
        if (!nhc::tools::parseUInt(value(), o.seed))
          throw std::invalid_argument("--seed needs a decimal integer in "
                                      "[0, 2^64)");
      }
      else if (arg == "--storage") {
        std::string s = value();
        o.storage = s == "bf16"  ? NHC_DTYPE_BF16
                    : s == "f16" ? NHC_DTYPE_F16
                    : s == "f32" ? NHC_DTYPE_F32
                                 : NHC_DTYPE_INVALID;
        if (o.storage == NHC_DTYPE_INVALID)
          throw std::invalid_argument("--storage must be bf16, f16 or f32");
      } else if (arg == "--prefill" || arg == "--decode-batch" ||
                 arg == "--context") {
        std::vector<uint64_t> &list = arg == "--prefill" ? o.prefill
                                      : arg == "--decode-batch" ? o.batches
                                                                : o.contexts;
        if (!parseList(value(), list))
          throw std::invalid_argument(arg + " needs a list like 1,8 of "
                                            "numbers in [1, 2^24]");
      } else if (arg == "--decode-steps") {
        std::vector<uint64_t> steps;
        if (!parseList(value(), steps) || steps.size() != 1)
          throw std::invalid_argument("--decode-steps needs one number in "
                                      "[1, 2^24]");
        o.decodeSteps = steps[0];
      } else if (arg.rfind("--", 0) == 0) {
        throw std::invalid_argument("unknown option '" + arg + "'");
      } else if (o.model.empty()) {
        o.model = arg;
      } else {
        throw std::invalid_argument("more than one MODEL.nhc");
      }
    } catch (const std::exception &e) {
      error = e.what();
      return false;
    }
  }
  if (o.model.empty())
    error = "missing MODEL.nhc";
  else if (!o.writeWeights.empty() && (o.randomWeights || !o.weights.empty()))
    error = "--write-weights excludes --weights and --random-weights";
  else if (o.writeWeights.empty() && o.weights.empty() == !o.randomWeights)
    error = "give exactly one of --weights PATH and --random-weights";
  if (o.smoke) {
    o.prefill = {24}; // more than 16 rows: the prefill gemm paths
    o.batches = {1, 2};
    o.contexts = {8};
    o.decodeSteps = 2;
  }
  return error.empty();
}

[[noreturn]] void failStatus(const std::string &what) {
  throw std::runtime_error(what + ": " + nhc_last_error());
}

void check(nhc_status_t status, const char *what) {
  if (status != NHC_OK)
    failStatus(what);
}

/// What the manifest says about work per token (see the file comment).
struct ModelCost {
  double matmulParams = 0; // per token, routed experts weighted by top_k / E
  double headParams = 0;   // lm_head, once per logits row
  double qWidth = 0;       // summed over attention layers
  double weightBytesAsRead = 0; // every weight once, besides the state
  double expertBytes = 0; // the routed experts' part of weightBytesAsRead
  double expertShare = 1; // top_k / E: a token's share of the experts
  /// matmulParams by the dtype the session holds the matrix in (F32, BF16,
  /// F8_E4M3, ...): on cuda, the arithmetic of its product. A prompt's body
  /// FLOPs split in these shares.
  std::map<nhc_dtype_t, double> paramsByDtype;
  uint64_t hidden = 0, vocab = 0, layers = 0;
  std::string pattern;
};

/// The dtype the session's backend holds manifest weight `name` in.
nhc_dtype_t heldDtype(const nhc_session_t *session, const std::string &name) {
  nhc_dtype_t dtype;
  check(nhc_session_weight_dtype(session, name.c_str(), &dtype),
        "weight dtype");
  return dtype;
}

ModelCost modelCost(const nhc_artifact_t *artifact,
                    const nhc_session_t *session) {
  size_t length = 0;
  const char *text = nhc_artifact_manifest_json(artifact, &length);
  Json m = Json::parse(text, text + length);
  ModelCost cost;
  const Json &model = m[key::kModel];
  cost.hidden = model[key::kHiddenSize];
  cost.vocab = model[key::kVocabSize];
  cost.layers = model[key::kNumLayers];
  cost.pattern = model.value(key::kLayerPattern, "");
  double expertShare = 1.0;
  for (const Json &entry : m[key::kSchedules][value::kScheduleBody])
    if (entry.value(key::kLibrary, "") == value::kLibraryMoEExperts)
      expertShare =
          double(entry[key::kTopK]) / double(entry[key::kNumExperts]);
  for (const Json &w : m[key::kWeights]) {
    std::string name = w[key::kName];
    const Json &shape = w[key::kShape];
    double elems = 1;
    for (uint64_t d : shape)
      elems *= double(d);
    bool embeddings = name.find("embeddings") != std::string::npos;
    bool matrix = shape.size() == 2 && !embeddings;
    // Every weight as the backend holds it; one embedding row per token.
    const nhc_dtype_t dtype = heldDtype(session, name);
    const double bytes = double(nhc_dtype_size(dtype));
    cost.weightBytesAsRead +=
        embeddings ? double(cost.hidden) * bytes : elems * bytes;
    if (name.find(".experts.") != std::string::npos)
      cost.expertBytes += elems * bytes;
    if (!matrix)
      continue;
    if (name == "lm_head.weight") {
      cost.headParams = elems; // 2 x head FLOPs per step: small, not mixed
      continue;
    }
    double params = name.find(".experts.") != std::string::npos
                        ? elems * expertShare
                        : elems;
    cost.matmulParams += params;
    cost.paramsByDtype[dtype] += params;
    if (name.size() > 14 && name.compare(name.size() - 14, 14,
                                         "q_proj.weight") == 0)
      cost.qWidth += double(shape[0]);
  }
  cost.expertShare = expertShare;
  return cost;
}

/// The share of the routed experts a decode step of `batch` requests reads
/// if each token's top_k of E were drawn uniformly and independently,
/// 1 - (1 - top_k / E)^batch (an expectation: the real routes are the
/// router's, seeded random weights route about uniformly; a cuda step's
/// padding rows, at most one more expert set, are left out).
double expertsTouched(const ModelCost &cost, uint64_t batch) {
  return 1.0 - std::pow(1.0 - cost.expertShare, double(batch));
}

/// The weight bytes a decode step of `batch` requests reads: every weight
/// but the routed experts, and of those the share expertsTouched().
double decodeWeightBytes(const ModelCost &cost, uint64_t batch) {
  return cost.weightBytesAsRead - cost.expertBytes +
         cost.expertBytes * expertsTouched(cost, batch);
}

/// The FLOPs of a decode step of `batch` requests at `context` tokens: per
/// token 2 x matmul parameters (routed experts at top_k / E) and the LM head,
/// and attention's q.k and p.v over the context, 2 x 2 x context x q width.
double decodeFlops(const ModelCost &cost, uint64_t batch, uint64_t context) {
  return double(batch) * (2.0 * cost.matmulParams + 2.0 * cost.headParams +
                          4.0 * double(context) * cost.qWidth);
}

/// A decode step's roofline: the longer of its bytes at the memory
/// bandwidth and its FLOPs at the peak of the arithmetic its gemms run in.
/// Single requests are memory-bound everywhere; a host batch can be
/// compute-bound (B = 16 on the scaled-8B: about 6.2 GFLOP, 62 ms at a
/// 100 GFLOP/s f32 peak, against 15-25 ms of bytes at 20-30 GB/s).
struct DecodeLimit {
  double memoryS = 0, computeS = 0;
  double seconds() const { return std::max(memoryS, computeS); }
  bool computeBound() const { return computeS > memoryS; }
};

/// The model's max_position_embeddings.
uint64_t maxPositions(const nhc_artifact_t *artifact) {
  size_t length = 0;
  const char *text = nhc_artifact_manifest_json(artifact, &length);
  return Json::parse(text, text + length)[key::kModel]
                                         [key::kMaxPositionEmbeddings];
}

/// The GEMM peak a model's body gemms reach on the device together: their
/// FLOPs over the time each matrix's FLOPs take at the peak of its
/// arithmetic (the dtype the device holds it in), and each arithmetic's
/// share of the FLOPs. The LM head's and attention's FLOPs (small next to
/// 2 x L x body parameters) are judged by the same peak.
struct GemmMix {
  double peak = 0;
  Json shares = Json::object(); // "bf16": fraction of the parameters, ...
  std::string label;            // "e4m3 81%, bf16 19%"
};
GemmMix gemmMix(const ModelCost &cost, const nhc::bench::DeviceLimits &device) {
  GemmMix mix;
  double params = 0, seconds = 0;
  for (const auto &[dtype, count] : cost.paramsByDtype)
    params += count;
  for (const auto &[dtype, count] : cost.paramsByDtype) {
    double peak = dtype == NHC_DTYPE_BF16      ? device.bf16GemmFlopsPerS
                  : dtype == NHC_DTYPE_F8_E4M3 ? device.e4m3GemmFlopsPerS
                                               : device.f32GemmFlopsPerS;
    if (peak <= 0)
      throw std::runtime_error(std::string("no ") + nhc_dtype_name(dtype) +
                               " GEMM peak measured on this device");
    seconds += count / peak;
    const char *name = dtype == NHC_DTYPE_BF16      ? "bf16"
                       : dtype == NHC_DTYPE_F8_E4M3 ? "e4m3"
                                                    : "f32";
    mix.shares[name] = count / params;
    char part[32];
    std::snprintf(part, sizeof(part), "%s%s %.0f%%", mix.label.empty() ? "" : ", ",
                  name, 100 * count / params);
    mix.label += part;
  }
  mix.peak = params / seconds;
  return mix;
}

/// One request's state: bytes of its fixed tensors (conv and SSM state) and
/// of one token's rows of its sequence tensors (KV caches).
struct StateSizes {
  double fixedBytes = 0, bytesPerToken = 0;
  /// The KV caches' dtype (F32, or BF16 from nhc compile
  /// --kv-cache-dtype=bf16); "none" without attention layers, "mixed" for
  /// caches of several dtypes.
  std::string kvCacheDtype = "none";
  /// The Mamba layers' SSM states' dtype (`layers.L.ssm_state`,
  /// docs/artifact-format.md: F32, or BF16 from nhc compile
  /// --ssm-state-dtype=bf16); "none" without Mamba layers.
  std::string ssmStateDtype = "none";

  /// Bytes one request moves per decode step at `context` tokens (the
  /// decode row of docs/benchmarks.md, as a decode step's roofline counts
  /// them): the fixed state read and written back, `context` rows of the KV
  /// caches read and the new token's row written.
  double movedPerDecodeStep(uint64_t context) const {
    return 2 * fixedBytes + bytesPerToken * (double(context) + 1);
  }
};

StateSizes stateSizes(nhc_session_t *session) {
  const nhc_state_pool_t *pool = nhc_session_state_pool(session);
  StateSizes sizes;
  for (uint32_t i = 0; i < nhc_state_pool_tensor_count(pool); ++i) {
    nhc_state_tensor_info_t tensor;
    check(nhc_state_pool_tensor_info(pool, i, &tensor), "state tensor info");
    (tensor.per_token ? sizes.bytesPerToken : sizes.fixedBytes) +=
        tensor.per_token ? double(tensor.token_stride) : double(tensor.bytes);
    // The dtype of one kind of tensor over every layer: "mixed" where
    // they differ.
    auto fold = [](std::string &kind, const std::string &dtype) {
      kind = kind == "none" || kind == dtype ? dtype : "mixed";
    };
    if (tensor.per_token)
      fold(sizes.kvCacheDtype, nhc_dtype_name(tensor.dtype));
    else if (nhc::isSsmStateName(tensor.name))
      fold(sizes.ssmStateDtype, nhc_dtype_name(tensor.dtype));
  }
  return sizes;
}

std::vector<int32_t> randomIds(uint64_t n, uint64_t vocab, std::mt19937 &rng) {
  std::vector<int32_t> ids(n);
  for (int32_t &id : ids)
    id = static_cast<int32_t>(rng() % vocab);
  return ids;
}

/// Prefills `slot` to `tokens` tokens in steps of at most 512.
void fill(nhc_session_t *session, uint32_t slot, uint64_t tokens,
          uint64_t vocab, std::mt19937 &rng, std::vector<float> &logits) {
  for (uint64_t done = 0; done < tokens;) {
    uint64_t n = std::min<uint64_t>(512, tokens - done);
    std::vector<int32_t> ids = randomIds(n, vocab, rng);
    nhc_request_t request{slot, ids.data(), n};
    check(nhc_session_step(session, &request, 1, NHC_LOGITS_LAST,
                           logits.data(), logits.size()),
          "prefill");
    done += n;
  }
}

/// The state blob of one request after `tokens` random prompt tokens.
std::vector<uint8_t> prefilledState(nhc_session_t *session, uint64_t tokens,
                                    uint64_t vocab, std::mt19937 &rng,
                                    std::vector<float> &logits) {
  uint32_t slot;
  check(nhc_session_claim(session, &slot), "claim");
  fill(session, slot, tokens, vocab, rng, logits);
  size_t size = 0;
  check(nhc_session_save_request(session, slot, nullptr, 0, &size),
        "size the state blob");
  std::vector<uint8_t> blob(size);
  check(nhc_session_save_request(session, slot, blob.data(), blob.size(),
                                 &size),
        "save the state blob");
  check(nhc_session_release_slot(session, slot), "release");
  return blob;
}

double peakRssBytes() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) * 1024;
}

/// --write-weights: the seeded random checkpoint of the artifact's shapes.
int writeWeights(const Options &o) {
  nhc_artifact_t *artifact = nullptr;
  check(nhc_artifact_load(o.model.c_str(), &artifact), "load artifact");
  uint64_t bytes = 0;
  try {
    bytes = nhc::bench::writeRandomCheckpoint(nhc_artifact_manifest(artifact),
                                              o.writeWeights, o.seed,
                                              o.storage);
  } catch (...) {
    nhc_artifact_release(artifact);
    throw;
  }
  nhc_artifact_release(artifact);
  std::printf("nhc-bench: wrote %llu bytes of %s weights (seed %llu) to %s\n",
              static_cast<unsigned long long>(bytes), nhc_dtype_name(o.storage),
              static_cast<unsigned long long>(o.seed), o.writeWeights.c_str());
  return 0;
}

/// Refuses an output (--json, --write-weights) that names an input (the
/// artifact, the checkpoint's files and, once opened, every shard) or the
/// other output, before anything runs or is written.
void checkOutputs(const Options &o, const nhc_weights_t *weights) {
  std::set<std::string> inputs = {o.model};
  nhc::tools::addCheckpointFiles(o.weights, inputs);
  nhc::tools::addTensorFiles(weights, inputs);
  std::string error;
  if (!nhc::tools::checkOutputs({{"--write-weights", o.writeWeights},
                                 {"--json", o.json}},
                                inputs, error))
    throw std::runtime_error(error);
}

int run(const Options &o) {
  checkOutputs(o, nullptr);
  if (!o.writeWeights.empty()) {
    // Random weights over a file that exists (often a real checkpoint's
    // model.safetensors) would destroy it: the user removes it first.
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::symlink_status(o.writeWeights, ec)))
      throw std::runtime_error("--write-weights: '" + o.writeWeights +
                               "' exists; nhc-bench never replaces a file "
                               "with random weights (remove it first)");
    return writeWeights(o);
  }
  Json report;
  const bool cuda = o.backend == "cuda";
  report["backend"] = o.backend;
  report["smoke"] = o.smoke; // tiny sizes: checks the output, not the speed
  nhc::bench::MachineLimits limits;
  nhc::bench::DeviceLimits device;
  if (cuda) {
    device = nhc::bench::measureCudaDevice(o.smoke ? (1ull << 20) : (1ull << 30),
                                           o.smoke ? 64 : 8192);
    report["device"] = {{"name", device.name},
                        {"sm", device.sm},
                        {"memory_bytes_per_s", device.memoryBytesPerS},
                        {"bf16_gemm_flops_per_s", device.bf16GemmFlopsPerS},
                        {"e4m3_gemm_flops_per_s", device.e4m3GemmFlopsPerS},
                        {"f32_gemm_flops_per_s", device.f32GemmFlopsPerS},
                        {"copy_bytes", device.copyBytes},
                        {"gemm_n", device.gemmN}};
    std::printf("device %s (sm_%d): memory %.1f GB/s, GEMM e4m3 %.1f / bf16 "
                "%.1f / f32 %.1f TFLOP/s\n",
                device.name.c_str(), device.sm, device.memoryBytesPerS / 1e9,
                device.e4m3GemmFlopsPerS / 1e12,
                device.bf16GemmFlopsPerS / 1e12,
                device.f32GemmFlopsPerS / 1e12);
  } else {
    limits = nhc::bench::measureMachine(o.smoke ? (32ull << 20) : (1ull << 30),
                                        o.smoke ? 128 : 1024);
    report["machine"] = {{"cpu", limits.cpu},
                         {"threads", limits.threads},
                         {"dram_read_bytes_per_s", limits.dramBytesPerS},
                         {"sgemm_flops_per_s", limits.gemmFlopsPerS},
                         {"sgemm_n", limits.gemmN}};
  }

  nhc_artifact_t *artifact = nullptr;
  nhc_weights_t *weights = nullptr;
  nhc_session_t *session = nullptr;
  struct Cleanup {
    nhc_artifact_t *&a;
    nhc_weights_t *&w;
    nhc_session_t *&s;
    ~Cleanup() {
      nhc_session_release(s);
      nhc_weights_release(w);
      nhc_artifact_release(a);
    }
  } cleanup{artifact, weights, session};

  ModelCost cost;
  uint64_t maxBatch = *std::max_element(o.batches.begin(), o.batches.end());
  uint64_t longest = std::max(
      *std::max_element(o.prefill.begin(), o.prefill.end()),
      *std::max_element(o.contexts.begin(), o.contexts.end()));
  Clock::time_point coldStart = Clock::now();
  check(nhc_artifact_load(o.model.c_str(), &artifact), "load artifact");
  // --random-weights: no file; the session generates what it binds (a cuda
  // session its matrices on the device), inside the cold start.
  if (o.randomWeights) {
    check(nhc_weights_synthetic(nhc_artifact_manifest(artifact), o.seed,
                                o.storage, &weights),
          "synthetic weights");
    report["random_weights"] = {{"storage", nhc_dtype_name(o.storage)},
                                {"seed", o.seed}};
  } else {
    check(nhc_weights_open(o.weights.c_str(), &weights), "open weights");
    checkOutputs(o, weights); // now with the shards an index names
  }
  uint64_t maxSeqLen = std::min<uint64_t>(longest, maxPositions(artifact));
  nhc_session_options_t sessionOptions{};
  sessionOptions.max_slots = static_cast<uint32_t>(maxBatch);
  sessionOptions.max_seq_len = maxSeqLen;
  sessionOptions.gemm_precision = o.precision;
  sessionOptions.backend = o.backend.c_str();
  check(nhc_session_create_ex(artifact, weights, &sessionOptions, &session),
        "create session");
  double coldStartS = seconds(coldStart);
  nhc_session_info_t info;
  check(nhc_session_get_info(session, &info), "session info");
  for (size_t i = 0; i < nhc_session_note_count(session); ++i)
    std::printf("note: %s\n", nhc_session_note_at(session, i));
  cost = modelCost(artifact, session);
  // Prefill is judged against the peak of the arithmetic it runs in. On
  // cuda each matrix's product runs in the dtype the device holds it in:
  // the limit is the time the FLOPs would take at each product's peak.
  double gemmPeak = limits.gemmFlopsPerS;
  std::string peakName = "f32 GEMM peak";
  const char *peakKey = "sgemm_flops_per_s";
  if (cuda) {
    GemmMix mix = gemmMix(cost, device);
    gemmPeak = mix.peak;
    peakName = "GEMM peak (" + mix.label + ")";
    peakKey = "device.gemm_flops_per_s";
    report["device"]["gemm_flops_per_s"] = mix.peak;
    report["device"]["gemm_mix"] = mix.shares;
  } else if (info.gemm_precision == NHC_GEMM_PRECISION_BF16) {
    gemmPeak = nhc::bench::measureBf16GemmPeak(limits.gemmN, limits.threads);
    report["machine"]["bf16_gemm_flops_per_s"] = gemmPeak;
    peakName = "bf16 GEMM peak";
    peakKey = "bf16_gemm_flops_per_s";
  }
  const double memoryBytesPerS =
      cuda ? device.memoryBytesPerS : limits.dramBytesPerS;
  const char *memoryName = cuda ? "device memory" : "DRAM";
  const char *memoryKey =
      cuda ? "device.memory_bytes_per_s" : "dram_read_bytes_per_s";
  report["decode_output"] = o.decodeOutput;
  report["prefill_output"] = o.prefillOutput;
  report["gemm_precision"] = {
      {"requested", nhc_gemm_precision_name(o.precision)},
      {"in_effect", nhc_gemm_precision_name(info.gemm_precision)},
      {"gemv_max_rows", NHC_GEMV_MAX_ROWS}};
  const StateSizes state = stateSizes(session);
  // --profile: the timed steps' time per operation, printed after the table.
  std::unique_ptr<nhc::bench::StepProfile> profile;
  std::vector<std::pair<std::string, Json>> profiles;
  nhc::bench::GemmRoofline roofline;
  if (o.profile) {
    size_t length = 0;
    const char *text = nhc_artifact_manifest_json(artifact, &length);
    profile = std::make_unique<nhc::bench::StepProfile>(
        Json::parse(text, text + length), session);
    if (cuda) {
      roofline.device = true;
      roofline.memoryBytesPerS = device.memoryBytesPerS;
      roofline.f32FlopsPerS = device.f32GemmFlopsPerS;
      roofline.bf16FlopsPerS = device.bf16GemmFlopsPerS;
      roofline.e4m3FlopsPerS = device.e4m3GemmFlopsPerS;
    } else {
      roofline.memoryBytesPerS = limits.dramBytesPerS;
      roofline.f32FlopsPerS = limits.gemmFlopsPerS;
      if (info.gemm_precision == NHC_GEMM_PRECISION_BF16)
        roofline.bf16FlopsPerS = gemmPeak;
    }
  }
  report["model"] = {{"artifact", o.model},
                     {"layer_pattern", cost.pattern},
                     {"hidden_size", cost.hidden},
                     {"vocab_size", cost.vocab},
                     {"matmul_params_per_token", cost.matmulParams},
                     {"weight_bytes_as_read", cost.weightBytesAsRead},
                     {"routed_expert_bytes", cost.expertBytes},
                     {"routed_expert_share", cost.expertShare},
                     {"state_fixed_bytes_per_request", state.fixedBytes},
                     {"state_bytes_per_token", state.bytesPerToken},
                     {"kv_cache_dtype", state.kvCacheDtype},
                     {"ssm_state_dtype", state.ssmStateDtype}};
  report["cold_start_s"] = coldStartS;

  std::mt19937 rng(static_cast<uint32_t>(o.seed));
  std::vector<float> logits(maxBatch * cost.vocab);
  Json results = Json::array();
  // Above the table: what the run was asked to switch.
  const std::map<std::string, std::string> environment = nhcEnvironment();
  report["environment"] = environment;
  for (const auto &[name, setting] : environment)
    std::printf("environment %s=%s\n", name.c_str(), setting.c_str());
  std::printf("%-8s %-22s %12s %10s  %s\n", "phase", "shape", "tok/s",
              "of limit", "limit");

  double firstTokenS = 0;
  for (uint64_t length : o.prefill) {
    if (length > maxSeqLen) {
      std::printf("prefill  %-22s %12s\n",
                  ("L=" + std::to_string(length)).c_str(),
                  "skipped (max_position_embeddings)");
      continue;
    }
    // A prompt of `length` tokens as one request, twice: the first run is
    // the shape's first use (buffer growth, cuBLASLt plans, oneDNN
    // primitives) and untimed for throughput; the second is timed, and its
    // step is the prompt's time to first token (TTFT, warm).
    std::vector<int32_t> ids = randomIds(length, cost.vocab, rng);
    // With logprobs: row t's of prompt token t + 1, the last row's of the
    // greedy first token.
    const bool everyRow = o.prefillOutput == "logprobs";
    std::vector<int32_t> nextIds;
    std::vector<nhc_token_logprob_t> entries;
    if (everyRow) {
      nextIds.assign(ids.begin() + 1, ids.end());
      nextIds.push_back(NHC_LOGPROB_ID_PICKED);
      entries.resize(2 * length);
    }
    int32_t firstToken = -1;
    auto prefill = [&] {
      uint32_t slot;
      check(nhc_session_claim(session, &slot), "claim");
      nhc_request_t request{slot, ids.data(), length};
      nhc_step_options_t options{};
      options.logits_mode = everyRow ? NHC_LOGITS_ALL : NHC_LOGITS_LAST;
      if (everyRow) {
        options.greedy_ids = &firstToken;
        options.num_greedy_ids = 1;
        options.logprobs = entries.data();
        options.num_logprobs = entries.size();
        options.top_logprobs = 1;
        options.logprob_ids = nextIds.data();
        options.num_logprob_ids = nextIds.size();
      }
      if (profile) // prefill steps are never replayed: time the timed one
        profile->arm(options);
      Clock::time_point start = Clock::now();
      check(nhc_session_step_ex(session, &request, 1, &options,
                                everyRow ? nullptr : logits.data(),
                                everyRow ? 0 : logits.size()),
            "prefill");
      double s = seconds(start);
      if (profile)
        profile->stepEnded();
      check(nhc_session_release_slot(session, slot), "release");
      return s;
    };
    const double firstUseS = prefill();
    if (firstTokenS == 0) // cold start to the first prompt's logits
      firstTokenS = coldStartS + firstUseS;
    if (profile)
      profile->reset();
    const double s = prefill();
    // The head runs over every row with logprobs.
    double flops = 2.0 * length * cost.matmulParams +
                   2.0 * (everyRow ? length : 1) * cost.headParams +
                   2.0 * double(length) * double(length) * cost.qWidth;
    double fraction = flops / s / gemmPeak;
    std::printf("prefill  %-22s %12.1f %9.1f%%  %s %.1f GFLOP/s; TTFT %.1f ms\n",
                ("L=" + std::to_string(length)).c_str(), length / s,
                100 * fraction, peakName.c_str(), gemmPeak / 1e9, 1e3 * s);
    results.push_back({{"phase", "prefill"},
                       {"tokens", length},
                       {"seconds", s},
                       {"ttft_s", s},
                       {"first_use_seconds", firstUseS},
                       {"tokens_per_s", length / s},
                       {"flops", flops},
                       {"fraction_of_limit", fraction},
                       {"limit", peakKey}});
    if (profile) {
      results.back()["profile"] = profile->summary(length, 1, s, roofline);
      results.back()["profile"]["of_timed_steps"] = true;
      profiles.emplace_back("prefill L=" + std::to_string(length),
                            results.back()["profile"]);
    }
  }

  for (uint64_t context : o.contexts) {
    // The steps end at the context: a model of 8192 positions decodes at 8k.
    if (context > maxSeqLen || context <= o.decodeSteps) {
      std::printf("decode   %-22s %12s\n",
                  ("ctx=" + std::to_string(context)).c_str(),
                  context > maxSeqLen ? "skipped (max_position_embeddings)"
                                      : "skipped (not past --decode-steps)");
      continue;
    }
    // One request prefilled to the context less the steps, saved as a state
    // blob and restored into every slot of a batch: one long prefill per
    // context, not one per request.
    std::vector<uint8_t> blob = prefilledState(
        session, context - o.decodeSteps, cost.vocab, rng, logits);
    for (uint64_t batch : o.batches) {
      std::vector<uint32_t> slots(batch);
      std::vector<int32_t> tokens(batch);
      std::vector<nhc_request_t> requests(batch);
      std::vector<int32_t> greedy(batch);
      const bool idsOnly = o.decodeOutput != "logits";
      nhc_sampling_t sampled{};
      sampled.temperature = 0.8f;
      sampled.top_p = 0.95f;
      std::vector<nhc_sampling_t> rules(batch, sampled);
      const bool withLogprobs = o.decodeOutput == "logprobs";
      std::vector<nhc_token_logprob_t> entries(
          withLogprobs ? batch * (1 + NHC_MAX_TOP_LOGPROBS) : 0);
      auto restore = [&] {
        for (uint32_t &slot : slots)
          check(nhc_session_restore_request(session, blob.data(), blob.size(),
                                            &slot),
                "restore");
      };
      // `profiled`: each step's entries timed (on cuda: not replayed).
      auto decode = [&](uint64_t steps, bool profiled) {
        for (uint64_t step = 0; step < steps; ++step) {
          for (uint64_t r = 0; r < batch; ++r) {
            tokens[r] = static_cast<int32_t>(rng() % cost.vocab);
            requests[r] = {slots[r], &tokens[r], 1};
          }
          nhc_step_options_t output{};
          output.logits_mode = NHC_LOGITS_LAST;
          if (idsOnly) {
            output.greedy_ids = greedy.data();
            output.num_greedy_ids = batch;
          }
          if (o.decodeOutput == "sampled" || withLogprobs) {
            for (nhc_sampling_t &rule : rules)
              rule.uniform = double(rng()) * 0x1.0p-32; // [0, 1)
            output.sampling = rules.data();
            output.num_sampling = batch;
          }
          if (withLogprobs) {
            output.logprobs = entries.data();
            output.num_logprobs = entries.size();
            output.top_logprobs = NHC_MAX_TOP_LOGPROBS;
          }
          if (profiled)
            profile->arm(output);
          check(nhc_session_step_ex(session, requests.data(), batch, &output,
                                    idsOnly ? nullptr : logits.data(),
                                    idsOnly ? 0 : logits.size()),
                "decode");
          if (profiled)
            profile->stepEnded();
        }
      };
      // The requests restored, `steps` decode steps timed, the slots
      // released: every pass starts from the same context.
      auto pass = [&](uint64_t steps, bool profiled) {
        restore();
        Clock::time_point start = Clock::now();
        decode(steps, profiled);
        double s = seconds(start);
        for (uint32_t slot : slots)
          check(nhc_session_release_slot(session, slot), "release");
        return s;
      };
      // Two untimed steps first (first use of the shape: cuBLASLt plans,
      // oneDNN primitives, the cuda backend's graph recording), then the
      // timed steps.
      pass(std::min<uint64_t>(2, o.decodeSteps), false);
      if (profile)
        profile->reset();
      // On the host timing entries changes nothing: the timed steps are
      // the profiled ones. On cuda it stops graph replay: more steps follow.
      const bool profileTimed = profile && !cuda;
      double s = pass(o.decodeSteps, profileTimed);
      double profiledStepS = s / o.decodeSteps;
      if (profile && !profileTimed) {
        // Unrecorded steps run the batch unpadded: a shape of its own,
        // whose first use (cuBLASLt plans) one untimed step takes.
        pass(1, true);
        profile->reset();
        profiledStepS = pass(o.decodeSteps, true) / o.decodeSteps;
      }
      // The KV caches hold context - steps .. context - 1 rows: the mean.
      const uint64_t meanContext = context - (o.decodeSteps + 1) / 2;
      double stateBytesPerStep =
          double(batch) * state.movedPerDecodeStep(meanContext);
      double bytesPerStep = decodeWeightBytes(cost, batch) + stateBytesPerStep;
      double flopsPerStep = decodeFlops(cost, batch, meanContext);
      // On the host a batch of up to NHC_GEMV_MAX_ROWS requests runs the
      // f32 GEMV kernels whatever the precision (session.h).
      const bool gemvF32 = !cuda && batch <= NHC_GEMV_MAX_ROWS;
      const double decodePeak = gemvF32 ? limits.gemmFlopsPerS : gemmPeak;
      const std::string decodePeakName =
          gemvF32 ? "f32 GEMM peak" : peakName;
      const DecodeLimit limit{bytesPerStep / memoryBytesPerS,
                              flopsPerStep / decodePeak};
      double stepS = s / o.decodeSteps;
      double fraction = limit.seconds() / stepS;
      std::string shape =
          "B=" + std::to_string(batch) + " ctx=" + std::to_string(context);
      if (limit.computeBound())
        std::printf("decode   %-22s %12.1f %9.1f%%  %s %.1f GFLOP/s "
                    "(compute-bound)\n",
                    shape.c_str(), batch * o.decodeSteps / s, 100 * fraction,
                    decodePeakName.c_str(), decodePeak / 1e9);
      else
        std::printf("decode   %-22s %12.1f %9.1f%%  %s %.1f GB/s\n",
                    shape.c_str(), batch * o.decodeSteps / s, 100 * fraction,
                    memoryName, memoryBytesPerS / 1e9);
      results.push_back({{"phase", "decode"},
                         {"batch", batch},
                         {"context", context},
                         {"steps", o.decodeSteps},
                         {"seconds", s},
                         {"tokens_per_s", batch * o.decodeSteps / s},
                         {"bytes_per_step", bytesPerStep},
                         {"weight_bytes_per_step", decodeWeightBytes(cost, batch)},
                         {"state_bytes_per_step", stateBytesPerStep},
                         {"routed_experts_read", expertsTouched(cost, batch)},
                         {"flops_per_step", flopsPerStep},
                         {"memory_limit_s", limit.memoryS},
                         {"compute_limit_s", limit.computeS},
                         {"fraction_of_limit", fraction},
                         {"limit", !limit.computeBound() ? memoryKey
                                   : gemvF32              ? "sgemm_flops_per_s"
                                                          : peakKey}});
      if (profile) {
        results.back()["profile"] =
            profile->summary(batch, batch, profiledStepS, roofline);
        results.back()["profile"]["of_timed_steps"] = profileTimed;
        profiles.emplace_back(
            "decode " + shape + (profileTimed ? "" : " (steps without graph replay)"),
            results.back()["profile"]);
      }
    }
  }
  if (results.empty()) // a report of nothing but the cold start is no benchmark
    throw std::runtime_error(
        "no row ran: every --prefill length and --context above was skipped "
        "(the model's max_position_embeddings is " +
        std::to_string(maxSeqLen) + ", --decode-steps " +
        std::to_string(o.decodeSteps) + ")");
  check(nhc_session_get_info(session, &info), "session info");
  report["results"] = results;
  report["memory"] = {{"peak_rss_bytes", peakRssBytes()},
                      {"state_bytes", info.state_bytes},
                      {"weight_f32_bytes", info.weight_f32_bytes},
                      {"scratch_bytes", info.scratch_bytes}};
  if (firstTokenS > 0)
    report["first_token_s"] = firstTokenS;
  report["format"] = "nhc-bench";
  report["version"] = 1;
  std::printf("cold start %.3f s (first token %.3f s); peak RSS %.1f MB "
              "(state %.1f MB, f32 weight copies %.1f MB)\n",
              coldStartS, firstTokenS, peakRssBytes() / 1e6,
              info.state_bytes / 1e6, info.weight_f32_bytes / 1e6);

  for (const auto &[title, summary] : profiles)
    nhc::bench::StepProfile::print(title, summary);
  if (!o.json.empty()) {
    std::string text = report.dump(2) + "\n";
    std::string error;
    if (!nhc::run::writeFileAtomically(
            o.json, std::vector<uint8_t>(text.begin(), text.end()), error))
      throw std::runtime_error(error);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0); // rows appear as they finish
  Options options;
  std::string error;
  if (argc == 2 && (std::string(argv[1]) == "--help" ||
                    std::string(argv[1]) == "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!parseOptions(argc, argv, options, error)) {
    std::fprintf(stderr, "nhc-bench: %s\n%s", error.c_str(), kUsage);
    return 2;
  }
  try {
    return run(options);
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "nhc-bench: error: out of memory\n");
  } catch (const std::exception &e) {
    std::fprintf(stderr, "nhc-bench: error: %s\n", e.what());
  }
  return 1;
}

//===- session_helpers.cpp - Executable test artifacts --------------------===//

#include "session_helpers.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <stdexcept>

#include "nhc/format/container.h"

namespace nhc::test {

ScopedEnv::ScopedEnv(const char *name, const char *value) : name_(name) {
  if (const char *old = std::getenv(name)) {
    hadValue_ = true;
    saved_ = old;
  }
  if (value)
    setenv(name, value, 1);
  else
    unsetenv(name);
}

ScopedEnv::~ScopedEnv() {
  if (hadValue_)
    setenv(name_.c_str(), saved_.c_str(), 1);
  else
    unsetenv(name_.c_str());
}

const Bytes &testKernelLibrary() {
  static const Bytes bytes = [] {
    Bytes b = readBytes(NHC_TEST_KERNELS_PATH);
    if (b.empty())
      throw std::runtime_error("cannot read " NHC_TEST_KERNELS_PATH);
    return b;
  }();
  return bytes;
}

nhc_status_t tryToyModelSession(const format::ContainerWriter &writer,
                                const std::string &fileName,
                                const char *backend) {
  TempDir dir;
  if (writer.writeFile(dir.file(fileName)).failed())
    return NHC_INTERNAL;
  toyModelWeights().write(dir.file("w.safetensors"));
  nhc_artifact_t *artifact = nullptr;
  nhc_weights_t *weights = nullptr;
  nhc_session_t *session = nullptr;
  nhc_status_t status = nhc_artifact_load(dir.file(fileName).c_str(), &artifact);
  if (status == NHC_OK)
    status = nhc_weights_open(dir.file("w.safetensors").c_str(), &weights);
  nhc_session_options_t options{};
  options.max_slots = 1;
  options.max_seq_len = 8;
  options.backend = backend;
  if (status == NHC_OK)
    status = nhc_session_create_ex(artifact, weights, &options, &session);
  nhc_session_release(session);
  nhc_weights_release(weights);
  nhc_artifact_release(artifact);
  return status;
}

Bytes buildExecutableArtifact(const Json &manifest, bool withKernels) {
  format::ContainerWriter writer;
  writer.setManifest(manifest.dump());
  if (withKernels) {
    const Bytes &so = testKernelLibrary();
    writer.addSection(
        NHC_SECTION_HOST_SHARED_LIBRARY, "host",
        std::string_view(reinterpret_cast<const char *>(so.data()),
                         so.size()));
  }
  std::string bytes;
  format::ContainerError error = writer.serialize(bytes);
  if (error.failed())
    throw std::runtime_error("serialize: " + error.message);
  return Bytes(bytes.begin(), bytes.end());
}

Json kernelSpec(const std::string &name) {
  static const std::map<std::string, std::vector<std::string>> params = {
      {"nhc_embedding", {"memref", "memref", "memref", "index", "index"}},
      {"nhc_test_rms_norm",
       {"memref", "memref", "memref", "index", "index", "f32"}},
      {"nhc_add", {"memref", "memref", "index"}},
      {"nhc_gather_last", {"memref", "memref", "memref", "index", "index"}},
      {"nhc_test_decay", {"memref", "memref", "memref", "index", "index"}},
      {"nhc_test_kv_mean",
       {"memref", "memref", "memref", "memref", "index", "index", "index"}},
      {"nhc_test_copy", {"memref", "memref", "index"}},
      {"nhc_test_route",
       {"memref", "memref", "memref", "index", "index", "index"}},
      {"nhc_test_probe", {"memref", "index", "f32", "memref"}},
  };
  auto it = params.find(name);
  if (it == params.end())
    throw std::runtime_error("test helper: no kernel " + name);
  return Json{{"name", name}, {"params", it->second}};
}

Json kernelTable(const std::vector<std::string> &names) {
  Json table = Json::array();
  for (const std::string &name : names)
    table.push_back(kernelSpec(name));
  return table;
}

Json bufferArg(const std::string &name) {
  return Json::object({{"buffer", name}});
}
Json weightArg(const std::string &name) {
  return Json::object({{"weight", name}});
}
Json stateArg(const std::string &name) {
  return Json::object({{"state", name}});
}
Json stateTensor(const std::string &name, int layer, const std::string &dtype,
                 Json shape) {
  return Json{
      {"name", name}, {"layer", layer}, {"dtype", dtype}, {"shape", shape}};
}
Json dimArg(const std::string &dim, int64_t times) {
  Json arg = Json::object({{"dim", dim}});
  if (times != 1)
    arg["times"] = times;
  return arg;
}
Json indexArg(int64_t value) { return Json::object({{"index", value}}); }
Json f32Arg(float value) { return Json::object({{"f32", value}}); }
Json requestsArg() { return Json::object({{"requests", true}}); }
Json tokenIdsArg() { return Json::object({{"token_ids", true}}); }
Json logitsArg() { return Json::object({{"logits", true}}); }
Json kernelCall(const std::string &name, Json args) {
  return Json{{"kernel", name}, {"args", std::move(args)}};
}
Json bufferSpec(const std::string &name, const std::string &per,
                uint64_t elems, const std::string &dtype) {
  return Json{{"name", name}, {"per", per}, {"elems", elems},
              {"dtype", dtype}};
}

Bytes f32Bytes(const std::vector<float> &values) {
  Bytes bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

Bytes bf16Bytes(const std::vector<float> &values) {
  Bytes bytes(values.size() * 2);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], 4);
    poke<uint16_t>(bytes, 2 * i, static_cast<uint16_t>(bits >> 16));
  }
  return bytes;
}

Bytes f16Bytes(const std::vector<float> &values) {
  Bytes bytes(values.size() * 2);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &values[i], 4);
    uint16_t half = static_cast<uint16_t>((bits >> 16) & 0x8000u);
    if (values[i] != 0.0f) { // normal f16 range only
      int exponent = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
      if (exponent <= 0 || exponent >= 31)
        throw std::runtime_error("test helper: value outside f16 range");
      half |= static_cast<uint16_t>(exponent << 10);
      half |= static_cast<uint16_t>((bits >> 13) & 0x3ff);
    }
    poke<uint16_t>(bytes, 2 * i, half);
  }
  return bytes;
}

std::vector<float> exactValues(size_t count, int seed) {
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i) {
    int k = static_cast<int>((i * 37 + static_cast<size_t>(seed) * 101 + 11) %
                             129) -
            64;
    values[i] = static_cast<float>(k) / 64.0f;
  }
  return values;
}

float bf16Truncate(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  bits &= 0xffff0000u;
  std::memcpy(&value, &bits, 4);
  return value;
}

Json baseManifest(uint64_t vocab, uint64_t hidden, uint32_t layers) {
  return Json{{"format", "nhc-manifest"},
              {"version", 1},
              {"model",
               {{"hidden_size", hidden},
                {"vocab_size", vocab},
                {"num_layers", layers},
                {"dtype", "BF16"},
                {"max_position_embeddings", 4096}}},
              {"weights", Json::array()},
              {"state", Json::array()},
              {"buffers", Json::array()},
              {"kernels", Json::array()},
              {"schedules",
               {{"body", Json::array()},
                {"head_last", Json::array()},
                {"head_all", Json::array()}}}};
}

void addWeight(Json &manifest, const std::string &name,
               const std::string &dtype, std::vector<uint64_t> shape) {
  manifest["weights"].push_back(
      {{"name", name}, {"dtype", dtype}, {"shape", shape}});
}

SessionFixture::~SessionFixture() {
  nhc_session_release(session);
  nhc_weights_release(weights);
  nhc_artifact_release(artifact);
}

nhc_status_t SessionFixture::open(const Json &manifest,
                                  const SafetensorsBuilder &checkpoint,
                                  uint32_t maxSlots, uint64_t maxSeqLen,
                                  bool withKernels, const char *backend,
                                  nhc_gemm_precision_t precision) {
  writeBytes(dir.file("model.nhc"),
             buildExecutableArtifact(manifest, withKernels));
  checkpoint.write(dir.file("model.safetensors"));
  nhc_status_t status =
      nhc_artifact_load(dir.file("model.nhc").c_str(), &artifact);
  if (status != NHC_OK)
    return status;
  status = nhc_weights_open(dir.file("model.safetensors").c_str(), &weights);
  if (status != NHC_OK)
    return status;
  nhc_session_options_t options{};
  options.max_slots = maxSlots;
  options.max_seq_len = maxSeqLen;
  options.backend = backend;
  options.gemm_precision = precision;
  return nhc_session_create_ex(artifact, weights, &options, &session);
}

// --- The toy model --------------------------------------------------------

namespace {

constexpr uint64_t V = kToyVocab, H = kToyHidden;
const char *const kEmbedding = "backbone.embeddings.weight";
const char *const kInProj = "backbone.layers.0.mixer.in_proj.weight";
const char *const kOProj = "backbone.layers.1.mixer.o_proj.weight";
const char *const kNorm = "backbone.norm_f.weight";
const char *const kLmHead = "lm_head.weight";
constexpr float kEps = 1e-5f;

std::vector<float> toyValues(const char *name) {
  std::string n = name;
  if (n == kEmbedding)
    return exactValues(V * H, 1);
  if (n == kInProj)
    return exactValues(H * H, 2);
  if (n == kOProj)
    return exactValues(H * H, 3);
  if (n == kNorm) {
    std::vector<float> w = exactValues(H, 4);
    for (float &x : w)
      x = 1.0f + 0.5f * x; // positive-ish scales
    return w;
  }
  return exactValues(V * H, 5); // lm_head
}

} // namespace

Json toyModelManifest() {
  Json m = baseManifest(V, H, 2);
  m["model"]["max_position_embeddings"] = 64;
  addWeight(m, kEmbedding, "F32", {V, H});
  addWeight(m, kInProj, "BF16", {H, H});
  addWeight(m, kOProj, "F16", {H, H});
  addWeight(m, kNorm, "F32", {H});
  addWeight(m, kLmHead, "BF16", {V, H});
  // Layer 0 keeps a decay state in its conv state, layer 1 a K cache.
  m["state"] = {
      stateTensor("layers.0.conv_state", 0, "F32", {H, 1}),
      stateTensor("layers.0.ssm_state", 0, "F32", {1, 1, H}),
      stateTensor("layers.1.k_cache", 1, "F32", {"max_seq_len", 1, H}),
      stateTensor("layers.1.v_cache", 1, "F32", {"max_seq_len", 1, H})};
  m["buffers"] = {bufferSpec("hidden", "token", H),
                  bufferSpec("mix", "token", H),
                  bufferSpec("attn", "token", H),
                  bufferSpec("normed", "token", H),
                  bufferSpec("last", "request", H),
                  bufferSpec("normed_last", "request", H)};
  m["kernels"] =
      kernelTable({"nhc_embedding", "nhc_test_rms_norm", "nhc_add",
                   "nhc_gather_last", "nhc_test_decay", "nhc_test_kv_mean"});
  auto gemm = [&](const char *a, const char *w, const char *c, uint64_t n,
                  bool accumulate, const char *m = "tokens") {
    return Json{{"library", "gemm"}, {"a", a},       {"a_offset", 0},
                {"lda", H},          {"w", w},       {"c", c},
                {"c_offset", 0},     {"ldc", n},     {"n", n},
                {"k", H},            {"accumulate", accumulate},
                {"m", m}};
  };
  m["schedules"]["body"] = {
      kernelCall("nhc_embedding", {tokenIdsArg(), weightArg(kEmbedding),
                                   bufferArg("hidden"), dimArg("tokens"),
                                   indexArg(H)}),
      kernelCall("nhc_test_decay",
                 {bufferArg("hidden"), stateArg("layers.0.conv_state"),
                  requestsArg(), dimArg("requests"), indexArg(H)}),
      gemm("hidden", kInProj, "mix", H, false),
      kernelCall("nhc_test_kv_mean",
                 {bufferArg("mix"), stateArg("layers.1.k_cache"), requestsArg(),
                  bufferArg("attn"), dimArg("requests"), indexArg(H),
                  dimArg("max_seq_len")}),
      gemm("attn", kOProj, "hidden", H, true),
      kernelCall("nhc_add", {bufferArg("hidden"), bufferArg("mix"),
                             dimArg("tokens", H)}),
  };
  m["schedules"]["head_last"] = {
      kernelCall("nhc_gather_last",
                 {bufferArg("hidden"), requestsArg(), bufferArg("last"),
                  dimArg("requests"), indexArg(H)}),
      kernelCall("nhc_test_rms_norm",
                 {bufferArg("last"), weightArg(kNorm),
                  bufferArg("normed_last"), dimArg("requests"), indexArg(H),
                  f32Arg(kEps)}),
      gemm("normed_last", kLmHead, "logits", V, false, "requests"),
  };
  m["schedules"]["head_all"] = {
      kernelCall("nhc_test_rms_norm",
                 {bufferArg("hidden"), weightArg(kNorm), bufferArg("normed"),
                  dimArg("tokens"), indexArg(H), f32Arg(kEps)}),
      gemm("normed", kLmHead, "logits", V, false),
  };
  return m;
}

SafetensorsBuilder toyModelWeights(int32_t nanToken, int32_t nanHeadRow) {
  // The values of `name` [V, H] with row `row` NaN (none when row < 0).
  auto withNanRow = [](const char *name, int32_t row) {
    std::vector<float> values = toyValues(name);
    if (row >= 0)
      std::fill(values.begin() + row * H, values.begin() + (row + 1) * H,
                std::numeric_limits<float>::quiet_NaN());
    return values;
  };
  SafetensorsBuilder b;
  b.add(kEmbedding, "F32", {V, H}, f32Bytes(withNanRow(kEmbedding, nanToken)));
  b.add(kInProj, "BF16", {H, H}, bf16Bytes(toyValues(kInProj)));
  b.add(kOProj, "F16", {H, H}, f16Bytes(toyValues(kOProj)));
  b.add(kNorm, "F32", {H}, f32Bytes(toyValues(kNorm)));
  b.add(kLmHead, "BF16", {V, H}, bf16Bytes(withNanRow(kLmHead, nanHeadRow)));
  return b;
}

std::vector<std::vector<float>> toyReferenceLogits(
    const std::vector<int32_t> &tokens) {
  const std::vector<float> emb = toyValues(kEmbedding),
                           inProj = toyValues(kInProj),
                           oProj = toyValues(kOProj), norm = toyValues(kNorm),
                           lmHead = toyValues(kLmHead);
  // y = W x for W [rows, H].
  auto matvec = [](const std::vector<float> &w, const std::vector<float> &x,
                   size_t rows) {
    std::vector<float> y(rows, 0.0f);
    for (size_t i = 0; i < rows; ++i)
      for (size_t j = 0; j < x.size(); ++j)
        y[i] += w[i * x.size() + j] * x[j];
    return y;
  };
  std::vector<float> state(H, 0.0f);
  std::vector<std::vector<float>> cache, logits;
  for (int32_t id : tokens) {
    std::vector<float> h(emb.begin() + id * H, emb.begin() + (id + 1) * H);
    for (size_t j = 0; j < H; ++j)
      h[j] = state[j] = 0.5f * state[j] + h[j];
    std::vector<float> mix = matvec(inProj, h, H);
    cache.push_back(mix);
    std::vector<float> attn(H, 0.0f);
    for (const auto &row : cache)
      for (size_t j = 0; j < H; ++j)
        attn[j] += row[j] / static_cast<float>(cache.size());
    std::vector<float> o = matvec(oProj, attn, H);
    for (size_t j = 0; j < H; ++j)
      h[j] += o[j] + mix[j];
    float sum = 0.0f;
    for (float x : h)
      sum += x * x;
    float inv = 1.0f / std::sqrt(sum / H + kEps);
    std::vector<float> normed(H);
    for (size_t j = 0; j < H; ++j)
      normed[j] = norm[j] * h[j] * inv;
    logits.push_back(matvec(lmHead, normed, V));
  }
  return logits;
}

} // namespace nhc::test

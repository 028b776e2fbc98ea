//===- step_fuzzer.cpp - a step's options from strangers -------------------===//
//
// The input is a step: its mode, requests (slots, token ids, lengths) and
// every option a caller passes with it (greedy ids, sampling rules, logit
// edits, logprobs and their ids, NHC_LOGPROB_ID_PICKED included), each
// array exactly as long as the count the caller declares, run on a fixed
// kernel-free model (an embedding and a head gemm; token 39's embedding row
// NaN, so rows holding NaN occur). A refused step names why and leaves every
// slot as it was; a step that runs advances each request's slot by its
// tokens, its greedy ids are the rows' argmax (or the NaN code), and its
// rows stay readable (nhc_session_last_logits_row) where it wrote none.
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "FuzzUtil.h"
#include "nhc/format/container.h"
#include "nhc/runtime/api.h"

namespace {

constexpr uint32_t kVocab = 40;
constexpr uint32_t kHidden = 4;
constexpr uint32_t kSlots = 4;
constexpr uint32_t kMaxSeqLen = 16;
constexpr int32_t kNanToken = 39; // its embedding row is NaN

/// The input's bytes in order, zeros once they run out.
struct Reader {
  const uint8_t *data;
  size_t size, at = 0;
  uint8_t u8() { return at < size ? data[at++] : 0; }
  /// An id in [0, kVocab + 2), or 50 below it (negative) one time in 8.
  int32_t id() {
    const int32_t value = int32_t(u8() % (kVocab + 2));
    return u8() % 8 == 7 ? value - 50 : value;
  }
  template <typename T, size_t N> T pick(const T (&table)[N]) {
    return table[u8() % N];
  }
};

/// A finding: says which invariant broke, then aborts.
[[noreturn]] void fail(const char *why) {
  std::fprintf(stderr, "step fuzzer: %s\n", why);
  std::abort();
}

std::string manifestText() {
  nlohmann::json m = {
      {"format", "nhc-manifest"},
      {"version", 1},
      {"model",
       {{"hidden_size", kHidden},
        {"vocab_size", kVocab},
        {"num_layers", 1},
        {"dtype", "F32"},
        {"max_position_embeddings", kMaxSeqLen}}},
      {"weights",
       {{{"name", "e"}, {"dtype", "F32"}, {"shape", {kVocab, kHidden}}},
        {{"name", "w"}, {"dtype", "F32"}, {"shape", {kVocab, kHidden}}}}},
      {"state", nlohmann::json::array()},
      {"buffers",
       {{{"name", "x"}, {"per", "token"}, {"elems", kHidden}, {"dtype", "f32"}}}},
      {"kernels", nlohmann::json::array()}};
  auto head = [](const char *m) {
    return nlohmann::json{{"library", "gemm"}, {"a", "x"},     {"lda", kHidden},
                          {"c", "logits"},     {"ldc", kVocab}, {"n", kVocab},
                          {"k", kHidden},      {"w", "w"},     {"m", m}};
  };
  m["schedules"] = {{"body",
                     {{{"library", "embedding"},
                       {"table", "e"},
                       {"output", "x"},
                       {"hidden", kHidden}}}},
                    {"head_last", {head("requests")}},
                    {"head_all", {head("tokens")}}};
  return m.dump();
}

/// The embedding and head matrices: small values with ties (rounded to
/// quarters), token 39's embedding row NaN.
std::vector<uint8_t> checkpoint() {
  std::vector<float> values;
  for (uint32_t i = 0; i < 2 * kVocab * kHidden; ++i)
    values.push_back(std::round(4.0f * std::sin(0.37f * float(i * i))) / 4.0f);
  for (uint32_t c = 0; c < kHidden; ++c)
    values[kNanToken * kHidden + c] = std::numeric_limits<float>::quiet_NaN();
  const uint64_t bytes = kVocab * kHidden * sizeof(float);
  nlohmann::json header = {
      {"e", {{"dtype", "F32"}, {"shape", {kVocab, kHidden}},
             {"data_offsets", {0, bytes}}}},
      {"w", {{"dtype", "F32"}, {"shape", {kVocab, kHidden}},
             {"data_offsets", {bytes, 2 * bytes}}}}};
  return nhc::fuzz::safetensorsFile(header.dump(), values.data(),
                                    values.size() * sizeof(float));
}

/// The fixed model's session, released at exit (before the leak check).
struct Model {
  nhc_artifact_t *artifact = nullptr;
  nhc_weights_t *weights = nullptr;
  nhc_session_t *session = nullptr;
  Model() {
    nhc::format::ContainerWriter writer;
    const std::string manifest = manifestText();
    writer.setManifest(manifest);
    std::string bytes;
    if (writer.serialize(bytes).failed())
      fail("the fixed artifact does not serialize");
    const std::vector<uint8_t> file = checkpoint();
    const std::string artifactPath =
        nhc::fuzz::writeScratch("step.nhc", bytes.data(), bytes.size());
    const std::string weightsPath =
        nhc::fuzz::writeScratch("step.safetensors", file.data(), file.size());
    if (nhc_artifact_load(artifactPath.c_str(), &artifact) != NHC_OK ||
        nhc_weights_open(weightsPath.c_str(), &weights) != NHC_OK ||
        nhc_session_create(artifact, weights, kSlots, kMaxSeqLen, &session) !=
            NHC_OK)
      fail("the fixed model does not open");
  }
  ~Model() {
    nhc_session_release(session);
    nhc_weights_release(weights);
    nhc_artifact_release(artifact);
  }
};

nhc_session_t *session() {
  static Model model;
  return model.session;
}

/// nhc_step_options_t.greedy_ids' rule: the first largest logit, or -1
/// minus the first NaN's index.
int32_t greedyOf(const float *row) {
  int32_t best = 0;
  for (uint32_t i = 0; i < kVocab; ++i) {
    if (std::isnan(row[i]))
      return -1 - int32_t(i);
    if (row[i] > row[best])
      best = int32_t(i);
  }
  return best;
}

const float kFloats[] = {0.0f, 1.0f, -2.5f, 0.7f, 80.0f,
                         std::numeric_limits<float>::quiet_NaN(),
                         std::numeric_limits<float>::infinity()};
const float kUnit[] = {1.0f, 0.5f, 0.0f, 0.9f, 1.5f, -0.1f,
                       std::numeric_limits<float>::quiet_NaN()};
const double kDraws[] = {0.0, 0.3, 0.999999, 1.0, -0.1,
                         std::numeric_limits<double>::quiet_NaN()};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nhc_session_t *s = session();
  Reader in{data, size};
  for (uint32_t slot = 0; slot < kSlots; ++slot) // every slot fresh
    nhc_session_release_slot(s, slot);
  uint32_t claimed = 0;
  for (uint32_t k = 0; k < kSlots; ++k)
    if (nhc_session_claim(s, &claimed) != NHC_OK)
      fail("a released slot cannot be claimed");
  // Each slot's history first (a step of its own), as later steps see it.
  for (uint32_t slot = 0; slot < kSlots; ++slot) {
    std::vector<int32_t> history(in.u8() % 6, 1 + int32_t(slot));
    if (history.empty())
      continue;
    nhc_request_t prefill{slot, history.data(), history.size()};
    std::vector<float> logits(kVocab);
    if (nhc_session_step(s, &prefill, 1, NHC_LOGITS_LAST, logits.data(),
                         logits.size()) != NHC_OK)
      fail("a slot's history step failed");
  }

  nhc_step_options_t options{};
  const uint32_t modes[] = {NHC_LOGITS_LAST, NHC_LOGITS_ALL, NHC_LOGITS_LAST_N,
                            7};
  options.logits_mode = in.pick(modes);
  options.last_n = in.u8() % 4;
  const size_t count = in.u8() % 6; // past max_slots too
  std::vector<std::vector<int32_t>> tokens(count);
  std::vector<nhc_request_t> requests(count);
  uint64_t rows = 0;
  for (size_t r = 0; r < count; ++r) {
    tokens[r].resize(in.u8() % 5);
    for (int32_t &id : tokens[r])
      id = in.id();
    requests[r] = {uint32_t(in.u8() % (kSlots + 1)), tokens[r].data(),
                   tokens[r].size()};
    rows += options.logits_mode == NHC_LOGITS_ALL ? tokens[r].size()
            : options.logits_mode == NHC_LOGITS_LAST_N
                ? std::min<uint64_t>(options.last_n, tokens[r].size())
                : 1;
  }
  auto declared = [&](uint64_t needed) { // the count, or one short
    return needed - (needed && in.u8() % 4 == 0 ? 1 : 0);
  };
  const uint8_t flags = in.u8();
  std::vector<float> logits;
  if (flags & 1)
    logits.resize(declared(rows * kVocab), -7.0f);
  std::vector<int32_t> ids;
  if (flags & 2) {
    ids.assign(declared(count), -7);
    options.greedy_ids = ids.data();
    options.num_greedy_ids = ids.size();
  }
  std::vector<nhc_sampling_t> rules;
  if (flags & 4) {
    rules.resize(declared(count));
    for (nhc_sampling_t &rule : rules) {
      rule.temperature = in.pick(kFloats);
      rule.top_k = in.u8() % 5;
      rule.top_p = in.pick(kUnit);
      rule.min_p = in.pick(kUnit);
      rule.uniform = in.pick(kDraws);
    }
    options.sampling = rules.data();
    options.num_sampling = rules.size();
  }
  std::vector<nhc_logit_edit_t> edits;
  if (flags & 8) {
    edits.resize(in.u8() % 9);
    for (nhc_logit_edit_t &edit : edits) {
      edit.row = in.u8() % 7;
      edit.id = in.id();
      edit.bias = in.pick(kFloats);
      edit.banned = in.u8() % 2;
      edit.repetition = in.pick(kUnit);
      edit.frequency = in.pick(kFloats);
      edit.presence = in.pick(kFloats);
    }
    options.logit_edits = edits.data();
    options.num_logit_edits = edits.size();
  }
  std::vector<nhc_token_logprob_t> entries;
  std::vector<int32_t> logprobIds;
  if (flags & 16) {
    options.top_logprobs = in.u8() % (NHC_MAX_TOP_LOGPROBS + 3);
    entries.resize(declared(rows * (1 + uint64_t(options.top_logprobs))));
    options.logprobs = entries.data();
    options.num_logprobs = entries.size();
  }
  if (flags & 32) {
    logprobIds.resize(declared(rows));
    for (int32_t &id : logprobIds) {
      const uint8_t b = in.u8() % (kVocab + 3);
      id = b == kVocab ? -1 : b == kVocab + 1 ? NHC_LOGPROB_ID_PICKED : b;
    }
    options.logprob_ids = logprobIds.data();
    options.num_logprob_ids = logprobIds.size();
  }

  uint64_t before[kSlots];
  for (uint32_t slot = 0; slot < kSlots; ++slot)
    nhc_session_slot_length(s, slot, &before[slot]);
  const nhc_status_t status = nhc_session_step_ex(
      s, requests.empty() ? nullptr : requests.data(), count, &options,
      logits.empty() ? nullptr : logits.data(), logits.size());
  uint64_t after[kSlots];
  for (uint32_t slot = 0; slot < kSlots; ++slot)
    nhc_session_slot_length(s, slot, &after[slot]);
  if (status != NHC_OK) {
    nhc::fuzz::requireMessage(true, nhc_last_error());
    for (uint32_t slot = 0; slot < kSlots; ++slot)
      if (after[slot] != before[slot])
        fail("a refused step changed a slot");
    return 0;
  }
  for (const nhc_request_t &r : requests)
    before[r.slot] += r.num_tokens;
  for (uint32_t slot = 0; slot < kSlots; ++slot)
    if (after[slot] != before[slot])
      fail("a step did not advance its slots by their tokens");
  // Greedy ids from the logits returned (LAST: row r; ALL: each request's
  // last token's row).
  if (!ids.empty() && !logits.empty() && rules.empty() && edits.empty()) {
    uint64_t row = 0;
    for (size_t r = 0; r < count; ++r) {
      row += options.logits_mode == NHC_LOGITS_ALL ? tokens[r].size() : 1;
      if (ids[r] != greedyOf(logits.data() + (row - 1) * kVocab))
        fail("a greedy id is not its row's argmax");
    }
  }
  for (size_t r = 0; r < count && !ids.empty(); ++r)
    if (ids[r] >= int32_t(kVocab) || ids[r] < -int32_t(kVocab))
      fail("a picked id is neither a token nor a NaN's code");
  // The step's rows stay in the session where it wrote no logits.
  std::vector<float> kept(kVocab);
  const uint64_t asked = in.u8() % (rows + 2);
  const bool keeps =
      logits.empty() && options.logits_mode != NHC_LOGITS_LAST_N;
  const nhc_status_t got =
      nhc_session_last_logits_row(s, asked, kept.data(), kept.size());
  if ((got == NHC_OK) != (keeps && asked < rows))
    fail("a kept row read where none is, or refused where one is");
  nhc::fuzz::requireMessage(got != NHC_OK, nhc_last_error());
  // Each logprobs row: entry 0 of its id (the given one, or the row's
  // pick), its alternatives tokens (or -1, or a NaN's code); none above 0.
  const uint64_t perRow = 1 + uint64_t(options.top_logprobs);
  for (uint64_t row = 0; row < rows && !entries.empty(); ++row) {
    const nhc_token_logprob_t *e = entries.data() + row * perRow;
    int32_t id = logprobIds.empty() ? NHC_LOGPROB_ID_PICKED : logprobIds[row];
    if (id == NHC_LOGPROB_ID_PICKED) { // the pick of the request it ends
      size_t r = count;
      uint64_t end = 0;
      for (size_t q = 0; q < count && r == count; ++q) {
        end += options.logits_mode == NHC_LOGITS_ALL ? tokens[q].size() : 1;
        r = end - 1 == row ? q : count;
      }
      if (r == count || ids.empty())
        fail("a picked id's logprob at a row no request picks from ran");
      id = ids[r];
    }
    if (e[0].id != id)
      fail("a logprob's id is not the one asked for");
    for (uint64_t k = 0; k < perRow; ++k)
      if (e[k].logprob > 0.0f || (k && e[k].id >= int32_t(kVocab)))
        fail("a logprob above 0, or an alternative past the vocabulary");
  }
  return 0;
}

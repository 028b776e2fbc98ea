//===- session_fuzzer.cpp - sessions over kernel-free plans ----------------===//
//
// The input is a manifest. If it parses, the target writes an artifact that
// holds only that manifest (no host library, so nothing is ever dlopened:
// plans with kernels fail at session creation with a message), a checkpoint
// whose tensors match the weight table, and runs ragged steps: prefill and
// decode of two requests, last-token and all-token logits, a step that must
// fail, and checks that a failing step changes no slot.
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "FuzzUtil.h"
#include "nhc/runtime/api.h"
#include "nhc/format/container.h"

namespace {

constexpr uint64_t kMaxCheckpointBytes = 4u << 20;

/// A safetensors file with one tensor per manifest weight (deterministic
/// small values), or an empty vector when the table is too big to write.
std::vector<uint8_t> checkpointFor(const nhc_manifest_t *manifest) {
  nlohmann::json header = nlohmann::json::object();
  std::vector<uint8_t> data;
  nhc_tensor_desc_t desc;
  for (size_t i = 0; i < nhc_manifest_weight_count(manifest); ++i) {
    if (nhc_manifest_weight_at(manifest, i, &desc) != NHC_OK)
      std::abort();
    uint64_t bytes = nhc_dtype_size(desc.dtype);
    std::vector<uint64_t> shape(desc.shape, desc.shape + desc.rank);
    for (uint64_t dim : shape)
      if (__builtin_mul_overflow(bytes, dim, &bytes))
        return {};
    if (bytes > kMaxCheckpointBytes - data.size())
      return {};
    size_t begin = data.size();
    data.resize(begin + bytes);
    for (uint64_t b = 0; b < bytes; ++b) // small, varied bit patterns
      data[begin + b] = static_cast<uint8_t>((b % 4 == 3) ? 0x3c : b * 37);
    header[desc.name] = {{"dtype", nhc_dtype_name(desc.dtype)},
                         {"shape", shape},
                         {"data_offsets", {begin, begin + bytes}}};
  }
  return nhc::fuzz::safetensorsFile(header.dump(), data.data(), data.size());
}

void run(nhc_session_t *session, const uint8_t *data, size_t size) {
  nhc_session_info_t info;
  if (nhc_session_get_info(session, &info) != NHC_OK)
    std::abort();
  if (info.vocab_size == 0 || info.vocab_size > (1u << 16))
    return;
  uint32_t slots[2];
  for (uint32_t &slot : slots)
    if (nhc_session_claim(session, &slot) != NHC_OK)
      return;
  std::vector<int32_t> ids(8);
  for (size_t i = 0; i < ids.size(); ++i)
    ids[i] = static_cast<int32_t>((size ? data[i % size] : i) % info.vocab_size);
  std::vector<float> logits(8 * info.vocab_size);
  nhc_request_t first[] = {{slots[0], ids.data(), 3}, {slots[1], ids.data() + 3, 1}};
  nhc_status_t status = nhc_session_step(session, first, 2, NHC_LOGITS_ALL,
                                         logits.data(), logits.size());
  nhc::fuzz::requireMessage(status != NHC_OK, nhc_last_error());
  if (status != NHC_OK)
    return;
  uint64_t before[2], after[2];
  for (int s = 0; s < 2; ++s)
    nhc_session_slot_length(session, slots[s], &before[s]);
  int32_t bad = static_cast<int32_t>(info.vocab_size);
  nhc_request_t failing[] = {{slots[0], ids.data() + 4, 1}, {slots[1], &bad, 1}};
  if (nhc_session_step(session, failing, 2, NHC_LOGITS_LAST, logits.data(),
                       logits.size()) == NHC_OK)
    std::abort(); // an out-of-range id must be refused
  for (int s = 0; s < 2; ++s) {
    nhc_session_slot_length(session, slots[s], &after[s]);
    if (after[s] != before[s])
      std::abort(); // a failed step changed a slot
  }
  nhc_request_t decode[] = {{slots[0], ids.data() + 5, 1}, {slots[1], ids.data() + 6, 2}};
  status = nhc_session_step(session, decode, 2, NHC_LOGITS_LAST, logits.data(),
                            logits.size());
  nhc::fuzz::requireMessage(status != NHC_OK, nhc_last_error());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nhc_manifest_t *manifest = nullptr;
  if (nhc_manifest_parse(reinterpret_cast<const char *>(data), size, "fuzz",
                         &manifest) != NHC_OK)
    return 0;
  std::vector<uint8_t> checkpoint = checkpointFor(manifest);
  nhc_model_info_t model;
  if (nhc_manifest_model_info(manifest, &model) != NHC_OK)
    std::abort();
  nhc_manifest_release(manifest);
  uint64_t maxSeqLen = model.max_position_embeddings < 8
                           ? model.max_position_embeddings
                           : 8;
  if (checkpoint.empty())
    return 0;
  nhc::format::ContainerWriter writer;
  writer.setManifest(std::string_view(reinterpret_cast<const char *>(data), size));
  std::string bytes;
  if (writer.serialize(bytes).failed())
    std::abort();
  std::string artifactPath =
      nhc::fuzz::writeScratch("session.nhc", bytes.data(), bytes.size());
  std::string weightsPath = nhc::fuzz::writeScratch(
      "session.safetensors", checkpoint.data(), checkpoint.size());

  nhc_artifact_t *artifact = nullptr;
  nhc_weights_t *weights = nullptr;
  nhc_session_t *session = nullptr;
  if (nhc_artifact_load(artifactPath.c_str(), &artifact) == NHC_OK &&
      nhc_weights_open(weightsPath.c_str(), &weights) == NHC_OK) {
    nhc_status_t status =
        nhc_session_create(artifact, weights, 2, maxSeqLen, &session);
    nhc::fuzz::requireMessage(status != NHC_OK, nhc_last_error());
    if (status == NHC_OK)
      run(session, data, size);
  }
  nhc_session_release(session);
  nhc_weights_release(weights);
  nhc_artifact_release(artifact);
  return 0;
}

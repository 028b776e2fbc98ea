//===- weights_fuzzer.cpp - safetensors files and shard indexes ------------===//
//
// The first byte picks what the rest is: a .safetensors file (even) or a
// model.safetensors.index.json (odd) next to two valid shards. Whatever
// opens is read end to end (so ASan checks every tensor's bounds) and bound
// to a small manifest.
//
//===----------------------------------------------------------------------===//

#include <cstring>
#include <vector>

#include "FuzzUtil.h"
#include "nhc/runtime/api.h"

namespace {

/// 8-byte length + header + data, as the format says.
std::vector<uint8_t> safetensors(const std::string &header,
                                 size_t dataBytes) {
  std::vector<uint8_t> out(8);
  uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + dataBytes, 0x3c);
  return out;
}

constexpr char kManifest[] = R"({"format": "nhc-manifest", "version": 1,
  "model": {"hidden_size": 4, "vocab_size": 4, "num_layers": 1,
            "dtype": "F32", "max_position_embeddings": 8},
  "weights": [{"name": "w", "dtype": "F32", "shape": [4, 4]},
              {"name": "e.0.up.weight", "dtype": "BF16", "shape": [2, 4],
               "alternatives": [{"name": "e.up", "index": 0, "count": 2}]},
              {"name": "head", "dtype": "F32", "shape": [4, 4],
               "alternatives": [{"name": "w"}]}],
  "state": []})";

void readAll(const nhc_weights_t *weights) {
  volatile uint8_t sink = 0;
  nhc_tensor_info_t info;
  for (size_t i = 0; i < nhc_weights_tensor_count(weights); ++i) {
    if (nhc_weights_tensor_at(weights, i, &info) != NHC_OK)
      std::abort();
    const uint8_t *bytes = static_cast<const uint8_t *>(info.data);
    if (info.byte_size)
      sink = sink + bytes[0] + bytes[info.byte_size - 1];
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static nhc_manifest_t *manifest = [] {
    nhc_manifest_t *m = nullptr;
    if (nhc_manifest_parse(kManifest, sizeof(kManifest) - 1, "fuzz", &m) !=
        NHC_OK)
      std::abort();
    return m;
  }();
  static const bool shards = [] {
    auto a = safetensors(R"({"w":{"dtype":"F32","shape":[4,4],"data_offsets":[0,64]}})", 64);
    auto b = safetensors(R"({"e.up":{"dtype":"BF16","shape":[2,2,4],"data_offsets":[0,32]}})", 32);
    nhc::fuzz::writeScratch("a.safetensors", a.data(), a.size());
    nhc::fuzz::writeScratch("b.safetensors", b.data(), b.size());
    return true;
  }();
  (void)shards;
  if (size == 0)
    return 0;
  bool index = data[0] & 1;
  std::string path = nhc::fuzz::writeScratch(
      index ? "model.safetensors.index.json" : "fuzz.safetensors", data + 1,
      size - 1);
  nhc_weights_t *weights = nullptr;
  nhc_status_t status = nhc_weights_open(path.c_str(), &weights);
  nhc::fuzz::requireMessage(status != NHC_OK, nhc_last_error());
  if (status == NHC_OK) {
    readAll(weights);
    nhc_status_t bound = nhc_weights_bind(weights, manifest);
    nhc::fuzz::requireMessage(bound != NHC_OK, nhc_last_error());
    nhc_tensor_info_t info;
    for (size_t i = 0; i < nhc_weights_bound_count(weights); ++i)
      if (nhc_weights_bound_at(weights, i, &info) != NHC_OK)
        std::abort();
    nhc_weights_release(weights);
  }
  return 0;
}

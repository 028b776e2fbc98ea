//===- state_fuzzer.cpp - state blob reader ---------------------------------===//
//
// Restores any bytes into a state pool of a small hybrid model (conv and
// SSM state of layers 0 and 2, K and V cache of layer 1; no kernels
// involved). A blob that restores must save back to the same bytes; one
// that does not must leave every slot free. The first input byte picks the
// mode: odd = recompute the blob's checksum first (so mutations reach the
// parser behind it), even = as is.
// With NHC_STATE_FUZZ_SEEDS=DIR set, the target first writes valid blobs
// there (how corpus/state was made).
//
//===----------------------------------------------------------------------===//

#include <cstdlib>
#include <cstring>
#include <vector>

#include "FuzzUtil.h"
#include "nhc/runtime/api.h"
#include "nhc/runtime/artifact.h"

namespace {

constexpr char kManifest[] = R"({"format": "nhc-manifest", "version": 1,
  "config": {"fnv1a64": "00000000000000aa"},
  "model": {"hidden_size": 8, "vocab_size": 16, "num_layers": 3,
            "dtype": "F32", "max_position_embeddings": 8},
  "weights": [],
  "state": [
    {"name": "layers.0.conv_state", "layer": 0, "dtype": "F32", "shape": [6, 3]},
    {"name": "layers.0.ssm_state", "layer": 0, "dtype": "F32", "shape": [2, 2, 4]},
    {"name": "layers.1.k_cache", "layer": 1, "dtype": "F32",
     "shape": ["max_seq_len", 2, 4]},
    {"name": "layers.1.v_cache", "layer": 1, "dtype": "F32",
     "shape": ["max_seq_len", 2, 4]},
    {"name": "layers.2.conv_state", "layer": 2, "dtype": "BF16", "shape": [6, 3]},
    {"name": "layers.2.ssm_state", "layer": 2, "dtype": "F32", "shape": [2, 2, 4]}]})";

nhc_state_pool_t *makePool() {
  nhc_manifest_t *manifest = nullptr;
  nhc_state_pool_t *pool = nullptr;
  if (nhc_manifest_parse(kManifest, sizeof(kManifest) - 1, "fuzz",
                         &manifest) != NHC_OK ||
      nhc_state_pool_create(manifest, 2, 8, &pool) != NHC_OK)
    std::abort();
  nhc_manifest_release(manifest);
  return pool;
}

std::vector<uint8_t> save(nhc_state_pool_t *pool, uint32_t slot) {
  size_t size = 0;
  if (nhc_state_pool_save_slot(pool, slot, nullptr, 0, &size) != NHC_OK)
    std::abort();
  std::vector<uint8_t> blob(size);
  if (nhc_state_pool_save_slot(pool, slot, blob.data(), size, &size) != NHC_OK)
    std::abort();
  return blob;
}

void writeSeeds(nhc_state_pool_t *pool, const char *dir) {
  for (uint64_t tokens : {0, 1, 5, 8}) {
    uint32_t slot;
    if (nhc_state_pool_claim_slot(pool, &slot) != NHC_OK ||
        nhc_state_pool_advance_slot(pool, slot, tokens) != NHC_OK)
      std::abort();
    std::vector<uint8_t> blob = save(pool, slot);
    std::string path = std::string(dir) + "/tokens-" + std::to_string(tokens);
    blob.insert(blob.begin(), uint8_t(1)); // mode byte
    std::FILE *f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(blob.data(), 1, blob.size(), f) != blob.size())
      std::abort();
    std::fclose(f);
    nhc_state_pool_release_slot(pool, slot);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static nhc_state_pool_t *pool = [] {
    nhc_state_pool_t *p = makePool();
    if (const char *dir = std::getenv("NHC_STATE_FUZZ_SEEDS"))
      writeSeeds(p, dir);
    return p;
  }();
  if (size == 0)
    return 0;
  std::vector<uint8_t> blob(data + 1, data + size);
  if ((data[0] & 1) && blob.size() >= 16) {
    uint64_t checksum = nhc_fnv1a64(blob.data() + 16, blob.size() - 16,
                                    NHC_FNV1A64_OFFSET_BASIS);
    std::memcpy(blob.data() + 8, &checksum, 8);
  }
  uint32_t slot = 0;
  nhc_status_t status =
      nhc_state_pool_restore_slot(pool, blob.data(), blob.size(), &slot);
  nhc_state_pool_info_t info;
  nhc_state_pool_get_info(pool, &info);
  if (status != NHC_OK) {
    nhc::fuzz::requireMessage(true, nhc_last_error());
    if (info.free_slots != info.max_slots)
      std::abort(); // a refused blob claimed a slot
    return 0;
  }
  std::vector<uint8_t> again = save(pool, slot);
  if (again != blob)
    std::abort(); // restore then save must give the same bytes
  nhc_state_pool_release_slot(pool, slot);
  return 0;
}

//===- manifest_fuzzer.cpp - manifest and execution plan parser -----------===//

#include "FuzzUtil.h"
#include "nhc/runtime/api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nhc_manifest_t *manifest = nullptr;
  nhc_status_t status = nhc_manifest_parse(
      reinterpret_cast<const char *>(data), size, "fuzz", &manifest);
  nhc::fuzz::requireMessage(status != NHC_OK, nhc_last_error());
  if (status != NHC_OK)
    return 0;
  nhc_model_info_t info;
  if (nhc_manifest_model_info(manifest, &info) != NHC_OK)
    std::abort();
  nhc_tensor_desc_t desc;
  for (size_t i = 0; i < nhc_manifest_weight_count(manifest); ++i)
    if (nhc_manifest_weight_at(manifest, i, &desc) != NHC_OK)
      std::abort();
  for (uint32_t layer = 0; layer < info.num_layers + 2 && layer < 4096; ++layer)
    (void)nhc_manifest_layer_state_kind(manifest, layer);
  nhc_manifest_release(manifest);
  return 0;
}

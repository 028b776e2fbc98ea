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
  size_t states = nhc_manifest_state_tensor_count(manifest);
  if (states != info.num_state_tensors)
    std::abort();
  nhc_state_tensor_desc_t state;
  for (size_t i = 0; i < states; ++i)
    if (nhc_manifest_state_tensor_at(manifest, i, &state) != NHC_OK ||
        state.layer >= info.num_layers || state.rank == 0 ||
        state.rank > NHC_MAX_STATE_RANK || !state.name || !*state.name)
      std::abort();
  if (nhc_manifest_state_tensor_at(manifest, states, &state) !=
      NHC_INVALID_ARGUMENT)
    std::abort();
  nhc_manifest_release(manifest);
  return 0;
}

//===- random_weights.cpp - Seeded random checkpoints for nhc-bench -------===//

#include "random_weights.h"

#include "../common/safetensors_writer.h"

#include <stdexcept>
#include <vector>

namespace nhc::bench {

uint64_t writeRandomCheckpoint(const nhc_manifest_t *manifest,
                               const std::string &path, uint64_t seed,
                               nhc_dtype_t storage) {
  nhc_weights_t *weights = nullptr;
  if (nhc_weights_synthetic(manifest, seed, storage, &weights) != NHC_OK)
    throw std::runtime_error(nhc_last_error());
  struct Release {
    nhc_weights_t *w;
    ~Release() { nhc_weights_release(w); }
  } release{weights};
  tools::SafetensorsWriter writer(path);
  const size_t count = nhc_weights_tensor_count(weights);
  std::vector<nhc_tensor_info_t> infos(count);
  for (size_t i = 0; i < count; ++i) {
    // Only the description: the data is generated when written.
    if (nhc_weights_tensor_at(weights, i, &infos[i]) != NHC_OK)
      throw std::runtime_error(nhc_last_error());
    const nhc_tensor_desc_t &desc = infos[i].desc;
    writer.declare(desc.name, desc.dtype,
                   std::vector<uint64_t>(desc.shape, desc.shape + desc.rank));
  }
  writer.begin();
  for (const nhc_tensor_info_t &info : infos)
    writer.append(info.data, info.byte_size);
  writer.finish();
  return writer.dataBytes();
}

} // namespace nhc::bench

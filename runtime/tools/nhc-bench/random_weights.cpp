//===- random_weights.cpp - Seeded random checkpoints for nhc-bench -------===//

#include "random_weights.h"

#include "../common/safetensors_writer.h"
#include "synthetic_weights.h"
#include "thread_pool.h"
#include "weights_internal.h"

#include <algorithm>
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
  // Streamed: each tensor in parts of 2^20 elements per thread, generated
  // straight into the part being appended (never the whole model at once).
  const auto tensors = runtime::syntheticTensors(*weights);
  tools::SafetensorsWriter writer(path);
  for (const auto &[desc, spec] : tensors)
    writer.declare(desc.name, desc.dtype,
                   std::vector<uint64_t>(desc.shape, desc.shape + desc.rank));
  writer.begin();
  const uint64_t part = uint64_t(runtime::hostThreads()) << 20;
  std::vector<uint8_t> buffer;
  for (const auto &tensor : tensors) {
    const runtime::SyntheticTensor &spec = tensor.second;
    const size_t size = nhc_dtype_size(spec.dtype);
    for (uint64_t first = 0; first < spec.elems; first += part) {
      const uint64_t count = std::min(part, spec.elems - first);
      buffer.resize(count * size);
      runtime::parallelFor(count, 1 << 16, [&](size_t begin, size_t end) {
        runtime::fillSynthetic(spec, first + begin, end - begin,
                               buffer.data() + begin * size);
      });
      writer.append(buffer.data(), buffer.size());
    }
  }
  writer.finish();
  return writer.dataBytes();
}

} // namespace nhc::bench

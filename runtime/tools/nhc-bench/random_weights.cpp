//===- random_weights.cpp - Seeded random checkpoints for nhc-bench -------===//

#include "random_weights.h"

#include "../common/safetensors_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace nhc::bench {
namespace {

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

uint16_t toBF16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  bits += 0x7fff + ((bits >> 16) & 1); // round to nearest even
  return static_cast<uint16_t>(bits >> 16);
}

uint16_t toF16(float v) {
  // Values here are small and normal: rebias, round to nearest.
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  uint32_t sign = (bits >> 16) & 0x8000u;
  int32_t exponent = int32_t((bits >> 23) & 0xff) - 127 + 15;
  uint32_t mantissa = bits & 0x7fffffu;
  if (exponent <= 0)
    return static_cast<uint16_t>(sign); // flush tiny values to zero
  if (exponent >= 31)
    return static_cast<uint16_t>(sign | 0x7bff);
  uint32_t half = sign | (uint32_t(exponent) << 10) | (mantissa >> 13);
  if (mantissa & 0x1000u)
    ++half;
  return static_cast<uint16_t>(half);
}

/// FP8 checkpoints: matrices N(0, 0.02) stored as e4m3 with this
/// weight_scale (4 sigma at 448), activations quantized with this
/// input_scale (RMS-normed values up to about 8).
constexpr float kWeightScale = 0.08f / 448.0f;
constexpr float kInputScale = 8.0f / 448.0f;

uint8_t fp8Code(float v) { return nhc_f32_to_e4m3(v, kWeightScale); }

/// The value of element i of weight `name`.
float valueOf(const std::string &name, uint64_t i, std::mt19937_64 &rng,
              std::normal_distribution<float> &normal) {
  if (endsWith(name, ".weight_scale"))
    return kWeightScale;
  if (endsWith(name, ".input_scale"))
    return kInputScale;
  if (endsWith(name, "norm.weight") || endsWith(name, "norm_f.weight") ||
      endsWith(name, ".D"))
    return 1.0f;
  if (endsWith(name, "A_log"))
    return std::log(float(1 + i % 16));
  if (endsWith(name, "dt_bias"))
    return -2.0f;
  return 0.02f * normal(rng);
}

/// splitmix64's finalizer: seeds of independent streams.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

constexpr uint64_t kChunkElems = 1 << 20;

/// Chunk `c` of `desc` (elements [c * kChunkElems, ...)) into `out`, from
/// its own stream (seed, tensor, chunk): chunks are independent, so threads
/// fill them in any order and the file is the same.
void fillChunk(const nhc_tensor_desc_t &desc, size_t tensor, uint64_t c,
               uint64_t elems, uint64_t seed, std::vector<uint8_t> &out) {
  const uint64_t begin = c * kChunkElems;
  const uint64_t count = std::min(kChunkElems, elems - begin);
  const size_t size = nhc_dtype_size(desc.dtype);
  const std::string name = desc.name;
  std::mt19937_64 rng(mix(mix(seed ^ mix(tensor)) ^ c));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  out.assign(count * size, 0);
  for (uint64_t i = 0; i < count; ++i) {
    float v = valueOf(name, begin + i, rng, normal);
    if (desc.dtype == NHC_DTYPE_F32) {
      std::memcpy(&out[i * 4], &v, 4);
    } else if (desc.dtype == NHC_DTYPE_BF16 || desc.dtype == NHC_DTYPE_F16) {
      uint16_t h = desc.dtype == NHC_DTYPE_BF16 ? toBF16(v) : toF16(v);
      std::memcpy(&out[i * 2], &h, 2);
    } else if (desc.dtype == NHC_DTYPE_F8_E4M3) {
      out[i] = fp8Code(v);
    }
  }
}

} // namespace

uint64_t writeRandomCheckpoint(const nhc_manifest_t *manifest,
                               const std::string &path, uint64_t seed,
                               nhc_dtype_t storage) {
  tools::SafetensorsWriter writer(path);
  std::vector<nhc_tensor_desc_t> descs(nhc_manifest_weight_count(manifest));
  for (size_t w = 0; w < descs.size(); ++w) {
    nhc_tensor_desc_t &desc = descs[w];
    if (nhc_manifest_weight_at(manifest, w, &desc) != NHC_OK)
      throw std::runtime_error(nhc_last_error());
    bool isFloat = desc.dtype == NHC_DTYPE_F32 || desc.dtype == NHC_DTYPE_BF16 ||
                   desc.dtype == NHC_DTYPE_F16;
    if (isFloat && storage != NHC_DTYPE_INVALID)
      desc.dtype = storage;
    writer.declare(desc.name, desc.dtype,
                   std::vector<uint64_t>(desc.shape, desc.shape + desc.rank));
  }
  writer.begin();
  // Up to one chunk per thread at a time (NHC_NUM_THREADS, as the runtime's
  // pool, else the hardware threads), appended in order.
  unsigned workers = std::max(1u, std::thread::hardware_concurrency());
  if (const char *env = std::getenv("NHC_NUM_THREADS")) {
    char *end = nullptr;
    unsigned long n = std::strtoul(env, &end, 10);
    if (end != env && *end == '\0' && n >= 1 && n <= 1024)
      workers = unsigned(n);
  }
  std::vector<std::vector<uint8_t>> chunks(workers);
  for (size_t w = 0; w < descs.size(); ++w) {
    const nhc_tensor_desc_t &desc = descs[w];
    uint64_t elems = 1;
    for (uint32_t d = 0; d < desc.rank; ++d)
      elems *= desc.shape[d];
    const uint64_t numChunks = (elems + kChunkElems - 1) / kChunkElems;
    for (uint64_t first = 0; first < numChunks; first += workers) {
      const uint64_t batch = std::min<uint64_t>(workers, numChunks - first);
      std::vector<std::thread> threads;
      for (uint64_t b = 1; b < batch; ++b)
        threads.emplace_back(fillChunk, std::cref(desc), w, first + b, elems,
                             seed, std::ref(chunks[b]));
      fillChunk(desc, w, first, elems, seed, chunks[0]);
      for (std::thread &t : threads)
        t.join();
      for (uint64_t b = 0; b < batch; ++b)
        writer.append(chunks[b].data(), chunks[b].size());
    }
  }
  writer.finish();
  return writer.dataBytes();
}

} // namespace nhc::bench

//===- random_weights.cpp - Seeded random checkpoints for nhc-bench -------===//

#include "random_weights.h"

#include "../common/safetensors_writer.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
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
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<uint8_t> chunk;
  for (const nhc_tensor_desc_t &desc : descs) {
    uint64_t elems = 1;
    for (uint32_t d = 0; d < desc.rank; ++d)
      elems *= desc.shape[d];
    size_t size = nhc_dtype_size(desc.dtype);
    std::string name = desc.name;
    for (uint64_t begin = 0; begin < elems; begin += 1 << 20) {
      uint64_t count = std::min<uint64_t>(1 << 20, elems - begin);
      chunk.assign(count * size, 0);
      for (uint64_t i = 0; i < count; ++i) {
        float v = valueOf(name, begin + i, rng, normal);
        if (desc.dtype == NHC_DTYPE_F32) {
          std::memcpy(&chunk[i * 4], &v, 4);
        } else if (desc.dtype == NHC_DTYPE_BF16 || desc.dtype == NHC_DTYPE_F16) {
          uint16_t h = desc.dtype == NHC_DTYPE_BF16 ? toBF16(v) : toF16(v);
          std::memcpy(&chunk[i * 2], &h, 2);
        } else if (desc.dtype == NHC_DTYPE_F8_E4M3) {
          chunk[i] = fp8Code(v);
        }
      }
      writer.append(chunk.data(), chunk.size());
    }
  }
  writer.finish();
  return writer.dataBytes();
}

} // namespace nhc::bench

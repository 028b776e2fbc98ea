//===- synthetic_weights.cpp - Seeded random weights ----------------------===//

#include "synthetic_weights.h"

#include <cstring>

#include "text.h"

namespace nhc::runtime {
namespace {

/// Round to nearest even (the values are finite).
uint16_t toBF16Bits(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

/// log(1 .. 16) rounded to f32: constants, not libm's logf, so every
/// machine has the same bits.
constexpr float kLogOf[16] = {
    0.0f,                0.6931471824645996f,
    1.0986123085021973f, 1.3862943649291992f,
    1.6094379425048828f, 1.7917594909667969f,
    1.945910096168518f,  2.079441547393799f,
    2.1972246170043945f, 2.3025851249694824f,
    2.397895336151123f,  2.4849066734313965f,
    2.5649492740631104f, 2.6390573978424072f,
    2.70805025100708f,   2.7725887298583984f};

uint16_t toF16Bits(float v) {
  _Float16 h = static_cast<_Float16>(v); // IEEE round to nearest even
  uint16_t bits;
  std::memcpy(&bits, &h, 2);
  return bits;
}

} // namespace

SyntheticRule syntheticRule(const std::string &name) {
  if (endsWith(name, ".weight_scale"))
    return SyntheticRule::WeightScale;
  if (endsWith(name, ".input_scale"))
    return SyntheticRule::InputScale;
  if (endsWith(name, "norm.weight") || endsWith(name, "norm_f.weight") ||
      endsWith(name, ".D"))
    return SyntheticRule::One;
  if (endsWith(name, "A_log"))
    return SyntheticRule::ALog;
  if (endsWith(name, "dt_bias"))
    return SyntheticRule::DtBias;
  return SyntheticRule::Normal;
}

uint64_t splitmix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t syntheticKey(uint64_t seed, uint64_t index) {
  return splitmix64(splitmix64(seed + kSyntheticGolden) ^
                    (index * kSyntheticGolden));
}

float syntheticValue(const SyntheticTensor &tensor, uint64_t i) {
  switch (tensor.rule) {
  case SyntheticRule::One:
    return 1.0f;
  case SyntheticRule::ALog:
    return kLogOf[i % 16];
  case SyntheticRule::DtBias:
    return -2.0f;
  case SyntheticRule::WeightScale:
    return kSyntheticWeightScale;
  case SyntheticRule::InputScale:
    return kSyntheticInputScale;
  case SyntheticRule::Normal:
    break;
  }
  uint64_t h = splitmix64(tensor.key + i * kSyntheticGolden);
  int32_t sum = static_cast<int32_t>((h & 0xffff) + ((h >> 16) & 0xffff) +
                                     ((h >> 32) & 0xffff) + (h >> 48));
  return static_cast<float>(sum - kSyntheticNormalMean) * kSyntheticNormalStep;
}

void fillSynthetic(const SyntheticTensor &tensor, uint64_t first,
                   uint64_t count, void *out) {
  auto *bytes = static_cast<uint8_t *>(out);
  for (uint64_t e = 0; e < count; ++e) {
    float v = syntheticValue(tensor, first + e);
    switch (tensor.dtype) {
    case NHC_DTYPE_F32:
      std::memcpy(bytes + e * 4, &v, 4);
      break;
    case NHC_DTYPE_BF16: {
      uint16_t h = toBF16Bits(v);
      std::memcpy(bytes + e * 2, &h, 2);
      break;
    }
    case NHC_DTYPE_F16: {
      uint16_t h = toF16Bits(v);
      std::memcpy(bytes + e * 2, &h, 2);
      break;
    }
    case NHC_DTYPE_F8_E4M3:
      bytes[e] = nhc_f32_to_e4m3(v, kSyntheticWeightScale);
      break;
    default:
      break;
    }
  }
}

} // namespace nhc::runtime

//===- weights_f32_test.cpp - BF16/F16 weights as kernels see them --------===//
//
// A head copies a weight into the logits, so the test reads exactly the
// f32 values the session converted.
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "session_helpers.h"

namespace nhc::test {
namespace {

constexpr uint64_t kN = 8;

Bytes halves(const std::vector<uint16_t> &bits) {
  Bytes bytes(bits.size() * 2);
  for (size_t i = 0; i < bits.size(); ++i)
    poke<uint16_t>(bytes, 2 * i, bits[i]);
  return bytes;
}

/// A session whose head_all copies weight `all`, head_last weight `last`.
std::vector<float> copiedWeight(const Json &manifest,
                                const SafetensorsBuilder &weights,
                                nhc_logits_mode_t mode) {
  SessionFixture f;
  EXPECT_EQ(f.open(manifest, weights), NHC_OK) << lastError();
  if (!f.session)
    return {};
  uint32_t slot;
  EXPECT_EQ(nhc_session_claim(f.session, &slot), NHC_OK);
  int32_t token = 0;
  nhc_request_t request{slot, &token, 1};
  std::vector<float> logits(kN);
  EXPECT_EQ(nhc_session_step(f.session, &request, 1, mode, logits.data(),
                             logits.size()),
            NHC_OK)
      << lastError();
  return logits;
}

Json copyModel(const std::string &all, const std::string &last) {
  Json m = baseManifest(kN, kN);
  m["kernels"] = kernelTable({"nhc_test_copy"});
  m["schedules"]["head_all"] = Json::array({kernelCall(
      "nhc_test_copy", {weightArg(all), logitsArg(), indexArg(kN)})});
  m["schedules"]["head_last"] = Json::array({kernelCall(
      "nhc_test_copy", {weightArg(last), logitsArg(), indexArg(kN)})});
  return m;
}

uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}

TEST(WeightsF32Test, Bf16AndF16ConvertExactly) {
  // [1, kN]: matrices, since vectors must be finite to bind.
  Json m = copyModel("b", "h");
  addWeight(m, "b", "BF16", {1, kN});
  addWeight(m, "h", "F16", {1, kN});
  SafetensorsBuilder w;
  // BF16: 1, -2, -123.5, +inf, -inf, NaN, smallest subnormal, -0.
  w.add("b", "BF16", {1, kN},
        halves({0x3f80, 0xc000, 0xc2f7, 0x7f80, 0xff80, 0x7fc0, 0x0001,
                0x8000}));
  // F16: 1, -2, 65504 (max), +inf, -inf, NaN, 2^-24 (smallest subnormal),
  // 0x0201 (subnormal 513 * 2^-24).
  w.add("h", "F16", {1, kN},
        halves({0x3c00, 0xc000, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x0001,
                0x0201}));

  std::vector<float> b = copiedWeight(m, w, NHC_LOGITS_ALL);
  ASSERT_EQ(b.size(), kN);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(b[0], 1.0f);
  EXPECT_EQ(b[1], -2.0f);
  EXPECT_EQ(b[2], -123.5f);
  EXPECT_EQ(b[3], inf);
  EXPECT_EQ(b[4], -inf);
  EXPECT_TRUE(std::isnan(b[5]));
  EXPECT_EQ(bitsOf(b[6]), 0x00010000u);
  EXPECT_EQ(bitsOf(b[7]), 0x80000000u);

  std::vector<float> h = copiedWeight(m, w, NHC_LOGITS_LAST);
  ASSERT_EQ(h.size(), kN);
  EXPECT_EQ(h[0], 1.0f);
  EXPECT_EQ(h[1], -2.0f);
  EXPECT_EQ(h[2], 65504.0f);
  EXPECT_EQ(h[3], inf);
  EXPECT_EQ(h[4], -inf);
  EXPECT_TRUE(std::isnan(h[5]));
  EXPECT_EQ(h[6], std::ldexp(1.0f, -24));
  EXPECT_EQ(h[7], 513.0f * std::ldexp(1.0f, -24));
}

TEST(WeightsF32Test, F32InPlaceAndUnaligned) {
  Json m = copyModel("aligned", "unaligned");
  addWeight(m, "pad", "BF16", {3});
  addWeight(m, "unaligned", "F32", {kN});
  addWeight(m, "aligned", "F32", {kN});
  std::vector<float> values = exactValues(kN, 7);
  SafetensorsBuilder w;
  // Data region order follows add(): "pad" (6 bytes) pushes "unaligned" to
  // offset 6, not a multiple of 4; "aligned" then sits at 6 + 32 = 38...
  // so it is padded by a 2-byte tensor first.
  w.add("pad", "BF16", {3});
  w.add("unaligned", "F32", {kN}, f32Bytes(values));
  w.add("pad2", "BF16", {1});
  w.add("aligned", "F32", {kN}, f32Bytes(values));
  EXPECT_EQ(copiedWeight(m, w, NHC_LOGITS_ALL), values);
  EXPECT_EQ(copiedWeight(m, w, NHC_LOGITS_LAST), values);

  // Only the misaligned F32 tensor and the BF16 one were copied.
  SessionFixture f;
  ASSERT_EQ(f.open(m, w), NHC_OK) << lastError();
  nhc_session_info_t info;
  ASSERT_EQ(nhc_session_get_info(f.session, &info), NHC_OK);
  EXPECT_EQ(info.weight_f32_bytes, 4u * (3 + kN));
}

} // namespace
} // namespace nhc::test

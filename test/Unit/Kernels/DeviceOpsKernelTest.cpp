//===- DeviceOpsKernelTest.cpp - kernels around cuBLASLt (device_ops.mlir) ===//
//
// The kernels a device backend runs around its GEMM library, on the host
// build of the same MLIR (the GPU build runs the same bodies; the golden
// suite's cuda-emulated run checks them there): bf16 rounding and e4m3
// packing against an independent nearest-value choice, the gemm epilogue against the
// activation formulas and the standalone FP8 quantizer, and the embedding
// gathers against their definition. Strided rows leave their padding alone.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "KernelTestUtils.h"
#include "synthetic_weights.h"

using namespace nhc_test;

namespace {

TEST(KernelDeviceOps, RoundBf16IsNearestEven) {
  std::mt19937 rng(7);
  std::vector<float> values = {0.0f, -0.0f, 1.0f, 1.00390625f /* tie, even */,
                               1.01171875f /* tie, odd */, 3.0e38f, -3.4e38f,
                               INFINITY, -INFINITY, NAN, fromBits(0x00000001),
                               fromBits(0x7f7fffff), fromBits(0x807fffff)};
  while (values.size() < 300)
    values.push_back(fromBits(rng()));
  // Rows of 7 values, 9 apart, from offset 2; the rest is padding.
  const int64_t k = 7, ld = 9, offset = 2, m = int64_t(values.size()) / k;
  std::vector<float> src(offset + m * ld, 5.0f);
  for (int64_t t = 0; t < m; ++t)
    for (int64_t j = 0; j < k; ++j)
      src[offset + t * ld + j] = values[t * k + j];
  std::vector<uint16_t> dst(m * k + 3, 0xabcd);
  ArgPack args;
  args.buf(src).idx(offset).idx(ld).idx(m).idx(k).buf(dst);
  runKernel("nhc_round_bf16", args);
  for (int64_t i = 0; i < m * k; ++i) {
    float x = values[i];
    if (std::isnan(x))
      EXPECT_EQ(dst[i] & 0x7fc0, 0x7fc0) << "NaN stays a quiet NaN";
    else
      EXPECT_EQ(dst[i], nearestBf16(x)) << "x = " << x << " bits " << std::hex
                                        << bitsOf(x);
  }
  for (size_t i = m * k; i < dst.size(); ++i)
    EXPECT_EQ(dst[i], 0xabcd) << "written past the rows";
}

TEST(KernelDeviceOps, PackE4m3GivesTheNearestCode) {
  // Every finite code's value packs to that code; off-grid values round to
  // the nearest (ties even) and saturate; NaN is 0x7f with its sign.
  std::vector<float> values;
  for (int c = 0; c < 256; ++c)
    if (!std::isnan(e4m3Value(uint8_t(c))))
      values.push_back(float(e4m3Value(uint8_t(c))));
  const size_t onGrid = values.size();
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> wide(-600.0f, 600.0f), tiny(-0.03f, 0.03f);
  for (int i = 0; i < 200; ++i)
    values.push_back(i % 2 ? wide(rng) : tiny(rng));
  for (float tie : {1.0625f, 1.1875f, 0.0029296875f /* 1.5 * 2^-9 */, 464.0f,
                    1e30f, -1e30f, INFINITY, -INFINITY})
    values.push_back(tie);
  values.push_back(NAN);
  values.push_back(-NAN);
  while (values.size() % 7)
    values.push_back(0.5f);
  // Rows of 7 values, 10 apart, from offset 1; the rest is padding.
  const int64_t k = 7, ld = 10, offset = 1, m = int64_t(values.size()) / k;
  std::vector<float> src(offset + m * ld, 3.0f);
  for (int64_t t = 0; t < m; ++t)
    for (int64_t j = 0; j < k; ++j)
      src[offset + t * ld + j] = values[t * k + j];
  std::vector<uint8_t> dst(m * k + 5, 0xee);
  ArgPack args;
  args.buf(src).idx(offset).idx(ld).idx(m).idx(k).buf(dst);
  runKernel("nhc_pack_e4m3", args);
  for (size_t i = 0; i < size_t(m * k); ++i) {
    float x = values[i];
    if (std::isnan(x)) {
      EXPECT_EQ(dst[i] & 0x7f, 0x7f) << "NaN stays NaN";
      continue;
    }
    uint8_t want = nearestE4m3Code(x);
    EXPECT_EQ(dst[i], want) << "x = " << x;
    if (i < onGrid)
      EXPECT_EQ(e4m3Value(dst[i]), double(x)) << "on the grid: exact";
  }
  for (size_t i = m * k; i < dst.size(); ++i)
    EXPECT_EQ(dst[i], 0xee) << "written past the rows";
}

TEST(KernelDeviceOps, GemmEpilogueActivatesInPlace) {
  std::mt19937 rng(11);
  // Every code, on [-25, 25]: past gelu_10's clip and softplus' threshold
  // of 20 (mish, sqrtsoftplus) too.
  const int64_t m = 5, n = 13, ld = 16, offset = 3;
  for (int code = -1; code < NumActs; ++code) {
    std::vector<float> c = randomFloats(rng, offset + m * ld, -25.0f, 25.0f);
    std::vector<float> before = c, scale = {1.0f};
    ArgPack args;
    args.buf(c).idx(offset).idx(ld).idx(m).idx(n).idx(code).idx(0).buf(scale);
    runKernel("nhc_gemm_epilogue", args);
    for (size_t i = 0; i < c.size(); ++i) {
      int64_t row = (int64_t(i) - offset) / ld, col = (int64_t(i) - offset) % ld;
      bool inside = int64_t(i) >= offset && row < m && col < n;
      double want = inside ? referenceActivation(code, before[i]) : before[i];
      EXPECT_NEAR(c[i], want, 2e-6 * (1 + std::fabs(want)))
          << "activation " << code << " at " << i;
    }
  }
}

TEST(KernelDeviceOps, RoundBf16ActIsTheEpilogueThenTheRounding) {
  // Bit for bit what nhc_gemm_epilogue followed by nhc_round_bf16 give (the
  // unfused path), for every activation and none, on strided rows.
  std::mt19937 rng(13);
  const int64_t m = 6, k = 11, ld = 14, offset = 2;
  for (int code = -1; code < NumActs; ++code) {
    std::vector<float> src = randomFloats(rng, offset + m * ld, -5.0f, 5.0f);
    src[offset] = NAN;
    src[offset + ld + 1] = INFINITY;
    std::vector<float> unfused = src, scale = {1.0f};
    std::vector<uint16_t> want(m * k + 2, 0xabcd), got(m * k + 2, 0xabcd);
    ArgPack epilogue;
    epilogue.buf(unfused).idx(offset).idx(ld).idx(m).idx(k).idx(code).idx(0)
        .buf(scale);
    runKernel("nhc_gemm_epilogue", epilogue);
    ArgPack round;
    round.buf(unfused).idx(offset).idx(ld).idx(m).idx(k).buf(want);
    runKernel("nhc_round_bf16", round);
    std::vector<float> before = src;
    ArgPack fused;
    fused.buf(src).idx(offset).idx(ld).idx(m).idx(k).idx(code).buf(got);
    runKernel("nhc_round_bf16_act", fused);
    EXPECT_EQ(std::memcmp(src.data(), before.data(), src.size() * 4), 0)
        << "the source is read only";
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(got[i], want[i]) << "activation " << code << " at " << i;
    // And against the formula, for the finite values.
    for (int64_t t = 0; t < m; ++t)
      for (int64_t j = 0; j < k; ++j) {
        double x = before[offset + t * ld + j];
        if (!std::isfinite(x))
          continue;
        double a = referenceActivation(code, x);
        EXPECT_NEAR(fromBits(uint32_t(got[t * k + j]) << 16), a,
                    1e-2 * (1 + std::fabs(a)))
            << "activation " << code << " of " << x;
      }
  }
}

TEST(KernelDeviceOps, GemmEpilogueQuantizesAsTheFp8Kernel) {
  // After relu2, sat_e4m3(v / scale): the same values nhc_quantize_fp8
  // gives for the activated block.
  std::mt19937 rng(13);
  const int64_t m = 4, n = 40;
  std::vector<float> c = randomFloats(rng, m * n, -30.0f, 30.0f);
  c[3] = NAN;
  c[7] = 1e30f; // saturates
  std::vector<float> activated(c.size());
  for (size_t i = 0; i < c.size(); ++i)
    activated[i] = std::isnan(c[i]) ? NAN : float(referenceActivation(0, c[i]));
  std::vector<float> scale = {0.37f}, want(m * n);
  ArgPack quantize;
  quantize.buf(activated).idx(n).idx(0).buf(scale).buf(want).idx(m).idx(n);
  runKernel("nhc_quantize_fp8", quantize);
  ArgPack epilogue;
  epilogue.buf(c).idx(0).idx(n).idx(m).idx(n).idx(0).idx(1).buf(scale);
  runKernel("nhc_gemm_epilogue", epilogue);
  for (size_t i = 0; i < c.size(); ++i) {
    if (std::isnan(want[i]))
      EXPECT_TRUE(std::isnan(c[i])) << i;
    else
      EXPECT_EQ(c[i], want[i]) << i;
  }
  EXPECT_EQ(c[7], 448.0f);
}

TEST(KernelDeviceOps, EmbeddingGathersRows) {
  const int64_t vocab = 11, H = 6;
  std::vector<int32_t> ids = {3, 0, 10, 3, 7};
  const int64_t T = int64_t(ids.size());
  std::vector<float> tableF32(vocab * H);
  std::vector<uint16_t> tableBf16(vocab * H);
  for (int64_t i = 0; i < vocab * H; ++i) {
    tableBf16[i] = static_cast<uint16_t>(0x3f80 + i * 37); // distinct values
    tableF32[i] = fromBits(uint32_t(tableBf16[i]) << 16) + 0.001f * i;
  }
  std::vector<float> outF32(T * H + 2, -1.0f), outBf16(T * H + 2, -1.0f);
  ArgPack f32;
  f32.buf(tableF32).buf(ids).buf(outF32).idx(T).idx(H);
  runKernel("nhc_embedding_f32", f32);
  ArgPack bf16;
  bf16.buf(tableBf16).buf(ids).buf(outBf16).idx(T).idx(H);
  runKernel("nhc_embedding_bf16", bf16);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t j = 0; j < H; ++j) {
      EXPECT_EQ(outF32[t * H + j], tableF32[ids[t] * H + j]);
      EXPECT_EQ(outBf16[t * H + j],
                fromBits(uint32_t(tableBf16[ids[t] * H + j]) << 16));
    }
  EXPECT_EQ(outF32[T * H], -1.0f);
  EXPECT_EQ(outBf16[T * H + 1], -1.0f);
}

TEST(KernelDeviceOps, ExpertRowsGatherAndScatterAdd) {
  // Tokens 4, 0, 2 of 5 routed to one expert: their rows gathered in that
  // order; outputs scaled by their route weights and added back in place.
  const int64_t T = 5, H = 7;
  std::vector<int32_t> rows = {4, 0, 2};
  const int64_t n = int64_t(rows.size());
  std::mt19937 rng(17);
  std::vector<float> x = randomFloats(rng, T * H), gathered(n * H + 1, -9.0f);
  ArgPack gather;
  gather.buf(x).buf(rows).buf(gathered).idx(n).idx(H);
  runKernel("nhc_gather_rows", gather);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < H; ++j)
      EXPECT_EQ(gathered[i * H + j], x[rows[i] * H + j]);
  EXPECT_EQ(gathered[n * H], -9.0f) << "written past the rows";

  std::vector<float> y = randomFloats(rng, n * H), scale = {0.5f, -2.0f, 0.25f};
  std::vector<float> out = randomFloats(rng, T * H), before = out;
  ArgPack scatter;
  scatter.buf(y).buf(rows).buf(scale).buf(out).idx(n).idx(H);
  runKernel("nhc_scatter_add_rows", scatter);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t j = 0; j < H; ++j) {
      float want = before[t * H + j];
      for (int64_t i = 0; i < n; ++i)
        if (rows[i] == t)
          want += scale[i] * y[i * H + j];
      EXPECT_EQ(out[t * H + j], want) << "token " << t << " column " << j;
    }
}

TEST(KernelDeviceOps, FillNormalMatchesTheRuntimesGenerator) {
  // Synthetic weights generated on a device must be the bits the host
  // generates (runtime/src/synthetic_weights.h): f32, f32 rounded to bf16
  // (a BF16 weight kept in f32) and bf16, for two keys, over more elements
  // than one block and with the extreme sums of the four fields nearby.
  namespace rt = nhc::runtime;
  for (uint64_t key : {rt::syntheticKey(7, 0), rt::syntheticKey(7, 123)}) {
    const int64_t n = 1000;
    rt::SyntheticTensor f32{rt::SyntheticRule::Normal, key, NHC_DTYPE_F32,
                            uint64_t(n)};
    rt::SyntheticTensor bf16 = f32;
    bf16.dtype = NHC_DTYPE_BF16;
    std::vector<float> wantF32(n), wantWidened(n);
    std::vector<uint16_t> wantBf16(n);
    rt::fillSynthetic(f32, 0, n, wantF32.data());
    rt::fillSynthetic(bf16, 0, n, wantBf16.data());
    for (int64_t i = 0; i < n; ++i)
      wantWidened[i] = fromBits(uint32_t(wantBf16[i]) << 16);
    for (int64_t round : {0, 1}) {
      std::vector<float> got(n, -1.f);
      ArgPack a;
      a.buf(got).idx(n).idx(int64_t(key)).f32(rt::kSyntheticNormalStep)
          .idx(round);
      runKernel("nhc_fill_normal_f32", a);
      const std::vector<float> &want = round ? wantWidened : wantF32;
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(bitsOf(got[i]), bitsOf(want[i]))
            << "element " << i << " round " << round;
    }
    std::vector<int16_t> got(n, -1);
    ArgPack a;
    a.buf(got).idx(n).idx(int64_t(key)).f32(rt::kSyntheticNormalStep);
    runKernel("nhc_fill_normal_bf16", a);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(uint16_t(got[i]), wantBf16[i]) << "element " << i;
    // About N(0, 0.02): the sample's moments, loosely.
    double sum = 0, squares = 0;
    for (float v : wantF32) {
      sum += v;
      squares += double(v) * v;
    }
    EXPECT_LT(std::fabs(sum / n), 0.003);
    EXPECT_NEAR(std::sqrt(squares / n), 0.02, 0.003);
  }
}

/// Every element of `bits` is the bf16 nearest to the same element of `out`.
void expectBf16Of(const std::vector<float> &out,
                  const std::vector<uint16_t> &bits, const std::string &what) {
  ASSERT_EQ(out.size(), bits.size());
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_EQ(bits[i], nearestBf16(out[i])) << what << " element " << i;
}

// The norms' _bf16 forms (a device backend's norm before a bf16 product):
// the plan norm's outputs (and residual) bit for bit, and those outputs
// rounded to bf16 in `bits`, rows contiguous; rows the GPU forms take
// element by element (37, 8200) and in registers (300, 4480), gated groups
// of 8 and of 150 and 8204 (elements) and of 1280 (registers). In the
// `gpu-form.` runs the bits are the GPU body's own outputs rounded; its
// outputs, summed in another order, are compared with the host kernel's to
// 1e-5, so their bf16 roundings may differ from the host's in a last bit.
TEST(KernelDeviceOps, NormsAlsoStoreTheirOutputsAsBf16) {
  std::mt19937 rng(61);
  const float eps = 1e-5f;
  for (int64_t H : {37, 300, 4480, 8200}) {
    const int64_t T = 3;
    const std::string what = "H " + std::to_string(H);
    std::vector<float> x = randomFloats(rng, T * H, -3, 3),
                       w = randomFloats(rng, H, 0.5, 1.5), plain(T * H),
                       out(T * H, -9.f);
    std::vector<uint16_t> bits(T * H, 0xabcd);
    ArgPack a;
    a.buf(x).buf(w).buf(plain).idx(T).idx(H).f32(eps).buf(w).idx(0);
    runKernel("nhc_rms_norm", a);
    ArgPack b;
    b.buf(x).buf(w).buf(out).idx(T).idx(H).f32(eps).buf(w).idx(0).derived(bits);
    runKernel("nhc_rms_norm_bf16", b);
    EXPECT_EQ(out, plain) << what;
    expectBf16Of(out, bits, "rms_norm " + what);

    std::vector<float> residual = randomFloats(rng, T * H, -2, 2),
                       update = randomFloats(rng, T * H, -2, 2);
    std::vector<float> residualPlain = residual;
    ArgPack c;
    c.buf(residualPlain).buf(update).buf(w).buf(plain).idx(T).idx(H).f32(eps)
        .buf(w).idx(0);
    runKernel("nhc_add_rms_norm", c);
    std::fill(bits.begin(), bits.end(), 0xabcd);
    ArgPack d;
    d.buf(residual).buf(update).buf(w).buf(out).idx(T).idx(H).f32(eps)
        .buf(w).idx(0).derived(bits);
    runKernel("nhc_add_rms_norm_bf16", d);
    EXPECT_EQ(residual, residualPlain) << what;
    EXPECT_EQ(out, plain) << what;
    expectBf16Of(out, bits, "add_rms_norm " + what);
  }
  for (auto [I, G] : {std::pair<int64_t, int64_t>{24, 3}, {300, 2},
                       {10240, 8}, {16408, 2}}) {
    const int64_t T = 2, stride = I + 5;
    const std::string what = "I " + std::to_string(I);
    std::vector<float> y = randomFloats(rng, T * I, -2, 2),
                       proj = randomFloats(rng, T * stride, -4, 4),
                       w = randomFloats(rng, I, 0.5, 1.5), plain(T * I),
                       out(T * I, -9.f);
    std::vector<uint16_t> bits(T * I, 0xabcd);
    ArgPack a;
    a.buf(y).buf(proj).idx(stride).buf(w).buf(plain).idx(T).idx(I).idx(G)
        .f32(eps).buf(w).idx(0);
    runKernel("nhc_gated_rms_norm", a);
    ArgPack b;
    b.buf(y).buf(proj).idx(stride).buf(w).buf(out).idx(T).idx(I).idx(G)
        .f32(eps).buf(w).idx(0).derived(bits);
    runKernel("nhc_gated_rms_norm_bf16", b);
    EXPECT_EQ(out, plain) << what;
    expectBf16Of(out, bits, "gated_rms_norm " + what);
  }
}
} // namespace

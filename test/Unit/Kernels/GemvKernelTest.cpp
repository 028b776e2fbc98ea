//===- GemvKernelTest.cpp - the decode GEMV microkernels (gemv.mlir) ------===//
//
// nhc_gemv_{bf16,f16,e4m3} against a double-precision product of weights
// widened by an independent reference, over row counts 1..16, row lengths
// around the 16-lane blocks, strided A and C, accumulate, and the special
// values of each storage format (subnormals, infinities, NaN), and every
// activation applied to A as it is read (`act`). Runs once
// per host level and through the sliced entries (test/Unit/CMakeLists.txt),
// and nhc_gemv_bf16 in its GPU form (gemv_gpu.mlir) too: the f16 and e4m3
// kernels are host only.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "KernelTestUtils.h"

using namespace nhc_test;

namespace {

enum class Storage { Bf16, F16, E4m3 };

const char *kernelOf(Storage s) {
  return s == Storage::Bf16  ? "nhc_gemv_bf16"
         : s == Storage::F16 ? "nhc_gemv_f16"
                             : "nhc_gemv_e4m3";
}

size_t bytesOf(Storage s) { return s == Storage::E4m3 ? 1 : 2; }

/// The value of one stored weight (bits), computed with ldexp.
double widen(Storage s, uint32_t bits) {
  if (s == Storage::Bf16) {
    uint32_t f = bits << 16;
    float x;
    std::memcpy(&x, &f, sizeof x);
    return x;
  }
  const int mantBits = s == Storage::F16 ? 10 : 3;
  const int expBits = s == Storage::F16 ? 5 : 4;
  const int bias = s == Storage::F16 ? 15 : 7;
  const uint32_t sign = bits >> (mantBits + expBits) & 1;
  const uint32_t e = bits >> mantBits & ((1u << expBits) - 1);
  const uint32_t mant = bits & ((1u << mantBits) - 1);
  double magnitude;
  if (s == Storage::E4m3 && e == 15 && mant == 7)
    magnitude = NAN;
  else if (s == Storage::F16 && e == 31)
    magnitude = mant ? NAN : INFINITY;
  else if (e == 0)
    magnitude = std::ldexp(double(mant), 1 - bias - mantBits);
  else
    magnitude = std::ldexp(double(mant + (1u << mantBits)), int(e) - bias - mantBits);
  return sign ? -magnitude : magnitude;
}

/// Random finite weights of every exponent the format has (bf16: a wide
/// range), subnormals included.
uint32_t randomBits(Storage s, std::mt19937 &rng) {
  for (;;) {
    uint32_t bits;
    if (s == Storage::Bf16) // magnitudes 2^-3 .. 2^5: sums stay finite
      bits = (rng() & 0x807f) | ((0x7c + rng() % 8) << 7);
    else
      bits = rng() & (s == Storage::F16 ? 0xffff : 0xff);
    if (std::isfinite(widen(s, bits)))
      return bits;
  }
}

/// Where A and W lie: A's row stride past k, and whether A's and W's first
/// elements are 16-byte aligned (the GPU form reads 16-byte vectors of
/// each only where they are, one element at a time elsewhere).
struct Layout {
  int64_t ldaPad = 3;
  bool alignA = true, alignW = true;
};

void runGemv(Storage s, int64_t m, int64_t n, int64_t k, bool accumulate,
             int act = -1, Layout layout = {}) {
  std::mt19937 rng(static_cast<uint32_t>(m * 1000 + n * 10 + k + act));
  const int64_t lda = k + layout.ldaPad, ldc = n + 2;
  // Room for the alignments: up to 16 bytes and one element more.
  std::vector<float> aRoom = randomFloats(rng, m * lda + 5), c(m * ldc, 0.25f);
  const size_t aFirst = firstAt16(aRoom.data(), sizeof(float), layout.alignA);
  std::vector<float> a(aRoom.begin() + aFirst, aRoom.end());
  std::vector<uint8_t> wRoom(n * k * bytesOf(s) + 18);
  const size_t wFirst = firstAt16(wRoom.data(), bytesOf(s), layout.alignW) *
                        bytesOf(s);
  std::vector<double> wide(n * k);
  for (int64_t i = 0; i < n * k; ++i) {
    uint32_t bits = randomBits(s, rng);
    std::memcpy(&wRoom[wFirst + i * bytesOf(s)], &bits,
                bytesOf(s)); // little-endian
    wide[i] = widen(s, bits);
  }
  ArgPack args;
  args.buf(aRoom, aFirst).buf(wRoom, wFirst).buf(c).idx(m).idx(n).idx(k).idx(
      lda).idx(ldc).idx(accumulate).idx(act);
  // The GPU form sums in another order: outputs whose terms cancel differ
  // by the terms' roundings, so against the host kernel relative to the
  // largest output (the reference check below is per element).
  runKernel(kernelOf(s), args, 1e-5, ArgPack::Scale::Buffer);
  for (int64_t t = 0; t < m; ++t) {
    for (int64_t j = 0; j < n; ++j) {
      double want = accumulate ? 0.25 : 0.0, magnitude = want;
      for (int64_t i = 0; i < k; ++i) {
        const double x = referenceActivation(act, a[t * lda + i]);
        want += x * wide[j * k + i];
        magnitude += std::fabs(x * wide[j * k + i]);
        // laplace's 1 + erf(u) cancels where erf(u) is near -1: in f32 (as
        // torch computes it) its error is absolute, at its range's scale 1.
        if (act == Laplace)
          magnitude += std::fabs(wide[j * k + i]);
      }
      // A sum of f32 roundings: each product's partial sum passes through
      // at most k / 16 + k % 16 + 16 of them in either form (the host's
      // k / 16 per lane, its last k % 16 one at a time and its 16 lanes'
      // tree; the GPU form's k / 256 + 8 per thread, the warp's 5 and the
      // block's 7), each at most 2^-24 of the terms' magnitude; an
      // activation in f32 adds a few more (libm's exp, erf, tanh).
      const double roundings =
          double(k / 16 + k % 16 + 16 + (act >= 0 ? 8 : 0));
      ASSERT_NEAR(c[t * ldc + j], want,
                  roundings * 0x1p-24 * magnitude + 0x1p-40)
          << kernelOf(s) << " act " << act << " m " << m << " n " << n
          << " k " << k << " at ["
          << t << ", " << j << "]";
    }
    for (int64_t j = n; j < ldc && t * ldc + j < int64_t(c.size()); ++j)
      ASSERT_EQ(c[t * ldc + j], 0.25f) << "padding of C written";
  }
}

/// The storages whose kernel the form under test has.
std::vector<Storage> storagesUnderTest() {
  if (gpuFormUnderTest())
    return {Storage::Bf16};
  return {Storage::Bf16, Storage::F16, Storage::E4m3};
}

TEST(KernelGemv, EveryStorageAndShape) {
  // The GPU form's pairs of rows of A: one (m = 1), one pair, pairs and a
  // last row alone (m = 3, 7, 9, 13), pairs only (m = 8, 12, 16); the
  // host's tiles of four rows of A and the rows left over. n = 37 leaves 3 of the
  // GPU form's last block's 4 rows of W unused and the host's last pair of
  // rows of W with one row (n odd); n = 4 pairs every row. k not a multiple
  // of 8 reads the weights one at a time on the GPU, k % 16 the host's
  // tails.
  for (Storage s : storagesUnderTest())
    for (int64_t m : {1, 2, 3, 7, 8, 9, 12, 13, 16})
      for (int64_t n : {m == 16 ? int64_t(3) : int64_t(37), int64_t(4)})
        for (int64_t k : {1, 15, 16, 17, 31, 32, 33, 100, 257, 600})
          for (bool accumulate : {false, true})
            runGemv(s, m, n, k, accumulate);
}

TEST(KernelGemv, AlignedAndUnalignedOperands) {
  // The GPU form's 16-byte chunks of W (k % 8 == 0 and W aligned) and of A
  // (lda % 4 == 0 and A aligned), each with the other aligned or not, and
  // their fallbacks: k of 1, 8 and 257 chunks of 8 (a thread takes chunks
  // 256 apart), n = 9 leaves 3 of the last block's 4 rows of W unused, m
  // of one, a pair, a pair and one; and relu² applied to the loaded A.
  for (Storage s : storagesUnderTest())
    for (int64_t k : {8, 64, 2056})
      for (int64_t ldaPad : {0, 4, 3})
        for (bool alignA : {true, false})
          for (bool alignW : {true, false})
            for (int64_t m : {1, 2, 3})
              runGemv(s, m, /*n=*/9, k, /*accumulate=*/m == 2,
                      /*act=*/m == 3 ? Relu2 : -1,
                      Layout{ldaPad, alignA, alignW});
}

TEST(KernelGemv, EveryActivationAppliesToAAsItIsRead) {
  // A's elements through the activation before the products (the cuda
  // backend's down projection takes the MLP's relu² so): every code, on
  // rows of A of both signs, through the GPU form's constant relu² copy and
  // its copy for any other code, A read in 16-byte loads (k = 600, lda = k)
  // and one element at a time (lda = k + 3, or odd k).
  // The GPU form takes codes 0-6 only (gemv_gpu.mlir; the cuda backend
  // gives it relu² or none): GpuFormGivesNanForTheRarerActivations.
  const int acts = gpuFormUnderTest() ? Gelu10 : NumActs;
  for (Storage s : storagesUnderTest())
    for (int act = 0; act < acts; ++act)
      for (int64_t m : {1, 2, 9})
        for (int64_t k : {33, 600})
          for (int64_t ldaPad : {3, 0})
            runGemv(s, m, /*n=*/11, k, /*accumulate=*/act % 2 == 1, act,
                    Layout{ldaPad, true, true});
}

TEST(KernelGemv, GpuFormGivesNanForTheRarerActivations) {
  // Codes 7-15 cost the GPU form registers it does not have (sm_80
  // spilled); it makes them loud instead of wrong. The host form takes
  // every code (EveryActivationAppliesToAAsItIsRead).
  if (!gpuFormUnderTest())
    GTEST_SKIP() << "the GPU form's restriction (NHC_KERNEL_TEST_FORM=gpu)";
  const int64_t m = 1, n = 4, k = 16;
  std::vector<float> a(m * k, 0.5f), c(m * n, 0.25f);
  std::vector<uint8_t> w(n * k * 2, 0);
  for (int act = Gelu10; act < NumActs; ++act) {
    ArgPack args;
    args.buf(a).buf(w).buf(c).idx(m).idx(n).idx(k).idx(k).idx(n).idx(0).idx(act);
    runGpuBody("nhc_gemv_bf16", args);
    for (float v : c)
      EXPECT_TRUE(std::isnan(v)) << "act " << act;
  }
}

TEST(KernelGemv, SpecialValuesWidenExactly) {
  // One row of A of ones times a weight row holding one special value each
  // (the rest zero): the output is that value's widening.
  struct Special {
    Storage storage;
    uint32_t bits;
  };
  const Special specials[] = {
      {Storage::F16, 0x0001},  // smallest subnormal, 2^-24
      {Storage::F16, 0x83ff},  // largest negative subnormal
      {Storage::F16, 0x7bff},  // 65504
      {Storage::F16, 0x7c00},  // +inf
      {Storage::F16, 0xfc00},  // -inf
      {Storage::F16, 0x7e00},  // NaN
      {Storage::E4m3, 0x01},   // 2^-9
      {Storage::E4m3, 0x87},   // -7 * 2^-9
      {Storage::E4m3, 0x7e},   // 448
      {Storage::E4m3, 0x7f},   // NaN
      {Storage::E4m3, 0xff},   // NaN
      {Storage::Bf16, 0x0001}, // bf16 subnormal
      {Storage::Bf16, 0xff80}, // -inf
      {Storage::Bf16, 0x7fc1}, // NaN
  };
  const int64_t k = 40; // the special value sits in the masked tail block
  const std::vector<Storage> storages = storagesUnderTest();
  for (const Special &sp : specials)
    for (int64_t at : {int64_t(5), int64_t(35)}) {
      if (std::find(storages.begin(), storages.end(), sp.storage) ==
          storages.end())
        continue;
      std::vector<float> a(k, 1.0f), c(1);
      std::vector<uint8_t> w(k * bytesOf(sp.storage), 0);
      std::memcpy(&w[at * bytesOf(sp.storage)], &sp.bits,
                  bytesOf(sp.storage));
      ArgPack args;
      args.buf(a).buf(w).buf(c).idx(1).idx(1).idx(k).idx(k).idx(1).idx(0).idx(
          -1);
      runKernel(kernelOf(sp.storage), args);
      double want = widen(sp.storage, sp.bits);
      if (std::isnan(want))
        EXPECT_TRUE(std::isnan(c[0]))
            << kernelOf(sp.storage) << " bits 0x" << std::hex << sp.bits;
      else
        EXPECT_EQ(double(c[0]), want)
            << kernelOf(sp.storage) << " bits 0x" << std::hex << sp.bits;
    }
}

} // namespace

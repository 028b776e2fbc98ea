//===- MoeExpertsKernelTest.cpp - routed experts on the device ------------===//
//
// moe_experts.mlir's kernels (a device backend's moe_experts for decode-sized
// steps) against their definitions: the bucketing against a counting sort
// written here, the stacked-weight matmuls and the combine against double
// references, and the four together against the routed-experts formula
// (out[t] = sum_j w[t, j] down_e(relu2(up_e(x_t))), bf16 operands).
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "KernelTestUtils.h"

using namespace nhc_test;

namespace {

constexpr int64_t kRelu2 = 0; // nhc_conv_activate's code
constexpr int64_t kNoActivation = -1;

/// What nhc_moe_bucket must write, by a counting sort.
struct Buckets {
  std::vector<int32_t> offsets, token, slot, active;
};
Buckets countingSort(const std::vector<int32_t> &idx, int64_t K, int64_t E,
                     int64_t A) {
  Buckets b;
  b.offsets.assign(E + 1, 0);
  b.slot.assign(idx.size(), -1);
  for (int32_t e : idx)
    if (e >= 0 && e < E)
      ++b.offsets[e + 1];
  for (int64_t e = 0; e < E; ++e) {
    if (b.offsets[e + 1])
      b.active.push_back(int32_t(e));
    b.offsets[e + 1] += b.offsets[e];
  }
  b.active.resize(A, -1);
  b.token.assign(b.offsets[E], -1);
  std::vector<int32_t> next(b.offsets.begin(), b.offsets.end() - 1);
  for (size_t i = 0; i < idx.size(); ++i)
    if (idx[i] >= 0 && idx[i] < E) {
      int32_t at = next[idx[i]]++;
      b.token[at] = int32_t(i / K);
      b.slot[i] = at;
    }
  return b;
}

/// Runs nhc_moe_bucket; buffers one longer than needed, to see overruns.
Buckets runBucket(const std::vector<int32_t> &idx, int64_t T, int64_t K,
                  int64_t E, int64_t A) {
  Buckets got;
  got.offsets.assign(E + 2, -7);
  got.token.assign(T * K + 1, -7);
  got.slot.assign(T * K + 1, -7);
  got.active.assign(A + 1, -7);
  std::vector<int32_t> in = idx;
  ArgPack a;
  a.buf(in).buf(got.offsets).buf(got.token).buf(got.slot).buf(got.active)
      .idx(T).idx(K).idx(E).idx(A);
  runKernel("nhc_moe_bucket", a);
  return got;
}

void expectBuckets(const std::vector<int32_t> &idx, int64_t T, int64_t K,
                   int64_t E) {
  const int64_t A = std::min<int64_t>(E, T * K);
  Buckets want = countingSort(idx, K, E, A), got = runBucket(idx, T, K, E, A);
  for (int64_t e = 0; e <= E; ++e)
    ASSERT_EQ(got.offsets[e], want.offsets[e]) << "offsets[" << e << "]";
  EXPECT_EQ(got.offsets[E + 1], -7) << "offsets written past E + 1";
  for (int32_t p = 0; p < want.offsets[E]; ++p)
    ASSERT_EQ(got.token[p], want.token[p]) << "token at position " << p;
  for (int64_t p = want.offsets[E]; p <= T * K; ++p)
    ASSERT_EQ(got.token[p], -7) << "token written at unused position " << p;
  for (int64_t i = 0; i < T * K; ++i)
    ASSERT_EQ(got.slot[i], want.slot[i]) << "slot of route " << i;
  EXPECT_EQ(got.slot[T * K], -7);
  for (int64_t a = 0; a < A; ++a)
    ASSERT_EQ(got.active[a], want.active[a]) << "active[" << a << "]";
  EXPECT_EQ(got.active[A], -7) << "active written past A";
}

/// Routes as nhc_moe_route writes them: K distinct experts per token.
std::vector<int32_t> distinctRoutes(std::mt19937 &rng, int64_t T, int64_t K,
                                    int64_t E) {
  std::vector<int32_t> idx;
  std::vector<int32_t> experts(E);
  for (int64_t e = 0; e < E; ++e)
    experts[e] = int32_t(e);
  for (int64_t t = 0; t < T; ++t) {
    std::shuffle(experts.begin(), experts.end(), rng);
    idx.insert(idx.end(), experts.begin(), experts.begin() + K);
  }
  return idx;
}

float roundBf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  bits = (bits + 0x7fff + ((bits >> 16) & 1)) & 0xffff0000u;
  std::memcpy(&x, &bits, 4);
  return x;
}
uint16_t bf16Bits(float x) {
  float r = roundBf16(x);
  uint32_t bits;
  std::memcpy(&bits, &r, 4);
  return uint16_t(bits >> 16);
}
float widen(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float x;
  std::memcpy(&x, &wide, 4);
  return x;
}

/// A stacked [E, n, k] weight: as bf16 bits, and those values as floats.
struct Stacked {
  std::vector<int16_t> bits;
  std::vector<float> values;
};
Stacked stackedWeight(std::mt19937 &rng, int64_t E, int64_t n, int64_t k,
                      float range) {
  Stacked w;
  w.values = randomFloats(rng, E * n * k, -range, range);
  for (float &v : w.values) {
    uint16_t b = bf16Bits(v);
    w.bits.push_back(int16_t(b));
    v = widen(b);
  }
  return w;
}

/// y[p, j] of nhc_moe_expert_matmul_*, in double.
std::vector<double> matmulReference(const std::vector<float> &x,
                                    const Buckets &b,
                                    const std::vector<float> &w, int64_t n,
                                    int64_t k, bool gather, bool bf16x,
                                    int64_t act, size_t rows) {
  std::vector<double> y(rows * n, -7.0);
  for (int32_t e : b.active) {
    if (e < 0)
      continue;
    for (int32_t p = b.offsets[e]; p < b.offsets[e + 1]; ++p) {
      int64_t src = gather ? b.token[p] : p;
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t i = 0; i < k; ++i) {
          float xv = x[src * k + i];
          sum += double(bf16x ? roundBf16(xv) : xv) * w[(e * n + j) * k + i];
        }
        if (act == kRelu2)
          sum = sum > 0 ? sum * sum : 0;
        y[p * n + j] = sum;
      }
    }
  }
  return y;
}

TEST(KernelMoeExperts, BucketSortsRoutesByExpertInRouteOrder) {
  std::mt19937 rng(5);
  // A decode step of 5 tokens, top-2 of 8: some experts unused.
  expectBuckets(distinctRoutes(rng, 5, 2, 8), 5, 2, 8);
  // One token, one route.
  expectBuckets({3}, 1, 1, 4);
  // Indices outside [0, E) are skipped (slot -1), as the host does.
  expectBuckets({2, -1, 7, 2, 0, 9, 2, 2}, 4, 2, 7);
  // Every route on one expert.
  expectBuckets(std::vector<int32_t>(12, 5), 6, 2, 6);
}

TEST(KernelMoeExperts, BucketCrossesItsChunksAndExpertStrides) {
  // More routes than the GPU form's 4096 per pass, and more experts than a
  // block's 256 threads (each thread takes several), with repeats.
  std::mt19937 rng(11);
  const int64_t T = 1400, K = 3, E = 300;
  std::vector<int32_t> idx(T * K);
  std::uniform_int_distribution<int32_t> pick(0, E - 1);
  for (int32_t &e : idx)
    e = pick(rng) % 97 == 0 ? -1 : pick(rng);
  expectBuckets(idx, T, K, E);
}

TEST(KernelMoeExperts, ExpertMatmulMultipliesEachRouteByItsExpert) {
  // Columns not a multiple of 4, k not of 8 (the bf16 GPU form's element
  // loop), about 7 rows per expert (the GPU forms' groups of 4 and a
  // remainder); gathered (up) and not (down),
  // with and without relu2, bf16 and f32 weights.
  std::mt19937 rng(23);
  const int64_t T = 11, K = 2, E = 3, n = 13, k = 45;
  const int64_t A = std::min(E, T * K);
  std::vector<int32_t> idx = distinctRoutes(rng, T, K, E);
  Buckets b = countingSort(idx, K, E, A);
  Stacked w = stackedWeight(rng, E, n, k, 0.5f);
  for (bool gather : {true, false})
    for (int64_t act : {kRelu2, kNoActivation}) {
      const size_t xRows = gather ? T : T * K;
      std::vector<float> x = randomFloats(rng, xRows * k, -0.5f, 0.5f);
      for (bool bf16 : {true, false}) {
        std::vector<float> y(T * K * n + 1, -7.0f);
        ArgPack a;
        a.buf(x).buf(b.token).buf(b.offsets).buf(b.active);
        std::vector<int16_t> bits = w.bits;
        std::vector<float> values = w.values;
        if (bf16)
          a.buf(bits);
        else
          a.buf(values);
        a.buf(y).idx(A).idx(n).idx(k).idx(gather).idx(act);
        runKernel(bf16 ? "nhc_moe_expert_matmul_bf16"
                       : "nhc_moe_expert_matmul_f32",
                  a);
        std::vector<double> want = matmulReference(
            x, b, w.values, n, k, gather, bf16, act, T * K);
        want.push_back(-7.0);
        expectClose(y, want, 1e-5,
                    std::string(bf16 ? "bf16" : "f32") +
                        (gather ? " gathered" : " in place") +
                        (act == kRelu2 ? " relu2" : ""));
      }
    }
}

TEST(KernelMoeExperts, ExpertMatmulSkipsUnusedEntriesAndEmptyExperts) {
  // Two of six experts used; active's -1 entries and the other experts'
  // empty ranges write nothing.
  std::mt19937 rng(29);
  const int64_t T = 3, K = 2, E = 6, n = 9, k = 40, A = 6;
  std::vector<int32_t> idx = {4, 1, 1, 4, 4, 1};
  Buckets b = countingSort(idx, K, E, A);
  ASSERT_EQ(b.active[2], -1);
  Stacked w = stackedWeight(rng, E, n, k, 0.5f);
  std::vector<float> x = randomFloats(rng, T * k, -0.5f, 0.5f);
  std::vector<float> y(T * K * n + 5, -7.0f);
  ArgPack a;
  a.buf(x).buf(b.token).buf(b.offsets).buf(b.active).buf(w.bits).buf(y)
      .idx(A).idx(n).idx(k).idx(1).idx(kNoActivation);
  runKernel("nhc_moe_expert_matmul_bf16", a);
  std::vector<double> want =
      matmulReference(x, b, w.values, n, k, true, true, kNoActivation, T * K);
  want.resize(y.size(), -7.0);
  expectClose(y, want, 1e-5, "two experts used");
}

/// A stacked-weight matmul `kernel` (bf16 or e4m3) against the double
/// reference of x rounded to bf16 times the widened weights, for every `k`
/// of `ks`, the weight (`make(rng, E, n, k)`: its storage, bf16 bits or e4m3
/// bytes, and its values) and x each on a 16-byte boundary or one element
/// past one, the tokens' rows with relu2 (up) or the positions' own (down).
/// Six tokens, top-2 of 5 experts: experts with a single route (taken
/// alone) and with several (4 at a time and a remainder); n = 9 leaves 3 of
/// the last block's 4 columns unused.
template <typename MakeWeight>
void expectAlignmentCases(const char *kernel, std::vector<int64_t> ks,
                          uint32_t seed, MakeWeight make) {
  SCOPED_TRACE(kernel);
  std::mt19937 rng(seed);
  const int64_t T = 6, K = 2, E = 5, n = 9;
  const int64_t A = std::min(E, T * K);
  std::vector<int32_t> idx = {0, 1, 0, 2, 0, 3, 0, 4, 0, 2, 4, 0};
  Buckets b = countingSort(idx, K, E, A);
  for (int64_t k : ks)
    for (bool alignW : {true, false})
      for (bool alignX : {true, false})
        for (bool gather : {true, false}) {
          const auto [stored, values] = make(rng, E, n, k);
          using Storage = typename std::decay_t<decltype(stored)>::value_type;
          const int64_t xRows = gather ? T : T * K;
          std::vector<float> xRoom =
              randomFloats(rng, xRows * k + 4, -0.5f, 0.5f);
          const size_t xFirst = firstAt16(xRoom.data(), sizeof(float), alignX);
          std::vector<Storage> wRoom(stored.size() + 16 / sizeof(Storage));
          const size_t wFirst = firstAt16(wRoom.data(), sizeof(Storage), alignW);
          std::copy(stored.begin(), stored.end(), wRoom.begin() + wFirst);
          const int64_t act = gather ? kRelu2 : kNoActivation;
          std::vector<float> y(T * K * n + 1, -7.0f);
          ArgPack a;
          a.buf(xRoom, xFirst).buf(b.token).buf(b.offsets).buf(b.active)
              .buf(wRoom, wFirst).buf(y).idx(A).idx(n).idx(k).idx(gather)
              .idx(act);
          runKernel(kernel, a);
          std::vector<float> x(xRoom.begin() + xFirst, xRoom.end());
          std::vector<double> want = matmulReference(x, b, values, n, k,
                                                     gather, true, act, T * K);
          want.push_back(-7.0);
          expectClose(y, want, 1e-5,
                      "k " + std::to_string(k) +
                          (alignW ? "" : " W unaligned") +
                          (alignX ? "" : " x unaligned") +
                          (gather ? " gathered" : " in place"));
        }
}

TEST(KernelMoeExperts, ExpertMatmulAlignedAndUnalignedOperands) {
  // The bf16 GPU forms' 16-byte loads (k % 8 == 0, the weight and x
  // 16-byte aligned) and their one-element fallback (either misaligned, or
  // k % 8 != 0); k of 1, 8 and 257 chunks of 8 (the untiled form: a thread
  // takes chunks 256 apart; the tiled one: 1, 2 and 65 stages of 32).
  for (auto [kernel, seed] : {std::make_pair("nhc_moe_expert_matmul_bf16", 41u),
                              std::make_pair("nhc_moe_expert_matmul_bf16_tiled", 53u)})
    expectAlignmentCases(
        kernel, {8, 64, 2056, 36}, seed,
        [](std::mt19937 &rng, int64_t E, int64_t n, int64_t k) {
          Stacked w = stackedWeight(rng, E, n, k, 0.5f);
          return std::make_pair(w.bits, w.values);
        });
}

/// A tiled expert matmul `tiled` against the double reference and against
/// the untiled kernel `untiled` of the same weight dtype, at one k:
/// TiledExpertMatmulCrossesRouteColumnAndKTiles's shapes; `make(rng, E, n,
/// k)` gives the weight's storage and values.
template <typename MakeWeight>
void expectTiledMatchesUntiled(const char *tiled, const char *untiled,
                               int64_t k, MakeWeight make) {
  SCOPED_TRACE(std::string(tiled) + ", k " + std::to_string(k));
  std::mt19937 rng(43 + uint32_t(k));
  const int64_t T = 150, K = 2, E = 5, n = 130;
  const int64_t A = std::min(E, T * K);
  std::vector<int32_t> idx;
  for (int64_t t = 0; t < T; ++t) {
    idx.push_back(0); // every token: expert 0 has 150 routes
    idx.push_back(t == 7 ? 3 : (t % 3 == 0 ? 1 : 2)); // expert 3: one
  }
  Buckets b = countingSort(idx, K, E, A);
  ASSERT_EQ(b.offsets[1] - b.offsets[0], 150);
  ASSERT_EQ(b.offsets[4] - b.offsets[3], 1);
  ASSERT_EQ(b.offsets[5] - b.offsets[4], 0); // expert 4 unused
  auto [stored, values] = make(rng, E, n, k);
  for (bool gather : {true, false})
    for (int64_t act : {kRelu2, kNoActivation}) {
      const size_t xRows = gather ? T : T * K;
      std::vector<float> x = randomFloats(rng, xRows * k, -2.0f, 2.0f);
      std::vector<float> y(T * K * n + 3, -7.0f);
      std::vector<float> fromUntiled = y;
      ArgPack a, u;
      a.buf(x).buf(b.token).buf(b.offsets).buf(b.active).buf(stored).buf(y)
          .idx(A).idx(n).idx(k).idx(gather).idx(act);
      u.buf(x).buf(b.token).buf(b.offsets).buf(b.active).buf(stored)
          .buf(fromUntiled).idx(A).idx(n).idx(k).idx(gather).idx(act);
      runKernel(tiled, a);
      runKernel(untiled, u);
      std::vector<double> want = matmulReference(x, b, values, n, k, gather,
                                                 true, act, T * K);
      want.resize(y.size(), -7.0);
      const std::string what = std::string(gather ? "gathered" : "in place") +
                               (act == kRelu2 ? " relu2" : "");
      expectClose(y, want, 1e-5, "tiled " + what);
      std::vector<double> untiledSums(fromUntiled.begin(), fromUntiled.end());
      expectClose(y, untiledSums, 1e-5, "tiled against untiled " + what);
    }
}

// The tiled form (tensor cores in its GPU form): experts with more routes
// than a 64-route tile (one with 150: tiles of 64, 64 and 22), with one
// route, with none; n past a 64-column tile with a partial one (130), k
// with a partial 32-wide stage (100: one element at a time; 104: 16-byte
// loads, one chunk of 8 in the last stage); gathered and not, relu2 and
// none; the nhc_moe_expert_matmul_bf16 sums to rounding (each product of
// bf16 values exact in both).
TEST(KernelMoeExperts, TiledExpertMatmulCrossesRouteColumnAndKTiles) {
  for (int64_t k : {100, 104})
    expectTiledMatchesUntiled(
        "nhc_moe_expert_matmul_bf16_tiled", "nhc_moe_expert_matmul_bf16", k,
        [](std::mt19937 &rng, int64_t E, int64_t n, int64_t k) {
          Stacked w = stackedWeight(rng, E, n, k, 0.5f);
          return std::make_pair(w.bits, w.values);
        });
}

// A NaN or infinity reaches only its own outputs: a NaN weight its
// column, an infinite x its route's row; the padding of a partial tile
// (zeros beside them) spreads neither.
TEST(KernelMoeExperts, TiledExpertMatmulKeepsNonFiniteValuesInTheirRowAndColumn) {
  std::mt19937 rng(47);
  const int64_t T = 70, K = 1, E = 2, n = 70, k = 40, A = 2;
  std::vector<int32_t> idx(T, 0);
  idx[5] = 1;
  Buckets b = countingSort(idx, K, E, A);
  Stacked w = stackedWeight(rng, E, n, k, 0.5f);
  const int64_t nanColumn = 66; // in the partial column tile
  w.bits[(0 * n + nanColumn) * k + 3] = int16_t(0x7fc0);
  std::vector<float> x = randomFloats(rng, T * k, -1.0f, 1.0f);
  const int64_t infToken = 69; // the last route of expert 0: a partial tile
  x[infToken * k + 9] = INFINITY;
  std::vector<float> y(T * n, -7.0f);
  ArgPack a;
  a.buf(x).buf(b.token).buf(b.offsets).buf(b.active).buf(w.bits).buf(y)
      .idx(A).idx(n).idx(k).idx(1).idx(kNoActivation);
  runKernel("nhc_moe_expert_matmul_bf16_tiled", a);
  for (int32_t p = 0; p < b.offsets[2]; ++p)
    for (int64_t j = 0; j < n; ++j) {
      const float v = y[p * n + j];
      const bool expert0 = p < b.offsets[1];
      const bool nanHere = expert0 && j == nanColumn;
      const bool infRow = b.token[p] == infToken;
      if (nanHere)
        EXPECT_TRUE(std::isnan(v)) << "route " << p << " column " << j;
      else if (infRow)
        EXPECT_FALSE(std::isfinite(v)) << "route " << p << " column " << j;
      else
        EXPECT_TRUE(std::isfinite(v)) << "route " << p << " column " << j;
    }
}

/// A stacked [E, n, k] e4m3 weight of random finite codes, of magnitude
/// code at most `maxMagnitude` (0x7e: up to 448; 0x3f: below 2): the bytes,
/// and their values.
struct StackedE4m3 {
  std::vector<int8_t> bytes;
  std::vector<float> values;
};
StackedE4m3 stackedE4m3(std::mt19937 &rng, int64_t E, int64_t n, int64_t k,
                        int maxMagnitude = 0x7e) {
  StackedE4m3 w;
  std::uniform_int_distribution<int> magnitude(0, maxMagnitude), sign(0, 1);
  for (int64_t i = 0; i < E * n * k; ++i) {
    const int c = sign(rng) << 7 | magnitude(rng);
    w.bytes.push_back(int8_t(c));
    w.values.push_back(float(e4m3Value(uint8_t(c))));
  }
  return w;
}

TEST(KernelMoeExperts, E4m3ExpertMatmulWidensEveryCodeExactly) {
  // W[j, i] = code (8 j + i) % 256 (NaN codes replaced by zero) and route
  // row t of x one-hot at column c_t = t: y[t, j] is exactly the value of
  // code (8 j + t) % 256. So every finite code (subnormals, +-448; a zero
  // of either sign sums to +0) is read as itself, at every byte position of
  // the GPU form's first 16-byte chunk and at positions of its second;
  // k = 32 takes the chunks, k = 33 the one-element fallback. 21 tokens on
  // one expert: 4 routes at a time five times, then one alone.
  const int64_t T = 21, K = 1, E = 1, n = 32;
  const std::vector<int32_t> idx(T, 0);
  Buckets b = countingSort(idx, K, E, 1);
  for (int64_t k : {32, 33}) {
    SCOPED_TRACE("k " + std::to_string(k));
    auto code = [](int64_t j, int64_t i) {
      const int c = int((8 * j + i) % 256);
      return (c & 0x7f) == 0x7f ? 0 : c;
    };
    std::vector<int8_t> room(n * k + 16);
    const size_t first = firstAt16(room.data(), 1, true);
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < k; ++i)
        room[first + j * k + i] = int8_t(code(j, i));
    std::vector<float> xRoom(T * k + 4, 0.0f);
    const size_t xFirst = firstAt16(xRoom.data(), sizeof(float), true);
    for (int64_t t = 0; t < T; ++t)
      xRoom[xFirst + t * k + t] = 1.0f;
    std::vector<float> y(T * n + 1, -7.0f);
    ArgPack a;
    a.buf(xRoom, xFirst).buf(b.token).buf(b.offsets).buf(b.active)
        .buf(room, first).buf(y).idx(1).idx(n).idx(k).idx(1)
        .idx(kNoActivation);
    runKernel("nhc_moe_expert_matmul_e4m3", a);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < n; ++j) {
        const int c = code(j, t);
        ASSERT_EQ(y[t * n + j], float(e4m3Value(uint8_t(c))))
            << "route " << t << " column " << j << " code " << c;
      }
    EXPECT_EQ(y[T * n], -7.0f) << "written past the rows";
  }
}

TEST(KernelMoeExperts, E4m3ExpertMatmulNanWeightGivesNanColumn) {
  // A NaN code (S.1111.111) in one weight row: that column is NaN for the
  // expert's routes, every other column and expert is not.
  std::mt19937 rng(53);
  const int64_t T = 4, K = 2, E = 3, n = 5, k = 32;
  const int64_t A = std::min(E, T * K);
  std::vector<int32_t> idx = {0, 1, 0, 2, 1, 0, 2, 1};
  Buckets b = countingSort(idx, K, E, A);
  for (uint8_t nan : {uint8_t(0x7f), uint8_t(0xff)})
    for (bool aligned : {true, false}) { // the 16-byte chunks, one at a time
      StackedE4m3 w = stackedE4m3(rng, E, n, k);
      w.bytes[(1 * n + 3) * k + 17] = int8_t(nan); // expert 1, row 3
      std::vector<int8_t> room(w.bytes.size() + 16);
      const size_t first = firstAt16(room.data(), 1, aligned);
      std::copy(w.bytes.begin(), w.bytes.end(), room.begin() + first);
      std::vector<float> xRoom = randomFloats(rng, T * k + 4, -0.5f, 0.5f);
      const size_t xFirst = firstAt16(xRoom.data(), sizeof(float), true);
      std::vector<float> y(T * K * n, -7.0f);
      ArgPack a;
      a.buf(xRoom, xFirst).buf(b.token).buf(b.offsets).buf(b.active)
          .buf(room, first).buf(y).idx(A).idx(n).idx(k).idx(1)
          .idx(kNoActivation);
      runKernel("nhc_moe_expert_matmul_e4m3", a);
      for (int64_t e = 0; e < E; ++e)
        for (int32_t p = b.offsets[e]; p < b.offsets[e + 1]; ++p)
          for (int64_t j = 0; j < n; ++j)
            EXPECT_EQ(std::isnan(y[p * n + j]), e == 1 && j == 3)
                << "code " << int(nan) << (aligned ? "" : ", W unaligned")
                << ", expert " << e << " position " << p << " column " << j;
    }
}

TEST(KernelMoeExperts, E4m3ExpertMatmulAlignedAndUnalignedOperands) {
  // The e4m3 GPU form's 16-byte chunks (k % 16 == 0, W and x 16-byte
  // aligned) and its one-element fallback (either misaligned, or k % 16 !=
  // 0: k = 8 and 36); 1, 4 and 257 chunks of 16. Magnitudes below 2, as the
  // bf16 test's, so that the GPU form's sums in another order stay within
  // its 1e-5 of the host's.
  expectAlignmentCases(
      "nhc_moe_expert_matmul_e4m3", {16, 64, 4112, 8, 36}, 59,
      [](std::mt19937 &rng, int64_t E, int64_t n, int64_t k) {
        StackedE4m3 w = stackedE4m3(rng, E, n, k, 0x3f);
        return std::make_pair(w.bytes, w.values);
      });
}

// The tiled form on e4m3 weights: the bf16 tiled tests' shapes (k = 100:
// one byte at a time; 104: 8-byte loads), and operands aligned and not
// (k = 8, 64, 4112: 8-byte loads where aligned; 36: one byte at a time).
TEST(KernelMoeExperts, TiledE4m3ExpertMatmulMatchesTheUntiledOne) {
  auto make = [](std::mt19937 &rng, int64_t E, int64_t n, int64_t k) {
    StackedE4m3 w = stackedE4m3(rng, E, n, k, 0x3f);
    return std::make_pair(w.bytes, w.values);
  };
  for (int64_t k : {100, 104})
    expectTiledMatchesUntiled("nhc_moe_expert_matmul_e4m3_tiled",
                              "nhc_moe_expert_matmul_e4m3", k, make);
  expectAlignmentCases("nhc_moe_expert_matmul_e4m3_tiled", {8, 64, 4112, 36},
                       61, make);
}

TEST(KernelMoeExperts, CombineAddsEachTokensRoutesInOrder) {
  std::mt19937 rng(31);
  const int64_t T = 4, K = 3, H = 11;
  std::vector<int32_t> slot = {5, 0, 7, 2, -1, 9, 11, 1, 3, 4, 6, -1};
  std::vector<float> y = randomFloats(rng, 12 * H), w = randomFloats(rng, T * K);
  std::vector<float> out(T * H + 1, -7.0f);
  ArgPack a;
  a.buf(y).buf(slot).buf(w).buf(out).idx(T).idx(K).idx(H);
  runKernel("nhc_moe_combine", a);
  std::vector<double> want(T * H + 1, -7.0);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t h = 0; h < H; ++h) {
      double sum = 0;
      for (int64_t j = 0; j < K; ++j)
        if (slot[t * K + j] >= 0)
          sum += double(w[t * K + j]) * y[slot[t * K + j] * H + h];
      want[t * H + h] = sum;
    }
  expectClose(out, want, 1e-6, "combined rows");
}

TEST(KernelMoeExperts, TheFourComputeRoutedExperts) {
  // bucket -> up (gathered, relu2) -> down -> combine against
  // out[t] = sum_j w[t, j] down_e(relu2(up_e(bf16(x_t)))), the down
  // product's operand rounded to bf16 too.
  std::mt19937 rng(37);
  const int64_t T = 7, K = 3, E = 9, H = 24, I = 36;
  const int64_t A = std::min(E, T * K);
  std::vector<int32_t> idx = distinctRoutes(rng, T, K, E);
  std::vector<float> routeWeights = randomFloats(rng, T * K, 0.f, 1.f);
  Stacked up = stackedWeight(rng, E, I, H, 0.4f);
  Stacked down = stackedWeight(rng, E, H, I, 0.4f);
  std::vector<float> x = randomFloats(rng, T * H);

  Buckets b = runBucket(idx, T, K, E, A);
  std::vector<float> h(T * K * I), yRows(T * K * H), out(T * H);
  ArgPack u;
  u.buf(x).buf(b.token).buf(b.offsets).buf(b.active).buf(up.bits).buf(h)
      .idx(A).idx(I).idx(H).idx(1).idx(kRelu2);
  runKernel("nhc_moe_expert_matmul_bf16", u);
  ArgPack d;
  d.buf(h).buf(b.token).buf(b.offsets).buf(b.active).buf(down.bits)
      .buf(yRows).idx(A).idx(H).idx(I).idx(0).idx(kNoActivation);
  runKernel("nhc_moe_expert_matmul_bf16", d);
  ArgPack c;
  c.buf(yRows).buf(b.slot).buf(routeWeights).buf(out).idx(T).idx(K).idx(H);
  runKernel("nhc_moe_combine", c);

  std::vector<double> want(T * H, 0.0);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t j = 0; j < K; ++j) {
      const int64_t e = idx[t * K + j];
      std::vector<float> act(I);
      for (int64_t r = 0; r < I; ++r) {
        double s = 0;
        for (int64_t i = 0; i < H; ++i)
          s += double(roundBf16(x[t * H + i])) * up.values[(e * I + r) * H + i];
        act[r] = roundBf16(float(s > 0 ? s * s : 0));
      }
      for (int64_t c2 = 0; c2 < H; ++c2) {
        double s = 0;
        for (int64_t r = 0; r < I; ++r)
          s += double(act[r]) * down.values[(e * H + c2) * I + r];
        want[t * H + c2] += routeWeights[t * K + j] * s;
      }
    }
  // The reference rounds the activations from double sums: bf16 steps.
  expectClose(out, want, 2e-2, "routed experts");
}

/// One FP8 expert list of nhc_moe_fp8_rows' `scales` per MoeScales entry
/// (up input, up weight, down input, down weight), E each.
std::vector<float> fp8Scales(std::mt19937 &rng, int64_t E) {
  std::vector<float> scales = randomFloats(rng, 4 * E, 0.002f, 0.05f);
  return scales;
}

/// sat_e4m3(v / scale) as a float: the nearest e4m3 value.
float quantizeReference(float v, float scale) {
  return float(e4m3Value(nearestE4m3Code(v / scale)));
}

TEST(KernelMoeExperts, Fp8RowsScaleActivateAndQuantizeByTheRoutesExpert) {
  // Skipped routes (outside [0, E)), unused experts, E not a power of two,
  // gathered and in place, each of the three uses the backend makes.
  std::mt19937 rng(43);
  const int64_t T = 6, K = 3, E = 11, n = 13;
  std::vector<int32_t> idx = distinctRoutes(rng, T, K, E);
  idx[4] = -1;
  idx[9] = int32_t(E);
  const int64_t A = std::min(E, T * K);
  Buckets b = runBucket(idx, T, K, E, A);
  const int64_t routed = b.offsets[E];
  ASSERT_EQ(routed, T * K - 2);
  std::vector<float> scales = fp8Scales(rng, E);
  auto expertOf = [&](int64_t p) {
    int64_t e = 0;
    while (!(b.offsets[e] <= p && p < b.offsets[e + 1]))
      ++e;
    return e;
  };
  struct Use {
    const char *what;
    int64_t gather, mul, act, quant;
  } uses[] = {{"the up input, gathered and quantized", 1, -1, -1, 0},
              {"the up output scaled, activated, quantized", 0, 0, kRelu2, 2},
              {"the down output scaled", 0, 2, -1, -1},
              {"silu without quantizing", 0, 0, Silu, -1}};
  for (const Use &use : uses) {
    SCOPED_TRACE(use.what);
    const int64_t srcRows = use.gather ? T : T * K;
    std::vector<float> src = randomFloats(rng, srcRows * n, -4.f, 4.f);
    std::vector<float> dst(T * K * n + 1, -7.0f);
    ArgPack a;
    a.buf(src).buf(b.token).buf(b.offsets).buf(scales).buf(dst)
        .idx(T * K).idx(E).idx(n).idx(use.gather).idx(use.mul).idx(use.act)
        .idx(use.quant);
    runKernel("nhc_moe_fp8_rows", a);
    for (int64_t p = 0; p < T * K; ++p)
      for (int64_t j = 0; j < n; ++j) {
        const float got = dst[p * n + j];
        if (p >= routed) {
          ASSERT_EQ(got, -7.0f) << "a skipped position written: " << p;
          continue;
        }
        const int64_t e = expertOf(p);
        const int64_t row = use.gather ? b.token[p] : p;
        float v = src[row * n + j];
        if (use.mul >= 0)
          v *= scales[use.mul * E + e] * scales[(use.mul + 1) * E + e];
        v = float(referenceActivation(int(use.act), v));
        if (use.quant >= 0) {
          ASSERT_EQ(got, quantizeReference(v, scales[use.quant * E + e]))
              << "position " << p << " column " << j << " expert " << e;
        } else {
          ASSERT_NEAR(got, v, 1e-5 * std::max(1.0f, std::fabs(v)))
              << "position " << p << " column " << j << " expert " << e;
        }
      }
    EXPECT_EQ(dst[T * K * n], -7.0f) << "written past the rows";
  }
}

TEST(KernelMoeExperts, Fp8RowsFindTheExpertOfEveryPositionUpTo2048Experts) {
  // One route per expert, in reverse, and a multiply by list 0 (e + 1)
  // times list 1 (1): each output names its expert. The buckets are the
  // reference's (nhc_moe_bucket's GPU form takes at most 1024 experts).
  // Then routes to every third expert only: runs of empty experts (equal
  // offsets) between the used ones.
  for (int64_t E : {1, 2, 3, 1000, 1024, 2048}) {
    SCOPED_TRACE("E = " + std::to_string(E));
    std::vector<int32_t> idx(E);
    for (int64_t e = 0; e < E; ++e)
      idx[e] = int32_t(E - 1 - e);
    const int64_t T = E, K = 1;
    {
      std::vector<int32_t> sparse;
      for (int64_t e = E - 1; e >= 0; e -= 3)
        sparse.push_back(int32_t(e));
      const int64_t S = int64_t(sparse.size());
      Buckets b = countingSort(sparse, 1, E, std::min(E, S));
      std::vector<float> scales(4 * E, 1.0f), src(S, 1.0f), dst(S, -7.0f);
      for (int64_t e = 0; e < E; ++e)
        scales[e] = float(e + 1);
      ArgPack a;
      a.buf(src).buf(b.token).buf(b.offsets).buf(scales).buf(dst).idx(S)
          .idx(E).idx(1).idx(1).idx(0).idx(-1).idx(-1);
      runKernel("nhc_moe_fp8_rows", a);
      for (int64_t p = 0; p < S; ++p) // position p: the p-th used expert
        ASSERT_EQ(dst[p], float(sparse[S - 1 - p] + 1)) << "sparse position " << p;
    }
    Buckets b = countingSort(idx, K, E, std::min(E, T * K));
    std::vector<float> scales(4 * E, 1.0f), src(T, 1.0f), dst(T, -7.0f);
    for (int64_t e = 0; e < E; ++e)
      scales[e] = float(e + 1);
    ArgPack a;
    a.buf(src).buf(b.token).buf(b.offsets).buf(scales).buf(dst).idx(T * K)
        .idx(E).idx(1).idx(0).idx(0).idx(-1).idx(-1);
    runKernel("nhc_moe_fp8_rows", a);
    for (int64_t p = 0; p < T; ++p)
      ASSERT_EQ(dst[p], float(p + 1)) << "position " << p;
  }
}

TEST(KernelMoeExperts, Fp8ExpertsOnTheDevicePathMatchTheHostRecipe) {
  // bucket -> fp8 rows (x quantized) -> up (bf16 matmul of e4m3 values) ->
  // fp8 rows (scaled, relu2, quantized) -> down -> fp8 rows (scaled) ->
  // combine, against the host backend's per-expert recipe (moe.cpp):
  // quantize, multiply, scale, activate, quantize, multiply, scale.
  std::mt19937 rng(47);
  // H and I multiples of 16: the GPU forms' 16-byte chunks in both
  // projections.
  const int64_t T = 5, K = 2, E = 7, H = 16, I = 32;
  const int64_t A = std::min(E, T * K);
  std::vector<int32_t> idx = distinctRoutes(rng, T, K, E);
  std::vector<float> routeWeights = randomFloats(rng, T * K, 0.f, 1.f);
  std::vector<float> scales = fp8Scales(rng, E);
  // e4m3 weights as their bytes (nhc_moe_expert_matmul_e4m3) and as bf16
  // bits (every e4m3 value is a bf16 value: the cuda backend's widened
  // form, nhc_moe_expert_matmul_bf16).
  StackedE4m3 up = stackedE4m3(rng, E, I, H), down = stackedE4m3(rng, E, H, I);
  auto asBf16 = [](const StackedE4m3 &w) {
    std::vector<int16_t> bits;
    for (float v : w.values)
      bits.push_back(int16_t(bf16Bits(v)));
    return bits;
  };
  std::vector<int16_t> upBits = asBf16(up), downBits = asBf16(down);
  std::vector<float> x = randomFloats(rng, T * H, -2.f, 2.f);

  for (bool bytes : {true, false}) {
    SCOPED_TRACE(bytes ? "e4m3 weights" : "e4m3 weights widened to bf16");
    Buckets b = runBucket(idx, T, K, E, A);
    std::vector<float> xq(T * K * H), h(T * K * I), yRows(T * K * H),
        out(T * H);
    auto rows = [&](std::vector<float> &src, std::vector<float> &dst, int64_t n,
                    int64_t gather, int64_t mul, int64_t act, int64_t quant) {
      ArgPack a;
      a.buf(src).buf(b.token).buf(b.offsets).buf(scales).buf(dst).idx(T * K)
          .idx(E).idx(n).idx(gather).idx(mul).idx(act).idx(quant);
      runKernel("nhc_moe_fp8_rows", a);
    };
    auto matmul = [&](std::vector<float> &in, StackedE4m3 &w,
                      std::vector<int16_t> &bits, std::vector<float> &y,
                      int64_t n, int64_t k) {
      ArgPack a;
      a.buf(in).buf(b.token).buf(b.offsets).buf(b.active);
      if (bytes)
        a.buf(w.bytes);
      else
        a.buf(bits);
      a.buf(y).idx(A).idx(n).idx(k).idx(0).idx(kNoActivation);
      runKernel(bytes ? "nhc_moe_expert_matmul_e4m3"
                      : "nhc_moe_expert_matmul_bf16",
                a);
    };
    rows(x, xq, H, 1, -1, -1, 0);
    matmul(xq, up, upBits, h, I, H);
    rows(h, h, I, 0, 0, kRelu2, 2);
    matmul(h, down, downBits, yRows, H, I);
    rows(yRows, yRows, H, 0, 2, -1, -1);
    ArgPack c;
    c.buf(yRows).buf(b.slot).buf(routeWeights).buf(out).idx(T).idx(K).idx(H);
    runKernel("nhc_moe_combine", c);

    std::vector<double> want(T * H, 0.0);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < K; ++j) {
        const int64_t e = idx[t * K + j];
        const float upIn = scales[e], upW = scales[E + e],
                    downIn = scales[2 * E + e], downW = scales[3 * E + e];
        std::vector<float> hq(I);
        for (int64_t r = 0; r < I; ++r) {
          double s = 0;
          for (int64_t i = 0; i < H; ++i)
            s += double(quantizeReference(x[t * H + i], upIn)) *
                 up.values[(e * I + r) * H + i];
          float v = float(s) * (upIn * upW);
          v = v > 0 ? v * v : 0;
          hq[r] = quantizeReference(v, downIn);
        }
        for (int64_t c2 = 0; c2 < H; ++c2) {
          double s = 0;
          for (int64_t r = 0; r < I; ++r)
            s += double(hq[r]) * down.values[(e * H + c2) * I + r];
          want[t * H + c2] += routeWeights[t * K + j] * (s * (downIn * downW));
        }
      }
    // The products are exact; the sums' order and an e4m3 step where a
    // rounded sum lands on another side of a tie differ.
    expectClose(out, want, 2e-2, "FP8 routed experts");
  }
}

} // namespace

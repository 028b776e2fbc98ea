//===- AttentionKernelTest.cpp - nhc_attention vs a reference -------------===//

#include "KernelTestUtils.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace nhc_test;

namespace {
struct AttnCase {
  int64_t Hq = 4, Hkv = 2, D = 6, maxSeq = 16, slots = 4;
  int64_t splits = 16; // the compiler's (NemotronToExec's kAttentionSplits)
  // qkv rows: [pad(2) | q (Hq*D) | k (Hkv*D) | v (Hkv*D) | pad(1)]
  int64_t qOff = 2, kOff = 2 + 24, vOff = 2 + 24 + 12, stride = 2 + 48 + 1;
  float scale = 1.f / std::sqrt(6.f);
  int64_t gemmPrecision = kGemmPrecisionF32; // the session's
  std::vector<Request> reqs;
  std::vector<float> qkv, kCache, vCache;

  int64_t tokens() const { return totalTokens(reqs); }
};

AttnCase makeAttnCase(std::vector<Request> reqs, unsigned seed) {
  std::mt19937 rng(seed);
  AttnCase c;
  c.reqs = std::move(reqs);
  c.qkv = randomFloats(rng, c.tokens() * c.stride, -2, 2);
  int64_t pool = c.slots * c.maxSeq * c.Hkv * c.D;
  c.kCache = randomFloats(rng, pool, -2, 2);
  c.vCache = randomFloats(rng, pool, -2, 2);
  return c;
}

/// Runs `kernel` (nhc_attention, or nhc_attention_bf16_kv with caches of
/// bf16 bits) on `c` with caches `k` and `v`; returns the output.
template <typename Cache>
std::vector<float> runAttnKernel(AttnCase &c, const char *kernel,
                                 std::vector<Cache> &k, std::vector<Cache> &v) {
  std::vector<int64_t> req = requestTable(c.reqs);
  // NaN: every element must be written, none read before (a GPU form that
  // scaled a stale value by 0 would keep the NaN).
  std::vector<float> out(c.tokens() * c.Hq * c.D,
                         std::numeric_limits<float>::quiet_NaN());
  // The GPU form's split decodes: splits * Hq * (D + 2) floats per request.
  std::vector<float> partials(c.reqs.size() * c.splits * c.Hq * (c.D + 2),
                              -7.f);
  ArgPack a;
  a.buf(c.qkv).idx(c.stride).idx(c.qOff).idx(c.kOff).idx(c.vOff)
      .buf(k).buf(v).buf(out).scratch(partials).buf(req)
      .idx(c.reqs.size()).idx(c.Hq).idx(c.Hkv).idx(c.D).idx(c.maxSeq)
      .idx(c.splits).f32(c.scale).idx(c.gemmPrecision).idx(c.tokens());
  if (c.gemmPrecision == kGemmPrecisionBf16)
    runKernel(kernel, a, kOneTf32MmaTolerance, ArgPack::Scale::Buffer);
  else
    runKernel(kernel, a);
  return out;
}

std::vector<float> runAttn(AttnCase &c) {
  return runAttnKernel(c, "nhc_attention", c.kCache, c.vCache);
}

/// Appends K/V to the caches (as floats) and returns the attention output.
std::vector<double> attnRef(const AttnCase &c, std::vector<float> &kCache,
                            std::vector<float> &vCache) {
  const int64_t row = c.Hkv * c.D, slot = c.maxSeq * row;
  std::vector<double> out(c.tokens() * c.Hq * c.D);
  int64_t off = 0;
  for (const Request &r : c.reqs) {
    for (int64_t i = 0; i < r.numTokens; ++i)
      for (int64_t j = 0; j < row; ++j) {
        int64_t at = r.slot * slot + (r.startPos + i) * row + j;
        kCache[at] = c.qkv[(off + i) * c.stride + c.kOff + j];
        vCache[at] = c.qkv[(off + i) * c.stride + c.vOff + j];
      }
    for (int64_t h = 0; h < c.Hq; ++h) {
      int64_t kvh = h / (c.Hq / c.Hkv);
      for (int64_t i = 0; i < r.numTokens; ++i) {
        const float *q = &c.qkv[(off + i) * c.stride + c.qOff + h * c.D];
        int64_t len = r.startPos + i + 1;
        std::vector<double> s(len);
        double m = -INFINITY, sum = 0;
        for (int64_t p = 0; p < len; ++p) {
          const float *k = &kCache[r.slot * slot + p * row + kvh * c.D];
          double dot = 0;
          for (int64_t d = 0; d < c.D; ++d)
            dot += double(q[d]) * k[d];
          s[p] = dot * c.scale;
          m = std::max(m, s[p]);
        }
        for (double &v : s)
          sum += (v = std::exp(v - m));
        for (int64_t d = 0; d < c.D; ++d) {
          double acc = 0;
          for (int64_t p = 0; p < len; ++p)
            acc += s[p] / sum * vCache[r.slot * slot + p * row + kvh * c.D + d];
          out[((off + i) * c.Hq + h) * c.D + d] = acc;
        }
      }
    }
    off += r.numTokens;
  }
  return out;
}

/// Runs `c` and checks the output and the appended caches against the
/// double-precision reference.
void expectMatchesReference(AttnCase &c) {
  std::vector<float> kCache = c.kCache, vCache = c.vCache;
  std::vector<double> want = attnRef(c, kCache, vCache);
  std::vector<float> out = runAttn(c);
  expectClose(out, want, 1e-5, "out");
  EXPECT_EQ(c.kCache, kCache);
  EXPECT_EQ(c.vCache, vCache);
}

TEST(KernelAttention, MixedBatchGQA) {
  // Fresh prefill, decode, chunked continuation, decode late in the cache.
  AttnCase c = makeAttnCase({{5, 0, 1}, {1, 3, 0}, {4, 6, 3}, {1, 15, 2}}, 51);
  expectMatchesReference(c);
}

TEST(KernelAttention, MultiHeadAndLargeScores) {
  AttnCase c = makeAttnCase({{6, 0, 0}, {2, 4, 1}}, 53);
  c.Hkv = 4; // one kv head per query head
  c.kOff = c.qOff + c.Hq * c.D;
  c.vOff = c.kOff + c.Hkv * c.D;
  c.stride = c.vOff + c.Hkv * c.D;
  std::mt19937 rng(54);
  c.qkv = randomFloats(rng, c.tokens() * c.stride, -2, 2);
  c.kCache.resize(c.slots * c.maxSeq * c.Hkv * c.D);
  c.vCache.resize(c.kCache.size());
  c.scale = 4.f; // large logits: the online softmax must rescale
  expectMatchesReference(c);
}

/// A case of the given head geometry (qkv rows [pad(2) | q | k | v]).
AttnCase shapedCase(std::vector<Request> reqs, unsigned seed, int64_t hq,
                    int64_t hkv, int64_t d, int64_t maxSeq, int64_t slots = 4) {
  AttnCase c;
  c.reqs = std::move(reqs);
  c.slots = slots;
  c.Hq = hq;
  c.Hkv = hkv;
  c.D = d;
  c.maxSeq = maxSeq;
  c.qOff = 2;
  c.kOff = c.qOff + hq * d;
  c.vOff = c.kOff + hkv * d;
  c.stride = c.vOff + hkv * d;
  c.scale = 1.f / std::sqrt(float(d));
  std::mt19937 rng(seed);
  c.qkv = randomFloats(rng, c.tokens() * c.stride, -2, 2);
  c.kCache = randomFloats(rng, c.slots * maxSeq * hkv * d, -2, 2);
  c.vCache = randomFloats(rng, c.kCache.size(), -2, 2);
  return c;
}

TEST(KernelAttention, LongContextsCrossPositionBlocks) {
  // Positions in blocks of 64: a decode at 200 (four blocks, the last
  // partial), a prefill of 70 (a block boundary inside the prompt), a
  // continuation across 128; D = 40 fills AVX-512 lanes with a tail; group 3.
  AttnCase c = shapedCase({{1, 199, 0}, {70, 0, 1}, {5, 126, 2}}, 57,
                          /*hq=*/6, /*hkv=*/2, /*d=*/40, /*maxSeq=*/256);
  expectMatchesReference(c);
}

TEST(KernelAttention, ContextsPastSeveralGPUTiles) {
  // The GPU form takes positions in tiles of 64, K columns 128 at a time and
  // decodes in spans of whole tiles: a decode at 600 (ten spans of 64, the
  // last partial), a prefill of 65 query tiles crossing tile ends inside the
  // prompt, a continuation from 250 (3 query tiles, the last of one query);
  // D = 260 gives K three column rounds (the last of 4 columns: one 16-byte
  // chunk a row) and the output columns a second; the query is staged per
  // round (D > 128).
  AttnCase c = shapedCase({{1, 600, 0}, {260, 0, 1}, {9, 250, 3}}, 61,
                          /*hq=*/4, /*hkv=*/2, /*d=*/260, /*maxSeq=*/640);
  expectMatchesReference(c);
}

TEST(KernelAttention, PrefillTilesDealtOverFewLanes) {
  // The GPU form deals a prefill's query tiles of 64 to the lanes
  // snake-wise: with 1, 2 and 3 lanes a lane takes several tiles, in passes
  // of both directions, the last pass partial. A prefill of 300 (5 tiles,
  // the last of 44 queries), a continuation of 130 from 70 (3 tiles), a
  // decode beside them.
  for (int64_t splits : {1, 2, 3}) {
    SCOPED_TRACE("splits = " + std::to_string(splits));
    AttnCase c = shapedCase({{300, 0, 0}, {130, 70, 1}, {1, 90, 2}}, 69,
                            /*hq=*/2, /*hkv=*/1, /*d=*/24,
                            /*maxSeq=*/320);
    c.splits = splits;
    expectMatchesReference(c);
  }
}

TEST(KernelAttention, PrefillLargeScoresAcrossPositionTiles) {
  // Logits of tens in a prefill of 150 (three tiles of positions, three of
  // queries): the online softmax rescales O and l between tiles. (At scale
  // 4 the logits reach hundreds and f32's rounding of them alone moves the
  // outputs by more than the GPU form's 1e-5 of the host's.)
  AttnCase c = shapedCase({{150, 0, 0}, {40, 30, 1}}, 71, /*hq=*/2,
                          /*hkv=*/1, /*d=*/16, /*maxSeq=*/200);
  c.scale = 1.5f;
  expectMatchesReference(c);
}

TEST(KernelAttention, PublishedHeadDims) {
  // D = 64 and 128 (Nemotron-H's): whole chunks of 32 and tiles of 64.
  for (int64_t d : {64, 128}) {
    SCOPED_TRACE("D = " + std::to_string(d));
    AttnCase c = shapedCase({{70, 0, 0}, {1, 90, 1}, {20, 50, 2}}, 73,
                            /*hq=*/4, /*hkv=*/2, d, /*maxSeq=*/128);
    expectMatchesReference(c);
  }
}

TEST(KernelAttention, OneTf32MmaInBf16Sessions) {
  // A bf16 session (gemm_precision 1) lets the GPU form's prefill run S =
  // Q Kᵀ and P V in one tf32 mma per product instead of three: within
  // kOneTf32MmaTolerance of the host kernel (runKernel checks) and of the
  // double reference. The decode (CUDA cores) is the same in both, and the
  // host kernel's arithmetic is f32 in either session. D = 128 (Nemotron-H's),
  // a prefill over three position tiles, a decode, a continuation.
  AttnCase f32 = shapedCase({{150, 0, 0}, {1, 90, 1}, {40, 30, 2}}, 77,
                            /*hq=*/4, /*hkv=*/2, /*d=*/128, /*maxSeq=*/200);
  AttnCase bf16 = f32;
  bf16.gemmPrecision = kGemmPrecisionBf16;
  std::vector<float> kCache = f32.kCache, vCache = f32.vCache;
  std::vector<double> want = attnRef(f32, kCache, vCache);
  std::vector<float> outF32 = runAttn(f32), outBf16 = runAttn(bf16);
  expectClose(outBf16, want, kOneTf32MmaTolerance, "bf16 session's out");
  const int64_t row = f32.Hq * f32.D;
  auto rows = [&](const std::vector<float> &out, int64_t first, int64_t n) {
    return std::vector<float>(out.begin() + first * row,
                              out.begin() + (first + n) * row);
  };
  EXPECT_EQ(rows(outBf16, 150, 1), rows(outF32, 150, 1)) << "the decode";
  if (gpuFormUnderTest()) // one mma per product rounds where three do not
    EXPECT_NE(rows(outBf16, 0, 150), rows(outF32, 0, 150)) << "the prefill";
  else
    EXPECT_EQ(outBf16, outF32) << "the host kernel";
}

TEST(KernelAttention, PrefillIndependentOfTheSplit) {
  // The lanes a prefill's tiles are dealt to do not change its bits.
  AttnCase c = shapedCase({{200, 0, 0}, {1, 60, 1}}, 75, /*hq=*/2,
                          /*hkv=*/1, /*d=*/24, /*maxSeq=*/256);
  std::vector<float> first;
  for (int64_t splits : {16, 3, 1}) {
    AttnCase run = c;
    run.splits = splits;
    std::vector<float> out = runAttn(run);
    std::vector<float> prefill(out.begin(), out.begin() + 200 * c.Hq * c.D);
    if (first.empty())
      first = prefill;
    EXPECT_EQ(prefill, first) << "splits = " << splits;
  }
}

TEST(KernelAttention, NaNQueryStaysInItsRow) {
  // A NaN in one prefill query (0x7fffffff, the bits GPU arithmetic makes;
  // rounding its payload to tf32 would carry into the sign and leave a
  // zero) makes that query's outputs NaN on every form, the others' finite.
  AttnCase c = shapedCase({{70, 0, 0}}, 77, /*hq=*/2, /*hkv=*/1, /*d=*/16,
                          /*maxSeq=*/80);
  const uint32_t bits = 0x7fffffff;
  float nan;
  std::memcpy(&nan, &bits, sizeof nan);
  const int64_t tok = 5, head = 1;
  c.qkv[tok * c.stride + c.qOff + head * c.D + 3] = nan;
  std::vector<float> out = runAttn(c);
  for (int64_t t = 0; t < 70; ++t)
    for (int64_t h = 0; h < c.Hq; ++h)
      for (int64_t d = 0; d < c.D; ++d)
        ASSERT_EQ(std::isnan(out[(t * c.Hq + h) * c.D + d]),
                  t == tok && h == head)
            << "token " << t << ", head " << h << ", column " << d;
}

TEST(KernelAttention, NaNDecodeQueryStaysInItsHead) {
  // The GPU form's decode scores a KV head's query heads together: a NaN in
  // the query of one (the second pass's, of a group of 10) makes that head's
  // outputs NaN, the group's others and the other request finite.
  AttnCase c = shapedCase({{1, 100, 0}, {1, 40, 1}}, 79, /*hq=*/10,
                          /*hkv=*/1, /*d=*/16, /*maxSeq=*/128);
  const uint32_t bits = 0x7fffffff;
  float nan;
  std::memcpy(&nan, &bits, sizeof nan);
  const int64_t head = 8;
  c.qkv[c.qOff + head * c.D + 5] = nan;
  std::vector<float> out = runAttn(c);
  for (int64_t t = 0; t < 2; ++t)
    for (int64_t h = 0; h < c.Hq; ++h)
      for (int64_t d = 0; d < c.D; ++d)
        ASSERT_EQ(std::isnan(out[(t * c.Hq + h) * c.D + d]),
                  t == 0 && h == head)
            << "token " << t << ", head " << h << ", column " << d;
}

TEST(KernelAttention, ManyDecodesInOneStep) {
  // 70 decode requests, each in one span: 70 x 16 lanes, most idle.
  std::vector<Request> reqs;
  for (int64_t r = 0; r < 70; ++r)
    reqs.push_back({1, 3 + r % 29, r});
  AttnCase c = shapedCase(reqs, 63, /*hq=*/4, /*hkv=*/2, /*d=*/8,
                          /*maxSeq=*/40, /*slots=*/70);
  expectMatchesReference(c);
}

TEST(KernelAttention, DecodesSplitOverTheKVLength) {
  // Decodes after 1500 positions (12 spans of 128 with 16 splits: the
  // GPU form combines them four at a time; 3 of 512 with 3), after 511 and
  // 512 (8 spans of 64, and 9 whose last has one position: a partial four)
  // and after 255 (4 spans, one tile each): the partials must combine to
  // the softmax over all.
  for (int64_t splits : {16, 3, 1}) {
    SCOPED_TRACE("splits = " + std::to_string(splits));
    AttnCase c = shapedCase({{1, 1500, 0}, {1, 511, 1}, {1, 512, 2},
                             {1, 255, 3}},
                            65, /*hq=*/4, /*hkv=*/1, /*d=*/72,
                            /*maxSeq=*/1600);
    c.splits = splits;
    expectMatchesReference(c);
  }
}

TEST(KernelAttention, SplitDecodeIndependentOfTheBatch) {
  // A long decode's split depends on its own length only: alone and beside
  // a prefill and another decode it gives the same bits.
  std::vector<Request> reqs = {{1, 900, 1}, {6, 0, 0}, {1, 40, 2}};
  AttnCase c = shapedCase(reqs, 67, /*hq=*/2, /*hkv=*/2, /*d=*/16,
                          /*maxSeq=*/1000);
  AttnCase batch = c;
  std::vector<float> outBatch = runAttn(batch);
  AttnCase one = c;
  one.reqs = {reqs[0]};
  one.qkv.assign(c.qkv.begin(), c.qkv.begin() + c.stride);
  std::vector<float> out = runAttn(one);
  EXPECT_EQ(out, std::vector<float>(outBatch.begin(),
                                    outBatch.begin() + c.Hq * c.D));
}

TEST(KernelAttention, GroupsWiderThanOneHeadChunk) {
  // 130 query heads on one KV head: the host kernel's group runs as 64 + 64
  // + 2 heads, the GPU form's decode as 16 passes of 8 heads and one of 2.
  AttnCase c = shapedCase({{3, 0, 0}, {1, 80, 1}}, 59, /*hq=*/130,
                          /*hkv=*/1, /*d=*/4, /*maxSeq=*/96);
  expectMatchesReference(c);
}

TEST(KernelAttention, HostPrefillPathBoundaries) {
  // The host form takes a request of 8 or more new tokens through its tiled
  // prefill path (attention_prefill.mlir) when D <= 256: 7 tokens stay on
  // the per-query path, 8 take the tiled one, 9 continue from 120 across the
  // block boundary at 128; 18 query heads on one KV head are two passes
  // (16 + 2) of the tiled path, with D = 20 not a multiple of 16 (the other
  // paths' lane blocks).
  AttnCase c = shapedCase({{7, 0, 0}, {8, 0, 1}, {9, 120, 2}, {1, 60, 3}},
                          79, /*hq=*/18, /*hkv=*/1, /*d=*/20,
                          /*maxSeq=*/136);
  expectMatchesReference(c);
  // 70 tokens from 50: two tiles of queries (64 + 6), the second seeing
  // blocks the first did not.
  AttnCase tiles = shapedCase({{70, 50, 0}, {1, 10, 1}}, 85, /*hq=*/4,
                              /*hkv=*/2, /*d=*/16, /*maxSeq=*/128);
  expectMatchesReference(tiles);
  // D = 256 fills the transposed block's buffer; 264 and 520 (eight
  // 64-column groups of the p.V and 8 single columns) keep a prefill on the
  // per-query path.
  for (int64_t d : {256, 264, 520}) {
    SCOPED_TRACE("D = " + std::to_string(d));
    AttnCase wide = shapedCase({{10, 0, 0}, {1, 30, 1}}, 81, /*hq=*/2,
                               /*hkv=*/1, d, /*maxSeq=*/64);
    expectMatchesReference(wide);
  }
}

TEST(KernelAttention, HostPvColumnGroups) {
  // The host p.V sums 64 output columns at a time, then 16, then one: D = 80
  // is a group and a block, D = 200 three groups and 8 single columns; a
  // decode, a short and a tiled prefill each.
  for (int64_t d : {80, 200}) {
    SCOPED_TRACE("D = " + std::to_string(d));
    AttnCase c = shapedCase({{1, 100, 0}, {3, 0, 1}, {12, 60, 2}}, 83,
                            /*hq=*/4, /*hkv=*/2, d, /*maxSeq=*/128);
    expectMatchesReference(c);
  }
}

TEST(KernelAttention, DecodeGroupsOfPublishedShapes) {
  // The GPU form decodes a KV head's query heads 8 at a time: Nano-9B-v2's
  // 40 on 8 (groups of 5, one pass), Nemotron-H 8B's 32 on 8 (groups of 4),
  // groups of 9 and 17 (a second and third pass of 1) and a second pass
  // with two rounds of 128 columns, each with decodes in one and in several
  // spans beside a prefill.
  struct Shape { int64_t hq, hkv, d; };
  for (Shape s : {Shape{40, 8, 128}, Shape{32, 8, 128}, Shape{18, 2, 16},
                  Shape{17, 1, 8}, Shape{10, 1, 136}}) {
    SCOPED_TRACE("Hq = " + std::to_string(s.hq) + ", Hkv = " +
                 std::to_string(s.hkv));
    AttnCase c = shapedCase({{1, 300, 0}, {5, 0, 1}, {1, 70, 2}}, 77, s.hq,
                            s.hkv, s.d, /*maxSeq=*/320);
    expectMatchesReference(c);
  }
}

std::vector<uint16_t> bf16Bits(const std::vector<float> &values) {
  std::vector<uint16_t> bits;
  for (float x : values)
    bits.push_back(nearestBf16(x));
  return bits;
}

/// The bf16 KV cache kernel is the f32 one on K and V rounded to bf16: its
/// appended bits are the nearest bf16 of the new K and V, and its outputs
/// are the f32 kernel's when that kernel's K and V columns and caches hold
/// the same bf16 values.
void expectBf16KVIsTheF32KernelOnRoundedKV(AttnCase c) {
  std::vector<uint16_t> kBits = bf16Bits(c.kCache), vBits = bf16Bits(c.vCache);
  AttnCase rounded = c;
  for (float &x : rounded.kCache)
    x = fromBits(uint32_t(nearestBf16(x)) << 16);
  for (float &x : rounded.vCache)
    x = fromBits(uint32_t(nearestBf16(x)) << 16);
  const int64_t width = c.Hkv * c.D;
  for (int64_t t = 0; t < c.tokens(); ++t)
    for (int64_t j = 0; j < width; ++j)
      for (int64_t col : {c.kOff + j, c.vOff + j}) {
        float &x = rounded.qkv[t * c.stride + col];
        x = fromBits(uint32_t(nearestBf16(x)) << 16);
      }
  std::vector<float> want = runAttn(rounded);
  std::vector<float> got =
      runAttnKernel(c, "nhc_attention_bf16_kv", kBits, vBits);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(bitsOf(got[i]), bitsOf(want[i])) << "out[" << i << "]";
  EXPECT_EQ(kBits, bf16Bits(rounded.kCache));
  EXPECT_EQ(vBits, bf16Bits(rounded.vCache));
}

TEST(KernelAttention, Bf16KVCacheIsTheF32KernelOnRoundedKV) {
  // Prefills (host prefill path from 8 tokens, GPU tiles of 64), decodes
  // (split over the KV length past 64 positions) and a GQA group; D = 8
  // stages 16-byte (8-byte in bf16) chunks on the GPU, D = 6 elements.
  for (int64_t d : {8, 6}) {
    SCOPED_TRACE("D = " + std::to_string(d));
    expectBf16KVIsTheF32KernelOnRoundedKV(
        shapedCase({{1, 199, 0}, {70, 0, 1}, {5, 126, 2}, {9, 3, 3}}, 71,
                   /*hq=*/6, /*hkv=*/2, d, /*maxSeq=*/256));
  }
  AttnCase c = makeAttnCase({{3, 0, 2}, {1, 7, 0}, {2, 2, 1}}, 72);
  c.gemmPrecision = kGemmPrecisionBf16;
  expectBf16KVIsTheF32KernelOnRoundedKV(c);
}

TEST(KernelAttention, Bf16KVCacheRoundsToNearestEven) {
  // One prompt whose first K row holds ties (to even: down for 1 + 2^-8, up
  // for 1 + 3 2^-8), a NaN whose payload is only in the low half (must stay
  // NaN, not become infinity), infinities, -0, the largest float (rounds
  // to infinity) and a subnormal.
  AttnCase c = shapedCase({{2, 0, 1}}, 73, /*hq=*/2, /*hkv=*/1, /*d=*/8,
                          /*maxSeq=*/4);
  const float specials[8] = {fromBits(0x3f808000), fromBits(0x3f818000),
                             fromBits(0x7f800001), INFINITY,
                             -INFINITY,            -0.f,
                             fromBits(0x7f7fffff), fromBits(0x00008001)};
  for (int64_t j = 0; j < 8; ++j)
    c.qkv[c.kOff + j] = specials[j];
  std::vector<uint16_t> kBits(c.kCache.size(), 0x1234),
      vBits(c.vCache.size(), 0x1234);
  runAttnKernel(c, "nhc_attention_bf16_kv", kBits, vBits);
  const int64_t slot = c.maxSeq * c.Hkv * c.D;
  const uint16_t want[8] = {0x3f80, 0x3f82, 0x7fc0, 0x7f80,
                            0xff80, 0x8000, 0x7f80, 0x0001};
  for (int64_t j = 0; j < 8; ++j)
    EXPECT_EQ(kBits[slot + j], want[j]) << "k[" << j << "]";
  // The second token's rows, and nothing past the prompt.
  for (int64_t j = 0; j < 8; ++j) {
    EXPECT_EQ(kBits[slot + 8 + j], nearestBf16(c.qkv[c.stride + c.kOff + j]));
    EXPECT_EQ(vBits[slot + 8 + j], nearestBf16(c.qkv[c.stride + c.vOff + j]));
    EXPECT_EQ(kBits[slot + 16 + j], 0x1234);
  }
}

TEST(KernelAttention, BatchedEqualsAlone) {
  std::vector<Request> reqs = {{3, 0, 2}, {1, 7, 0}, {2, 2, 1}};
  AttnCase c = makeAttnCase(reqs, 55);
  AttnCase batch = c;
  std::vector<float> outBatch = runAttn(batch);
  int64_t off = 0, width = c.Hq * c.D;
  for (const Request &r : reqs) {
    AttnCase one = c;
    one.reqs = {r};
    one.qkv.assign(c.qkv.begin() + off * c.stride,
                   c.qkv.begin() + (off + r.numTokens) * c.stride);
    std::vector<float> out = runAttn(one);
    EXPECT_EQ(out, std::vector<float>(outBatch.begin() + off * width,
                                      outBatch.begin() +
                                          (off + r.numTokens) * width));
    off += r.numTokens;
  }
}
} // namespace

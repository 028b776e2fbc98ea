//===- SsdConvScanKernelTest.cpp - conv1d and SSD decode scan fused -------===//
//
// nhc_ssd_conv_scan (a decode step's conv1d and SSD scan in one launch)
// against the plan's pair, nhc_conv1d_act then nhc_ssd_scan, on the same
// inputs: every output, both states and the arrival counts (zero again).
// In the gpu-form runs runKernel also checks each GPU body against its
// host kernel, the fused one's host form being the pair.
//
//===----------------------------------------------------------------------===//

#include "KernelTestUtils.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

using namespace nhc_test;

namespace {

struct ConvScanCase {
  int64_t H = 4, P = 16, N = 8, G = 2, K = 4, slots = 5;
  bool hasBias = true, misalignedState = false;
  /// The `_bf16_state` forms: the SSM state passed as bf16 bits.
  bool bf16State = false;
  int act = Silu;
  int64_t zCols = 7; // in_proj's columns before x|B|C (the gate z's)
  float dtMin = 1e-3f, dtMax = INFINITY;
  std::vector<Request> reqs; // one token each
  std::vector<float> proj, w, b, convState, dtBias, aLog, d, ssmState;

  int64_t C() const { return H * P + 2 * G * N; }
  int64_t stride() const { return zCols + C() + H; } // z | xBC | dt
  int64_t R() const { return int64_t(reqs.size()); }
};

ConvScanCase makeCase(ConvScanCase c, unsigned seed) {
  std::mt19937 rng(seed);
  c.proj = randomFloats(rng, c.R() * c.stride(), -2, 2);
  c.w = randomFloats(rng, c.C() * c.K);
  c.b = randomFloats(rng, c.C());
  c.convState = randomFloats(rng, c.slots * c.C() * (c.K - 1), -2, 2);
  c.dtBias = randomFloats(rng, c.H, -1.5, 0.5);
  c.aLog = randomFloats(rng, c.H, 0, std::log(float(c.H)));
  c.d = randomFloats(rng, c.H, 0.5, 1.5);
  c.ssmState = randomFloats(rng, c.slots * c.H * c.P * c.N);
  return c;
}

/// What a step leaves: the conv's out, y and both states.
struct StepResult {
  std::vector<float> out, y, convState, ssmState;
};

/// The conv arguments of both kernels, in nhc_conv1d_act's order.
void convArgs(ArgPack &a, ConvScanCase &c, std::vector<float> &out,
              std::vector<float> &noBias, std::vector<float> &convState,
              std::vector<int64_t> &req) {
  a.buf(c.proj).idx(c.stride()).idx(c.zCols).buf(out).buf(c.w)
      .buf(c.hasBias ? c.b : noBias).idx(c.hasBias ? 1 : 0).idx(c.act)
      .buf(convState).buf(req).idx(c.R()).idx(c.C()).idx(c.K).idx(c.R());
}

/// One decode step of `c` through the fused kernel (`fused`) or the pair;
/// the states carry over in `state`.
StepResult runStep(ConvScanCase &c, bool fused, StepResult state) {
  std::vector<int64_t> req = requestTable(c.reqs);
  const int64_t HP = c.H * c.P;
  StepResult r;
  r.out.assign(c.R() * c.C(), -9.f);
  r.y.assign(c.R() * HP, -9.f);
  std::vector<float> noBias;
  size_t first;
  std::vector<float> ssm(state.ssmState.size() + 4);
  std::vector<uint16_t> bits(state.ssmState.size() + 8);
  if (c.bf16State) {
    first = firstAt16(bits.data(), sizeof(uint16_t), !c.misalignedState);
    for (size_t i = 0; i < state.ssmState.size(); ++i)
      bits[first + i] = nearestBf16(state.ssmState[i]);
  } else {
    first = firstAt16(ssm.data(), sizeof(float), !c.misalignedState);
    std::copy(state.ssmState.begin(), state.ssmState.end(),
              ssm.begin() + first);
  }
  auto ssmArg = [&](ArgPack &a) -> ArgPack & {
    return c.bf16State ? a.bf16(bits, first) : a.buf(ssm, first);
  };
  const std::string suffix = c.bf16State ? "_bf16_state" : "";
  const int64_t dtOffset = c.zCols + c.C();
  if (fused) {
    std::vector<int32_t> arrivals(c.R() * c.G, 0);
    ArgPack a;
    convArgs(a, c, r.out, noBias, state.convState, req);
    a.buf(c.proj).idx(c.stride()).idx(dtOffset).buf(c.dtBias).buf(c.aLog)
        .buf(c.d);
    ssmArg(a).buf(r.y).idx(c.H).idx(c.P).idx(c.N)
        .idx(c.G).f32(c.dtMin).f32(c.dtMax).buf(arrivals);
    runKernel("nhc_ssd_conv_scan" + suffix, a, 1e-5);
    for (int32_t n : arrivals)
      EXPECT_EQ(n, 0) << "an arrival count left set";
  } else {
    ArgPack conv;
    convArgs(conv, c, r.out, noBias, state.convState, req);
    runKernel("nhc_conv1d_act", conv);
    ArgPack scan;
    scan.buf(r.out).buf(c.proj).idx(c.stride()).idx(dtOffset)
        .buf(c.dtBias).buf(c.aLog).buf(c.d);
    ssmArg(scan).buf(r.y)
        .buf(req).idx(c.R()).idx(c.H).idx(c.P).idx(c.N).idx(c.G)
        .f32(c.dtMin).f32(c.dtMax);
    runKernel("nhc_ssd_scan" + suffix, scan, 1e-5);
  }
  r.convState = state.convState;
  r.ssmState.resize(state.ssmState.size());
  for (size_t i = 0; i < r.ssmState.size(); ++i)
    r.ssmState[i] = c.bf16State ? fromBits(uint32_t(bits[first + i]) << 16)
                                : ssm[first + i];
  return r;
}

void expectSame(const std::vector<float> &got, const std::vector<float> &want,
                const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  std::vector<double> w(want.begin(), want.end());
  expectClose(got, w, 1e-6, what);
}

/// Two decode steps (the second with new inputs, from the first's states)
/// through the fused kernel and through the pair: the same results.
void expectFusedIsThePair(ConvScanCase c, unsigned seed) {
  c = makeCase(c, seed);
  StepResult fused{{}, {}, c.convState, c.ssmState};
  StepResult pair = fused;
  for (int step = 0; step < 2; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    fused = runStep(c, true, fused);
    pair = runStep(c, false, pair);
    expectSame(fused.out, pair.out, "conv out");
    expectSame(fused.y, pair.y, "y");
    expectSame(fused.convState, pair.convState, "conv state");
    expectSame(fused.ssmState, pair.ssmState, "ssm state");
    std::mt19937 rng(seed + 1 + step);
    c.proj = randomFloats(rng, c.proj.size(), -2, 2);
    for (Request &r : c.reqs)
      ++r.startPos;
  }
}

TEST(KernelSsdConvScan, RequestsInTheirSlots) {
  // A fresh prompt of one token (dt clamped), requests with history, slots
  // out of order.
  ConvScanCase c;
  c.reqs = {{1, 5, 3}, {1, 0, 0}, {1, 2, 4}};
  expectFusedIsThePair(c, 11);
}

TEST(KernelSsdConvScan, AtAPublishedHeadShape) {
  // Nano-9B-v2's heads (P = 80: the decode scan splits them into parts of
  // one pass), N = 128 (a lane's 16-byte chunk of every row), fewer heads.
  ConvScanCase c;
  c.H = 8;
  c.P = 80;
  c.N = 128;
  c.G = 2;
  c.reqs = {{1, 9, 1}, {1, 4, 2}};
  expectFusedIsThePair(c, 12);
}

TEST(KernelSsdConvScan, GroupsFromOneToEveryHead) {
  for (int64_t G : {1, 4}) {
    SCOPED_TRACE("G = " + std::to_string(G));
    ConvScanCase c;
    c.G = G;
    c.reqs = {{1, 3, 2}, {1, 1, 0}};
    expectFusedIsThePair(c, 13 + unsigned(G));
  }
}

TEST(KernelSsdConvScan, OtherKernelWidthsActivationsAndNoBias) {
  for (int64_t K : {1, 2, 3, 4}) {
    SCOPED_TRACE("K = " + std::to_string(K));
    ConvScanCase c;
    c.K = K;
    c.hasBias = K != 3;
    c.act = K == 2 ? Relu : Silu;
    c.reqs = {{1, 6, 1}, {1, 2, 3}};
    expectFusedIsThePair(c, 20 + unsigned(K));
  }
}

TEST(KernelSsdConvScan, MisalignedStateAndOddSizes) {
  // The state one float past a 16-byte boundary, N not a multiple of 4:
  // the one-element loops.
  ConvScanCase c;
  c.misalignedState = true;
  c.N = 7;
  c.P = 19;
  c.reqs = {{1, 3, 0}, {1, 8, 4}};
  expectFusedIsThePair(c, 31);
  c.misalignedState = false;
  expectFusedIsThePair(c, 32);
}

TEST(KernelSsdConvScan, Bf16StateIsThePairWithBf16State) {
  // nhc_ssd_conv_scan_bf16_state against nhc_conv1d_act then
  // nhc_ssd_scan_bf16_state: a published head shape (8-byte bf16 chunks of
  // aligned rows) and odd, misaligned rows.
  ConvScanCase c;
  c.bf16State = true;
  c.H = 8;
  c.P = 80;
  c.N = 128;
  c.reqs = {{1, 9, 1}, {1, 0, 2}};
  expectFusedIsThePair(c, 51);
  c.H = 4;
  c.P = 19;
  c.N = 7;
  c.misalignedState = true;
  expectFusedIsThePair(c, 52);
}

TEST(KernelSsdConvScan, WidestStateItStages) {
  // N = 512 (kSsdConvScanMaxStateSize): 1024 staged B and C values.
  ConvScanCase c;
  c.H = 2;
  c.P = 4;
  c.N = 512;
  c.G = 1;
  c.reqs = {{1, 2, 0}};
  expectFusedIsThePair(c, 41);
}

} // namespace

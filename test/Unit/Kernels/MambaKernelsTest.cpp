//===- MambaKernelsTest.cpp - conv1d and SSD scans vs references ----------===//

#include "KernelTestUtils.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

using namespace nhc_test;

namespace {

//===----------------------------------------------------------------------===//
// nhc_conv1d_act
//===----------------------------------------------------------------------===//

struct ConvCase {
  int64_t C = 5, K = 4, stride = 13, column = 3, slots = 4;
  bool hasBias = true;
  int act = Silu;
  std::vector<Request> reqs;
  std::vector<float> src, w, b, state;
};

ConvCase makeConvCase(std::vector<Request> reqs, unsigned seed,
                      ConvCase c = ConvCase()) {
  std::mt19937 rng(seed);
  c.reqs = std::move(reqs);
  int64_t T = 0;
  for (const Request &r : c.reqs)
    T += r.numTokens;
  c.src = randomFloats(rng, T * c.stride, -2, 2);
  c.w = randomFloats(rng, c.C * c.K);
  c.b = randomFloats(rng, c.C);
  c.state = randomFloats(rng, c.slots * c.C * (c.K - 1), -2, 2);
  return c;
}

/// Runs the kernel; returns out and updates c.state.
std::vector<float> runConv(ConvCase &c) {
  std::vector<int64_t> req = requestTable(c.reqs);
  int64_t T = c.src.size() / c.stride;
  std::vector<float> out(T * c.C, -9.f);
  ArgPack a;
  // Without a bias the kernel must not read %b: pass an empty buffer.
  std::vector<float> noBias;
  a.buf(c.src).idx(c.stride).idx(c.column).buf(out).buf(c.w)
      .buf(c.hasBias ? c.b : noBias).idx(c.hasBias ? 1 : 0).idx(c.act)
      .buf(c.state).buf(req).idx(c.reqs.size()).idx(c.C).idx(c.K).idx(T);
  runKernel("nhc_conv1d_act", a);
  return out;
}

/// Reference: returns out, updates `state` (double).
std::vector<double> convRef(const ConvCase &c, std::vector<double> &state) {
  int64_t T = c.src.size() / c.stride, km1 = c.K - 1, off = 0;
  std::vector<double> out(T * c.C);
  for (const Request &r : c.reqs) {
    for (int64_t ch = 0; ch < c.C; ++ch) {
      double *st = &state[(r.slot * c.C + ch) * km1];
      std::vector<double> seq(st, st + km1);
      for (int64_t t = 0; t < r.numTokens; ++t)
        seq.push_back(c.src[(off + t) * c.stride + c.column + ch]);
      for (int64_t t = 0; t < r.numTokens; ++t) {
        double acc = c.hasBias ? c.b[ch] : 0.0;
        for (int64_t j = 0; j < c.K; ++j)
          acc += c.w[ch * c.K + j] * seq[t + j];
        out[(off + t) * c.C + ch] = referenceActivation(c.act, acc);
      }
      for (int64_t j = 0; j < km1; ++j)
        st[j] = seq[r.numTokens + j];
    }
    off += r.numTokens;
  }
  return out;
}

TEST(KernelMamba, Conv1dSilu) {
  // Prefill shorter and longer than K-1, a decode, a chunked continuation.
  ConvCase c = makeConvCase({{2, 0, 3}, {1, 7, 0}, {6, 0, 1}, {5, 4, 2}}, 11);
  std::vector<double> state(c.state.begin(), c.state.end());
  std::vector<double> want = convRef(c, state);
  std::vector<float> out = runConv(c);
  expectClose(out, want, 1e-5, "out");
  expectClose(c.state, state, 0, "conv_state");
}

// Every activation transformers' ACT2FN offers for mamba_hidden_act, with
// and without a conv bias (use_conv_bias: false).
TEST(KernelMamba, Conv1dActivationsAndOptionalBias) {
  for (int act = 0; act < NumActs; ++act) {
    for (bool hasBias : {true, false}) {
      ConvCase c = makeConvCase({{3, 0, 3}, {1, 7, 0}, {5, 2, 1}}, 13 + act);
      c.act = act;
      c.hasBias = hasBias;
      std::vector<double> state(c.state.begin(), c.state.end());
      std::vector<double> want = convRef(c, state);
      std::vector<float> out = runConv(c);
      std::string what = "act " + std::to_string(act) +
                         (hasBias ? " with bias" : " without bias");
      expectClose(out, want, 1e-5, what);
      expectClose(c.state, state, 0, what + " conv_state");
    }
  }
}

// A decode step (one token per request, the GPU form's K = 4 path that
// loads every tap at once), with and without a bias, requests on slots in
// any order, over channel blocks of 256 and a partial one; then a second
// step from the state the first left.
TEST(KernelMamba, Conv1dDecodeSteps) {
  for (bool hasBias : {true, false}) {
    ConvCase shape;
    shape.C = 300;
    shape.column = 5;
    shape.stride = 320;
    shape.slots = 6;
    shape.hasBias = hasBias;
    ConvCase c = makeConvCase({{1, 9, 4}, {1, 3, 0}, {1, 0, 5}}, 23, shape);
    std::vector<double> state(c.state.begin(), c.state.end());
    for (int step = 0; step < 2; ++step) {
      const std::string what = std::string(hasBias ? "with" : "without") +
                               " bias, step " + std::to_string(step);
      std::vector<double> want = convRef(c, state);
      std::vector<float> out = runConv(c);
      expectClose(out, want, 1e-5, what);
      expectClose(c.state, state, 0, what + " conv_state");
      std::mt19937 rng(29 + step);
      c.src = randomFloats(rng, c.src.size(), -2, 2);
    }
  }
}

// The host form's blocks of 64 channels (C = 64 one full block, 150 two and
// a part) and the GPU form's of 256 (300: two, the second partly empty); the
// paths: tokens whose taps reach into the state (the GPU form's first-token
// thread, which also writes the state), the K = 4 rows, any other K (K = 1:
// no state, an empty buffer in its place, which the kernel must not touch); prompts
// shorter than, as long as and longer than K - 1, decodes, and a chunked
// continuation.
TEST(KernelMamba, Conv1dChannelBlocksAndKernelSizes) {
  for (int64_t K : {1, 2, 3, 4, 5}) {
    for (int64_t C : {5, 64, 150, 300}) {
      ConvCase shape;
      shape.K = K;
      shape.C = C;
      shape.column = 7;
      shape.stride = C + 11;
      shape.slots = 5;
      ConvCase c = makeConvCase(
          {{1, 0, 2}, {2, 1, 0}, {3, 2, 3}, {9, 0, 1}, {4, 5, 4}}, 17 + K, shape);
      std::vector<double> state(c.state.begin(), c.state.end());
      std::vector<double> want = convRef(c, state);
      std::vector<float> out = runConv(c);
      std::string what = "K " + std::to_string(K) + " C " + std::to_string(C);
      expectClose(out, want, 1e-5, what);
      expectClose(c.state, state, 0, what + " conv_state");
    }
  }
}

//===----------------------------------------------------------------------===//
// nhc_ssd_chunk_scan (prefill requests) + nhc_ssd_scan (decode requests)
//===----------------------------------------------------------------------===//

struct SSDCase {
  int64_t H = 4, P = 3, N = 5, G = 2, slots = 4, chunk = 3;
  int64_t dtOffset = 2, projStride = 9; // dt columns 2..5 of proj
  float dtMin = 0.f, dtMax = INFINITY;
  int64_t gemmPrecision = kGemmPrecisionF32; // the session's
  /// xbc and the state each placed one float past a 16-byte boundary (the
  /// GPU forms' 16-byte loads then give way to their one-element loops).
  bool misalignedXbc = false, misalignedState = false;
  /// The scans' bf16 state forms (`_bf16_state`): `state` is passed as the
  /// bf16 nearest each value and read back widened.
  bool bf16State = false;
  std::vector<Request> reqs;
  std::vector<float> xbc, proj, dtBias, aLog, d, state;

  int64_t conv() const { return H * P + 2 * G * N; }
  int64_t tokens() const { return totalTokens(reqs); }
};

/// A case of H heads of P x N state in G groups, chunks of `chunk`.
SSDCase headShape(int64_t H, int64_t P, int64_t N, int64_t G, int64_t chunk) {
  SSDCase shape;
  shape.H = H;
  shape.P = P;
  shape.N = N;
  shape.G = G;
  shape.chunk = chunk;
  return shape;
}

SSDCase makeSSDCase(std::vector<Request> reqs, unsigned seed,
                    SSDCase c = SSDCase()) {
  std::mt19937 rng(seed);
  c.reqs = std::move(reqs);
  int64_t T = c.tokens();
  c.xbc = randomFloats(rng, T * c.conv(), -1.5, 1.5);
  c.proj = randomFloats(rng, T * c.projStride, -2, 2);
  c.dtBias = randomFloats(rng, c.H, -1.5, 0.5);
  c.aLog = randomFloats(rng, c.H, 0, std::log(float(c.H)));
  c.d = randomFloats(rng, c.H, 0.5, 1.5);
  c.state = randomFloats(rng, c.slots * c.H * c.P * c.N);
  return c;
}

/// A copy of v in a buffer from which `first` places it 16-byte aligned, or
/// one float past that when `misaligned`.
std::vector<float> placed(const std::vector<float> &v, bool misaligned,
                          size_t &first) {
  std::vector<float> room(v.size() + 4);
  first = firstAt16(room.data(), sizeof(float), !misaligned);
  std::copy(v.begin(), v.end(), room.begin() + first);
  return room;
}

/// Runs both scans as the schedule does; returns y and updates c.state.
std::vector<float> runSSD(SSDCase &c) {
  std::vector<int64_t> req = requestTable(c.reqs);
  std::vector<float> y(c.tokens() * c.H * c.P, -9.f);
  size_t xbcFirst, stateFirst;
  std::vector<float> xbc = placed(c.xbc, c.misalignedXbc, xbcFirst);
  std::vector<float> state = placed(c.state, c.misalignedState, stateFirst);
  // The bf16 form's state, placed alike (16-byte aligned or one element
  // past).
  std::vector<uint16_t> bits(c.state.size() + 8);
  if (c.bf16State) {
    stateFirst = firstAt16(bits.data(), sizeof(uint16_t), !c.misalignedState);
    for (size_t i = 0; i < c.state.size(); ++i)
      bits[stateFirst + i] = nearestBf16(c.state[i]);
  }
  const std::string suffix = c.bf16State ? "_bf16_state" : "";
  for (bool chunked : {true, false}) {
    ArgPack a;
    a.buf(xbc, xbcFirst).buf(c.proj).idx(c.projStride).idx(c.dtOffset)
        .buf(c.dtBias).buf(c.aLog).buf(c.d);
    if (c.bf16State)
      a.bf16(bits, stateFirst);
    else
      a.buf(state, stateFirst);
    a.buf(y)
        .buf(req)
        .idx(c.reqs.size()).idx(c.H).idx(c.P).idx(c.N).idx(c.G);
    if (chunked)
      a.idx(c.chunk);
    a.f32(c.dtMin).f32(c.dtMax);
    if (chunked)
      a.idx(c.gemmPrecision).idx(c.tokens());
    // The prefill scan's GPU form runs the chunked SSD form in chunks of
    // at most 64 tokens, its host form the recurrence token by token: the
    // same sums, rounded differently (within the reference's 1e-4).
    const std::string name =
        (chunked ? "nhc_ssd_chunk_scan" : "nhc_ssd_scan") + suffix;
    if (chunked && c.gemmPrecision == kGemmPrecisionBf16)
      runKernel(name, a, kOneTf32MmaTolerance, ArgPack::Scale::Buffer);
    else
      runKernel(name, a, chunked ? 1e-4 : 1e-5);
  }
  for (size_t i = 0; i < c.state.size(); ++i)
    c.state[i] = c.bf16State
                     ? fromBits(uint32_t(bits[stateFirst + i]) << 16)
                     : state[stateFirst + i];
  return y;
}

/// The recurrence in double, dt clamped to [dt_min, dt_max] where
/// transformers takes its chunked form: a request of several tokens or a
/// fresh one-token prompt; a one-token step with history is unclamped.
std::vector<double> ssdRef(const SSDCase &c, std::vector<double> &state) {
  const int64_t C = c.conv(), HP = c.H * c.P, GN = c.G * c.N;
  std::vector<double> y(c.tokens() * HP);
  int64_t off = 0;
  for (const Request &r : c.reqs) {
    for (int64_t h = 0; h < c.H; ++h) {
      int64_t g = h / (c.H / c.G);
      double A = -std::exp(double(c.aLog[h]));
      for (int64_t p = 0; p < c.P; ++p) {
        double *s = &state[((r.slot * c.H + h) * c.P + p) * c.N];
        for (int64_t t = off; t < off + r.numTokens; ++t) {
          double u = double(c.proj[t * c.projStride + c.dtOffset + h]) +
                     c.dtBias[h];
          double dt = u > 20 ? u : std::log1p(std::exp(u));
          if (r.numTokens > 1 || r.startPos == 0)
            dt = std::min(std::max(dt, double(c.dtMin)), double(c.dtMax));
          double dA = std::exp(dt * A);
          double x = c.xbc[t * C + h * c.P + p], acc = 0;
          for (int64_t n = 0; n < c.N; ++n) {
            double B = c.xbc[t * C + HP + g * c.N + n];
            double Cn = c.xbc[t * C + HP + GN + g * c.N + n];
            s[n] = s[n] * dA + dt * B * x;
            acc += Cn * s[n];
          }
          y[t * HP + h * c.P + p] = acc + c.d[h] * x;
        }
      }
    }
    off += r.numTokens;
  }
  return y;
}

/// Runs `c` and checks y and the states against the double recurrence.
void expectSSDMatchesReference(SSDCase &c, double tol) {
  std::vector<double> state(c.state.begin(), c.state.end());
  std::vector<double> want = ssdRef(c, state);
  std::vector<float> y = runSSD(c);
  expectClose(y, want, tol, "y");
  expectClose(c.state, state, tol, "ssm_state");
}

TEST(KernelMamba, SSDScanMixedBatch) {
  // Fresh prefill (chunks 3+3+1), a decode, a chunked continuation, a
  // one-token fresh prompt from a nonzero state (a decode: the decode scan
  // reads the pool's state as the chunked scan would); the clamp binds for
  // some tokens of the prefills and the fresh prompt, and the decode's dt
  // is left unclamped.
  SSDCase c = makeSSDCase({{7, 0, 2}, {1, 9, 0}, {4, 5, 3}, {1, 0, 1}}, 21);
  c.dtMin = 0.3f;
  c.dtMax = 1.2f;
  expectSSDMatchesReference(c, 2e-5);
}

TEST(KernelMamba, SSDChunkSizes) {
  for (int64_t chunk : {1, 2, 4, 8, 64}) {
    SSDCase c = makeSSDCase({{8, 0, 0}, {5, 3, 1}}, 23);
    c.chunk = chunk;
    std::vector<double> state(c.state.begin(), c.state.end());
    std::vector<double> want = ssdRef(c, state);
    std::vector<float> y = runSSD(c);
    expectClose(y, want, 2e-5, "y, chunk " + std::to_string(chunk));
    expectClose(c.state, state, 2e-5,
                "ssm_state, chunk " + std::to_string(chunk));
  }
}

TEST(KernelMamba, SSDAtVectorWidths) {
  // Head widths past the vector registers (P = 40: AVX-512's 16 lanes twice
  // and a tail; N = 48), chunks of 32 over 70 tokens, a continuation and a
  // decode: the (W o L) X rows, the chunk-state updates and the decode row
  // through their vector bodies, against the double recurrence.
  SSDCase c = makeSSDCase({{70, 0, 0}, {37, 12, 1}, {1, 30, 2}}, 29,
                          headShape(4, 40, 48, 2, 32));
  expectSSDMatchesReference(c, 1e-4);
}

TEST(KernelMamba, SSDPastGPUBlockWidths) {
  // Past what one block of 256 threads covers at once: a chunk of 300 cut
  // at 256 (a prefill of 300 tokens crosses the cut), P = 260 output
  // columns and state rows (the decode form's rows 16 at a time, its 32
  // lanes over N = 37, not a multiple of 32 nor of 4), and a decode.
  SSDCase c = makeSSDCase({{300, 0, 0}, {1, 40, 1}}, 33,
                          headShape(2, 260, 37, 1, 300));
  expectSSDMatchesReference(c, 1e-4);
}

TEST(KernelMamba, SSDAtAPublishedHeadShape) {
  // Nemotron-H's head shape (P = 64, N = 128) with chunks of 128: the GPU
  // form's 64-token chunks two to each, a partial last one, a continuation
  // from a nonzero state that starts mid-chunk, and a decode beside them.
  SSDCase c = makeSSDCase({{150, 0, 0}, {1, 20, 1}, {67, 7, 2}}, 37,
                          headShape(2, 64, 128, 1, 128));
  expectSSDMatchesReference(c, 1e-4);
}

TEST(KernelMamba, SSDAtAPublishedHeadShapeMisaligned) {
  // The same shape with xbc, the state or both one float off a 16-byte
  // boundary: the decode form's 16-byte chunks give way to its element loop.
  for (int misaligned = 1; misaligned < 4; ++misaligned) {
    SSDCase shape = headShape(2, 64, 128, 1, 128);
    shape.misalignedXbc = misaligned & 1;
    shape.misalignedState = misaligned & 2;
    SSDCase c = makeSSDCase({{70, 0, 0}, {1, 20, 1}, {1, 7, 2}}, 39, shape);
    expectSSDMatchesReference(c, 1e-4);
  }
}

TEST(KernelMamba, SSDDecodeFewerRowsThanAPass) {
  // P = 3 of the decode form's 16 rows a pass, N = 8 and H * P = 12 (every
  // row 16-byte aligned: its 16-byte chunks): warps 3 to 7 take no row at
  // all, their reads clamped to row 2 and nothing stored; decodes beside a
  // short prefill.
  SSDCase c = makeSSDCase({{1, 5, 0}, {6, 0, 1}, {1, 2, 2}}, 47,
                          headShape(4, 3, 8, 2, 4));
  expectSSDMatchesReference(c, 2e-5);
}

TEST(KernelMamba, SSDPartialStateTiles) {
  // N = 100 and P = 70: a partial second 64-wide tile of state columns, and
  // the GPU form's head split into two blocks of 35 rows (one head of two
  // requests leaves a GPU idle: nhc_ssd_chunk_state_parts), each a partial
  // tile of rows in every product (W, outputs, chunk-end state), over chunks
  // of 64 with a partial last one.
  SSDCase c = makeSSDCase({{90, 0, 0}, {1, 11, 1}}, 41,
                          headShape(1, 70, 100, 1, 64));
  expectSSDMatchesReference(c, 1e-4);
}

TEST(KernelMamba, SSDRowTilesInTurnWhenTheHeadsFillTheDevice) {
  // 128 heads of two requests are 256 blocks, enough for the GPU form to
  // keep each head's P = 70 rows in one block: a full and a partial tile of
  // rows in turn in every product, as the published Nano-9B-v2 head (P = 80)
  // runs in a batch; a prefill of a chunk and a part beside a decode.
  SSDCase shape = headShape(128, 70, 8, 2, 64);
  shape.projStride = shape.dtOffset + shape.H + 3;
  SSDCase c = makeSSDCase({{70, 0, 0}, {1, 5, 1}}, 45, shape);
  expectSSDMatchesReference(c, 1e-4);
}

TEST(KernelMamba, SSDDecodeRowsSplitUnlessTheHeadsFillTheDevice) {
  // The decode form's head split into parts of whole 16-row passes while
  // the step's heads are under 1024 blocks (nhc_ssd_decode_parts): two
  // decodes of Nano-9B-v2's head shape (P = 80, N = 128) are five parts of
  // 16 rows per head, P = 70 parts of 16 and a last of 6; 512 heads of two
  // decodes fill the device in one part each.
  for (int64_t P : {80, 70}) {
    SSDCase c = makeSSDCase({{1, 9, 0}, {1, 3, 2}}, 49,
                            headShape(2, P, 128, 1, 64));
    expectSSDMatchesReference(c, 1e-4);
  }
  SSDCase wide = headShape(512, 20, 8, 4, 64);
  wide.projStride = wide.dtOffset + wide.H + 1;
  SSDCase c = makeSSDCase({{1, 4, 0}, {1, 6, 3}}, 51, wide);
  expectSSDMatchesReference(c, 1e-4);
}

TEST(KernelMamba, SSDStateSplitBetweenBlocks) {
  // N = 256 (the GPU form's state rows of 260 floats): a head's 64 state
  // rows do not fit beside its tiles in 99 KiB of shared memory, so two
  // blocks per head keep 32 rows each (nhc_ssd_chunk_state_parts), each
  // computing its own output columns; a prefill of two chunks and a
  // partial one, a continuation and a decode beside them.
  SSDCase c = makeSSDCase({{140, 0, 0}, {1, 9, 1}, {30, 4, 2}}, 43,
                          headShape(2, 64, 256, 1, 64));
  expectSSDMatchesReference(c, 1e-4);
}

TEST(KernelMamba, SSDOneTf32MmaInBf16Sessions) {
  // A bf16 session (gemm_precision 1) lets the GPU form run each product
  // (C Bᵀ, C h_prevᵀ, W X, the state update) in one tf32 mma instead of
  // three: within kOneTf32MmaTolerance of the host kernel (runKernel
  // checks) and of the double recurrence; the host kernel's arithmetic is
  // f32 in either session. Nano-9B-v2's head (P = 64, N = 128): a prefill of
  // two chunks, a decode, a continuation.
  SSDCase f32 = makeSSDCase({{100, 0, 0}, {1, 9, 1}, {20, 4, 2}}, 47,
                            headShape(2, 64, 128, 1, 64));
  SSDCase bf16 = f32;
  bf16.gemmPrecision = kGemmPrecisionBf16;
  std::vector<double> state(f32.state.begin(), f32.state.end());
  std::vector<double> want = ssdRef(f32, state);
  std::vector<float> yF32 = runSSD(f32), yBf16 = runSSD(bf16);
  expectClose(yBf16, want, kOneTf32MmaTolerance, "bf16 session's y");
  expectClose(bf16.state, state, kOneTf32MmaTolerance,
              "bf16 session's ssm_state");
  if (gpuFormUnderTest()) { // one mma per product rounds where three do not
    EXPECT_NE(yBf16, yF32);
    EXPECT_NE(bf16.state, f32.state);
  } else {
    EXPECT_EQ(yBf16, yF32) << "the host kernel";
    EXPECT_EQ(bf16.state, f32.state) << "the host kernel";
  }
}

/// The SSM state in bf16 (`_bf16_state` forms, `nhc compile
/// --ssm-state-dtype=bf16`): a step of the bf16 forms is the f32 forms' on
/// the same (bf16) state, bit for bit, its new state the f32 forms' rounded
/// to the nearest bf16 once (a prefill's head runs on an f32 working copy
/// on the host, on chip on the GPU). Decodes, prefills and chunked
/// continuations; aligned rows (16-byte loads of the GPU form, 8-byte in
/// bf16) and misaligned or odd ones; published head shapes.
TEST(KernelMamba, SSDBf16StateIsTheF32StepRounded) {
  struct Shape {
    SSDCase head;
    bool misaligned;
  };
  const std::vector<Request> decodes = {{1, 9, 0}, {1, 4, 3}, {1, 1, 1}},
                             mixed = {{70, 0, 0}, {1, 9, 2}, {37, 12, 1},
                                      {5, 3, 3}};
  for (const Shape &shape :
       {Shape{SSDCase(), false}, Shape{headShape(4, 7, 5, 2, 3), true},
        Shape{headShape(4, 40, 48, 2, 32), false},
        Shape{headShape(2, 80, 128, 1, 64), false},
        Shape{headShape(2, 80, 128, 1, 64), true},
        // More rows than the host form's working copy holds at once (136 x
        // 128 > 16384 elements): two blocks of rows, each rounded once.
        Shape{headShape(2, 136, 128, 1, 64), false}})
    for (const std::vector<Request> *reqs : {&decodes, &mixed}) {
      SSDCase f32 = makeSSDCase(*reqs, 61, shape.head);
      f32.misalignedState = shape.misaligned;
      for (float &x : f32.state)
        x = fromBits(uint32_t(nearestBf16(x)) << 16);
      SSDCase bf16 = f32;
      bf16.bf16State = true;
      SCOPED_TRACE("P = " + std::to_string(f32.P) + ", N = " +
                   std::to_string(f32.N) +
                   (shape.misaligned ? ", misaligned" : "") +
                   (reqs == &decodes ? ", decodes" : ", prefills"));
      std::vector<float> yF32 = runSSD(f32), yBf16 = runSSD(bf16);
      ASSERT_EQ(yBf16.size(), yF32.size());
      for (size_t i = 0; i < yF32.size(); ++i)
        ASSERT_EQ(bitsOf(yBf16[i]), bitsOf(yF32[i])) << "y[" << i << "]";
      for (size_t i = 0; i < f32.state.size(); ++i)
        ASSERT_EQ(bitsOf(bf16.state[i]),
                  uint32_t(nearestBf16(f32.state[i])) << 16)
            << "state[" << i << "]";
    }
}

// A head of more than the host form's working copy holds (P N > 16384
// elements) runs its prefill in blocks of rows: the same recurrence.
TEST(KernelMamba, SSDPrefillOfAHeadPastTheWorkingCopy) {
  SSDCase c = makeSSDCase({{9, 0, 0}, {4, 3, 1}, {1, 5, 2}}, 63,
                          headShape(2, 130, 128, 1, 64));
  expectSSDMatchesReference(c, 1e-4);
}

/// `whole`'s one request (fresh, slot 1) run one token per step instead:
/// y of every step, and the state after the last in `steps.state`.
std::vector<float> runTokenByToken(const SSDCase &whole, SSDCase &steps) {
  const int64_t T = whole.reqs[0].numTokens, C = whole.conv(),
                HP = whole.H * whole.P;
  steps = whole;
  std::vector<float> yStep(T * HP);
  for (int64_t t = 0; t < T; ++t) {
    SSDCase one = steps;
    one.reqs = {{1, t, 1}};
    one.xbc.assign(whole.xbc.begin() + t * C, whole.xbc.begin() + (t + 1) * C);
    one.proj.assign(whole.proj.begin() + t * whole.projStride,
                    whole.proj.begin() + (t + 1) * whole.projStride);
    std::vector<float> y = runSSD(one);
    steps.state = one.state;
    std::copy(y.begin(), y.end(), yStep.begin() + t * HP);
  }
  return yStep;
}

// Where the clamp does not bind, a prefill over a sequence equals one fresh
// token followed by decode steps.
TEST(KernelMamba, SSDPrefillEqualsDecodeStepsWithoutClamp) {
  SSDCase whole = makeSSDCase({{9, 0, 1}}, 31);
  std::fill(whole.state.begin(), whole.state.end(), 0.f);
  SSDCase steps;
  std::vector<float> yStep = runTokenByToken(whole, steps);
  std::vector<float> yWhole = runSSD(whole);
  expectClose(yWhole, {yStep.begin(), yStep.end()}, 1e-5, "y");
  expectClose(whole.state, {steps.state.begin(), steps.state.end()}, 1e-5,
              "ssm_state");
}

// Where it binds, they differ as in transformers 5.23: the prefill (its
// chunked form) clamps every token, the decode steps after the first (its
// recurrent form, with history) clamp none; each run matches the reference.
class SSDClampedSplit
    : public ::testing::TestWithParam<std::pair<float, float>> {};

TEST_P(SSDClampedSplit, PrefillClampsAndDecodeStepsDoNot) {
  SSDCase whole = makeSSDCase({{9, 0, 1}}, 31);
  whole.dtMin = GetParam().first;
  whole.dtMax = GetParam().second;
  std::fill(whole.state.begin(), whole.state.end(), 0.f);
  SSDCase steps;
  std::vector<float> yStep = runTokenByToken(whole, steps);
  SSDCase reference = whole;
  std::vector<float> yWhole = runSSD(whole);
  std::vector<double> state(reference.state.begin(), reference.state.end());
  expectClose(yWhole, ssdRef(reference, state), 1e-5, "prefill y");
  // The steps' reference: one request per step, as they ran.
  std::vector<double> stepState(reference.state.begin(), reference.state.end());
  const int64_t C = reference.conv(), HP = reference.H * reference.P;
  std::vector<double> want;
  for (int64_t t = 0; t < 9; ++t) {
    SSDCase one = reference;
    one.reqs = {{1, t, 1}};
    one.xbc.assign(reference.xbc.begin() + t * C,
                   reference.xbc.begin() + (t + 1) * C);
    one.proj.assign(reference.proj.begin() + t * reference.projStride,
                    reference.proj.begin() + (t + 1) * reference.projStride);
    std::vector<double> y = ssdRef(one, stepState);
    want.insert(want.end(), y.begin(), y.end());
  }
  expectClose(yStep, want, 1e-5, "decode steps' y");
  double largest = 0;
  for (int64_t i = HP; i < int64_t(yStep.size()); ++i)
    largest = std::max(largest, double(std::fabs(yStep[i] - yWhole[i])));
  EXPECT_GT(largest, 1e-3) << "the clamp binds for some decode step";
}

INSTANTIATE_TEST_SUITE_P(Clamps, SSDClampedSplit,
                         ::testing::Values(std::make_pair(0.3f, 1.2f),
                                           std::make_pair(0.5f, INFINITY)));

//===----------------------------------------------------------------------===//
// Batching: a request's results do not depend on the rest of its batch.
//===----------------------------------------------------------------------===//

/// Token rows [first, first + n) of a [T, width] buffer.
std::vector<float> rows(const std::vector<float> &v, int64_t width,
                        int64_t first, int64_t n) {
  return {v.begin() + first * width, v.begin() + (first + n) * width};
}

TEST(KernelMamba, BatchedEqualsAlone) {
  std::vector<Request> reqs = {{5, 0, 2}, {1, 6, 0}, {3, 2, 3}, {1, 0, 1}};

  ConvCase conv = makeConvCase(reqs, 41);
  ConvCase convBatch = conv;
  std::vector<float> outBatch = runConv(convBatch);

  SSDCase ssd = makeSSDCase(reqs, 43);
  SSDCase ssdBatch = ssd;
  std::vector<float> yBatch = runSSD(ssdBatch);

  int64_t off = 0;
  for (const Request &r : reqs) {
    ConvCase one = conv;
    one.reqs = {r};
    one.src = rows(conv.src, conv.stride, off, r.numTokens);
    std::vector<float> out = runConv(one);
    EXPECT_EQ(out, rows(outBatch, conv.C, off, r.numTokens));

    SSDCase sone = ssd;
    sone.reqs = {r};
    sone.xbc = rows(ssd.xbc, ssd.conv(), off, r.numTokens);
    sone.proj = rows(ssd.proj, ssd.projStride, off, r.numTokens);
    std::vector<float> y = runSSD(sone);
    EXPECT_EQ(y, rows(yBatch, ssd.H * ssd.P, off, r.numTokens));

    // The request's slot ends up as in the batch; other slots untouched.
    int64_t convSlot = conv.C * (conv.K - 1),
            ssdSlot = ssd.H * ssd.P * ssd.N;
    for (int64_t s = 0; s < conv.slots; ++s) {
      const std::vector<float> &want = s == r.slot ? convBatch.state
                                                   : conv.state;
      EXPECT_TRUE(std::equal(one.state.begin() + s * convSlot,
                             one.state.begin() + (s + 1) * convSlot,
                             want.begin() + s * convSlot))
          << "conv slot " << s;
      const std::vector<float> &swant = s == r.slot ? ssdBatch.state
                                                    : ssd.state;
      EXPECT_TRUE(std::equal(sone.state.begin() + s * ssdSlot,
                             sone.state.begin() + (s + 1) * ssdSlot,
                             swant.begin() + s * ssdSlot))
          << "ssm slot " << s;
    }
    off += r.numTokens;
  }
}
} // namespace

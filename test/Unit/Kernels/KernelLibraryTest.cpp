//===- KernelLibraryTest.cpp - ABI and simple kernels vs references -------===//

#include "KernelTestUtils.h"

#include "nhc/Kernels/KernelLibrary.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <numeric>

using namespace nhc_test;

namespace {
using Kinds = std::vector<std::string>;

// The parameter kinds of docs/execution-model.md's kernel table.
TEST(KernelLibrary, SignaturesMatchTheContract) {
  const std::string m = "memref", i = "index", f = "f32";
  const std::map<std::string, Kinds> expected = {
      {"nhc_rms_norm", {m, m, m, i, i, f, m, i}},
      {"nhc_add_rms_norm", {m, m, m, m, i, i, f, m, i}},
      {"nhc_add", {m, m, i}},
      {"nhc_conv1d_act", {m, i, i, m, m, m, i, i, m, m, i, i, i, i}},
      {"nhc_ssd_scan", {m, m, i, i, m, m, m, m, m, m, i, i, i, i, i, f, f}},
      {"nhc_ssd_chunk_scan",
       {m, m, i, i, m, m, m, m, m, m, i, i, i, i, i, i, f, f, i, i}},
      {"nhc_gated_rms_norm", {m, m, i, m, m, i, i, i, f, m, i}},
      {"nhc_attention",
       {m, i, i, i, i, m, m, m, m, m, i, i, i, i, i, i, f, i, i}},
      {"nhc_gather_last", {m, m, m, i, i}},
      {"nhc_moe_route", {m, m, m, m, i, i, i, i, i, i, f}},
      {"nhc_quantize_fp8", {m, i, i, m, m, i, i}},
      {"nhc_round_activations", {m, i, i, i, i, i, i}},
      {"nhc_attention_bf16_kv",
       {m, i, i, i, i, m, m, m, m, m, i, i, i, i, i, i, f, i, i}},
      {"nhc_ssd_scan_bf16_state",
       {m, m, i, i, m, m, m, m, m, m, i, i, i, i, i, f, f}},
      {"nhc_ssd_chunk_scan_bf16_state",
       {m, m, i, i, m, m, m, m, m, m, i, i, i, i, i, i, f, f, i, i}},
      {"nhc_gemv_bf16", {m, m, m, i, i, i, i, i, i, i}},
      {"nhc_gemv_f16", {m, m, m, i, i, i, i, i, i, i}},
      {"nhc_gemv_e4m3", {m, m, m, i, i, i, i, i, i, i}},
      {"nhc_gemm_epilogue", {m, i, i, i, i, i, i, m}},
      {"nhc_round_bf16", {m, i, i, i, i, m}},
      {"nhc_round_bf16_act", {m, i, i, i, i, i, m}},
      {"nhc_pack_e4m3", {m, i, i, i, i, m}},
      {"nhc_rms_norm_bf16", {m, m, m, i, i, f, m, i, m}},
      {"nhc_add_rms_norm_bf16", {m, m, m, m, i, i, f, m, i, m}},
      {"nhc_gated_rms_norm_bf16", {m, m, i, m, m, i, i, i, f, m, i, m}},
      {"nhc_ssd_conv_scan", {m, i, i, m, m, m, i, i, m, m, i, i, i, i,
                             m, i, i, m, m, m, m, m, i, i, i, i, f, f, m}},
      {"nhc_ssd_conv_scan_bf16_state",
       {m, i, i, m, m, m, i, i, m, m, i, i, i, i, m, i, i, m, m, m, m, m, i,
        i, i, i, f, f, m}},
      {"nhc_embedding_f32", {m, m, m, i, i}},
      {"nhc_embedding_bf16", {m, m, m, i, i}},
      {"nhc_gather_rows", {m, m, m, i, i}},
      {"nhc_scatter_add_rows", {m, m, m, m, i, i}},
      {"nhc_fill_normal_f32", {m, i, i, f, i}},
      {"nhc_fill_normal_bf16", {m, i, i, f}},
      {"nhc_moe_bucket", {m, m, m, m, m, i, i, i, i}},
      {"nhc_moe_expert_matmul_bf16", {m, m, m, m, m, m, i, i, i, i, i}},
      {"nhc_moe_expert_matmul_bf16_tiled", {m, m, m, m, m, m, i, i, i, i, i}},
      {"nhc_moe_expert_matmul_f32", {m, m, m, m, m, m, i, i, i, i, i}},
      {"nhc_moe_expert_matmul_e4m3", {m, m, m, m, m, m, i, i, i, i, i}},
      {"nhc_moe_expert_matmul_e4m3_tiled", {m, m, m, m, m, m, i, i, i, i, i}},
      {"nhc_moe_combine", {m, m, m, m, i, i, i}},
      {"nhc_moe_fp8_rows", {m, m, m, m, m, i, i, i, i, i, i, i}},
      {"nhc_argmax_rows", {m, m, i, i, m, i}},
      {"nhc_sample_rows", {m, m, i, i, m}},
      {"nhc_logprob_rows", {m, m, m, i, i, i}},
      {"nhc_edit_logits", {m, m, i, i}},
  };
  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> lib = mlir::nhc::parseKernelLibrary(ctx);
  ASSERT_TRUE(lib);
  auto sigs = mlir::nhc::getKernelSignatures(*lib);
  ASSERT_TRUE(mlir::succeeded(sigs));
  EXPECT_EQ(sigs->size(), expected.size());
  EXPECT_EQ(mlir::nhc::kernelNames().size(), expected.size());
  for (const mlir::nhc::KernelSignature &sig : *sigs) {
    auto it = expected.find(sig.name);
    ASSERT_NE(it, expected.end()) << sig.name;
    EXPECT_EQ(sig.paramKinds(), it->second) << sig.name;
  }
  // Element types of the non-f32 buffers.
  for (const mlir::nhc::KernelSignature &sig : *sigs) {
    if (sig.name == "nhc_moe_route")
      EXPECT_EQ(sig.params[2].elementType, "i32");
    if (sig.name.rfind("nhc_gemv_", 0) == 0) // the weight's bytes
      EXPECT_EQ(sig.params[1].elementType, "i8");
    if (sig.name == "nhc_ssd_conv_scan") // the arrival counts
      EXPECT_EQ(sig.params.back().elementType, "i32");
    if (sig.name == "nhc_round_bf16") // bf16 bits
      EXPECT_EQ(sig.params[5].elementType, "i16");
    if (sig.name == "nhc_round_bf16_act")
      EXPECT_EQ(sig.params[6].elementType, "i16");
    if (sig.name == "nhc_pack_e4m3") // e4m3 bits
      EXPECT_EQ(sig.params[5].elementType, "i8");
    if (sig.name == "nhc_embedding_bf16")
      EXPECT_EQ(sig.params[0].elementType, "i16");
    if (sig.name == "nhc_attention_bf16_kv") { // the caches' bf16 bits
      EXPECT_EQ(sig.params[5].elementType, "i16");
      EXPECT_EQ(sig.params[6].elementType, "i16");
    }
    if (sig.name == "nhc_attention")
      EXPECT_EQ(sig.params[5].elementType, "f32");
    if (sig.name == "nhc_rms_norm_bf16" ||
        sig.name == "nhc_add_rms_norm_bf16" ||
        sig.name == "nhc_gated_rms_norm_bf16") // the norms' bf16 rows
      EXPECT_EQ(sig.params.back().elementType, "i16");
    for (const mlir::nhc::KernelParam &p : sig.params)
      if (p.kind == "memref")
        EXPECT_EQ(p.abiSlots, 5u);
  }
}

/// All finite e4m3fn values, ascending (from the format's definition:
/// 4 exponent bits with bias 7, 3 mantissa bits, no infinities).
std::vector<double> e4m3Values() {
  std::vector<double> values;
  for (int e = 0; e < 16; ++e)
    for (int m = 0; m < 8; ++m) {
      if (e == 15 && m == 7)
        continue; // NaN
      double v = e == 0 ? std::ldexp(m, -9) : std::ldexp(1 + m / 8.0, e - 7);
      values.push_back(v);
      if (v != 0)
        values.push_back(-v);
    }
  std::sort(values.begin(), values.end());
  return values;
}

/// sat_e4m3(v): v clamped to +-448 and rounded to the nearest e4m3 value,
/// ties to the one with an even mantissa; zero keeps v's sign.
float nearestE4m3(float v) {
  static const std::vector<double> grid = e4m3Values();
  double c = std::max(-448.0, std::min(double(v), 448.0));
  auto hi = std::lower_bound(grid.begin(), grid.end(), c);
  if (hi == grid.end() || *hi == c)
    return c == 0 ? v * 0.0f : static_cast<float>(*hi);
  auto lo = hi - 1;
  double dlo = c - *lo, dhi = *hi - c, pick;
  if (dlo != dhi) {
    pick = dlo < dhi ? *lo : *hi;
  } else {
    // The neighbour nearer zero decides: its mantissa is its multiple of
    // the value spacing in its binade (2^-9 among subnormals), and of the
    // two the even mantissa wins.
    double inner = std::fabs(*lo) < std::fabs(*hi) ? *lo : *hi;
    double outer = inner == *lo ? *hi : *lo;
    int e;
    std::frexp(std::fabs(inner), &e);
    double spacing = std::ldexp(1.0, std::max(e - 1, -6) - 3);
    pick = std::fmod(std::fabs(inner) / spacing, 2.0) == 0 ? inner : outer;
  }
  return pick == 0 ? v * 0.0f : static_cast<float>(pick);
}

/// Every element of `quantized` is sat_e4m3 of the same element of the
/// unquantized kernel output divided by `scale` (f32 division, as the
/// recipe: docs/fp8.md).
void expectQuantized(const std::vector<float> &quantized,
                     const std::vector<float> &plain, float scale) {
  ASSERT_EQ(quantized.size(), plain.size());
  int saturated = 0;
  for (size_t i = 0; i < plain.size(); ++i) {
    float want = nearestE4m3(plain[i] / scale);
    ASSERT_EQ(quantized[i], want) << "element " << i << " (" << plain[i]
                                  << " / " << scale << ")";
    saturated += std::fabs(want) == 448.0f;
  }
  EXPECT_LT(saturated, int(plain.size())) << "scale too small for the test";
}

std::vector<double> rmsNormRef(const std::vector<double> &x,
                               const std::vector<float> &w, int64_t T,
                               int64_t H, double eps) {
  std::vector<double> out(T * H);
  for (int64_t t = 0; t < T; ++t) {
    double ss = 0;
    for (int64_t j = 0; j < H; ++j)
      ss += x[t * H + j] * x[t * H + j];
    double r = 1.0 / std::sqrt(ss / H + eps);
    for (int64_t j = 0; j < H; ++j)
      out[t * H + j] = w[j] * (x[t * H + j] * r);
  }
  return out;
}

/// Mamba-2's gated norm: per (token, group of I / G channels) of y times
/// silu(z), z's rows `stride` apart from `z`.
std::vector<double> gatedRmsNormRef(const std::vector<float> &y,
                                    const float *z, int64_t stride,
                                    const std::vector<float> &w, int64_t T,
                                    int64_t I, int64_t G, double eps) {
  std::vector<double> want(T * I);
  const int64_t gs = I / G;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t g = 0; g < G; ++g) {
      double ss = 0;
      std::vector<double> gv(gs);
      for (int64_t k = 0; k < gs; ++k) {
        double zv = z[t * stride + g * gs + k];
        gv[k] = y[t * I + g * gs + k] * (zv / (1 + std::exp(-zv)));
        ss += gv[k] * gv[k];
      }
      double r = 1.0 / std::sqrt(ss / gs + eps);
      for (int64_t k = 0; k < gs; ++k)
        want[t * I + g * gs + k] = w[g * gs + k] * gv[k] * r;
    }
  return want;
}

TEST(KernelLibrary, RmsNorm) {
  std::mt19937 rng(2);
  const int64_t T = 6, H = 37;
  const float eps = 1e-5f;
  std::vector<float> x = randomFloats(rng, T * H, -3, 3),
                     w = randomFloats(rng, H, 0.5, 1.5), out(T * H);
  ArgPack a;
  a.buf(x).buf(w).buf(out).idx(T).idx(H).f32(eps).buf(w).idx(0);
  runKernel("nhc_rms_norm", a);
  expectClose(out, rmsNormRef({x.begin(), x.end()}, w, T, H, eps), 1e-5,
              "out");
  // Quantizing for an FP8 GEMM stores sat_e4m3(out / scale) instead.
  std::vector<float> scale = {0.004f}, quantized(T * H);
  ArgPack q;
  q.buf(x).buf(w).buf(quantized).idx(T).idx(H).f32(eps).buf(scale).idx(1);
  runKernel("nhc_rms_norm", q);
  expectQuantized(quantized, out, scale[0]);
}

TEST(KernelLibrary, AddRmsNorm) {
  std::mt19937 rng(3);
  const int64_t T = 4, H = 19;
  const float eps = 1e-5f;
  std::vector<float> res = randomFloats(rng, T * H, -2, 2),
                     upd = randomFloats(rng, T * H, -2, 2),
                     w = randomFloats(rng, H, 0.5, 1.5), out(T * H);
  std::vector<float> sum(T * H);
  for (size_t i = 0; i < sum.size(); ++i)
    sum[i] = res[i] + upd[i]; // f32 add, as the kernel and torch
  std::vector<float> original = res;
  ArgPack a;
  a.buf(res).buf(upd).buf(w).buf(out).idx(T).idx(H).f32(eps).buf(w).idx(0);
  runKernel("nhc_add_rms_norm", a);
  EXPECT_EQ(res, sum);
  expectClose(out, rmsNormRef({sum.begin(), sum.end()}, w, T, H, eps), 1e-5,
              "out");
  std::vector<float> scale = {0.01f}, quantized(T * H);
  res = original;
  ArgPack q;
  q.buf(res).buf(upd).buf(w).buf(quantized).idx(T).idx(H).f32(eps)
      .buf(scale).idx(1);
  runKernel("nhc_add_rms_norm", q);
  EXPECT_EQ(res, sum); // the residual sum itself is never quantized
  expectQuantized(quantized, out, scale[0]);
}

// Rows the GPU forms hold in registers (a multiple of 4 elements, at most
// 8192, 16-byte aligned: Nemotron Nano 9B v2's 4480, its gated groups of
// 1280, the 8192 of a 47B) and rows they take element by element (an
// input one element off a 16-byte boundary, 8200 elements, a group of
// 8204): each against the reference, quantized too, and the residual sum
// exactly; in the `gpu-form.` runs the GPU bodies also against the host
// kernels.
TEST(KernelLibrary, NormsOfRegisterRowsAndElementRows) {
  std::mt19937 rng(9);
  const float eps = 1e-6f;
  struct Shape {
    int64_t H;
    bool misaligned; // the row input one element past a 16-byte boundary
  };
  for (const Shape shape : {Shape{4480, false}, Shape{8192, false},
                            Shape{4480, true}, Shape{8200, false}}) {
    const int64_t T = 2, H = shape.H;
    const std::string what =
        "H " + std::to_string(H) + (shape.misaligned ? ", misaligned" : "");
    std::vector<float> room(T * H + 4);
    const size_t first = firstAt16(room.data(), sizeof(float), !shape.misaligned);
    std::vector<float> x = randomFloats(rng, T * H, -3, 3),
                       w = randomFloats(rng, H, 0.5, 1.5), out(T * H);
    std::copy(x.begin(), x.end(), room.begin() + first);
    std::vector<double> want = rmsNormRef({x.begin(), x.end()}, w, T, H, eps);
    ArgPack a;
    a.buf(room, first).buf(w).buf(out).idx(T).idx(H).f32(eps).buf(w).idx(0);
    runKernel("nhc_rms_norm", a);
    expectClose(out, want, 1e-5, "rms_norm " + what);
    std::vector<float> scale = {0.004f}, quantized(T * H);
    ArgPack q;
    q.buf(room, first).buf(w).buf(quantized).idx(T).idx(H).f32(eps).buf(scale)
        .idx(1);
    runKernel("nhc_rms_norm", q);
    expectQuantized(quantized, out, scale[0]);

    std::vector<float> update = randomFloats(rng, T * H, -2, 2), sum(T * H);
    for (int64_t i = 0; i < T * H; ++i)
      sum[i] = x[i] + update[i];
    std::copy(x.begin(), x.end(), room.begin() + first); // the residual
    ArgPack r;
    r.buf(room, first).buf(update).buf(w).buf(out).idx(T).idx(H).f32(eps)
        .buf(w).idx(0);
    runKernel("nhc_add_rms_norm", r);
    EXPECT_TRUE(std::equal(sum.begin(), sum.end(), room.begin() + first))
        << "add_rms_norm residual, " << what;
    expectClose(out, rmsNormRef({sum.begin(), sum.end()}, w, T, H, eps), 1e-5,
                "add_rms_norm " + what);
  }
  struct Groups {
    int64_t I, G;
    bool misaligned; // z one element past a 16-byte boundary
  };
  for (const Groups shape : {Groups{10240, 8, false}, Groups{16384, 2, false},
                             Groups{10240, 8, true}, Groups{16408, 2, false}}) {
    const int64_t T = 2, I = shape.I, G = shape.G, stride = I + 8;
    const std::string what = "I " + std::to_string(I) + ", G " +
                             std::to_string(G) +
                             (shape.misaligned ? ", misaligned" : "");
    std::vector<float> room(T * stride + 4);
    const size_t first = firstAt16(room.data(), sizeof(float), !shape.misaligned);
    std::vector<float> y = randomFloats(rng, T * I, -2, 2),
                       w = randomFloats(rng, I, 0.5, 1.5), out(T * I);
    for (int64_t i = 0; i < T * stride; ++i)
      room[first + i] = std::uniform_real_distribution<float>(-4, 4)(rng);
    std::vector<double> want =
        gatedRmsNormRef(y, room.data() + first, stride, w, T, I, G, eps);
    ArgPack a;
    a.buf(y).buf(room, first).idx(stride).buf(w).buf(out).idx(T).idx(I).idx(G)
        .f32(eps).buf(w).idx(0);
    runKernel("nhc_gated_rms_norm", a);
    expectClose(out, want, 1e-5, "gated_rms_norm " + what);
  }
}

TEST(KernelLibrary, Add) {
  std::mt19937 rng(4);
  const int64_t n = 101;
  std::vector<float> r = randomFloats(rng, n), u = randomFloats(rng, n);
  std::vector<float> want(n);
  for (int64_t i = 0; i < n; ++i)
    want[i] = r[i] + u[i];
  ArgPack a;
  a.buf(r).buf(u).idx(n);
  runKernel("nhc_add", a);
  EXPECT_EQ(r, want);
}

/// The f16 nearest to `x` (ties to the even code) as an f32, chosen among
/// every finite f16 value decoded from its bits: independent of the
/// kernel's bit arithmetic. Past the largest finite value's half ulp
/// (65520) it is an infinity, as torch's .to(torch.float16).
float nearestF16(float x) {
  static const std::vector<std::pair<double, uint16_t>> grid = [] {
    std::vector<std::pair<double, uint16_t>> g;
    for (uint32_t code = 0; code < 0x7c00; ++code) { // +0 .. 65504
      uint32_t exponent = code >> 10, fraction = code & 0x3ff;
      double v = exponent == 0
                     ? std::ldexp(double(fraction), -24)
                     : std::ldexp(double(fraction | 0x400), int(exponent) - 25);
      g.push_back({v, uint16_t(code)});
    }
    return g;
  }();
  double a = std::fabs(double(x));
  if (std::isnan(x))
    return x;
  if (a >= 65520.0)
    return std::copysign(INFINITY, x);
  auto hi = std::lower_bound(grid.begin(), grid.end(),
                             std::make_pair(a, uint16_t(0)));
  auto pick = hi;
  if (hi == grid.end() || (hi != grid.begin() && hi->first != a)) {
    auto lo = std::prev(hi);
    double dl = a - lo->first, dh = hi == grid.end() ? INFINITY : hi->first - a;
    pick = dl < dh || (dl == dh && (lo->second & 1) == 0) ? lo : hi;
  }
  return std::copysign(float(pick->first), x);
}

float bf16Value(uint16_t bits) { return fromBits(uint32_t(bits) << 16); }

// x = round(act(round(x))) in place over strided rows, to bf16 (dtype 0) or
// f16 (dtype 1), against independent nearest-value choices; the padding
// between rows stays.
TEST(KernelLibrary, RoundActivationsInPlace) {
  std::mt19937 rng(21);
  std::vector<float> values = {
      0.0f, -0.0f, 1.0f, 1.00390625f /* bf16 tie, even */,
      1.01171875f /* bf16 tie, odd */, 1.00048828125f /* f16 tie, even */,
      1.00146484375f /* f16 tie, odd */, 65504.0f, 65519.99f, 65520.0f,
      -70000.0f, 6.1035156e-05f /* f16 min normal */,
      6.0975552e-05f /* f16 top subnormal */, 2.9802322e-08f /* f16 tie 0 */,
      8.940697e-08f /* f16 subnormal tie, odd */, 3.0e38f, INFINITY,
      -INFINITY, NAN, fromBits(0x00000001), fromBits(0x807fffff)};
  while (values.size() < 280)
    values.push_back(std::ldexp(randomFloats(rng, 1, -1, 1)[0],
                                int(rng() % 60) - 30));
  const int64_t K = 7, offset = 2, T = int64_t(values.size()) / K;
  const int64_t linear = 10, relu2 = 0; // nhc_conv_activate codes
  auto bf16 = [](float v) { return bf16Value(nearestBf16(v)); };
  struct Case {
    int64_t dtype, act, stride;
    std::function<float(float)> round;
    const char *what;
  };
  // Whole rows (stride K) without an activation take the kernel's loop
  // without division; the rest its general one.
  std::vector<Case> cases = {{0, linear, 9, bf16, "bf16"},
                             {1, linear, 9, nearestF16, "f16"},
                             {0, relu2, 9, bf16, "bf16 relu2"},
                             {0, linear, K, bf16, "bf16 whole rows"},
                             {1, linear, K, nearestF16, "f16 whole rows"},
                             {1, relu2, K, nearestF16, "f16 relu2 whole rows"}};
  for (const Case &c : cases) {
    const int64_t stride = c.stride;
    std::vector<float> x(offset + T * stride + 3, 5.0f); // 3 past the rows
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < K; ++j)
        x[offset + t * stride + j] = values[t * K + j];
    ArgPack a;
    a.buf(x).idx(stride).idx(offset).idx(T).idx(K).idx(c.act).idx(c.dtype);
    runKernel("nhc_round_activations", a);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t j = 0; j < K; ++j) {
        float v = values[t * K + j], stored = c.round(v);
        float want = stored;
        if (c.act == relu2) {
          float r = stored > 0 || std::isnan(stored) ? stored : 0.0f;
          want = c.round(r * r);
        }
        float got = x[offset + t * stride + j];
        if (std::isnan(want))
          EXPECT_TRUE(std::isnan(got)) << c.what << " x = " << v;
        else
          EXPECT_EQ(bitsOf(got), bitsOf(want))
              << c.what << " x = " << v << " got " << got << " want " << want;
      }
    for (int64_t i = 0; i < int64_t(x.size()); ++i)
      if (i < offset || (i - offset) % stride >= K ||
          i >= offset + T * stride)
        EXPECT_EQ(x[i], 5.0f) << c.what << ": padding " << i << " written";
  }
}

TEST(KernelLibrary, GatedRmsNorm) {
  std::mt19937 rng(5);
  const int64_t T = 3, I = 24, G = 3, stride = 40;
  const float eps = 1e-5f;
  std::vector<float> y = randomFloats(rng, T * I, -2, 2),
                     proj = randomFloats(rng, T * stride, -4, 4),
                     w = randomFloats(rng, I, 0.5, 1.5), out(T * I);
  std::vector<double> want =
      gatedRmsNormRef(y, proj.data(), stride, w, T, I, G, eps);
  ArgPack a;
  a.buf(y).buf(proj).idx(stride).buf(w).buf(out).idx(T).idx(I).idx(G).f32(
      eps).buf(w).idx(0);
  runKernel("nhc_gated_rms_norm", a);
  expectClose(out, want, 1e-5, "out");
  std::vector<float> scale = {0.002f}, quantized(T * I);
  ArgPack q;
  q.buf(y).buf(proj).idx(stride).buf(w).buf(quantized).idx(T).idx(I).idx(G)
      .f32(eps).buf(scale).idx(1);
  runKernel("nhc_gated_rms_norm", q);
  expectQuantized(quantized, out, scale[0]);
}

TEST(KernelLibrary, QuantizeFP8) {
  // Column view (stride, offset) of a wider buffer; values at every
  // rounding midpoint between e4m3 neighbours, beyond saturation, zeros
  // and NaN.
  const std::vector<double> grid = e4m3Values();
  std::vector<float> values;
  for (size_t i = 0; i + 1 < grid.size(); ++i)
    if (grid[i] >= 0) {
      float mid = static_cast<float>((grid[i] + grid[i + 1]) / 2);
      values.insert(values.end(), {mid, -mid});
    }
  for (float v : {0.0f, -0.0f, 447.9f, 448.0f, 470.0f, -1e9f, 1e-12f})
    values.push_back(v);
  const int64_t K = 16, stride = 21, offset = 3;
  const int64_t T = (int64_t(values.size()) + K - 1) / K;
  values.resize(T * K, 1.25f);
  // NaNs of any payload stay NaN (a large payload must not round into the
  // sign): elements 5 and 6.
  values[5] = std::nanf("");
  uint32_t bigPayload = 0x7fffffffu;
  std::memcpy(&values[6], &bigPayload, sizeof(float));
  std::vector<float> x(T * stride, -7.0f), out(T * K), scale = {0.5f};
  for (int64_t t = 0; t < T; ++t)
    for (int64_t j = 0; j < K; ++j)
      x[t * stride + offset + j] = values[t * K + j] * scale[0];
  ArgPack a;
  a.buf(x).idx(stride).idx(offset).buf(scale).buf(out).idx(T).idx(K);
  runKernel("nhc_quantize_fp8", a);
  for (int64_t i = 0; i < T * K; ++i) {
    if (i == 5 || i == 6) {
      EXPECT_TRUE(std::isnan(out[i])) << "element " << i;
      continue;
    }
    float want = nearestE4m3(values[i]);
    ASSERT_EQ(out[i], want) << "value " << values[i];
    ASSERT_EQ(std::signbit(out[i]), std::signbit(want)) << values[i];
  }
}

TEST(KernelLibrary, GatherLast) {
  std::mt19937 rng(6);
  const int64_t H = 9;
  std::vector<Request> reqs = {{3, 0, 0}, {1, 5, 1}, {4, 2, 2}};
  std::vector<int64_t> req = requestTable(reqs);
  const int64_t T = 8, R = 3;
  std::vector<float> x = randomFloats(rng, T * H), out(R * H);
  ArgPack a;
  a.buf(x).buf(req).buf(out).idx(R).idx(H);
  runKernel("nhc_gather_last", a);
  const int64_t last[] = {2, 3, 7};
  for (int64_t r = 0; r < R; ++r)
    for (int64_t j = 0; j < H; ++j)
      EXPECT_EQ(out[r * H + j], x[last[r] * H + j]);
}

/// transformers' NemotronHMoE.route_tokens_to_experts for one token, with
/// torch.topk ties broken towards the lower index; best expert first.
void moeRouteRef(const float *logits, const std::vector<float> &bias,
                 int64_t E, int64_t k, int64_t nGroup, int64_t topkGroup,
                 bool norm, double scale, std::vector<int32_t> &idx,
                 std::vector<double> &weight) {
  std::vector<float> s(E), choice(E);
  for (int64_t e = 0; e < E; ++e) {
    s[e] = 1.f / (1.f + std::exp(-logits[e]));
    choice[e] = s[e] + bias[e];
  }
  const int64_t gsz = E / nGroup;
  std::vector<float> gscore(nGroup);
  for (int64_t g = 0; g < nGroup; ++g) {
    std::vector<float> v(choice.begin() + g * gsz,
                         choice.begin() + (g + 1) * gsz);
    std::sort(v.rbegin(), v.rend());
    gscore[g] = v[0] + v[1];
  }
  auto byScore = [](const std::vector<float> &v) {
    std::vector<int64_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return v[a] > v[b] || (v[a] == v[b] && a < b);
    });
    return order;
  };
  std::vector<int64_t> groups = byScore(gscore);
  std::vector<float> masked(E, -INFINITY);
  for (int64_t i = 0; i < topkGroup; ++i)
    for (int64_t e = groups[i] * gsz; e < (groups[i] + 1) * gsz; ++e)
      masked[e] = choice[e];
  std::vector<int64_t> experts = byScore(masked);
  idx.clear();
  weight.clear();
  double sum = 0;
  for (int64_t i = 0; i < k; ++i) {
    idx.push_back(int32_t(experts[i]));
    weight.push_back(s[experts[i]]);
    sum += s[experts[i]];
  }
  for (double &w : weight)
    w = (norm ? w / (sum + 1e-20) : w) * scale;
}

void checkMoeRoute(int64_t T, int64_t E, int64_t k, int64_t nGroup,
                   int64_t topkGroup, bool norm, float scale,
                   std::vector<float> logits, std::vector<float> bias) {
  std::vector<int32_t> idx(T * k, -7);
  std::vector<float> weight(T * k);
  ArgPack a;
  a.buf(logits).buf(bias).buf(idx).buf(weight).idx(T).idx(E).idx(k).idx(
       nGroup).idx(topkGroup).idx(norm ? 1 : 0).f32(scale);
  runKernel("nhc_moe_route", a);
  std::vector<int32_t> wantIdx;
  std::vector<double> want, wantW;
  std::vector<int32_t> allIdx;
  for (int64_t t = 0; t < T; ++t) {
    moeRouteRef(&logits[t * E], bias, E, k, nGroup, topkGroup, norm, scale,
                wantIdx, wantW);
    allIdx.insert(allIdx.end(), wantIdx.begin(), wantIdx.end());
    want.insert(want.end(), wantW.begin(), wantW.end());
  }
  EXPECT_EQ(idx, allIdx);
  expectClose(weight, want, 1e-6, "weight");
}

TEST(KernelLibrary, MoeRoute) {
  std::mt19937 rng(7);
  const int64_t T = 9, E = 16;
  std::vector<float> logits = randomFloats(rng, T * E, -4, 4);
  std::vector<float> bias = randomFloats(rng, E, -0.3, 0.3);
  checkMoeRoute(T, E, /*k=*/3, /*nGroup=*/4, /*topkGroup=*/2, true, 2.5f,
                logits, bias);
  checkMoeRoute(T, E, /*k=*/4, /*nGroup=*/1, /*topkGroup=*/1, false, 1.0f,
                logits, bias);
  checkMoeRoute(T, E, /*k=*/2, /*nGroup=*/8, /*topkGroup=*/3, true, 1.0f,
                logits, bias);
}

/// The experts nhc_moe_route picks for one token's `logits`, best first.
std::vector<int32_t> routeOneToken(std::vector<float> logits,
                                   std::vector<float> bias, int64_t k,
                                   int64_t nGroup, int64_t topkGroup,
                                   bool norm) {
  std::vector<int32_t> idx(k);
  std::vector<float> weight(k);
  ArgPack a;
  a.buf(logits).buf(bias).buf(idx).buf(weight).idx(1).idx(logits.size())
      .idx(k).idx(nGroup).idx(topkGroup).idx(norm ? 1 : 0).f32(1.f);
  runKernel("nhc_moe_route", a);
  return idx;
}

// The GPU form's shapes: more experts than its 256 threads (each thread a
// strided share: Nemotron-3 Nano's 128 experts, top 6, one group; 300 in
// 10 groups, 3 kept), and past its workgroup buffers (1100 experts; 260
// groups of 2), where one thread runs the host form's token.
TEST(KernelLibrary, MoeRouteAtTheGpuFormsShapes) {
  struct Shape {
    int64_t T, E, k, nGroup, topkGroup;
  };
  for (Shape s : {Shape{3, 128, 6, 1, 1}, Shape{4, 300, 8, 10, 3},
                  Shape{2, 1100, 8, 1, 1}, Shape{2, 520, 5, 260, 7}}) {
    std::mt19937 rng(unsigned(s.E + s.nGroup));
    std::vector<float> logits = randomFloats(rng, s.T * s.E, -4, 4);
    std::vector<float> bias = randomFloats(rng, s.E, -0.3, 0.3);
    SCOPED_TRACE("E " + std::to_string(s.E) + " n_group " +
                 std::to_string(s.nGroup));
    checkMoeRoute(s.T, s.E, s.k, s.nGroup, s.topkGroup, true, 2.5f, logits,
                  bias);
  }
}

// Equal choices in every thread's share: the block's best is the lowest
// index, pass after pass, across threads and warps.
TEST(KernelLibrary, MoeRouteTiesAcrossTheBlockGoToTheLowerIndex) {
  const int64_t E = 600;
  std::vector<float> logits(E, 0.5f), bias(E, 0.f);
  for (int64_t e = 0; e < E; e += 7)
    logits[e] = 1.5f; // 0, 7, 14, ...: the best, tied
  checkMoeRoute(1, E, /*k=*/9, /*nGroup=*/1, /*topkGroup=*/1, false, 1.0f,
                logits, bias);
  EXPECT_EQ(routeOneToken(logits, bias, /*k=*/9, /*nGroup=*/1,
                          /*topkGroup=*/1, false),
            (std::vector<int32_t>{0, 7, 14, 21, 28, 35, 42, 49, 56}));
}

TEST(KernelLibrary, MoeRouteTiesGoToTheLowerIndex) {
  const int64_t E = 8;
  // Groups of 2: group scores tie pairwise, experts tie within groups.
  std::vector<float> logits = {1, 1, 2, 2, 2, 2, 1, 1};
  std::vector<float> bias(E, 0.f);
  checkMoeRoute(1, E, /*k=*/3, /*nGroup=*/4, /*topkGroup=*/2, true, 1.0f,
                logits, bias);
  EXPECT_EQ(routeOneToken(logits, bias, /*k=*/3, /*nGroup=*/4,
                          /*topkGroup=*/2, true),
            (std::vector<int32_t>{2, 3, 4}));
}
} // namespace

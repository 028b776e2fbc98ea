//===- blaslt_gemm_test.cpp - cuBLASLt's products against exact sums ------===//
//
// The CUDA backend's products (BlasLtGemm, the backend's descriptors and
// layouts) on random operands against sums in double, element by element,
// relative to S = sum |w_q a_q| (what a sum's rounding errors scale with):
//   bf16 x bf16, f32 sums:  2^-16 S (f32 accumulation: (k - 1) 2^-24 S at
//     worst, the bound up to k = 257; random signs keep k = 4096 far below);
//   e4m3 x e4m3, f32 sums:  2^-12 S (Hopper's FP8 tensor cores keep about
//     14 significant bits per mma k step of 32 products: DeepSeek-V3
//     technical report, section 3.3.2; a block sum truncated to 13 bits is
//     off by under 2^-12 of its products' magnitudes).
// Each check prints the worst error it saw, as log2 of its share of S.
// On a GPU every product runs with the algorithm tuning picks
// (BlasLtGemm::prepare with `tune`): the checks cover what decode runs.
// The golden suite runs its FP8 cases on a GPU with NHC_CUDA_E4M3=0
// (products in bf16; docs/testing.md): this test is where the device's
// e4m3 products are checked. By default on the test doubles, with the
// cuBLASLt double's sums exact and modelling the FP8 tensor cores
// (NHC_FAKE_CUBLASLT_E4M3_SUM_BITS); with NHC_TEST_GPU=1 on the device's
// driver and cuBLASLt (tools/scripts/gpu-check.sh).

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cuda/blaslt_gemm.h"
#include "cuda/cublaslt_api.h"
#include "cuda/device.h"
#include "cuda/device_memory.h"
#include "cuda/driver_api.h"
#include "fp8.h"
#include "session_helpers.h"

namespace nhc::test {
namespace {

using namespace runtime::cuda;

bool onGpu() {
  const char *value = std::getenv("NHC_TEST_GPU");
  return value && std::strcmp(value, "1") == 0;
}

/// f32 to bf16 bits, rounding to nearest even (finite values).
uint16_t bf16Bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  bits += 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

float bf16Value(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, 4);
  return value;
}

struct Problem {
  uint64_t m, n, k;
};

/// The worst error of C = alpha A W^T over `problem`'s elements, each as a
/// multiple of its S (see the file comment), for operands of `type`.
class ProductCheck {
public:
  ProductCheck()
      : api_(loadDriverApi()), device_(api_),
        scope_(*api_, device_.context()), stream_(*api_),
        gemm_(loadBlasLtApi(), *api_, stream_.get(), 32ull << 20) {}

  int sm() const { return device_.sm(); }

  /// Tuned on a GPU by default (on the doubles every candidate computes
  /// the same products, and timing them would only slow the checks).
  double worstRelativeError(int type, const Problem &p, uint32_t seed,
                            bool tune = onGpu()) {
    std::mt19937 random(seed);
    std::normal_distribution<float> normal(0.0f, 40.0f);
    const size_t bytesPer = type == kCudaR8FE4M3 ? 1 : 2;
    std::vector<uint8_t> w(p.n * p.k * bytesPer), a(p.m * p.k * bytesPer);
    std::vector<double> wValue(p.n * p.k), aValue(p.m * p.k);
    auto fill = [&](std::vector<uint8_t> &bytes, std::vector<double> &values) {
      for (size_t i = 0; i < values.size(); ++i) {
        float x = normal(random);
        if (type == kCudaR8FE4M3) {
          float q = runtime::quantizeE4M3(x, 1.0f);
          bytes[i] = runtime::e4m3Bits(q);
          values[i] = q;
        } else {
          uint16_t bits = bf16Bits(x);
          std::memcpy(&bytes[2 * i], &bits, 2);
          values[i] = bf16Value(bits);
        }
      }
    };
    fill(w, wValue);
    fill(a, aValue);
    DeviceBuffer wBuffer(*api_), aBuffer(*api_), cBuffer(*api_);
    wBuffer.reserve(w.size(), "W");
    aBuffer.reserve(a.size(), "A");
    cBuffer.reserve(p.m * p.n * sizeof(float), "C");
    copyIn(wBuffer, w);
    copyIn(aBuffer, a);
    GemmShape shape;
    shape.type = type;
    shape.m = p.m;
    shape.n = p.n;
    shape.k = p.k;
    shape.lda = p.k;
    shape.ldc = p.n;
    const float alpha = 0.375f; // an FP8 scale product, exact in binary
    gemm_.prepare(shape, wBuffer.address(), aBuffer.address(),
                  cBuffer.address(), "the product under test", tune);
    gemm_.run(shape, wBuffer.address(), aBuffer.address(), cBuffer.address(),
              0, alpha, 0.0f, "the product under test");
    std::vector<float> c(p.m * p.n);
    checkCuda(*api_, api_->cuStreamSynchronize(stream_.get()), NHC_INTERNAL,
              "synchronizing");
    checkCuda(*api_,
              api_->cuMemcpyDtoH(c.data(), cBuffer.address(),
                                 c.size() * sizeof(float)),
              NHC_INTERNAL, "copying C out");
    double worst = 0.0;
    for (uint64_t i = 0; i < p.m; ++i)
      for (uint64_t j = 0; j < p.n; ++j) {
        double sum = 0.0, magnitude = 0.0;
        for (uint64_t q = 0; q < p.k; ++q) {
          double product = wValue[j * p.k + q] * aValue[i * p.k + q];
          sum += product;
          magnitude += std::fabs(product);
        }
        double error = std::fabs(double(c[i * p.n + j]) - alpha * sum);
        if (!(error <= alpha * magnitude)) // NaN, or beyond any rounding
          return INFINITY;
        if (magnitude > 0)
          worst = std::max(worst, error / (alpha * magnitude));
      }
    return worst;
  }

  BlasLtGemm &gemm() { return gemm_; }

private:
  void copyIn(const DeviceBuffer &buffer, const std::vector<uint8_t> &bytes) {
    checkCuda(*api_,
              api_->cuMemcpyHtoD(buffer.address(), bytes.data(), bytes.size()),
              NHC_INTERNAL, "copying an operand in");
  }

  std::shared_ptr<const DriverApi> api_;
  DeviceContext device_;
  ContextScope scope_;
  Stream stream_;
  BlasLtGemm gemm_;
};

/// Prints `worst` (a share of S) as a power of two and returns it.
double report(const std::string &what, const Problem &p, double worst) {
  std::printf("  %s %llu x %llu x %llu: worst error 2^%.1f of S\n",
              what.c_str(), static_cast<unsigned long long>(p.m),
              static_cast<unsigned long long>(p.n),
              static_cast<unsigned long long>(p.k),
              worst > 0 ? std::log2(worst) : -INFINITY);
  return worst;
}

/// The golden FP8 case's products (its in_proj, out_proj, up and down
/// projections at prefill and decode rows) and one of a real model's depth.
const Problem kProblems[] = {{1, 592, 64},  {24, 592, 64}, {7, 64, 256},
                             {24, 160, 64}, {3, 64, 160},  {16, 512, 4096}};

constexpr double kBf16Bound = 1.0 / (1 << 16);
constexpr double kE4m3Bound = 1.0 / (1 << 12);

/// The doubles unless NHC_TEST_GPU=1 (those the environment names, else
/// the build's), and the e4m3 accumulation the cuBLASLt double models
/// (bits; nullopt: exact sums).
struct Backend {
  explicit Backend(std::optional<int> e4m3SumBits = std::nullopt) {
    if (onGpu())
      return;
    if (!std::getenv("NHC_CUDA_DRIVER"))
      driver.emplace("NHC_CUDA_DRIVER", NHC_FAKE_CUDA_DRIVER_PATH);
    if (!std::getenv("NHC_CUBLASLT"))
      blas.emplace("NHC_CUBLASLT", NHC_FAKE_CUBLASLT_PATH);
    bits.emplace("NHC_FAKE_CUBLASLT_E4M3_SUM_BITS",
                 e4m3SumBits ? std::to_string(*e4m3SumBits).c_str() : "0");
  }
  std::optional<ScopedEnv> driver, blas, bits;
};

TEST(BlasLtGemmTest, Bf16ProductsSumInF32) {
  Backend backend;
  ProductCheck check;
  uint32_t seed = 1;
  for (const Problem &p : kProblems)
    EXPECT_LE(report("bf16", p, check.worstRelativeError(kCudaR16BF, p, seed++)),
              kBf16Bound)
        << "bf16 product of " << p.m << " x " << p.n << " x " << p.k;
}

TEST(BlasLtGemmTest, E4m3ProductsStayWithinTheFp8TensorCoresBound) {
  // On the doubles: exact sums, then Hopper's (about 14 bits), then 13.
  std::vector<std::optional<int>> models = {std::nullopt, 14, 13};
  if (onGpu())
    models = {std::nullopt};
  for (const std::optional<int> &bits : models) {
    Backend backend(bits);
    ProductCheck check;
    if (check.sm() < kE4m3MinSm)
      GTEST_SKIP() << "cuBLASLt multiplies e4m3 from sm_" << kE4m3MinSm
                   << " on; this device is sm_" << check.sm();
    uint32_t seed = 100;
    for (const Problem &p : kProblems)
      EXPECT_LE(report(bits ? "e4m3 (" + std::to_string(*bits) + "-bit model)"
                            : std::string("e4m3"),
                       p, check.worstRelativeError(kCudaR8FE4M3, p, seed++)),
                kE4m3Bound)
          << "e4m3 product of " << p.m << " x " << p.n << " x " << p.k
          << (bits ? " (block sums of " + std::to_string(*bits) + " bits)"
                   : std::string());
  }
}

/// The bound is not vacuous: sums kept to 8 bits (far below any FP8
/// tensor core's) break it.
TEST(BlasLtGemmTest, TheE4m3BoundCatchesCoarserSums) {
  if (onGpu())
    GTEST_SKIP() << "checks the bound on the cuBLASLt double's model";
  Backend backend(8);
  ProductCheck check;
  EXPECT_GT(check.worstRelativeError(kCudaR8FE4M3, {24, 592, 64}, 7),
            kE4m3Bound);
}

/// A function of the cuBLASLt double the test's Backend loaded (the one the
/// environment names, as gpu-check's bundle does, else the build's).
template <typename Function> Function *doubleFunction(const char *name) {
  const char *named = std::getenv("NHC_CUBLASLT");
  void *handle =
      dlopen(named ? named : NHC_FAKE_CUBLASLT_PATH, RTLD_NOW | RTLD_NOLOAD);
  void *symbol = handle ? dlsym(handle, name) : nullptr;
  if (handle)
    dlclose(handle);
  return reinterpret_cast<Function *>(symbol);
}

/// The doubles, the cuBLASLt double offering four candidates of which the
/// third is the only one that does not wait (NHC_FAKE_CUBLASLT_FAST_ALGO).
struct FastThirdCandidate {
  Backend backend;
  ScopedEnv algos{"NHC_FAKE_CUBLASLT_ALGOS", "4"};
  ScopedEnv fast{"NHC_FAKE_CUBLASLT_FAST_ALGO", "2"};
};

/// Tuning runs the heuristic's candidates and keeps the fastest: with the
/// double's third of four candidates the only one that does not wait, a
/// tuned plan's products run it, an untuned plan's the first, and both
/// compute the same products.
TEST(BlasLtGemmTest, TunedPlansRunTheFastestCandidate) {
  if (onGpu())
    GTEST_SKIP() << "needs the cuBLASLt double's timing model; on a GPU the "
                    "product checks above run the tuned algorithms";
  FastThirdCandidate doubles;
  ProductCheck check;
  auto lastAlgo = doubleFunction<long()>("nhc_fake_cublaslt_last_algo");
  ASSERT_NE(lastAlgo, nullptr);
  const Problem tuned{2, 64, 64}, untuned{3, 64, 64};
  EXPECT_LE(check.worstRelativeError(kCudaR16BF, tuned, 5, true), kBf16Bound);
  EXPECT_EQ(lastAlgo(), 2);
  EXPECT_EQ(check.gemm().tunedPlans(), 1u);
  EXPECT_LE(check.worstRelativeError(kCudaR16BF, untuned, 6, false),
            kBf16Bound);
  EXPECT_EQ(lastAlgo(), 0);
  EXPECT_EQ(check.gemm().tunedPlans(), 1u);
}

/// The plan cache (4096 plans) makes room by dropping untuned plans first:
/// a tuned decode plan outlives thousands of prefill shapes, and is not
/// timed again.
TEST(BlasLtGemmTest, TunedPlansOutliveAFullCache) {
  if (onGpu())
    GTEST_SKIP() << "needs the cuBLASLt double's timing model";
  FastThirdCandidate doubles;
  ProductCheck check;
  auto lastAlgo = doubleFunction<long()>("nhc_fake_cublaslt_last_algo");
  ASSERT_NE(lastAlgo, nullptr);
  const Problem decode{2, 64, 64};
  EXPECT_LE(check.worstRelativeError(kCudaR16BF, decode, 5, true), kBf16Bound);
  EXPECT_EQ(check.gemm().tunedPlans(), 1u);
  GemmShape prefill;
  prefill.type = kCudaR16BF;
  prefill.n = prefill.k = prefill.lda = prefill.ldc = 64;
  for (uint64_t rows = 100; rows < 100 + 5000; ++rows) {
    prefill.m = rows;
    check.gemm().prepare(prefill, 256, 256, 256, "a prefill shape", false);
  }
  EXPECT_LE(check.worstRelativeError(kCudaR16BF, decode, 6, true), kBf16Bound);
  EXPECT_EQ(lastAlgo(), 2);
  EXPECT_EQ(check.gemm().tunedPlans(), 1u) << "the tuned plan was kept";
}

/// A gemm with a bias is not tuned (its timing products would need the
/// bias's address): the heuristic's first choice, no product run.
TEST(BlasLtGemmTest, GemmsWithABiasTakeTheHeuristicsFirstChoice) {
  if (onGpu())
    GTEST_SKIP() << "counts the cuBLASLt double's products";
  Backend backend;
  ProductCheck check;
  auto matmuls = doubleFunction<long()>("nhc_fake_cublaslt_matmuls");
  ASSERT_NE(matmuls, nullptr);
  GemmShape shape;
  shape.type = kCudaR32F;
  shape.m = shape.n = shape.k = shape.lda = shape.ldc = 16;
  shape.bias = true;
  const long before = matmuls();
  check.gemm().prepare(shape, 256, 256, 256, "a gemm with a bias", true);
  EXPECT_EQ(matmuls(), before);
  EXPECT_EQ(check.gemm().tunedPlans(), 0u);
}

} // namespace
} // namespace nhc::test

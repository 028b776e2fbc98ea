//===- KernelTestUtils.h - run host kernels from unit tests -----*- C++ -*-===//
//
// Compiles the kernel library to the host shared library once, dlopens it,
// and calls `nhc_<name>_packed(void **args)` with argument packs built the way
// the runtime builds them (docs/execution-model.md).
//
//===----------------------------------------------------------------------===//

#ifndef NHC_TEST_UNIT_KERNELS_KERNELTESTUTILS_H
#define NHC_TEST_UNIT_KERNELS_KERNELTESTUTILS_H

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace nhc_test {

/// The LLVM-level arguments of one kernel call.
class ArgPack {
public:
  template <typename T> ArgPack &buf(std::vector<T> &v) {
    return buffer(v.data(), v.size(), sizeof(T), std::is_floating_point_v<T>);
  }
  /// A buffer of v's elements from `first` on (its pointer where element
  /// `first` is: how a test places a buffer at a chosen alignment).
  template <typename T> ArgPack &buf(std::vector<T> &v, size_t first) {
    return buffer(v.data() + first, v.size() - first, sizeof(T),
                  std::is_floating_point_v<T>);
  }
  /// A buffer of bf16 bits (a state a kernel keeps as bf16) from `first`
  /// on: the GPU body's and the host kernel's are compared as floats, and
  /// may also differ by one bf16 spacing (a sum in another order that
  /// crosses a rounding boundary moves the stored value by one).
  ArgPack &bf16(std::vector<uint16_t> &v, size_t first = 0) {
    buf(v, first);
    descs.back().bf16 = true;
    return *this;
  }
  /// A scratch buffer: the kernel may leave anything there, so the GPU
  /// body's and the host kernel's contents are not compared.
  ArgPack &scratch(std::vector<float> &v) {
    buf(v);
    descs.back().scratch = true;
    return *this;
  }
  /// A buffer derived from another one the test checks itself (e.g. the
  /// bf16 bits of a float output): not compared between the GPU body and
  /// the host kernel, whose float sums, in another order, may round it
  /// differently.
  template <typename T> ArgPack &derived(std::vector<T> &v) {
    buf(v);
    descs.back().scratch = true;
    return *this;
  }
  ArgPack &idx(int64_t v);
  ArgPack &f32(float v);
  void **data() { return ptrs.data(); }
  size_t numSlots() const { return ptrs.size(); }
  const std::vector<std::string> &paramKinds() const { return kinds; }

  /// The same arguments with every buffer copied into `storage` (a buffer
  /// passed twice is copied once, so aliasing stays).
  ArgPack withCopiedBuffers(std::deque<std::vector<unsigned char>> &storage) const;
  /// What a float's tolerance is relative to: its own magnitude, or the
  /// largest finite magnitude in its buffer (for arithmetic whose error
  /// follows the size of the terms summed, not of their sum).
  enum class Scale { Element, Buffer };
  /// Fails the current test unless each buffer of this pack equals the
  /// same buffer of `want` (a pack of the same call): integers exactly,
  /// floats within `tol * max(1, |want's element|)` (with Scale::Buffer,
  /// `tol * max(1, max |want's finite elements|)`; NaN where `want` has
  /// NaN, the same infinity where it has one); scratch buffers are skipped.
  void expectBuffersMatch(const ArgPack &want, double tol,
                          const std::string &what,
                          Scale scale = Scale::Element) const;

private:
  struct Desc {
    void *allocated, *aligned;
    int64_t offset, size, stride;
    size_t elementBytes;
    bool isFloat;
    bool scratch = false;
    bool bf16 = false; // bf16 bits, compared as floats
  };
  ArgPack &buffer(void *data, size_t size, size_t elementBytes, bool isFloat);
  std::deque<Desc> descs;
  std::deque<int64_t> ints;
  std::deque<float> floats;
  std::vector<void *> ptrs;
  std::vector<std::string> kinds;
};

/// Calls nhc_<name>_packed of the host library (compiled on first use);
/// fails the current test if the kernel is unknown or `args` does not match
/// its signature. NHC_KERNEL_TEST_FORM=gpu runs the kernel's GPU body
/// instead (compileEmulatedGPUKernels: its GPU form or its parallel loops
/// mapped to blocks, emulated on the host) and also the host kernel on
/// copies of the buffers, and fails unless both leave every buffer the
/// same (floats to `gpuTolerance` relative, absolute below 1: GPU forms sum
/// in other orders, some chunk otherwise); the test then checks the GPU body's results as usual (the
/// `gpu-form.` tests). NHC_KERNEL_TEST_FORM=gpu-reversed does the same with
/// blocks and threads run in descending order (`gpu-form-reversed.`): a
/// GPU body whose result depends on the order of its threads between two
/// barriers (a missing barrier) fails in one of the two.
void runKernel(const std::string &name, ArgPack &args,
               double gpuTolerance = 1e-5,
               ArgPack::Scale gpuScale = ArgPack::Scale::Element);

/// Whether runKernel runs the GPU bodies (NHC_KERNEL_TEST_FORM=gpu or
/// gpu-reversed) rather than the host kernels.
bool gpuFormUnderTest();

/// Runs only the GPU body of kernel `name` (where gpuFormUnderTest()), not
/// compared with the host kernel: for what the GPU form does differently
/// by design.
void runGpuBody(const std::string &name, ArgPack &args);

/// A kernel's `gemm_precision` argument (nhc_gemm_precision_t).
constexpr int64_t kGemmPrecisionF32 = 0, kGemmPrecisionBf16 = 1;

/// How far a GPU body whose products run in one tf32 mma (a bf16 session,
/// kGemmPrecisionBf16: each operand rounded to tf32, 2^-11 relative) may be
/// from its host kernel (f32), relative to the largest value of its buffer
/// (ArgPack::Scale::Buffer: a sum's error follows its terms, and outputs
/// that cancel are far smaller). Measured: 6e-4 for an SSD head of
/// Nano-9B-v2's shape, 2e-6 with three mmas.
constexpr double kOneTf32MmaTolerance = 2e-3;

/// nhc_conv_activate's codes (the nemotron dialect's Activation case value),
/// as the kernels' `act` arguments take them; a negative code is none.
enum ActCode {
  Relu2, Relu, Silu, Gelu, GeluTanh, QuickGelu, Relu6, Gelu10, Laplace,
  LeakyRelu, Linear, Mish, Sigmoid, Tanh, Hardswish, SqrtSoftplus, NumActs
};

/// transformers' ACT2FN formulas (activations.py) in double, by ActCode: x
/// for a negative code, NaN for one past NumActs.
double referenceActivation(int code, double x);

/// The value of e4m3fn code `c`, from the format's definition (sign, 4
/// exponent bits with bias 7, 3 mantissa bits; S.1111.111 is NaN).
double e4m3Value(uint8_t c);

/// The e4m3 code nearest to `x` after saturation to +-448 (ties to the even
/// code), chosen by distance over every finite code.
uint8_t nearestE4m3Code(float x);

/// A float's IEEE bits and back.
uint32_t bitsOf(float x);
float fromBits(uint32_t bits);

/// The bf16 nearest to `x` (ties to the even one), chosen by comparing the
/// two candidates' distances in double; NaN quiet, infinities kept.
uint16_t nearestBf16(float x);

/// The first element of a buffer of `elementBytes` elements at `base` that
/// lies on a 16-byte boundary (`aligned`) or one element past one: where a
/// test places an operand so that a GPU form's 16-byte loads take it, or its
/// one-element fallback does (ArgPack::buf(v, first); 16 bytes and one
/// element of room suffice).
size_t firstAt16(const void *base, size_t elementBytes, bool aligned);

/// Uniform random floats in [lo, hi).
std::vector<float> randomFloats(std::mt19937 &rng, size_t n, float lo = -1.f,
                                float hi = 1.f);

/// Expects |got - want| <= tol * max(1, max|want|) elementwise.
void expectClose(const std::vector<float> &got, const std::vector<double> &want,
                 double tol, const std::string &what);

/// One request of a step (docs/execution-model.md's request table).
struct Request {
  int64_t numTokens, startPos, slot;
};

/// The number of tokens of all `reqs` together (T of the step).
int64_t totalTokens(const std::vector<Request> &reqs);

/// The i64 request table of `reqs`, tokens concatenated in order.
std::vector<int64_t> requestTable(const std::vector<Request> &reqs);

} // namespace nhc_test

#endif // NHC_TEST_UNIT_KERNELS_KERNELTESTUTILS_H

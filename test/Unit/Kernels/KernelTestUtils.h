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
#include <vector>

namespace nhc_test {

/// The LLVM-level arguments of one kernel call.
class ArgPack {
public:
  template <typename T> ArgPack &buf(std::vector<T> &v) {
    descs.push_back({v.data(), v.data(), 0, int64_t(v.size()), 1});
    Desc &d = descs.back();
    ptrs.insert(ptrs.end(),
                {&d.allocated, &d.aligned, &d.offset, &d.size, &d.stride});
    kinds.push_back("memref");
    return *this;
  }
  ArgPack &idx(int64_t v) {
    ints.push_back(v);
    ptrs.push_back(&ints.back());
    kinds.push_back("index");
    return *this;
  }
  ArgPack &f32(float v) {
    floats.push_back(v);
    ptrs.push_back(&floats.back());
    kinds.push_back("f32");
    return *this;
  }
  void **data() { return ptrs.data(); }
  size_t numSlots() const { return ptrs.size(); }
  const std::vector<std::string> &paramKinds() const { return kinds; }

private:
  struct Desc {
    void *allocated, *aligned;
    int64_t offset, size, stride;
  };
  std::deque<Desc> descs;
  std::deque<int64_t> ints;
  std::deque<float> floats;
  std::vector<void *> ptrs;
  std::vector<std::string> kinds;
};

/// Calls nhc_<name>_packed of the host library (compiled on first use);
/// fails the current test if the kernel is unknown or `args` does not match
/// its signature.
void runKernel(const std::string &name, ArgPack &args);

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

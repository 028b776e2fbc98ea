//===- KernelTestUtils.cpp - run host kernels from unit tests ---*- C++ -*-===//

#include "KernelTestUtils.h"

#include <cstdlib>

#include "nhc/Kernels/KernelLibrary.h"
#include "nhc/Target/CPU/HostLibrary.h"
#include "nhc/format/host_isa.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <dlfcn.h>
#include <map>

using namespace nhc_test;

namespace {
/// NHC_KERNEL_TEST_CPU: the x86-64 level (an LLVM CPU name) the library is
/// built for, default the x86-64 baseline (the `x86-64-v3.` / `x86-64-v4.`
/// tests); empty `skip` unless this CPU cannot run it.
std::string kernelTestCpu(std::string &skip) {
  const char *env = std::getenv("NHC_KERNEL_TEST_CPU");
  std::string cpu = env ? env : "x86-64";
  // Other LLVM CPU names are built as asked (the host may not run them).
  if (nhc::format::isHostIsaLevel(cpu) && !nhc::format::cpuRunsHostIsa(cpu))
    skip = "NHC_KERNEL_TEST_CPU=" + cpu + ": this CPU cannot run it";
  return cpu;
}

struct HostKernels {
  void *handle = nullptr;
  std::map<std::string, mlir::nhc::KernelSignature> signatures;
  std::string error;

  HostKernels() {
    std::string skip; // CpuLevelEnvironment skips the tests then
    mlir::nhc::HostTargetOptions options;
    options.cpu = kernelTestCpu(skip);
    mlir::MLIRContext ctx;
    mlir::OwningOpRef<mlir::ModuleOp> lib = mlir::nhc::parseKernelLibrary(ctx);
    if (!lib) {
      error = "cannot parse the kernel library";
      return;
    }
    mlir::FailureOr<mlir::nhc::HostLibrary> host =
        mlir::nhc::compileHostLibrary(*lib, options, error);
    if (mlir::failed(host))
      return;
    for (const mlir::nhc::KernelSignature &sig : host->kernels)
      signatures[sig.name] = sig;
    llvm::SmallString<128> path;
    int fd;
    if (llvm::sys::fs::createTemporaryFile("nhc-kernel-test", "so", fd, path)) {
      error = "cannot create a temporary file";
      return;
    }
    {
      llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
      os << host->sharedObject;
    }
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      error = dlerror();
    llvm::sys::fs::remove(path); // the mapping stays valid
  }
};

HostKernels &hostKernels() {
  static HostKernels kernels;
  return kernels;
}

/// Skips every test, saying why, when this CPU cannot run the level.
class CpuLevelEnvironment : public ::testing::Environment {
public:
  void SetUp() override {
    std::string skip;
    kernelTestCpu(skip);
    if (!skip.empty())
      GTEST_SKIP() << skip;
  }
};
[[maybe_unused]] ::testing::Environment *const cpuLevelEnvironment =
    ::testing::AddGlobalTestEnvironment(new CpuLevelEnvironment);
} // namespace

void nhc_test::runKernel(const std::string &name, ArgPack &args) {
  HostKernels &k = hostKernels();
  ASSERT_NE(k.handle, nullptr) << k.error;
  auto it = k.signatures.find(name);
  ASSERT_NE(it, k.signatures.end()) << "unknown kernel " << name;
  ASSERT_EQ(args.paramKinds(), it->second.paramKinds()) << name;
  ASSERT_EQ(args.numSlots(), it->second.numAbiSlots()) << name;
  // NHC_KERNEL_TEST_SLICES=N runs the sliced entry instead, the N slices of
  // each phase one after another in reverse order: the slices must cover
  // every iteration exactly once, in any order (the `sliced.` tests).
  if (const char *env = std::getenv("NHC_KERNEL_TEST_SLICES")) {
    int64_t slices = std::atoll(env);
    ASSERT_GT(slices, 0) << "NHC_KERNEL_TEST_SLICES=" << env;
    auto sliced = reinterpret_cast<int64_t (*)(void **, int64_t, int64_t,
                                               int64_t)>(
        dlsym(k.handle, (name + "_sliced_packed").c_str()));
    ASSERT_NE(sliced, nullptr) << name << "_sliced_packed is not exported";
    int64_t more = 1;
    for (int64_t phase = 0; more; ++phase) {
      ASSERT_LT(phase, 64) << name << ": the phases never end";
      for (int64_t s = slices - 1; s >= 0; --s)
        more = sliced(args.data(), s, slices, phase);
    }
    return;
  }
  auto fn = reinterpret_cast<void (*)(void **)>(
      dlsym(k.handle, (name + "_packed").c_str()));
  ASSERT_NE(fn, nullptr) << name << "_packed is not exported";
  fn(args.data());
}

std::vector<float> nhc_test::randomFloats(std::mt19937 &rng, size_t n, float lo,
                                          float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

void nhc_test::expectClose(const std::vector<float> &got,
                           const std::vector<double> &want, double tol,
                           const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double scale = 1.0;
  for (double w : want)
    scale = std::max(scale, std::fabs(w));
  int reported = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    double err = std::fabs(double(got[i]) - want[i]);
    if (!(err <= tol * scale) && reported++ < 5)
      ADD_FAILURE() << what << "[" << i << "] = " << got[i] << ", want "
                    << want[i] << " (error " << err << ", allowed "
                    << tol * scale << ")";
  }
}

int64_t nhc_test::totalTokens(const std::vector<Request> &reqs) {
  int64_t total = 0;
  for (const Request &r : reqs)
    total += r.numTokens;
  return total;
}

std::vector<int64_t> nhc_test::requestTable(const std::vector<Request> &reqs) {
  std::vector<int64_t> table;
  int64_t offset = 0;
  for (const Request &r : reqs) {
    table.insert(table.end(), {offset, r.numTokens, r.startPos, r.slot});
    offset += r.numTokens;
  }
  return table;
}

//===- KernelTestUtils.cpp - run host kernels from unit tests ---*- C++ -*-===//

#include "KernelTestUtils.h"

#include <cstdio>
#include <cstdlib>

#include "nhc/Compiler/KernelCodegen.h"
#include "nhc/Kernels/KernelLibrary.h"
#include "nhc/Target/CPU/HostLibrary.h"
#include "nhc/Target/CUDA/CudaLibrary.h"
#include "nhc/format/host_isa.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
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

/// Which build of the kernels the tests run (NHC_KERNEL_TEST_FORM): the
/// host kernels (unset or `host`), the GPU bodies (`gpu`), or the GPU
/// bodies with blocks and threads in descending order (`gpu-reversed`).
enum class Form { Host, Gpu, GpuReversed };
Form testForm(std::string &error) {
  const char *env = std::getenv("NHC_KERNEL_TEST_FORM");
  std::string form = env ? env : "host";
  if (form == "gpu")
    return Form::Gpu;
  if (form == "gpu-reversed")
    return Form::GpuReversed;
  if (form != "host")
    error = "NHC_KERNEL_TEST_FORM=" + form +
            ": expected host, gpu or gpu-reversed";
  return Form::Host;
}

/// One build of the kernel library, dlopened.
struct LoadedKernels {
  void *handle = nullptr;
  std::map<std::string, mlir::nhc::KernelSignature> signatures;
  std::string error;

  explicit LoadedKernels(Form form) {
    std::string skip; // CpuLevelEnvironment skips the tests then
    std::string cpu = kernelTestCpu(skip);
    mlir::MLIRContext ctx;
    mlir::OwningOpRef<mlir::ModuleOp> lib = mlir::nhc::parseKernelLibrary(ctx);
    if (!lib) {
      error = "cannot parse the kernel library";
      return;
    }
    std::string sharedObject;
    if (mlir::failed(compile(*lib, form, cpu, sharedObject)))
      return;
    llvm::SmallString<128> path;
    int fd;
    if (llvm::sys::fs::createTemporaryFile("nhc-kernel-test", "so", fd, path)) {
      error = "cannot create a temporary file";
      return;
    }
    {
      llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
      os << sharedObject;
    }
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      error = dlerror();
    llvm::sys::fs::remove(path); // the mapping stays valid
  }

  /// The shared object of `form` for `cpu`, the host form through the
  /// build's compile cache (one compile per level, not one per test
  /// process); fills `signatures`.
  mlir::LogicalResult compile(mlir::ModuleOp lib, Form form,
                              const std::string &cpu,
                              std::string &sharedObject) {
    mlir::FailureOr<std::vector<mlir::nhc::KernelSignature>> sigs =
        mlir::nhc::getKernelSignatures(lib);
    if (mlir::failed(sigs)) {
      error = "cannot read the kernel signatures";
      return mlir::failure();
    }
    for (mlir::nhc::KernelSignature &sig : *sigs)
      signatures[sig.name] = std::move(sig);
    if (form == Form::Host) {
      auto objects = mlir::nhc::compileHostKernels(
          lib, {cpu}, mlir::nhc::CompileCache(NHC_TEST_CACHE_DIR));
      if (mlir::failed(objects)) {
        error = "cannot compile the kernel library for " + cpu;
        return mlir::failure();
      }
      sharedObject = std::move(objects->front().second);
      return mlir::success();
    }
    mlir::nhc::HostTargetOptions options;
    options.cpu = cpu;
    mlir::FailureOr<mlir::nhc::HostLibrary> host =
        mlir::nhc::compileEmulatedGPUKernels(
            lib, options, mlir::nhc::CudaTargetOptions().blockSize,
            form == Form::GpuReversed, error);
    if (mlir::failed(host))
      return mlir::failure();
    sharedObject = std::move(host->sharedObject);
    return mlir::success();
  }

  /// nhc_<name>_packed, after checking `args` against the signature.
  void (*entry(const std::string &name, ArgPack &args))(void **) {
    EXPECT_NE(handle, nullptr) << error;
    if (!handle)
      return nullptr;
    auto it = signatures.find(name);
    EXPECT_NE(it, signatures.end()) << "unknown kernel " << name;
    if (it == signatures.end())
      return nullptr;
    EXPECT_EQ(args.paramKinds(), it->second.paramKinds()) << name;
    EXPECT_EQ(args.numSlots(), it->second.numAbiSlots()) << name;
    if (args.paramKinds() != it->second.paramKinds() ||
        args.numSlots() != it->second.numAbiSlots())
      return nullptr;
    auto fn = reinterpret_cast<void (*)(void **)>(
        dlsym(handle, (name + "_packed").c_str()));
    EXPECT_NE(fn, nullptr) << name << "_packed is not exported";
    return fn;
  }
};

LoadedKernels &hostKernels() {
  static LoadedKernels kernels(Form::Host);
  return kernels;
}
LoadedKernels &gpuKernels(Form form) {
  static LoadedKernels kernels(form); // one form per process
  return kernels;
}

/// Skips every test, saying why, when this CPU cannot run the level.
class CpuLevelEnvironment : public ::testing::Environment {
public:
  void SetUp() override {
    // The emulated GPU kernels report a race with puts() just before
    // abort() (check-races): unbuffered, the message survives.
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    std::string skip;
    kernelTestCpu(skip);
    if (!skip.empty())
      GTEST_SKIP() << skip;
  }
};
[[maybe_unused]] ::testing::Environment *const cpuLevelEnvironment =
    ::testing::AddGlobalTestEnvironment(new CpuLevelEnvironment);
} // namespace

bool nhc_test::gpuFormUnderTest() {
  std::string error;
  return testForm(error) != Form::Host;
}

void nhc_test::runGpuBody(const std::string &name, ArgPack &args) {
  std::string formError;
  Form form = testForm(formError);
  ASSERT_TRUE(formError.empty()) << formError;
  ASSERT_NE(form, Form::Host) << "runGpuBody needs NHC_KERNEL_TEST_FORM=gpu";
  auto gpu = gpuKernels(form).entry(name, args);
  ASSERT_TRUE(gpu) << name;
  gpu(args.data());
}

void nhc_test::runKernel(const std::string &name, ArgPack &args,
                         double gpuTolerance, ArgPack::Scale gpuScale) {
  std::string formError;
  Form form = testForm(formError);
  ASSERT_TRUE(formError.empty()) << formError;
  if (form != Form::Host) {
    ASSERT_EQ(std::getenv("NHC_KERNEL_TEST_SLICES"), nullptr)
        << "GPU bodies have no sliced entries";
    // The host kernel on copies first: it is what the GPU body must match.
    std::deque<std::vector<unsigned char>> copies;
    ArgPack hostArgs = args.withCopiedBuffers(copies);
    auto host = hostKernels().entry(name, hostArgs);
    auto gpu = gpuKernels(form).entry(name, args);
    ASSERT_TRUE(host && gpu) << name;
    host(hostArgs.data());
    gpu(args.data());
    args.expectBuffersMatch(hostArgs, gpuTolerance,
                            name + "'s GPU body against its host kernel",
                            gpuScale);
    return;
  }
  LoadedKernels &k = hostKernels();
  auto fn = k.entry(name, args);
  ASSERT_NE(fn, nullptr) << name;
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
  fn(args.data());
}

ArgPack &ArgPack::buffer(void *data, size_t size, size_t elementBytes,
                         bool isFloat) {
  descs.push_back(
      {data, data, 0, int64_t(size), 1, elementBytes, isFloat});
  Desc &d = descs.back();
  ptrs.insert(ptrs.end(),
              {&d.allocated, &d.aligned, &d.offset, &d.size, &d.stride});
  kinds.push_back("memref");
  return *this;
}

ArgPack &ArgPack::idx(int64_t v) {
  ints.push_back(v);
  ptrs.push_back(&ints.back());
  kinds.push_back("index");
  return *this;
}

ArgPack &ArgPack::f32(float v) {
  floats.push_back(v);
  ptrs.push_back(&floats.back());
  kinds.push_back("f32");
  return *this;
}

ArgPack ArgPack::withCopiedBuffers(
    std::deque<std::vector<unsigned char>> &storage) const {
  ArgPack copy;
  std::map<void *, void *> copied;
  size_t d = 0, i = 0, f = 0;
  for (const std::string &kind : kinds) {
    if (kind == "index") {
      copy.idx(ints[i++]);
    } else if (kind == "f32") {
      copy.f32(floats[f++]);
    } else {
      const Desc &desc = descs[d++];
      void *&data = copied[desc.aligned];
      if (!data) {
        const auto *bytes = static_cast<const unsigned char *>(desc.aligned);
        storage.emplace_back(bytes, bytes + desc.size * desc.elementBytes);
        data = storage.back().data();
      }
      copy.buffer(data, size_t(desc.size), desc.elementBytes, desc.isFloat);
      copy.descs.back().scratch = desc.scratch;
      copy.descs.back().bf16 = desc.bf16;
    }
  }
  return copy;
}

void ArgPack::expectBuffersMatch(const ArgPack &want, double tol,
                                 const std::string &what, Scale scale) const {
  ASSERT_EQ(descs.size(), want.descs.size()) << what;
  for (size_t b = 0; b < descs.size(); ++b) {
    const Desc &got = descs[b], &ref = want.descs[b];
    ASSERT_EQ(got.size, ref.size) << what;
    ASSERT_EQ(got.elementBytes, ref.elementBytes) << what;
    std::string where = what + ", buffer argument " + std::to_string(b);
    if (got.scratch)
      continue;
    // bf16 bits as the floats they are, with one bf16 spacing allowed.
    std::vector<float> gotWide, refWide;
    if (got.bf16) {
      for (int64_t e = 0; e < got.size; ++e) {
        gotWide.push_back(
            fromBits(uint32_t(static_cast<const uint16_t *>(got.aligned)[e])
                     << 16));
        refWide.push_back(
            fromBits(uint32_t(static_cast<const uint16_t *>(ref.aligned)[e])
                     << 16));
      }
    }
    if (!got.isFloat && !got.bf16) {
      const auto *g = static_cast<const unsigned char *>(got.aligned);
      const auto *r = static_cast<const unsigned char *>(ref.aligned);
      for (int64_t e = 0; e < got.size; ++e)
        if (std::memcmp(g + e * got.elementBytes, r + e * got.elementBytes,
                        got.elementBytes)) {
          ADD_FAILURE() << where << ": element " << e << " differs";
          break;
        }
      continue;
    }
    if (!got.bf16)
      ASSERT_EQ(got.elementBytes, sizeof(float)) << where;
    const auto *g =
        got.bf16 ? gotWide.data() : static_cast<const float *>(got.aligned);
    const auto *r =
        got.bf16 ? refWide.data() : static_cast<const float *>(ref.aligned);
    double largest = 1.0;
    if (scale == Scale::Buffer)
      for (int64_t e = 0; e < got.size; ++e)
        if (std::isfinite(r[e]))
          largest = std::max(largest, std::fabs(double(r[e])));
    int reported = 0;
    for (int64_t e = 0; e < got.size; ++e) {
      double allowed =
          tol * (scale == Scale::Buffer
                     ? largest
                     : std::max(1.0, std::fabs(double(r[e]))));
      if (got.bf16) // bf16 keeps 8 significant bits: spacing |r| 2^-7 at most
        allowed = std::max(allowed, std::fabs(double(r[e])) * 0x1p-7);
      bool same = std::isnan(r[e]) ? std::isnan(g[e])
                  : std::isinf(r[e])
                      ? g[e] == r[e]
                      : std::fabs(double(g[e]) - r[e]) <= allowed;
      if (!same && reported++ < 5)
        ADD_FAILURE() << where << "[" << e << "] = " << g[e] << ", host "
                      << r[e] << " (allowed " << allowed << ")";
    }
  }
}

double nhc_test::referenceActivation(int code, double x) {
  if (code < 0)
    return x;
  switch (code) {
  case Relu2:
    return x > 0 ? x * x : 0;
  case Relu:
    return x > 0 ? x : 0;
  case Silu:
    return x / (1 + std::exp(-x));
  case Gelu:
    return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  case GeluTanh:
    return 0.5 * x *
           (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  case QuickGelu:
    return x / (1 + std::exp(-1.702 * x));
  case Relu6:
    return std::min(std::max(x, 0.0), 6.0);
  case Gelu10:
    return std::min(std::max(referenceActivation(Gelu, x), -10.0), 10.0);
  case Laplace:
    return 0.5 * (1 + std::erf((x - 0.707107) / (0.282095 * std::sqrt(2.0))));
  case LeakyRelu:
    return x > 0 ? x : 0.01 * x;
  case Linear:
    return x;
  case Mish:
    return x * std::tanh(x > 20 ? x : std::log1p(std::exp(x)));
  case Sigmoid:
    return 1 / (1 + std::exp(-x));
  case Tanh:
    return std::tanh(x);
  case Hardswish:
    return x * std::min(std::max(x + 3, 0.0), 6.0) / 6;
  case SqrtSoftplus:
    return std::sqrt(x > 20 ? x : std::log1p(std::exp(x)));
  }
  return NAN;
}

double nhc_test::e4m3Value(uint8_t c) {
  int e = (c >> 3) & 15, mant = c & 7;
  double sign = (c & 0x80) ? -1.0 : 1.0;
  if (e == 15 && mant == 7)
    return NAN;
  if (e == 0)
    return sign * std::ldexp(mant, -9);
  return sign * std::ldexp(1.0 + mant / 8.0, e - 7);
}

uint32_t nhc_test::bitsOf(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

float nhc_test::fromBits(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

uint16_t nhc_test::nearestBf16(float x) {
  uint32_t bits = bitsOf(x);
  if (std::isnan(x))
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  if (std::isinf(x))
    return static_cast<uint16_t>(bits >> 16);
  uint32_t down = bits & 0xffff0000u, up = down + 0x10000u;
  double dDown = std::fabs(double(fromBits(down)) - x);
  // Past the largest bf16 the next step up is 2^128 (IEEE overflow:
  // rounds to infinity from the midpoint on).
  double upValue = std::isinf(fromBits(up)) && !std::isinf(x)
                       ? std::copysign(std::ldexp(1.0, 128), x)
                       : double(fromBits(up));
  double dUp = std::fabs(upValue - x);
  if (dDown < dUp || (dDown == dUp && ((down >> 16) & 1) == 0))
    return static_cast<uint16_t>(down >> 16);
  return static_cast<uint16_t>(up >> 16);
}

uint8_t nhc_test::nearestE4m3Code(float x) {
  double v = std::min(std::max(double(x), -448.0), 448.0);
  int best = -1;
  double bestDistance = INFINITY;
  for (int c = 0; c < 256; ++c) {
    double value = e4m3Value(uint8_t(c));
    if (std::isnan(value) || (std::signbit(value) != std::signbit(v)))
      continue;
    double d = std::fabs(value - v);
    if (d < bestDistance || (d == bestDistance && (c & 1) == 0)) {
      best = c;
      bestDistance = d;
    }
  }
  return uint8_t(best);
}

size_t nhc_test::firstAt16(const void *base, size_t elementBytes,
                          bool aligned) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(base);
  const size_t first = (16 - address % 16) % 16 / elementBytes;
  return aligned ? first : first + 1;
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

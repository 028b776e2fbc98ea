//===- blaslt_gemm.cpp - The CUDA backend's GEMMs through cuBLASLt --------===//

#include "cuda/blaslt_gemm.h"

#include <algorithm>
#include <utility>

#include "error.h"

namespace nhc::runtime::cuda {
namespace {
/// Plans kept before the cache starts over (serving sees many row counts).
constexpr size_t kMaxPlans = 4096;

const char *typeName(int type) {
  return type == kCudaR16BF ? "bf16" : type == kCudaR8FE4M3 ? "e4m3" : "f32";
}

/// The largest power of two up to 256 that divides `address`.
uint32_t alignment(uint64_t address) {
  uint64_t lowest = address & (~address + 1);
  return static_cast<uint32_t>(address == 0 || lowest > 256 ? 256 : lowest);
}
} // namespace

BlasLtGemm::BlasLtGemm(std::shared_ptr<const BlasLtApi> api,
                       const DriverApi &driver, CUstream stream,
                       uint64_t workspaceBytes)
    : api_(std::move(api)), driver_(driver), stream_(stream),
      workspace_(driver) {
  workspace_.reserve(workspaceBytes, "the cuBLASLt workspace");
  checkBlasLt(api_->cublasLtCreate(&handle_), NHC_UNSUPPORTED,
              cat("cuda backend: cublasLtCreate (", api_->path, ")"));
}

BlasLtGemm::~BlasLtGemm() {
  for (auto &entry : plans_)
    destroy(entry.second);
  if (handle_)
    api_->cublasLtDestroy(handle_);
  for (CUevent event : {tuneStart_, tuneEnd_})
    if (event)
      driver_.cuEventDestroy(event);
}

std::string BlasLtGemm::describe() const {
  return cat(api_->path, " ", api_->cublasLtGetVersion());
}

void BlasLtGemm::destroy(Plan &plan) {
  if (plan.desc)
    api_->cublasLtMatmulDescDestroy(plan.desc);
  for (cublasLtMatrixLayout_t layout : {plan.w, plan.a, plan.c})
    if (layout)
      api_->cublasLtMatrixLayoutDestroy(layout);
  plan = Plan();
}

void BlasLtGemm::prepare(const GemmShape &shape, uint64_t w, uint64_t a,
                         uint64_t c, const std::string &where, bool tune) {
  plan(shape, w, a, c, where, tune);
}

bool BlasLtGemm::supports(const GemmShape &shape) {
  try {
    plan(shape, 256, 256, 256, "cuda backend: probing cuBLASLt", false);
    return true;
  } catch (const Error &e) {
    if (e.status() == NHC_UNSUPPORTED)
      return false;
    throw;
  }
}

BlasLtGemm::Plan &BlasLtGemm::plan(const GemmShape &s, uint64_t wAddress,
                                   uint64_t aAddress, uint64_t cAddress,
                                   const std::string &where, bool tune) {
  // cuBLASLt's operand A is W, B the activations, C and D the output.
  const uint32_t alignW = alignment(wAddress), alignA = alignment(aAddress),
                 alignC = alignment(cAddress);
  Key key{s.type, s.m, s.n, s.k, s.lda, s.ldc, s.bias, alignW, alignA, alignC};
  // Tuning needs no bias pointer: it times candidates with C written.
  tune = tune && !s.bias;
  auto found = plans_.find(key);
  if (found != plans_.end()) {
    if (!tune || found->second.tuned)
      return found->second;
    destroy(found->second); // made untuned (a prefill's LM head row): tune it
    plans_.erase(found);
  }
  if (plans_.size() >= kMaxPlans) {
    // Untuned plans go first (serving's prefills make one per prompt
    // length); tuned ones, which decode steps replay and re-timing could
    // change, only when nothing else is left.
    for (bool tuned : {false, true})
      for (auto entry = plans_.begin();
           plans_.size() >= kMaxPlans && entry != plans_.end();)
        if (entry->second.tuned == tuned) {
          destroy(entry->second);
          entry = plans_.erase(entry);
        } else {
          ++entry;
        }
  }
  // cuBLASLt's e4m3 products add no bias to an f32 output (it would have
  // to be bf16); the backend keeps such gemms out of e4m3.
  NHC_CHECK(s.type != kCudaR8FE4M3 || !s.bias, NHC_INTERNAL,
            cat(where, ": an e4m3 gemm with a bias"));
  Plan p;
  const BlasLtApi &api = *api_;
  auto check = [&](cublasStatus_t result, const char *what) {
    if (result != kBlasSuccess)
      destroy(p);
    checkBlasLt(result, NHC_INTERNAL, cat(where, ": ", what));
  };
  check(api.cublasLtMatmulDescCreate(&p.desc, kComputeF32, kCudaR32F),
        "cublasLtMatmulDescCreate");
  const int32_t transW = kOpT, transA = kOpN;
  const uint32_t epilogue = s.bias ? kEpilogueBias : kEpilogueDefault;
  const int32_t biasType = kCudaR32F;
  check(api.cublasLtMatmulDescSetAttribute(p.desc, kDescTransA, &transW,
                                           sizeof(transW)),
        "setting TRANSA");
  check(api.cublasLtMatmulDescSetAttribute(p.desc, kDescTransB, &transA,
                                           sizeof(transA)),
        "setting TRANSB");
  check(api.cublasLtMatmulDescSetAttribute(p.desc, kDescEpilogue, &epilogue,
                                           sizeof(epilogue)),
        "setting the epilogue");
  if (s.bias)
    check(api.cublasLtMatmulDescSetAttribute(p.desc, kDescBiasDataType,
                                             &biasType, sizeof(biasType)),
          "setting the bias type");
  check(api.cublasLtMatrixLayoutCreate(&p.w, s.type, s.k, s.n,
                                       static_cast<int64_t>(s.k)),
        "the weight's layout");
  check(api.cublasLtMatrixLayoutCreate(&p.a, s.type, s.k, s.m,
                                       static_cast<int64_t>(s.lda)),
        "the activations' layout");
  check(api.cublasLtMatrixLayoutCreate(&p.c, kCudaR32F, s.n, s.m,
                                       static_cast<int64_t>(s.ldc)),
        "the output's layout");

  cublasLtMatmulPreference_t preference = nullptr;
  check(api.cublasLtMatmulPreferenceCreate(&preference), "a preference");
  const uint64_t workspace = workspace_.bytes();
  cublasLtMatmulHeuristicResult_t results[kTuneCandidates] = {};
  const int requested = tune ? kTuneCandidates : 1;
  int returned = 0;
  cublasStatus_t status = api.cublasLtMatmulPreferenceSetAttribute(
      preference, kPrefMaxWorkspaceBytes, &workspace, sizeof(workspace));
  const std::pair<int, uint32_t> alignments[] = {{kPrefMinAlignmentA, alignW},
                                                 {kPrefMinAlignmentB, alignA},
                                                 {kPrefMinAlignmentC, alignC},
                                                 {kPrefMinAlignmentD, alignC}};
  for (const auto &[attribute, bytes] : alignments)
    if (status == kBlasSuccess)
      status = api.cublasLtMatmulPreferenceSetAttribute(preference, attribute,
                                                        &bytes, sizeof(bytes));
  if (status == kBlasSuccess)
    status = api.cublasLtMatmulAlgoGetHeuristic(handle_, p.desc, p.w, p.a,
                                                p.c, p.c, preference, requested,
                                                results, &returned);
  api.cublasLtMatmulPreferenceDestroy(preference);
  if (status != kBlasNotSupported)
    check(status, "cublasLtMatmulAlgoGetHeuristic");
  if (status == kBlasNotSupported || returned < 1 ||
      results[0].state != kBlasSuccess) {
    destroy(p);
    throw Error(NHC_UNSUPPORTED,
                cat(where, ": cuBLASLt has no algorithm for a ",
                    typeName(s.type), " gemm of ", s.m,
                    " x ", s.n, " x ", s.k));
  }
  int chosen = 0;
  if (tune && returned > 1) {
    try {
      chosen = fastest(p, results, std::min(returned, kTuneCandidates),
                       wAddress, aAddress, cAddress, where);
    } catch (...) {
      destroy(p);
      throw;
    }
    if (chosen < 0) {
      destroy(p);
      throw Error(NHC_INTERNAL,
                  cat(where, ": none of cuBLASLt's ", returned,
                      " algorithms for a ", typeName(s.type), " gemm of ",
                      s.m, " x ", s.n, " x ", s.k, " ran"));
    }
    ++tunedPlans_;
  }
  p.tuned = tune; // with one candidate, the heuristic's is the tuned choice
  p.algo = results[chosen].algo;
  return plans_.emplace(key, p).first->second;
}

cublasStatus_t BlasLtGemm::matmul(const Plan &p,
                                  const cublasLtMatmulAlgo_t &algo, uint64_t w,
                                  uint64_t a, uint64_t c, float alpha,
                                  float beta) {
  void *cPointer = reinterpret_cast<void *>(c);
  return api_->cublasLtMatmul(
      handle_, p.desc, &alpha, reinterpret_cast<const void *>(w), p.w,
      reinterpret_cast<const void *>(a), p.a, &beta, cPointer, p.c, cPointer,
      p.c, &algo, reinterpret_cast<void *>(workspace_.address()),
      workspace_.bytes(), stream_);
}

int BlasLtGemm::fastest(const Plan &p,
                        const cublasLtMatmulHeuristicResult_t *candidates,
                        int count, uint64_t w, uint64_t a, uint64_t c,
                        const std::string &where) {
  auto check = [&](CUresult result, const char *what) {
    checkCuda(driver_, result, NHC_INTERNAL,
              cat(where, ": timing cuBLASLt's algorithms (", what, ")"));
  };
  for (CUevent *event : {&tuneStart_, &tuneEnd_})
    if (!*event)
      check(driver_.cuEventCreate(event, kEventDefault), "cuEventCreate");
  auto product = [&](const cublasLtMatmulAlgo_t &algo) {
    return matmul(p, algo, w, a, c, 1.0f, 0.0f) == kBlasSuccess;
  };
  int best = -1;
  float bestMs = 0.0f;
  for (int i = 0; i < count; ++i) {
    const cublasLtMatmulHeuristicResult_t &candidate = candidates[i];
    // One the library refuses to launch is skipped, as the heuristic's
    // ranking would have it if it knew.
    if (candidate.state != kBlasSuccess ||
        candidate.workspaceSize > workspace_.bytes() ||
        !product(candidate.algo)) // untimed: first use of its kernel
      continue;
    check(driver_.cuEventRecord(tuneStart_, stream_), "cuEventRecord");
    bool ran = true;
    for (int run = 0; run < kTuneTimedRuns && ran; ++run)
      ran = product(candidate.algo);
    check(driver_.cuEventRecord(tuneEnd_, stream_), "cuEventRecord");
    check(driver_.cuStreamSynchronize(stream_), "cuStreamSynchronize");
    float ms = 0.0f;
    check(driver_.cuEventElapsedTime(&ms, tuneStart_, tuneEnd_),
          "cuEventElapsedTime");
    if (ran && (best < 0 || ms < bestMs)) {
      best = i;
      bestMs = ms;
    }
  }
  return best;
}

void BlasLtGemm::run(const GemmShape &shape, uint64_t w, uint64_t a,
                     uint64_t c, uint64_t bias, float alpha, float beta,
                     const std::string &where) {
  Plan &p = plan(shape, w, a, c, where, false);
  if (shape.bias) {
    const void *pointer = reinterpret_cast<const void *>(bias);
    checkBlasLt(api_->cublasLtMatmulDescSetAttribute(
                    p.desc, kDescBiasPointer, &pointer, sizeof(pointer)),
                NHC_INTERNAL, cat(where, ": setting the bias"));
  }
  checkBlasLt(matmul(p, p.algo, w, a, c, alpha, beta), NHC_INTERNAL,
              cat(where, ": cublasLtMatmul"));
}

} // namespace nhc::runtime::cuda

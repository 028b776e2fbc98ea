//===- moe.cpp - Routed experts: gather, two gemms, scatter-add -----------===//
//
// Tokens are bucketed by expert (a counting sort over the routing table), so
// each expert runs two dense gemms over exactly its tokens instead of the
// whole batch.
//
//===----------------------------------------------------------------------===//

#include "moe.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <optional>

#include "backend.h"
#include "error.h"
#include "fp8.h"
#include "gemm.h"
#include "nhc/runtime/checked_math.h"

namespace nhc::runtime {

void MoeWorkspace::prepare(uint64_t tokens, uint64_t experts, uint64_t topK,
                           uint64_t hidden, uint64_t intermediate) {
  // The plan parser bounds experts, topK, hidden and intermediate
  // (nhc/runtime/limits.h) and the session bounds tokens; the products are
  // checked anyway, and a failed allocation is NHC_OUT_OF_MEMORY.
  std::optional<uint64_t> tokenHidden = checkedMul(tokens, hidden);
  std::optional<uint64_t> tokenInter = checkedMul(tokens, intermediate);
  std::optional<uint64_t> tokenTopK = checkedMul(tokens, topK);
  std::optional<uint64_t> expertsPlusOne = checkedAdd(experts, 1);
  NHC_CHECK(tokenHidden && tokenInter && tokenTopK && expertsPlusOne,
            NHC_INVALID_ARGUMENT,
            cat("session: moe_experts buffers for ", tokens,
                " tokens overflow 64 bits"));
  auto grow = [](auto &v, uint64_t n) {
    if (v.size() < n)
      v.resize(n);
  };
  try {
    grow(x_, *tokenHidden);
    grow(y_, *tokenHidden);
    grow(h_, *tokenInter);
    grow(counts_, *expertsPlusOne);
    grow(rowToken_, *tokenTopK);
    grow(rowWeight_, *tokenTopK);
  } catch (const std::exception &) { // bad_alloc or length_error
    throw Error(NHC_OUT_OF_MEMORY,
                cat("session: cannot allocate the moe_experts gather buffers "
                    "for ", tokens, " tokens (hidden ", hidden,
                    ", intermediate ", intermediate, ")"));
  }
}

PackedExpertScales packExpertScales(const ExecutionPlan &plan,
                                    const F32Weights &weights) {
  PackedExpertScales packed;
  for (const auto *entries : {&plan.body, &plan.headLast, &plan.headAll})
    for (const ScheduleEntry &entry : *entries)
      if (entry.kind == EntryKind::MoeExperts && entry.moe.fp8()) {
        std::vector<float> &values = packed[&entry.moe];
        for (const std::vector<size_t> *scales : entry.moe.scaleLists())
          for (size_t index : *scales)
            values.push_back(weights.data(index)[0]);
      }
  return packed;
}

MoeScales moeScalesOf(const std::vector<float> &packed, uint64_t experts) {
  const float *values = packed.data();
  return {values + kUpInputScales * experts, values + kUpWeightScales * experts,
          values + kDownInputScales * experts,
          values + kDownWeightScales * experts};
}

void MoeWorkspace::run(const MoeProblem &p) {
  const uint64_t T = p.tokens, E = p.experts, K = p.topK, H = p.hidden,
                 I = p.intermediate;
  std::fill_n(p.output, T * H, 0.0f);
  if (T == 0)
    return;

  // Bucket (token, weight) pairs by expert: counts_[e] becomes the start of
  // expert e's rows.
  std::fill_n(counts_.begin(), E + 1, 0);
  for (uint64_t i = 0; i < T * K; ++i) {
    int32_t e = p.indices[i];
    if (e >= 0 && static_cast<uint64_t>(e) < E)
      ++counts_[e + 1];
  }
  for (uint64_t e = 0; e < E; ++e)
    counts_[e + 1] += counts_[e];
  std::vector<uint64_t> &start = counts_;
  for (uint64_t i = 0; i < T * K; ++i) {
    int32_t e = p.indices[i];
    if (e < 0 || static_cast<uint64_t>(e) >= E)
      continue;
    // start[e] walks forward; it is restored below by shifting.
    uint64_t row = start[e]++;
    rowToken_[row] = i / K;
    rowWeight_[row] = p.weights[i];
  }
  // After the fill, start[e] is the end of expert e = the start of e + 1.
  for (uint64_t e = E; e > 0; --e)
    start[e] = start[e - 1];
  start[0] = 0;

  for (uint64_t e = 0; e < E; ++e) {
    // A token may (in theory) pick one expert twice, so an expert can have
    // more than T rows: process them T at a time to stay within scratch.
    for (uint64_t first = start[e]; first < start[e + 1]; first += T) {
      uint64_t n = std::min<uint64_t>(T, start[e + 1] - first);
      for (uint64_t r = 0; r < n; ++r)
        std::memcpy(&x_[r * H], p.input + rowToken_[first + r] * H,
                    H * sizeof(float));
      const MoeScales *fp8 = p.scales;
      if (p.inputAbsmax)
        foldBlockAbsMax(p.inputAbsmax[2 * e], n, H, x_.data(), H);
      if (fp8)
        quantizeBlock(n, H, x_.data(), H, fp8->upInput[e]);
      gemmNT(n, I, H, x_.data(), H, p.up[e], h_.data(), I, false, p.gemm);
      if (fp8)
        scaleBlock(n, I, h_.data(), I, fp8->upInput[e] * fp8->upWeight[e]);
      activateBlock(p.activation, n, I, h_.data(), I);
      if (p.inputAbsmax)
        foldBlockAbsMax(p.inputAbsmax[2 * e + 1], n, I, h_.data(), I);
      if (fp8)
        quantizeBlock(n, I, h_.data(), I, fp8->downInput[e]);
      gemmNT(n, H, I, h_.data(), I, p.down[e], y_.data(), H, false, p.gemm);
      if (fp8)
        scaleBlock(n, H, y_.data(), H, fp8->downInput[e] * fp8->downWeight[e]);
      for (uint64_t r = 0; r < n; ++r) {
        float w = rowWeight_[first + r];
        float *out = p.output + rowToken_[first + r] * H;
        const float *y = &y_[r * H];
        for (uint64_t j = 0; j < H; ++j)
          out[j] += w * y[j];
      }
    }
  }
}

} // namespace nhc::runtime

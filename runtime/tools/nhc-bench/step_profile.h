//===- step_profile.h - Time per schedule entry of timed steps -*- C++ -*-===//
//
// nhc-bench --profile: where a step's time goes. The session's progress
// callback reports each schedule entry once the host backend has run it, so
// the time between two reports is that entry's (the first also holds the
// step's validation and input copy). Entries are the manifest's
// schedules.body, then head_last: the order the callback counts them
// (session.h). Times are summed per operation: a kernel ("nhc_ssd_scan"),
// a gemm role over every layer ("gemm mixer.in_proj", "gemm lm_head"),
// "moe_experts", "embedding". Gemms are also judged against their roofline,
// max(bytes / DRAM bandwidth, FLOPs / GEMM peak) per call. The cuda backend
// reports entries as it enqueues them, so nhc-bench profiles the host only.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_TOOLS_NHC_BENCH_STEP_PROFILE_H
#define NHC_TOOLS_NHC_BENCH_STEP_PROFILE_H

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nhc/runtime/api.h"

namespace nhc::bench {

/// The host's limits a gemm is judged against.
struct GemmRoofline {
  double memoryBytesPerS = 0; // DRAM read rate
  double f32FlopsPerS = 0;    // f32 GEMM peak
  /// bf16 GEMM peak when the session's gemm precision is bf16, else 0:
  /// BF16-weight gemms of more than NHC_GEMV_MAX_ROWS rows run at it.
  double bf16FlopsPerS = 0;
};

class StepProfile {
public:
  /// The entries of `manifest`'s body and head_last; gemm weights as
  /// `session` holds them (nhc_session_weight_dtype). Throws on a manifest
  /// without those schedules.
  StepProfile(const nlohmann::json &manifest, const nhc_session_t *session);
  StepProfile(const StepProfile &) = delete;
  StepProfile &operator=(const StepProfile &) = delete;

  /// Installs the progress callback on `session` (removed by detach()).
  void attach(nhc_session_t *session);
  void detach(nhc_session_t *session);
  /// Call right before each nhc_session_step (NHC_LOGITS_LAST) to profile.
  void stepStarts();
  /// Forgets the steps timed so far (the untimed warm-up runs).
  void reset();
  /// The steps timed since reset(), per step: {"steps", "seconds_per_step"
  /// (`stepSeconds`, the measured step), "entries_per_step",
  /// "covered_share" (the entries' part of it), "ops": [{"op",
  /// "entries", "seconds_per_step", "share"} and, for gemms,
  /// "bytes_per_step", "flops_per_step", "limit_seconds_per_step",
  /// "fraction_of_limit"], slowest first}. `tokens` and `requests` are one
  /// step's (a gemm's m is one of them). Throws when the session reported
  /// another number of entries than the manifest has.
  nlohmann::json summary(uint64_t tokens, uint64_t requests,
                         double stepSeconds, const GemmRoofline &limits) const;
  /// Prints `summary` under `title`: ops of at least 1 % of the step, the
  /// rest on one line.
  static void print(const std::string &title, const nlohmann::json &summary);

private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::string op;
    bool gemm = false;
    bool perToken = true; // a gemm's m: the step's tokens, or its requests
    uint64_t n = 0, k = 0;
    nhc_dtype_t dtype = NHC_DTYPE_F32; // the gemm's weight as held
  };
  static void onProgress(void *self, size_t completed, size_t total);

  std::vector<Entry> entries_;
  std::vector<double> seconds_; // per entry, summed over the steps
  uint64_t steps_ = 0;
  size_t reportedTotal_ = 0; // the callback's `total`; 0: none yet
  Clock::time_point last_;
};

} // namespace nhc::bench

#endif // NHC_TOOLS_NHC_BENCH_STEP_PROFILE_H

//===- step_profile.h - Time per schedule entry of timed steps -*- C++ -*-===//
//
// nhc-bench --profile: where a step's time goes. Each profiled step asks the
// runtime for its time per schedule entry (nhc_step_options_t.entry_seconds:
// a monotonic clock on the host, CUDA events on the cuda backend's stream,
// where such steps run without graph replay). Entries are the manifest's
// schedules.body, then head_last (session.h). Times are summed per
// operation: a kernel ("nhc_ssd_scan"), a gemm role over every layer ("gemm
// mixer.in_proj", "gemm lm_head"), "moe_experts", "embedding". Gemms are also
// judged against their roofline, max(bytes / memory bandwidth, FLOPs / the
// peak of the arithmetic they run in) per call.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_TOOLS_NHC_BENCH_STEP_PROFILE_H
#define NHC_TOOLS_NHC_BENCH_STEP_PROFILE_H

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nhc/runtime/api.h"

namespace nhc::bench {

/// The limits a gemm is judged against.
struct GemmRoofline {
  double memoryBytesPerS = 0; // DRAM read rate, or the device's bandwidth
  double f32FlopsPerS = 0;    // f32 GEMM peak
  /// bf16 GEMM peak when the session's gemm precision is bf16, else 0:
  /// on the host BF16-weight gemms of more than NHC_GEMV_MAX_ROWS rows run
  /// at it; on a device (`device`) every gemm whose weight it holds in bf16.
  double bf16FlopsPerS = 0;
  /// A device's e4m3 GEMM peak: its gemms on e4m3 weights (0: none).
  double e4m3FlopsPerS = 0;
  bool device = false;
};

class StepProfile {
public:
  /// The entries of `manifest`'s body and head_last; gemm weights as
  /// `session` holds them (nhc_session_weight_dtype). Throws on a manifest
  /// without those schedules.
  StepProfile(const nlohmann::json &manifest, const nhc_session_t *session);
  StepProfile(const StepProfile &) = delete;
  StepProfile &operator=(const StepProfile &) = delete;

  /// Makes the step `options` go to (NHC_LOGITS_LAST) a profiled one: its
  /// entry times land here. Call stepEnded() once it returned.
  void arm(nhc_step_options_t &options);
  /// Adds the armed step's entry times.
  void stepEnded();
  /// Forgets the steps timed so far (the untimed warm-up runs).
  void reset();
  /// The steps timed since reset(), per step: {"steps", "seconds_per_step"
  /// (`stepSeconds`, the measured step), "entries_per_step",
  /// "covered_share" (the entries' part of it), "ops": [{"op",
  /// "entries", "seconds_per_step", "share"} and, for gemms,
  /// "bytes_per_step", "flops_per_step", "limit_seconds_per_step",
  /// "fraction_of_limit"], slowest first}. `tokens` and `requests` are one
  /// step's (a gemm's m is one of them).
  nlohmann::json summary(uint64_t tokens, uint64_t requests,
                         double stepSeconds, const GemmRoofline &limits) const;
  /// Prints `summary` under `title`: ops of at least 1 % of the step, the
  /// rest on one line.
  static void print(const std::string &title, const nlohmann::json &summary);

private:
  struct Entry {
    std::string op;
    bool gemm = false;
    bool perToken = true; // a gemm's m: the step's tokens, or its requests
    uint64_t n = 0, k = 0;
    nhc_dtype_t dtype = NHC_DTYPE_F32; // the gemm's weight as held
  };
  std::vector<Entry> entries_;
  std::vector<double> seconds_; // per entry, summed over the steps
  std::vector<double> step_;    // per entry, the armed step's
  uint64_t steps_ = 0;
};

} // namespace nhc::bench

#endif // NHC_TOOLS_NHC_BENCH_STEP_PROFILE_H

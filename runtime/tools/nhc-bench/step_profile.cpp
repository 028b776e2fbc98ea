//===- step_profile.cpp - Time per schedule entry of timed steps ----------===//

#include "step_profile.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "nhc/format/manifest_schema.h"

namespace nhc::bench {
namespace {

namespace key = nhc::format::manifest::key;
namespace value = nhc::format::manifest::value;
using Json = nlohmann::json;

/// "backbone.layers.12.mixer.in_proj.weight" -> "mixer.in_proj": the role
/// a weight plays in every layer; "lm_head.weight" -> "lm_head".
std::string weightRole(std::string name) {
  const std::string backbone = "backbone.";
  if (name.rfind(backbone, 0) == 0)
    name.erase(0, backbone.size());
  const std::string layers = "layers.";
  if (name.rfind(layers, 0) == 0) {
    size_t end = layers.size();
    while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end])))
      ++end;
    if (end > layers.size() && end < name.size() && name[end] == '.')
      name.erase(0, end + 1);
  }
  const std::string suffix = ".weight";
  if (name.size() > suffix.size() &&
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    name.erase(name.size() - suffix.size());
  return name;
}

} // namespace

StepProfile::StepProfile(const Json &manifest, const nhc_session_t *session) {
  const Json &schedules = manifest.at(key::kSchedules);
  for (const char *schedule : {value::kScheduleBody, value::kScheduleHeadLast})
    for (const Json &e : schedules.at(schedule)) {
      Entry entry;
      if (e.contains(key::kKernel)) {
        entry.op = e.at(key::kKernel).get<std::string>();
      } else {
        const std::string library = e.at(key::kLibrary).get<std::string>();
        if (library == value::kLibraryGemm) {
          const std::string weight = e.at(key::kW).get<std::string>();
          entry.op = "gemm " + weightRole(weight);
          entry.gemm = true;
          entry.perToken = e.at(key::kM).get<std::string>() == value::kDimTokens;
          entry.n = e.at(key::kN).get<uint64_t>();
          entry.k = e.at(key::kK).get<uint64_t>();
          if (nhc_session_weight_dtype(session, weight.c_str(), &entry.dtype) !=
              NHC_OK)
            throw std::runtime_error("profile: gemm weight '" + weight +
                                     "': " + nhc_last_error());
        } else {
          entry.op = library;
        }
      }
      entries_.push_back(std::move(entry));
    }
  seconds_.assign(entries_.size(), 0.0);
  step_.assign(entries_.size(), 0.0);
}

void StepProfile::arm(nhc_step_options_t &options) {
  std::fill(step_.begin(), step_.end(), 0.0);
  options.entry_seconds = step_.data();
  options.num_entry_seconds = step_.size();
}

void StepProfile::stepEnded() {
  ++steps_;
  for (size_t i = 0; i < step_.size(); ++i)
    seconds_[i] += step_[i];
}

void StepProfile::reset() {
  std::fill(seconds_.begin(), seconds_.end(), 0.0);
  steps_ = 0;
}

Json StepProfile::summary(uint64_t tokens, uint64_t requests,
                          double stepSeconds,
                          const GemmRoofline &limits) const {
  struct Op {
    uint64_t entries = 0;
    double seconds = 0, bytes = 0, flops = 0, limitSeconds = 0;
    bool gemm = false;
  };
  std::map<std::string, Op> ops;
  const double steps = steps_ ? double(steps_) : 1.0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry &e = entries_[i];
    Op &op = ops[e.op];
    ++op.entries;
    op.seconds += seconds_[i] / steps;
    if (!e.gemm)
      continue;
    op.gemm = true;
    const double m = double(e.perToken ? tokens : requests);
    const double n = double(e.n), k = double(e.k);
    const double bytes = n * k * double(nhc_dtype_size(e.dtype)) +
                         4.0 * m * (k + n); // A read, C written (f32)
    const double flops = 2.0 * m * n * k;
    const bool bf16 = limits.bf16FlopsPerS > 0 && e.dtype == NHC_DTYPE_BF16 &&
                      (limits.device || m > NHC_GEMV_MAX_ROWS);
    const bool e4m3 = limits.e4m3FlopsPerS > 0 && e.dtype == NHC_DTYPE_F8_E4M3;
    const double peak = e4m3   ? limits.e4m3FlopsPerS
                        : bf16 ? limits.bf16FlopsPerS
                               : limits.f32FlopsPerS;
    op.bytes += bytes;
    op.flops += flops;
    op.limitSeconds += std::max(bytes / limits.memoryBytesPerS, flops / peak);
  }
  Json list = Json::array();
  double covered = 0;
  for (const auto &[name, op] : ops) {
    Json row = {{"op", name},
                {"entries", op.entries},
                {"seconds_per_step", op.seconds},
                {"share", op.seconds / stepSeconds}};
    if (op.gemm) {
      row["bytes_per_step"] = op.bytes;
      row["flops_per_step"] = op.flops;
      row["limit_seconds_per_step"] = op.limitSeconds;
      // An entry the backend ran inside another's product (the cuda
      // backend's fused q, k and v projections) takes no time of its own.
      if (op.seconds > 0)
        row["fraction_of_limit"] = op.limitSeconds / op.seconds;
    }
    covered += op.seconds / stepSeconds;
    list.push_back(std::move(row));
  }
  std::sort(list.begin(), list.end(), [](const Json &a, const Json &b) {
    const double sa = a["seconds_per_step"], sb = b["seconds_per_step"];
    return sa != sb ? sa > sb : a["op"] < b["op"];
  });
  return {{"steps", steps_},
          {"seconds_per_step", stepSeconds},
          {"entries_per_step", entries_.size()},
          {"covered_share", covered},
          {"ops", list}};
}

void StepProfile::print(const std::string &title, const Json &summary) {
  const Json &ops = summary["ops"];
  std::printf("profile  %s: %.2f ms per step, %.1f%% in its %zu entries\n",
              title.c_str(), 1e3 * summary["seconds_per_step"].get<double>(),
              100 * summary["covered_share"].get<double>(),
              summary["entries_per_step"].get<size_t>());
  std::printf("  %-34s %7s %10s %8s %9s\n", "op", "entries", "ms/step",
              "share", "of limit");
  uint64_t restOps = 0, restEntries = 0;
  double restSeconds = 0, restShare = 0;
  for (const Json &op : ops) {
    const double share = op["share"].get<double>();
    if (share < 0.01) {
      ++restOps;
      restEntries += op["entries"].get<uint64_t>();
      restSeconds += op["seconds_per_step"].get<double>();
      restShare += share;
      continue;
    }
    char limit[32] = "";
    if (op.contains("fraction_of_limit"))
      std::snprintf(limit, sizeof limit, "%8.1f%%",
                    100 * op["fraction_of_limit"].get<double>());
    std::printf("  %-34s %7llu %10.3f %7.1f%% %9s\n",
                op["op"].get<std::string>().c_str(),
                static_cast<unsigned long long>(op["entries"].get<uint64_t>()),
                1e3 * op["seconds_per_step"].get<double>(), 100 * share, limit);
  }
  if (restOps)
    std::printf("  %-34s %7llu %10.3f %7.1f%%\n",
                ("other (" + std::to_string(restOps) + " ops)").c_str(),
                static_cast<unsigned long long>(restEntries),
                1e3 * restSeconds, 100 * restShare);
}

} // namespace nhc::bench

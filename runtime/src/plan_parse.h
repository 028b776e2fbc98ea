//===- plan_parse.h - Shared state of the plan parser -------*- C++ -*-===//
//
// Internal to plan.cpp (buffers, kernels, kernel entries) and
// library_ops.cpp (gemm, moe_experts entries).
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_SCHEDULE_PARSE_H
#define NHC_RUNTIME_SRC_SCHEDULE_PARSE_H

#include <string>
#include <unordered_map>

#include "manifest.h"
#include "plan.h"

namespace nhc::runtime {

/// Name lookups over what has been parsed so far.
struct PlanContext {
  const nhc_manifest_t &manifest;
  ExecutionPlan &plan;
  std::unordered_map<std::string, size_t> buffers;
  std::unordered_map<std::string, size_t> kernels;
  std::unordered_map<std::string, size_t> weights;
  std::unordered_map<std::string, size_t> states;

  /// Index of buffer `name`; throws naming `where` if unknown.
  size_t buffer(const std::string &name, const std::string &where) const;
  /// Index of manifest weight `name`; throws naming `where` if unknown.
  size_t weight(const std::string &name, const std::string &where) const;
  /// Index of manifest state tensor `name`; throws naming `where` if unknown.
  size_t state(const std::string &name, const std::string &where) const;
  const BufferSpec &bufferSpec(size_t index) const {
    return plan.buffers[index];
  }
};

/// Library entries ({"library": "gemm" | "moe_experts", ...}).
ScheduleEntry parseGemm(const PlanContext &ctx, const Json &entry,
                        ScheduleKind schedule, const std::string &where);
ScheduleEntry parseMoeExperts(const PlanContext &ctx, const Json &entry,
                              const std::string &where);
ScheduleEntry parseEmbedding(const PlanContext &ctx, const Json &entry,
                             ScheduleKind schedule, const std::string &where);

/// Small typed field readers on top of json_fields.h.
uint64_t optionalUInt(const Json &obj, const char *key, uint64_t fallback,
                      const std::string &where);
bool optionalBool(const Json &obj, const char *key, bool fallback,
                  const std::string &where);
int64_t asInt64(const Json &value, const std::string &where);
/// A number, or "inf" / "-inf" / "nan" (JSON has no spelling for them).
float asF32(const Json &value, const std::string &where);
const char *elemTypeName(ElemType type);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_SCHEDULE_PARSE_H

//===- nhc/format/host_isa.h - Builds of the host kernel library -*- C++ -*-===//
//
// The host kernel library is built once per x86-64 micro-architecture level
// (the x86-64 psABI's levels, which are also LLVM CPU names) and stored as one
// HOST_SHARED_LIBRARY section per level, named by the level
// (docs/artifact-format.md). The compiler builds every level; the runtime
// loads the highest one its CPU runs (NHC_HOST_ISA forces one).
//
//===----------------------------------------------------------------------===//
#ifndef NHC_FORMAT_HOST_ISA_H
#define NHC_FORMAT_HOST_ISA_H

#include <cstddef>
#include <string_view>

namespace nhc::format {

/// Lowest first: SSE2 baseline; AVX2 + FMA + F16C; AVX-512 (F, BW, CD, DQ,
/// VL).
inline constexpr const char *kHostIsaLevels[] = {"x86-64", "x86-64-v3",
                                                 "x86-64-v4"};
inline constexpr size_t kHostIsaLevelCount =
    sizeof(kHostIsaLevels) / sizeof(kHostIsaLevels[0]);

/// Whether `level` is one of kHostIsaLevels.
inline bool isHostIsaLevel(std::string_view level) {
  for (const char *known : kHostIsaLevels)
    if (level == known)
      return true;
  return false;
}

/// Whether this CPU runs code built for `level` (false for a name that is
/// not one of kHostIsaLevels, and off x86-64).
inline bool cpuRunsHostIsa(std::string_view level) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (level == "x86-64")
    return true;
  if (level == "x86-64-v3")
    return __builtin_cpu_supports("x86-64-v3");
  if (level == "x86-64-v4")
    return __builtin_cpu_supports("x86-64-v4");
#else
  (void)level;
#endif
  return false;
}

} // namespace nhc::format

#endif // NHC_FORMAT_HOST_ISA_H

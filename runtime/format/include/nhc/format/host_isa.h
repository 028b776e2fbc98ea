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

namespace nhc::format {

/// Lowest first: SSE2 baseline; AVX2 + FMA + F16C; AVX-512 (F, BW, CD, DQ,
/// VL).
inline constexpr const char *kHostIsaLevels[] = {"x86-64", "x86-64-v3",
                                                 "x86-64-v4"};
inline constexpr size_t kHostIsaLevelCount =
    sizeof(kHostIsaLevels) / sizeof(kHostIsaLevels[0]);

} // namespace nhc::format

#endif // NHC_FORMAT_HOST_ISA_H

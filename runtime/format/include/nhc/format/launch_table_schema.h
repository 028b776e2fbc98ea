//===- nhc/format/launch_table_schema.h - Launch table keys -----*- C++ -*-===//
//
// The names the GPU launch table JSON uses (docs/artifact-format.md, "Launch
// table"), spelled once: the compiler's lib/Target/CUDA/LaunchTable.cpp
// writes them and the runtime's launch table evaluator reads them.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_FORMAT_LAUNCH_TABLE_SCHEMA_H
#define NHC_FORMAT_LAUNCH_TABLE_SCHEMA_H

namespace nhc::format::launch_table {

inline constexpr const char kFormatName[] = "nhc-launch-table";
inline constexpr int kVersion = 1;
/// The first chip (sm_<n>) with PTX's griddepcontrol ("Requires sm_90 or
/// higher"): the least target `grid_dependency_control` may name, and the
/// least device compute capability (major * 10 + minor) a programmatic
/// launch needs.
inline constexpr int kGridDependencyControlMinSm = 90;

namespace key {
// Top level.
inline constexpr const char kFormat[] = "format";
inline constexpr const char kVersion[] = "version";
inline constexpr const char kTargets[] = "targets";
/// The targets whose kernels start with griddepcontrol.wait (optional; none
/// when absent): a launcher may launch them with programmatic stream
/// serialization.
inline constexpr const char kGridDependencyControl[] =
    "grid_dependency_control";
inline constexpr const char kFunctions[] = "functions";
// A function.
inline constexpr const char kFunction[] = "function";
inline constexpr const char kParams[] = "params";
inline constexpr const char kValues[] = "values";
inline constexpr const char kLaunches[] = "launches";
// A value.
inline constexpr const char kOp[] = "op";
inline constexpr const char kOperands[] = "operands";
inline constexpr const char kType[] = "type";
inline constexpr const char kPredicate[] = "predicate";
// An operand.
inline constexpr const char kArg[] = "arg";
inline constexpr const char kValue[] = "value";
inline constexpr const char kConst[] = "const";
inline constexpr const char kF32Bits[] = "f32_bits";
// A launch.
inline constexpr const char kKernel[] = "kernel";
inline constexpr const char kEntry[] = "entry";
inline constexpr const char kGrid[] = "grid";
inline constexpr const char kBlock[] = "block";
inline constexpr const char kDynamicSharedMemory[] = "dynamic_shared_memory";
inline constexpr const char kArgs[] = "args";
inline constexpr const char kKind[] = "kind";
inline constexpr const char kFrom[] = "from";
} // namespace key

/// Parameter kinds (`params`, an argument's `kind`, a value's `type`).
namespace kind {
inline constexpr const char kMemref[] = "memref";
inline constexpr const char kIndex[] = "index";
inline constexpr const char kI64[] = "i64";
inline constexpr const char kI32[] = "i32";
inline constexpr const char kI1[] = "i1";
inline constexpr const char kF32[] = "f32";
} // namespace kind

/// Value ops (`op`), with MLIR arith semantics on 64-bit `index`; `load`
/// reads a scalar from device memory.
namespace op {
inline constexpr const char kAddI[] = "addi";
inline constexpr const char kSubI[] = "subi";
inline constexpr const char kMulI[] = "muli";
inline constexpr const char kDivSI[] = "divsi";
inline constexpr const char kDivUI[] = "divui";
inline constexpr const char kCeilDivSI[] = "ceildivsi";
inline constexpr const char kRemSI[] = "remsi";
inline constexpr const char kRemUI[] = "remui";
inline constexpr const char kMinSI[] = "minsi";
inline constexpr const char kMinUI[] = "minui";
inline constexpr const char kMaxSI[] = "maxsi";
inline constexpr const char kMaxUI[] = "maxui";
inline constexpr const char kCmpI[] = "cmpi";
inline constexpr const char kSelect[] = "select";
inline constexpr const char kIndexCast[] = "index_cast";
inline constexpr const char kSIToFP[] = "sitofp";
inline constexpr const char kMulF[] = "mulf";
inline constexpr const char kDivF[] = "divf";
inline constexpr const char kLoad[] = "load";
} // namespace op

} // namespace nhc::format::launch_table

#endif // NHC_FORMAT_LAUNCH_TABLE_SCHEMA_H

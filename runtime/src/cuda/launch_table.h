//===- launch_table.h - Evaluating the artifact's GPU launch table -*- C++ -*-===//
//
// The LAUNCH_TABLE_JSON section (docs/artifact-format.md, "Launch table")
// writes each kernel function's host code down as data: index arithmetic
// over the call's arguments, then GPU kernel launches with grids, blocks,
// dynamic shared memory and parameters. This is the runtime's reader and
// evaluator of it: what a CUDA launcher hands to cuLaunchKernel, with no
// compiler and no CUDA headers. Keys: nhc/format/launch_table_schema.h.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_CUDA_LAUNCH_TABLE_H
#define NHC_RUNTIME_SRC_CUDA_LAUNCH_TABLE_H

#include "nhc/format/chip_name.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace nhc::runtime::cuda {

using ::nhc::format::ChipName; // nhc/format/chip_name.h: the one parser
using ::nhc::format::parseChipName;

/// A launch's largest grid and block per dimension (CUDA's limits, the
/// same on every chip nhc targets); evaluation refuses more.
inline constexpr int64_t kGridMax[3] = {2147483647, 65535, 65535};
inline constexpr int64_t kBlockMax[3] = {1024, 1024, 64};

enum class ParamKind { Memref, Index, I64, I32, I1, F32 };

/// An operand: the call's argument `index`, the function's value `index`,
/// an integer constant, or an f32 constant.
struct Operand {
  enum class Kind { Arg, Value, Const, F32 } kind = Kind::Const;
  size_t index = 0;
  int64_t integer = 0;
  float f32 = 0;
};

enum class ValueOp {
  AddI, SubI, MulI, DivSI, DivUI, CeilDivSI, RemSI, RemUI, MinSI, MinUI,
  MaxSI, MaxUI, CmpI, Select, IndexCast, SIToFP, MulF, DivF, Load
};
enum class Predicate { Eq, Ne, Slt, Sle, Sgt, Sge, Ult, Ule, Ugt, Uge };

struct ValueDef {
  ValueOp op = ValueOp::AddI;
  Predicate predicate = Predicate::Eq; // CmpI only
  std::vector<Operand> operands;
  ParamKind type = ParamKind::Index;
};

struct LaunchDef {
  std::string kernel;
  std::map<std::string, std::string> entry; // chip -> PTX/cubin .entry
  std::array<Operand, 3> grid, block;
  Operand sharedBytes;
  std::vector<std::pair<ParamKind, Operand>> args;

  /// Whether a launch may take dynamic shared memory (its bytes are not
  /// the constant 0).
  bool takesDynamicShared() const {
    return sharedBytes.kind != Operand::Kind::Const || sharedBytes.integer != 0;
  }
};

struct FunctionDef {
  std::string name;
  std::vector<ParamKind> params;
  std::vector<ValueDef> values; // computed in order
  std::vector<LaunchDef> launches; // run in order on one stream
};

class LaunchTable {
public:
  /// Parses and checks the table: every operand names an earlier value or
  /// an argument of the right kind, every launch has an entry per target,
  /// grid_dependency_control names targets of sm_90 or newer.
  /// Throws NHC_INVALID_FORMAT naming `where` and the JSON path, or
  /// NHC_UNSUPPORTED_VERSION.
  static LaunchTable parse(const char *json, size_t size,
                           const std::string &where);

  const std::vector<std::string> &targets() const { return targets_; }
  /// Whether the kernels of `chip` start with griddepcontrol.wait (the
  /// table's `grid_dependency_control`), so they may be launched with
  /// programmatic stream serialization: each waits for the grids before it.
  bool waitsOnPriorGrids(const std::string &chip) const;
  /// The function called `name`, or nullptr.
  const FunctionDef *find(const std::string &name) const;

private:
  std::vector<std::string> targets_;
  std::vector<std::string> waitingTargets_; // a subset of targets_
  std::vector<FunctionDef> functions_;
  std::unordered_map<std::string, size_t> index_; // name -> functions_[i]
};

/// One argument of a call. Scalars in `integer` (index, i64, i32, i1) or
/// `f32`; a memref is a device buffer of `elements` f32/i64/... elements
/// at `address` (passed as the descriptor: address, address, offset 0,
/// size `elements`, stride 1).
struct CallArg {
  ParamKind kind = ParamKind::Index;
  int64_t integer = 0;
  float f32 = 0;
  uint64_t address = 0;
  uint64_t elements = 0;
};

/// Reads element `index` of the memref argument `arg` for a `load` value
/// (e.g. an FP8 scale in device memory), as the value's type: an integer
/// or an f32 stored in the double.
using LoadScalar = std::function<double(size_t arg, uint64_t index,
                                        ParamKind type)>;

/// A launch ready for cuLaunchKernel: kernelParams[i] =
/// storage.data() + offsets[i], each parameter in an 8-byte slot.
struct ResolvedLaunch {
  const LaunchDef *def = nullptr;
  std::string entry;
  std::array<uint32_t, 3> grid{}, block{};
  uint32_t sharedBytes = 0;
  std::vector<uint8_t> storage;
  std::vector<size_t> offsets;
};

/// Evaluates `fn` for `args` on `chip`: its values, then each launch's
/// sizes and parameters. Launches with an empty grid are dropped (nothing
/// to run). Throws NHC_INVALID_ARGUMENT naming `where` for arguments that
/// do not match the parameters, a division by zero, a `load` out of its
/// memref, a negative or too large grid / block (x <= 2^31 - 1, y, z <=
/// 65535; block x, y <= 1024, z <= 64, at most 1024 threads), and
/// NHC_NOT_FOUND for a launch without an entry for `chip`.
std::vector<ResolvedLaunch> resolveLaunches(const FunctionDef &fn,
                                            const std::vector<CallArg> &args,
                                            const std::string &chip,
                                            const LoadScalar &load,
                                            const std::string &where);

} // namespace nhc::runtime::cuda

#endif // NHC_RUNTIME_SRC_CUDA_LAUNCH_TABLE_H

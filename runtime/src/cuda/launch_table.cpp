//===- launch_table.cpp - Evaluating the artifact's GPU launch table ------===//

#include "cuda/launch_table.h"

#include <algorithm>

#include <cstring>
#include <limits>

#include "error.h"
#include "json_fields.h"
#include "nhc/format/launch_table_schema.h"

namespace nhc::runtime::cuda {
namespace {

namespace key = format::launch_table::key;
namespace kinds = format::launch_table::kind;

ParamKind parseKind(const Json &value, const std::string &where) {
  std::string name = asString(value, where);
  if (name == kinds::kMemref)
    return ParamKind::Memref;
  if (name == kinds::kIndex)
    return ParamKind::Index;
  if (name == kinds::kI64)
    return ParamKind::I64;
  if (name == kinds::kI32)
    return ParamKind::I32;
  if (name == kinds::kI1)
    return ParamKind::I1;
  if (name == kinds::kF32)
    return ParamKind::F32;
  throw Error(NHC_INVALID_FORMAT,
              cat(where, ": unknown kind '", name,
                  "' (memref, index, i64, i32, i1, f32)"));
}

ValueOp parseOp(const std::string &name, const std::string &where) {
  namespace op = format::launch_table::op;
  static const std::map<std::string, ValueOp> ops = {
      {op::kAddI, ValueOp::AddI},
      {op::kSubI, ValueOp::SubI},
      {op::kMulI, ValueOp::MulI},
      {op::kDivSI, ValueOp::DivSI},
      {op::kDivUI, ValueOp::DivUI},
      {op::kCeilDivSI, ValueOp::CeilDivSI},
      {op::kRemSI, ValueOp::RemSI},
      {op::kRemUI, ValueOp::RemUI},
      {op::kMinSI, ValueOp::MinSI},
      {op::kMinUI, ValueOp::MinUI},
      {op::kMaxSI, ValueOp::MaxSI},
      {op::kMaxUI, ValueOp::MaxUI},
      {op::kCmpI, ValueOp::CmpI},
      {op::kSelect, ValueOp::Select},
      {op::kIndexCast, ValueOp::IndexCast},
      {op::kSIToFP, ValueOp::SIToFP},
      {op::kMulF, ValueOp::MulF},
      {op::kDivF, ValueOp::DivF},
      {op::kLoad, ValueOp::Load},
  };
  auto it = ops.find(name);
  NHC_CHECK(it != ops.end(), NHC_INVALID_FORMAT,
            cat(where, ": unknown op '", name, "'"));
  return it->second;
}

Predicate parsePredicate(const std::string &name, const std::string &where) {
  static const std::map<std::string, Predicate> predicates = {
      {"eq", Predicate::Eq},   {"ne", Predicate::Ne},   {"slt", Predicate::Slt},
      {"sle", Predicate::Sle}, {"sgt", Predicate::Sgt}, {"sge", Predicate::Sge},
      {"ult", Predicate::Ult}, {"ule", Predicate::Ule}, {"ugt", Predicate::Ugt},
      {"uge", Predicate::Uge}};
  auto it = predicates.find(name);
  NHC_CHECK(it != predicates.end(), NHC_INVALID_FORMAT,
            cat(where, ": unknown predicate '", name, "'"));
  return it->second;
}

/// Operands may name arguments of `params` and values before `values`.
Operand parseOperand(const Json &value, size_t params, size_t values,
                     const std::string &where) {
  requireObject(value, where);
  Operand operand;
  if (value.contains(key::kArg)) {
    operand.kind = Operand::Kind::Arg;
    operand.index = asUInt(value[key::kArg], cat(where, ".", key::kArg));
    NHC_CHECK(operand.index < params, NHC_INVALID_FORMAT,
              cat(where, ": argument ", operand.index, " of ", params));
  } else if (value.contains(key::kValue)) {
    operand.kind = Operand::Kind::Value;
    operand.index = asUInt(value[key::kValue], cat(where, ".", key::kValue));
    NHC_CHECK(operand.index < values, NHC_INVALID_FORMAT,
              cat(where, ": value ", operand.index,
                  " is not computed before it is used (", values,
                  " so far)"));
  } else if (value.contains(key::kF32Bits)) {
    operand.kind = Operand::Kind::F32;
    uint64_t bits = asUInt(value[key::kF32Bits], cat(where, ".f32_bits"));
    NHC_CHECK(bits <= 0xffffffffu, NHC_INVALID_FORMAT,
              cat(where, ".f32_bits: ", bits, " is not 32 bits"));
    uint32_t narrow = static_cast<uint32_t>(bits);
    std::memcpy(&operand.f32, &narrow, sizeof(narrow));
  } else {
    const Json &constant = requireField(value, key::kConst, where);
    NHC_CHECK(constant.is_number_integer(), NHC_INVALID_FORMAT,
              cat(where, ".const: ", previewJson(constant),
                  " is not an integer"));
    operand.kind = Operand::Kind::Const;
    operand.integer = constant.get<int64_t>();
  }
  return operand;
}

FunctionDef parseFunction(const Json &fn, const std::vector<std::string> &targets,
                          const std::string &where) {
  requireObject(fn, where);
  FunctionDef def;
  def.name = asName(requireField(fn, key::kFunction, where),
                    cat(where, ".function"));
  std::string at = cat(where, " ('", def.name, "')");
  const Json &params = requireArrayField(fn, key::kParams, at);
  for (size_t i = 0; i < params.size(); ++i)
    def.params.push_back(parseKind(params[i], cat(at, ".params[", i, "]")));
  // A memref argument is a pointer: only a load's source and a memref
  // parameter may take it; a number taken from it (read as 0) would reach a
  // kernel as a size or a divisor.
  auto requireNumber = [&](const Operand &operand, const std::string &path) {
    NHC_CHECK(operand.kind != Operand::Kind::Arg ||
                  def.params[operand.index] != ParamKind::Memref,
              NHC_INVALID_FORMAT,
              cat(path, ": argument ", operand.index,
                  " is a memref, not a number"));
    return operand;
  };
  const Json &values = requireArrayField(fn, key::kValues, at);
  for (size_t i = 0; i < values.size(); ++i) {
    std::string vat = cat(at, ".values[", i, "]");
    requireObject(values[i], vat);
    ValueDef v;
    v.op = parseOp(asString(requireField(values[i], key::kOp, vat),
                            cat(vat, ".op")),
                   vat);
    v.type = parseKind(requireField(values[i], key::kType, vat),
                       cat(vat, ".type"));
    if (v.op == ValueOp::CmpI)
      v.predicate = parsePredicate(
          asString(requireField(values[i], key::kPredicate, vat),
                   cat(vat, ".predicate")),
          vat);
    const Json &operands = requireArrayField(values[i], key::kOperands, vat);
    for (size_t j = 0; j < operands.size(); ++j) {
      std::string oat = cat(vat, ".operands[", j, "]");
      Operand operand = parseOperand(operands[j], def.params.size(), i, oat);
      v.operands.push_back(v.op == ValueOp::Load && j == 0
                               ? operand
                               : requireNumber(operand, oat));
    }
    size_t arity = v.op == ValueOp::Select                          ? 3
                   : v.op == ValueOp::IndexCast || v.op == ValueOp::SIToFP ? 1
                                                                    : 2;
    NHC_CHECK(v.operands.size() == arity, NHC_INVALID_FORMAT,
              cat(vat, ": ", v.operands.size(), " operands, expected ", arity));
    NHC_CHECK(v.op != ValueOp::Load ||
                  (v.operands[0].kind == Operand::Kind::Arg &&
                   def.params[v.operands[0].index] == ParamKind::Memref),
              NHC_INVALID_FORMAT,
              cat(vat, ": load from something that is not a memref argument"));
    NHC_CHECK(v.type != ParamKind::Memref &&
                  (v.op != ValueOp::Load || v.type != ParamKind::I1),
              NHC_INVALID_FORMAT,
              cat(vat, ": a value of this type cannot be ",
                  v.op == ValueOp::Load ? "loaded" : "computed"));
    def.values.push_back(std::move(v));
  }
  const Json &launches = requireArrayField(fn, key::kLaunches, at);
  for (size_t i = 0; i < launches.size(); ++i) {
    std::string lat = cat(at, ".launches[", i, "]");
    const Json &l = launches[i];
    requireObject(l, lat);
    LaunchDef launch;
    launch.kernel = asName(requireField(l, key::kKernel, lat), cat(lat, ".kernel"));
    const Json &entry = requireField(l, key::kEntry, lat);
    requireObject(entry, cat(lat, ".entry"));
    for (const std::string &chip : targets)
      launch.entry[chip] = asName(requireField(entry, chip.c_str(),
                                               cat(lat, ".entry")),
                                  cat(lat, ".entry.", chip));
    auto operand = [&](const Json &v, const std::string &path) {
      return parseOperand(v, def.params.size(), def.values.size(), path);
    };
    auto number = [&](const Json &v, const std::string &path) {
      return requireNumber(operand(v, path), path);
    };
    for (const char *dims : {key::kGrid, key::kBlock}) {
      const Json &list = requireField(l, dims, lat);
      NHC_CHECK(list.is_array() && list.size() == 3, NHC_INVALID_FORMAT,
                cat(lat, ".", dims, ": not a list of 3 sizes"));
      for (size_t d = 0; d < 3; ++d)
        (dims == key::kGrid ? launch.grid : launch.block)[d] =
            number(list[d], cat(lat, ".", dims, "[", d, "]"));
    }
    launch.sharedBytes =
        number(requireField(l, key::kDynamicSharedMemory, lat),
               cat(lat, ".dynamic_shared_memory"));
    const Json &args = requireArrayField(l, key::kArgs, lat);
    for (size_t a = 0; a < args.size(); ++a) {
      std::string aat = cat(lat, ".args[", a, "]");
      requireObject(args[a], aat);
      ParamKind kind = parseKind(requireField(args[a], key::kKind, aat),
                                 cat(aat, ".kind"));
      Operand from = operand(requireField(args[a], key::kFrom, aat),
                             cat(aat, ".from"));
      NHC_CHECK(kind != ParamKind::Memref ||
                    (from.kind == Operand::Kind::Arg &&
                     def.params[from.index] == ParamKind::Memref),
                NHC_INVALID_FORMAT,
                cat(aat, ": a memref parameter must be a memref argument"));
      if (kind != ParamKind::Memref) {
        requireNumber(from, cat(aat, ".from"));
        // The kernel reads the parameter's bits as its kind: an f32's bits
        // taken as a size or a divisor (or an integer's as a float) would
        // reach it unconverted.
        bool isFloat =
            from.kind == Operand::Kind::F32 ||
            (from.kind == Operand::Kind::Arg &&
             def.params[from.index] == ParamKind::F32) ||
            (from.kind == Operand::Kind::Value &&
             def.values[from.index].type == ParamKind::F32);
        NHC_CHECK(isFloat == (kind == ParamKind::F32), NHC_INVALID_FORMAT,
                  cat(aat, ": ", kind == ParamKind::F32 ? "an f32" : "an integer",
                      " parameter from ", isFloat ? "an f32" : "an integer",
                      " operand"));
      }
      launch.args.emplace_back(kind, from);
    }
    def.launches.push_back(std::move(launch));
  }
  return def;
}

/// A value of the evaluation: an integer (index, i64, i32, i1) or an f32.
struct Scalar {
  bool isFloat = false;
  int64_t i = 0;
  float f = 0;
};

int64_t wrap(uint64_t bits, ParamKind type) {
  switch (type) {
  case ParamKind::I1:
    return bits & 1;
  case ParamKind::I32:
    return static_cast<int32_t>(static_cast<uint32_t>(bits));
  default:
    return static_cast<int64_t>(bits);
  }
}

class Evaluator {
public:
  Evaluator(const FunctionDef &fn, const std::vector<CallArg> &args,
            const LoadScalar &load, const std::string &where)
      : fn_(fn), args_(args), load_(load), where_(where) {}

  Scalar get(const Operand &operand) const {
    switch (operand.kind) {
    case Operand::Kind::Arg: {
      const CallArg &a = args_[operand.index];
      if (a.kind == ParamKind::F32)
        return {true, 0, a.f32};
      return {false, a.integer, 0};
    }
    case Operand::Kind::Value:
      return values_[operand.index];
    case Operand::Kind::F32:
      return {true, 0, operand.f32};
    case Operand::Kind::Const:
      return {false, operand.integer, 0};
    }
    return {};
  }

  void run() {
    for (size_t i = 0; i < fn_.values.size(); ++i)
      values_.push_back(compute(fn_.values[i], i));
  }

private:
  Scalar compute(const ValueDef &v, size_t index) {
    std::string at = cat(where_, ": '", fn_.name, "' value ", index);
    auto integer = [&](size_t i) { return get(v.operands[i]).i; };
    auto real = [&](size_t i) { return get(v.operands[i]).f; };
    // Unsigned ops see the type's width: an i32 -1 is 2^32 - 1, not 2^64 - 1.
    const uint64_t mask =
        v.op == ValueOp::CmpI || v.op == ValueOp::Select ? ~0ull
        : v.type == ParamKind::I32                       ? 0xffffffffull
        : v.type == ParamKind::I1                        ? 1ull
                                                         : ~0ull;
    uint64_t a = v.operands.size() > 0 ? uint64_t(integer(0)) & mask : 0;
    uint64_t b = v.operands.size() > 1 ? uint64_t(integer(1)) & mask : 0;
    int64_t sa = v.operands.size() > 0 ? integer(0) : 0;
    int64_t sb = v.operands.size() > 1 ? integer(1) : 0;
    auto nonZero = [&] {
      NHC_CHECK(b != 0, NHC_INVALID_ARGUMENT, cat(at, ": division by zero"));
    };
    auto result = [&](uint64_t bits) { return Scalar{false, wrap(bits, v.type), 0}; };
    switch (v.op) {
    case ValueOp::AddI:
      return result(a + b);
    case ValueOp::SubI:
      return result(a - b);
    case ValueOp::MulI:
      return result(a * b);
    case ValueOp::DivSI:
      nonZero();
      NHC_CHECK(!(sa == std::numeric_limits<int64_t>::min() && sb == -1),
                NHC_INVALID_ARGUMENT, cat(at, ": signed division overflows"));
      return result(uint64_t(sa / sb));
    case ValueOp::DivUI:
      nonZero();
      return result(a / b);
    case ValueOp::CeilDivSI: {
      nonZero();
      NHC_CHECK(!(sa == std::numeric_limits<int64_t>::min() && sb == -1),
                NHC_INVALID_ARGUMENT, cat(at, ": signed division overflows"));
      int64_t q = sa / sb;
      if ((sa % sb != 0) && ((sa < 0) == (sb < 0)))
        ++q;
      return result(uint64_t(q));
    }
    case ValueOp::RemSI:
      nonZero();
      return result(sb == -1 ? 0 : uint64_t(sa % sb));
    case ValueOp::RemUI:
      nonZero();
      return result(a % b);
    case ValueOp::MinSI:
      return result(uint64_t(std::min(sa, sb)));
    case ValueOp::MinUI:
      return result(std::min(a, b));
    case ValueOp::MaxSI:
      return result(uint64_t(std::max(sa, sb)));
    case ValueOp::MaxUI:
      return result(std::max(a, b));
    case ValueOp::CmpI: {
      bool r = false;
      switch (v.predicate) {
      case Predicate::Eq: r = a == b; break;
      case Predicate::Ne: r = a != b; break;
      case Predicate::Slt: r = sa < sb; break;
      case Predicate::Sle: r = sa <= sb; break;
      case Predicate::Sgt: r = sa > sb; break;
      case Predicate::Sge: r = sa >= sb; break;
      case Predicate::Ult: r = a < b; break;
      case Predicate::Ule: r = a <= b; break;
      case Predicate::Ugt: r = a > b; break;
      case Predicate::Uge: r = a >= b; break;
      }
      return {false, r ? 1 : 0, 0};
    }
    case ValueOp::Select:
      return get(v.operands[0]).i ? get(v.operands[1]) : get(v.operands[2]);
    case ValueOp::IndexCast:
      return result(a);
    case ValueOp::SIToFP:
      return {true, 0, static_cast<float>(sa)};
    case ValueOp::MulF:
      return {true, 0, real(0) * real(1)};
    case ValueOp::DivF:
      return {true, 0, real(0) / real(1)};
    case ValueOp::Load: {
      size_t arg = v.operands[0].index;
      NHC_CHECK(b < args_[arg].elements, NHC_INVALID_ARGUMENT,
                cat(at, ": load of element ", b, " of argument ", arg,
                    ", which has ", args_[arg].elements));
      double loaded = load_(arg, b, v.type);
      if (v.type == ParamKind::F32)
        return {true, 0, static_cast<float>(loaded)};
      // Integers arrive exactly up to 2^53; anything else is not an index.
      NHC_CHECK(loaded == loaded && loaded >= -9007199254740992.0 &&
                    loaded <= 9007199254740992.0,
                NHC_INVALID_ARGUMENT,
                cat(at, ": loaded ", loaded, " is not an integer index"));
      return result(static_cast<uint64_t>(static_cast<int64_t>(loaded)));
    }
    }
    return {};
  }

  const FunctionDef &fn_;
  const std::vector<CallArg> &args_;
  const LoadScalar &load_;
  const std::string &where_;
  std::vector<Scalar> values_;
};

/// Every parameter gets an 8-byte, 8-aligned slot (zero-padded), so the
/// driver never reads past the storage whatever width it reads.
template <typename T> void put(ResolvedLaunch &launch, T value) {
  static_assert(sizeof(T) <= 8, "a launch parameter is at most 8 bytes");
  size_t at = launch.storage.size();
  launch.storage.resize(at + 8, 0);
  std::memcpy(launch.storage.data() + at, &value, sizeof(T));
  launch.offsets.push_back(at);
}

} // namespace

LaunchTable LaunchTable::parse(const char *json, size_t size,
                               const std::string &where) {
  Json root = parseJson(json, size, where);
  return withJsonErrors(where, [&] {
    requireObject(root, where);
    std::string format =
        asString(requireField(root, key::kFormat, where), cat(where, ".format"));
    NHC_CHECK(format == format::launch_table::kFormatName, NHC_INVALID_FORMAT,
              cat(where, ": format '", format, "', expected '",
                  format::launch_table::kFormatName, "'"));
    uint64_t version = asUInt(requireField(root, key::kVersion, where),
                              cat(where, ".version"));
    NHC_CHECK(version == uint64_t(format::launch_table::kVersion),
              NHC_UNSUPPORTED_VERSION,
              cat(where, ": launch table version ", version,
                  "; this runtime reads version ",
                  format::launch_table::kVersion));
    LaunchTable table;
    const Json &targets = requireArrayField(root, key::kTargets, where);
    for (size_t i = 0; i < targets.size(); ++i)
      table.targets_.push_back(asName(targets[i], cat(where, ".targets[", i, "]")));
    // Optional: tables written before it have no waiting targets.
    if (root.contains(key::kGridDependencyControl)) {
      const Json &waiting =
          requireArrayField(root, key::kGridDependencyControl, where);
      for (size_t i = 0; i < waiting.size(); ++i) {
        std::string at = cat(where, ".", key::kGridDependencyControl, "[", i, "]");
        std::string chip = asName(waiting[i], at);
        NHC_CHECK(std::find(table.targets_.begin(), table.targets_.end(),
                            chip) != table.targets_.end(),
                  NHC_INVALID_FORMAT,
                  cat(at, ": '", chip, "' is not one of the targets"));
        NHC_CHECK(parseChipName(chip).number >=
                      format::launch_table::kGridDependencyControlMinSm,
                  NHC_INVALID_FORMAT,
                  cat(at, ": '", chip, "' has no griddepcontrol (sm_",
                      format::launch_table::kGridDependencyControlMinSm,
                      " or newer)"));
        table.waitingTargets_.push_back(chip);
      }
    }
    const Json &functions = requireArrayField(root, key::kFunctions, where);
    for (size_t i = 0; i < functions.size(); ++i) {
      FunctionDef fn = parseFunction(functions[i], table.targets_,
                                     cat(where, ".functions[", i, "]"));
      NHC_CHECK(table.index_.emplace(fn.name, table.functions_.size()).second,
                NHC_INVALID_FORMAT,
                cat(where, ".functions[", i, "]: '", fn.name,
                    "' appears twice"));
      table.functions_.push_back(std::move(fn));
    }
    return table;
  });
}

bool LaunchTable::waitsOnPriorGrids(const std::string &chip) const {
  return std::find(waitingTargets_.begin(), waitingTargets_.end(), chip) !=
         waitingTargets_.end();
}

const FunctionDef *LaunchTable::find(const std::string &name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &functions_[it->second];
}

std::vector<ResolvedLaunch> resolveLaunches(const FunctionDef &fn,
                                            const std::vector<CallArg> &args,
                                            const std::string &chip,
                                            const LoadScalar &load,
                                            const std::string &where) {
  NHC_CHECK(args.size() == fn.params.size(), NHC_INVALID_ARGUMENT,
            cat(where, ": '", fn.name, "' takes ", fn.params.size(),
                " arguments, got ", args.size()));
  for (size_t i = 0; i < args.size(); ++i)
    NHC_CHECK(args[i].kind == fn.params[i], NHC_INVALID_ARGUMENT,
              cat(where, ": '", fn.name, "' argument ", i,
                  " has another kind than its parameter"));
  Evaluator eval(fn, args, load, where);
  eval.run();
  std::vector<ResolvedLaunch> launches;
  for (const LaunchDef &def : fn.launches) {
    std::string at = cat(where, ": '", fn.name, "' launch of '", def.kernel, "'");
    auto entry = def.entry.find(chip);
    NHC_CHECK(entry != def.entry.end(), NHC_NOT_FOUND,
              cat(at, ": no entry for ", chip));
    ResolvedLaunch launch;
    launch.def = &def;
    launch.entry = entry->second;
    bool empty = false;
    int64_t threads = 1;
    auto size = [&](const Operand &operand, const char *what) {
      Scalar s = eval.get(operand);
      NHC_CHECK(!s.isFloat, NHC_INVALID_ARGUMENT,
                cat(at, ": the ", what, " is a float"));
      return s.i;
    };
    for (int d = 0; d < 3; ++d) {
      int64_t g = size(def.grid[d], "grid size"),
              b = size(def.block[d], "block size");
      NHC_CHECK(g >= 0 && g <= kGridMax[d], NHC_INVALID_ARGUMENT,
                cat(at, ": grid size ", g, " in dimension ", d,
                    " is outside [0, ", kGridMax[d], "]"));
      NHC_CHECK(b >= 1 && b <= kBlockMax[d], NHC_INVALID_ARGUMENT,
                cat(at, ": block size ", b, " in dimension ", d,
                    " is outside [1, ", kBlockMax[d], "]"));
      empty = empty || g == 0;
      threads *= b;
      launch.grid[d] = static_cast<uint32_t>(g);
      launch.block[d] = static_cast<uint32_t>(b);
    }
    NHC_CHECK(threads <= 1024, NHC_INVALID_ARGUMENT,
              cat(at, ": ", threads, " threads per block (at most 1024)"));
    int64_t shared = size(def.sharedBytes, "dynamic shared memory");
    NHC_CHECK(shared >= 0 && shared <= std::numeric_limits<uint32_t>::max(),
              NHC_INVALID_ARGUMENT,
              cat(at, ": dynamic shared memory of ", shared, " bytes"));
    launch.sharedBytes = static_cast<uint32_t>(shared);
    if (empty)
      continue; // no block to run
    for (const auto &[kind, from] : def.args) {
      if (kind == ParamKind::Memref) {
        const CallArg &buffer = args[from.index];
        put<uint64_t>(launch, buffer.address); // allocated
        put<uint64_t>(launch, buffer.address); // aligned
        put<int64_t>(launch, 0);               // offset
        put<int64_t>(launch, static_cast<int64_t>(buffer.elements));
        put<int64_t>(launch, 1); // stride
        continue;
      }
      Scalar value = eval.get(from);
      switch (kind) {
      case ParamKind::F32:
        put<float>(launch, value.isFloat ? value.f : static_cast<float>(value.i));
        break;
      case ParamKind::I1:
        put<uint8_t>(launch, value.i ? 1 : 0);
        break;
      case ParamKind::I32:
        put<int32_t>(launch, static_cast<int32_t>(value.i));
        break;
      default:
        put<int64_t>(launch, value.i);
      }
    }
    launches.push_back(std::move(launch));
  }
  return launches;
}

} // namespace nhc::runtime::cuda

//===- LaunchTable.cpp - how to launch each GPU kernel ----------*- C++ -*-===//
//
// After nhc-kernels-to-nvvm-pipeline each kernel function is host code: a
// few index computations over its arguments, then one or more
// gpu.launch_func. The launch table writes that host code down as data, so
// a CUDA launcher evaluates grids, blocks and kernel arguments from a call's
// arguments without the compiler (docs/artifact-format.md, "Launch table").
//
//===----------------------------------------------------------------------===//

#include "LaunchTable.h"

#include "nhc/format/launch_table_schema.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

using json = nlohmann::json;
using namespace mlir;
namespace key = ::nhc::format::launch_table::key;
namespace kind = ::nhc::format::launch_table::kind;
namespace op = ::nhc::format::launch_table::op;

namespace {

std::string kindOf(Type type) {
  if (isa<MemRefType>(type))
    return kind::kMemref;
  if (type.isIndex())
    return kind::kIndex;
  if (type.isF32())
    return kind::kF32;
  if (type.isInteger(64))
    return kind::kI64;
  if (type.isInteger(32)) // a launch's dynamic shared memory bytes
    return kind::kI32;
  if (type.isInteger(1))
    return kind::kI1;
  return "?";
}

class FunctionTable {
public:
  FunctionTable(func::FuncOp fn, ArrayRef<std::string> chips)
      : fn(fn), chips(chips) {}

  FailureOr<json> run() {
    json params = json::array();
    for (auto [i, arg] : llvm::enumerate(fn.getArguments())) {
      params.push_back(kindOf(arg.getType()));
      refs[arg] = {{key::kArg, i}};
    }
    for (Operation &op : fn.getBody().front()) {
      if (isa<func::ReturnOp>(op))
        continue;
      if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
        if (failed(addLaunch(launch)))
          return failure();
        continue;
      }
      if (failed(addValue(op)))
        return failure();
    }
    return json{{key::kFunction, fn.getSymName().str()},
                {key::kParams, params},
                {key::kValues, values},
                {key::kLaunches, launches}};
  }

private:
  /// An operand: a function argument, a constant, or an earlier value.
  const json &ref(Value value) const {
    // Operands of the entry block's ops are its arguments or results of
    // earlier ops, each named or refused by addValue before we get here.
    auto it = refs.find(value);
    assert(it != refs.end() && "an operand the launch table did not name");
    return it->second;
  }

  LogicalResult addValue(Operation &op) {
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      Attribute value = constant.getValue();
      if (auto integer = dyn_cast<IntegerAttr>(value)) {
        refs[constant] = {{key::kConst, integer.getValue().getSExtValue()},
                          {key::kType, kindOf(integer.getType())}};
        return success();
      }
      if (auto number = dyn_cast<FloatAttr>(value); number && number.getType().isF32()) {
        // Exact, and infinities and NaNs survive JSON.
        refs[constant] = {
            {key::kF32Bits, number.getValue().bitcastToAPInt().getZExtValue()}};
        return success();
      }
      return op.emitOpError() << "constant has no launch-table form";
    }
    std::optional<std::string> name =
        TypeSwitch<Operation *, std::optional<std::string>>(&op)
            .Case([](arith::AddIOp) { return op::kAddI; })
            .Case([](arith::SubIOp) { return op::kSubI; })
            .Case([](arith::MulIOp) { return op::kMulI; })
            .Case([](arith::DivSIOp) { return op::kDivSI; })
            .Case([](arith::DivUIOp) { return op::kDivUI; })
            .Case([](arith::CeilDivSIOp) { return op::kCeilDivSI; })
            .Case([](arith::RemSIOp) { return op::kRemSI; })
            .Case([](arith::RemUIOp) { return op::kRemUI; })
            .Case([](arith::MinSIOp) { return op::kMinSI; })
            .Case([](arith::MinUIOp) { return op::kMinUI; })
            .Case([](arith::MaxSIOp) { return op::kMaxSI; })
            .Case([](arith::MaxUIOp) { return op::kMaxUI; })
            .Case([](arith::CmpIOp) { return op::kCmpI; })
            .Case([](arith::SelectOp) { return op::kSelect; })
            .Case([](arith::IndexCastOp) { return op::kIndexCast; })
            .Case([](arith::SIToFPOp) { return op::kSIToFP; })
            .Case([](arith::MulFOp) { return op::kMulF; })
            .Case([](arith::DivFOp) { return op::kDivF; })
            // A scalar read from device memory (e.g. an FP8 scale) before the
            // launch: the launcher copies it to the host.
            .Case([](memref::LoadOp) { return op::kLoad; })
            .Default([](Operation *) { return std::nullopt; });
    if (!name)
      return op.emitOpError() << "in the host code of '" << fn.getSymName()
                              << "' has no launch-table form";
    json operands = json::array();
    for (Value operand : op.getOperands())
      operands.push_back(ref(operand));
    json entry = {{key::kOp, *name},
                  {key::kOperands, std::move(operands)},
                  {key::kType, kindOf(op.getResult(0).getType())}};
    if (auto cmp = dyn_cast<arith::CmpIOp>(op))
      entry[key::kPredicate] = arith::stringifyCmpIPredicate(cmp.getPredicate()).str();
    refs[op.getResult(0)] = {{key::kValue, values.size()}};
    values.push_back(std::move(entry));
    return success();
  }

  LogicalResult addLaunch(gpu::LaunchFuncOp launch) {
    auto dims = [&](std::initializer_list<Value> sizes) {
      json list = json::array();
      for (Value size : sizes)
        list.push_back(ref(size));
      return list;
    };
    json grid = dims({launch.getGridSizeX(), launch.getGridSizeY(),
                      launch.getGridSizeZ()});
    json block = dims({launch.getBlockSizeX(), launch.getBlockSizeY(),
                       launch.getBlockSizeZ()});
    json sharedMemory = {{key::kConst, 0}, {key::kType, kind::kI32}};
    if (Value bytes = launch.getDynamicSharedMemorySize())
      sharedMemory = ref(bytes);
    json args = json::array();
    for (Value operand : launch.getKernelOperands()) {
      const json &from = ref(operand);
      // Memrefs pass through: the call's own buffer, as the 5 descriptor
      // parameters (allocated, aligned, offset, size, stride).
      if (isa<MemRefType>(operand.getType()) && !from.contains(key::kArg))
        return launch.emitOpError()
               << "passes a memref that is not an argument of '"
               << fn.getSymName() << "'";
      args.push_back({{key::kKind, kindOf(operand.getType())}, {key::kFrom, from}});
    }
    std::string kernel = launch.getKernelName().str();
    json entry = json::object();
    for (const std::string &chip : chips)
      entry[chip] = kernel;
    launches.push_back({{key::kKernel, kernel},
                        {key::kEntry, entry},
                        {key::kGrid, grid},
                        {key::kBlock, block},
                        {key::kDynamicSharedMemory, sharedMemory},
                        {key::kArgs, args}});
    return success();
  }

  func::FuncOp fn;
  ArrayRef<std::string> chips;
  llvm::DenseMap<Value, json> refs;
  json values = json::array();
  json launches = json::array();
};

} // namespace

FailureOr<json>
mlir::nhc::buildLaunchTable(ModuleOp host, ArrayRef<std::string> chips,
                            ArrayRef<std::string> waitingChips) {
  json functions = json::array();
  for (auto fn : host.getOps<func::FuncOp>()) {
    if (fn.isPrivate() || fn.isDeclaration())
      continue;
    FailureOr<json> table = FunctionTable(fn, chips).run();
    if (failed(table))
      return failure();
    functions.push_back(std::move(*table));
  }
  json targets = json::array();
  for (const std::string &chip : chips)
    targets.push_back(chip);
  json waiting = json::array();
  for (const std::string &chip : waitingChips)
    waiting.push_back(chip);
  return json{{key::kFormat, ::nhc::format::launch_table::kFormatName},
              {key::kVersion, ::nhc::format::launch_table::kVersion},
              {key::kTargets, targets},
              {key::kGridDependencyControl, waiting},
              {key::kFunctions, functions}};
}

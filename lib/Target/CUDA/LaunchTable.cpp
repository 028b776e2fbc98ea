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

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

using json = nlohmann::json;
using namespace mlir;

namespace {

std::string kindOf(Type type) {
  if (isa<MemRefType>(type))
    return "memref";
  if (type.isIndex())
    return "index";
  if (type.isF32())
    return "f32";
  if (type.isInteger(64))
    return "i64";
  if (type.isInteger(1))
    return "i1";
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
      refs[arg] = {{"arg", i}};
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
    return json{{"function", fn.getSymName().str()},
                {"params", params},
                {"values", values},
                {"launches", launches}};
  }

private:
  /// An operand: a function argument, a constant, or an earlier value.
  FailureOr<json> ref(Operation *user, Value value) {
    auto it = refs.find(value);
    if (it == refs.end())
      return user->emitOpError()
             << "uses a value the launch table cannot name";
    return it->second;
  }

  LogicalResult addValue(Operation &op) {
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      Attribute value = constant.getValue();
      if (auto integer = dyn_cast<IntegerAttr>(value)) {
        refs[constant] = {{"const", integer.getValue().getSExtValue()},
                          {"type", kindOf(integer.getType())}};
        return success();
      }
      if (auto number = dyn_cast<FloatAttr>(value); number && number.getType().isF32()) {
        // Exact, and infinities and NaNs survive JSON.
        refs[constant] = {
            {"f32_bits", number.getValue().bitcastToAPInt().getZExtValue()}};
        return success();
      }
      return op.emitOpError() << "constant has no launch-table form";
    }
    std::optional<std::string> name =
        TypeSwitch<Operation *, std::optional<std::string>>(&op)
            .Case([](arith::AddIOp) { return "addi"; })
            .Case([](arith::SubIOp) { return "subi"; })
            .Case([](arith::MulIOp) { return "muli"; })
            .Case([](arith::DivSIOp) { return "divsi"; })
            .Case([](arith::DivUIOp) { return "divui"; })
            .Case([](arith::CeilDivSIOp) { return "ceildivsi"; })
            .Case([](arith::RemSIOp) { return "remsi"; })
            .Case([](arith::RemUIOp) { return "remui"; })
            .Case([](arith::MinSIOp) { return "minsi"; })
            .Case([](arith::MinUIOp) { return "minui"; })
            .Case([](arith::MaxSIOp) { return "maxsi"; })
            .Case([](arith::MaxUIOp) { return "maxui"; })
            .Case([](arith::CmpIOp) { return "cmpi"; })
            .Case([](arith::SelectOp) { return "select"; })
            .Case([](arith::IndexCastOp) { return "index_cast"; })
            .Case([](arith::SIToFPOp) { return "sitofp"; })
            .Case([](arith::MulFOp) { return "mulf"; })
            .Case([](arith::DivFOp) { return "divf"; })
            // A scalar read from device memory (e.g. an FP8 scale) before the
            // launch: the launcher copies it to the host.
            .Case([](memref::LoadOp) { return "load"; })
            .Default([](Operation *) { return std::nullopt; });
    if (!name)
      return op.emitOpError() << "in the host code of '" << fn.getSymName()
                              << "' has no launch-table form";
    json operands = json::array();
    for (Value operand : op.getOperands()) {
      FailureOr<json> r = ref(&op, operand);
      if (failed(r))
        return failure();
      operands.push_back(std::move(*r));
    }
    json entry = {{"op", *name},
                  {"operands", std::move(operands)},
                  {"type", kindOf(op.getResult(0).getType())}};
    if (auto cmp = dyn_cast<arith::CmpIOp>(op))
      entry["predicate"] = arith::stringifyCmpIPredicate(cmp.getPredicate()).str();
    refs[op.getResult(0)] = {{"value", values.size()}};
    values.push_back(std::move(entry));
    return success();
  }

  LogicalResult addLaunch(gpu::LaunchFuncOp launch) {
    auto dims = [&](std::initializer_list<Value> sizes) -> FailureOr<json> {
      json list = json::array();
      for (Value size : sizes) {
        FailureOr<json> r = ref(launch, size);
        if (failed(r))
          return failure();
        list.push_back(std::move(*r));
      }
      return list;
    };
    FailureOr<json> grid = dims({launch.getGridSizeX(), launch.getGridSizeY(),
                                 launch.getGridSizeZ()});
    FailureOr<json> block = dims({launch.getBlockSizeX(),
                                  launch.getBlockSizeY(),
                                  launch.getBlockSizeZ()});
    if (failed(grid) || failed(block))
      return failure();
    json sharedMemory = {{"const", 0}, {"type", "i32"}};
    if (Value bytes = launch.getDynamicSharedMemorySize()) {
      FailureOr<json> r = ref(launch, bytes);
      if (failed(r))
        return failure();
      sharedMemory = std::move(*r);
    }
    json args = json::array();
    for (Value operand : launch.getKernelOperands()) {
      FailureOr<json> r = ref(launch, operand);
      if (failed(r))
        return failure();
      // Memrefs pass through: the call's own buffer, as the 5 descriptor
      // parameters (allocated, aligned, offset, size, stride).
      if (isa<MemRefType>(operand.getType()) && !r->contains("arg"))
        return launch.emitOpError()
               << "passes a memref that is not an argument of '"
               << fn.getSymName() << "'";
      args.push_back({{"kind", kindOf(operand.getType())}, {"from", *r}});
    }
    std::string kernel = launch.getKernelName().str();
    json entry = json::object();
    for (const std::string &chip : chips)
      entry[chip] = kernel;
    launches.push_back({{"kernel", kernel},
                        {"entry", entry},
                        {"grid", *grid},
                        {"block", *block},
                        {"dynamic_shared_memory", sharedMemory},
                        {"args", args}});
    return success();
  }

  func::FuncOp fn;
  ArrayRef<std::string> chips;
  llvm::DenseMap<Value, json> refs;
  json values = json::array();
  json launches = json::array();
};

} // namespace

FailureOr<json> mlir::nhc::buildLaunchTable(ModuleOp host,
                                            ArrayRef<std::string> chips) {
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
  return json{{"format", "nhc-launch-table"},
              {"version", 1},
              {"targets", targets},
              {"functions", functions}};
}

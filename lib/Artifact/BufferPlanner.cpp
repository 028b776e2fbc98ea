//===- BufferPlanner.cpp - scratch buffers for a step's tensors -*- C++ -*-===//

#include "BufferPlanner.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

namespace mlir::nhc {

namespace {
int64_t widthOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getDimSize(1);
}

/// Host buffers hold every activation in f32: bf16/f16 models compute in
/// f32, and e4m3 activations (FP8 GEMM inputs) are stored widened, exactly.
std::string dtypeOf(Value value) {
  Type element = cast<RankedTensorType>(value.getType()).getElementType();
  return element.isInteger(32) ? "I32" : "F32";
}
} // namespace

BufferPlanner::BufferPlanner(Block &body) {
  for (Operation &op : body)
    for (Value operand : op.getOperands())
      lastUse[operand] = &op;
}

int BufferPlanner::allocate(int64_t elems, StringRef per, StringRef dtype) {
  for (size_t i = 0; i < buffers.size(); ++i) {
    const Buffer &buffer = buffers[i];
    if (buffer.liveViews == 0 && buffer.elems == elems && buffer.per == per &&
        buffer.dtype == dtype)
      return static_cast<int>(i);
  }
  buffers.push_back({"b" + std::to_string(buffers.size()), per.str(),
                     dtype.str(), elems});
  return static_cast<int>(buffers.size()) - 1;
}

void BufferPlanner::bind(Value value, BufferView view) {
  views[value] = view;
  ++buffers[view.buffer].liveViews;
}

BufferView BufferPlanner::define(Value value, StringRef per) {
  BufferView view{allocate(widthOf(value), per, dtypeOf(value)), 0,
                  widthOf(value)};
  bind(value, view);
  return view;
}

BufferView BufferPlanner::defineInGroup(Value value, Operation *group,
                                        int64_t column, int64_t width) {
  auto it = groups.find(group);
  if (it == groups.end())
    it = groups.insert({group, allocate(width, "token", dtypeOf(value))}).first;
  BufferView view{it->second, column, width};
  bind(value, view);
  return view;
}

LogicalResult BufferPlanner::defineInPlace(Operation *op, Value result,
                                           Value operand) {
  if (lastUse.lookup(operand) != op)
    return op->emitOpError()
           << "updates its operand in place, but the operand is used later";
  bind(result, views.at(operand));
  return success();
}

FailureOr<BufferView> BufferPlanner::contiguous(Operation *op, Value value,
                                                StringRef role) {
  BufferView view = views.at(value);
  if (view.column != 0 || view.rowStride != widthOf(value))
    return op->emitOpError() << role
                             << " must be a whole buffer for its kernel";
  return view;
}

void BufferPlanner::drop(Value value) {
  auto it = views.find(value);
  if (it == views.end())
    return;
  --buffers[it->second.buffer].liveViews;
  views.erase(it);
}

void BufferPlanner::release(Operation *op) {
  for (Value operand : op->getOperands())
    if (lastUse.lookup(operand) == op)
      drop(operand);
  // Results nobody reads die at once.
  for (Value result : op->getResults())
    if (result.use_empty())
      drop(result);
}

nlohmann::json BufferPlanner::toJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const Buffer &buffer : buffers)
    list.push_back({{"name", buffer.name},
                    {"per", buffer.per},
                    {"dtype", buffer.dtype},
                    {"elems", buffer.elems}});
  return list;
}

} // namespace mlir::nhc

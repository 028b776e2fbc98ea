//===- BufferPlanner.h - scratch buffers for a step's tensors ---*- C++ -*-===//
//
// Every tensor value of the step lives in a view of a scratch buffer: columns
// [column, column + width) of each row, rows `rowStride` elements apart.
// Buffers are recycled once no live value views them, so a 52-layer model
// needs only a handful.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_LIB_ARTIFACT_BUFFERPLANNER_H
#define NHC_LIB_ARTIFACT_BUFFERPLANNER_H

#include "mlir/IR/Block.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/DenseMap.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace mlir::nhc {

struct BufferView {
  int buffer = -1;
  int64_t column = 0;
  int64_t rowStride = 0;
};

class BufferPlanner {
public:
  /// Plans the values of `body`, whose ops are visited in order.
  explicit BufferPlanner(Block &body);

  /// A fresh contiguous buffer of the value's width, per token or request.
  BufferView define(Value value, StringRef per = "token");
  /// Columns [column, column + width) of a buffer of `width` shared by all
  /// values with the same `group` key (allocated by the first of them).
  BufferView defineInGroup(Value value, Operation *group, int64_t column,
                           int64_t width);
  /// `value` lives in an existing view (e.g. a column range of another).
  void bind(Value value, BufferView view);
  /// The result takes over its operand's storage (an in-place kernel); fails
  /// unless the operand dies at `op`.
  LogicalResult defineInPlace(Operation *op, Value result, Value operand);
  /// A buffer not tied to any value (e.g. the head's gathered rows).
  int allocate(int64_t elems, StringRef per, StringRef dtype);

  BufferView viewOf(Value value) const { return views.at(value); }
  /// The view of `value`, which must fill its buffer for the kernel at `op`.
  FailureOr<BufferView> contiguous(Operation *op, Value value, StringRef role);
  const std::string &nameOf(int buffer) const { return buffers[buffer].name; }

  /// Recycles the buffers of values that die at `op`; call after `op` is
  /// scheduled.
  void release(Operation *op);

  /// The manifest's `buffers` list.
  nlohmann::json toJson() const;

private:
  struct Buffer {
    std::string name;
    std::string per; // "token" or "request"
    std::string dtype;
    int64_t elems;
    int liveViews = 0;
  };

  void drop(Value value);

  std::vector<Buffer> buffers;
  llvm::DenseMap<Value, BufferView> views;
  llvm::DenseMap<Value, Operation *> lastUse;
  llvm::DenseMap<Operation *, int> groups;
};

} // namespace mlir::nhc

#endif // NHC_LIB_ARTIFACT_BUFFERPLANNER_H

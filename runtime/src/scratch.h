//===- scratch.h - Per-step scratch buffers ------------------*- C++ -*-===//
//
// The manifest's `buffers`, the request table and the flat token ids. They
// hold nothing between steps; they grow to the largest step seen and are
// reused. Growth happens before a step touches any state, so running out
// of memory leaves every slot unchanged.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_SCRATCH_H
#define NHC_RUNTIME_SRC_SCRATCH_H

#include <cstdint>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "plan.h"

namespace nhc::runtime {

class Scratch {
public:
  explicit Scratch(std::vector<BufferSpec> specs);

  /// Throws NHC_INVALID_ARGUMENT, naming `origin` and the buffer, unless
  /// every buffer's byte size at `maxTokens` tokens and `maxRequests`
  /// requests fits in an int64 (the kernels' memref sizes): after this no
  /// step's size arithmetic can overflow.
  void checkCapacity(uint64_t maxTokens, uint64_t maxRequests,
                     const std::string &origin) const;

  /// Makes room for a step of `tokens` tokens and `requests` requests.
  /// Throws NHC_OUT_OF_MEMORY (or NHC_INVALID_ARGUMENT on size overflow)
  /// and then changes nothing.
  void prepare(uint64_t tokens, uint64_t requests);

  void *buffer(size_t index) const { return buffers_[index].memory.get(); }
  /// Elements of buffer `index` in a step of this size.
  uint64_t elems(size_t index, uint64_t tokens, uint64_t requests) const;
  int64_t *requestTable() { return requestTable_.data(); }
  int32_t *tokenIds() { return tokenIds_.data(); }
  /// Bytes currently allocated for the manifest's buffers.
  uint64_t bytes() const;

private:
  struct Buffer {
    BufferSpec spec;
    AlignedBuffer memory;
    uint64_t capacityElems = 0;
  };
  std::vector<Buffer> buffers_;
  std::vector<int64_t> requestTable_;
  std::vector<int32_t> tokenIds_;
};

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_SCRATCH_H

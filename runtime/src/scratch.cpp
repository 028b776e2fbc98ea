//===- scratch.cpp - Per-step scratch buffers -----------------------------===//

#include "scratch.h"

#include <cstring>
#include <exception>
#include <optional>

#include "error.h"
#include "nhc/runtime/checked_math.h"

namespace nhc::runtime {
namespace {

size_t elemSize(ElemType type) { return type == ElemType::I64 ? 8 : 4; }

} // namespace

Scratch::Scratch(std::vector<BufferSpec> specs) {
  for (BufferSpec &spec : specs)
    buffers_.push_back(Buffer{std::move(spec), AlignedBuffer(), 0});
}

void Scratch::checkCapacity(uint64_t maxTokens, uint64_t maxRequests,
                            const std::string &origin) const {
  for (const Buffer &buffer : buffers_) {
    const BufferSpec &spec = buffer.spec;
    bool perToken = spec.per == Per::Token;
    uint64_t units = perToken ? maxTokens : maxRequests;
    NHC_CHECK(checkedProduct({spec.elems, units, elemSize(spec.dtype)},
                             INT64_MAX)
                  .has_value(),
              NHC_INVALID_ARGUMENT,
              cat(origin, ": buffer '", spec.name, "' (", spec.elems,
                  " elements per ", perToken ? "token" : "request",
                  ") would exceed 2^63 bytes at ", units,
                  perToken ? " tokens (max_slots * max_seq_len)"
                           : " requests (max_slots)"));
  }
}

uint64_t Scratch::elems(size_t index, uint64_t tokens,
                        uint64_t requests) const {
  const BufferSpec &spec = buffers_[index].spec;
  return spec.elems * (spec.per == Per::Token ? tokens : requests);
}

void Scratch::prepare(uint64_t tokens, uint64_t requests) {
  // Allocate everything first, then commit, so a failure changes nothing.
  std::vector<std::pair<size_t, AlignedBuffer>> grown;
  std::vector<uint64_t> grownElems;
  for (size_t i = 0; i < buffers_.size(); ++i) {
    const BufferSpec &spec = buffers_[i].spec;
    uint64_t units = spec.per == Per::Token ? tokens : requests;
    std::optional<uint64_t> elems = checkedMul(spec.elems, units);
    std::optional<uint64_t> bytes =
        checkedProduct({spec.elems, units, elemSize(spec.dtype)});
    NHC_CHECK(elems && bytes, NHC_INVALID_ARGUMENT,
              cat("session: buffer '", spec.name, "' for ", tokens,
                  " tokens overflows 64 bits"));
    if (*elems <= buffers_[i].capacityElems)
      continue;
    AlignedBuffer memory = tryAllocateAligned(*bytes);
    NHC_CHECK(memory, NHC_OUT_OF_MEMORY,
              cat("session: cannot allocate ", *bytes, " bytes for buffer '",
                  spec.name, "' (", tokens, " tokens, ", requests,
                  " requests)"));
    // Zeroed once so a kernel reading before writing sees no garbage.
    std::memset(memory.get(), 0, *bytes);
    grown.emplace_back(i, std::move(memory));
    grownElems.push_back(*elems);
  }
  std::optional<uint64_t> tableElems = checkedMul(requests, 4);
  NHC_CHECK(tableElems.has_value(), NHC_INVALID_ARGUMENT,
            cat("session: a step of ", tokens, " tokens and ", requests,
                " requests overflows its tables"));
  try {
    if (requestTable_.size() < *tableElems)
      requestTable_.resize(*tableElems);
    if (tokenIds_.size() < tokens)
      tokenIds_.resize(tokens);
  } catch (const std::exception &) { // bad_alloc or length_error
    throw Error(NHC_OUT_OF_MEMORY,
                cat("session: cannot allocate the request table and token "
                    "ids for ", requests, " requests and ", tokens,
                    " tokens"));
  }
  for (size_t g = 0; g < grown.size(); ++g) {
    Buffer &buffer = buffers_[grown[g].first];
    buffer.memory = std::move(grown[g].second);
    buffer.capacityElems = grownElems[g];
  }
}

uint64_t Scratch::bytes() const {
  uint64_t total = 0;
  for (const Buffer &buffer : buffers_)
    total += buffer.capacityElems * elemSize(buffer.spec.dtype);
  return total;
}

} // namespace nhc::runtime

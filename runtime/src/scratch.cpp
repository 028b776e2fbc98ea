//===- scratch.cpp - Per-step scratch buffers -----------------------------===//

#include "scratch.h"

#include <cstring>
#include <optional>

#include "checked_math.h"
#include "error.h"

namespace nhc::runtime {
namespace {

size_t elemSize(ElemType type) { return type == ElemType::I64 ? 8 : 4; }

} // namespace

Scratch::Scratch(std::vector<BufferSpec> specs) {
  for (BufferSpec &spec : specs)
    buffers_.push_back(Buffer{std::move(spec), AlignedBuffer(), 0});
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
        elems ? checkedMul(*elems, elemSize(spec.dtype)) : std::nullopt;
    NHC_CHECK(bytes.has_value(), NHC_INVALID_ARGUMENT,
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
  if (requestTable_.size() < 4 * requests)
    requestTable_.resize(4 * requests);
  if (tokenIds_.size() < tokens)
    tokenIds_.resize(tokens);
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

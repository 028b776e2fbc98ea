//===- state_blob.cpp - Save and restore one slot's state -----------------===//
//
// Format (little-endian; docs/runtime.md, "State blobs"):
//   0   "NHCSTATE"         magic
//   8   u64 checksum       FNV-1a 64 of every byte from offset 16 to the end
//   16  u32 version (2)    u32 tensor count
//   24  u64 model id       stateModelId(): config hash + every state
//                          tensor's name, dtype and shape
//   32  u64 seq_len        the slot's length in tokens
//   40  tensors, in the manifest's order, each:
//       u32 name length, the name (no NUL), u32 dtype, u32 rank,
//       u64 shape[rank] (a sequence tensor's first dimension: seq_len),
//       u64 bytes, then `bytes` bytes (a sequence tensor: seq_len rows)
// A blob is checked completely before anything changes, its float tensors
// for NaN and infinities too.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "error.h"
#include "float_dtype.h"
#include "json_fields.h"
#include "nhc/runtime/artifact.h"
#include "nhc/runtime/checked_math.h"
#include "nhc/runtime/escape.h"
#include "nhc/runtime/limits.h"
#include "nhc/runtime/session.h"
#include "nhc/runtime/state_names.h"
#include "nhc/runtime/state_pool.h"
#include "state_pool_internal.h"

namespace nhc::runtime {
namespace {

constexpr const char *kMagic = NHC_STATE_BLOB_MAGIC;
static_assert(NHC_STATE_BLOB_MAGIC_SIZE == 8, "the header layout has 8");
constexpr uint32_t kVersion = 2;
constexpr size_t kHeaderBytes = 40;

/// Shape as saved: a sequence tensor holds seq_len rows.
std::vector<uint64_t> savedShape(const SlotTensor &t, uint64_t seqLen) {
  std::vector<uint64_t> shape = t.shape;
  if (t.tokenStride)
    shape[0] = seqLen;
  return shape;
}

class Writer {
public:
  explicit Writer(std::vector<uint8_t> &out) : out(out) {}
  void bytes(const void *data, size_t size) {
    const uint8_t *p = static_cast<const uint8_t *>(data);
    out.insert(out.end(), p, p + size);
  }
  void u32(uint32_t v) { bytes(&v, 4); }
  void u64(uint64_t v) { bytes(&v, 8); }

private:
  std::vector<uint8_t> &out;
};

/// Reads a blob front to back; every read is bounds-checked.
class Reader {
public:
  Reader(const uint8_t *data, size_t size) : data(data), size(size) {}
  const uint8_t *take(uint64_t n, const char *what) {
    NHC_CHECK(n <= size - pos, NHC_INVALID_FORMAT,
              cat("state blob: truncated: ", what, " needs ", n,
                  " bytes at offset ", pos, ", but the blob has ", size,
                  " bytes"));
    const uint8_t *p = data + pos;
    pos += n;
    return p;
  }
  uint32_t u32(const char *what) {
    uint32_t v;
    std::memcpy(&v, take(4, what), 4);
    return v;
  }
  uint64_t u64(const char *what) {
    uint64_t v;
    std::memcpy(&v, take(8, what), 8);
    return v;
  }
  size_t remaining() const { return size - pos; }

private:
  const uint8_t *data;
  size_t size;
  size_t pos = 0;
};

std::vector<uint8_t> saveSlot(nhc_state_pool_t &pool, uint32_t slot) {
  uint64_t seqLen = slotLength(pool, slot);
  std::vector<SlotTensor> tensors = slotTensors(pool, slot);
  std::vector<uint8_t> out;
  Writer w(out);
  w.bytes(kMagic, 8);
  w.u64(0); // checksum, filled below
  w.u32(kVersion);
  w.u32(static_cast<uint32_t>(tensors.size()));
  w.u64(stateModelId(pool));
  w.u64(seqLen);
  for (const SlotTensor &t : tensors) {
    std::vector<uint64_t> shape = savedShape(t, seqLen);
    w.u32(static_cast<uint32_t>(t.name->size())); // <= kMaxStateNameBytes
    w.bytes(t.name->data(), t.name->size());
    w.u32(static_cast<uint32_t>(t.dtype));
    w.u32(static_cast<uint32_t>(shape.size()));
    for (uint64_t dim : shape)
      w.u64(dim);
    uint64_t bytes = t.heldBytes(seqLen);
    w.u64(bytes);
    // Sequence tensors: rows 0..seq_len-1, read through the pool's memory
    // (which may be a device's).
    size_t at = out.size();
    out.resize(at + bytes);
    t.memory->read(t.offset, bytes, out.data() + at);
  }
  uint64_t checksum = nhc_fnv1a64(out.data() + 16, out.size() - 16,
                                  NHC_FNV1A64_OFFSET_BASIS);
  std::memcpy(out.data() + 8, &checksum, 8);
  return out;
}

/// Checks magic, checksum and version; returns the reader past them.
Reader checkEnvelope(const uint8_t *blob, size_t size) {
  NHC_CHECK(size >= kHeaderBytes, NHC_INVALID_FORMAT,
            cat("state blob: truncated: ", size, " bytes, the header alone is ",
                kHeaderBytes));
  Reader r(blob, size);
  NHC_CHECK(std::memcmp(r.take(8, "the magic"), kMagic, 8) == 0,
            NHC_INVALID_FORMAT, "state blob: bad magic (not an nhc state blob)");
  uint64_t checksum = r.u64("the checksum");
  uint64_t actual =
      nhc_fnv1a64(blob + 16, size - 16, NHC_FNV1A64_OFFSET_BASIS);
  NHC_CHECK(checksum == actual, NHC_INVALID_FORMAT,
            cat("state blob: checksum mismatch (the blob is corrupt or "
                "truncated)"));
  uint32_t version = r.u32("the version");
  NHC_CHECK(version == kVersion, NHC_UNSUPPORTED_VERSION,
            cat("state blob: version ", version,
                " is not supported (this runtime reads version ", kVersion,
                ")"));
  return r;
}

/// A saved dtype's name, or its number where it names none (cast to the
/// enum only inside its range).
std::string savedDtypeName(uint32_t dtype) {
  if (dtype == NHC_DTYPE_INVALID || dtype > NHC_DTYPE_F64)
    return cat("dtype ", dtype);
  return nhc_dtype_name(static_cast<nhc_dtype_t>(dtype));
}

/// One tensor as a blob's header says; its payload unchecked.
struct SavedTensor {
  std::string name;
  uint32_t dtype = 0;
  std::vector<uint64_t> shape;
  uint64_t bytes = 0;
  const uint8_t *payload = nullptr;
};

/// Reads `count` tensor headers and their payloads' spans from `r` into
/// `saved`, as many as read; throws at the first that does not.
void readTensors(Reader &r, uint64_t count, std::vector<SavedTensor> &saved) {
  saved.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    SavedTensor t;
    uint32_t nameBytes = r.u32("a tensor header");
    NHC_CHECK(nameBytes <= kMaxStateNameBytes, NHC_INVALID_FORMAT,
              cat("state blob: tensor ", i, "'s name has ", nameBytes,
                  " bytes, more than the limit ", kMaxStateNameBytes,
                  " (nhc::kMaxStateNameBytes)"));
    const uint8_t *name = r.take(nameBytes, "a tensor name");
    t.name.assign(reinterpret_cast<const char *>(name), nameBytes);
    t.dtype = r.u32("a tensor header");
    uint32_t rank = r.u32("a tensor header");
    // Grown as read: each dimension is bounds-checked, the rank is not.
    for (uint32_t d = 0; d < rank; ++d)
      t.shape.push_back(r.u64("a tensor shape"));
    t.bytes = r.u64("a tensor size");
    t.payload = r.take(t.bytes, "tensor data");
    saved.push_back(std::move(t));
  }
}

/// Where a blob of another model id parts from `layout`, as its tensor
/// headers say (`saved`: its first min(count, layout.size()) or as many as
/// read): the first tensor of another name, or the first of another dtype
/// with the compile options that tell every such tensor apart, else
/// another tensor count; empty where they agree (another config of the
/// same state layout) as far as they were read.
std::string layoutDifference(const std::vector<SavedTensor> &saved,
                             uint32_t count,
                             const std::vector<SlotTensor> &layout) {
  // The two dtypes nhc compile's --kv-cache-dtype (sequence tensors) and
  // --ssm-state-dtype (`layers.L.ssm_state`) choose between, and the
  // option that chose a tensor's.
  auto optionOf = [](const SlotTensor &t, uint32_t savedDtype) -> const char * {
    auto stateDtype = [](uint32_t d) {
      return d == NHC_DTYPE_F32 || d == NHC_DTYPE_BF16;
    };
    if (!stateDtype(savedDtype) || !stateDtype(static_cast<uint32_t>(t.dtype)))
      return nullptr;
    return t.tokenStride ? "--kv-cache-dtype"
           : isSsmStateName(*t.name) ? "--ssm-state-dtype"
                                     : nullptr;
  };
  std::string first;          // the first tensor of another dtype
  std::vector<std::string> options; // every option that tells them apart
  for (size_t i = 0; i < saved.size() && i < layout.size(); ++i) {
    const SlotTensor &t = layout[i];
    if (saved[i].name != *t.name) {
      if (!first.empty())
        break; // the dtypes already tell
      return cat(": its tensor ", i, " is ",
                 quoteForMessage(saved[i].name, '\''), ", this model's '",
                 *t.name, "'");
    }
    uint32_t dtype = saved[i].dtype;
    if (dtype == static_cast<uint32_t>(t.dtype))
      continue;
    if (first.empty())
      first = cat(": state tensor '", *t.name, "' is ", savedDtypeName(dtype),
                  " there, ", nhc_dtype_name(t.dtype), " here");
    if (const char *option = optionOf(t, dtype))
      if (std::find(options.begin(), options.end(), option) == options.end())
        options.push_back(option);
  }
  if (!first.empty()) {
    if (options.empty())
      return first;
    return first + " (an artifact compiled with another " + options[0] +
           (options.size() > 1 ? " and " + options[1] : std::string()) + "?)";
  }
  if (saved.size() == std::min<size_t>(count, layout.size()) &&
      count != layout.size())
    return cat(": it has ", count, " state tensors, this model ",
               layout.size());
  return "";
}

/// Validates `blob` against `pool` completely; returns the slot length and
/// where each tensor's bytes start. Throws naming the first problem.
uint64_t checkBlob(nhc_state_pool_t &pool, const std::vector<SlotTensor> &layout,
                   const uint8_t *blob, size_t size,
                   std::vector<const uint8_t *> &payloads) {
  Reader r = checkEnvelope(blob, size);
  uint32_t count = r.u32("the tensor count");
  uint64_t model = r.u64("the model id");
  uint64_t seqLen = r.u64("the sequence length");
  // One walk over the headers, of at most the pool's tensor count (a
  // larger count is refused below; it sizes nothing); a blob that does not
  // read to its end is refused below, after what its readable part says
  // about its model.
  std::vector<SavedTensor> saved;
  std::optional<Error> unreadable;
  try {
    readTensors(r, std::min<uint64_t>(count, layout.size()), saved);
  } catch (const Error &error) {
    unreadable = error;
  }
  uint64_t expected = stateModelId(pool);
  NHC_CHECK(model == expected, NHC_MISMATCH,
            cat("state blob: saved from another model (model id ",
                hex64(model), "; this session's is ", hex64(expected), ")",
                layoutDifference(saved, count, layout)));
  NHC_CHECK(seqLen <= maxSeqLen(pool), NHC_OUT_OF_RANGE,
            cat("state blob: holds ", seqLen,
                " tokens, more than this pool's max_seq_len ",
                maxSeqLen(pool)));
  NHC_CHECK(count == layout.size(), NHC_MISMATCH,
            cat("state blob: has ", count, " state tensors; the model has ",
                layout.size()));
  if (unreadable)
    throw *unreadable;
  payloads.clear();
  for (size_t i = 0; i < layout.size(); ++i) {
    const SlotTensor &t = layout[i];
    const SavedTensor &s = saved[i];
    NHC_CHECK(s.name == *t.name, NHC_MISMATCH,
              cat("state blob: tensor ", i, " is ",
                  quoteForMessage(s.name, '\''), "; this model's is '",
                  *t.name, "'"));
    std::string what = cat("state tensor '", *t.name, "'");
    NHC_CHECK(s.dtype == static_cast<uint32_t>(t.dtype) &&
                  s.shape.size() == t.shape.size(),
              NHC_MISMATCH,
              cat("state blob: ", what, " does not match (",
                  savedDtypeName(s.dtype), ", rank ", s.shape.size(),
                  "; expected ", nhc_dtype_name(t.dtype), ", ",
                  t.shape.size(), ")"));
    NHC_CHECK(s.shape == savedShape(t, seqLen), NHC_MISMATCH,
              cat("state blob: ", what, " has shape ", shapeToString(s.shape),
                  ", expected ", shapeToString(savedShape(t, seqLen))));
    NHC_CHECK(s.bytes == t.heldBytes(seqLen), NHC_MISMATCH,
              cat("state blob: ", what, " has ", s.bytes, " bytes, expected ",
                  t.heldBytes(seqLen)));
    // A state a model's step wrote from finite inputs and weights is finite;
    // a NaN or infinity would end as NaN logits steps later, far from here.
    const nhc_dtype_t type = static_cast<nhc_dtype_t>(s.dtype);
    if (std::optional<uint64_t> at =
            firstNonFinite(s.payload, type, s.bytes / nhc_dtype_size(type)))
      throw Error(NHC_INVALID_FORMAT,
                  cat("state blob: ", what, " holds ",
                      floatElement(s.payload, type, *at), " at element ", *at,
                      "; a request's state must be finite"));
    payloads.push_back(s.payload);
  }
  NHC_CHECK(r.remaining() == 0, NHC_INVALID_FORMAT,
            cat("state blob: ", r.remaining(),
                " unexpected bytes after the last tensor"));
  return seqLen;
}

uint32_t restoreSlot(nhc_state_pool_t &pool, const uint8_t *blob,
                     size_t size) {
  // The blob is checked whole before a slot is claimed (a bad blob is
  // NHC_INVALID_FORMAT or NHC_MISMATCH even when the pool is full, never
  // NHC_RESOURCE_EXHAUSTED, which a caller may retry); a slot that fails
  // later goes back to the free list, so a bad blob changes no observable
  // state.
  std::vector<const uint8_t *> payloads;
  const uint64_t seqLen =
      checkBlob(pool, stateLayout(pool), blob, size, payloads);
  uint32_t slot = claimSlot(pool);
  try {
    std::vector<SlotTensor> layout = slotTensors(pool, slot);
    for (size_t i = 0; i < layout.size(); ++i)
      layout[i].memory->write(layout[i].offset, layout[i].heldBytes(seqLen),
                              payloads[i]);
    advanceSlot(pool, slot, seqLen);
  } catch (...) {
    releaseSlot(pool, slot);
    throw;
  }
  return slot;
}

nhc_status_t saveToCaller(nhc_state_pool_t *pool, uint32_t slot, void *out,
                          size_t capacity, size_t *out_size,
                          const char *function) {
  NHC_CHECK_ARG(pool, function);
  NHC_CHECK_ARG(out_size, function);
  std::vector<uint8_t> blob = saveSlot(*pool, slot);
  *out_size = blob.size();
  if (!out)
    return NHC_OK;
  NHC_CHECK(capacity >= blob.size(), NHC_INVALID_ARGUMENT,
            cat(function, ": the buffer holds ", capacity,
                " bytes; slot ", slot, "'s state needs ", blob.size()));
  std::memcpy(out, blob.data(), blob.size());
  return NHC_OK;
}

} // namespace
} // namespace nhc::runtime

using namespace nhc::runtime;

extern "C" {

nhc_status_t nhc_state_pool_save_slot(nhc_state_pool_t *pool, uint32_t slot,
                                      void *out, size_t capacity,
                                      size_t *out_size) {
  return guard("nhc_state_pool_save_slot", [&] {
    saveToCaller(pool, slot, out, capacity, out_size,
                 "nhc_state_pool_save_slot");
  });
}

nhc_status_t nhc_state_pool_restore_slot(nhc_state_pool_t *pool,
                                         const void *blob, size_t size,
                                         uint32_t *out_slot) {
  return guard("nhc_state_pool_restore_slot", [&] {
    NHC_CHECK_ARG(pool, "nhc_state_pool_restore_slot");
    NHC_CHECK(blob || size == 0, NHC_INVALID_ARGUMENT,
              "nhc_state_pool_restore_slot: blob is NULL but size is not 0");
    NHC_CHECK_ARG(out_slot, "nhc_state_pool_restore_slot");
    *out_slot =
        restoreSlot(*pool, static_cast<const uint8_t *>(blob), size);
  });
}

nhc_status_t nhc_state_pool_fork_slot(nhc_state_pool_t *pool, uint32_t slot,
                                      uint32_t *out_slot) {
  return guard("nhc_state_pool_fork_slot", [&] {
    NHC_CHECK_ARG(pool, "nhc_state_pool_fork_slot");
    NHC_CHECK_ARG(out_slot, "nhc_state_pool_fork_slot");
    *out_slot = forkSlot(*pool, slot);
  });
}

nhc_status_t nhc_state_blob_seq_len(const void *blob, size_t size,
                                    uint64_t *out_seq_len) {
  return guard("nhc_state_blob_seq_len", [&] {
    NHC_CHECK(blob || size == 0, NHC_INVALID_ARGUMENT,
              "nhc_state_blob_seq_len: blob is NULL but size is not 0");
    NHC_CHECK_ARG(out_seq_len, "nhc_state_blob_seq_len");
    Reader r = checkEnvelope(static_cast<const uint8_t *>(blob), size);
    r.u32("the tensor count");
    r.u64("the model id");
    *out_seq_len = r.u64("the sequence length");
  });
}

nhc_status_t nhc_session_save_request(nhc_session_t *session, uint32_t slot,
                                      void *out, size_t capacity,
                                      size_t *out_size) {
  return guard("nhc_session_save_request", [&] {
    NHC_CHECK_ARG(session, "nhc_session_save_request");
    saveToCaller(nhc_session_state_pool(session), slot, out, capacity,
                 out_size, "nhc_session_save_request");
  });
}

nhc_status_t nhc_session_fork_request(nhc_session_t *session, uint32_t slot,
                                      uint32_t *out_slot) {
  return guard("nhc_session_fork_request", [&] {
    NHC_CHECK_ARG(session, "nhc_session_fork_request");
    NHC_CHECK_ARG(out_slot, "nhc_session_fork_request");
    *out_slot = forkSlot(*nhc_session_state_pool(session), slot);
  });
}

nhc_status_t nhc_session_restore_request(nhc_session_t *session,
                                         const void *blob, size_t size,
                                         uint32_t *out_slot) {
  return guard("nhc_session_restore_request", [&] {
    NHC_CHECK_ARG(session, "nhc_session_restore_request");
    NHC_CHECK(blob || size == 0, NHC_INVALID_ARGUMENT,
              "nhc_session_restore_request: blob is NULL but size is not 0");
    NHC_CHECK_ARG(out_slot, "nhc_session_restore_request");
    *out_slot = restoreSlot(*nhc_session_state_pool(session),
                            static_cast<const uint8_t *>(blob), size);
  });
}

} // extern "C"

//===- state_pool.cpp - Per-sequence named state tensors in slots ---------===//
//
// Layout (see docs/runtime.md): one host allocation. Every state tensor of
// the manifest owns a [max_slots] array in it, 64-byte aligned, so a batched
// kernel finds slot s at base + s * slot_stride. Slot strides are multiples
// of 64 bytes, except in a session's dense pool (the kernel ABI's slot s at
// s * per_slot_elems).
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "aligned_buffer.h"
#include "error.h"
#include "manifest.h"
#include "json_fields.h"
#include "nhc/runtime/artifact.h"
#include "nhc/runtime/checked_math.h"
#include "nhc/runtime/limits.h"
#include "nhc/runtime/state_pool.h"
#include "state_pool_internal.h"

namespace nhc::runtime {
namespace {

constexpr uint64_t kAlignment = kHostAlignment;

/// Where one state tensor lives in the region.
struct TensorLayout {
  StateSpec spec;
  std::vector<uint64_t> shape; // one slot's: the sequence dim is max_seq_len
  uint64_t tokenStride = 0;    // sequence tensors: bytes per row; else 0
  uint64_t bytes = 0;          // one slot's tensor
  uint64_t slotStride = 0;     // `bytes`, rounded up to 64 unless denseSlots
  uint64_t offset = 0;         // of the [max_slots] array in the region
  uint64_t paddingBytes = 0;   // the padding slot's part after the array
};

struct Slot {
  bool claimed = false;
  uint64_t seqLen = 0;
  /// Why its state is unusable (a step failed after its kernels began, so
  /// they may have written part of it); empty while it is usable.
  std::string lost;
};

} // namespace
} // namespace nhc::runtime

struct nhc_state_pool_t {
  uint32_t maxSlots = 0;
  uint64_t maxSeqLen = 0;
  // Slot strides without padding (sessions: kernels index slot s at
  // s * per_slot_elems). Every tensor's array still starts 64-byte aligned.
  bool denseSlots = false;
  // A hidden slot `maxSlots` that padded decode steps write (backend.h,
  // decodeBucket): a fixed tensor's whole slot, a sequence tensor's first
  // row, after each tensor's array.
  bool paddingSlot = false;
  uint64_t paddingBytes = 0; // of the padding slot, all tensors
  std::vector<nhc::runtime::TensorLayout> tensors; // manifest order
  std::unordered_map<std::string, uint32_t> byName;
  uint64_t fixedBytesPerSlot = 0;
  uint64_t sequenceBytesPerSlot = 0;
  std::unique_ptr<nhc::runtime::StateMemory> memory; // the tensors' bytes
  std::vector<nhc::runtime::Slot> slots;
  uint32_t freeSlots = 0;
  /// Why the device holding the pool can run nothing more (a sticky fault:
  /// markDeviceFailed); empty while it can.
  std::string deviceFailed;
  std::string configHash; // the manifest's, for state blobs
};

namespace nhc::runtime {
namespace {

/// Size arithmetic on manifest-derived numbers; overflow is a caller error
/// (absurd max_slots / max_seq_len), reported rather than wrapped.
uint64_t mulOrThrow(uint64_t a, uint64_t b, const char *what) {
  std::optional<uint64_t> r = checkedMul(a, b);
  NHC_CHECK(r.has_value(), NHC_INVALID_ARGUMENT,
            cat("state pool: size of ", what, " overflows 64 bits"));
  return *r;
}

uint64_t addOrThrow(uint64_t a, uint64_t b, const char *what) {
  std::optional<uint64_t> r = checkedAdd(a, b);
  NHC_CHECK(r.has_value(), NHC_INVALID_ARGUMENT,
            cat("state pool: size of ", what, " overflows 64 bits"));
  return *r;
}

uint64_t alignOrThrow(uint64_t value, const char *what) {
  std::optional<uint64_t> r = checkedAlignUp(value, kAlignment);
  NHC_CHECK(r.has_value(), NHC_INVALID_ARGUMENT,
            cat("state pool: size of ", what, " overflows 64 bits"));
  return *r;
}

/// Host memory: the standalone pool's, and the host backend's.
class HostStateMemory final : public StateMemory {
public:
  explicit HostStateMemory(AlignedBuffer buffer) : buffer_(std::move(buffer)) {}
  void zero(uint64_t offset, uint64_t bytes) override {
    if (bytes)
      std::memset(buffer_.get() + offset, 0, bytes);
  }
  void read(uint64_t offset, uint64_t bytes, void *out) const override {
    if (bytes)
      std::memcpy(out, buffer_.get() + offset, bytes);
  }
  void write(uint64_t offset, uint64_t bytes, const void *in) override {
    if (bytes)
      std::memcpy(buffer_.get() + offset, in, bytes);
  }
  void copy(uint64_t from, uint64_t to, uint64_t bytes) override {
    if (bytes)
      std::memcpy(buffer_.get() + to, buffer_.get() + from, bytes);
  }
  uint8_t *hostAddress(uint64_t offset) override {
    return buffer_.get() + offset;
  }

private:
  AlignedBuffer buffer_;
};

/// Lays out every state tensor in manifest order; returns the region size.
uint64_t layoutTensors(nhc_state_pool_t &pool, const nhc_manifest_t &manifest) {
  uint64_t offset = 0;
  for (const StateSpec &spec : manifest.state) {
    TensorLayout layout;
    layout.spec = spec;
    layout.shape = spec.shape;
    // Every product is checked: rows of up to 2^28 elements (F32) times
    // 2^24 positions times 65536 slots overflow 64 bits.
    uint64_t rowBytes =
        mulOrThrow(spec.rowElems, nhc_dtype_size(spec.dtype), "a state tensor");
    if (spec.perToken) {
      layout.shape[0] = pool.maxSeqLen;
      layout.tokenStride = rowBytes;
      layout.bytes = mulOrThrow(rowBytes, pool.maxSeqLen, "a sequence tensor");
    } else {
      layout.bytes = rowBytes;
    }
    layout.slotStride = pool.denseSlots
                            ? layout.bytes
                            : alignOrThrow(layout.bytes, "a state tensor");
    layout.offset = alignOrThrow(offset, "the state pool");
    if (pool.paddingSlot)
      layout.paddingBytes = spec.perToken ? rowBytes : layout.bytes;
    pool.paddingBytes += layout.paddingBytes; // below the region's size
    offset = addOrThrow(
        addOrThrow(layout.offset,
                   mulOrThrow(layout.slotStride, pool.maxSlots,
                              "a state tensor's slots"),
                   "the state pool"),
        layout.paddingBytes, "the state pool");
    uint64_t &perSlot =
        spec.perToken ? pool.sequenceBytesPerSlot : pool.fixedBytesPerSlot;
    perSlot = addOrThrow(perSlot, layout.slotStride, "a slot's state");
    pool.byName.emplace(spec.name, static_cast<uint32_t>(pool.tensors.size()));
    pool.tensors.push_back(std::move(layout));
  }
  // Also bounds bytes_per_slot * max_slots (nhc_state_pool_get_info): the
  // region holds at least that many bytes.
  addOrThrow(pool.fixedBytesPerSlot, pool.sequenceBytesPerSlot,
             "a slot's state");
  return offset;
}

} // namespace

std::unique_ptr<StateMemory> allocateHostState(uint64_t bytes,
                                               const std::string &what) {
  AlignedBuffer buffer;
  if (bytes) {
    buffer = tryAllocateAligned(bytes);
    if (!buffer)
      throw Error(NHC_OUT_OF_MEMORY, cat("state pool: cannot allocate ", bytes,
                                         " bytes for ", what));
  }
  return std::make_unique<HostStateMemory>(std::move(buffer));
}

StatePoolPtr createStatePool(const nhc_manifest_t &manifest,
                             uint32_t maxSlots, uint64_t maxSeqLen,
                             bool denseSlots, const StateAllocator &allocate,
                             bool paddingSlot) {
  NHC_CHECK(maxSlots > 0, NHC_INVALID_ARGUMENT,
            "state pool: max_slots must be at least 1, got 0");
  NHC_CHECK(maxSeqLen > 0, NHC_INVALID_ARGUMENT,
            "state pool: max_seq_len must be at least 1, got 0");
  // Checked before anything is sized by them (slot table, regions).
  NHC_CHECK(maxSlots <= kMaxSlots, NHC_INVALID_ARGUMENT,
            cat("state pool: max_slots ", maxSlots, " exceeds the limit ",
                kMaxSlots, " (nhc::kMaxSlots)"));
  NHC_CHECK(maxSeqLen <= kMaxSequenceLength, NHC_INVALID_ARGUMENT,
            cat("state pool: max_seq_len ", maxSeqLen, " exceeds the limit ",
                kMaxSequenceLength, " (nhc::kMaxSequenceLength)"));
  // max_position_embeddings is not a limit here: Nemotron-H has no
  // position encoding, so a longer sequence computes what transformers
  // computes (it does not check the length either). The tools refuse
  // one by default and run it when asked (nhc-run, nhc-serve --max-seq-len).

  auto pool = std::make_unique<nhc_state_pool_t>();
  pool->maxSlots = maxSlots;
  pool->maxSeqLen = maxSeqLen;
  pool->denseSlots = denseSlots;
  pool->paddingSlot = paddingSlot;
  uint64_t regionBytes = layoutTensors(*pool, manifest);
  pool->configHash = manifest.configHash;

  // Not zeroed here: claim zeroes exactly the slot it hands out, so pages of
  // never-used slots are never touched.
  pool->memory = allocate(regionBytes,
                          cat("the state tensors (max_slots ", maxSlots,
                              ", max_seq_len ", maxSeqLen, ")"));
  // The padding slot is never claimed: zeroed once, so padded steps read
  // defined values.
  for (const TensorLayout &t : pool->tensors)
    pool->memory->zero(t.offset + t.slotStride * maxSlots, t.paddingBytes);
  pool->slots.assign(maxSlots, Slot{});
  pool->freeSlots = maxSlots;
  return StatePoolPtr(pool.release());
}

namespace {

const Slot &claimedSlot(const nhc_state_pool_t &pool, uint32_t slot) {
  NHC_CHECK(slot < pool.maxSlots, NHC_INVALID_ARGUMENT,
            cat("state pool: slot ", slot, " does not exist (max_slots is ",
                pool.maxSlots, ", valid ids are 0..", pool.maxSlots - 1, ")"));
  NHC_CHECK(pool.slots[slot].claimed, NHC_FAILED_PRECONDITION,
            cat("state pool: slot ", slot, " is not claimed"));
  return pool.slots[slot];
}

/// Refuses any use of a pool whose device failed.
void checkDevice(const nhc_state_pool_t &pool) {
  NHC_CHECK(pool.deviceFailed.empty(), NHC_FAILED_PRECONDITION,
            cat("state pool: the device holding this session's state failed (",
                pool.deviceFailed,
                "): release the session and create another"));
}

/// A claimed slot whose state is whole (not lost in a failed step).
const Slot &usableSlot(const nhc_state_pool_t &pool, uint32_t slot) {
  const Slot &s = claimedSlot(pool, slot);
  checkDevice(pool);
  NHC_CHECK(s.lost.empty(), NHC_FAILED_PRECONDITION,
            cat("state pool: slot ", slot, " lost its state in a failed step (",
                s.lost, "); release it and start its request again"));
  return s;
}

const TensorLayout &tensorAt(const nhc_state_pool_t &pool, size_t index,
                             const char *function) {
  NHC_CHECK(index < pool.tensors.size(), NHC_INVALID_ARGUMENT,
            cat(function, ": state tensor index ", index,
                " out of range (the pool has ", pool.tensors.size(),
                " state tensors)"));
  return pool.tensors[index];
}

uint64_t slotOffset(const TensorLayout &t, uint32_t slot) {
  return t.offset + slot * t.slotStride;
}

} // namespace

uint32_t claimSlot(nhc_state_pool_t &pool) {
  checkDevice(pool);
  auto it = std::find_if(pool.slots.begin(), pool.slots.end(),
                         [](const Slot &s) { return !s.claimed; });
  NHC_CHECK(it != pool.slots.end(), NHC_RESOURCE_EXHAUSTED,
            cat("state pool: no free slot: all ", pool.maxSlots,
                " slots (max_slots) are claimed"));
  uint32_t slot = static_cast<uint32_t>(it - pool.slots.begin());
  // Only the tensors without a sequence dimension: a sequence tensor's rows
  // past seq_len are never read, and clearing them would cost a memset of
  // the whole KV cache per new request.
  for (const TensorLayout &t : pool.tensors)
    if (!t.spec.perToken)
      pool.memory->zero(slotOffset(t, slot), t.slotStride);
  it->claimed = true;
  it->seqLen = 0;
  --pool.freeSlots;
  return slot;
}

void releaseSlot(nhc_state_pool_t &pool, uint32_t slot) {
  NHC_CHECK(slot < pool.maxSlots, NHC_INVALID_ARGUMENT,
            cat("state pool: cannot release slot ", slot,
                ": it does not exist (max_slots is ", pool.maxSlots, ")"));
  NHC_CHECK(pool.slots[slot].claimed, NHC_FAILED_PRECONDITION,
            cat("state pool: cannot release slot ", slot,
                ": it is not claimed (double release?)"));
  pool.slots[slot] = Slot{};
  ++pool.freeSlots;
}

void advanceSlot(nhc_state_pool_t &pool, uint32_t slot, uint64_t tokens) {
  const Slot &s = usableSlot(pool, slot);
  NHC_CHECK(tokens <= pool.maxSeqLen - s.seqLen, NHC_OUT_OF_RANGE,
            cat("state pool: cannot advance slot ", slot, " by ", tokens,
                " tokens: its length is ", s.seqLen, " and max_seq_len is ",
                pool.maxSeqLen));
  pool.slots[slot].seqLen += tokens;
}

uint64_t slotLength(const nhc_state_pool_t &pool, uint32_t slot) {
  return claimedSlot(pool, slot).seqLen;
}

void checkSlotUsable(const nhc_state_pool_t &pool, uint32_t slot) {
  usableSlot(pool, slot);
}

void markDeviceFailed(nhc_state_pool_t &pool, const std::string &why) {
  if (pool.deviceFailed.empty())
    pool.deviceFailed = why.empty() ? "no reason given" : why;
}

void markSlotLost(nhc_state_pool_t &pool, uint32_t slot,
                  const std::string &why) {
  if (slot < pool.maxSlots && pool.slots[slot].claimed &&
      pool.slots[slot].lost.empty())
    pool.slots[slot].lost = why.empty() ? "no reason given" : why;
}

uint32_t maxSlots(const nhc_state_pool_t &pool) { return pool.maxSlots; }
uint64_t maxSeqLen(const nhc_state_pool_t &pool) { return pool.maxSeqLen; }

namespace {

std::vector<SlotTensor> tensorsAt(nhc_state_pool_t &pool, uint32_t slot) {
  std::vector<SlotTensor> out;
  out.reserve(pool.tensors.size());
  for (const TensorLayout &t : pool.tensors)
    out.push_back({&t.spec.name, t.spec.dtype, t.shape, pool.memory.get(),
                   slotOffset(t, slot), t.bytes, t.tokenStride});
  return out;
}

} // namespace

std::vector<SlotTensor> slotTensors(nhc_state_pool_t &pool, uint32_t slot) {
  usableSlot(pool, slot);
  return tensorsAt(pool, slot);
}

std::vector<SlotTensor> stateLayout(nhc_state_pool_t &pool) {
  return tensorsAt(pool, 0);
}

uint32_t forkSlot(nhc_state_pool_t &pool, uint32_t source) {
  const uint64_t seqLen = usableSlot(pool, source).seqLen;
  const uint32_t slot = claimSlot(pool);
  try {
    const std::vector<SlotTensor> from = slotTensors(pool, source);
    const std::vector<SlotTensor> to = slotTensors(pool, slot);
    for (size_t i = 0; i < from.size(); ++i)
      pool.memory->copy(from[i].offset, to[i].offset,
                        from[i].heldBytes(seqLen));
    advanceSlot(pool, slot, seqLen);
  } catch (...) {
    releaseSlot(pool, slot);
    throw;
  }
  return slot;
}

uint64_t stateModelId(const nhc_state_pool_t &pool) {
  // The compiled config's hash and every tensor's name, dtype and shape,
  // with "max_seq_len" for a sequence dimension: a blob fits any pool whose
  // max_seq_len holds it. Names are length-prefixed, so no two lists of
  // tensors spell the same text.
  std::string id = "config " + pool.configHash;
  for (const TensorLayout &t : pool.tensors)
    id += cat("; ", t.spec.name.size(), ":", t.spec.name, " ",
              nhc_dtype_name(t.spec.dtype), " ", stateShapeToString(t.spec));
  return nhc_fnv1a64(id.data(), id.size(), NHC_FNV1A64_OFFSET_BASIS);
}

TensorPool tensorPool(nhc_state_pool_t &pool, size_t index) {
  const TensorLayout &t = tensorAt(pool, index, "state pool");
  TensorPool out;
  out.name = &t.spec.name;
  out.memory = pool.memory.get();
  out.offset = t.offset;
  out.dtype = t.spec.dtype;
  out.slotStride = t.slotStride;
  out.slotBytes = t.bytes;
  // Proven to fit at creation; with the padding slot's part.
  out.totalBytes = t.slotStride * pool.maxSlots + t.paddingBytes;
  return out;
}

} // namespace nhc::runtime

using namespace nhc::runtime;

extern "C" {

nhc_status_t nhc_state_pool_create(const nhc_manifest_t *manifest,
                                   uint32_t max_slots, uint64_t max_seq_len,
                                   nhc_state_pool_t **out_pool) {
  return guard("nhc_state_pool_create", [&] {
    NHC_CHECK_ARG(manifest, "nhc_state_pool_create");
    NHC_CHECK_ARG(out_pool, "nhc_state_pool_create");
    *out_pool =
        createStatePool(*manifest, max_slots, max_seq_len, false).release();
  });
}

void nhc_state_pool_release(nhc_state_pool_t *pool) { delete pool; }

nhc_status_t nhc_state_pool_get_info(const nhc_state_pool_t *pool,
                                     nhc_state_pool_info_t *out_info) {
  return guard("nhc_state_pool_get_info", [&] {
    NHC_CHECK_ARG(pool, "nhc_state_pool_get_info");
    NHC_CHECK_ARG(out_info, "nhc_state_pool_get_info");
    nhc_state_pool_info_t info{};
    info.max_slots = pool->maxSlots;
    info.free_slots = pool->freeSlots;
    info.max_seq_len = pool->maxSeqLen;
    info.num_tensors = static_cast<uint32_t>(pool->tensors.size());
    info.fixed_bytes_per_slot = pool->fixedBytesPerSlot;
    info.sequence_bytes_per_slot = pool->sequenceBytesPerSlot;
    info.bytes_per_slot = pool->fixedBytesPerSlot + pool->sequenceBytesPerSlot;
    info.total_bytes =
        info.bytes_per_slot * pool->maxSlots + pool->paddingBytes;
    *out_info = info;
  });
}

nhc_status_t nhc_state_pool_claim_slot(nhc_state_pool_t *pool,
                                       uint32_t *out_slot) {
  return guard("nhc_state_pool_claim_slot", [&] {
    NHC_CHECK_ARG(pool, "nhc_state_pool_claim_slot");
    NHC_CHECK_ARG(out_slot, "nhc_state_pool_claim_slot");
    *out_slot = claimSlot(*pool);
  });
}

nhc_status_t nhc_state_pool_release_slot(nhc_state_pool_t *pool,
                                         uint32_t slot) {
  return guard("nhc_state_pool_release_slot", [&] {
    NHC_CHECK_ARG(pool, "nhc_state_pool_release_slot");
    releaseSlot(*pool, slot);
  });
}

nhc_status_t nhc_state_pool_advance_slot(nhc_state_pool_t *pool, uint32_t slot,
                                         uint64_t n_tokens) {
  return guard("nhc_state_pool_advance_slot", [&] {
    NHC_CHECK_ARG(pool, "nhc_state_pool_advance_slot");
    advanceSlot(*pool, slot, n_tokens);
  });
}

nhc_status_t nhc_state_pool_slot_seq_len(const nhc_state_pool_t *pool,
                                         uint32_t slot, uint64_t *out_seq_len) {
  return guard("nhc_state_pool_slot_seq_len", [&] {
    NHC_CHECK_ARG(pool, "nhc_state_pool_slot_seq_len");
    NHC_CHECK_ARG(out_seq_len, "nhc_state_pool_slot_seq_len");
    *out_seq_len = claimedSlot(*pool, slot).seqLen;
  });
}

uint32_t nhc_state_pool_tensor_count(const nhc_state_pool_t *pool) {
  return pool ? static_cast<uint32_t>(pool->tensors.size()) : 0;
}

nhc_status_t nhc_state_pool_tensor_info(const nhc_state_pool_t *pool,
                                        uint32_t index,
                                        nhc_state_tensor_info_t *out) {
  return guard("nhc_state_pool_tensor_info", [&] {
    NHC_CHECK_ARG(pool, "nhc_state_pool_tensor_info");
    NHC_CHECK_ARG(out, "nhc_state_pool_tensor_info");
    const TensorLayout &t =
        tensorAt(*pool, index, "nhc_state_pool_tensor_info");
    nhc_state_tensor_info_t info{};
    info.name = t.spec.name.c_str();
    info.layer = t.spec.layer;
    info.dtype = t.spec.dtype;
    info.rank = static_cast<uint32_t>(t.shape.size());
    for (size_t i = 0; i < t.shape.size(); ++i)
      info.shape[i] = t.shape[i];
    info.per_token = t.spec.perToken ? 1 : 0;
    info.bytes = t.bytes;
    info.token_stride = t.tokenStride;
    info.slot_stride = t.slotStride;
    *out = info;
  });
}

nhc_status_t nhc_state_pool_find_tensor(const nhc_state_pool_t *pool,
                                        const char *name, uint32_t *out_index) {
  return guard("nhc_state_pool_find_tensor", [&] {
    NHC_CHECK_ARG(pool, "nhc_state_pool_find_tensor");
    NHC_CHECK_ARG(name, "nhc_state_pool_find_tensor");
    NHC_CHECK_ARG(out_index, "nhc_state_pool_find_tensor");
    auto it = pool->byName.find(name);
    NHC_CHECK(it != pool->byName.end(), NHC_NOT_FOUND,
              cat("state pool: no state tensor named '", name,
                  "' (the manifest's 'state' lists ", pool->tensors.size(),
                  ")"));
    *out_index = it->second;
  });
}

nhc_status_t nhc_state_pool_tensor_data(nhc_state_pool_t *pool, uint32_t slot,
                                        uint32_t index, void **out_data) {
  return guard("nhc_state_pool_tensor_data", [&] {
    NHC_CHECK_ARG(pool, "nhc_state_pool_tensor_data");
    NHC_CHECK_ARG(out_data, "nhc_state_pool_tensor_data");
    usableSlot(*pool, slot);
    const TensorLayout &t =
        tensorAt(*pool, index, "nhc_state_pool_tensor_data");
    uint8_t *data = pool->memory->hostAddress(slotOffset(t, slot));
    NHC_CHECK(data != nullptr, NHC_UNSUPPORTED,
              cat("nhc_state_pool_tensor_data: state tensor '", t.spec.name,
                  "' is in device memory, not host memory (save the slot "
                  "with nhc_state_pool_save_slot instead)"));
    *out_data = data;
  });
}

} // extern "C"

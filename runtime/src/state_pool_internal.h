//===- state_pool_internal.h - State pool access for the session -*- C++
//-*-===//
//
// The session owns a state pool and hands each state tensor of all slots to
// kernels, so it needs the pool's layout, not just the per-slot C accessors.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_STATE_POOL_INTERNAL_H
#define NHC_RUNTIME_SRC_STATE_POOL_INTERNAL_H

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nhc/runtime/state_pool.h"

namespace nhc::runtime {

struct StatePoolDeleter {
  void operator()(nhc_state_pool_t *pool) const {
    nhc_state_pool_release(pool);
  }
};
using StatePoolPtr = std::unique_ptr<nhc_state_pool_t, StatePoolDeleter>;

/// The bytes of a pool's state tensors. Every access to state memory goes
/// through these calls, so whoever allocates the pool decides where the
/// state lives: host memory for a standalone pool, the session's backend
/// for a session's (backend.h: the device seam).
class StateMemory {
public:
  virtual ~StateMemory() = default;
  /// Sets bytes [offset, offset + bytes) to zero.
  virtual void zero(uint64_t offset, uint64_t bytes) = 0;
  /// Copies bytes [offset, offset + bytes) to host memory `out`.
  virtual void read(uint64_t offset, uint64_t bytes, void *out) const = 0;
  /// Copies `bytes` bytes of host memory `in` to [offset, offset + bytes).
  virtual void write(uint64_t offset, uint64_t bytes, const void *in) = 0;
  /// Copies [from, from + bytes) to [to, to + bytes) within this memory
  /// (ranges that do not overlap), without a trip through host memory.
  virtual void copy(uint64_t from, uint64_t to, uint64_t bytes) = 0;
  /// The host address of byte `offset`; null when the memory is not host
  /// memory (a device's).
  virtual uint8_t *hostAddress(uint64_t offset) = 0;
  /// The device address of byte `offset`; 0 for host memory.
  virtual uint64_t deviceAddress(uint64_t offset) { (void)offset; return 0; }
};

/// Allocates the `bytes` bytes of a pool's state; throws NHC_OUT_OF_MEMORY
/// naming `what`.
using StateAllocator =
    std::function<std::unique_ptr<StateMemory>(uint64_t bytes, const std::string &what)>;

/// 64-byte aligned host memory, not zeroed.
std::unique_ptr<StateMemory> allocateHostState(uint64_t bytes,
                                               const std::string &what);

/// nhc_state_pool_create(), plus `denseSlots`: slot strides without the
/// 64-byte padding, as the kernel ABI wants (slot s at s * per_slot_elems),
/// the allocator of the state's memory, and `paddingSlot`: room for a
/// hidden slot `maxSlots`, zeroed and never claimed, that the padding
/// requests of a padded decode step use (backend.h, decodeBucket; only a
/// request at position 0 of one token: a fixed tensor's whole slot and a
/// sequence tensor's first row).
StatePoolPtr createStatePool(const nhc_manifest_t &manifest,
                             uint32_t maxSlots, uint64_t maxSeqLen,
                             bool denseSlots,
                             const StateAllocator &allocate = allocateHostState,
                             bool paddingSlot = false);

/// One state tensor for all slots, slot-major (slot s at base + s *
/// slotStride): what a kernel argument {"state": NAME} receives.
struct TensorPool {
  const std::string *name = nullptr; // owned by the pool
  StateMemory *memory = nullptr;     // owned by the pool
  uint64_t offset = 0;               // of slot 0 in `memory`
  nhc_dtype_t dtype = NHC_DTYPE_INVALID;
  uint64_t slotStride = 0; // bytes
  uint64_t slotBytes = 0;  // bytes of one slot's tensor
  uint64_t totalBytes = 0; // slotStride * max_slots (+ the padding slot's)
};

/// Tensor `index` of the pool (= of the manifest's `state` list).
TensorPool tensorPool(nhc_state_pool_t &pool, size_t index);

/// One of a claimed slot's state tensors (save/restore), in manifest order.
/// A sequence tensor's shape[0] is the pool's max_seq_len, of which the
/// slot's first seq_len rows hold data.
struct SlotTensor {
  const std::string *name = nullptr; // owned by the pool
  nhc_dtype_t dtype = NHC_DTYPE_INVALID;
  std::vector<uint64_t> shape;
  StateMemory *memory = nullptr; // owned by the pool
  uint64_t offset = 0;           // of this slot's tensor in `memory`
  uint64_t bytes = 0;       // the whole tensor
  uint64_t tokenStride = 0; // sequence tensors: bytes per row; else 0
  /// The bytes a slot of length seqLen holds: a sequence tensor's first
  /// seqLen rows, another tensor whole.
  uint64_t heldBytes(uint64_t seqLen) const {
    return tokenStride ? tokenStride * seqLen : bytes;
  }
};
/// In manifest order; throws for unknown, unclaimed or lost slots.
std::vector<SlotTensor> slotTensors(nhc_state_pool_t &pool, uint32_t slot);
/// The state tensors' names, dtypes, shapes and sizes (offsets: slot 0's),
/// whatever is claimed: what a blob is checked against before a slot is.
std::vector<SlotTensor> stateLayout(nhc_state_pool_t &pool);
/// Names the model a pool's state belongs to: FNV-1a 64 of the manifest's
/// config hash and the name, dtype and shape of every state tensor (the
/// sequence dimension excluded, so a blob fits any max_seq_len that holds
/// it).
uint64_t stateModelId(const nhc_state_pool_t &pool);

/// The slot operations behind the C API, throwing Error.
uint32_t claimSlot(nhc_state_pool_t &pool);
void releaseSlot(nhc_state_pool_t &pool, uint32_t slot);
void advanceSlot(nhc_state_pool_t &pool, uint32_t slot, uint64_t tokens);
/// Claims a free slot holding a copy of claimed slot `source`'s state and
/// length; on any error no slot is claimed.
uint32_t forkSlot(nhc_state_pool_t &pool, uint32_t source);
/// Length of a claimed slot; throws for unknown or unclaimed slots.
uint64_t slotLength(const nhc_state_pool_t &pool, uint32_t slot);
/// Throws NHC_FAILED_PRECONDITION for a claimed slot whose state was lost
/// (markSlotLost), as for unknown or unclaimed slots.
void checkSlotUsable(const nhc_state_pool_t &pool, uint32_t slot);
/// Marks claimed slot `slot`'s state unusable (`why`: the failed step's
/// error): steps, saves and forks of it are refused until it is released.
/// Unknown or unclaimed slots are left alone.
void markSlotLost(nhc_state_pool_t &pool, uint32_t slot,
                  const std::string &why);
/// The device holding the pool's memory failed (`why`): every later claim
/// and every use of a slot's state is NHC_FAILED_PRECONDITION saying to
/// create another session (releasing slots still works).
void markDeviceFailed(nhc_state_pool_t &pool, const std::string &why);
uint32_t maxSlots(const nhc_state_pool_t &pool);
uint64_t maxSeqLen(const nhc_state_pool_t &pool);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_STATE_POOL_INTERNAL_H

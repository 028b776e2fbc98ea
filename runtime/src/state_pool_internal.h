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

/// nhc_state_pool_create(), plus `denseSlots`: slot strides without the
/// 64-byte padding, as the kernel ABI wants (slot s at s * per_slot_elems).
StatePoolPtr createStatePool(
    const nhc_manifest_t &manifest, uint32_t maxSlots, uint64_t maxSeqLen,
    bool denseSlots);

/// One state tensor for all slots, slot-major (slot s at base + s *
/// slotStride): what a kernel argument {"state": NAME} receives.
struct TensorPool {
  const std::string *name = nullptr; // owned by the pool
  uint8_t *base = nullptr;
  nhc_dtype_t dtype = NHC_DTYPE_INVALID;
  uint64_t slotStride = 0; // bytes
  uint64_t slotBytes = 0;  // bytes of one slot's tensor
  uint64_t totalBytes = 0; // slotStride * max_slots
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
  uint8_t *data = nullptr;
  uint64_t bytes = 0;       // the whole tensor
  uint64_t tokenStride = 0; // sequence tensors: bytes per row; else 0
};
/// In manifest order; throws for unknown or unclaimed slots.
std::vector<SlotTensor> slotTensors(nhc_state_pool_t &pool, uint32_t slot);
/// Names the model a pool's state belongs to: FNV-1a 64 of the manifest's
/// config hash and the name, dtype and shape of every state tensor (the
/// sequence dimension excluded, so a blob fits any max_seq_len that holds
/// it).
uint64_t stateModelId(const nhc_state_pool_t &pool);

/// The slot operations behind the C API, throwing Error.
uint32_t claimSlot(nhc_state_pool_t &pool);
void releaseSlot(nhc_state_pool_t &pool, uint32_t slot);
void advanceSlot(nhc_state_pool_t &pool, uint32_t slot, uint64_t tokens);
/// Length of a claimed slot; throws for unknown or unclaimed slots.
uint64_t slotLength(const nhc_state_pool_t &pool, uint32_t slot);
uint32_t maxSlots(const nhc_state_pool_t &pool);
uint64_t maxSeqLen(const nhc_state_pool_t &pool);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_STATE_POOL_INTERNAL_H

//===- state_pool_internal.h - State pool access for the session -*- C++ -*-===//
//
// The session owns a state pool and hands whole per-layer pools to kernels,
// so it needs the pool's layout, not just the per-slot C accessors.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_STATE_POOL_INTERNAL_H
#define NHC_RUNTIME_SRC_STATE_POOL_INTERNAL_H

#include <cstdint>
#include <memory>
#include <vector>

#include "nhc/runtime/state_pool.h"
#include "schedule.h"

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

/// One layer's state tensor for all slots, slot-major.
struct LayerPool {
  uint8_t *base = nullptr;
  nhc_dtype_t dtype = NHC_DTYPE_INVALID;
  uint64_t slotStride = 0; // bytes
  uint64_t slotBytes = 0;  // bytes of one slot's tensor
  uint64_t totalBytes = 0; // slotStride * max_slots
};

/// Throws NHC_NOT_FOUND if `layer` has no such state.
LayerPool layerPool(nhc_state_pool_t &pool, uint32_t layer, StateTensor which);

/// One of a claimed slot's state tensors (save/restore): Mamba layers give
/// conv then SSM state, attention layers K then V of shape [max_seq_len,
/// kv_heads, head_dim] of which the slot's first seq_len tokens hold data.
struct SlotTensor {
  uint32_t layer = 0;
  StateTensor which = StateTensor::Conv;
  nhc_dtype_t dtype = NHC_DTYPE_INVALID;
  std::vector<uint64_t> shape;
  uint8_t *data = nullptr;
  uint64_t bytes = 0;       // the whole tensor
  uint64_t tokenStride = 0; // KV caches: bytes per token; else 0
};
/// In manifest order; throws for unknown or unclaimed slots.
std::vector<SlotTensor> slotTensors(nhc_state_pool_t &pool, uint32_t slot);
/// Names the model a pool's state belongs to: FNV-1a 64 of the manifest's
/// config hash and the dtype and shape of every state tensor.
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

//===- state_pool.cpp - Per-sequence Mamba state and KV cache slots -------===//
//
// Layout (see docs/runtime.md): two host allocations, one for all Mamba
// state and one for all KV caches. Inside each, every layer owns a
// [max_slots] array per state tensor, so a batched kernel for one layer finds
// slot s at base + s * slot_stride. Every stride is a multiple of 64 bytes.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
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

struct MambaLayout {
  MambaLayerSpec spec;
  uint64_t convBytes, convStride, convOffset;
  uint64_t ssmBytes, ssmStride, ssmOffset;
};

struct AttentionLayout {
  AttentionLayerSpec spec;
  uint64_t tokenStride; // num_kv_heads * head_dim * dtype size
  uint64_t bytes;       // one of K or V for one slot
  uint64_t stride;      // `bytes`, rounded up to 64 unless denseSlots
  uint64_t kOffset, vOffset;
};

struct Slot {
  bool claimed = false;
  uint64_t seqLen = 0;
};

} // namespace
} // namespace nhc::runtime

struct nhc_state_pool_t {
  uint32_t maxSlots = 0;
  uint64_t maxSeqLen = 0;
  // Slot strides without padding (sessions: kernels index slot s at
  // s * per_slot_elems). Every layer array still starts 64-byte aligned.
  bool denseSlots = false;
  std::vector<nhc::runtime::MambaLayout> mamba;
  std::vector<nhc::runtime::AttentionLayout> attention;
  // Model layer -> index into `mamba` or `attention`, by the layer's kind.
  std::vector<nhc_layer_state_kind_t> layerKinds;
  std::vector<size_t> layerSlot;
  uint64_t mambaBytesPerSlot = 0;
  uint64_t kvBytesPerSlot = 0;
  nhc::runtime::AlignedBuffer mambaRegion;
  nhc::runtime::AlignedBuffer kvRegion;
  std::vector<nhc::runtime::Slot> slots;
  uint32_t freeSlots = 0;
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

uint64_t tensorBytes(const TensorSpec &spec, const char *what) {
  std::optional<uint64_t> r =
      checkedByteSize(spec.shape, nhc_dtype_size(spec.dtype));
  NHC_CHECK(r.has_value(), NHC_INVALID_ARGUMENT,
            cat("state pool: size of ", what, " overflows 64 bits"));
  return *r;
}

AlignedBuffer allocate(uint64_t bytes, const char *what,
                       const nhc_state_pool_t &pool) {
  if (bytes == 0)
    return AlignedBuffer();
  AlignedBuffer buffer = tryAllocateAligned(bytes);
  if (!buffer)
    throw Error(NHC_OUT_OF_MEMORY,
                cat("state pool: cannot allocate ", bytes, " bytes for ", what,
                    " (max_slots ", pool.maxSlots, ", max_seq_len ",
                    pool.maxSeqLen, ")"));
  return buffer;
}

/// Bytes between one slot and the next for a state of `bytes` bytes.
uint64_t slotStride(const nhc_state_pool_t &pool, uint64_t bytes,
                    const char *what) {
  return pool.denseSlots ? bytes : alignOrThrow(bytes, what);
}

/// Lays out Mamba state; returns the region size.
uint64_t layoutMamba(nhc_state_pool_t &pool, const nhc_manifest_t &manifest) {
  uint64_t offset = 0;
  for (const MambaLayerSpec &spec : manifest.mambaLayers) {
    MambaLayout layout{};
    layout.spec = spec;
    layout.convBytes = tensorBytes(spec.convState, "a conv state");
    layout.convStride = slotStride(pool, layout.convBytes, "a conv state");
    layout.ssmBytes = tensorBytes(spec.ssmState, "an SSM state");
    layout.ssmStride = slotStride(pool, layout.ssmBytes, "an SSM state");
    layout.convOffset = alignOrThrow(offset, "the Mamba state");
    offset = layout.convOffset;
    offset = addOrThrow(
        offset, mulOrThrow(layout.convStride, pool.maxSlots, "conv states"),
        "the Mamba state");
    layout.ssmOffset = alignOrThrow(offset, "the Mamba state");
    offset = layout.ssmOffset;
    offset = addOrThrow(
        offset, mulOrThrow(layout.ssmStride, pool.maxSlots, "SSM states"),
        "the Mamba state");
    pool.mambaBytesPerSlot = addOrThrow(
        pool.mambaBytesPerSlot,
        addOrThrow(layout.convStride, layout.ssmStride, "the Mamba state"),
        "the Mamba state");
    pool.mamba.push_back(layout);
  }
  return offset;
}

/// Lays out K and V caches; returns the region size.
uint64_t layoutAttention(nhc_state_pool_t &pool,
                         const nhc_manifest_t &manifest) {
  uint64_t offset = 0;
  for (const AttentionLayerSpec &spec : manifest.attentionLayers) {
    AttentionLayout layout{};
    layout.spec = spec;
    layout.tokenStride =
        mulOrThrow(mulOrThrow(spec.numKvHeads, spec.headDim, "a KV cache"),
                   nhc_dtype_size(spec.dtype), "a KV cache");
    layout.bytes = mulOrThrow(layout.tokenStride, pool.maxSeqLen, "a KV cache");
    layout.stride = slotStride(pool, layout.bytes, "a KV cache");
    uint64_t perLayer = mulOrThrow(layout.stride, pool.maxSlots, "KV caches");
    layout.kOffset = alignOrThrow(offset, "the KV caches");
    offset = addOrThrow(layout.kOffset, perLayer, "the KV caches");
    layout.vOffset = alignOrThrow(offset, "the KV caches");
    offset = addOrThrow(layout.vOffset, perLayer, "the KV caches");
    pool.kvBytesPerSlot =
        addOrThrow(pool.kvBytesPerSlot,
                   mulOrThrow(layout.stride, 2, "a KV cache"), "the KV caches");
    pool.attention.push_back(layout);
  }
  return offset;
}

} // namespace

StatePoolPtr createStatePool(
    const nhc_manifest_t &manifest, uint32_t maxSlots, uint64_t maxSeqLen,
    bool denseSlots) {
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
  NHC_CHECK(
      maxSeqLen <= manifest.model.max_position_embeddings, NHC_INVALID_ARGUMENT,
      cat("state pool: max_seq_len ", maxSeqLen,
          " exceeds the model's max_position_embeddings ",
          manifest.model.max_position_embeddings, " (", manifest.origin, ")"));

  auto pool = std::make_unique<nhc_state_pool_t>();
  pool->maxSlots = maxSlots;
  pool->maxSeqLen = maxSeqLen;
  pool->denseSlots = denseSlots;
  uint64_t mambaBytes = layoutMamba(*pool, manifest);
  uint64_t kvBytes = layoutAttention(*pool, manifest);
  // Also bounds bytes_per_slot * max_slots (nhc_state_pool_get_info): each
  // region holds at least its per-slot bytes times max_slots.
  addOrThrow(mambaBytes, kvBytes, "the state pool");

  pool->configHash = manifest.configHash;
  pool->layerKinds = manifest.layerKinds;
  pool->layerSlot.assign(manifest.layerKinds.size(), 0);
  for (size_t i = 0; i < pool->mamba.size(); ++i)
    pool->layerSlot[pool->mamba[i].spec.layer] = i;
  for (size_t i = 0; i < pool->attention.size(); ++i)
    pool->layerSlot[pool->attention[i].spec.layer] = i;

  // Not zeroed here: claim zeroes exactly the slot it hands out, so pages of
  // never-used slots are never touched.
  pool->mambaRegion = allocate(mambaBytes, "the Mamba state", *pool);
  pool->kvRegion = allocate(kvBytes, "the KV caches", *pool);
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

/// Index into pool.mamba / pool.attention for `layer` of `kind`.
size_t layerIndex(const nhc_state_pool_t &pool, uint32_t layer,
                  nhc_layer_state_kind_t kind) {
  NHC_CHECK(layer < pool.layerKinds.size(), NHC_NOT_FOUND,
            cat("state pool: layer ", layer, " does not exist (the model has ",
                pool.layerKinds.size(), " layers)"));
  NHC_CHECK(pool.layerKinds[layer] == kind, NHC_NOT_FOUND,
            cat("state pool: layer ", layer, " is ",
                layerStateKindDescription(pool.layerKinds[layer]), ", not ",
                layerStateKindDescription(kind)));
  return pool.layerSlot[layer];
}

} // namespace

uint32_t claimSlot(nhc_state_pool_t &pool) {
  auto it = std::find_if(pool.slots.begin(), pool.slots.end(),
                         [](const Slot &s) { return !s.claimed; });
  NHC_CHECK(it != pool.slots.end(), NHC_RESOURCE_EXHAUSTED,
            cat("state pool: no free slot: all ", pool.maxSlots,
                " slots (max_slots) are claimed"));
  uint32_t slot = static_cast<uint32_t>(it - pool.slots.begin());
  uint8_t *base = pool.mambaRegion.get();
  for (const MambaLayout &layer : pool.mamba) {
    std::memset(base + layer.convOffset + slot * layer.convStride, 0,
                layer.convStride);
    std::memset(base + layer.ssmOffset + slot * layer.ssmStride, 0,
                layer.ssmStride);
  }
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
  const Slot &s = claimedSlot(pool, slot);
  NHC_CHECK(tokens <= pool.maxSeqLen - s.seqLen, NHC_OUT_OF_RANGE,
            cat("state pool: cannot advance slot ", slot, " by ", tokens,
                " tokens: its length is ", s.seqLen, " and max_seq_len is ",
                pool.maxSeqLen));
  pool.slots[slot].seqLen += tokens;
}

namespace {

nhc_mamba_state_t mambaState(nhc_state_pool_t &pool, uint32_t slot,
                             uint32_t layer) {
  claimedSlot(pool, slot);
  const MambaLayout &l = pool.mamba[layerIndex(pool, layer, NHC_LAYER_MAMBA)];
  uint8_t *base = pool.mambaRegion.get();
  nhc_mamba_state_t state{};
  state.conv_state = base + l.convOffset + slot * l.convStride;
  state.conv_dtype = l.spec.convState.dtype;
  state.conv_shape[0] = l.spec.convState.shape[0];
  state.conv_shape[1] = l.spec.convState.shape[1];
  state.conv_bytes = l.convBytes;
  state.conv_slot_stride = l.convStride;
  state.ssm_state = base + l.ssmOffset + slot * l.ssmStride;
  state.ssm_dtype = l.spec.ssmState.dtype;
  for (int i = 0; i < 3; ++i)
    state.ssm_shape[i] = l.spec.ssmState.shape[i];
  state.ssm_bytes = l.ssmBytes;
  state.ssm_slot_stride = l.ssmStride;
  return state;
}

nhc_kv_cache_t kvCache(nhc_state_pool_t &pool, uint32_t slot, uint32_t layer) {
  claimedSlot(pool, slot);
  const AttentionLayout &l =
      pool.attention[layerIndex(pool, layer, NHC_LAYER_ATTENTION)];
  uint8_t *base = pool.kvRegion.get();
  nhc_kv_cache_t cache{};
  cache.k = base + l.kOffset + slot * l.stride;
  cache.v = base + l.vOffset + slot * l.stride;
  cache.dtype = l.spec.dtype;
  cache.max_seq_len = pool.maxSeqLen;
  cache.num_kv_heads = l.spec.numKvHeads;
  cache.head_dim = l.spec.headDim;
  cache.token_stride = l.tokenStride;
  cache.bytes = l.bytes;
  cache.slot_stride = l.stride;
  return cache;
}

} // namespace

uint64_t slotLength(const nhc_state_pool_t &pool, uint32_t slot) {
  return claimedSlot(pool, slot).seqLen;
}

uint32_t maxSlots(const nhc_state_pool_t &pool) { return pool.maxSlots; }
uint64_t maxSeqLen(const nhc_state_pool_t &pool) { return pool.maxSeqLen; }

std::vector<SlotTensor> slotTensors(nhc_state_pool_t &pool, uint32_t slot) {
  claimedSlot(pool, slot);
  std::vector<SlotTensor> out;
  for (const MambaLayout &l : pool.mamba) {
    uint8_t *base = pool.mambaRegion.get();
    out.push_back({l.spec.layer, StateTensor::Conv, l.spec.convState.dtype,
                   l.spec.convState.shape,
                   base + l.convOffset + slot * l.convStride, l.convBytes, 0});
    out.push_back({l.spec.layer, StateTensor::Ssm, l.spec.ssmState.dtype,
                   l.spec.ssmState.shape,
                   base + l.ssmOffset + slot * l.ssmStride, l.ssmBytes, 0});
  }
  for (const AttentionLayout &l : pool.attention) {
    std::vector<uint64_t> shape = {pool.maxSeqLen, l.spec.numKvHeads,
                                   l.spec.headDim};
    uint8_t *base = pool.kvRegion.get();
    out.push_back({l.spec.layer, StateTensor::KCache, l.spec.dtype, shape,
                   base + l.kOffset + slot * l.stride, l.bytes, l.tokenStride});
    out.push_back({l.spec.layer, StateTensor::VCache, l.spec.dtype, shape,
                   base + l.vOffset + slot * l.stride, l.bytes, l.tokenStride});
  }
  return out;
}

uint64_t stateModelId(const nhc_state_pool_t &pool) {
  // The compiled config's hash and the layout of every state tensor (the
  // KV capacity excluded: a blob fits any max_seq_len that holds it).
  std::string id = "config " + pool.configHash;
  for (const MambaLayout &l : pool.mamba)
    id += cat("; mamba ", l.spec.layer, " conv ",
              nhc_dtype_name(l.spec.convState.dtype),
              shapeToString(l.spec.convState.shape), " ssm ",
              nhc_dtype_name(l.spec.ssmState.dtype),
              shapeToString(l.spec.ssmState.shape));
  for (const AttentionLayout &l : pool.attention)
    id += cat("; attention ", l.spec.layer, " ", nhc_dtype_name(l.spec.dtype),
              " ", l.spec.numKvHeads, "x", l.spec.headDim);
  return nhc_fnv1a64(id.data(), id.size(), NHC_FNV1A64_OFFSET_BASIS);
}

LayerPool layerPool(nhc_state_pool_t &pool, uint32_t layer,
                    StateTensor which) {
  bool mamba = which == StateTensor::Conv || which == StateTensor::Ssm;
  size_t index =
      layerIndex(pool, layer, mamba ? NHC_LAYER_MAMBA : NHC_LAYER_ATTENTION);
  LayerPool out;
  if (mamba) {
    const MambaLayout &l = pool.mamba[index];
    bool conv = which == StateTensor::Conv;
    out.base = pool.mambaRegion.get() + (conv ? l.convOffset : l.ssmOffset);
    out.dtype = conv ? l.spec.convState.dtype : l.spec.ssmState.dtype;
    out.slotStride = conv ? l.convStride : l.ssmStride;
    out.slotBytes = conv ? l.convBytes : l.ssmBytes;
  } else {
    const AttentionLayout &l = pool.attention[index];
    bool k = which == StateTensor::KCache;
    out.base = pool.kvRegion.get() + (k ? l.kOffset : l.vOffset);
    out.dtype = l.spec.dtype;
    out.slotStride = l.stride;
    out.slotBytes = l.bytes;
  }
  out.totalBytes = out.slotStride * pool.maxSlots;
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
    info.num_mamba_layers = static_cast<uint32_t>(pool->mamba.size());
    info.num_attention_layers = static_cast<uint32_t>(pool->attention.size());
    info.mamba_bytes_per_slot = pool->mambaBytesPerSlot;
    info.kv_bytes_per_slot = pool->kvBytesPerSlot;
    info.bytes_per_slot = pool->mambaBytesPerSlot + pool->kvBytesPerSlot;
    info.total_bytes = info.bytes_per_slot * pool->maxSlots;
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

nhc_status_t nhc_state_pool_mamba_state(nhc_state_pool_t *pool, uint32_t slot,
                                        uint32_t layer,
                                        nhc_mamba_state_t *out_state) {
  return guard("nhc_state_pool_mamba_state", [&] {
    NHC_CHECK_ARG(pool, "nhc_state_pool_mamba_state");
    NHC_CHECK_ARG(out_state, "nhc_state_pool_mamba_state");
    *out_state = mambaState(*pool, slot, layer);
  });
}

nhc_status_t nhc_state_pool_kv_cache(nhc_state_pool_t *pool, uint32_t slot,
                                     uint32_t layer,
                                     nhc_kv_cache_t *out_cache) {
  return guard("nhc_state_pool_kv_cache", [&] {
    NHC_CHECK_ARG(pool, "nhc_state_pool_kv_cache");
    NHC_CHECK_ARG(out_cache, "nhc_state_pool_kv_cache");
    *out_cache = kvCache(*pool, slot, layer);
  });
}

} // extern "C"

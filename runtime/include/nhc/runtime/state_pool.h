/*===- nhc/runtime/state_pool.h - Per-sequence recurrent state -*- C -*-===//
 *
 * A state pool holds `max_slots` sequence slots. A slot carries, for every
 * Mamba layer, a conv state and an SSM state, and for every attention layer a
 * K and a V cache of max_seq_len tokens. Memory is host memory allocated once
 * at creation; layout and sizes are in docs/runtime.md.
 *
 * Not thread-safe: calls on one pool must be serialized by the caller.
 *===----------------------------------------------------------------------===*/
#ifndef NHC_RUNTIME_STATE_POOL_H
#define NHC_RUNTIME_STATE_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "nhc/runtime/dtype.h"
#include "nhc/runtime/manifest.h"
#include "nhc/runtime/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nhc_state_pool_t nhc_state_pool_t; /* opaque */

typedef struct nhc_state_pool_info_t {
  uint32_t max_slots;
  uint32_t free_slots;
  uint64_t max_seq_len;
  uint32_t num_mamba_layers;
  uint32_t num_attention_layers;
  uint64_t mamba_bytes_per_slot; /* conv + SSM, all Mamba layers */
  uint64_t kv_bytes_per_slot;    /* K + V, all attention layers */
  uint64_t bytes_per_slot;       /* mamba_bytes_per_slot + kv_bytes_per_slot */
  uint64_t total_bytes;          /* bytes_per_slot * max_slots */
} nhc_state_pool_info_t;

/* One slot's state for one Mamba layer. Row-major, densely packed. The same
 * layer's state for slot s+1 starts *_slot_stride bytes later. */
typedef struct nhc_mamba_state_t {
  void *conv_state; /* [conv_dim, conv_kernel - 1] */
  nhc_dtype_t conv_dtype;
  uint64_t conv_shape[2];
  uint64_t conv_bytes;
  uint64_t conv_slot_stride;
  void *ssm_state; /* [heads, head_dim, state_size] */
  nhc_dtype_t ssm_dtype;
  uint64_t ssm_shape[3];
  uint64_t ssm_bytes;
  uint64_t ssm_slot_stride;
} nhc_mamba_state_t;

/* One slot's KV cache for one attention layer: K and V are each
 * [max_seq_len, num_kv_heads, head_dim], row-major. Only the first seq_len
 * tokens hold data; claiming a slot does not clear the KV cache. */
typedef struct nhc_kv_cache_t {
  void *k;
  void *v;
  nhc_dtype_t dtype;
  uint64_t max_seq_len;
  uint32_t num_kv_heads;
  uint32_t head_dim;
  uint64_t token_stride; /* bytes between consecutive tokens */
  uint64_t bytes;        /* bytes of K (= bytes of V) */
  uint64_t slot_stride;  /* bytes between this layer's K of slot s and s+1 */
} nhc_kv_cache_t;

/* Sizes the pool from the manifest's "state" table and allocates it. Fails
 * with NHC_INVALID_ARGUMENT for max_slots == 0 or above nhc::kMaxSlots
 * (65536), max_seq_len == 0, above nhc::kMaxSequenceLength (2^24) or above
 * the model's max_position_embeddings, or a size that overflows 64 bits;
 * with NHC_OUT_OF_MEMORY when the memory cannot be allocated. Both limits
 * are checked before anything is allocated. The manifest need not outlive
 * the pool. */
NHC_API nhc_status_t nhc_state_pool_create(const nhc_manifest_t *manifest,
                                           uint32_t max_slots,
                                           uint64_t max_seq_len,
                                           nhc_state_pool_t **out_pool);

/* Frees the pool and all its slots. NULL is allowed. */
NHC_API void nhc_state_pool_release(nhc_state_pool_t *pool);

NHC_API nhc_status_t nhc_state_pool_get_info(const nhc_state_pool_t *pool,
                                             nhc_state_pool_info_t *out_info);

/* Claims the lowest free slot: zeroes its conv and SSM states and sets its
 * sequence length to 0. NHC_RESOURCE_EXHAUSTED when all slots are claimed. */
NHC_API nhc_status_t nhc_state_pool_claim_slot(nhc_state_pool_t *pool,
                                               uint32_t *out_slot);

/* Returns a claimed slot to the pool. Unknown ids are NHC_INVALID_ARGUMENT,
 * unclaimed ones (double release) NHC_FAILED_PRECONDITION. */
NHC_API nhc_status_t nhc_state_pool_release_slot(nhc_state_pool_t *pool,
                                                 uint32_t slot);

/* Adds n_tokens to a claimed slot's sequence length. Fails with
 * NHC_OUT_OF_RANGE, changing nothing, if the result would exceed
 * max_seq_len. */
NHC_API nhc_status_t nhc_state_pool_advance_slot(nhc_state_pool_t *pool,
                                                 uint32_t slot,
                                                 uint64_t n_tokens);

NHC_API nhc_status_t nhc_state_pool_slot_seq_len(const nhc_state_pool_t *pool,
                                                 uint32_t slot,
                                                 uint64_t *out_seq_len);

/* State of a claimed slot for model layer `layer`; NHC_NOT_FOUND if the
 * layer is not a Mamba layer (resp. attention layer). */
NHC_API nhc_status_t nhc_state_pool_mamba_state(nhc_state_pool_t *pool,
                                                uint32_t slot, uint32_t layer,
                                                nhc_mamba_state_t *out_state);
NHC_API nhc_status_t nhc_state_pool_kv_cache(nhc_state_pool_t *pool,
                                             uint32_t slot, uint32_t layer,
                                             nhc_kv_cache_t *out_cache);

/* State blobs: one slot's whole state (every Mamba layer's conv and SSM
 * state, the first seq_len tokens of every attention layer's K and V, and
 * seq_len) as bytes, to park a conversation and resume it later without
 * re-reading its prompt. The format is versioned and checksummed and names
 * the model (an id from the manifest's config hash and the layout of every
 * state tensor); docs/runtime.md, "State blobs", has the bytes.
 *
 * nhc_state_pool_save_slot: serializes claimed `slot`. *out_size receives
 * the blob's size; with out == NULL nothing else happens (ask for the size
 * first), else the blob is copied to `out` (NHC_INVALID_ARGUMENT if
 * `capacity` is smaller). NHC_INVALID_ARGUMENT / NHC_FAILED_PRECONDITION for
 * an unknown / unclaimed slot.
 *
 * nhc_state_pool_restore_slot: claims a free slot and fills it from `blob`
 * (`size` bytes); *out_slot receives the slot. The blob is checked
 * completely first; on any problem no slot is claimed and nothing changes:
 * NHC_INVALID_FORMAT (bad magic, checksum, truncated, trailing bytes),
 * NHC_UNSUPPORTED_VERSION, NHC_MISMATCH (another model, or tensors that do
 * not match), NHC_OUT_OF_RANGE (more tokens than max_seq_len),
 * NHC_RESOURCE_EXHAUSTED (no free slot). */
/* The first 8 bytes of every state blob. */
#define NHC_STATE_BLOB_MAGIC "NHCSTATE"
#define NHC_STATE_BLOB_MAGIC_SIZE 8

NHC_API nhc_status_t nhc_state_pool_save_slot(nhc_state_pool_t *pool,
                                              uint32_t slot, void *out,
                                              size_t capacity,
                                              size_t *out_size);
NHC_API nhc_status_t nhc_state_pool_restore_slot(nhc_state_pool_t *pool,
                                                 const void *blob, size_t size,
                                                 uint32_t *out_slot);
/* The number of tokens a blob holds (to size a session for it), after
 * checking its magic, version and checksum (errors as above). */
NHC_API nhc_status_t nhc_state_blob_seq_len(const void *blob, size_t size,
                                            uint64_t *out_seq_len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_STATE_POOL_H */

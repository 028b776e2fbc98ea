/*===- nhc/runtime/state_pool.h - Per-sequence recurrent state -*- C -*-===//
 *
 * A state pool holds `max_slots` sequence slots. A slot (one request) owns
 * one copy of every state tensor the manifest's "state" list names (e.g. a
 * Mamba layer's conv and SSM state, an attention layer's K and V cache); the
 * runtime gives the names no meaning. A sequence tensor (first dimension
 * "max_seq_len" in the manifest) has one row per token position, max_seq_len
 * rows per slot. The memory is allocated once at creation: host memory for
 * a pool from nhc_state_pool_create; for a session's pool, memory its
 * backend owns (device memory for a GPU backend). Layout and sizes are in
 * docs/runtime.md.
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

/* Sizes in bytes. The per-slot figures sum each tensor's slot stride: its
 * bytes, rounded up to a multiple of 64 in a pool from
 * nhc_state_pool_create (a session's pool is dense). */
typedef struct nhc_state_pool_info_t {
  uint32_t max_slots;
  uint32_t free_slots;
  uint64_t max_seq_len;
  uint32_t num_tensors;             /* entries of the manifest's "state" */
  uint64_t fixed_bytes_per_slot;    /* tensors without a sequence dimension */
  uint64_t sequence_bytes_per_slot; /* sequence tensors, max_seq_len rows */
  uint64_t bytes_per_slot; /* fixed_bytes_per_slot + sequence_bytes_per_slot */
  uint64_t total_bytes;    /* bytes_per_slot * max_slots, plus a session's
                              hidden padding slot where its backend pads
                              decode steps (runtime.md, CUDA graphs) */
} nhc_state_pool_info_t;

/* One state tensor of the pool (NHC_MAX_STATE_RANK is in manifest.h). Each
 * slot holds it row-major and densely packed in `bytes` bytes; the same
 * tensor of slot s+1 starts `slot_stride` bytes later. */
typedef struct nhc_state_tensor_info_t {
  const char *name; /* the manifest's; valid while the pool lives */
  uint32_t layer;   /* the decoder layer that owns it */
  nhc_dtype_t dtype;
  uint32_t rank; /* 1 .. NHC_MAX_STATE_RANK */
  /* One slot's tensor; shape[0] = the pool's max_seq_len for a sequence
   * tensor. Entries past `rank` are 0. */
  uint64_t shape[NHC_MAX_STATE_RANK];
  int32_t per_token;     /* 1 for a sequence tensor, else 0 */
  uint64_t bytes;        /* one slot's tensor: product(shape) * dtype size */
  uint64_t token_stride; /* sequence tensors: bytes per row (token); else 0 */
  uint64_t slot_stride;  /* bytes between slot s and s+1 (>= bytes) */
} nhc_state_tensor_info_t;

/* Sizes the pool from the manifest's "state" table and allocates it. Fails
 * with NHC_INVALID_ARGUMENT for max_slots == 0 or above nhc::kMaxSlots
 * (65536), max_seq_len == 0 or above nhc::kMaxSequenceLength (2^24), or a
 * size that overflows 64 bits (max_seq_len may exceed the model's
 * max_position_embeddings: Nemotron-H has no position encoding);
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

/* Claims the lowest free slot: zeroes its tensors without a sequence
 * dimension and sets its sequence length to 0. Sequence tensors (KV caches)
 * are not cleared: only their first seq_len rows hold data, and kernels
 * mask by length. NHC_RESOURCE_EXHAUSTED when all slots are claimed. */
NHC_API nhc_status_t nhc_state_pool_claim_slot(nhc_state_pool_t *pool,
                                               uint32_t *out_slot);

/* Returns a claimed slot to the pool. Unknown ids are NHC_INVALID_ARGUMENT,
 * unclaimed ones (double release) NHC_FAILED_PRECONDITION. */
NHC_API nhc_status_t nhc_state_pool_release_slot(nhc_state_pool_t *pool,
                                                 uint32_t slot);

/* Adds n_tokens to a claimed slot's sequence length. Fails with
 * NHC_OUT_OF_RANGE, changing nothing, if the result would exceed
 * max_seq_len; NHC_FAILED_PRECONDITION for a slot whose state a failed
 * session step lost. */
NHC_API nhc_status_t nhc_state_pool_advance_slot(nhc_state_pool_t *pool,
                                                 uint32_t slot,
                                                 uint64_t n_tokens);

NHC_API nhc_status_t nhc_state_pool_slot_seq_len(const nhc_state_pool_t *pool,
                                                 uint32_t slot,
                                                 uint64_t *out_seq_len);

/* The pool's state tensors, in the manifest's order (0 for a NULL pool). */
NHC_API uint32_t nhc_state_pool_tensor_count(const nhc_state_pool_t *pool);

/* Describes tensor `index` (< nhc_state_pool_tensor_count).
 * NHC_INVALID_ARGUMENT for a NULL argument or an index out of range. */
NHC_API nhc_status_t nhc_state_pool_tensor_info(const nhc_state_pool_t *pool,
                                                uint32_t index,
                                                nhc_state_tensor_info_t *out);

/* The index of the tensor called `name`; NHC_NOT_FOUND if the manifest names
 * no such state tensor, NHC_INVALID_ARGUMENT for a NULL argument. */
NHC_API nhc_status_t nhc_state_pool_find_tensor(const nhc_state_pool_t *pool,
                                                const char *name,
                                                uint32_t *out_index);

/* Claimed `slot`'s copy of tensor `index` (info.bytes bytes, 64-byte
 * aligned for a pool from nhc_state_pool_create). NHC_INVALID_ARGUMENT for
 * an unknown slot or index, NHC_FAILED_PRECONDITION for an unclaimed slot
 * or one whose state a failed session step lost (session.h),
 * NHC_UNSUPPORTED when the pool's memory is not host memory (a GPU
 * backend's session; nhc_state_pool_save_slot copies any pool's state). */
NHC_API nhc_status_t nhc_state_pool_tensor_data(nhc_state_pool_t *pool,
                                                uint32_t slot, uint32_t index,
                                                void **out_data);

/* State blobs: one slot's whole state (every state tensor, of a sequence
 * tensor its first seq_len rows, and seq_len) as bytes, to park a
 * conversation and resume it later without re-reading its prompt. The
 * format is versioned and checksummed, names every tensor, and names the
 * model (an id from the manifest's config hash and the name, dtype and shape
 * of every state tensor); docs/runtime.md, "State blobs", has the bytes.
 *
 * nhc_state_pool_save_slot: serializes claimed `slot`. *out_size receives
 * the blob's size; with out == NULL nothing else happens (ask for the size
 * first), else the blob is copied to `out` (NHC_INVALID_ARGUMENT if
 * `capacity` is smaller). NHC_INVALID_ARGUMENT / NHC_FAILED_PRECONDITION for
 * an unknown / unclaimed slot, NHC_FAILED_PRECONDITION for one whose state
 * a failed session step lost (session.h).
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
/* Claims a free slot holding a copy of claimed `slot`'s state (every
 * state tensor, of a sequence tensor its first seq_len rows) and seq_len:
 * a second request continuing from the same tokens (n completions of one
 * prompt) without reading them again. The copy stays in the pool's memory
 * (a GPU backend's: a device-to-device copy). *out_slot receives the new
 * slot. NHC_INVALID_ARGUMENT / NHC_FAILED_PRECONDITION for an unknown /
 * unclaimed `slot` or one whose state a failed session step lost,
 * NHC_RESOURCE_EXHAUSTED when no slot is free; on any
 * error no slot is claimed and nothing changes. */
NHC_API nhc_status_t nhc_state_pool_fork_slot(nhc_state_pool_t *pool,
                                              uint32_t slot,
                                              uint32_t *out_slot);
/* The number of tokens a blob holds (to size a session for it), after
 * checking its magic, version and checksum (errors as above). */
NHC_API nhc_status_t nhc_state_blob_seq_len(const void *blob, size_t size,
                                            uint64_t *out_seq_len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_STATE_POOL_H */

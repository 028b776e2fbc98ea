/*===- nhc/runtime/manifest.h - Parsed artifact manifest -*- C -*-===//
 *
 * The manifest is the JSON section of an artifact (schema in
 * docs/artifact-format.md). It is validated once, when parsed; the weights
 * binder and the state pool read the validated form through this handle.
 *===----------------------------------------------------------------------===*/
#ifndef NHC_RUNTIME_MANIFEST_H
#define NHC_RUNTIME_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "nhc/runtime/dtype.h"
#include "nhc/runtime/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nhc_manifest_t nhc_manifest_t; /* opaque, immutable */

#define NHC_MANIFEST_FORMAT "nhc-manifest"
#define NHC_MANIFEST_VERSION 1

typedef struct nhc_model_info_t {
  uint64_t hidden_size;
  uint64_t vocab_size;
  uint32_t num_layers;
  nhc_dtype_t dtype;
  uint64_t max_position_embeddings;
  uint32_t num_state_tensors; /* entries in "state" */
} nhc_model_info_t;

/* The largest rank of a state tensor. */
#define NHC_MAX_STATE_RANK 4

/* One entry of the manifest's "state" list: a tensor that every request
 * (state pool slot) owns, e.g. a layer's conv state, SSM state or K cache.
 * A sequence tensor has "max_seq_len" as its first dimension in the
 * manifest: one row per token position, as many as the pool's max_seq_len.
 * The runtime gives the names no meaning beyond identity; schedules pass a
 * tensor to kernels by name ({"state": NAME}). */
typedef struct nhc_state_tensor_desc_t {
  const char *name;  /* unique, non-empty, e.g. "layers.0.conv_state" */
  uint32_t layer;    /* the decoder layer that owns it (< num_layers) */
  nhc_dtype_t dtype; /* F32, BF16 or F16 */
  uint32_t rank;     /* 1 .. NHC_MAX_STATE_RANK */
  /* One request's tensor, row-major; shape[0] is 0 for a sequence tensor
   * (the pool's max_seq_len). Entries past `rank` are 0. */
  uint64_t shape[NHC_MAX_STATE_RANK];
  int32_t per_token; /* 1 for a sequence tensor, else 0 */
} nhc_state_tensor_desc_t;

/* Parses and validates manifest JSON text (`size` bytes, no NUL needed).
 * `source` names where the text came from and prefixes every error message
 * (may be NULL). The caller owns *out_manifest: nhc_manifest_release(). */
NHC_API nhc_status_t nhc_manifest_parse(const char *json, size_t size,
                                        const char *source,
                                        nhc_manifest_t **out_manifest);

/* Releases a manifest from nhc_manifest_parse(). A manifest borrowed from an
 * artifact (nhc_artifact_manifest) is owned by the artifact: releasing it
 * here is a no-op. NULL is allowed. */
NHC_API void nhc_manifest_release(nhc_manifest_t *manifest);

NHC_API nhc_status_t nhc_manifest_model_info(const nhc_manifest_t *manifest,
                                             nhc_model_info_t *out_info);

/* Entries of the "weights" table, in manifest order. */
NHC_API size_t nhc_manifest_weight_count(const nhc_manifest_t *manifest);
NHC_API nhc_status_t nhc_manifest_weight_at(const nhc_manifest_t *manifest,
                                            size_t index,
                                            nhc_tensor_desc_t *out_desc);

/* Entries of the "state" list, in manifest order (the order of a state
 * pool's tensors and of a state blob's). nhc_manifest_state_tensor_at fails
 * with NHC_INVALID_ARGUMENT for a NULL argument or an index out of range;
 * the name stays valid while the manifest lives. */
NHC_API size_t nhc_manifest_state_tensor_count(const nhc_manifest_t *manifest);
NHC_API nhc_status_t
nhc_manifest_state_tensor_at(const nhc_manifest_t *manifest, size_t index,
                             nhc_state_tensor_desc_t *out_desc);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_MANIFEST_H */

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
  uint32_t num_mamba_layers;     /* entries in state.mamba_layers */
  uint32_t num_attention_layers; /* entries in state.attention_layers */
} nhc_model_info_t;

/* Which recurrent state a layer carries between steps. */
typedef enum nhc_layer_state_kind_t {
  NHC_LAYER_STATELESS = 0, /* MLP, MoE, or not listed in "state" */
  NHC_LAYER_MAMBA = 1,     /* conv state + SSM state */
  NHC_LAYER_ATTENTION = 2  /* KV cache */
} nhc_layer_state_kind_t;

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

/* NHC_LAYER_STATELESS for layers >= num_layers too. */
NHC_API nhc_layer_state_kind_t
nhc_manifest_layer_state_kind(const nhc_manifest_t *manifest, uint32_t layer);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_MANIFEST_H */

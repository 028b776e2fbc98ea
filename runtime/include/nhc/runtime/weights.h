/*===- nhc/runtime/weights.h - Safetensors checkpoints and binding -*- C -*-===//
 *
 * nhc_weights_open() memory-maps a checkpoint (one .safetensors file, a
 * directory with model.safetensors, or a sharded directory with
 * model.safetensors.index.json, read as transformers reads it: for its list
 * of shards, every tensor of each read, a later shard's winning a name two
 * hold; see docs/runtime.md) and validates every header. Tensor data is
 * not copied: pointers point into the read-only mappings, except for F64
 * tensors, read once into F32 memory the handle owns (nhc_weights_open).
 *
 * The files must therefore not be truncated or rewritten in place while the
 * handle (or a session using it) exists: a mapping shows the file as it is
 * now, and reading a page past a truncated end raises SIGBUS. Replacing a
 * file (writing a new one and renaming it over the old) is safe. As a cheap
 * guard, nhc_weights_bind() and nhc_session_create() fail with NHC_IO_ERROR
 * when a file still in place has changed size since it was opened; a
 * change after that point is not detected.
 *
 * nhc_weights_bind() checks the checkpoint against an artifact's manifest:
 * every tensor the artifact needs must exist, under its name or one of the
 * manifest's alternatives (a tied lm_head reads the embeddings; expert e may
 * be slice e of a stacked [E, ...] tensor), with exactly the shape. The
 * manifest's dtype is the one the computation reads: a float one (F32, BF16,
 * F16) binds a tensor stored in any of those three or F64 (converted when a
 * session is created; F64 to F32 when the checkpoint is opened); FP8 must be stored as FP8. FP8 scales must be positive,
 * normal and at most sqrt(FLT_MAX) / 448; float vectors (rank 0 or 1: norms,
 * biases, A_log, D, dt_bias, router bias) and weights the manifest marks
 * "finite" (the MoE router's gate) must be finite (NHC_INVALID_FORMAT naming
 * the element). Extra checkpoint tensors are allowed (reported as a
 * note).
 *===----------------------------------------------------------------------===*/
#ifndef NHC_RUNTIME_WEIGHTS_H
#define NHC_RUNTIME_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "nhc/runtime/dtype.h"
#include "nhc/runtime/manifest.h"
#include "nhc/runtime/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nhc_weights_t nhc_weights_t; /* opaque */

/* One checkpoint tensor. All pointers are owned by the weights handle and
 * stay valid until nhc_weights_release(). `data` is not necessarily aligned
 * beyond what the safetensors writer chose (usually 8 bytes). */
typedef struct nhc_tensor_info_t {
  nhc_tensor_desc_t desc;
  const void *data;   /* read-only mapping */
  uint64_t byte_size; /* product(shape) * dtype size */
  const char *file;   /* the .safetensors file holding it */
} nhc_tensor_info_t;

/* Opens `path`: a .safetensors file, a model.safetensors.index.json file, or
 * a directory holding model.safetensors or model.safetensors.index.json. The
 * caller owns *out_weights: nhc_weights_release(). F64 tensors are read as
 * F32 here (rounded to nearest, ties to even; infinite past f32's range), as
 * transformers casts them: every call below reports them as F32 in memory
 * the handle owns (NHC_OUT_OF_MEMORY when it cannot be allocated). */
NHC_API nhc_status_t nhc_weights_open(const char *path,
                                      nhc_weights_t **out_weights);

/* Seeded random weights for every tensor `manifest` names, under its own
 * name and shape, so real shapes run without a download (benchmarks, tests).
 * Float tensors are stored as `storage` (NHC_DTYPE_F32, _BF16 or _F16;
 * NHC_DTYPE_INVALID: the manifest's dtype), FP8 ones as e4m3 (times a fixed
 * weight_scale). Values (runtime/src/synthetic_weights.h): norm weights and
 * D 1, A_log log(1 + i mod 16), dt_bias -2, FP8 scales fixed, everything
 * else about N(0, 0.02) (a sum of four uniform 16-bit fields), each element
 * a function of (seed, the weight's manifest index, its index), so the same
 * on every machine and thread count. A weight the manifest lets read
 * another weight (a tied lm_head: the embeddings) is not made; it binds to
 * that one. Nothing is generated until a tensor's data is wanted:
 * nhc_weights_tensor_at / _find / _bound_at and a host session generate it
 * in host memory (held until release; NHC_OUT_OF_MEMORY if it cannot be
 * allocated); a cuda session generates the F32 or BF16 matrices it reads
 * only as matrices on the device, unless host memory already holds them.
 * Calls may come from several threads. Errors: NHC_INVALID_ARGUMENT
 * (storage, a shape of more than 2^64 bytes), NHC_UNSUPPORTED (a weight of
 * another dtype). The caller owns *out_weights: nhc_weights_release(). */
NHC_API nhc_status_t nhc_weights_synthetic(const nhc_manifest_t *manifest,
                                           uint64_t seed, nhc_dtype_t storage,
                                           nhc_weights_t **out_weights);

/* Unmaps all files. NULL is allowed. */
NHC_API void nhc_weights_release(nhc_weights_t *weights);

/* All checkpoint tensors, sorted by name. A tensor of a dtype safetensors
 * defines but nhc reads nowhere (F4, F6_E2M3, F6_E3M2, C64, F8_E4M3FNUZ,
 * F8_E5M2FNUZ) has desc.dtype NHC_DTYPE_INVALID; binding refuses it. */
NHC_API size_t nhc_weights_tensor_count(const nhc_weights_t *weights);
NHC_API nhc_status_t nhc_weights_tensor_at(const nhc_weights_t *weights,
                                           size_t index,
                                           nhc_tensor_info_t *out_info);

/* Any checkpoint tensor by name; NHC_NOT_FOUND if absent. */
NHC_API nhc_status_t nhc_weights_find(const nhc_weights_t *weights,
                                      const char *name,
                                      nhc_tensor_info_t *out_info);

/* Checks every entry of the manifest's "weights" table. On success the
 * binding replaces any earlier one; on failure the handle is unchanged and
 * nhc_last_error() describes the first problem (tensor, file, expected vs
 * found) and how many more there are. The manifest need not outlive the
 * weights handle. */
NHC_API nhc_status_t nhc_weights_bind(nhc_weights_t *weights,
                                      const nhc_manifest_t *manifest);

/* Notes of the last successful nhc_weights_bind(): warnings (a checkpoint
 * lm_head.weight that differs from the embeddings the config ties it to; an
 * index that disagrees with its shards, a tensor two shards hold apart) and
 * information (checkpoint tensors the artifact ignores). */
typedef enum nhc_note_kind_t {
  NHC_NOTE_WARNING = 0,
  NHC_NOTE_INFO = 1
} nhc_note_kind_t;
NHC_API size_t nhc_weights_note_count(const nhc_weights_t *weights);
/* The note's text, owned by the handle (valid until the next bind or
 * release), and its kind in *out_kind (may be NULL); NULL when `index` is out
 * of range. */
NHC_API const char *nhc_weights_note_at(const nhc_weights_t *weights,
                                        size_t index,
                                        nhc_note_kind_t *out_kind);

/* Bound tensors, indexed like the manifest's "weights" table. 0 / an error
 * (NHC_FAILED_PRECONDITION) before a successful bind. */
NHC_API size_t nhc_weights_bound_count(const nhc_weights_t *weights);
/* `desc.name` is the checkpoint tensor bound (an alternative's name when
 * one was used), `desc.shape` and `data`/`byte_size` the part of it that
 * feeds the weight (one expert of a stacked tensor), `desc.dtype` its
 * stored dtype. */
NHC_API nhc_status_t nhc_weights_bound_at(const nhc_weights_t *weights,
                                          size_t manifest_index,
                                          nhc_tensor_info_t *out_info);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_WEIGHTS_H */

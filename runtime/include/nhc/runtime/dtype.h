/*===- nhc/runtime/dtype.h - Element types (safetensors spellings) -*- C -*-===//
 *
 * Element types as spelled in safetensors headers and in the artifact
 * manifest. Only byte-sized (or larger) types are supported; sub-byte types
 * (F4, F6_*) are rejected with a clear error.
 *===----------------------------------------------------------------------===*/
#ifndef NHC_RUNTIME_DTYPE_H
#define NHC_RUNTIME_DTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "nhc/runtime/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum nhc_dtype_t {
  NHC_DTYPE_INVALID = 0,
  NHC_DTYPE_BOOL,
  NHC_DTYPE_U8,
  NHC_DTYPE_I8,
  NHC_DTYPE_F8_E4M3, /* "F8_E4M3" (e4m3fn) */
  NHC_DTYPE_F8_E5M2,
  NHC_DTYPE_F8_E8M0,
  NHC_DTYPE_U16,
  NHC_DTYPE_I16,
  NHC_DTYPE_F16,
  NHC_DTYPE_BF16,
  NHC_DTYPE_U32,
  NHC_DTYPE_I32,
  NHC_DTYPE_F32,
  NHC_DTYPE_U64,
  NHC_DTYPE_I64,
  NHC_DTYPE_F64
} nhc_dtype_t;

/* Largest tensor rank the runtime handles (checkpoints use <= 3). */
#define NHC_MAX_RANK 8

/* Parses a safetensors dtype string ("BF16"); NHC_DTYPE_INVALID if unknown. */
NHC_API nhc_dtype_t nhc_dtype_from_string(const char *name);

/* The safetensors spelling ("BF16"), or "INVALID". */
NHC_API const char *nhc_dtype_name(nhc_dtype_t dtype);

/* Bytes per element; 0 for NHC_DTYPE_INVALID. */
NHC_API size_t nhc_dtype_size(nhc_dtype_t dtype);

/* FP8 e4m3fn (modelopt per-tensor static FP8, docs/fp8.md): the exact f32
 * value of a byte (NaN for 0x7f/0xff), and sat_e4m3(x / scale) as a byte:
 * true f32 division, saturated to +-448, rounded to nearest with ties to
 * even, subnormals kept (torch's clamp(...).to(float8_e4m3fn)). */
NHC_API float nhc_e4m3_to_f32(uint8_t bits);
NHC_API uint8_t nhc_f32_to_e4m3(float x, float scale);

/* Widens `count` elements of F32, BF16, F16 or F8_E4M3 data at `src` (any
 * alignment) to f32, exactly. NHC_UNSUPPORTED for other dtypes. */
NHC_API nhc_status_t nhc_dtype_widen(nhc_dtype_t dtype, const void *src,
                                     size_t count, float *dst);

/* A tensor's name, element type and shape. */
typedef struct nhc_tensor_desc_t {
  const char *name; /* owned by the handle it came from */
  nhc_dtype_t dtype;
  uint32_t rank;
  uint64_t shape[NHC_MAX_RANK]; /* entries past `rank` are 0 */
} nhc_tensor_desc_t;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_DTYPE_H */

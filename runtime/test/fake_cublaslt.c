/*===- fake_cublaslt.c - A test double of cuBLASLt ------------------------===*
 *
 * Loaded by the runtime's dlopen seam (NHC_CUBLASLT=<this .so>) in place of
 * libcublasLt, next to fake_cuda_driver.c (device memory is host memory).
 * It runs the subset the CUDA backend uses: D = alpha * op(A) op(B) +
 * beta * C (+ bias per row of D), column-major, A/B in f32 or bf16 (the
 * same type), C/D f32, f32 compute, transposes N/T, epilogue DEFAULT or
 * BIAS. Anything else is CUBLAS_STATUS_NOT_SUPPORTED at the heuristic, as
 * cuBLASLt refuses what it has no kernel for.
 *===----------------------------------------------------------------------===*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* cublasLt.h's types by their ABI, spelled as the runtime's cublaslt_api.h
 * spells them (UBSan checks the function types of calls). */
struct cublasLtContext {
  int magic;
};
typedef struct { uint64_t data[32]; } cublasLtMatmulDescOpaque_t;
typedef struct { uint64_t data[8]; } cublasLtMatrixLayoutOpaque_t;
typedef struct { uint64_t data[8]; } cublasLtMatmulPreferenceOpaque_t;
typedef struct { uint64_t data[8]; } cublasLtMatmulAlgo_t;
typedef struct {
  cublasLtMatmulAlgo_t algo;
  size_t workspaceSize;
  int state;
  float wavesCount;
  int reserved[4];
} cublasLtMatmulHeuristicResult_t;
typedef int cublasStatus_t;
struct CUstream_st;

enum { SUCCESS = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 7, NOT_SUPPORTED = 15 };
enum { R_32F = 0, R_16BF = 14, COMPUTE_32F = 68 };
enum { DESC_TRANSA = 3, DESC_TRANSB = 4, DESC_EPILOGUE = 7, DESC_BIAS_POINTER = 8,
       DESC_BIAS_DATA_TYPE = 26 };
enum { EPILOGUE_DEFAULT = 1, EPILOGUE_BIAS = 4 };
enum { PREF_MAX_WORKSPACE_BYTES = 1 };
#define MAGIC 0x6e6863

/* What the descriptors hold, in their opaque storage. */
struct Desc {
  int compute, scale, transA, transB, biasType;
  uint32_t epilogue;
  const void *bias;
};
struct Layout {
  int type;
  uint64_t rows, cols;
  int64_t ld;
};

static long matmuls;

cublasStatus_t cublasLtCreate(struct cublasLtContext **handle) {
  *handle = (struct cublasLtContext *)malloc(sizeof(struct cublasLtContext));
  (*handle)->magic = MAGIC;
  return SUCCESS;
}
cublasStatus_t cublasLtDestroy(struct cublasLtContext *handle) {
  if (!handle || handle->magic != MAGIC)
    return NOT_INITIALIZED;
  handle->magic = 0;
  free(handle);
  return SUCCESS;
}
size_t cublasLtGetVersion(void) { return 130000; }

cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDescOpaque_t **desc,
                                        int compute, int scale) {
  *desc = (cublasLtMatmulDescOpaque_t *)calloc(1, sizeof(**desc));
  struct Desc *d = (struct Desc *)(*desc)->data;
  d->compute = compute;
  d->scale = scale;
  d->epilogue = EPILOGUE_DEFAULT;
  d->biasType = -1;
  return SUCCESS;
}
cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDescOpaque_t *desc) {
  free(desc);
  return SUCCESS;
}
cublasStatus_t cublasLtMatmulDescSetAttribute(cublasLtMatmulDescOpaque_t *desc,
                                              int attribute, const void *value,
                                              size_t bytes) {
  struct Desc *d = (struct Desc *)desc->data;
  switch (attribute) {
  case DESC_TRANSA:
  case DESC_TRANSB:
  case DESC_BIAS_DATA_TYPE:
    if (bytes != 4)
      return INVALID_VALUE;
    memcpy(attribute == DESC_TRANSA   ? &d->transA
           : attribute == DESC_TRANSB ? &d->transB
                                      : &d->biasType,
           value, 4);
    return SUCCESS;
  case DESC_EPILOGUE:
    if (bytes != 4)
      return INVALID_VALUE;
    memcpy(&d->epilogue, value, 4);
    return SUCCESS;
  case DESC_BIAS_POINTER:
    if (bytes != sizeof(void *))
      return INVALID_VALUE;
    memcpy(&d->bias, value, sizeof(void *));
    return SUCCESS;
  default:
    return INVALID_VALUE;
  }
}
cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayoutOpaque_t **layout,
                                          int type, uint64_t rows,
                                          uint64_t cols, int64_t ld) {
  if (ld < (int64_t)rows || ld < 1)
    return INVALID_VALUE; /* column-major: ld >= rows */
  *layout = (cublasLtMatrixLayoutOpaque_t *)calloc(1, sizeof(**layout));
  struct Layout *l = (struct Layout *)(*layout)->data;
  l->type = type;
  l->rows = rows;
  l->cols = cols;
  l->ld = ld;
  return SUCCESS;
}
cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayoutOpaque_t *layout) {
  free(layout);
  return SUCCESS;
}
cublasStatus_t
cublasLtMatmulPreferenceCreate(cublasLtMatmulPreferenceOpaque_t **preference) {
  *preference = (cublasLtMatmulPreferenceOpaque_t *)calloc(1, sizeof(**preference));
  return SUCCESS;
}
cublasStatus_t
cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreferenceOpaque_t *preference) {
  free(preference);
  return SUCCESS;
}
cublasStatus_t
cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreferenceOpaque_t *preference,
                                     int attribute, const void *value,
                                     size_t bytes) {
  if (attribute != PREF_MAX_WORKSPACE_BYTES || bytes != 8)
    return INVALID_VALUE;
  memcpy(&preference->data[0], value, 8);
  return SUCCESS;
}

static const struct Layout *layoutOf(const cublasLtMatrixLayoutOpaque_t *l) {
  return (const struct Layout *)l->data;
}

/* Whether the operation is one this double (and the backend) does. */
static int supported(const struct Desc *d, const struct Layout *a,
                     const struct Layout *b, const struct Layout *c,
                     const struct Layout *dl) {
  uint64_t m = d->transA ? a->cols : a->rows, k = d->transA ? a->rows : a->cols;
  uint64_t kb = d->transB ? b->cols : b->rows, n = d->transB ? b->rows : b->cols;
  if (d->compute != COMPUTE_32F || d->scale != R_32F)
    return 0;
  if (a->type != b->type || (a->type != R_32F && a->type != R_16BF))
    return 0;
  if (c->type != R_32F || dl->type != R_32F || k != kb)
    return 0;
  if (c->rows != m || c->cols != n || dl->rows != m || dl->cols != n)
    return 0;
  if (d->epilogue != EPILOGUE_DEFAULT && d->epilogue != EPILOGUE_BIAS)
    return 0;
  return d->epilogue != EPILOGUE_BIAS || d->biasType == R_32F;
}

cublasStatus_t cublasLtMatmulAlgoGetHeuristic(
    struct cublasLtContext *handle, cublasLtMatmulDescOpaque_t *desc,
    cublasLtMatrixLayoutOpaque_t *a, cublasLtMatrixLayoutOpaque_t *b,
    cublasLtMatrixLayoutOpaque_t *c, cublasLtMatrixLayoutOpaque_t *d,
    cublasLtMatmulPreferenceOpaque_t *preference, int requested,
    cublasLtMatmulHeuristicResult_t *results, int *returned) {
  (void)preference;
  if (!handle || handle->magic != MAGIC)
    return NOT_INITIALIZED;
  if (requested < 1)
    return INVALID_VALUE;
  if (!supported((const struct Desc *)desc->data, layoutOf(a), layoutOf(b),
                 layoutOf(c), layoutOf(d)))
    return NOT_SUPPORTED;
  memset(&results[0], 0, sizeof(results[0]));
  results[0].algo.data[0] = MAGIC;
  results[0].wavesCount = 1.0f;
  *returned = 1;
  return SUCCESS;
}

static float element(const void *base, int type, uint64_t at) {
  if (type == R_32F)
    return ((const float *)base)[at];
  uint32_t bits = (uint32_t)((const uint16_t *)base)[at] << 16;
  float v;
  memcpy(&v, &bits, 4);
  return v;
}

cublasStatus_t cublasLtMatmul(
    struct cublasLtContext *handle, cublasLtMatmulDescOpaque_t *desc,
    const void *alpha, const void *a, cublasLtMatrixLayoutOpaque_t *aLayout,
    const void *b, cublasLtMatrixLayoutOpaque_t *bLayout, const void *beta,
    const void *c, cublasLtMatrixLayoutOpaque_t *cLayout, void *d,
    cublasLtMatrixLayoutOpaque_t *dLayout, const cublasLtMatmulAlgo_t *algo,
    void *workspace, size_t workspaceBytes, struct CUstream_st *stream) {
  (void)workspace; (void)workspaceBytes; (void)stream;
  const struct Desc *op = (const struct Desc *)desc->data;
  const struct Layout *la = layoutOf(aLayout), *lb = layoutOf(bLayout),
                      *lc = layoutOf(cLayout), *ld = layoutOf(dLayout);
  if (!handle || handle->magic != MAGIC)
    return NOT_INITIALIZED;
  if (!algo || algo->data[0] != MAGIC || !supported(op, la, lb, lc, ld))
    return INVALID_VALUE;
  float al, be;
  memcpy(&al, alpha, 4);
  memcpy(&be, beta, 4);
  uint64_t m = ld->rows, n = ld->cols, k = op->transA ? la->rows : la->cols;
  const float *bias = op->epilogue == EPILOGUE_BIAS ? (const float *)op->bias : NULL;
  for (uint64_t j = 0; j < n; ++j)
    for (uint64_t i = 0; i < m; ++i) {
      float sum = 0.0f;
      for (uint64_t p = 0; p < k; ++p) {
        uint64_t ai = op->transA ? p + i * (uint64_t)la->ld : i + p * (uint64_t)la->ld;
        uint64_t bi = op->transB ? j + p * (uint64_t)lb->ld : p + j * (uint64_t)lb->ld;
        sum += element(a, la->type, ai) * element(b, lb->type, bi);
      }
      float v = al * sum;
      if (be != 0.0f)
        v += be * ((const float *)c)[i + j * (uint64_t)lc->ld];
      if (bias)
        v += bias[i];
      ((float *)d)[i + j * (uint64_t)ld->ld] = v;
    }
  ++matmuls;
  return SUCCESS;
}

/* For tests: products computed so far. */
long nhc_fake_cublaslt_matmuls(void) { return matmuls; }

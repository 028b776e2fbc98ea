/*===- fake_cublaslt.c - A test double of cuBLASLt ------------------------===*
 *
 * Loaded by the runtime's dlopen seam (NHC_CUBLASLT=<this .so>) in place of
 * libcublasLt, next to fake_cuda_driver.c (device memory is host memory).
 * It runs the subset the CUDA backend uses: D = alpha * op(A) op(B) +
 * beta * C (+ bias per row of D), column-major, A/B in f32, bf16 or e4m3
 * (the same type), C/D f32, f32 compute, transposes N/T, epilogue DEFAULT
 * or BIAS. e4m3 follows cuBLASLt's FP8 rules: sm_89 or newer
 * (NHC_FAKE_CUDA_SM, as the driver double reads it), A transposed and B
 * not ("TN"), A's and B's leading dimensions multiples of 16 elements, C's
 * and D's of 16 bytes, every operand 16-byte aligned,
 * and a bias only in bf16 (NHC_FAKE_CUBLASLT_NO_E4M3=1: no e4m3 at all, as
 * a cuBLASLt built without FP8 kernels). e4m3 products are exact and summed
 * in f32, unless NHC_FAKE_CUBLASLT_E4M3_SUM_BITS=N models the FP8 tensor
 * cores' accumulation: each block of 32 products (one k step of an FP8
 * mma) summed exactly, then truncated to N significant bits, the blocks
 * added in f32 (Hopper keeps about 14 bits: DeepSeek-V3 technical report,
 * section 3.3.2). Anything else is CUBLAS_STATUS_NOT_SUPPORTED at
 * the heuristic, as cuBLASLt refuses what it has no kernel for. The
 * heuristic offers NHC_FAKE_CUBLASLT_ALGOS candidates (default 3, at most
 * 16), all computing the same products; with NHC_FAKE_CUBLASLT_FAST_ALGO=i
 * every other candidate's product also waits 2 ms on the stream, so timing
 * them picks i (nhc_fake_cublaslt_last_algo() says which one ran last,
 * nhc_fake_cublaslt_first_algo_matmuls() how many products ran the first).
 * Products are issued on the
 * stream through the driver double's nhc_fake_cuda_enqueue, so a captured
 * stream records them in its graph.
 *===----------------------------------------------------------------------===*/
#include <dlfcn.h>
#include <math.h>
#include <time.h>
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
enum { R_32F = 0, R_16BF = 14, R_8F_E4M3 = 28, COMPUTE_32F = 68 };
enum { DESC_TRANSA = 3, DESC_TRANSB = 4, DESC_EPILOGUE = 7, DESC_BIAS_POINTER = 8,
       DESC_BIAS_DATA_TYPE = 26 };
enum { EPILOGUE_DEFAULT = 1, EPILOGUE_BIAS = 4 };
enum { PREF_MAX_WORKSPACE_BYTES = 1, PREF_MIN_ALIGNMENT_A = 5,
       PREF_MIN_ALIGNMENT_D = 8 };
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

static long matmuls, e4m3Matmuls, firstAlgoMatmuls, lastAlgo = -1;

/* The slot of a candidate's index in cublasLtMatmulAlgo_t.data (0 holds
 * MAGIC, 1-4 the alignments it assumes). */
enum { ALGO_INDEX = 5 };

/* Whether this "build" lacks e4m3 kernels (NHC_FAKE_CUBLASLT_NO_E4M3=1). */
static int noE4m3(void) {
  const char *v = getenv("NHC_FAKE_CUBLASLT_NO_E4M3");
  return v && strcmp(v, "1") == 0;
}

/* NHC_FAKE_CUBLASLT_E4M3_SUM_BITS: the significant bits an e4m3 block sum
 * keeps, 0 (unset) for exact sums. */
static int e4m3SumBits(void) {
  const char *v = getenv("NHC_FAKE_CUBLASLT_E4M3_SUM_BITS");
  int bits = v && *v ? atoi(v) : 0;
  return bits > 0 && bits < 53 ? bits : 0;
}

/* `sum` truncated (toward zero) to `bits` significant bits. */
static double truncateToBits(double sum, int bits) {
  int exponent;
  double fraction = frexp(sum, &exponent); /* |fraction| in [0.5, 1) */
  double unit = ldexp(1.0, bits);
  return ldexp(trunc(fraction * unit) / unit, exponent);
}

/* NHC_FAKE_CUBLASLT_ALGOS: the candidates the heuristic offers (1-16). */
static int algoCount(void) {
  const char *v = getenv("NHC_FAKE_CUBLASLT_ALGOS");
  int n = v && *v ? atoi(v) : 3;
  return n < 1 ? 1 : n > 16 ? 16 : n;
}

/* NHC_FAKE_CUBLASLT_FAST_ALGO: the one candidate that does not wait
 * (-1, unset: none waits). */
static long fastAlgo(void) {
  const char *v = getenv("NHC_FAKE_CUBLASLT_FAST_ALGO");
  return v && *v ? atol(v) : -1;
}

/* The device's compute capability, as the driver double reports it. */
static int deviceSm(void) {
  const char *v = getenv("NHC_FAKE_CUDA_SM");
  return v && *v ? atoi(v) : 90;
}

cublasStatus_t cublasLtCreate(struct cublasLtContext **handle) {
  *handle = (struct cublasLtContext *)malloc(sizeof(struct cublasLtContext));
  if (!*handle)
    return 3;
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
  if (!*desc)
    return 3;
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
  if (!*layout)
    return 3;
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
  if (!*preference)
    return 3; /* CUBLAS_STATUS_ALLOC_FAILED */
  for (int i = 1; i <= 4; ++i)
    (*preference)->data[i] = 256;
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
  /* data[0]: workspace; data[1 + i]: operand i's alignment (A, B, C, D),
   * 256 unless set, as cuBLASLt assumes. */
  if (attribute == PREF_MAX_WORKSPACE_BYTES && bytes == 8) {
    memcpy(&preference->data[0], value, 8);
    return SUCCESS;
  }
  if (attribute >= PREF_MIN_ALIGNMENT_A && attribute <= PREF_MIN_ALIGNMENT_D &&
      bytes == 4) {
    uint32_t alignment;
    memcpy(&alignment, value, 4);
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
      return INVALID_VALUE;
    preference->data[1 + attribute - PREF_MIN_ALIGNMENT_A] = alignment;
    return SUCCESS;
  }
  return INVALID_VALUE;
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
  if (a->type != b->type ||
      (a->type != R_32F && a->type != R_16BF && a->type != R_8F_E4M3))
    return 0;
  if (a->type == R_8F_E4M3 &&
      (deviceSm() < 89 || noE4m3() || !d->transA || d->transB || a->ld % 16 || b->ld % 16 ||
       c->ld % 4 || dl->ld % 4 ||
       (d->epilogue == EPILOGUE_BIAS && d->biasType != R_16BF)))
    return 0;
  if (c->type != R_32F || dl->type != R_32F || k != kb)
    return 0;
  if (c->rows != m || c->cols != n || dl->rows != m || dl->cols != n)
    return 0;
  if (d->epilogue != EPILOGUE_DEFAULT && d->epilogue != EPILOGUE_BIAS)
    return 0;
  return d->epilogue != EPILOGUE_BIAS || d->biasType == R_32F ||
         (a->type == R_8F_E4M3 && d->biasType == R_16BF);
}

cublasStatus_t cublasLtMatmulAlgoGetHeuristic(
    struct cublasLtContext *handle, cublasLtMatmulDescOpaque_t *desc,
    cublasLtMatrixLayoutOpaque_t *a, cublasLtMatrixLayoutOpaque_t *b,
    cublasLtMatrixLayoutOpaque_t *c, cublasLtMatrixLayoutOpaque_t *d,
    cublasLtMatmulPreferenceOpaque_t *preference, int requested,
    cublasLtMatmulHeuristicResult_t *results, int *returned) {
  if (!handle || handle->magic != MAGIC)
    return NOT_INITIALIZED;
  if (requested < 1)
    return INVALID_VALUE;
  if (!supported((const struct Desc *)desc->data, layoutOf(a), layoutOf(b),
                 layoutOf(c), layoutOf(d)))
    return NOT_SUPPORTED;
  /* FP8 kernels take 16-byte aligned operands. */
  if (layoutOf(a)->type == R_8F_E4M3)
    for (int i = 1; i <= 4; ++i)
      if (preference->data[i] < 16)
        return NOT_SUPPORTED;
  int count = algoCount() < requested ? algoCount() : requested;
  for (int r = 0; r < count; ++r) {
    memset(&results[r], 0, sizeof(results[r]));
    results[r].algo.data[0] = MAGIC;
    /* The algorithm needs the alignments the preference promised. */
    for (int i = 1; i <= 4; ++i)
      results[r].algo.data[i] = preference->data[i];
    results[r].algo.data[ALGO_INDEX] = (uint64_t)r;
    results[r].wavesCount = 1.0f;
  }
  *returned = count;
  return SUCCESS;
}

/* e4m3fn: sign, 4 exponent bits (bias 7), 3 mantissa bits; S.1111.111 NaN. */
static float e4m3(uint8_t code) {
  int e = (code >> 3) & 15, m = code & 7;
  float sign = (code & 0x80) ? -1.0f : 1.0f;
  if (e == 15 && m == 7)
    return sign * __builtin_nanf("");
  if (e == 0)
    return sign * (float)m / 512.0f;
  return sign * (1.0f + (float)m / 8.0f) * __builtin_ldexpf(1.0f, e - 7);
}

static float element(const void *base, int type, uint64_t at) {
  if (type == R_32F)
    return ((const float *)base)[at];
  if (type == R_8F_E4M3)
    return e4m3(((const uint8_t *)base)[at]);
  uint32_t bits = (uint32_t)((const uint16_t *)base)[at] << 16;
  float v;
  memcpy(&v, &bits, 4);
  return v;
}

/* A product with everything it reads, by value: what a graph replays. */
struct Product {
  struct Desc op;
  long algo;
  struct Layout a, b, c, d;
  float alpha, beta;
  const void *aData, *bData, *cData;
  void *dData;
};

static void multiply(const void *arg) {
  const struct Product *p = (const struct Product *)arg;
  const struct Desc *op = &p->op;
  uint64_t m = p->d.rows, n = p->d.cols, k = op->transA ? p->a.rows : p->a.cols;
  const void *bias = op->epilogue == EPILOGUE_BIAS ? op->bias : NULL;
  const int sumBits = p->a.type == R_8F_E4M3 ? e4m3SumBits() : 0;
  for (uint64_t j = 0; j < n; ++j)
    for (uint64_t i = 0; i < m; ++i) {
      float sum = 0.0f;
      double block = 0.0; /* the FP8 tensor cores' model: one mma's k step */
      for (uint64_t q = 0; q < k; ++q) {
        uint64_t ai = op->transA ? q + i * (uint64_t)p->a.ld : i + q * (uint64_t)p->a.ld;
        uint64_t bi = op->transB ? j + q * (uint64_t)p->b.ld : q + j * (uint64_t)p->b.ld;
        float product = element(p->aData, p->a.type, ai) * element(p->bData, p->b.type, bi);
        if (!sumBits) {
          sum += product;
          continue;
        }
        block += product;
        if (q % 32 == 31 || q + 1 == k) {
          sum += (float)truncateToBits(block, sumBits);
          block = 0.0;
        }
      }
      float v = p->alpha * sum;
      if (p->beta != 0.0f)
        v += p->beta * ((const float *)p->cData)[i + j * (uint64_t)p->c.ld];
      if (bias)
        v += element(bias, op->biasType, i);
      ((float *)p->dData)[i + j * (uint64_t)p->d.ld] = v;
    }
  ++matmuls;
  if (p->a.type == R_8F_E4M3)
    ++e4m3Matmuls;
  lastAlgo = p->algo;
  if (p->algo == 0)
    ++firstAlgoMatmuls;
  long fast = fastAlgo();
  if (fast >= 0 && p->algo != fast) {
    struct timespec wait = {0, 2000000};
    nanosleep(&wait, NULL);
  }
}

typedef int (*Enqueue)(struct CUstream_st *, void (*)(const void *),
                       const void *, size_t);
/* The driver double's stream queue, if that is the driver loaded. */
static Enqueue enqueueOf(void) {
  static Enqueue enqueue;
  static int looked;
  if (!looked) {
    looked = 1;
    const char *driver = getenv("NHC_CUDA_DRIVER");
    void *handle = driver ? dlopen(driver, RTLD_NOW | RTLD_NOLOAD) : NULL;
    void *symbol = handle ? dlsym(handle, "nhc_fake_cuda_enqueue") : NULL;
    if (symbol)
      memcpy(&enqueue, &symbol, sizeof(symbol));
  }
  return enqueue;
}

cublasStatus_t cublasLtMatmul(
    struct cublasLtContext *handle, cublasLtMatmulDescOpaque_t *desc,
    const void *alpha, const void *a, cublasLtMatrixLayoutOpaque_t *aLayout,
    const void *b, cublasLtMatrixLayoutOpaque_t *bLayout, const void *beta,
    const void *c, cublasLtMatrixLayoutOpaque_t *cLayout, void *d,
    cublasLtMatrixLayoutOpaque_t *dLayout, const cublasLtMatmulAlgo_t *algo,
    void *workspace, size_t workspaceBytes, struct CUstream_st *stream) {
  (void)workspace; (void)workspaceBytes;
  if (!handle || handle->magic != MAGIC)
    return NOT_INITIALIZED;
  struct Product p;
  memset(&p, 0, sizeof(p));
  p.op = *(const struct Desc *)desc->data;
  p.a = *layoutOf(aLayout);
  p.b = *layoutOf(bLayout);
  p.c = *layoutOf(cLayout);
  p.d = *layoutOf(dLayout);
  if (!algo || algo->data[0] != MAGIC || !supported(&p.op, &p.a, &p.b, &p.c, &p.d))
    return INVALID_VALUE;
  /* An operand less aligned than its algorithm assumes: the real library
   * fails (or the kernel faults), so must the double. */
  const void *operands[4] = {a, b, c, d};
  for (int i = 0; i < 4; ++i)
    if ((uintptr_t)operands[i] % algo->data[1 + i] != 0)
      return INVALID_VALUE;
  p.algo = (long)algo->data[ALGO_INDEX];
  memcpy(&p.alpha, alpha, 4);
  memcpy(&p.beta, beta, 4);
  p.aData = a;
  p.bData = b;
  p.cData = c;
  p.dData = d;
  Enqueue enqueue = enqueueOf();
  if (!enqueue) {
    multiply(&p);
    return SUCCESS;
  }
  return enqueue(stream, multiply, &p, sizeof(p)) == 0 ? SUCCESS : INVALID_VALUE;
}

/* For tests: products computed so far, and those in e4m3. */
long nhc_fake_cublaslt_matmuls(void) { return matmuls; }
long nhc_fake_cublaslt_e4m3_matmuls(void) { return e4m3Matmuls; }
/* The heuristic's index of the candidate whose product ran last (-1: none),
 * and the products that ran its first candidate. */
long nhc_fake_cublaslt_last_algo(void) { return lastAlgo; }
long nhc_fake_cublaslt_first_algo_matmuls(void) { return firstAlgoMatmuls; }

/* test_kernels.c - A hand-written host "kernel library" for the runtime
 * tests. It follows the packed ABI of docs/execution-model.md the way the
 * compiler's MLIR-lowered kernels do: each entry point takes void **args,
 * args[i] pointing at the i-th LLVM-level parameter, a memref<?xT> being
 * five of them (allocated, aligned, offset, size, stride).
 *
 * Built as a MODULE and embedded into test artifacts as their
 * HOST_SHARED_LIBRARY section. Besides a few real kernels (embedding,
 * rms_norm, add, gather_last) it has toy stateful kernels whose results
 * depend on a slot's history, so tests can tell whether state and the
 * request table are wired correctly. */
#include <math.h>
#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))

/* Element pointer of the memref whose five slots start at args[i]. */
static float *f32_memref(void **args, int i) {
  return *(float **)args[i + 1] + *(int64_t *)args[i + 2];
}
static int32_t *i32_memref(void **args, int i) {
  return *(int32_t **)args[i + 1] + *(int64_t *)args[i + 2];
}
static int64_t *i64_memref(void **args, int i) {
  return *(int64_t **)args[i + 1] + *(int64_t *)args[i + 2];
}
static int64_t index_arg(void **args, int i) { return *(int64_t *)args[i]; }
static float f32_arg(void **args, int i) { return *(float *)args[i]; }

/* nhc_embedding(ids: i32[T], table: [V*H], out: [T*H], T, H) */
EXPORT void nhc_embedding_packed(void **args) {
  const int32_t *ids = i32_memref(args, 0);
  const float *table = f32_memref(args, 5);
  float *out = f32_memref(args, 10);
  int64_t T = index_arg(args, 15), H = index_arg(args, 16);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t j = 0; j < H; ++j)
      out[t * H + j] = table[(int64_t)ids[t] * H + j];
}

/* nhc_test_rms_norm(x, w: [H], out, T, H, eps): a plan norm without the library kernel's quantize parameters */
EXPORT void nhc_test_rms_norm_packed(void **args) {
  const float *x = f32_memref(args, 0);
  const float *w = f32_memref(args, 5);
  float *out = f32_memref(args, 10);
  int64_t T = index_arg(args, 15), H = index_arg(args, 16);
  float eps = f32_arg(args, 17);
  for (int64_t t = 0; t < T; ++t) {
    float sum = 0.0f;
    for (int64_t j = 0; j < H; ++j)
      sum += x[t * H + j] * x[t * H + j];
    float inv = 1.0f / sqrtf(sum / (float)H + eps);
    for (int64_t j = 0; j < H; ++j)
      out[t * H + j] = w[j] * x[t * H + j] * inv;
  }
}

/* nhc_add(residual (in/out), update, n) */
EXPORT void nhc_add_packed(void **args) {
  float *residual = f32_memref(args, 0);
  const float *update = f32_memref(args, 5);
  int64_t n = index_arg(args, 10);
  for (int64_t i = 0; i < n; ++i)
    residual[i] += update[i];
}

/* nhc_gather_last(x: [T*H], req: i64[4R], out: [R*H], R, H) */
EXPORT void nhc_gather_last_packed(void **args) {
  const float *x = f32_memref(args, 0);
  const int64_t *req = i64_memref(args, 5);
  float *out = f32_memref(args, 10);
  int64_t R = index_arg(args, 15), H = index_arg(args, 16);
  for (int64_t r = 0; r < R; ++r) {
    int64_t last = req[4 * r] + req[4 * r + 1] - 1;
    for (int64_t j = 0; j < H; ++j)
      out[r * H + j] = x[last * H + j];
  }
}

/* nhc_test_decay(x (in/out): [T*H], pool: [slots*H], req, R, H): per
 * request, s = 0.5 * s + x_t; x_t = s, with s the slot's H-float state. */
EXPORT void nhc_test_decay_packed(void **args) {
  float *x = f32_memref(args, 0);
  float *pool = f32_memref(args, 5);
  const int64_t *req = i64_memref(args, 10);
  int64_t R = index_arg(args, 15), H = index_arg(args, 16);
  for (int64_t r = 0; r < R; ++r) {
    float *s = pool + req[4 * r + 3] * H;
    for (int64_t i = 0; i < req[4 * r + 1]; ++i) {
      float *row = x + (req[4 * r] + i) * H;
      for (int64_t j = 0; j < H; ++j) {
        s[j] = 0.5f * s[j] + row[j];
        row[j] = s[j];
      }
    }
  }
}

/* nhc_test_kv_mean(x: [T*H], cache: [slots*max_seq*H], req, out: [T*H], R,
 * H, max_seq): appends each new row at start_pos + i of its slot's cache,
 * then out_t = mean of cache rows 0 .. start_pos + i (causal). */
EXPORT void nhc_test_kv_mean_packed(void **args) {
  const float *x = f32_memref(args, 0);
  float *cache = f32_memref(args, 5);
  const int64_t *req = i64_memref(args, 10);
  float *out = f32_memref(args, 15);
  int64_t R = index_arg(args, 20), H = index_arg(args, 21);
  int64_t max_seq = index_arg(args, 22);
  for (int64_t r = 0; r < R; ++r) {
    float *slot = cache + req[4 * r + 3] * max_seq * H;
    for (int64_t i = 0; i < req[4 * r + 1]; ++i) {
      int64_t t = req[4 * r] + i, pos = req[4 * r + 2] + i;
      for (int64_t j = 0; j < H; ++j)
        slot[pos * H + j] = x[t * H + j];
      for (int64_t j = 0; j < H; ++j) {
        float sum = 0.0f;
        for (int64_t p = 0; p <= pos; ++p)
          sum += slot[p * H + j];
        out[t * H + j] = sum / (float)(pos + 1);
      }
    }
  }
}

/* nhc_test_copy(src, dst, n): dst[0:n] = src[0:n]. */
EXPORT void nhc_test_copy_packed(void **args) {
  const float *src = f32_memref(args, 0);
  float *dst = f32_memref(args, 5);
  int64_t n = index_arg(args, 10);
  for (int64_t i = 0; i < n; ++i)
    dst[i] = src[i];
}

/* nhc_test_route(ids: i32[T], idx: i32[T*K], w: [T*K], T, K, E): a fixed
 * routing, idx = (3 id + 5 j) mod E, w = 0.5 + 0.25 j + 0.01 id. */
EXPORT void nhc_test_route_packed(void **args) {
  const int32_t *ids = i32_memref(args, 0);
  int32_t *idx = i32_memref(args, 5);
  float *w = f32_memref(args, 10);
  int64_t T = index_arg(args, 15), K = index_arg(args, 16),
          E = index_arg(args, 17);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t j = 0; j < K; ++j) {
      idx[t * K + j] = (int32_t)((3 * ids[t] + 5 * j) % E);
      w[t * K + j] = 0.5f + 0.25f * (float)j + 0.01f * (float)ids[t];
    }
}

/* nhc_test_probe(m: memref, n: index, f: f32, out: memref): writes what it
 * received, so tests can check the packing: out = [allocated == aligned,
 * offset, size, stride, n, f, out's own size]. */
EXPORT void nhc_test_probe_packed(void **args) {
  float *out = f32_memref(args, 7);
  out[0] = *(void **)args[0] == *(void **)args[1] ? 1.0f : 0.0f;
  out[1] = (float)*(int64_t *)args[2];
  out[2] = (float)*(int64_t *)args[3];
  out[3] = (float)*(int64_t *)args[4];
  out[4] = (float)index_arg(args, 5);
  out[5] = f32_arg(args, 6);
  out[6] = (float)*(int64_t *)args[10];
}

/* nhc_gemv_bf16(a, w: the weight's bytes, c, m, n, k, lda, ldc, accumulate,
 * act): the decode GEMV of lib/Kernels/gemv.mlir without its vectors. No F16
 * or e4m3 twin, so those dtypes take the runtime's portable loop. Memrefs
 * shorter than the call needs give NaN, so a test sees a wrong size, and so
 * does an activation other than none (-1: the host backend applies it in the
 * producing gemm's epilogue). */
EXPORT void nhc_gemv_bf16_packed(void **args) {
  const float *a = f32_memref(args, 0);
  const uint8_t *w = *(uint8_t **)args[6] + *(int64_t *)args[7];
  float *c = f32_memref(args, 10);
  int64_t m = index_arg(args, 15), n = index_arg(args, 16),
          k = index_arg(args, 17), lda = index_arg(args, 18),
          ldc = index_arg(args, 19), accumulate = index_arg(args, 20),
          act = index_arg(args, 21);
  int sized = act == -1 && *(int64_t *)args[3] >= (m - 1) * lda + k &&
              *(int64_t *)args[8] >= n * k * 2 &&
              *(int64_t *)args[13] >= (m - 1) * ldc + n;
  for (int64_t t = 0; t < m; ++t)
    for (int64_t j = 0; j < n; ++j) {
      float sum = 0.0f;
      for (int64_t i = 0; i < k; ++i) {
        const uint8_t *p = w + 2 * (j * k + i);
        union {
          uint32_t bits;
          float value;
        } widened = {(uint32_t)(p[0] | p[1] << 8) << 16};
        sum += a[t * lda + i] * widened.value;
      }
      if (!sized)
        sum = NAN;
      c[t * ldc + j] = accumulate ? c[t * ldc + j] + sum : sum;
    }
}

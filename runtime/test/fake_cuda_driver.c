/*===- fake_cuda_driver.c - A test double of the CUDA driver API ---------===*
 *
 * Loaded by the runtime's dlopen seam (NHC_CUDA_DRIVER=<this .so>) in place
 * of libcuda.so.1, so CI without a GPU exercises the CUDA backend's host
 * logic: device discovery, module loading, kernel lookup, memory copies.
 * Device memory is host memory. A module is its image: PTX text or an ELF
 * cubin; a kernel is found if ".entry <name>(" (PTX) or the name (cubin)
 * occurs in it. Launches are counted, not run.
 *   NHC_FAKE_CUDA_DEVICES  device count (default 1)
 *   NHC_FAKE_CUDA_SM       compute capability as major*10+minor (default 90)
 *   NHC_FAKE_CUDA_INIT     "fail": cuInit returns CUDA_ERROR_NO_DEVICE
 *===----------------------------------------------------------------------===*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The driver API's types by their ABI, spelled as the runtime's
 * driver_api.h spells them (UBSan checks the function types of calls). */
typedef int CUresult;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
enum {
  SUCCESS = 0,
  INVALID_VALUE = 1,
  OUT_OF_MEMORY = 2,
  NO_DEVICE = 100,
  INVALID_DEVICE = 101,
  INVALID_IMAGE = 200,
  NOT_FOUND = 500
};

static int envInt(const char *name, int fallback) {
  const char *v = getenv(name);
  return v && *v ? atoi(v) : fallback;
}

struct Module {
  char *image;
  size_t size;
};

static long launches;

CUresult cuInit(unsigned flags) {
  const char *init = getenv("NHC_FAKE_CUDA_INIT");
  (void)flags;
  return init && strcmp(init, "fail") == 0 ? NO_DEVICE : SUCCESS;
}
CUresult cuDriverGetVersion(int *version) {
  *version = 13000;
  return SUCCESS;
}
CUresult cuDeviceGetCount(int *count) {
  *count = envInt("NHC_FAKE_CUDA_DEVICES", 1);
  return SUCCESS;
}
CUresult cuDeviceGet(int *device, int ordinal) {
  if (ordinal < 0 || ordinal >= envInt("NHC_FAKE_CUDA_DEVICES", 1))
    return INVALID_DEVICE;
  *device = ordinal;
  return SUCCESS;
}
CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
  int sm = envInt("NHC_FAKE_CUDA_SM", 90);
  (void)device;
  if (attribute == 75)
    *value = sm / 10;
  else if (attribute == 76)
    *value = sm % 10;
  else
    return INVALID_VALUE;
  return SUCCESS;
}
CUresult cuDeviceGetName(char *name, int length, int device) {
  (void)device;
  strncpy(name, "fake CUDA device", (size_t)length);
  return SUCCESS;
}
static int context;
CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, int device) {
  (void)device;
  *ctx = (CUcontext)&context;
  return SUCCESS;
}
CUresult cuDevicePrimaryCtxRelease_v2(int device) {
  (void)device;
  return SUCCESS;
}
CUresult cuCtxSetCurrent(CUcontext ctx) {
  return (void *)ctx == (void *)&context ? SUCCESS : INVALID_VALUE;
}

/* An ELF image's size from its header: the section headers come last. */
static size_t elfSize(const unsigned char *p) {
  uint64_t shoff;
  uint16_t shentsize, shnum;
  memcpy(&shoff, p + 0x28, 8);
  memcpy(&shentsize, p + 0x3a, 2);
  memcpy(&shnum, p + 0x3c, 2);
  return (size_t)(shoff + (uint64_t)shentsize * shnum);
}

CUresult cuModuleLoadData(CUmodule *module, const void *image) {
  const unsigned char *p = (const unsigned char *)image;
  struct Module *m = (struct Module *)malloc(sizeof(struct Module));
  if (!m)
    return OUT_OF_MEMORY;
  if (memcmp(p, "\177ELF", 4) == 0)
    m->size = elfSize(p);
  else if (strstr((const char *)p, ".version") != NULL)
    m->size = strlen((const char *)p);
  else {
    free(m);
    return INVALID_IMAGE;
  }
  m->image = (char *)malloc(m->size + 1);
  memcpy(m->image, p, m->size);
  m->image[m->size] = '\0';
  *module = (CUmodule)m;
  return SUCCESS;
}
CUresult cuModuleUnload(CUmodule module) {
  struct Module *m = (struct Module *)module;
  free(m->image);
  free(m);
  return SUCCESS;
}
static int contains(const struct Module *m, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; i + n <= m->size; ++i)
    if (memcmp(m->image + i, needle, n) == 0)
      return 1;
  return 0;
}
CUresult cuModuleGetFunction(CUfunction *function, CUmodule module,
                             const char *name) {
  struct Module *m = (struct Module *)module;
  char entry[512];
  if (strlen(name) > 400)
    return NOT_FOUND;
  if (memcmp(m->image, "\177ELF", 4) == 0)
    strcpy(entry, name);
  else {
    strcpy(entry, ".entry ");
    strcat(entry, name);
    strcat(entry, "(");
  }
  if (!contains(m, entry))
    return NOT_FOUND;
  *function = (CUfunction)m;
  return SUCCESS;
}
CUresult cuMemAlloc_v2(CUdeviceptr *address, size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p)
    return OUT_OF_MEMORY;
  *address = (CUdeviceptr)(uintptr_t)p;
  return SUCCESS;
}
CUresult cuMemFree_v2(CUdeviceptr address) {
  free((void *)(uintptr_t)address);
  return SUCCESS;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
  memcpy((void *)(uintptr_t)dst, src, bytes);
  return SUCCESS;
}
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
  memcpy(dst, (const void *)(uintptr_t)src, bytes);
  return SUCCESS;
}
static int stream;
CUresult cuStreamCreate(CUstream *s, unsigned flags) {
  (void)flags;
  *s = (CUstream)&stream;
  return SUCCESS;
}
CUresult cuStreamDestroy_v2(CUstream s) {
  return (void *)s == (void *)&stream ? SUCCESS : INVALID_VALUE;
}
CUresult cuStreamSynchronize(CUstream s) {
  return (void *)s == (void *)&stream || !s ? SUCCESS : INVALID_VALUE;
}
CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned shared,
                        CUstream s, void **params, void **extra) {
  (void)f; (void)shared; (void)s; (void)params; (void)extra;
  if (!gx || !gy || !gz || !bx || !by || !bz || (uint64_t)bx * by * bz > 1024)
    return INVALID_VALUE;
  ++launches;
  return SUCCESS;
}
CUresult cuGetErrorName(CUresult result, const char **name) {
  switch (result) {
  case SUCCESS: *name = "CUDA_SUCCESS"; return SUCCESS;
  case INVALID_VALUE: *name = "CUDA_ERROR_INVALID_VALUE"; return SUCCESS;
  case OUT_OF_MEMORY: *name = "CUDA_ERROR_OUT_OF_MEMORY"; return SUCCESS;
  case NO_DEVICE: *name = "CUDA_ERROR_NO_DEVICE"; return SUCCESS;
  case INVALID_DEVICE: *name = "CUDA_ERROR_INVALID_DEVICE"; return SUCCESS;
  case INVALID_IMAGE: *name = "CUDA_ERROR_INVALID_IMAGE"; return SUCCESS;
  case NOT_FOUND: *name = "CUDA_ERROR_NOT_FOUND"; return SUCCESS;
  default: *name = NULL; return INVALID_VALUE;
  }
}
/* For tests: launches counted so far. */
long nhc_fake_cuda_launches(void) { return launches; }

/*===- fake_cuda_driver.c - A test double of the CUDA driver API ---------===*
 *
 * Loaded by the runtime's dlopen seam (NHC_CUDA_DRIVER=<this .so>) in place
 * of libcuda.so.1, so CI without a GPU exercises the CUDA backend's host
 * logic: device discovery, module loading, kernel lookup, memory copies,
 * launches. Device memory is host memory; every allocation is recorded, and
 * a copy or memset outside a live allocation, or a free of something not
 * allocated, fails with CUDA_ERROR_INVALID_VALUE. A module is its image: PTX
 * text or an ELF cubin; a kernel is found if ".entry <name>(" (PTX) or the
 * name (cubin) occurs in it. Launches are counted; with
 * NHC_FAKE_CUDA_KERNELS they also run: that file is the kernel library's
 * GPU kernels compiled for the host (nhc-kernels --emit=gpu-emulation-so),
 * each `<entry>_packed(void **args)` running every thread of a grid in turn.
 * Streams run everything at once, in order.
 *   NHC_FAKE_CUDA_DEVICES  device count (default 1)
 *   NHC_FAKE_CUDA_SM       compute capability as major*10+minor (default 90)
 *   NHC_FAKE_CUDA_INIT     "fail": cuInit returns CUDA_ERROR_NO_DEVICE
 *   NHC_FAKE_CUDA_KERNELS  the emulated kernels (a shared object)
 *   NHC_FAKE_CUDA_MEMORY   bytes of device memory (default: unlimited)
 *===----------------------------------------------------------------------===*/
#include <dlfcn.h>
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
/* An emulated kernel: its packed entry and its parameter count. */
struct Kernel {
  void (*packed)(void **args);
  int64_t slots;
  char name[400];
  struct Kernel *next;
};
static struct Kernel *kernels;

static void *emulation(void) {
  static void *library;
  static int tried;
  const char *path = getenv("NHC_FAKE_CUDA_KERNELS");
  if (!tried && path && *path) {
    tried = 1;
    library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  }
  return library;
}

CUresult cuModuleGetFunction(CUfunction *function, CUmodule module,
                             const char *name) {
  struct Module *m = (struct Module *)module;
  char entry[512];
  if (strlen(name) > 390)
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
  if (!emulation()) {
    *function = (CUfunction)m;
    return SUCCESS;
  }
  for (struct Kernel *k = kernels; k; k = k->next)
    if (strcmp(k->name, name) == 0) {
      *function = (CUfunction)k;
      return SUCCESS;
    }
  char symbol[512];
  strcpy(symbol, name);
  strcat(symbol, "_packed");
  void *packed = dlsym(emulation(), symbol);
  strcpy(symbol, name);
  strcat(symbol, "_abi_slots");
  void *slots = dlsym(emulation(), symbol);
  if (!packed || !slots)
    return NOT_FOUND;
  struct Kernel *k = (struct Kernel *)calloc(1, sizeof(struct Kernel));
  if (!k)
    return OUT_OF_MEMORY;
  memcpy(&k->packed, &packed, sizeof(packed));
  int64_t (*count)(void);
  memcpy(&count, &slots, sizeof(slots));
  k->slots = count();
  strcpy(k->name, name);
  k->next = kernels;
  kernels = k;
  *function = (CUfunction)k;
  return SUCCESS;
}

/* Live allocations, for checking copies and frees. */
struct Allocation {
  uintptr_t base;
  size_t size;
};
static struct Allocation *allocations;
static size_t allocationCount, allocationCapacity;
static uint64_t liveBytes;

static long findAllocation(uintptr_t address) {
  for (size_t i = 0; i < allocationCount; ++i)
    if (allocations[i].base == address)
      return (long)i;
  return -1;
}
/* Whether [address, address + bytes) lies inside one live allocation. */
static int inside(uintptr_t address, size_t bytes) {
  for (size_t i = 0; i < allocationCount; ++i) {
    const struct Allocation *a = &allocations[i];
    if (address >= a->base && address - a->base <= a->size &&
        bytes <= a->size - (address - a->base))
      return 1;
  }
  return 0;
}

CUresult cuMemAlloc_v2(CUdeviceptr *address, size_t bytes) {
  const char *limit = getenv("NHC_FAKE_CUDA_MEMORY");
  if (limit && *limit && liveBytes + bytes > strtoull(limit, NULL, 10))
    return OUT_OF_MEMORY;
  if (allocationCount == allocationCapacity) {
    size_t grown = allocationCapacity ? 2 * allocationCapacity : 64;
    struct Allocation *more = (struct Allocation *)realloc(
        allocations, grown * sizeof(struct Allocation));
    if (!more)
      return OUT_OF_MEMORY;
    allocations = more;
    allocationCapacity = grown;
  }
  void *p = malloc(bytes ? bytes : 1);
  if (!p)
    return OUT_OF_MEMORY;
  allocations[allocationCount].base = (uintptr_t)p;
  allocations[allocationCount].size = bytes;
  ++allocationCount;
  liveBytes += bytes;
  *address = (CUdeviceptr)(uintptr_t)p;
  return SUCCESS;
}
CUresult cuMemFree_v2(CUdeviceptr address) {
  long i = findAllocation((uintptr_t)address);
  if (i < 0)
    return INVALID_VALUE;
  liveBytes -= allocations[i].size;
  allocations[i] = allocations[--allocationCount];
  free((void *)(uintptr_t)address);
  return SUCCESS;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
  if (!inside((uintptr_t)dst, bytes))
    return INVALID_VALUE;
  memcpy((void *)(uintptr_t)dst, src, bytes);
  return SUCCESS;
}
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
  if (!inside((uintptr_t)src, bytes))
    return INVALID_VALUE;
  memcpy(dst, (const void *)(uintptr_t)src, bytes);
  return SUCCESS;
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes,
                              CUstream s) {
  (void)s;
  return cuMemcpyHtoD_v2(dst, src, bytes);
}
CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes,
                              CUstream s) {
  (void)s;
  return cuMemcpyDtoH_v2(dst, src, bytes);
}
CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t bytes,
                         CUstream s) {
  (void)s;
  if (!inside((uintptr_t)dst, bytes))
    return INVALID_VALUE;
  memset((void *)(uintptr_t)dst, value, bytes);
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
  (void)shared; (void)s; (void)extra;
  if (!gx || !gy || !gz || !bx || !by || !bz || (uint64_t)bx * by * bz > 1024)
    return INVALID_VALUE;
  ++launches;
  if (!emulation())
    return SUCCESS;
  const struct Kernel *k = (const struct Kernel *)f;
  void **args = (void **)malloc((size_t)(k->slots + 6) * sizeof(void *));
  if (!args)
    return OUT_OF_MEMORY;
  int64_t sizes[6] = {gx, gy, gz, bx, by, bz};
  for (int64_t i = 0; i < k->slots; ++i)
    args[i] = params[i];
  for (int i = 0; i < 6; ++i)
    args[k->slots + i] = &sizes[i];
  k->packed(args);
  free(args);
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
/* For tests: launches counted so far, and device memory allocated now. */
long nhc_fake_cuda_launches(void) { return launches; }
uint64_t nhc_fake_cuda_live_bytes(void) { return liveBytes; }

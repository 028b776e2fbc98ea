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
 * Streams run everything at once, in order. Stream capture records what is
 * issued (launches, async copies and memsets, and host work a companion
 * double enqueues through nhc_fake_cuda_enqueue) into a graph instead of
 * running it; a graph launch runs it in order. While capturing, calls that
 * would make the host wait fail with CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED,
 * as CU_STREAM_CAPTURE_MODE_THREAD_LOCAL makes them. An event records the
 * host's monotonic clock when the stream reaches it (at once, or when a
 * graph that captured it runs); elapsed time between two events that have
 * not both been reached is CUDA_ERROR_NOT_READY. Shared memory: an
 * emulated kernel reports its static bytes (<entry>_static_shared_bytes); a
 * launch asking for more dynamic bytes than the function allows (48 KiB
 * less its static bytes, or what cuFuncSetAttribute set) fails
 * with CUDA_ERROR_INVALID_VALUE, as does raising it past the device's
 * opt-in limit.
 * cuLaunchKernelEx takes programmatic stream serialization only: on sm_90
 * and newer, and, for PTX, of kernels whose body has griddepcontrol.wait
 * (counted: nhc_fake_cuda_programmatic_launches).
 *   NHC_FAKE_CUDA_REFUSE_PROGRAMMATIC  "always": such launches fail with
 *                          CUDA_ERROR_NOT_SUPPORTED; "capture": only while
 *                          capturing, which that error ends (the capture's
 *                          end then reports it invalidated)
 *   NHC_FAKE_CUDA_DEVICES  device count (default 1)
 *   NHC_FAKE_CUDA_SM       compute capability as major*10+minor (default 90)
 *   NHC_FAKE_CUDA_DRIVER_VERSION  cuDriverGetVersion's (default 13000)
 *   NHC_FAKE_CUDA_INIT     "fail": cuInit returns CUDA_ERROR_NO_DEVICE
 *   NHC_FAKE_CUDA_KERNELS  the emulated kernels (a shared object)
 *   NHC_FAKE_CUDA_MEMORY   bytes of device memory (default: unlimited)
 *   NHC_FAKE_CUDA_SHARED_OPTIN  shared bytes a block may opt in to (default
 *                          the chip's: 227 KiB on sm_90, 163 KiB on sm_80)
 *   NHC_FAKE_CUDA_SHARED_DEFAULT  shared bytes a block may use without
 *                          opting in (default 48 KiB, as on every chip)
 *   NHC_FAKE_CUDA_FAIL_LAUNCH  an emulated kernel's entry name: its direct
 *                          launches (not graph replays) fail with
 *                          CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, an error of
 *                          that launch only (a step failing after its first
 *                          kernels ran); with NHC_FAKE_CUDA_FAIL_LAUNCH_STICKY=1
 *                          with CUDA_ERROR_LAUNCH_FAILED, sticky as a device
 *                          fault is: every later stream call returns it until
 *                          the primary context is released by all
 *   NHC_FAKE_CUDA_PINNED   "fail": cuMemHostAlloc returns
 *                          CUDA_ERROR_OUT_OF_MEMORY
 * Pinned host memory (cuMemHostAlloc): a copy from it to the device is only
 * queued, with the event records issued after it, and runs when the host
 * waits (cuStreamSynchronize, cuEventSynchronize of a later record, a
 * synchronous copy, a free) or issues other work to the stream, as a GPU
 * copies while the host goes on: a host that rewrites a pinned buffer
 * before waiting for its copy uploads the new bytes here too (counted:
 * nhc_fake_cuda_pinned_copies; live buffers: nhc_fake_cuda_pinned_live).
 *===----------------------------------------------------------------------===*/
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The driver API's types by their ABI, spelled as the runtime's
 * driver_api.h spells them (UBSan checks the function types of calls). */
typedef int CUresult;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUgraph_st *CUgraph;
typedef struct CUgraphExec_st *CUgraphExec;
typedef struct CUevent_st *CUevent;
enum {
  SUCCESS = 0,
  INVALID_VALUE = 1,
  OUT_OF_MEMORY = 2,
  NO_DEVICE = 100,
  INVALID_DEVICE = 101,
  INVALID_IMAGE = 200,
  INVALID_CONTEXT = 201,
  INVALID_HANDLE = 400,
  NOT_READY = 600,
  NOT_FOUND = 500,
  LAUNCH_OUT_OF_RESOURCES = 701,
  LAUNCH_FAILED = 719,
  NOT_SUPPORTED = 801,
  CAPTURE_UNSUPPORTED = 900,
  CAPTURE_INVALIDATED = 901
};

/* One recorded operation of a graph. */
enum NodeKind { NODE_LAUNCH, NODE_HTOD, NODE_DTOH, NODE_DTOD, NODE_MEMSET,
                NODE_HOST };
struct Node {
  enum NodeKind kind;
  const struct Kernel *kernel; /* NODE_LAUNCH */
  unsigned grid[3], block[3], shared;
  uint64_t *params; /* NODE_LAUNCH: one 8-byte slot each; NODE_HOST: the blob */
  uintptr_t dst, src;
  size_t bytes;
  unsigned char value;
  void (*host)(const void *);
};
struct Graph {
  struct Node *nodes;
  size_t count, capacity;
};
static struct Graph *capturing; /* the graph being captured, if any */
static void freeGraph(struct Graph *g);
/* A capture an error ended: what the stream issues until cuStreamEndCapture
 * runs at once (a device would refuse it; nothing here depends on that). */
static int captureInvalidated;
static long graphLaunches;
/* Runs the queued copies from pinned memory (and the event records after
 * them): before any other work of the stream, and whenever the host waits. */
static void settle(void);
static size_t pendingCount; /* the queue's length */
static CUresult queueEvent(CUevent event);

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
  /* A race the emulated kernels detect is reported with puts() just
   * before abort(): unbuffered, the message survives. This makes the test
   * process's stdout unbuffered from here on (a test double may). */
  setvbuf(stdout, NULL, _IONBF, 0);
  return init && strcmp(init, "fail") == 0 ? NO_DEVICE : SUCCESS;
}
CUresult cuDriverGetVersion(int *version) {
  *version = envInt("NHC_FAKE_CUDA_DRIVER_VERSION", 13000);
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
/* The chip's opt-in shared memory per block (CUDA C++ Programming Guide,
 * "Technical Specifications per Compute Capability"). */
static int sharedOptin(void) {
  int sm = envInt("NHC_FAKE_CUDA_SM", 90);
  int byChip = sm == 90 || sm == 100 ? 227 * 1024
               : sm == 80 || sm == 87 ? 163 * 1024
               : sm == 86 || sm == 89 || sm == 120 ? 99 * 1024
                                                   : 48 * 1024;
  return envInt("NHC_FAKE_CUDA_SHARED_OPTIN", byChip);
}
/* A block's shared bytes without opting in: 48 KiB on every chip. */
static int defaultShared(void) {
  return envInt("NHC_FAKE_CUDA_SHARED_DEFAULT", 48 * 1024);
}
CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
  int sm = envInt("NHC_FAKE_CUDA_SM", 90);
  (void)device;
  if (attribute == 75)
    *value = sm / 10;
  else if (attribute == 76)
    *value = sm % 10;
  else if (attribute == 97) /* MAX_SHARED_MEMORY_PER_BLOCK_OPTIN */
    *value = sharedOptin();
  else
    return INVALID_VALUE;
  return SUCCESS;
}
CUresult cuDeviceGetName(char *name, int length, int device) {
  (void)device;
  strncpy(name, "fake CUDA device", (size_t)length);
  return SUCCESS;
}
/* The primary context, and which context each thread has current (a stack,
 * as cuCtxPushCurrent / cuCtxPopCurrent keep it). Device work from a thread
 * without the context current fails with CUDA_ERROR_INVALID_CONTEXT. */
static int context;
static _Thread_local CUcontext stack[16];
static _Thread_local int depth;
/* A sticky error (NHC_FAKE_CUDA_FAIL_LAUNCH_STICKY): every later call that
 * uses the context's stream returns it, until the primary context's last
 * holder releases it (a device's next retain makes a fresh context). */
static CUresult stickyError;
static long contextHolders;
CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, int device) {
  (void)device;
  *ctx = (CUcontext)&context;
  ++contextHolders;
  return SUCCESS;
}
CUresult cuDevicePrimaryCtxRelease_v2(int device) {
  (void)device;
  if (contextHolders > 0 && --contextHolders == 0)
    stickyError = SUCCESS;
  return SUCCESS;
}
CUresult cuCtxSetCurrent(CUcontext ctx) {
  if (ctx && (void *)ctx != (void *)&context)
    return INVALID_VALUE;
  if (depth == 0)
    depth = 1;
  stack[depth - 1] = ctx;
  return SUCCESS;
}
CUresult cuCtxPushCurrent_v2(CUcontext ctx) {
  if ((void *)ctx != (void *)&context || depth == 16)
    return INVALID_VALUE;
  stack[depth++] = ctx;
  return SUCCESS;
}
CUresult cuCtxPopCurrent_v2(CUcontext *ctx) {
  if (depth == 0)
    return INVALID_CONTEXT;
  --depth;
  if (ctx)
    *ctx = stack[depth];
  return SUCCESS;
}
static int current(void) { return depth > 0 && stack[depth - 1] != NULL; }

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
  if (!current())
    return INVALID_CONTEXT;
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
  if (!m->image) {
    free(m);
    return OUT_OF_MEMORY;
  }
  memcpy(m->image, p, m->size);
  m->image[m->size] = '\0';
  *module = (CUmodule)m;
  return SUCCESS;
}
/* The first `needle` in m's image at or after `from` (NULL: its start),
 * or NULL. */
static const char *findFrom(const struct Module *m, const char *from,
                            const char *needle) {
  size_t n = strlen(needle);
  size_t start = from ? (size_t)(from - m->image) : 0;
  for (size_t i = start; i + n <= m->size; ++i)
    if (memcmp(m->image + i, needle, n) == 0)
      return m->image + i;
  return NULL;
}
static const char *find(const struct Module *m, const char *needle) {
  return findFrom(m, NULL, needle);
}
/* Whether the PTX entry at `at` has griddepcontrol.wait before the next
 * entry; -1 for a cubin (its instructions are not read here). */
static int entryWaits(const struct Module *m, const char *at) {
  if (memcmp(m->image, "\177ELF", 4) == 0)
    return -1;
  const char *next = findFrom(m, at + 1, ".entry ");
  const char *wait = findFrom(m, at, "griddepcontrol.wait");
  return wait && (!next || wait < next);
}
/* An emulated kernel of a loaded module (a function handle, as the driver's
 * are per module: its attributes start afresh in each): its packed entry,
 * its parameter count, its static shared bytes and the dynamic ones a
 * launch may ask for. */
struct Kernel {
  const struct Module *module; /* NULL once the module is unloaded */
  void (*packed)(void **args);
  int64_t slots;
  int staticShared, maxDynamicShared;
  long launched; /* launches issued (graph replays not included) */
  long programmatic; /* of them with programmatic stream serialization */
  int waits; /* PTX: whether its body has griddepcontrol.wait; cubin: -1 */
  char name[400];
  struct Kernel *next;
};
static struct Kernel *kernels;

CUresult cuModuleUnload(CUmodule module) {
  if (!current())
    return INVALID_CONTEXT;
  struct Module *m = (struct Module *)module;
  for (struct Kernel *k = kernels; k; k = k->next)
    if (k->module == m)
      k->module = NULL;
  free(m->image);
  free(m);
  return SUCCESS;
}

/* The emulated kernels, if NHC_FAKE_CUDA_KERNELS names them; a file that
 * does not load is reported and fails every kernel lookup (launches must
 * not silently do nothing). */
static int emulationWanted(void) {
  const char *path = getenv("NHC_FAKE_CUDA_KERNELS");
  return path && *path;
}
static void *emulation(void) {
  static void *library;
  static int tried;
  if (!tried && emulationWanted()) {
    tried = 1;
    library = dlopen(getenv("NHC_FAKE_CUDA_KERNELS"), RTLD_NOW | RTLD_LOCAL);
    if (!library)
      fprintf(stderr, "fake_cuda_driver: NHC_FAKE_CUDA_KERNELS: %s\n", dlerror());
  }
  return library;
}

/* `<name><suffix>` in the emulated kernels, or NULL (name <= 390 chars). */
static void *emulatedSymbol(const char *name, const char *suffix) {
  char symbol[512];
  strcpy(symbol, name);
  strcat(symbol, suffix);
  return dlsym(emulation(), symbol);
}
/* The value of an emulated `int64_t <k>_<what>(void)`. */
static int64_t emulatedConstant(void *fn) {
  int64_t (*get)(void);
  memcpy(&get, &fn, sizeof(fn));
  return get();
}

CUresult cuModuleGetFunction(CUfunction *function, CUmodule module,
                             const char *name) {
  if (!current())
    return INVALID_CONTEXT;
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
  const char *at = find(m, entry);
  if (!at)
    return NOT_FOUND;
  if (!emulationWanted()) {
    *function = (CUfunction)m;
    return SUCCESS;
  }
  if (!emulation())
    return NOT_FOUND;
  for (struct Kernel *k = kernels; k; k = k->next)
    if (k->module == m && strcmp(k->name, name) == 0) {
      *function = (CUfunction)k;
      return SUCCESS;
    }
  void *packed = emulatedSymbol(name, "_packed");
  void *slots = emulatedSymbol(name, "_abi_slots");
  /* Missing in an emulation library older than this double. */
  void *staticBytes = emulatedSymbol(name, "_static_shared_bytes");
  if (!packed || !slots || !staticBytes)
    return NOT_FOUND;
  struct Kernel *k = (struct Kernel *)calloc(1, sizeof(struct Kernel));
  if (!k)
    return OUT_OF_MEMORY;
  memcpy(&k->packed, &packed, sizeof(packed));
  k->slots = emulatedConstant(slots);
  k->waits = entryWaits(m, at);
  k->staticShared = (int)emulatedConstant(staticBytes);
  k->module = m;
  k->maxDynamicShared = defaultShared() - k->staticShared;
  if (k->maxDynamicShared < 0)
    k->maxDynamicShared = 0;
  strcpy(k->name, name);
  k->next = kernels;
  kernels = k;
  *function = (CUfunction)k;
  return SUCCESS;
}

/* The emulated kernel `f` names in *k, or NULL without NHC_FAKE_CUDA_KERNELS
 * (then a function is its module, and its launches run nothing);
 * CUDA_ERROR_INVALID_HANDLE if its module was unloaded. */
static CUresult emulatedKernel(CUfunction f, struct Kernel **k) {
  *k = emulationWanted() ? (struct Kernel *)f : NULL;
  return *k && !(*k)->module ? INVALID_HANDLE : SUCCESS;
}

/* Shared memory attributes. A function that is no emulated kernel has no
 * static bytes and keeps no limit. */
CUresult cuFuncGetAttribute(int *value, int attribute, CUfunction f) {
  if (!current())
    return INVALID_CONTEXT;
  struct Kernel *k;
  CUresult live = emulatedKernel(f, &k);
  if (live != SUCCESS)
    return live;
  if (attribute == 1) /* SHARED_SIZE_BYTES */
    *value = k ? k->staticShared : 0;
  else if (attribute == 8) /* MAX_DYNAMIC_SHARED_SIZE_BYTES */
    *value = k ? k->maxDynamicShared : defaultShared();
  else
    return INVALID_VALUE;
  return SUCCESS;
}
CUresult cuFuncSetAttribute(CUfunction f, int attribute, int value) {
  if (!current())
    return INVALID_CONTEXT;
  struct Kernel *k;
  CUresult live = emulatedKernel(f, &k);
  if (live != SUCCESS)
    return live;
  int staticShared = k ? k->staticShared : 0;
  if (attribute != 8 || value < 0 || value > sharedOptin() - staticShared)
    return INVALID_VALUE;
  if (k)
    k->maxDynamicShared = value;
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
/* For tests (what a step may not do, or moves): allocations made (device and
 * pinned), calls that made the host wait for the stream (synchronizations,
 * synchronous copies), and bytes copied host to device and device to host
 * by calls issued outside a capture (a graph holds device copies only). */
static long allocationCalls, hostWaits;
static uint64_t hostToDeviceBytes, deviceToHostBytes;

static long findAllocation(uintptr_t address) {
  for (size_t i = 0; i < allocationCount; ++i)
    if (allocations[i].base == address)
      return (long)i;
  return -1;
}
/* Whether [address, address + bytes) lies inside one of `count` ranges. */
static int insideOneOf(const struct Allocation *list, size_t count,
                       uintptr_t address, size_t bytes) {
  for (size_t i = 0; i < count; ++i) {
    const struct Allocation *a = &list[i];
    if (address >= a->base && address - a->base <= a->size &&
        bytes <= a->size - (address - a->base))
      return 1;
  }
  return 0;
}
/* Whether [address, address + bytes) lies inside one live allocation. */
static int inside(uintptr_t address, size_t bytes) {
  return insideOneOf(allocations, allocationCount, address, bytes);
}
/* Room for one more range in *list (OUT_OF_MEMORY where there is none). */
static CUresult reserveOne(struct Allocation **list, size_t count,
                           size_t *capacity) {
  if (count < *capacity)
    return SUCCESS;
  size_t grown = *capacity ? 2 * *capacity : 64;
  struct Allocation *more =
      (struct Allocation *)realloc(*list, grown * sizeof(struct Allocation));
  if (!more)
    return OUT_OF_MEMORY;
  *list = more;
  *capacity = grown;
  return SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr *address, size_t bytes) {
  if (!current())
    return INVALID_CONTEXT;
  const char *limit = getenv("NHC_FAKE_CUDA_MEMORY");
  if (limit && *limit && liveBytes + bytes > strtoull(limit, NULL, 10))
    return OUT_OF_MEMORY;
  if (reserveOne(&allocations, allocationCount, &allocationCapacity) != SUCCESS)
    return OUT_OF_MEMORY;
  /* cuMemAlloc's alignment: 256 bytes. */
  void *p = aligned_alloc(256, bytes ? (bytes + 255) / 256 * 256 : 256);
  if (!p)
    return OUT_OF_MEMORY;
  /* A device's new memory holds whatever was there (malloc's fresh pages
   * are zero, which would hide a read of memory nobody wrote): all-ones
   * bytes, NaN as f32 or bf16, -1 as an integer. */
  memset(p, 0xff, bytes);
  allocations[allocationCount].base = (uintptr_t)p;
  allocations[allocationCount].size = bytes;
  ++allocationCount;
  ++allocationCalls;
  liveBytes += bytes;
  *address = (CUdeviceptr)(uintptr_t)p;
  return SUCCESS;
}
CUresult cuMemFree_v2(CUdeviceptr address) {
  if (!current())
    return INVALID_CONTEXT;
  settle();
  long i = findAllocation((uintptr_t)address);
  if (i < 0)
    return INVALID_VALUE;
  liveBytes -= allocations[i].size;
  allocations[i] = allocations[--allocationCount];
  free((void *)(uintptr_t)address);
  return SUCCESS;
}
static struct Node *addNode(enum NodeKind kind) {
  struct Graph *g = capturing;
  if (g->count == g->capacity) {
    size_t grown = g->capacity ? 2 * g->capacity : 64;
    struct Node *more = (struct Node *)realloc(g->nodes, grown * sizeof(struct Node));
    if (!more)
      return NULL;
    g->nodes = more;
    g->capacity = grown;
  }
  struct Node *n = &g->nodes[g->count++];
  memset(n, 0, sizeof(*n));
  n->kind = kind;
  return n;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
  if (!current())
    return INVALID_CONTEXT;
  if (stickyError)
    return stickyError;
  settle();
  if (capturing)
    return CAPTURE_UNSUPPORTED;
  if (!inside((uintptr_t)dst, bytes))
    return INVALID_VALUE;
  memcpy((void *)(uintptr_t)dst, src, bytes);
  ++hostWaits;
  hostToDeviceBytes += bytes;
  return SUCCESS;
}
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
  if (!current())
    return INVALID_CONTEXT;
  if (stickyError)
    return stickyError;
  settle();
  if (capturing)
    return CAPTURE_UNSUPPORTED;
  if (!inside((uintptr_t)src, bytes))
    return INVALID_VALUE;
  memcpy(dst, (const void *)(uintptr_t)src, bytes);
  ++hostWaits;
  deviceToHostBytes += bytes;
  return SUCCESS;
}
static CUresult copy(enum NodeKind kind, uintptr_t dst, uintptr_t src,
                     size_t bytes) {
  if (stickyError)
    return stickyError;
  settle();
  if ((kind != NODE_DTOH && !inside(dst, bytes)) ||
      (kind != NODE_HTOD && !inside(src, bytes)))
    return INVALID_VALUE;
  /* All host memory here is pageable, which a graph cannot copy from or to
   * (the real driver refuses it while capturing). */
  if (capturing && kind != NODE_DTOD)
    return CAPTURE_UNSUPPORTED;
  if (capturing) {
    struct Node *n = addNode(kind);
    if (!n)
      return OUT_OF_MEMORY;
    n->dst = dst;
    n->src = src;
    n->bytes = bytes;
    return SUCCESS;
  }
  memcpy((void *)dst, (const void *)src, bytes);
  return SUCCESS;
}
static int fromPinned(uintptr_t src, size_t bytes);
static CUresult queuePinnedCopy(uintptr_t dst, uintptr_t src, size_t bytes);
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes,
                              CUstream s) {
  if (!current())
    return INVALID_CONTEXT;
  if (stickyError)
    return stickyError;
  (void)s;
  CUresult result =
      !capturing && fromPinned((uintptr_t)src, bytes)
          ? queuePinnedCopy((uintptr_t)dst, (uintptr_t)src, bytes)
          : copy(NODE_HTOD, (uintptr_t)dst, (uintptr_t)src, bytes);
  if (result == SUCCESS)
    hostToDeviceBytes += bytes;
  return result;
}
CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes,
                              CUstream s) {
  if (!current())
    return INVALID_CONTEXT;
  (void)s;
  CUresult result = copy(NODE_DTOH, (uintptr_t)dst, (uintptr_t)src, bytes);
  if (result == SUCCESS)
    deviceToHostBytes += bytes;
  return result;
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                              CUstream s) {
  if (!current())
    return INVALID_CONTEXT;
  (void)s;
  return copy(NODE_DTOD, (uintptr_t)dst, (uintptr_t)src, bytes);
}
CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t bytes,
                         CUstream s) {
  if (!current())
    return INVALID_CONTEXT;
  if (stickyError)
    return stickyError;
  (void)s;
  settle();
  if (!inside((uintptr_t)dst, bytes))
    return INVALID_VALUE;
  if (capturing) {
    struct Node *n = addNode(NODE_MEMSET);
    if (!n)
      return OUT_OF_MEMORY;
    n->dst = (uintptr_t)dst;
    n->bytes = bytes;
    n->value = value;
    return SUCCESS;
  }
  memset((void *)(uintptr_t)dst, value, bytes);
  return SUCCESS;
}
static int stream;
CUresult cuStreamCreate(CUstream *s, unsigned flags) {
  if (!current())
    return INVALID_CONTEXT;
  (void)flags;
  *s = (CUstream)&stream;
  return SUCCESS;
}
CUresult cuStreamDestroy_v2(CUstream s) {
  if (!current())
    return INVALID_CONTEXT;
  settle();
  return (void *)s == (void *)&stream ? SUCCESS : INVALID_VALUE;
}
CUresult cuStreamSynchronize(CUstream s) {
  if (!current())
    return INVALID_CONTEXT;
  if (stickyError)
    return stickyError;
  settle();
  if (capturing)
    return CAPTURE_UNSUPPORTED;
  if ((void *)s != (void *)&stream && s)
    return INVALID_VALUE;
  ++hostWaits;
  return SUCCESS;
}
static CUresult runKernel(const struct Kernel *k, unsigned gx, unsigned gy,
                          unsigned gz, unsigned bx, unsigned by, unsigned bz,
                          unsigned shared, void **params);
CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned shared,
                        CUstream s, void **params, void **extra) {
  if (!current())
    return INVALID_CONTEXT;
  if (stickyError)
    return stickyError;
  (void)s; (void)extra;
  settle();
  /* CUDA's limits: grid y, z <= 65535; block z <= 64, 1024 threads. */
  if (!gx || !gy || !gz || !bx || !by || !bz || gy > 65535 || gz > 65535 ||
      bz > 64 || (uint64_t)bx * by * bz > 1024)
    return INVALID_VALUE;
  ++launches;
  struct Kernel *k;
  CUresult live = emulatedKernel(f, &k);
  if (live != SUCCESS || !k)
    return live;
  if (shared > (unsigned)k->maxDynamicShared)
    return INVALID_VALUE;
  const char *failing = getenv("NHC_FAKE_CUDA_FAIL_LAUNCH");
  if (failing && strcmp(failing, k->name) == 0) {
    if (envInt("NHC_FAKE_CUDA_FAIL_LAUNCH_STICKY", 0))
      return stickyError = LAUNCH_FAILED;
    return LAUNCH_OUT_OF_RESOURCES;
  }
  ++k->launched;
  if (capturing) { /* the parameters' values, one 8-byte slot each */
    struct Node *n = addNode(NODE_LAUNCH);
    if (!n)
      return OUT_OF_MEMORY;
    n->kernel = k;
    n->grid[0] = gx; n->grid[1] = gy; n->grid[2] = gz;
    n->block[0] = bx; n->block[1] = by; n->block[2] = bz;
    n->shared = shared;
    if (k->slots > 1024)
      return INVALID_VALUE; /* more than cuGraphLaunch replays */
    n->params = (uint64_t *)malloc((size_t)(k->slots ? k->slots : 1) * 8);
    if (!n->params) {
      --capturing->count; /* no node without its parameters */
      return OUT_OF_MEMORY;
    }
    for (int64_t i = 0; i < k->slots; ++i)
      memcpy(&n->params[i], params[i], 8);
    return SUCCESS;
  }
  return runKernel(k, gx, gy, gz, bx, by, bz, shared, params);
}

/* cuda.h's CUlaunchAttribute (an id, padding, a 64-byte value union) and
 * CUlaunchConfig. */
typedef struct {
  int id;
  char pad[4];
  union {
    int programmaticStreamSerializationAllowed;
    uint64_t align;
    unsigned char bytes[64];
  } value;
} CUlaunchAttribute;
typedef struct {
  unsigned gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ;
  unsigned sharedMemBytes;
  CUstream hStream;
  CUlaunchAttribute *attrs;
  unsigned numAttrs;
} CUlaunchConfig;
enum { PROGRAMMATIC_STREAM_SERIALIZATION = 6 };
static long programmaticLaunches;
/* cuLaunchKernel with attributes; only programmatic stream serialization
 * is known here (others: CUDA_ERROR_INVALID_VALUE). A programmatic launch
 * needs a chip with griddepcontrol (sm_90 and newer) and, where the
 * kernel's PTX is read, a kernel that waits (griddepcontrol.wait) before it
 * reads its predecessor's results: a device would run one that does not
 * with a race and no error; the double refuses it. */
CUresult cuLaunchKernelEx(const CUlaunchConfig *config, CUfunction f,
                          void **params, void **extra) {
  if (!config || (config->numAttrs && !config->attrs))
    return INVALID_VALUE;
  settle();
  int programmatic = 0;
  for (unsigned i = 0; i < config->numAttrs; ++i) {
    if (config->attrs[i].id != PROGRAMMATIC_STREAM_SERIALIZATION)
      return INVALID_VALUE;
    programmatic =
        config->attrs[i].value.programmaticStreamSerializationAllowed != 0;
  }
  struct Kernel *k = NULL;
  if (programmatic) {
    if (envInt("NHC_FAKE_CUDA_SM", 90) < 90)
      return INVALID_VALUE;
    const char *refuse = getenv("NHC_FAKE_CUDA_REFUSE_PROGRAMMATIC");
    if (refuse && (strcmp(refuse, "always") == 0 ||
                   (strcmp(refuse, "capture") == 0 && capturing))) {
      if (capturing) { /* an error in a capture invalidates it */
        freeGraph(capturing);
        capturing = NULL;
        captureInvalidated = 1;
      }
      return NOT_SUPPORTED;
    }
    if (current() && emulatedKernel(f, &k) == SUCCESS && k && k->waits == 0) {
      fprintf(stderr, "fake_cuda_driver: programmatic launch of %s, whose "
                      "PTX has no griddepcontrol.wait\n", k->name);
      return INVALID_VALUE;
    }
  }
  CUresult result = cuLaunchKernel(
      f, config->gridDimX, config->gridDimY, config->gridDimZ,
      config->blockDimX, config->blockDimY, config->blockDimZ,
      config->sharedMemBytes, config->hStream, params, extra);
  if (result == SUCCESS && programmatic) {
    ++programmaticLaunches;
    if (k)
      ++k->programmatic;
  }
  return result;
}

/* The emulated kernel's arguments: the parameters, then the grid's and the
 * block's sizes and the dynamic shared bytes. */
static CUresult runKernel(const struct Kernel *k, unsigned gx, unsigned gy,
                          unsigned gz, unsigned bx, unsigned by, unsigned bz,
                          unsigned shared, void **params) {
  enum { SIZES = 7 };
  void **args = (void **)malloc((size_t)(k->slots + SIZES) * sizeof(void *));
  if (!args)
    return OUT_OF_MEMORY;
  int64_t sizes[SIZES] = {gx, gy, gz, bx, by, bz, shared};
  for (int64_t i = 0; i < k->slots; ++i)
    args[i] = params[i];
  for (int i = 0; i < SIZES; ++i)
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
  case INVALID_HANDLE: *name = "CUDA_ERROR_INVALID_HANDLE"; return SUCCESS;
  case NOT_READY: *name = "CUDA_ERROR_NOT_READY"; return SUCCESS;
  case NOT_FOUND: *name = "CUDA_ERROR_NOT_FOUND"; return SUCCESS;
  case INVALID_CONTEXT: *name = "CUDA_ERROR_INVALID_CONTEXT"; return SUCCESS;
  case CAPTURE_UNSUPPORTED: *name = "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"; return SUCCESS;
  case CAPTURE_INVALIDATED: *name = "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"; return SUCCESS;
  case NOT_SUPPORTED: *name = "CUDA_ERROR_NOT_SUPPORTED"; return SUCCESS;
  case LAUNCH_FAILED: *name = "CUDA_ERROR_LAUNCH_FAILED"; return SUCCESS;
  case LAUNCH_OUT_OF_RESOURCES: *name = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"; return SUCCESS;
  default: *name = NULL; return INVALID_VALUE;
  }
}
/* Host work a companion double (fake_cublaslt.c) issues on a stream: run
 * now, or recorded (with a copy of its `bytes`-byte argument) while the
 * stream is captured. */
int nhc_fake_cuda_enqueue(CUstream s, void (*fn)(const void *), const void *arg,
                          size_t bytes) {
  (void)s;
  if (stickyError)
    return stickyError;
  settle();
  if (!capturing) {
    fn(arg);
    return SUCCESS;
  }
  struct Node *n = addNode(NODE_HOST);
  if (!n)
    return OUT_OF_MEMORY;
  n->host = fn;
  n->bytes = bytes;
  n->params = (uint64_t *)malloc(bytes ? bytes : 1);
  if (!n->params) {
    --capturing->count;
    return OUT_OF_MEMORY;
  }
  memcpy(n->params, arg, bytes);
  return SUCCESS;
}

/* Events: the clock when the stream reached the event's last record. */
#define EVENT_MAGIC 0x65766e74
struct CUevent_st {
  int magic;
  int reached;
  struct timespec at;
};
static long liveEvents;
static int isEvent(CUevent e) { return e && e->magic == EVENT_MAGIC; }
CUresult cuEventCreate(CUevent *event, unsigned flags) {
  if (!current())
    return INVALID_CONTEXT;
  /* CU_EVENT_DEFAULT and CU_EVENT_DISABLE_TIMING: the runtime's uses */
  if (!event || (flags != 0 && flags != 2))
    return INVALID_VALUE;
  CUevent e = (CUevent)calloc(1, sizeof(*e));
  if (!e)
    return OUT_OF_MEMORY;
  e->magic = EVENT_MAGIC;
  ++liveEvents;
  *event = e;
  return SUCCESS;
}
static void reach(const void *arg) {
  CUevent e;
  memcpy(&e, arg, sizeof(e));
  clock_gettime(CLOCK_MONOTONIC, &e->at);
  e->reached = 1;
}
CUresult cuEventRecord(CUevent event, CUstream s) {
  if (!current())
    return INVALID_CONTEXT;
  if (!isEvent(event))
    return INVALID_HANDLE;
  if (s && (void *)s != (void *)&stream)
    return INVALID_VALUE;
  event->reached = 0;
  if (pendingCount && !capturing)
    return queueEvent(event);
  return (CUresult)nhc_fake_cuda_enqueue(s, reach, &event, sizeof(event));
}
/* Pinned host memory and the queue of work behind copies from it. */
static struct Allocation *pinnedBuffers;
static size_t pinnedCount, pinnedCapacity;
static long pinnedCopies;
struct Pending {
  uintptr_t dst, src; /* a copy of `bytes`, or (event) a record */
  size_t bytes;
  CUevent event;
};
static struct Pending *pending;
static size_t pendingCapacity;

static int fromPinned(uintptr_t src, size_t bytes) {
  return insideOneOf(pinnedBuffers, pinnedCount, src, bytes);
}
static CUresult queue(struct Pending item) {
  if (pendingCount == pendingCapacity) {
    size_t grown = pendingCapacity ? 2 * pendingCapacity : 64;
    struct Pending *more =
        (struct Pending *)realloc(pending, grown * sizeof(struct Pending));
    if (!more)
      return OUT_OF_MEMORY;
    pending = more;
    pendingCapacity = grown;
  }
  pending[pendingCount++] = item;
  return SUCCESS;
}
static CUresult queuePinnedCopy(uintptr_t dst, uintptr_t src, size_t bytes) {
  if (!inside(dst, bytes))
    return INVALID_VALUE;
  struct Pending item = {dst, src, bytes, NULL};
  return queue(item);
}
static CUresult queueEvent(CUevent event) {
  struct Pending item = {0, 0, 0, event};
  return queue(item);
}
/* Runs the first `count` queued items. */
static void runPending(size_t count) {
  if (!count)
    return;
  for (size_t i = 0; i < count; ++i) {
    if (pending[i].event) {
      reach(&pending[i].event);
    } else {
      memcpy((void *)pending[i].dst, (const void *)pending[i].src,
             pending[i].bytes);
      ++pinnedCopies;
    }
  }
  memmove(pending, pending + count, (pendingCount - count) * sizeof(*pending));
  pendingCount -= count;
}
static void settle(void) { runPending(pendingCount); }

CUresult cuEventSynchronize(CUevent event) {
  if (!current())
    return INVALID_CONTEXT;
  if (stickyError)
    return stickyError;
  if (!isEvent(event))
    return INVALID_HANDLE;
  if (capturing)
    return CAPTURE_UNSUPPORTED;
  size_t through = 0; /* the queue up to the event's last record */
  for (size_t i = 0; i < pendingCount; ++i)
    if (pending[i].event == event)
      through = i + 1;
  runPending(through);
  ++hostWaits;
  return SUCCESS;
}
CUresult cuMemHostAlloc(void **pp, size_t bytes, unsigned flags) {
  if (!current())
    return INVALID_CONTEXT;
  if (!pp || (flags & ~7u)) /* PORTABLE, DEVICEMAP, WRITECOMBINED */
    return INVALID_VALUE;
  const char *mode = getenv("NHC_FAKE_CUDA_PINNED");
  if (mode && strcmp(mode, "fail") == 0)
    return OUT_OF_MEMORY;
  if (reserveOne(&pinnedBuffers, pinnedCount, &pinnedCapacity) != SUCCESS)
    return OUT_OF_MEMORY;
  void *p = aligned_alloc(4096, bytes ? (bytes + 4095) / 4096 * 4096 : 4096);
  if (!p)
    return OUT_OF_MEMORY;
  pinnedBuffers[pinnedCount].base = (uintptr_t)p;
  pinnedBuffers[pinnedCount].size = bytes;
  ++pinnedCount;
  ++allocationCalls;
  *pp = p;
  return SUCCESS;
}
CUresult cuMemFreeHost(void *p) {
  if (!current())
    return INVALID_CONTEXT;
  settle();
  for (size_t i = 0; i < pinnedCount; ++i)
    if (pinnedBuffers[i].base == (uintptr_t)p) {
      pinnedBuffers[i] = pinnedBuffers[--pinnedCount];
      free(p);
      return SUCCESS;
    }
  return INVALID_VALUE;
}

CUresult cuEventElapsedTime(float *milliseconds, CUevent start, CUevent end) {
  if (!current())
    return INVALID_CONTEXT;
  if (!isEvent(start) || !isEvent(end))
    return INVALID_HANDLE;
  if (!milliseconds)
    return INVALID_VALUE;
  if (!start->reached || !end->reached)
    return NOT_READY;
  *milliseconds = (float)((double)(end->at.tv_sec - start->at.tv_sec) * 1e3 +
                          (double)(end->at.tv_nsec - start->at.tv_nsec) * 1e-6);
  return SUCCESS;
}
CUresult cuEventDestroy_v2(CUevent event) {
  if (!current())
    return INVALID_CONTEXT;
  settle(); /* a queued record may name it */
  if (!isEvent(event))
    return INVALID_HANDLE;
  event->magic = 0;
  free(event);
  --liveEvents;
  return SUCCESS;
}

static void freeGraph(struct Graph *g) {
  for (size_t i = 0; i < g->count; ++i)
    free(g->nodes[i].params);
  free(g->nodes);
  free(g);
}

CUresult cuStreamBeginCapture_v2(CUstream s, int mode) {
  if (!current())
    return INVALID_CONTEXT;
  settle();
  (void)s; (void)mode;
  if (capturing)
    return CAPTURE_UNSUPPORTED;
  capturing = (struct Graph *)calloc(1, sizeof(struct Graph));
  return capturing ? SUCCESS : OUT_OF_MEMORY;
}
CUresult cuStreamEndCapture(CUstream s, CUgraph *graph) {
  if (!current())
    return INVALID_CONTEXT;
  (void)s;
  if (captureInvalidated) {
    captureInvalidated = 0;
    *graph = NULL;
    return CAPTURE_INVALIDATED;
  }
  if (!capturing)
    return CAPTURE_INVALIDATED;
  *graph = (CUgraph)capturing;
  capturing = NULL;
  return SUCCESS;
}
CUresult cuGraphInstantiateWithFlags(CUgraphExec *exec, CUgraph graph,
                                     unsigned long long flags) {
  if (!current())
    return INVALID_CONTEXT;
  const struct Graph *g = (const struct Graph *)graph;
  (void)flags;
  struct Graph *copy = (struct Graph *)calloc(1, sizeof(struct Graph));
  if (!copy)
    return OUT_OF_MEMORY;
  copy->nodes = (struct Node *)calloc(g->count ? g->count : 1, sizeof(struct Node));
  if (!copy->nodes) {
    free(copy);
    return OUT_OF_MEMORY;
  }
  copy->count = copy->capacity = g->count;
  for (size_t i = 0; i < g->count; ++i) {
    copy->nodes[i] = g->nodes[i];
    copy->nodes[i].params = NULL;
    if (g->nodes[i].params) {
      size_t bytes = g->nodes[i].kind == NODE_LAUNCH
                         ? (size_t)(g->nodes[i].kernel->slots ? g->nodes[i].kernel->slots : 1) * 8
                         : g->nodes[i].bytes;
      copy->nodes[i].params = (uint64_t *)malloc(bytes ? bytes : 1);
      if (!copy->nodes[i].params) {
        freeGraph(copy);
        return OUT_OF_MEMORY;
      }
      memcpy(copy->nodes[i].params, g->nodes[i].params, bytes);
    }
  }
  *exec = (CUgraphExec)copy;
  return SUCCESS;
}
CUresult cuGraphLaunch(CUgraphExec exec, CUstream s) {
  if (!current())
    return INVALID_CONTEXT;
  if (stickyError)
    return stickyError;
  const struct Graph *g = (const struct Graph *)exec;
  (void)s;
  if (capturing)
    return CAPTURE_UNSUPPORTED;
  settle();
  for (size_t i = 0; i < g->count; ++i) {
    const struct Node *n = &g->nodes[i];
    CUresult result = SUCCESS;
    switch (n->kind) {
    case NODE_LAUNCH: {
      if (!n->kernel->module) { /* its module was unloaded */
        result = INVALID_HANDLE;
        break;
      }
      void *params[1024];
      for (int64_t p = 0; p < n->kernel->slots && p < 1024; ++p)
        params[p] = &n->params[p];
      result = runKernel(n->kernel, n->grid[0], n->grid[1], n->grid[2],
                         n->block[0], n->block[1], n->block[2], n->shared,
                         params);
      break;
    }
    case NODE_HTOD:
    case NODE_DTOH:
    case NODE_DTOD:
      result = copy(n->kind, n->dst, n->src, n->bytes);
      break;
    case NODE_MEMSET:
      memset((void *)n->dst, n->value, n->bytes);
      break;
    case NODE_HOST:
      n->host(n->params);
      break;
    }
    if (result != SUCCESS)
      return result;
  }
  ++graphLaunches;
  return SUCCESS;
}
CUresult cuGraphExecDestroy(CUgraphExec exec) {
  if (!current())
    return INVALID_CONTEXT;
  freeGraph((struct Graph *)exec);
  return SUCCESS;
}
CUresult cuGraphDestroy(CUgraph graph) {
  if (!current())
    return INVALID_CONTEXT;
  freeGraph((struct Graph *)graph);
  return SUCCESS;
}

/* For tests: launches counted so far (graph replays not included), graphs
 * launched, and device memory allocated now. */
long nhc_fake_cuda_launches(void) { return launches; }
/* For tests: launches with programmatic stream serialization so far
 * (graph replays not included). */
long nhc_fake_cuda_programmatic_launches(void) { return programmaticLaunches; }
/* For tests: events created and not yet destroyed. */
long nhc_fake_cuda_live_events(void) { return liveEvents; }
long nhc_fake_cuda_pinned_live(void) { return (long)pinnedCount; }
long nhc_fake_cuda_pinned_copies(void) { return pinnedCopies; }
long nhc_fake_cuda_graph_launches(void) { return graphLaunches; }
uint64_t nhc_fake_cuda_live_bytes(void) { return liveBytes; }
long nhc_fake_cuda_allocations(void) { return allocationCalls; }
long nhc_fake_cuda_host_waits(void) { return hostWaits; }
uint64_t nhc_fake_cuda_host_to_device_bytes(void) { return hostToDeviceBytes; }
uint64_t nhc_fake_cuda_device_to_host_bytes(void) { return deviceToHostBytes; }
/* For tests: launches of the emulated kernel `name` issued so far (graph
 * replays not included; 0 for one never looked up). */
long nhc_fake_cuda_kernel_launches(const char *name) {
  long launched = 0;
  for (const struct Kernel *k = kernels; k; k = k->next)
    if (strcmp(k->name, name) == 0)
      launched += k->launched;
  return launched;
}

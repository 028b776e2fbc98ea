/*===- nhc/runtime/status.h - Export macro, status codes, last error -*- C -*-===//
 *
 * Every fallible runtime call returns an nhc_status_t. On failure it also
 * records a message on the calling thread that names the file, tensor, key or
 * slot involved; read it with nhc_last_error() right after the failing call.
 *===----------------------------------------------------------------------===*/
#ifndef NHC_RUNTIME_STATUS_H
#define NHC_RUNTIME_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* The runtime is built with -fvisibility=hidden; only NHC_API symbols are
 * exported from a shared nhc_runtime. */
#if defined(_WIN32)
#if defined(NHC_RUNTIME_BUILDING_SHARED)
#define NHC_API __declspec(dllexport)
#elif defined(NHC_RUNTIME_USING_SHARED)
#define NHC_API __declspec(dllimport)
#else
#define NHC_API
#endif
#else
#define NHC_API __attribute__((visibility("default")))
#endif

typedef enum nhc_status_t {
  NHC_OK = 0,
  NHC_INVALID_ARGUMENT = 1,    /* bad caller input: NULL, zero, unknown id */
  NHC_IO_ERROR = 2,            /* open/stat/mmap/read/write failed */
  NHC_INVALID_FORMAT = 3,      /* malformed artifact/safetensors/JSON bytes */
  NHC_UNSUPPORTED_VERSION = 4, /* well-formed but a version we cannot read */
  NHC_CHECKSUM_MISMATCH = 5,   /* artifact contents do not match checksum */
  NHC_NOT_FOUND = 6,           /* missing tensor, section or layer */
  NHC_MISMATCH = 7,            /* tensor present but wrong dtype or shape */
  NHC_RESOURCE_EXHAUSTED = 8,  /* no free state slot */
  NHC_OUT_OF_RANGE = 9,        /* sequence would exceed max_seq_len */
  NHC_FAILED_PRECONDITION = 10,/* slot not claimed, double release */
  NHC_OUT_OF_MEMORY = 11,
  NHC_INTERNAL = 12,           /* a runtime bug; please report */
  NHC_UNSUPPORTED = 13         /* valid, but this runtime cannot run it yet
                                  (FP8 weights) */
} nhc_status_t;

/* Static string naming a status code ("ok", "invalid format", ...). */
NHC_API const char *nhc_status_string(nhc_status_t status);

/* Message of the most recent failing call on this thread, or "" if none.
 * Successful calls leave it unchanged. The pointer stays valid until the
 * next failing call on the same thread. */
NHC_API const char *nhc_last_error(void);

/* Resets this thread's last error to "". */
NHC_API void nhc_clear_last_error(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_STATUS_H */

/*===- nhc/runtime/artifact.h - On-disk artifact format, version 2 -*- C -*-===//
 *
 * The one runtime header the compiler includes (one-way dependency: the
 * runtime owns the format). It is deliberately dependency-free: C99 structs,
 * constants and small inline helpers, usable from C and C++ alike. The byte
 * layout is specified in docs/artifact-format.md.
 *
 * All multi-byte fields are little-endian. The structs below match the file
 * layout exactly on little-endian hosts (the only hosts nhc supports), so a
 * reader may memcpy() them out of the file; never cast an unvalidated file
 * pointer to them.
 *===----------------------------------------------------------------------===*/
#ifndef NHC_RUNTIME_ARTIFACT_H
#define NHC_RUNTIME_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "NHCARTF" followed by a NUL byte: 8 bytes at offset 0. */
#define NHC_ARTIFACT_MAGIC "NHCARTF"
#define NHC_ARTIFACT_MAGIC_SIZE 8u
#define NHC_ARTIFACT_FORMAT_VERSION 2u
/* The oldest version a reader of this header reads: version 1 is version 2
 * without the LAUNCH_TABLE_JSON kind. */
#define NHC_ARTIFACT_MIN_FORMAT_VERSION 1u

#define NHC_ARTIFACT_HEADER_SIZE 64u
#define NHC_ARTIFACT_SECTION_ENTRY_SIZE 64u
/* Section data starts on a multiple of this (a cache line; also enough for
 * any ELF/cubin loader that wants aligned input). */
#define NHC_ARTIFACT_SECTION_ALIGNMENT 64u
/* Includes the terminating NUL: names are at most 39 characters. */
#define NHC_ARTIFACT_SECTION_NAME_SIZE 40u

/* FNV-1a 64-bit parameters; the checksum starts from the offset basis. */
#define NHC_FNV1A64_OFFSET_BASIS 0xcbf29ce484222325ull
#define NHC_FNV1A64_PRIME 0x00000100000001b3ull

/* Section kinds. A new kind needs a new format version: a v1 reader rejects
 * kinds it does not know rather than silently ignoring code it cannot run. */
typedef enum nhc_artifact_section_kind_t {
  NHC_SECTION_MANIFEST_JSON = 1,       /* exactly one; UTF-8 JSON text */
  NHC_SECTION_HOST_SHARED_LIBRARY = 2, /* ELF shared object bytes */
  NHC_SECTION_HOST_OBJECT = 3,         /* relocatable object bytes */
  NHC_SECTION_PTX = 4,                 /* PTX text; name = target, "sm_90" */
  NHC_SECTION_CUBIN = 5,               /* CUDA binary; name = target */
  NHC_SECTION_LAUNCH_TABLE_JSON = 6    /* since v2: how to launch each GPU
                                          kernel; name = "cuda"; JSON text */
} nhc_artifact_section_kind_t;

#define NHC_SECTION_KIND_MIN 1u
#define NHC_SECTION_KIND_MAX 6u

/* The highest section kind format version `version` defines. */
static inline uint32_t nhc_artifact_max_section_kind(uint32_t version) {
  return version >= 2u ? NHC_SECTION_LAUNCH_TABLE_JSON : NHC_SECTION_CUBIN;
}

/* File header: bytes [0, 64). */
/* A HOST_SHARED_LIBRARY exports `void nhc_<kernel>_packed(void **args)` and
 * may export `int64_t nhc_<kernel>_sliced_packed(void **args, int64_t slice,
 * int64_t slices, int64_t phase)` (docs/execution-model.md); it then also
 * exports `const int64_t nhc_sliced_abi` = NHC_HOST_SLICED_ABI_VERSION, and a
 * runtime uses the sliced entries only when the version is its own. */
#define NHC_HOST_SLICED_ABI_SYMBOL "nhc_sliced_abi"
#define NHC_HOST_SLICED_ABI_VERSION 2

typedef struct nhc_artifact_header_t {
  char magic[8];                 /* NHC_ARTIFACT_MAGIC incl. its NUL */
  uint32_t format_version;       /* NHC_ARTIFACT_FORMAT_VERSION */
  uint32_t section_count;        /* entries in the section table */
  uint64_t file_size;            /* total file size in bytes */
  uint64_t section_table_offset; /* byte offset of the section table */
  uint64_t checksum;             /* FNV-1a 64 over bytes [64, file_size) */
  uint8_t reserved[24];          /* zero */
} nhc_artifact_header_t;

/* One section table entry: 64 bytes. */
typedef struct nhc_artifact_section_entry_t {
  uint32_t kind;   /* nhc_artifact_section_kind_t */
  uint32_t flags;  /* reserved, zero in v1 */
  uint64_t offset; /* byte offset of the data, multiple of 64 */
  uint64_t size;   /* byte size of the data */
  char name[NHC_ARTIFACT_SECTION_NAME_SIZE]; /* NUL-terminated, NUL-padded */
} nhc_artifact_section_entry_t;

#ifdef __cplusplus
static_assert(sizeof(nhc_artifact_header_t) == NHC_ARTIFACT_HEADER_SIZE,
              "artifact header must be 64 bytes");
static_assert(sizeof(nhc_artifact_section_entry_t) ==
                  NHC_ARTIFACT_SECTION_ENTRY_SIZE,
              "section entry must be 64 bytes");
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(nhc_artifact_header_t) == NHC_ARTIFACT_HEADER_SIZE,
               "artifact header must be 64 bytes");
_Static_assert(sizeof(nhc_artifact_section_entry_t) ==
                   NHC_ARTIFACT_SECTION_ENTRY_SIZE,
               "section entry must be 64 bytes");
#endif

/* FNV-1a 64-bit. Pass NHC_FNV1A64_OFFSET_BASIS as `seed` for a fresh hash,
 * or a previous result to continue hashing in pieces. */
static inline uint64_t nhc_fnv1a64(const void *data, size_t size,
                                   uint64_t seed) {
  const unsigned char *bytes = (const unsigned char *)data;
  uint64_t hash = seed;
  size_t i;
  for (i = 0; i < size; ++i) {
    hash ^= (uint64_t)bytes[i];
    hash *= NHC_FNV1A64_PRIME;
  }
  return hash;
}

/* Rounds `value` up to a multiple of `alignment` (a power of two). */
static inline uint64_t nhc_artifact_align_up(uint64_t value,
                                             uint64_t alignment) {
  return (value + alignment - 1u) & ~(alignment - 1u);
}

/* Human-readable kind name for messages; "unknown" for other values. */
static inline const char *nhc_artifact_section_kind_name(uint32_t kind) {
  switch (kind) {
  case NHC_SECTION_MANIFEST_JSON:
    return "MANIFEST_JSON";
  case NHC_SECTION_HOST_SHARED_LIBRARY:
    return "HOST_SHARED_LIBRARY";
  case NHC_SECTION_HOST_OBJECT:
    return "HOST_OBJECT";
  case NHC_SECTION_PTX:
    return "PTX";
  case NHC_SECTION_CUBIN:
    return "CUBIN";
  case NHC_SECTION_LAUNCH_TABLE_JSON:
    return "LAUNCH_TABLE_JSON";
  default:
    return "unknown";
  }
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_ARTIFACT_H */

/*===- nhc/runtime/artifact_reader.h - Load and validate an artifact -*- C -*-===//
 *
 * nhc_artifact_load() reads an artifact file into memory the handle owns and
 * validates the header, checksum, section table and manifest before any
 * section data is used (format: nhc/runtime/artifact.h,
 * docs/artifact-format.md). Section data is that verified copy: changing or
 * truncating the file after the load affects nothing.
 *===----------------------------------------------------------------------===*/
#ifndef NHC_RUNTIME_ARTIFACT_READER_H
#define NHC_RUNTIME_ARTIFACT_READER_H

#include <stddef.h>
#include <stdint.h>

#include "nhc/runtime/manifest.h"
#include "nhc/runtime/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nhc_artifact_t nhc_artifact_t; /* opaque, immutable */

/* A view of one section. `name` and `data` point into the artifact and stay
 * valid until nhc_artifact_release(). */
typedef struct nhc_section_t {
  uint32_t kind; /* nhc_artifact_section_kind_t */
  uint32_t flags;
  const char *name;
  const void *data; /* 64-byte aligned in memory */
  uint64_t size;
} nhc_section_t;

/* Reads and validates the artifact at `path`. The caller owns *out_artifact
 * and releases it with nhc_artifact_release(). On failure *out_artifact is
 * left unchanged and nhc_last_error() names the file and the problem. */
NHC_API nhc_status_t nhc_artifact_load(const char *path,
                                       nhc_artifact_t **out_artifact);

/* Frees the artifact's memory. Invalidates every pointer obtained from the
 * artifact, including its manifest. NULL is allowed. */
NHC_API void nhc_artifact_release(nhc_artifact_t *artifact);

/* The path given to nhc_artifact_load(). */
NHC_API const char *nhc_artifact_path(const nhc_artifact_t *artifact);

/* The manifest JSON text, NUL-terminated; its length in *out_size if not
 * NULL. */
NHC_API const char *nhc_artifact_manifest_json(const nhc_artifact_t *artifact,
                                               size_t *out_size);

/* The parsed manifest, borrowed: owned by the artifact. */
NHC_API const nhc_manifest_t *
nhc_artifact_manifest(const nhc_artifact_t *artifact);

/* Sections in section-table order. */
NHC_API size_t nhc_artifact_section_count(const nhc_artifact_t *artifact);
NHC_API nhc_status_t nhc_artifact_section_at(const nhc_artifact_t *artifact,
                                             size_t index,
                                             nhc_section_t *out_section);

/* First section of `kind` whose name equals `name`, or the first of that
 * kind when `name` is NULL. NHC_NOT_FOUND if there is none. */
NHC_API nhc_status_t nhc_artifact_find_section(const nhc_artifact_t *artifact,
                                               uint32_t kind, const char *name,
                                               nhc_section_t *out_section);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_ARTIFACT_READER_H */

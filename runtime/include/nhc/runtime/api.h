/*===- nhc/runtime/api.h - The nhc runtime C API (umbrella) -*- C -*-===//
 *
 * Ownership: every nhc_*_create/open/load/parse has a matching *_release;
 * the caller owns what those return. Pointers obtained from a handle
 * (names, data, borrowed manifests) live until that handle is released.
 * Errors: see nhc/runtime/status.h. Reference: docs/runtime.md.
 *===----------------------------------------------------------------------===*/
#ifndef NHC_RUNTIME_API_H
#define NHC_RUNTIME_API_H

#include "nhc/runtime/artifact.h"
#include "nhc/runtime/artifact_reader.h"
#include "nhc/runtime/dtype.h"
#include "nhc/runtime/manifest.h"
#include "nhc/runtime/logit_edits.h"
#include "nhc/runtime/logprobs.h"
#include "nhc/runtime/sampling.h"
#include "nhc/runtime/session.h"
#include "nhc/runtime/state_pool.h"
#include "nhc/runtime/status.h"
#include "nhc/runtime/weights.h"

#endif /* NHC_RUNTIME_API_H */

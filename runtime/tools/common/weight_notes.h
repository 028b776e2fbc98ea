//===- weight_notes.h - Printing a binding's notes --------------*- C++ -*-===//
//
// nhc-run and nhc-serve bind the checkpoint before creating their session
// (a session binds on its own and keeps no notes) so that its warnings (a
// checkpoint config.json that differs from the artifact's, a weight stored
// twice with different values) reach the user.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_TOOLS_COMMON_WEIGHT_NOTES_H
#define NHC_TOOLS_COMMON_WEIGHT_NOTES_H

#include <cstdio>

#include "nhc/runtime/api.h"

namespace nhc::run {

/// Binds `weights` to `artifact`'s manifest and prints its notes to stderr
/// as "<tool>: warning: ..." (information notes, "<tool>: note: ...", only
/// with `verbose`). Returns the bind's status (nhc_last_error() has the
/// message).
inline nhc_status_t bindAndPrintNotes(nhc_weights_t *weights,
                                      const nhc_artifact_t *artifact,
                                      const char *tool, bool verbose) {
  nhc_status_t status = nhc_weights_bind(weights, nhc_artifact_manifest(artifact));
  if (status != NHC_OK)
    return status;
  for (size_t i = 0; i < nhc_weights_note_count(weights); ++i) {
    nhc_note_kind_t kind = NHC_NOTE_INFO;
    const char *note = nhc_weights_note_at(weights, i, &kind);
    if (kind == NHC_NOTE_WARNING || verbose)
      std::fprintf(stderr, "%s: %s: %s\n", tool,
                   kind == NHC_NOTE_WARNING ? "warning" : "note", note);
  }
  return NHC_OK;
}

} // namespace nhc::run

#endif // NHC_TOOLS_COMMON_WEIGHT_NOTES_H

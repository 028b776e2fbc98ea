//===- session_notes.h - Printing what a session changed --------*- C++ -*-===//
//
// nhc-run and nhc-serve print how the session's device changed what the
// artifact and the command line asked for (the backend's notes: synthetic
// weights, widened FP8 weights, ...; a gemm precision other than the one
// requested), always: a user comparing numbers needs to know.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_TOOLS_COMMON_SESSION_NOTES_H
#define NHC_TOOLS_COMMON_SESSION_NOTES_H

#include <cstdio>
#include <cstring>

#include "nhc/runtime/api.h"

namespace nhc::run {

/// Prints `session`'s notes to stderr as "<tool>: note: ...", then, when
/// the gemms run in another precision than `requested`, why. Returns the
/// status of reading the session's info (nhc_last_error() has the message),
/// which it leaves in `*infoOut` when given.
inline nhc_status_t printSessionNotes(const nhc_session_t *session,
                                      const char *tool,
                                      nhc_gemm_precision_t requested,
                                      nhc_session_info_t *infoOut = nullptr) {
  for (size_t i = 0; i < nhc_session_note_count(session); ++i)
    std::fprintf(stderr, "%s: note: %s\n", tool,
                 nhc_session_note_at(session, i));
  nhc_session_info_t local;
  nhc_session_info_t &info = infoOut ? *infoOut : local;
  nhc_status_t status = nhc_session_get_info(session, &info);
  if (status != NHC_OK)
    return status;
  if (info.gemm_precision != requested)
    std::fprintf(stderr, "%s: note: --gemm-precision %s: %s; gemms run in %s\n",
                 tool, nhc_gemm_precision_name(requested),
                 std::strcmp(nhc_session_backend(session), "host") == 0
                     ? "this CPU has no bf16 dot-product instructions"
                     : "the device runs BF16 gemm weights in bf16 and F32 "
                       "ones in f32",
                 nhc_gemm_precision_name(info.gemm_precision));
  return NHC_OK;
}

} // namespace nhc::run

#endif // NHC_TOOLS_COMMON_SESSION_NOTES_H

//===- status.cpp - Status strings and the thread-local last error --------===//

#include <string>

#include "error.h"
#include "nhc/runtime/escape.h"
#include "nhc/runtime/status.h"

namespace {
// Per thread, so concurrent callers never see each other's messages.
thread_local std::string lastError;
} // namespace

namespace nhc::runtime {

nhc_status_t setLastError(nhc_status_t status, const std::string &message) {
  try {
    // Messages quote names from untrusted files (nhc/runtime/escape.h).
    lastError = nhc::escapeControls(message);
  } catch (...) {
    // Out of memory while reporting: keep the status, drop the detail.
    lastError.clear();
  }
  return status;
}

} // namespace nhc::runtime

extern "C" {

const char *nhc_status_string(nhc_status_t status) {
  // Any integer may arrive here; switch on it, never on the enum.
  switch (nhc::runtime::enumBits(status)) {
  case NHC_OK:
    return "ok";
  case NHC_INVALID_ARGUMENT:
    return "invalid argument";
  case NHC_IO_ERROR:
    return "I/O error";
  case NHC_INVALID_FORMAT:
    return "invalid format";
  case NHC_UNSUPPORTED_VERSION:
    return "unsupported version";
  case NHC_CHECKSUM_MISMATCH:
    return "checksum mismatch";
  case NHC_NOT_FOUND:
    return "not found";
  case NHC_MISMATCH:
    return "mismatch";
  case NHC_RESOURCE_EXHAUSTED:
    return "resource exhausted";
  case NHC_OUT_OF_RANGE:
    return "out of range";
  case NHC_FAILED_PRECONDITION:
    return "failed precondition";
  case NHC_OUT_OF_MEMORY:
    return "out of memory";
  case NHC_INTERNAL:
    return "internal error";
  case NHC_UNSUPPORTED:
    return "unsupported";
  }
  return "unknown status";
}

const char *nhc_last_error(void) { return lastError.c_str(); }

void nhc_clear_last_error(void) { lastError.clear(); }

} // extern "C"

//===- status.cpp - Status strings and the thread-local last error --------===//

#include <string>

#include "error.h"
#include "nhc/runtime/status.h"

namespace {
// Per thread, so concurrent callers never see each other's messages.
thread_local std::string lastError;

/// Messages quote names from untrusted files: control characters (ESC
/// sequences, CR) and Unicode direction overrides are shown escaped, so a
/// message printed to a terminal shows what the file holds and nothing else.
std::string escapeControls(const std::string &message) {
  std::string out;
  out.reserve(message.size());
  for (size_t i = 0; i < message.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(message[i]);
    bool bidi = c == 0xE2 && i + 2 < message.size() &&
                static_cast<unsigned char>(message[i + 1]) == 0x80 &&
                (static_cast<unsigned char>(message[i + 2]) & 0xF0) == 0xA0 &&
                static_cast<unsigned char>(message[i + 2]) >= 0xAA &&
                static_cast<unsigned char>(message[i + 2]) <= 0xAE;
    if (c < 0x20 || c == 0x7F || bidi) {
      static const char hex[] = "0123456789abcdef";
      for (size_t k = 0, n = bidi ? 3 : 1; k < n; ++k) {
        unsigned char b = static_cast<unsigned char>(message[i + k]);
        out += "\\x";
        out += hex[b >> 4];
        out += hex[b & 15];
      }
      i += bidi ? 2 : 0;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}
} // namespace

namespace nhc::runtime {

nhc_status_t setLastError(nhc_status_t status, const std::string &message) {
  try {
    lastError = escapeControls(message);
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

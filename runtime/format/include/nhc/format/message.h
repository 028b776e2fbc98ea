//===- nhc/format/message.h - Building error messages ---------*- C++ -*-===//
#ifndef NHC_FORMAT_MESSAGE_H
#define NHC_FORMAT_MESSAGE_H

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>

namespace nhc::format {

/// Concatenates anything streamable into one message.
template <typename... Args> std::string cat(const Args &...args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

/// "0x" and 16 hex digits, for hashes and checksums in messages.
inline std::string hex64(uint64_t value) {
  char text[19];
  std::snprintf(text, sizeof(text), "0x%016llx",
                static_cast<unsigned long long>(value));
  return text;
}

} // namespace nhc::format

#endif // NHC_FORMAT_MESSAGE_H

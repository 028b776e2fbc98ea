//===- text.h - Small string helpers of the runtime ---------*- C++ -*-===//
#ifndef NHC_RUNTIME_SRC_TEXT_H
#define NHC_RUNTIME_SRC_TEXT_H

#include <string_view>

namespace nhc::runtime {

/// Whether `text` ends with `suffix` (tensor names, file names).
inline bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.substr(text.size() - suffix.size()) == suffix;
}

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_TEXT_H

//===- FuzzUtil.h - Scratch files for the nhc fuzz targets ---*- C++ -*-===//
//
// The runtime reads files by path (it maps them), so targets write each input
// into a per-process scratch directory first.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_TEST_FUZZ_FUZZUTIL_H
#define NHC_TEST_FUZZ_FUZZUTIL_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace nhc::fuzz {

/// A directory created once per process (under $TMPDIR or /tmp), removed
/// with its files when the process exits normally (a crash leaves it, with
/// the input that crashed).
inline const std::string &scratchDir() {
  // Never destroyed, so the exit handler can still read it.
  static const std::string *dir = [] {
    const char *base = std::getenv("TMPDIR");
    auto *pattern = new std::string(
        std::string(base && *base ? base : "/tmp") + "/nhc-fuzz-XXXXXX");
    if (!::mkdtemp(pattern->data()))
      std::abort();
    return pattern;
  }();
  static const bool removedAtExit = [] {
    return std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(*dir, ignored);
    }) == 0;
  }();
  (void)removedAtExit;
  return *dir;
}

/// Writes `size` bytes to `name` inside scratchDir(); returns the path.
inline std::string writeScratch(const std::string &name, const void *data,
                                size_t size) {
  std::string path = scratchDir() + "/" + name;
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) ||
      std::fclose(f) != 0)
    std::abort();
  return path;
}

/// Aborts (a finding) when an API failed without saying why.
inline void requireMessage(bool failed, const char *message) {
  if (failed && (!message || !*message))
    std::abort();
}

} // namespace nhc::fuzz

#endif // NHC_TEST_FUZZ_FUZZUTIL_H

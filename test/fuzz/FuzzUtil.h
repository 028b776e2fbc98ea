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
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

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

/// A safetensors file: `header` (its JSON text) padded to 8 bytes with
/// spaces after its little-endian u64 length, then `size` bytes of data.
inline std::vector<uint8_t> safetensorsFile(std::string header,
                                            const void *data, size_t size) {
  header.resize((header.size() + 7) / 8 * 8, ' ');
  std::vector<uint8_t> file(8);
  const uint64_t n = header.size();
  std::memcpy(file.data(), &n, 8);
  file.insert(file.end(), header.begin(), header.end());
  const auto *bytes = static_cast<const uint8_t *>(data);
  file.insert(file.end(), bytes, bytes + size);
  return file;
}

/// Aborts (a finding) when an API failed without saying why.
inline void requireMessage(bool failed, const char *message) {
  if (failed && (!message || !*message))
    std::abort();
}

} // namespace nhc::fuzz

#endif // NHC_TEST_FUZZ_FUZZUTIL_H

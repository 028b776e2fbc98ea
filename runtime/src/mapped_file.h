//===- mapped_file.h - Read-only memory-mapped file ---------*- C++ -*-===//
//
// Artifacts and checkpoints are mapped, not read: multi-GB checkpoints then
// cost no copy and pages are shared between processes.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_MAPPED_FILE_H
#define NHC_RUNTIME_SRC_MAPPED_FILE_H

#include <cstdint>
#include <memory>
#include <string>

namespace nhc::runtime {

class MappedFile {
public:
  /// Maps `path` read-only. Throws Error(NHC_IO_ERROR) whose message starts
  /// with `what` (e.g. "artifact") and names the path and the OS error.
  static std::unique_ptr<MappedFile> open(const std::string &path,
                                          const char *what);

  ~MappedFile();
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

  /// nullptr for an empty file. Page-aligned otherwise.
  const uint8_t *data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string &path() const { return path_; }

private:
  MappedFile(std::string path, const uint8_t *data, uint64_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const uint8_t *data_;
  uint64_t size_;
};

/// True if `path` names an existing directory / regular file.
bool isDirectory(const std::string &path);
bool isRegularFile(const std::string &path);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_MAPPED_FILE_H

//===- mapped_file.h - Mapped and read-in files -------------*- C++ -*-===//
//
// Checkpoints are mapped, not read: multi-GB checkpoints then cost no copy
// and pages are shared between processes. Artifacts and shard indexes are
// read into memory the runtime owns (FileBytes): their bytes are verified
// once and trusted later, so a later change to the file must not reach them.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_MAPPED_FILE_H
#define NHC_RUNTIME_SRC_MAPPED_FILE_H

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "aligned_buffer.h"

namespace nhc::runtime {

/// A read-only, private mapping of a whole file.
///
/// A mapping shows the file as it is when a page is read, not as it was
/// when it was mapped: if another process truncates the file, touching a
/// page past the new end raises SIGBUS. Checkpoints stay mapped anyway
/// (copying them would double the memory of every session), so truncating
/// or rewriting a checkpoint while a weights handle or a session using it
/// exists is out of scope. checkUnchanged() catches the common case cheaply
/// at the points where the runtime starts reading tensor data in bulk.
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

  /// Throws Error(NHC_IO_ERROR) naming the file if the file at `path` is
  /// still the one mapped but no longer has its size (it was truncated or
  /// rewritten in place), before the caller reads pages that might no
  /// longer exist. A file replaced by another one (rename) is fine: the
  /// mapping keeps the old one.
  void checkUnchanged() const;

private:
  MappedFile(std::string path, const char *what)
      : path_(std::move(path)), what_(what) {}

  std::string path_;
  const char *what_;
  const uint8_t *data_ = nullptr;
  uint64_t size_ = 0;
  uint64_t device_ = 0, inode_ = 0; // identity, for checkUnchanged()
};

/// A whole file read into 64-byte aligned memory owned by this object.
class FileBytes {
public:
  /// Reads `path`. Throws Error naming `what` and the path: NHC_IO_ERROR
  /// when it cannot be opened or read or changes size while being read,
  /// NHC_INVALID_FORMAT when it is larger than `maxBytes` (`limitName`
  /// names that limit in the message), NHC_OUT_OF_MEMORY when the copy
  /// cannot be allocated.
  /// `checkPrefix(data, n, size)`, when given, sees the first n =
  /// min(prefixBytes, size) bytes as soon as they are read, before the rest
  /// (a wrong file is refused without reading it all); it throws to refuse.
  static std::unique_ptr<FileBytes>
  read(const std::string &path, const char *what,
       uint64_t maxBytes = UINT64_MAX, const char *limitName = "",
       const std::function<void(const uint8_t *, uint64_t, uint64_t)>
           &checkPrefix = {},
       uint64_t prefixBytes = 0);

  /// nullptr for an empty file; 64-byte aligned otherwise.
  const uint8_t *data() const { return data_.get(); }
  uint64_t size() const { return size_; }
  const std::string &path() const { return path_; }

private:
  explicit FileBytes(std::string path) : path_(std::move(path)) {}

  std::string path_;
  AlignedBuffer data_;
  uint64_t size_ = 0;
};

/// True if `path` names an existing directory / regular file.
bool isDirectory(const std::string &path);
bool isRegularFile(const std::string &path);
/// True if `path` names anything (a file, directory, FIFO, device, ...).
bool pathExists(const std::string &path);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_MAPPED_FILE_H

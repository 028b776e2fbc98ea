//===- output_file.h - Safe output files for nhc-run ---------*- C++ -*-===//
//
// Outputs are written to a temporary file next to the destination and
// renamed over it only when complete, so a failed run never leaves a
// truncated file and never truncates one that is mapped as an input. A
// device, FIFO or symlink at the destination is written through instead. Before
// anything is opened, an output that names an input (the artifact, any file
// of the checkpoint or its tokenizer, a shard) is refused: it would be
// replaced (../common/output_check.h).
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUN_OUTPUT_FILE_H
#define NHC_RUN_OUTPUT_FILE_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace nhc::run {

/// True when `path` is an existing character device or FIFO (/dev/null, a
/// terminal, a pipe): written through, never a file beside which a sidecar
/// belongs, and one several outputs may share when it is a device.
bool isStream(const std::string &path);
/// True when `path` is an existing character device (/dev/null, a tty).
bool isCharacterDevice(const std::string &path);

/// A file written at `tmp` and renamed to its path by commit().
class AtomicFile {
public:
  AtomicFile() = default;
  AtomicFile(const AtomicFile &) = delete;
  AtomicFile &operator=(const AtomicFile &) = delete;
  ~AtomicFile(); // removes the temporary file unless committed

  bool open(const std::string &path, std::string &error);
  bool isOpen() const { return file_ != nullptr; }
  std::FILE *stream() { return file_; }
  const std::string &path() const { return path_; }
  /// Flushes, closes and renames the temporary file over `path`.
  bool commit(std::string &error);

private:
  std::string path_, tmp_;
  std::FILE *file_ = nullptr;
};

/// Reads a whole file; false with `error` naming it on failure. With
/// `magic`, a file that does not start with it is refused before the rest
/// is read.
bool readFile(const std::string &path, std::vector<uint8_t> &bytes,
              std::string &error, const char *magic = nullptr,
              size_t magicSize = 0);
/// Writes `bytes` to `path` through an AtomicFile.
bool writeFileAtomically(const std::string &path,
                         const std::vector<uint8_t> &bytes, std::string &error);

} // namespace nhc::run

#endif // NHC_RUN_OUTPUT_FILE_H

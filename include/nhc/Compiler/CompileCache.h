//===- CompileCache.h - compiled kernel code kept on disk -------*- C++ -*-===//
//
// The kernel library's machine code (host shared libraries, PTX, cubins,
// launch table) depends only on the library, the target options and the
// compiler, never on the model; this directory keeps it between compiles so
// that a compile after the first skips code generation (the way Triton's
// ~/.triton/cache and the CUDA driver's ComputeCache do). docs/cli.md,
// "Compile cache".
//
//===----------------------------------------------------------------------===//

#ifndef NHC_COMPILER_COMPILECACHE_H
#define NHC_COMPILER_COMPILECACHE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::nhc {

/// One section of a cache entry: a section kind of the artifact container
/// (nhc/runtime/artifact.h) and its name, as the artifact holds it.
struct CachedSection {
  uint32_t kind = 0;
  std::string name;
  std::string bytes;
};

/// A directory of entries `<key>.nhc`, each an artifact container (so
/// checksummed) whose manifest names its key. Safe to share between
/// processes: entries are written to a temporary file and renamed.
class CompileCache {
public:
  /// Bytes the directory may hold by default; a store past the limit
  /// removes the least recently used entries down to half of it.
  static constexpr uint64_t kDefaultMaxBytes = uint64_t(1) << 30;

  /// No cache: lookups miss and stores do nothing.
  CompileCache() = default;
  explicit CompileCache(std::string directory,
                        uint64_t maxBytes = kDefaultMaxBytes)
      : directory_(std::move(directory)), maxBytes_(maxBytes) {}

  /// NHC_CACHE_DIR, else $XDG_CACHE_HOME/nhc, else $HOME/.cache/nhc; none
  /// when NHC_CACHE_DISABLE is set (to anything but "" or "0") or no
  /// directory is known.
  static CompileCache fromEnvironment();

  bool enabled() const { return !directory_.empty(); }
  const std::string &directory() const { return directory_; }

  /// A key (64 hex digits, BLAKE3) over `parts` and the identity of the
  /// running compiler: fileIdentity() of its executable and of every shared
  /// object loaded (LLVM; MLIR and nhc's libraries when built shared), and
  /// LLVM's version. Empty (caching off for this code) if one is missing.
  static std::string key(llvm::ArrayRef<llvm::StringRef> parts);

  /// A file's path, device, inode, size and modification time, or nothing
  /// if it does not exist: a key part for a tool or file the code depends
  /// on (ptxas, libdevice, the linker), which changes when it is rebuilt or
  /// reinstalled.
  static std::optional<std::string> fileIdentity(llvm::StringRef path);

  /// The entry's sections (its manifest left out), or nothing if it is
  /// absent, not a regular file of this user's (a symbolic link, a FIFO),
  /// larger than the limit, damaged or written for another key. A hit
  /// marks the entry as recently used.
  std::optional<std::vector<CachedSection>> lookup(llvm::StringRef key) const;

  /// Writes the entry (replacing one of the same key), creating the
  /// directory for this user only. Returns an empty string, or why nothing
  /// was written; a failed store never harms an existing entry.
  std::string store(llvm::StringRef key,
                    llvm::ArrayRef<CachedSection> sections) const;

  /// Lookups made, and how many of them hit, since construction.
  unsigned lookups() const { return lookups_; }
  unsigned hits() const { return hits_; }
  /// Stores that failed since construction.
  unsigned storeFailures() const { return storeFailures_; }

private:
  std::string entryPath(llvm::StringRef key) const;
  std::string writeEntry(llvm::StringRef key,
                         llvm::ArrayRef<CachedSection> sections) const;
  void evictIfOverLimit() const;

  std::string directory_;
  uint64_t maxBytes_ = kDefaultMaxBytes;
  mutable unsigned lookups_ = 0, hits_ = 0, storeFailures_ = 0;
};

} // namespace mlir::nhc

#endif // NHC_COMPILER_COMPILECACHE_H

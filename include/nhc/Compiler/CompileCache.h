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
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

#include <atomic>
#include <chrono>
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
/// processes (entries are written to a temporary file and renamed) and
/// between threads of one (its counters are atomic).
class CompileCache {
public:
  /// Bytes the directory may hold by default; a store past the limit
  /// removes the least recently used entries down to half of it.
  static constexpr uint64_t kDefaultMaxBytes = uint64_t(1) << 30;
  /// How long lockForFill waits for another process's compile of the same
  /// code by default: far past a cold compile of the whole library (about
  /// 30 s on two cores), short enough that a stopped process does not
  /// stall the next compile for good.
  static constexpr std::chrono::milliseconds kDefaultFillWait =
      std::chrono::minutes(5);

  /// Held while this process compiles code whose keys missed: an advisory
  /// flock(2) on each key's `<key>.lock` beside its entry, removed and
  /// released when this is destroyed (released if the process exits first;
  /// stores remove lock files an hour old). Another process compiling
  /// the same code waits in lockForFill, then finds the entries this one
  /// stored instead of compiling them again (a parallel build of several
  /// models, a build system's jobs). Holds nothing when the cache is off or
  /// a lock file cannot be opened: the compile goes on without waiting.
  class FillLock {
  public:
    FillLock() = default;
    FillLock(FillLock &&other) noexcept;
    FillLock &operator=(FillLock &&other) noexcept;
    FillLock(const FillLock &) = delete;
    FillLock &operator=(const FillLock &) = delete;
    ~FillLock();

    /// Keys whose lock is held.
    size_t held() const { return held_.size(); }
    /// Whether another process held one of the locks when asked.
    bool waited() const { return waited_; }

  private:
    friend class CompileCache;
    void release();
    std::vector<std::pair<int, std::string>> held_; // descriptor, path
    bool waited_ = false;
  };

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

  /// Takes the fill lock of each key (in sorted order, so two processes
  /// never wait for each other), waiting while another process holds one,
  /// at most `wait` in all; a lock not had by then is left, and its code is
  /// compiled twice rather than not at all. Call lookupAgain() for each key
  /// after it: the other process may have stored the entry.
  FillLock lockForFill(llvm::ArrayRef<std::string> keys,
                       std::chrono::milliseconds wait = kDefaultFillWait) const;

  /// lookup() once more for a key already counted by one (after
  /// lockForFill): a hit counts as one, the lookup not again.
  std::optional<std::vector<CachedSection>>
  lookupAgain(llvm::StringRef key) const;

  /// What a compile of several pieces of code does with the cache before
  /// compiling: `missing`, the indices into `keys` whose entries `take` did
  /// not accept (it is called with each key's index and lookup result, and
  /// keeps what it accepts), to be compiled and stored while `lock` is held.
  struct Fill {
    std::vector<size_t> missing;
    FillLock lock;
  };
  using TakeEntry = llvm::function_ref<bool(
      size_t index, std::optional<std::vector<CachedSection>> entry)>;

  /// The whole protocol: lookup() of every key; lockForFill() of the
  /// misses (another process may be compiling the same code); lookupAgain()
  /// of each; and, if the process waited for stored nothing (its compile or
  /// its store failed), the lock let go, so that every waiter compiles now
  /// rather than one after another behind this one. With the cache off
  /// every key is missing and nothing is locked.
  Fill takeOrLockForFill(llvm::ArrayRef<std::string> keys,
                         TakeEntry take) const;

  /// Writes the entry (replacing one of the same key), creating the
  /// directory for this user only. Returns an empty string, or why nothing
  /// was written; a failed store never harms an existing entry.
  std::string store(llvm::StringRef key,
                    llvm::ArrayRef<CachedSection> sections) const;

  /// Lookups made, and how many of them hit, since construction.
  unsigned lookups() const { return counts_.lookups; }
  unsigned hits() const { return counts_.hits; }
  /// Stores that failed since construction.
  unsigned storeFailures() const { return counts_.storeFailures; }
  /// True for the first caller after a store failed, false for every other:
  /// who says so, once per compile, whichever thread's store failed first.
  bool claimStoreFailureReport() const {
    return storeFailures() != 0 && !counts_.failureReported.exchange(true);
  }
  /// The longest lockForFill waited for other processes' compiles, in
  /// seconds (the longest, not the sum: two threads may wait at once).
  double fillWaitSeconds() const { return counts_.fillWaitMicros / 1e6; }

private:
  /// Atomic, yet copied with the cache (fromEnvironment returns one).
  struct Counts {
    std::atomic<unsigned> lookups{0}, hits{0}, storeFailures{0};
    std::atomic<uint64_t> fillWaitMicros{0};
    std::atomic<bool> failureReported{false};
    Counts() = default;
    Counts(const Counts &other)
        : lookups(other.lookups.load()), hits(other.hits.load()),
          storeFailures(other.storeFailures.load()),
          fillWaitMicros(other.fillWaitMicros.load()),
          failureReported(other.failureReported.load()) {}
    Counts &operator=(const Counts &other) {
      lookups = other.lookups.load();
      hits = other.hits.load();
      storeFailures = other.storeFailures.load();
      fillWaitMicros = other.fillWaitMicros.load();
      failureReported = other.failureReported.load();
      return *this;
    }
  };

  std::string entryPath(llvm::StringRef key) const;
  std::string lockPath(llvm::StringRef key) const;
  std::optional<std::vector<CachedSection>> read(llvm::StringRef key) const;
  std::string writeEntry(llvm::StringRef key,
                         llvm::ArrayRef<CachedSection> sections) const;
  void evictIfOverLimit() const;

  std::string directory_;
  uint64_t maxBytes_ = kDefaultMaxBytes;
  mutable Counts counts_;
};

} // namespace mlir::nhc

#endif // NHC_COMPILER_COMPILECACHE_H

//===- CompileCache.cpp - compiled kernel code kept on disk ------*- C++ -*-===//

#include "nhc/Compiler/CompileCache.h"

#include "nhc/format/container.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/BLAKE3.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <fcntl.h>
#include <link.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace mlir::nhc {

namespace {
/// Changes whenever what an entry holds, or how keys are formed, changes.
constexpr llvm::StringLiteral kEntryFormat = "nhc-compile-cache-1";

std::optional<std::string> environment(const char *name) {
  if (std::optional<std::string> value = llvm::sys::Process::GetEnv(name))
    if (!value->empty())
      return value;
  return std::nullopt;
}

/// The manifest of the entry for `key`: what a lookup compares.
std::string entryManifest(llvm::StringRef key) {
  return (llvm::Twine("{\"nhc_compile_cache\":\"") + kEntryFormat +
          "\",\"key\":\"" + key + "\"}")
      .str();
}

/// The files that hold the compiler's code: this executable and every
/// shared object loaded into the process (LLVM, and MLIR or nhc's own
/// libraries when built shared).
std::vector<std::string> compilerFiles() {
  static int anchor;
  std::vector<std::string> files = {
      llvm::sys::fs::getMainExecutable(nullptr, &anchor)};
  dl_iterate_phdr(
      [](struct dl_phdr_info *info, size_t, void *data) {
        // The executable and the vDSO have no name (or not a file's).
        if (info->dlpi_name && info->dlpi_name[0] == '/')
          static_cast<std::vector<std::string> *>(data)->push_back(
              info->dlpi_name);
        return 0;
      },
      &files);
  return files;
}

/// fileIdentity() of compilerFiles() and LLVM's version; empty if a file
/// cannot be found. Computed once per process.
const std::string &compilerIdentity() {
  static const std::string identity = [] {
    std::string text = LLVM_VERSION_STRING;
    for (const std::string &file : compilerFiles()) {
      std::optional<std::string> id =
          file.empty() ? std::nullopt : CompileCache::fileIdentity(file);
      if (!id)
        return std::string();
      text += "\n" + *id;
    }
    return text;
  }();
  return identity;
}

/// What a file of the cache directory is, by its name: an entry
/// `<key>.nhc`, a store's temporary `<key>.nhc.<pid>.<hex>.tmp`, a fill lock
/// `<key>.lock` (a key being 64 lowercase hex digits), or none of the
/// cache's.
enum class CacheFile { None, Entry, Temporary, Lock };
CacheFile cacheFileKind(llvm::StringRef name) {
  constexpr size_t keyLength = 64;
  if (name.size() <= keyLength ||
      !llvm::all_of(name.take_front(keyLength), [](char c) {
        return llvm::isDigit(c) || (c >= 'a' && c <= 'f');
      }))
    return CacheFile::None;
  llvm::StringRef rest = name.drop_front(keyLength);
  if (rest == ".nhc")
    return CacheFile::Entry;
  if (rest == ".lock")
    return CacheFile::Lock;
  // .nhc.<pid>.<hex>.tmp
  llvm::SmallVector<llvm::StringRef, 5> parts;
  rest.split(parts, '.');
  auto allOf = [](llvm::StringRef part, auto pred) {
    return !part.empty() && llvm::all_of(part, pred);
  };
  if (parts.size() == 5 && parts[0].empty() && parts[1] == "nhc" &&
      allOf(parts[2], llvm::isDigit) && allOf(parts[3], llvm::isHexDigit) &&
      parts[4] == "tmp")
    return CacheFile::Temporary;
  return CacheFile::None;
}

std::string fileError(llvm::StringRef path, std::error_code ec) {
  return (path + ": " + ec.message()).str();
}
} // namespace

std::optional<std::string> CompileCache::fileIdentity(llvm::StringRef path) {
  struct stat st;
  if (::stat(path.str().c_str(), &st) != 0)
    return std::nullopt;
  // A rebuilt or reinstalled file is a new inode or a new time.
  return (path + " " + llvm::Twine(uint64_t(st.st_dev)) + ":" +
          llvm::Twine(uint64_t(st.st_ino)) + " " +
          llvm::Twine(int64_t(st.st_size)) + " " +
          llvm::Twine(int64_t(st.st_mtim.tv_sec)) + "." +
          llvm::Twine(int64_t(st.st_mtim.tv_nsec)))
      .str();
}

CompileCache CompileCache::fromEnvironment() {
  if (std::optional<std::string> off = environment("NHC_CACHE_DISABLE"))
    if (*off != "0")
      return CompileCache();
  if (std::optional<std::string> dir = environment("NHC_CACHE_DIR"))
    return CompileCache(*dir);
  llvm::SmallString<256> dir;
  if (std::optional<std::string> xdg = environment("XDG_CACHE_HOME"))
    dir = *xdg;
  else if (std::optional<std::string> home = environment("HOME"))
    llvm::sys::path::append(dir, *home, ".cache");
  else
    return CompileCache();
  llvm::sys::path::append(dir, "nhc");
  return CompileCache(std::string(dir));
}

std::string CompileCache::key(llvm::ArrayRef<llvm::StringRef> parts) {
  const std::string &identity = compilerIdentity();
  if (identity.empty())
    return {};
  llvm::BLAKE3 hasher;
  // Each part with its length, so that no two lists hash the same text.
  auto add = [&](llvm::StringRef part) {
    uint64_t size = part.size();
    hasher.update(llvm::ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(&size), sizeof(size)));
    hasher.update(part);
  };
  add(kEntryFormat);
  add(identity);
  for (llvm::StringRef part : parts)
    add(part);
  return llvm::toHex(hasher.final(), /*LowerCase=*/true);
}

std::string CompileCache::entryPath(llvm::StringRef key) const {
  llvm::SmallString<256> path(directory_);
  llvm::sys::path::append(path, key + ".nhc");
  return std::string(path);
}

std::string CompileCache::lockPath(llvm::StringRef key) const {
  llvm::SmallString<256> path(directory_);
  llvm::sys::path::append(path, key + ".lock");
  return std::string(path);
}

std::optional<std::vector<CachedSection>>
CompileCache::lookup(llvm::StringRef key) const {
  if (!enabled() || key.empty())
    return std::nullopt;
  ++counts_.lookups;
  return lookupAgain(key);
}

std::optional<std::vector<CachedSection>>
CompileCache::lookupAgain(llvm::StringRef key) const {
  if (!enabled() || key.empty())
    return std::nullopt;
  std::optional<std::vector<CachedSection>> sections = read(key);
  if (sections)
    ++counts_.hits;
  return sections;
}

std::optional<std::vector<CachedSection>>
CompileCache::read(llvm::StringRef key) const {
  std::string path = entryPath(key);
  // Only a regular file of this user's, within the size limit: an entry's
  // host library ends up dlopened, and a FIFO or /dev/zero must not hang
  // (O_NONBLOCK: opening a FIFO would wait for a writer).
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return std::nullopt;
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_uid != ::geteuid() || uint64_t(st.st_size) > maxBytes_) {
    ::close(fd);
    return std::nullopt;
  }
  auto buffer = llvm::MemoryBuffer::getOpenFile(
      fd, path, uint64_t(st.st_size), /*RequiresNullTerminator=*/false);
  ::close(fd);
  if (!buffer)
    return std::nullopt;
  const auto *data =
      reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart());
  uint64_t size = (*buffer)->getBufferSize();
  std::string where = "compile cache entry '" + path + "'";
  nhc_artifact_header_t header;
  std::vector<::nhc::format::SectionRecord> records;
  size_t manifest = 0;
  if (::nhc::format::readHeader(data, size, size, where, header).failed() ||
      ::nhc::format::readSections(data, size, header, where, records)
          .failed() ||
      ::nhc::format::findManifest(records, where, manifest).failed())
    return std::nullopt;
  auto bytesOf = [&](const ::nhc::format::SectionRecord &record) {
    return std::string(reinterpret_cast<const char *>(data + record.offset),
                       record.size);
  };
  if (bytesOf(records[manifest]) != entryManifest(key))
    return std::nullopt;
  std::vector<CachedSection> sections;
  for (size_t i = 0; i < records.size(); ++i)
    if (i != manifest)
      sections.push_back({records[i].kind, records[i].name,
                          bytesOf(records[i])});
  // Least recently used first out (evictIfOverLimit): a hit is a use.
  (void)::utimensat(AT_FDCWD, path.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
  return sections;
}

std::string CompileCache::store(llvm::StringRef key,
                                llvm::ArrayRef<CachedSection> sections) const {
  if (!enabled() || key.empty())
    return {};
  std::string error = writeEntry(key, sections);
  if (!error.empty())
    ++counts_.storeFailures;
  else
    evictIfOverLimit();
  return error;
}

std::string
CompileCache::writeEntry(llvm::StringRef key,
                         llvm::ArrayRef<CachedSection> sections) const {
  ::nhc::format::ContainerWriter writer;
  writer.setManifest(entryManifest(key));
  for (const CachedSection &section : sections)
    writer.addSection(section.kind, section.name, section.bytes);
  std::string bytes;
  if (::nhc::format::ContainerError error = writer.serialize(bytes);
      error.failed())
    return error.message;

  if (std::error_code ec = llvm::sys::fs::create_directories(
          directory_, /*IgnoreExisting=*/true, llvm::sys::fs::owner_all))
    return fileError(directory_, ec);
  // Written beside the entry and renamed over it: a reader sees the old
  // entry or the whole new one, never part of one.
  std::string path = entryPath(key);
  std::string temporary = path + "." + std::to_string(::getpid()) + "." +
                          llvm::utohexstr(llvm::sys::Process::GetRandomNumber()) +
                          ".tmp";
  int fd = ::open(temporary.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return fileError(temporary, std::error_code(errno, std::generic_category()));
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << bytes;
    os.close();
    if (os.has_error()) {
      std::error_code ec = os.error();
      os.clear_error();
      (void)llvm::sys::fs::remove(temporary);
      return fileError(temporary, ec);
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, path)) {
    (void)llvm::sys::fs::remove(temporary);
    return fileError(path, ec);
  }
  return {};
}

CompileCache::FillLock::FillLock(FillLock &&other) noexcept
    : held_(std::move(other.held_)), waited_(other.waited_) {
  other.held_.clear();
}

CompileCache::FillLock &
CompileCache::FillLock::operator=(FillLock &&other) noexcept {
  if (this != &other) {
    release();
    held_ = std::move(other.held_);
    other.held_.clear();
    waited_ = other.waited_;
  }
  return *this;
}

CompileCache::FillLock::~FillLock() { release(); }

void CompileCache::FillLock::release() {
  for (const auto &[fd, path] : held_) {
    // Removed while still held, and only if the path is still this file:
    // whoever opens the path later takes a new file, and by then the entry
    // is stored (or its compile failed, and it is compiled again). A
    // waiter still holding the removed file takes its lock, then the entry.
    struct stat mine, named;
    if (::fstat(fd, &mine) == 0 && ::lstat(path.c_str(), &named) == 0 &&
        mine.st_dev == named.st_dev && mine.st_ino == named.st_ino)
      (void)::unlink(path.c_str());
    ::close(fd); // releases the flock
  }
  held_.clear();
}

CompileCache::FillLock
CompileCache::lockForFill(llvm::ArrayRef<std::string> keys,
                          std::chrono::milliseconds wait) const {
  FillLock lock;
  if (!enabled() ||
      llvm::sys::fs::create_directories(directory_, /*IgnoreExisting=*/true,
                                        llvm::sys::fs::owner_all))
    return lock;
  std::vector<std::string> sorted;
  for (const std::string &key : keys)
    if (!key.empty())
      sorted.push_back(key);
  llvm::sort(sorted);
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());

  auto start = std::chrono::steady_clock::now();
  auto deadline = start + wait;
  for (const std::string &key : sorted) {
    // The same checks as an entry's: a regular file of this user's only
    // (O_NONBLOCK: a FIFO put there must not hang the open).
    std::string path = lockPath(key);
    int fd = ::open(path.c_str(),
                    O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                    0600);
    if (fd < 0)
      continue;
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_uid != ::geteuid()) {
      ::close(fd);
      continue;
    }
    bool held = false;
    for (;;) {
      if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
        held = true;
        break;
      }
      if (errno == EINTR)
        continue;
      if (errno != EWOULDBLOCK)
        break; // locks unsupported here: compile without one
      lock.waited_ = true;
      if (std::chrono::steady_clock::now() >= deadline)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!held) {
      ::close(fd);
      continue;
    }
    (void)::futimens(fd, nullptr); // in use: not stale (evictIfOverLimit)
    lock.held_.emplace_back(fd, std::move(path));
  }
  if (lock.waited_) {
    uint64_t micros = uint64_t(
        std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::steady_clock::now() - start)
            .count());
    uint64_t longest = counts_.fillWaitMicros;
    while (micros > longest &&
           !counts_.fillWaitMicros.compare_exchange_weak(longest, micros)) {
    }
  }
  return lock;
}

CompileCache::Fill
CompileCache::takeOrLockForFill(llvm::ArrayRef<std::string> keys,
                                TakeEntry take) const {
  Fill fill;
  for (size_t i = 0; i < keys.size(); ++i)
    if (!take(i, lookup(keys[i])))
      fill.missing.push_back(i);
  if (fill.missing.empty())
    return fill;
  std::vector<std::string> missingKeys;
  for (size_t i : fill.missing)
    missingKeys.push_back(keys[i]);
  fill.lock = lockForFill(missingKeys);
  llvm::erase_if(fill.missing,
                 [&](size_t i) { return take(i, lookupAgain(keys[i])); });
  if (!fill.missing.empty() && fill.lock.waited())
    fill.lock = FillLock();
  return fill;
}

void CompileCache::evictIfOverLimit() const {
  struct Entry {
    std::string path;
    uint64_t size;
    llvm::sys::TimePoint<> used;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  auto now = std::chrono::system_clock::now();
  for (llvm::sys::fs::directory_iterator it(directory_, ec), end;
       it != end && !ec; it.increment(ec)) {
    // Only the cache's own files: the directory may be one the user keeps
    // other things in (NHC_CACHE_DIR=.), and those are never touched.
    CacheFile kind = cacheFileKind(llvm::sys::path::filename(it->path()));
    llvm::sys::fs::file_status status;
    if (kind == CacheFile::None ||
        llvm::sys::fs::status(it->path(), status, /*Follow=*/false) ||
        status.type() != llvm::sys::fs::file_type::regular_file ||
        status.getUser() != ::geteuid())
      continue;
    // A store's temporary file an hour old lost its process; a lock file
    // that old is not in use (lockForFill touches the ones it takes), and
    // were it, removing it costs at most a compile done twice.
    if (kind != CacheFile::Entry) {
      if (now - status.getLastModificationTime() > std::chrono::hours(1))
        (void)llvm::sys::fs::remove(it->path());
      continue;
    }
    entries.push_back(
        {it->path(), status.getSize(), status.getLastModificationTime()});
    total += status.getSize();
  }
  if (total <= maxBytes_)
    return;
  std::sort(entries.begin(), entries.end(),
            [](const Entry &a, const Entry &b) { return a.used < b.used; });
  for (const Entry &entry : entries) {
    if (total <= maxBytes_ / 2)
      break;
    if (!llvm::sys::fs::remove(entry.path))
      total -= entry.size;
  }
}

} // namespace mlir::nhc

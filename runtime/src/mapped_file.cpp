//===- mapped_file.cpp - Mapped and read-in files -------------------------===//

#include <algorithm>
#include "mapped_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

namespace nhc::runtime {

namespace {

/// Closes a descriptor on every path out of a function unless released.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0)
      ::close(fd);
  }
  int release() {
    int out = fd;
    fd = -1;
    return out;
  }
};

[[noreturn]] void throwOsError(const char *what, const std::string &path,
                               const char *action, int err) {
  throw Error(NHC_IO_ERROR, cat(what, " '", path, "': cannot ", action, ": ",
                                std::strerror(err)));
}

/// Opens `path` read-only and describes it; it must be a regular file.
/// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
/// before fstat could refuse it (regular files ignore the flag).
int openRegular(const std::string &path, const char *what, struct stat &st) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    throwOsError(what, path, "open", errno);
  FdCloser closer{fd};
  if (::fstat(fd, &st) != 0)
    throwOsError(what, path, "stat", errno);
  if (S_ISDIR(st.st_mode))
    throw Error(NHC_IO_ERROR,
                cat(what, " '", path, "': is a directory, expected a file"));
  if (!S_ISREG(st.st_mode))
    throw Error(NHC_IO_ERROR, cat(what, " '", path, "': not a regular file"));
  return closer.release();
}

} // namespace

std::unique_ptr<MappedFile> MappedFile::open(const std::string &path,
                                             const char *what) {
  // Own the object first so nothing leaks if a later step throws.
  std::unique_ptr<MappedFile> file(new MappedFile(path, what));
  struct stat st;
  FdCloser fd{openRegular(path, what, st)};
  uint64_t size = static_cast<uint64_t>(st.st_size);
  file->device_ = static_cast<uint64_t>(st.st_dev);
  file->inode_ = static_cast<uint64_t>(st.st_ino);
  if (size == 0) // mmap rejects length 0; an empty file maps to nothing.
    return file;
  // The mapping outlives the descriptor.
  void *addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.fd, 0);
  if (addr == MAP_FAILED)
    throwOsError(what, path, "mmap", errno);
  file->data_ = static_cast<const uint8_t *>(addr);
  file->size_ = size;
  return file;
}

MappedFile::~MappedFile() {
  if (data_)
    ::munmap(const_cast<uint8_t *>(data_), size_);
}

void MappedFile::checkUnchanged() const {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0 ||
      static_cast<uint64_t>(st.st_dev) != device_ ||
      static_cast<uint64_t>(st.st_ino) != inode_)
    return; // removed or replaced: the mapping still holds the old file
  NHC_CHECK(static_cast<uint64_t>(st.st_size) == size_, NHC_IO_ERROR,
            cat(what_, " '", path_, "': the file changed size from ", size_,
                " to ", st.st_size,
                " bytes since it was opened; it must not be modified while "
                "in use"));
}

std::unique_ptr<FileBytes> FileBytes::read(
    const std::string &path, const char *what, uint64_t maxBytes,
    const char *limitName,
    const std::function<void(const uint8_t *, uint64_t, uint64_t)> &checkPrefix,
    uint64_t prefixBytes) {
  struct stat st;
  FdCloser fd{openRegular(path, what, st)};
  uint64_t size = static_cast<uint64_t>(st.st_size);
  NHC_CHECK(size <= maxBytes, NHC_INVALID_FORMAT,
            cat(what, " '", path, "': file is ", size,
                " bytes, more than the limit ", maxBytes, " (", limitName,
                ")"));
  std::unique_ptr<FileBytes> file(new FileBytes(path));
  if (size > 0) {
    file->data_ = tryAllocateAligned(size);
    NHC_CHECK(file->data_, NHC_OUT_OF_MEMORY,
              cat(what, " '", path, "': cannot allocate ", size,
                  " bytes to read the file"));
  }
  // Read one byte more than expected to see a file that grew meanwhile.
  uint64_t done = 0;
  uint64_t prefix = std::min(prefixBytes, size);
  bool prefixChecked = !checkPrefix;
  for (;;) {
    if (!prefixChecked && done >= prefix) {
      checkPrefix(file->data_.get(), prefix, size);
      prefixChecked = true;
    }
    uint8_t extra;
    uint8_t *into = done < size ? file->data_.get() + done : &extra;
    uint64_t want = done < size ? size - done : 1;
    ssize_t n = ::read(fd.fd, into, want);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throwOsError(what, path, "read", errno);
    }
    if (n == 0)
      break;
    done += static_cast<uint64_t>(n);
    NHC_CHECK(done <= size, NHC_IO_ERROR,
              cat(what, " '", path, "': the file grew while being read (",
                  size, " bytes when opened)"));
  }
  NHC_CHECK(done == size, NHC_IO_ERROR,
            cat(what, " '", path, "': the file shrank while being read (",
                size, " bytes when opened, ", done, " read)"));
  if (!prefixChecked)
    checkPrefix(file->data_.get(), prefix, size);
  file->size_ = size;
  return file;
}

bool isDirectory(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool isRegularFile(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool pathExists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

} // namespace nhc::runtime

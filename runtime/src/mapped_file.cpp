//===- mapped_file.cpp - Read-only memory-mapped file ---------------------===//

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

/// Closes a descriptor on every path out of open(); the mapping outlives it.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0)
      ::close(fd);
  }
};

[[noreturn]] void throwOsError(const char *what, const std::string &path,
                               const char *action, int err) {
  throw Error(NHC_IO_ERROR, cat(what, " '", path, "': cannot ", action, ": ",
                                std::strerror(err)));
}

} // namespace

std::unique_ptr<MappedFile> MappedFile::open(const std::string &path,
                                             const char *what) {
  FdCloser fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0)
    throwOsError(what, path, "open", errno);
  struct stat st;
  if (::fstat(fd.fd, &st) != 0)
    throwOsError(what, path, "stat", errno);
  if (S_ISDIR(st.st_mode))
    throw Error(NHC_IO_ERROR,
                cat(what, " '", path, "': is a directory, expected a file"));
  if (!S_ISREG(st.st_mode))
    throw Error(NHC_IO_ERROR, cat(what, " '", path, "': not a regular file"));

  // Own the object before mapping so nothing leaks if allocation throws.
  std::unique_ptr<MappedFile> file(new MappedFile(path, nullptr, 0));
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0) // mmap rejects length 0; an empty file maps to nothing.
    return file;
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

bool isDirectory(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool isRegularFile(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

} // namespace nhc::runtime

//===- output_file.cpp - Safe output files for nhc-run --------------------===//

#include "output_file.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace nhc::run {

bool isStream(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 &&
      (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)))
    return true;
  // /dev/stdout and /dev/fd/N are links to a descriptor, which may be a
  // redirected file: still a stream, never a place for a sidecar.
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode) &&
         (path.rfind("/dev/", 0) == 0 || path.rfind("/proc/", 0) == 0);
}

bool isCharacterDevice(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

bool AtomicFile::open(const std::string &path, std::string &error) {
  path_ = path;
  // A device, FIFO or symlink at the destination is written through, never
  // replaced (renaming over /dev/null would turn it into a regular file);
  // inputs were refused before (by device and inode, so links count).
  struct stat existing;
  if (::lstat(path.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode)) {
    if (S_ISDIR(existing.st_mode)) {
      error = "'" + path + "' is a directory";
      return false;
    }
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) {
      error = "cannot open '" + path + "' for writing: " + std::strerror(errno);
      return false;
    }
    return true; // tmp_ stays empty: commit() only closes
  }
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  tmp_ = dir + "." + base + ".nhc-tmp-XXXXXX";
  int fd = ::mkstemp(tmp_.data());
  if (fd < 0 || !(file_ = ::fdopen(fd, "wb"))) {
    error = "cannot create a file next to '" + path + "': " +
            std::strerror(errno);
    if (fd >= 0)
      ::close(fd);
    tmp_.clear();
    return false;
  }
  // mkstemp creates 0600; give the file the mode fopen would have.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  return true;
}

bool AtomicFile::commit(std::string &error) {
  bool direct = tmp_.empty();
  bool ok = std::fflush(file_) == 0 &&
            (direct || ::fsync(::fileno(file_)) == 0);
  ok = std::fclose(file_) == 0 && ok;
  file_ = nullptr;
  if (ok && (direct || ::rename(tmp_.c_str(), path_.c_str()) == 0)) {
    tmp_.clear();
    return true;
  }
  error = "cannot write '" + path_ + "': " + std::strerror(errno);
  return false;
}

bool readFile(const std::string &path, std::vector<uint8_t> &bytes,
              std::string &error, const char *magic, size_t magicSize) {
  // A regular file of the size stat() reports: a device or FIFO never ends.
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    error = "cannot read '" + path + "': " + std::strerror(errno);
    return false;
  }
  if (!S_ISREG(info.st_mode)) {
    error = "'" + path + "' is not a regular file";
    return false;
  }
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  if (magic) {
    std::vector<char> head(magicSize);
    if (std::fread(head.data(), 1, magicSize, f) != magicSize ||
        std::memcmp(head.data(), magic, magicSize) != 0) {
      std::fclose(f);
      error = "'" + path + "' does not start with '" +
              std::string(magic, magicSize) + "'";
      return false;
    }
    std::rewind(f);
  }
  bytes.assign(static_cast<size_t>(info.st_size), 0);
  size_t n = bytes.empty() ? 0 : std::fread(bytes.data(), 1, bytes.size(), f);
  bool ok = n == bytes.size() && !std::ferror(f) && std::fgetc(f) == EOF;
  std::fclose(f);
  if (!ok)
    error = "cannot read '" + path + "' (it changed while being read)";
  return ok;
}

bool writeFileAtomically(const std::string &path,
                         const std::vector<uint8_t> &bytes,
                         std::string &error) {
  AtomicFile file;
  if (!file.open(path, error))
    return false;
  if (!bytes.empty() &&
      std::fwrite(bytes.data(), 1, bytes.size(), file.stream()) !=
          bytes.size()) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  return file.commit(error);
}

AtomicFile::~AtomicFile() {
  if (file_)
    std::fclose(file_);
  if (!tmp_.empty())
    ::unlink(tmp_.c_str());
}

} // namespace nhc::run

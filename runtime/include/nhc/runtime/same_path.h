//===- nhc/runtime/same_path.h - Whether two paths name one file -*- C++ -*-===//
//
// Every nhc tool refuses an output that would replace one of its inputs
// (nhc compile's -o, the runtime tools' dumps, reports and weights). The
// rule for "the same file" lives here, header-only and POSIX-only, so the
// compiler driver and the runtime tools share it.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SAME_PATH_H
#define NHC_RUNTIME_SAME_PATH_H

#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <system_error>

namespace nhc {

/// True when `a` and `b` are existing files with the same device and inode
/// (hard links and symlinks to one file count).
inline bool sameExistingFile(const std::string &a, const std::string &b) {
  struct stat sa, sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 &&
         sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/// `path` made absolute (against the working directory), without ".", ".."
/// (lexically), repeated or trailing slashes: the spelling comparison
/// (symlinks: sameExistingFile decides).
inline std::string lexicallyAbsolute(const std::string &given) {
  std::filesystem::path path(given);
  std::error_code ec;
  if (path.is_relative()) {
    std::filesystem::path cwd = std::filesystem::current_path(ec);
    if (!ec)
      path = cwd / path;
  }
  std::string out = path.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/')
    out.pop_back();
  return out;
}

/// The directory part of lexicallyAbsolute(path).
inline std::string parentDirectoryOf(const std::string &path) {
  std::string full = lexicallyAbsolute(path);
  size_t slash = full.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : full.substr(0, slash);
}

/// The last component of lexicallyAbsolute(path).
inline std::string fileNameOf(const std::string &path) {
  std::string full = lexicallyAbsolute(path);
  size_t slash = full.find_last_of('/');
  return slash == std::string::npos ? full : full.substr(slash + 1);
}

/// True when `a` and `b` name the same file, existing or not: the same
/// spelling once made absolute, the same existing file (device and inode),
/// the same name in the same existing directory (a file not written yet,
/// reached by two spellings), or so through a symlink `a` whose target is
/// not there yet (followed at most 8 hops: writing `a` writes its target).
inline bool namesSameFile(const std::string &a, const std::string &b,
                          int hops = 0) {
  if (a == b || lexicallyAbsolute(a) == lexicallyAbsolute(b) ||
      sameExistingFile(a, b))
    return true;
  std::string name = fileNameOf(a);
  if (name != "." && name != ".." && name != "/" && name == fileNameOf(b) &&
      sameExistingFile(parentDirectoryOf(a), parentDirectoryOf(b)))
    return true;
  std::error_code ec;
  if (hops < 8 && std::filesystem::is_symlink(a, ec)) {
    std::filesystem::path target = std::filesystem::read_symlink(a, ec);
    if (!ec) {
      if (target.is_relative())
        target = std::filesystem::path(parentDirectoryOf(a)) / target;
      return namesSameFile(target.string(), b, hops + 1);
    }
  }
  return false;
}

} // namespace nhc

#endif // NHC_RUNTIME_SAME_PATH_H

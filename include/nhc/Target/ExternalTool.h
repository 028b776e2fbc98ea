//===- ExternalTool.h - run system tools on temporary files -----*- C++ -*-===//

#ifndef NHC_TARGET_EXTERNALTOOL_H
#define NHC_TARGET_EXTERNALTOOL_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir::nhc {

/// The first of `names` found on PATH, then in `extraDirs`.
std::optional<std::string> findTool(ArrayRef<StringRef> names,
                                    ArrayRef<StringRef> extraDirs = {});

/// Runs `program` with `args` (args[0] is the program name) and returns its
/// exit status, or -1 if it could not be started; its stdout and stderr are
/// appended to `log`.
int runTool(StringRef program, ArrayRef<StringRef> args, std::string &log);

/// A temporary file removed on destruction.
class TempFile {
public:
  /// Creates an empty file named nhc-<prefix>-*.<suffix>; check ok().
  TempFile(StringRef prefix, StringRef suffix);
  ~TempFile();
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;

  bool ok() const { return !path.empty(); }
  StringRef getPath() const { return path; }
  /// Replaces the file's content; false on an I/O error.
  bool write(StringRef bytes) const;
  /// The file's content, or std::nullopt on an I/O error.
  std::optional<std::string> read() const;

private:
  std::string path;
};

} // namespace mlir::nhc

#endif // NHC_TARGET_EXTERNALTOOL_H

//===- OutputFile.h - a tool's output written whole or not at all -*- C++ -*-===//
//
// The compiler's tools (nhc compile, nhc-kernels) write their result
// through a temporary file renamed over the output once complete, so a
// failure (disk full, a signal) never leaves a partial artifact or kernel
// library where the previous one was.
//
//===----------------------------------------------------------------------===//

#ifndef NHC_COMPILER_OUTPUTFILE_H
#define NHC_COMPILER_OUTPUTFILE_H

#include <string>

namespace mlir::nhc {

/// Writes `bytes` to `path` ("-": stdout) through a temporary file in the
/// same directory renamed over `path` once complete. A device, FIFO or
/// symlink is written through instead (renaming over /dev/null would make
/// it a regular file). On failure returns false with `error` naming the
/// path and the reason; `path` is then unchanged.
bool writeOutputFile(const std::string &path, const std::string &bytes,
                     std::string &error);

} // namespace mlir::nhc

#endif // NHC_COMPILER_OUTPUTFILE_H

//===- Driver.h - the nhc command-line driver -------------------*- C++ -*-===//

#ifndef NHC_COMPILER_DRIVER_H
#define NHC_COMPILER_DRIVER_H

namespace mlir::nhc {

/// Runs `nhc <command> ...`; returns the process exit code (0 on success,
/// 1 on bad input or failed compilation, 2 on bad usage).
int runNhcMain(int argc, char **argv);

} // namespace mlir::nhc

#endif // NHC_COMPILER_DRIVER_H

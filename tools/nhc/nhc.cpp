//===- nhc.cpp - the nhc compiler -------------------------------*- C++ -*-===//

#include "nhc/Compiler/Driver.h"

#include <cstdio>
#include <exception>
#include <new>

// Built with exceptions (tools/nhc/CMakeLists.txt) so that nothing escapes
// main: the config reader catches its own, LLVM reports allocation failures
// through the handler runNhcMain installs; this is the last line.
int main(int argc, char **argv) {
  try {
    return mlir::nhc::runNhcMain(argc, argv);
  } catch (const std::bad_alloc &) {
    std::fputs("nhc: error: out of memory\n", stderr);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "nhc: error: internal error: %s\n", e.what());
  } catch (...) {
    std::fputs("nhc: error: internal error\n", stderr);
  }
  return 1;
}

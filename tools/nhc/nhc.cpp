//===- nhc.cpp - the nhc compiler -------------------------------*- C++ -*-===//

#include "nhc/Compiler/Driver.h"

int main(int argc, char **argv) { return mlir::nhc::runNhcMain(argc, argv); }

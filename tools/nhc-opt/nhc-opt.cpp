//===- nhc-opt.cpp - run nhc passes on .mlir files --------------*- C++ -*-===//

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "nhc/InitAll.h"

int main(int argc, char **argv) {
  mlir::nhc::registerAllPasses();
  mlir::DialectRegistry registry;
  mlir::nhc::registerAllDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "nhc optimizer driver\n", registry));
}

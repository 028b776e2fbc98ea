//===- Ptxas.cpp - assemble PTX with the CUDA toolkit's ptxas ---*- C++ -*-===//

#include "nhc/Target/CUDA/CudaLibrary.h"
#include "nhc/Target/ExternalTool.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::nhc;

std::optional<std::string> mlir::nhc::findPtxas(StringRef cudaPath) {
  SmallVector<std::string> dirs;
  if (!cudaPath.empty()) {
    SmallString<128> bin(cudaPath);
    llvm::sys::path::append(bin, "bin");
    dirs.push_back(bin.str().str());
  }
  dirs.push_back("/usr/local/cuda/bin");
  SmallVector<StringRef> dirRefs(dirs.begin(), dirs.end());
  return findTool({"ptxas"}, dirRefs);
}

int mlir::nhc::assemblePtx(StringRef ptxas, StringRef ptx, StringRef chip,
                           std::string &cubin, std::string &log) {
  TempFile in("kernels-" + chip.str(), "ptx"),
      out("kernels-" + chip.str(), "cubin");
  if (!in.ok() || !out.ok() || !in.write(ptx)) {
    log += "cannot write temporary files for ptxas\n";
    return -1;
  }
  std::string arch = "-arch=" + chip.str();
  int status = runTool(
      ptxas, {ptxas, arch, "-O3", in.getPath(), "-o", out.getPath()}, log);
  if (status == 0) {
    if (std::optional<std::string> bytes = out.read())
      cubin = std::move(*bytes);
    else
      return -1;
  }
  return status;
}

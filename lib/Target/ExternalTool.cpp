//===- ExternalTool.cpp - run system tools on temporary files ---*- C++ -*-===//

#include "nhc/Target/ExternalTool.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::nhc;

std::optional<std::string> mlir::nhc::findTool(ArrayRef<StringRef> names,
                                               ArrayRef<StringRef> extraDirs) {
  for (StringRef name : names)
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(name))
      return *path;
  for (StringRef name : names)
    if (!extraDirs.empty())
      if (llvm::ErrorOr<std::string> path =
              llvm::sys::findProgramByName(name, extraDirs))
        return *path;
  return std::nullopt;
}

int mlir::nhc::runTool(StringRef program, ArrayRef<StringRef> args,
                       std::string &log) {
  TempFile output("tool", "log");
  if (!output.ok()) {
    log += "cannot create a temporary file for the output of " + program.str();
    return -1;
  }
  std::optional<StringRef> redirects[] = {std::nullopt, output.getPath(),
                                          output.getPath()};
  std::string errMsg;
  int status = llvm::sys::ExecuteAndWait(program, args, std::nullopt, redirects,
                                         /*SecondsToWait=*/0,
                                         /*MemoryLimit=*/0, &errMsg);
  if (std::optional<std::string> text = output.read())
    log += *text;
  if (!errMsg.empty())
    log += errMsg + "\n";
  return status;
}

TempFile::TempFile(StringRef prefix, StringRef suffix) {
  SmallString<128> tmp;
  if (!llvm::sys::fs::createTemporaryFile("nhc-" + prefix, suffix, tmp))
    path = tmp.str().str();
}

TempFile::~TempFile() {
  if (ok())
    llvm::sys::fs::remove(path);
}

bool TempFile::write(StringRef bytes) const {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return false;
  os << bytes;
  os.close();
  return !os.has_error();
}

std::optional<std::string> TempFile::read() const {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buf =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buf)
    return std::nullopt;
  return (*buf)->getBuffer().str();
}

//===- OutputFile.cpp - a tool's output written whole or not at all -------===//

#include "nhc/Compiler/OutputFile.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::nhc {

bool writeOutputFile(const std::string &path, const std::string &bytes,
                     std::string &error) {
  if (path == "-") {
    llvm::outs() << bytes;
    llvm::outs().flush();
    return true;
  }
  auto fail = [&](const std::string &reason) {
    error = "cannot write '" + path + "': " + reason;
    return false;
  };
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(path, status, /*follow=*/false) &&
      status.type() != llvm::sys::fs::file_type::regular_file) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (!ec) {
      os << bytes;
      os.flush();
      ec = os.error();
      os.clear_error();
    }
    return ec ? fail(ec.message()) : true;
  }
  llvm::Expected<llvm::sys::fs::TempFile> temp =
      llvm::sys::fs::TempFile::create(path + ".nhc-tmp-%%%%%%");
  if (!temp)
    return fail(llvm::toString(temp.takeError()));
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os << bytes;
    os.flush();
    if (os.has_error()) {
      std::string reason = os.error().message();
      os.clear_error();
      llvm::consumeError(temp->discard());
      return fail(reason);
    }
  }
  if (llvm::Error e = temp->keep(path))
    return fail(llvm::toString(std::move(e)));
  return true;
}

} // namespace mlir::nhc

//===- safetensors.h - Parse one .safetensors file ----------*- C++ -*-===//
//
// Format: 8-byte little-endian header length N, N bytes of JSON mapping
// tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative
// to the data region that starts at 8 + N), then the data region. The
// optional "__metadata__" entry is ignored.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_SAFETENSORS_H
#define NHC_RUNTIME_SRC_SAFETENSORS_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mapped_file.h"
#include "nhc/runtime/dtype.h"

namespace nhc::runtime {

struct SafetensorsTensor {
  std::string name;
  /// NHC_DTYPE_INVALID for a dtype the format defines but nhc does not read
  /// (storedDtype); such a tensor is listed, and refused only if bound.
  nhc_dtype_t dtype = NHC_DTYPE_INVALID;
  std::string storedDtype; // the header's dtype where `dtype` is INVALID
  std::vector<uint64_t> shape;
  const uint8_t *data = nullptr; // into the mapping
  uint64_t byteSize = 0;
};

struct SafetensorsFile {
  std::unique_ptr<MappedFile> file; // null for synthetic weights
  std::vector<SafetensorsTensor> tensors; // header order is not kept: sorted
  std::string label; // what to call it without a file

  const std::string &path() const { return file ? file->path() : label; }
};

/// Maps and validates `path`. Throws Error naming the file and the tensor.
std::unique_ptr<SafetensorsFile> openSafetensors(const std::string &path);

/// The dtype as the file spells it: nhc_dtype_name, or storedDtype.
const char *storedDtypeName(const SafetensorsTensor &tensor);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_SAFETENSORS_H

//===- safetensors_writer.h - Stream a safetensors file -----*- C++ -*-===//
//
// The tools' one safetensors writer (nhc-bench's random checkpoints,
// nhc-quantize's FP8 checkpoints). Tensors are declared first (the header
// needs every offset), then their bytes are appended in declaration order,
// so a 16 GB checkpoint never has to be in memory. The file appears under
// its name only when finish() succeeds (an AtomicFile, nhc-run's
// output_file.h: a temporary file next to it until then).
//
//===----------------------------------------------------------------------===//
#ifndef NHC_TOOLS_COMMON_SAFETENSORS_WRITER_H
#define NHC_TOOLS_COMMON_SAFETENSORS_WRITER_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../nhc-run/output_file.h"
#include "nhc/runtime/dtype.h"

namespace nhc::tools {

class SafetensorsWriter {
public:
  explicit SafetensorsWriter(std::string path) : path_(std::move(path)) {}

  /// Adds a tensor; returns its byte size. Throws std::runtime_error on a
  /// duplicate name or a size past 2^64.
  uint64_t declare(const std::string &name, nhc_dtype_t dtype,
                   const std::vector<uint64_t> &shape);
  /// Writes the header (with `metadata` as "__metadata__" when it is an
  /// object); call once, after every declare().
  void begin(const nlohmann::json &metadata = nullptr);
  /// Appends bytes of the tensors, in declaration order.
  void append(const void *data, size_t bytes);
  /// Checks that exactly the declared bytes were written, then commits the
  /// file under its name.
  void finish();

  uint64_t dataBytes() const { return offset_; }

private:
  std::string path_;
  nlohmann::json header_ = nlohmann::json::object();
  uint64_t offset_ = 0, written_ = 0;
  run::AtomicFile file_; // removed unless finish() commits it
};

} // namespace nhc::tools

#endif // NHC_TOOLS_COMMON_SAFETENSORS_WRITER_H

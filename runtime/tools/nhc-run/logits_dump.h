//===- logits_dump.h - Raw f32 logits files with a JSON sidecar -*- C++ -*-===//
//
// FILE holds rows x vocab little-endian f32 values, row-major, nothing
// else; FILE.json describes them (docs/runtime.md, "nhc-run").
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUN_LOGITS_DUMP_H
#define NHC_RUN_LOGITS_DUMP_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "output_file.h"

namespace nhc::run {

class LogitsDump {
public:
  /// Starts writing `path` (through a temporary file); `kind` is
  /// "generated" or "prompt". Returns false with `error` set on failure.
  bool open(const std::string &path, const char *kind, uint64_t vocab,
            std::string &error);
  bool isOpen() const { return data_.isOpen(); }
  bool appendRows(const float *rows, uint64_t count, std::string &error);
  /// Writes FILE.json, then puts FILE and FILE.json in place. Without it
  /// (an error), neither file is created or changed.
  bool finish(const std::vector<int32_t> &promptIds,
              const std::vector<int32_t> &generatedIds, std::string &error);
  /// Describes the rows as `shape` (whose product is the rows written times
  /// the width) with a `layout` sentence, instead of [rows, width].
  void describe(std::vector<uint64_t> shape, std::string layout) {
    shape_ = std::move(shape);
    layout_ = std::move(layout);
  }

private:
  std::string shapeText() const;
  std::string path_;
  const char *kind_ = "";
  AtomicFile data_;
  std::vector<uint64_t> shape_;
  std::string layout_;
  uint64_t vocab_ = 0;
  uint64_t rows_ = 0;
};

} // namespace nhc::run

#endif // NHC_RUN_LOGITS_DUMP_H

//===- safetensors_writer.cpp - Stream a safetensors file -----------------===//

#include "safetensors_writer.h"

#include <cstdio>
#include <stdexcept>

namespace nhc::tools {

uint64_t SafetensorsWriter::declare(const std::string &name, nhc_dtype_t dtype,
                                    const std::vector<uint64_t> &shape) {
  if (file_.isOpen())
    throw std::runtime_error("safetensors: '" + name + "' declared after begin");
  if (header_.contains(name) || name == "__metadata__")
    throw std::runtime_error("safetensors: tensor '" + name +
                             "' declared twice");
  unsigned __int128 bytes = nhc_dtype_size(dtype);
  for (uint64_t dim : shape)
    bytes *= dim;
  if (bytes + offset_ > UINT64_MAX)
    throw std::runtime_error("safetensors: tensor '" + name +
                             "' overflows 64-bit offsets");
  uint64_t size = static_cast<uint64_t>(bytes);
  header_[name] = {{"dtype", nhc_dtype_name(dtype)},
                   {"shape", shape},
                   {"data_offsets", {offset_, offset_ + size}}};
  offset_ += size;
  return size;
}

void SafetensorsWriter::begin(const nlohmann::json &metadata) {
  nlohmann::json header = header_;
  if (metadata.is_object())
    header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.resize((text.size() + 7) / 8 * 8, ' '); // data starts 8-aligned
  std::string error;
  if (!file_.open(path_, error))
    throw std::runtime_error(error);
  uint64_t n = text.size();
  if (std::fwrite(&n, 8, 1, file_.stream()) != 1 ||
      std::fwrite(text.data(), 1, text.size(), file_.stream()) != text.size())
    throw std::runtime_error("cannot write '" + path_ + "'");
}

void SafetensorsWriter::append(const void *data, size_t bytes) {
  if (!file_.isOpen() || written_ + bytes > offset_)
    throw std::runtime_error("safetensors: more data than declared for '" +
                             path_ + "'");
  if (bytes && std::fwrite(data, 1, bytes, file_.stream()) != bytes)
    throw std::runtime_error("cannot write '" + path_ + "'");
  written_ += bytes;
}

void SafetensorsWriter::finish() {
  if (!file_.isOpen() || written_ != offset_)
    throw std::runtime_error("safetensors: '" + path_ + "' got " +
                             std::to_string(written_) + " of " +
                             std::to_string(offset_) + " declared bytes");
  std::string error;
  if (!file_.commit(error))
    throw std::runtime_error(error);
}

} // namespace nhc::tools

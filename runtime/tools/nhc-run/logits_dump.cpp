//===- logits_dump.cpp - Raw f32 logits files with a JSON sidecar ---------===//

#include "logits_dump.h"

#include <cerrno>
#include <cstring>
#include <sstream>

namespace nhc::run {
namespace {

std::string idList(const std::vector<int32_t> &ids) {
  std::string text = "[";
  for (size_t i = 0; i < ids.size(); ++i)
    text += (i ? ", " : "") + std::to_string(ids[i]);
  return text + "]";
}

/// JSON string literal for a path (escapes quotes, backslashes, controls).
std::string jsonString(const std::string &text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string baseName(const std::string &path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

bool LogitsDump::open(const std::string &path, const char *kind,
                      uint64_t vocab, std::string &error) {
  if (!data_.open(path, error))
    return false;
  path_ = path;
  kind_ = kind;
  vocab_ = vocab;
  return true;
}

bool LogitsDump::appendRows(const float *rows, uint64_t count,
                            std::string &error) {
  // Host is little-endian (a runtime requirement), so f32 bytes go as is.
  if (std::fwrite(rows, sizeof(float), count * vocab_, data_.stream()) !=
      count * vocab_) {
    error = "cannot write '" + path_ + "': " + std::strerror(errno);
    return false;
  }
  rows_ += count;
  return true;
}

std::string LogitsDump::shapeText() const {
  std::vector<uint64_t> shape = shape_;
  if (shape.empty())
    shape = {rows_, vocab_};
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

bool LogitsDump::finish(const std::vector<int32_t> &promptIds,
                        const std::vector<int32_t> &generatedIds,
                        std::string &error) {
  std::ostringstream json;
  json << "{\n"
       << "  \"format\": \"nhc-logits\",\n"
       << "  \"version\": 1,\n"
       << "  \"kind\": \"" << kind_ << "\",\n"
       << "  \"data\": " << jsonString(baseName(path_)) << ",\n"
       << "  \"dtype\": \"f32\",\n"
       << "  \"byte_order\": \"little\",\n"
       << "  \"shape\": " << shapeText() << ",\n"
       << (layout_.empty() ? std::string()
                           : "  \"layout\": " + jsonString(layout_) + ",\n")
       << "  \"prompt_ids\": " << idList(promptIds) << ",\n"
       << "  \"generated_ids\": " << idList(generatedIds) << "\n"
       << "}\n";
  std::string text = json.str();
  // Logits sent to a device or pipe (/dev/null, a reader) have no file
  // beside which a description belongs.
  if (isStream(path_))
    return data_.commit(error);
  AtomicFile sidecar;
  if (!sidecar.open(path_ + ".json", error))
    return false;
  if (std::fwrite(text.data(), 1, text.size(), sidecar.stream()) !=
      text.size()) {
    error = "cannot write '" + sidecar.path() + "': " + std::strerror(errno);
    return false;
  }
  return data_.commit(error) && sidecar.commit(error);
}

} // namespace nhc::run

//===- JsonSource.cpp - JSON files with source positions --------*- C++ -*-===//

#include "nhc/Config/JsonSource.h"
#include "nhc/runtime/escape.h"
#include "nhc/runtime/json_scan.h"
#include "nhc/runtime/limits.h"

#include <cctype>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <sys/stat.h>
#include <vector>

namespace mlir::nhc {
using ::nhc::JsonNumberOverflow;
using ::nhc::kMaxJsonDepth;
using ::nhc::scanJsonText;
namespace {

// Python writes these bare tokens; nlohmann rejects them. They are replaced
// in place by strings of the same length, so every position stays valid.
constexpr const char *kPositiveInfinity = "\"+Inf_\""; // 8 chars, as Infinity
constexpr const char *kNegativeInfinity = "\"-Inf__\""; // 9 chars, as -Infinity
constexpr const char *kNotANumber = "\"N\"";            // 3 chars, as NaN
// A number beyond double range (at least 5 chars, "1e309") becomes a string
// holding one private-use character, padded with spaces after the value.
constexpr const char *kOverflowPositive = "\xEE\x80\x80"; // U+E000
constexpr const char *kOverflowNegative = "\xEE\x80\x81"; // U+E001

bool startsWithToken(const std::string &text, size_t pos, const char *token) {
  size_t len = std::char_traits<char>::length(token);
  if (text.compare(pos, len, token) != 0)
    return false;
  size_t end = pos + len;
  return end >= text.size() || !(std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_');
}

/// The number each placeholder stands for, by the offset of its opening
/// quote: only those strings are read back as numbers, never a string of
/// the file that happens to read the same.
using Placeholders = std::map<size_t, double>;

/// Rewrites Python's non-finite tokens outside strings.
void replaceNonFiniteTokens(std::string &text, Placeholders &placeholders) {
  const double inf = std::numeric_limits<double>::infinity();
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (startsWithToken(text, i, "-Infinity")) {
      text.replace(i, 9, kNegativeInfinity);
      placeholders[i] = -inf;
      i += 8;
    } else if (startsWithToken(text, i, "Infinity")) {
      text.replace(i, 8, kPositiveInfinity);
      placeholders[i] = inf;
      i += 7;
    } else if (startsWithToken(text, i, "NaN")) {
      text.replace(i, 3, kNotANumber);
      placeholders[i] = std::numeric_limits<double>::quiet_NaN();
      i += 2;
    }
  }
}

/// Python's json reads numbers beyond double range as +-infinity
/// (float('1e400') == inf); nlohmann throws. Rewrites them in place.
void replaceOverflowingNumbers(std::string &text,
                               const std::vector<JsonNumberOverflow> &numbers,
                               Placeholders &placeholders) {
  for (const JsonNumberOverflow &number : numbers) {
    placeholders[number.offset] =
        number.negative ? -std::numeric_limits<double>::infinity()
                        : std::numeric_limits<double>::infinity();
    std::string placeholder = std::string("\"") +
                              (number.negative ? kOverflowNegative
                                               : kOverflowPositive) +
                              "\"";
    placeholder.resize(number.length, ' ');
    text.replace(number.offset, number.length, placeholder);
  }
}

/// Parses Python's spelling of a non-finite float.
bool nonFiniteFromName(const std::string &name, double &value) {
  if (name == "Infinity" || name == "inf")
    value = std::numeric_limits<double>::infinity();
  else if (name == "-Infinity" || name == "-inf")
    value = -std::numeric_limits<double>::infinity();
  else if (name == "NaN" || name == "nan")
    value = std::numeric_limits<double>::quiet_NaN();
  else
    return false;
  return true;
}

/// The offset of every string that is a value (not an object key) of the
/// valid JSON `text`, in document order: the order nlohmann's parser
/// reports string values in.
std::vector<size_t> stringValueOffsets(const std::string &text) {
  std::vector<size_t> offsets;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '"')
      continue;
    size_t start = i;
    for (++i; i < text.size() && text[i] != '"'; ++i)
      if (text[i] == '\\')
        ++i;
    size_t after = text.find_first_not_of(" \t\r\n", i + 1);
    if (after == std::string::npos || text[after] != ':')
      offsets.push_back(start);
  }
  return offsets;
}

/// Turns transformers 5's own encoding of non-finite floats,
/// {"__float__": "Infinity"}, into numbers.
void restoreNonFiniteValues(nlohmann::json &value) {
  if (value.is_object() && value.size() == 1 && value.contains("__float__") &&
      value["__float__"].is_string()) {
    double number;
    if (nonFiniteFromName(value["__float__"].get<std::string>(), number)) {
      value = number;
      return;
    }
  }
  if (value.is_structured())
    for (auto &child : value)
      restoreNonFiniteValues(child);
}

/// Records the position of every object key (and its value) by path.
class KeyScanner {
public:
  KeyScanner(const std::string &text, JsonSource &source)
      : text(text), source(source) {}

  void run() {
    std::vector<Frame> stack;
    std::string pendingKey;
    bool expectKey = false;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '\n') {
        ++line;
        lineStart = i + 1;
        continue;
      }
      if (c == '"') {
        size_t start = i;
        std::string value = scanString(i);
        if (expectKey && !stack.empty() && stack.back().isObject) {
          pendingKey = joinPath(stack, value);
          if (pendingKey != kUntracked)
            source.keyPositions.emplace(pendingKey, positionOf(start));
          expectKey = false;
        } else {
          recordValue(stack, pendingKey, start);
        }
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(c)))
        continue;
      if (c == ':')
        continue;
      if (c == ',') {
        expectKey = !stack.empty() && stack.back().isObject;
        continue;
      }
      if (c == '{' || c == '[') {
        std::string path = !pendingKey.empty() ? pendingKey
                           : stack.empty()     ? std::string()
                                               : stack.back().path;
        recordValue(stack, pendingKey, i);
        stack.push_back({c == '{', path});
        expectKey = c == '{';
        continue;
      }
      if (c == '}' || c == ']') {
        if (!stack.empty())
          stack.pop_back();
        continue;
      }
      recordValue(stack, pendingKey, i);
      // Skip the rest of a number or literal.
      while (i + 1 < text.size() && !std::strchr(",}] \t\r\n", text[i + 1]))
        ++i;
    }
  }

private:
  struct Frame {
    bool isObject;
    std::string path;
  };

  std::string scanString(size_t &i) {
    std::string value;
    for (++i; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] == '\\' && i + 1 < text.size())
        ++i;
      value += text[i];
    }
    return value;
  }

  /// Positions serve diagnostics of the keys nhc reads: a few levels deep,
  /// short names. Deeper or longer paths are not recorded (their children
  /// neither), so no input can make the path table grow faster than the
  /// input itself. The deepest read: quantization_config.quantization.
  /// config_groups.<group>.weights.num_bits (6).
  static constexpr size_t kMaxTrackedDepth = 6;
  static constexpr size_t kMaxTrackedPath = 256;
  static inline const std::string kUntracked = std::string(1, '\x01');

  static std::string joinPath(const std::vector<Frame> &stack,
                              const std::string &key) {
    const std::string &parent = stack.back().path;
    if (parent == kUntracked || stack.size() > kMaxTrackedDepth ||
        parent.size() + key.size() >= kMaxTrackedPath)
      return kUntracked;
    return parent.empty() ? key : parent + "." + key;
  }

  void recordValue(const std::vector<Frame> &stack, std::string &pendingKey,
                   size_t pos) {
    if (!stack.empty() && stack.back().isObject && !pendingKey.empty()) {
      if (pendingKey != kUntracked)
        source.valuePositions.emplace(pendingKey, positionOf(pos));
      pendingKey.clear();
    }
  }

  SourcePosition positionOf(size_t pos) const {
    return {line, static_cast<int>(pos - lineStart) + 1};
  }

  const std::string &text;
  JsonSource &source;
  int line = 1;
  size_t lineStart = 0;
};

/// Converts a byte offset into a line/column position.
SourcePosition positionOfByte(const std::string &text, size_t byte) {
  SourcePosition position{1, 1};
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++position.line;
      position.column = 1;
    } else {
      ++position.column;
    }
  }
  return position;
}

/// nlohmann's message quotes the token it read ("last read: '...'"), which
/// can be a whole string of the file: cut it short and escape it
/// (nhc/runtime/escape.h), as any text of an untrusted file in a message.
std::string boundedParseError(std::string message) {
  const std::string marker = "last read: '";
  size_t start = message.find(marker);
  if (start != std::string::npos) {
    start += marker.size();
    size_t end = message.find("'; expected", start);
    if (end == std::string::npos)
      end = message.rfind('\'');
    if (end != std::string::npos && end > start &&
        end - start > ::nhc::kMaxQuotedChars) {
      size_t cut = start + ::nhc::kMaxQuotedChars;
      while (cut > start &&
             (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80)
        --cut;
      message = message.substr(0, cut) + "..." + message.substr(end);
    }
  }
  return ::nhc::escapeControls(message);
}

/// The byte offset of a line/column position, or npos.
size_t byteOfPosition(const std::string &text, SourcePosition position) {
  if (position.line <= 0 || position.column <= 0)
    return std::string::npos;
  size_t offset = 0;
  for (int line = 1; line < position.line; ++line) {
    offset = text.find('\n', offset);
    if (offset == std::string::npos)
      return offset;
    ++offset;
  }
  offset += static_cast<size_t>(position.column) - 1;
  return offset < text.size() ? offset : std::string::npos;
}

/// Bytes that the escape at text[i] (a backslash) decodes to, and sets
/// `written` to its length in the file.
size_t decodedEscapeBytes(const std::string &text, size_t i, size_t &written) {
  auto hex4 = [&](size_t at, unsigned &value) {
    if (at + 6 > text.size() || text[at] != '\\' || text[at + 1] != 'u')
      return false;
    value = 0;
    for (size_t k = at + 2; k < at + 6; ++k) {
      if (!std::isxdigit(static_cast<unsigned char>(text[k])))
        return false;
      value = value * 16 + (std::isdigit(static_cast<unsigned char>(text[k]))
                                ? text[k] - '0'
                                : (text[k] | 0x20) - 'a' + 10);
    }
    return true;
  };
  unsigned cp;
  if (!hex4(i, cp)) {
    written = 2; // \n, \", ...
    return 1;
  }
  written = 6;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    unsigned low;
    if (hex4(i + 6, low) && low >= 0xDC00 && low <= 0xDFFF) {
      written = 12;
      return 4;
    }
  }
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
}

/// nlohmann's DOM builder that puts each placeholder's number back, by the
/// document order of string values. (nlohmann 3.11's parse callback would do
/// too, but its parser walks the parent container at every object's end:
/// quadratic, minutes for a 1 MB config of many small objects.)
class PlaceholderRestoringDomParser
    : public nlohmann::detail::json_sax_dom_parser<nlohmann::json> {
  using Base = nlohmann::detail::json_sax_dom_parser<nlohmann::json>;

public:
  PlaceholderRestoringDomParser(nlohmann::json &root,
                                const std::vector<size_t> &stringOffsets,
                                const Placeholders &placeholders)
      : Base(root, /*allow_exceptions_=*/true), stringOffsets(stringOffsets),
        placeholders(placeholders) {}

  bool string(nlohmann::json::string_t &value) {
    if (nextString < stringOffsets.size()) {
      auto it = placeholders.find(stringOffsets[nextString++]);
      if (it != placeholders.end())
        return Base::number_float(it->second, value);
    }
    return Base::string(value);
  }

private:
  const std::vector<size_t> &stringOffsets;
  const Placeholders &placeholders;
  size_t nextString = 0;
};

} // namespace

SourcePosition JsonSource::keyPosition(const std::string &key) const {
  auto it = keyPositions.find(key);
  return it == keyPositions.end() ? SourcePosition{} : it->second;
}

SourcePosition JsonSource::valuePosition(const std::string &key) const {
  auto it = valuePositions.find(key);
  return it == valuePositions.end() ? keyPosition(key) : it->second;
}

SourcePosition JsonSource::stringBytePosition(const std::string &key,
                                              size_t index) const {
  SourcePosition start = valuePosition(key);
  size_t quote = byteOfPosition(text, start);
  if (quote == std::string::npos || text[quote] != '"')
    return start;
  // A JSON string holds no raw newline: the byte is on the value's line.
  size_t i = quote + 1, decoded = 0;
  while (i < text.size() && text[i] != '"') {
    size_t written = 1, bytes = 1;
    if (text[i] == '\\')
      bytes = decodedEscapeBytes(text, i, written);
    if (decoded + bytes > index)
      break;
    decoded += bytes;
    i += written;
  }
  start.column += static_cast<int>(i - quote);
  return start;
}

std::vector<SourcePosition>
JsonSource::elementPositions(const std::string &key) const {
  std::vector<SourcePosition> positions;
  SourcePosition start = valuePosition(key);
  size_t open = byteOfPosition(text, start);
  if (open == std::string::npos || text[open] != '[')
    return positions;
  SourcePosition at = start;
  int depth = 0;
  bool expectElement = false;
  for (size_t i = open; i < text.size(); ++i, ++at.column) {
    char c = text[i];
    if (c == '\n') {
      ++at.line;
      at.column = 0;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)))
      continue;
    if (expectElement && c != ']')
      positions.push_back(at);
    expectElement = false;
    if (c == '"') {
      // Strings hold no raw newline: only the column moves.
      size_t end = i + 1;
      while (end < text.size() && text[end] != '"')
        end += text[end] == '\\' ? 2 : 1;
      at.column += static_cast<int>(end - i);
      i = end;
    } else if (c == '[' || c == '{') {
      expectElement = ++depth == 1;
    } else if (c == ']' || c == '}') {
      if (--depth == 0)
        break;
    } else if (c == ',') {
      expectElement = depth == 1;
    }
  }
  return positions;
}

std::string JsonSource::where(SourcePosition position) const {
  std::ostringstream os;
  os << path << ":";
  if (position.line > 0)
    os << position.line << ":" << position.column << ":";
  os << " ";
  return os.str();
}

bool parseJsonSource(const std::string &path, std::string text,
                     JsonSource &source, std::string &error) {
  source.path = path;
  source.text = text;
  // nlohmann stops at a NUL byte as at the end of input, so a NUL and
  // whatever follows it would be ignored; JSON has no raw NUL anywhere.
  if (size_t nul = text.find('\0'); nul != std::string::npos) {
    error = source.where(positionOfByte(text, nul)) +
            "error: not valid JSON: NUL byte (\\x00)";
    return false;
  }
  // Checked first, so nothing below recurses deeper than kMaxJsonDepth.
  std::vector<JsonNumberOverflow> overflows;
  size_t tooDeep = scanJsonText(
      text.data(), text.size(),
      [&](const JsonNumberOverflow &number) { overflows.push_back(number); });
  if (tooDeep != std::string::npos) {
    error = source.where(positionOfByte(text, tooDeep)) +
            "error: JSON nesting deeper than " + std::to_string(kMaxJsonDepth) +
            " levels";
    return false;
  }
  Placeholders placeholders;
  replaceOverflowingNumbers(text, overflows, placeholders);
  replaceNonFiniteTokens(text, placeholders);
  try {
    // Each placeholder back to its number, by where it stands.
    std::vector<size_t> strings;
    if (!placeholders.empty())
      strings = stringValueOffsets(text);
    PlaceholderRestoringDomParser builder(source.root, strings, placeholders);
    nlohmann::json::sax_parse(text, &builder);
  } catch (const nlohmann::json::parse_error &e) {
    // e.byte is 1-based and points just past the offending character.
    SourcePosition position =
        positionOfByte(text, e.byte > 0 ? e.byte - 1 : 0);
    std::string what = e.what();
    size_t detail = what.find("parse error");
    error = source.where(position) + "error: not valid JSON: " +
            boundedParseError(detail == std::string::npos ? what
                                                          : what.substr(detail));
    return false;
  } catch (const nlohmann::json::exception &e) {
    error = source.where({}) + "error: not valid JSON: " + e.what();
    return false;
  }
  if (!source.root.is_object()) {
    error = source.where({}) + "error: expected a JSON object at the top level";
    return false;
  }
  restoreNonFiniteValues(source.root);
  KeyScanner(text, source).run();
  return true;
}

bool loadJsonSource(const std::string &path, JsonSource &source,
                    std::string &error) {
  // Only regular files: a device or FIFO (/dev/zero, a pipe) never ends.
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    error = path + ": error: cannot open file";
    return false;
  }
  if (!S_ISREG(info.st_mode)) {
    error = path + ": error: not a regular file";
    return false;
  }
  // Config files are kilobytes; a bound keeps a hostile one from costing
  // memory before it is even parsed.
  uint64_t limit = ::nhc::kMaxConfigFileBytes;
  if (static_cast<uint64_t>(info.st_size) > limit) {
    error = path + ": error: file is " + std::to_string(info.st_size) +
            " bytes, above nhc's limit of " + std::to_string(limit) +
            " for a config (docs/security.md)";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": error: cannot open file";
    return false;
  }
  // Read at most limit + 1 bytes, in case the file grew since stat().
  std::string text(limit + 1 < uint64_t(info.st_size) + 4096
                       ? limit + 1
                       : uint64_t(info.st_size) + 4096,
                   '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > limit) {
    error = path + ": error: file grew above nhc's limit of " +
            std::to_string(limit) + " bytes while being read";
    return false;
  }
  return parseJsonSource(path, std::move(text), source, error);
}

} // namespace mlir::nhc

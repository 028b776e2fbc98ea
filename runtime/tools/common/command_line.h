//===- command_line.h - The runtime tools' shared option parsing -*- C++ -*-===//
//
// nhc-run and nhc-serve take `MODEL.nhc --weights PATH` plus options written
// `--name value` or `--name=value`; this walks argv for both, so the
// spelling rules and their messages live in one place.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_TOOLS_COMMON_COMMAND_LINE_H
#define NHC_TOOLS_COMMON_COMMAND_LINE_H

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "nhc/runtime/session.h"

namespace nhc::tools {

/// "f32" or "bf16" (nhc_gemm_precision_name) as the enum; false otherwise.
inline bool parseGemmPrecision(const std::string &text,
                               nhc_gemm_precision_t &out) {
  for (nhc_gemm_precision_t precision :
       {NHC_GEMM_PRECISION_F32, NHC_GEMM_PRECISION_BF16})
    if (text == nhc_gemm_precision_name(precision)) {
      out = precision;
      return true;
    }
  return false;
}

/// A decimal integer in [0, 2^64) with nothing else around it.
inline bool parseUInt(const std::string &text, uint64_t &out) {
  // strtoull would skip leading blanks and take a sign.
  if (text.empty() || text[0] < '0' || text[0] > '9')
    return false;
  char *end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  out = value;
  return true;
}

/// Valued options take one value: given twice is an error (as nhc
/// quantize's), not the last silently; Repeatable ones collect every value
/// (nhc-run's --stop).
enum class OptionKind { Unknown, Flag, Valued, Repeatable };

/// Walks argv[1..]: -h/--help sets `help` and stops; other arguments not
/// starting with "--" are positional; `kindOf(name)` tells unknown options
/// (an error), flags (no value) and valued options (the next argument or
/// "=value"); `onOption(name, value, error)` returns false for a bad value
/// (setting `error`, or leaving it for "invalid value ..."); a Valued
/// option given twice is an error naming both values. The one
/// positional is `model`; `--weights` must have been given (`weights`, the
/// option's destination, non-empty).
inline bool walkCommandLine(
    int argc, char **argv, bool &help, std::string &model,
    const std::string &weights,
    const std::function<OptionKind(const std::string &)> &kindOf,
    const std::function<bool(const std::string &, const std::string &,
                             std::string &)> &onOption,
    std::string &error) {
  std::vector<std::string> positional;
  std::map<std::string, std::string> given; // Valued options seen, by name
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help = true;
      return true;
    }
    if (arg.rfind("--", 0) != 0) {
      positional.push_back(arg);
      continue;
    }
    std::string name = arg, value;
    size_t eq = arg.find('=');
    bool inlineValue = eq != std::string::npos;
    if (inlineValue) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    OptionKind kind = kindOf(name);
    if (kind == OptionKind::Unknown) {
      error = "unknown option '" + name + "'";
      return false;
    }
    if (!inlineValue && kind != OptionKind::Flag) {
      if (i + 1 >= argc) {
        error = "option '" + name + "' needs a value";
        return false;
      }
      value = argv[++i];
    }
    if (kind == OptionKind::Valued) {
      auto [earlier, first] = given.emplace(name, value);
      if (!first) {
        error = name + " is given twice ('" + earlier->second + "' and '" +
                value + "')";
        return false;
      }
    }
    if (!onOption(name, value, error)) {
      if (error.empty())
        error = "invalid value '" + value + "' for " + name;
      return false;
    }
  }
  if (positional.size() != 1) {
    error = positional.empty() ? "missing MODEL.nhc"
                               : "expected one MODEL.nhc, got " +
                                     std::to_string(positional.size()) +
                                     " positional arguments";
    return false;
  }
  model = positional[0];
  if (weights.empty()) {
    error = "missing --weights PATH";
    return false;
  }
  return true;
}

} // namespace nhc::tools

#endif // NHC_TOOLS_COMMON_COMMAND_LINE_H

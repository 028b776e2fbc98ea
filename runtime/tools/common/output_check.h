//===- output_check.h - The runtime tools' output-vs-input rule -*- C++ -*-===//
//
// A tool never writes over a file it reads: before anything is opened for
// writing, every output is compared with every input of the run and with
// the other outputs, and one that names any of them is refused with the
// option and both files named (exit 1, the file untouched). nhc-run,
// nhc-bench and nhc-quantize collect their inputs with the helpers here, so
// what "the files of a checkpoint" means lives in one place.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_TOOLS_COMMON_OUTPUT_CHECK_H
#define NHC_TOOLS_COMMON_OUTPUT_CHECK_H

#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "../nhc-run/output_file.h"
#include "nhc/runtime/api.h"
#include "nhc/runtime/checkpoint_files.h"
#include "nhc/runtime/escape.h"
#include "nhc/runtime/same_path.h"

namespace nhc::tools {

/// A file a tool writes and the option that names it.
struct OutputFile {
  std::string option;
  std::string path;
  /// Whether its directory must be there now (false for files of a
  /// directory the tool creates itself, e.g. nhc quantize's OUT_DIR).
  bool directoryExists = true;
};

namespace detail {

inline bool isDirectory(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// The directory part of `path` as given (as open() resolves it, not
/// lexically normalized): "." without a slash.
inline std::string directoryPart(const std::string &path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace detail

/// The directory of a checkpoint path: the path when it is a directory,
/// else the directory of the file or index it names (where config.json,
/// the tokenizer and generation_config.json live).
inline std::string checkpointDirectory(const std::string &weightsPath) {
  return detail::isDirectory(weightsPath) ? weightsPath
                                          : detail::directoryPart(weightsPath);
}

/// Adds what a checkpoint path stands for: the path itself and the
/// checkpoint's own files next to it, there or not (weights, index,
/// configs, tokenizer, generation defaults), read by the runtime, the
/// tokenizer, the chat template and the generation defaults (or compiled
/// from).
inline void addCheckpointFiles(const std::string &weightsPath,
                               std::set<std::string> &inputs) {
  if (weightsPath.empty())
    return;
  inputs.insert(weightsPath);
  // There or not: a file written under one of these names would be read
  // by the next run, compile or server on this checkpoint.
  for (std::string &file : checkpointFiles(checkpointDirectory(weightsPath)))
    inputs.insert(std::move(file));
}

/// Adds the files Tokenizer::load(path) reads: tokenizer.json (or the file
/// named), tokenizer_config.json and chat_template.jinja next to it, there
/// or not.
inline void addTokenizerFiles(const std::string &path,
                              std::set<std::string> &inputs) {
  if (path.empty())
    return;
  std::string dir = path;
  if (detail::isDirectory(path)) {
    inputs.insert(path + "/tokenizer.json");
  } else {
    inputs.insert(path);
    dir = checkpointDirectory(path);
  }
  inputs.insert(dir + "/tokenizer_config.json");
  inputs.insert(dir + "/chat_template.jinja");
}

/// Adds every file that holds a tensor of `weights` (the shards, wherever
/// an index puts them).
inline void addTensorFiles(const nhc_weights_t *weights,
                           std::set<std::string> &inputs) {
  if (!weights)
    return;
  nhc_tensor_info_t info;
  for (size_t i = 0; i < nhc_weights_tensor_count(weights); ++i)
    if (nhc_weights_tensor_at(weights, i, &info) == NHC_OK && info.file)
      inputs.insert(info.file);
}

/// False with `error` naming the option and the files when an output is an
/// input or is also written by an earlier output, or (`directoryExists`)
/// its directory is not a writable directory now: a run that could not
/// write its output at the end is refused before it starts (empty paths
/// are skipped).
inline bool checkOutputs(const std::vector<OutputFile> &outputs,
                         const std::set<std::string> &inputs,
                         std::string &error) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const OutputFile &out = outputs[i];
    if (out.path.empty())
      continue;
    for (const std::string &input : inputs)
      if (!input.empty() && writesInput(out.path, input)) {
        // An input's name may come from an untrusted index: escaped.
        error = out.option + ": '" + nhc::escapeControls(out.path) +
                "' is an input of this run ('" + nhc::escapeControls(input) +
                "'); refusing to overwrite it";
        return false;
      }
    // A device (/dev/null) takes any number of writers.
    if (run::isCharacterDevice(out.path))
      continue;
    for (size_t j = 0; j < i; ++j)
      if (!outputs[j].path.empty() && namesSameFile(out.path, outputs[j].path)) {
        error = out.option + ": '" + nhc::escapeControls(out.path) +
                "' is also written by " + outputs[j].option +
                (outputs[j].path == out.path
                     ? ""
                     : " ('" + nhc::escapeControls(outputs[j].path) + "')");
        return false;
      }
  }
  // Then where each goes (after the collisions, whose messages say more).
  for (const OutputFile &out : outputs) {
    if (out.path.empty() || !out.directoryExists || run::isStream(out.path))
      continue;
    // "missing/../out" is refused, as opening it would be.
    const std::string dir = detail::directoryPart(out.path);
    if (!detail::isDirectory(dir) || ::access(dir.c_str(), W_OK | X_OK) != 0) {
      error = out.option + ": cannot write '" + nhc::escapeControls(out.path) +
              "': '" + nhc::escapeControls(dir) +
              (detail::isDirectory(dir) ? "' is not a writable directory"
                                        : "' is not a directory");
      return false;
    }
  }
  return true;
}

} // namespace nhc::tools

#endif // NHC_TOOLS_COMMON_OUTPUT_CHECK_H

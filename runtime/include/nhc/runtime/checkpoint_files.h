//===- nhc/runtime/checkpoint_files.h - A checkpoint's files ----*- C++ -*-===//
//
// The files of a Hugging Face checkpoint directory that nhc's tools read
// (weights, shard index, configs, tokenizer, generation defaults) or compile
// from. No tool writes over one: nhc compile's -o and the runtime tools'
// outputs are checked against this set (writesInput below;
// nhc/runtime/same_path.h says when two paths name one file). Header-only
// and POSIX-only, shared by the compiler driver and the runtime tools.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_CHECKPOINT_FILES_H
#define NHC_RUNTIME_CHECKPOINT_FILES_H

#include <dirent.h>
#include <string>
#include <vector>

#include "nhc/runtime/same_path.h"

namespace nhc {

/// The checkpoint's own files by name, there or not: a file written under
/// one of these would be read by the next run, compile or server on it.
inline constexpr const char *kCheckpointFileNames[] = {
    "model.safetensors",      "model.safetensors.index.json",
    "config.json",            "hf_quant_config.json",
    "generation_config.json", "tokenizer.json",
    "tokenizer_config.json",  "chat_template.jinja"};

/// Whether `name` (a file name, no directory) ends in ".safetensors": a
/// weights file or shard of the directory's checkpoint.
inline bool isSafetensorsName(const std::string &name) {
  static const std::string suffix = ".safetensors";
  return name.size() > suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The name of the entry checkpointFiles() gives for every "*.safetensors"
/// of a directory, there or not (a new one would be a shard to other
/// loaders that read a directory's every weights file): "DIR/*.safetensors",
/// which writesInput matches by pattern.
inline constexpr const char kAnySafetensors[] = "*.safetensors";

/// Whether writing `output` writes input `input`: the same file
/// (namesSameFile), or `input` is a directory's kAnySafetensors entry and
/// `output` a "*.safetensors" name in that directory.
inline bool writesInput(const std::string &output, const std::string &input) {
  if (fileNameOf(input) == kAnySafetensors &&
      isSafetensorsName(fileNameOf(output)) &&
      namesSameFile(parentDirectoryOf(output), parentDirectoryOf(input)))
    return true;
  return namesSameFile(output, input);
}

/// The paths of checkpoint directory `dir`'s files: kCheckpointFileNames
/// and the kAnySafetensors entry (there or not), and every "*.safetensors" in
/// it (the shards an index names sit beside it; the runtime refuses one
/// elsewhere).
inline std::vector<std::string> checkpointFiles(const std::string &dir) {
  std::vector<std::string> files;
  for (const char *name : kCheckpointFileNames)
    files.push_back(dir + "/" + name);
  files.push_back(dir + "/" + kAnySafetensors);
  if (DIR *listing = ::opendir(dir.c_str())) {
    while (const dirent *entry = ::readdir(listing))
      if (isSafetensorsName(entry->d_name))
        files.push_back(dir + "/" + entry->d_name);
    ::closedir(listing);
  }
  return files;
}

} // namespace nhc

#endif // NHC_RUNTIME_CHECKPOINT_FILES_H

//===- checkpoint_config.h - A checkpoint's config.json vs the artifact's -===//
//
// The artifact computes what its compiled config says; a checkpoint's own
// config.json may say otherwise (another activation, epsilon, routing) with
// weights of the same shapes. Binding names such differences.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_CHECKPOINT_CONFIG_H
#define NHC_RUNTIME_SRC_CHECKPOINT_CONFIG_H

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace nhc::runtime {

/// What comparing a checkpoint's config.json with the artifact's found.
struct ConfigComparison {
  /// A warning naming each differing key with both values; empty when they
  /// agree or nothing was compared.
  std::string differences;
  /// Why the file was not compared (unreadable, not JSON, too large);
  /// empty otherwise.
  std::string notCompared;
};

/// Compares config.json beside the checkpoint at `checkpointPath` (a
/// directory, or a safetensors or index file: the file's directory) with
/// `read`, the manifest's `config.read` (key path -> the value the compiler
/// read, null where absent). A key path is dotted; a value is absent where
/// the file lacks it or holds null. Numbers compare by value (64 and 64.0
/// agree). Nothing is compared without a config.json or without `read`.
/// `artifact` names the artifact in messages ("artifact '/m.nhc'").
ConfigComparison
compareCheckpointConfig(const std::string &checkpointPath,
                        const std::vector<std::pair<std::string, nlohmann::json>> &read,
                        const std::string &artifact);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_CHECKPOINT_CONFIG_H

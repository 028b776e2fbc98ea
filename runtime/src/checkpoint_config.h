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

/// Compares `path`, the config.json beside a checkpoint (read as Python's
/// json reads it: Infinity and NaN tokens, a repeated key's last value),
/// with `read`, the manifest's `config.read`: each entry is the key paths
/// the compiler tried ('|'-joined aliases, dotted paths) and the value it
/// found (null: none present); the file's value is its first alias present,
/// as the compiler picks. A value is absent where the file lacks it or holds
/// null; numbers compare by value (64 and 64.0 agree). Nothing is compared
/// without the file or without `read`. An absent value on either side
/// reads as `defaults`' entry for its key paths where there is one (the
/// manifest's `config.defaults`: what the compiler used), so a default
/// left out and written out agree. The layer list (layer_types,
/// layers_block_type) and hybrid_override_pattern are compared as the one
/// layer pattern they spell (nhc/format/layer_pattern.h). `artifact` names
/// the artifact in messages ("artifact '/m.nhc'").
ConfigComparison
compareCheckpointConfig(const std::string &path,
                        const std::vector<std::pair<std::string, nlohmann::json>> &read,
                        const std::vector<std::pair<std::string, nlohmann::json>> &defaults,
                        const std::string &artifact);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_CHECKPOINT_CONFIG_H

//===- checkpoint_config.cpp - A checkpoint's config.json vs the artifact's -===//

#include "checkpoint_config.h"

#include <exception>

#include "json_fields.h"
#include "mapped_file.h"
#include "nhc/runtime/limits.h"
#include "text.h"

namespace nhc::runtime {
namespace {

/// The value at a dotted key path, or null where absent or null.
Json valueAt(const Json &root, const std::string &path) {
  const Json *node = &root;
  size_t from = 0;
  while (true) {
    size_t dot = path.find('.', from);
    if (!node->is_object())
      return nullptr;
    auto it = node->find(path.substr(from, dot - from));
    if (it == node->end())
      return nullptr;
    node = &*it;
    if (dot == std::string::npos)
      return *node;
    from = dot + 1;
  }
}

std::string describe(const Json &value) {
  return value.is_null() ? std::string("absent") : boundedDump(value);
}

} // namespace

ConfigComparison
compareCheckpointConfig(const std::string &checkpointPath,
                        const std::vector<std::pair<std::string, Json>> &read,
                        const std::string &artifact) {
  ConfigComparison result;
  if (read.empty())
    return result;
  std::string dir = checkpointPath;
  if (!isDirectory(dir)) {
    size_t slash = dir.find_last_of('/');
    dir = slash == std::string::npos ? "." : dir.substr(0, slash + 1);
  }
  const std::string path = cat(dir, dir.back() == '/' ? "" : "/", "config.json");
  if (!isRegularFile(path))
    return result;
  Json config;
  try {
    auto bytes = FileBytes::read(path, "checkpoint config", kMaxConfigFileBytes,
                                 "nhc::kMaxConfigFileBytes");
    config = parseJson(reinterpret_cast<const char *>(bytes->data()),
                       bytes->size(), cat("'", path, "'"));
  } catch (const std::exception &e) {
    result.notCompared = cat("checkpoint config not compared with the artifact's: ",
                             e.what());
    return result;
  }
  size_t count = 0;
  std::string listed;
  for (const auto &[key, compiled] : read) {
    Json own = valueAt(config, key);
    if (own == compiled)
      continue;
    if (count++ < 8)
      listed += cat(count > 1 ? "; " : "", "'", key, "' is ", describe(own),
                    " there, ", describe(compiled), " in the artifact's");
  }
  if (count > 0)
    result.differences =
        cat("checkpoint config '", path, "' differs from the config ", artifact,
            " was compiled from: ", listed,
            count > 8 ? cat("; and ", count - 8, " more") : std::string(),
            ". The artifact computes with its own values; compile this "
            "config.json to run what it describes");
  return result;
}

} // namespace nhc::runtime

//===- weights.cpp - Open safetensors checkpoints and bind to a manifest --===//

#include <algorithm>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "error.h"
#include "json_fields.h"
#include "manifest.h"
#include "mapped_file.h"
#include "nhc/runtime/weights.h"
#include "safetensors.h"
#include "weights_internal.h"

namespace {

struct TensorRef {
  const nhc::runtime::SafetensorsFile *file;
  const nhc::runtime::SafetensorsTensor *tensor;
};

} // namespace

struct nhc_weights_t {
  std::string source; // the path given to nhc_weights_open
  std::vector<std::unique_ptr<nhc::runtime::SafetensorsFile>> files;
  std::vector<TensorRef> sorted;                  // all tensors by name
  std::unordered_map<std::string, size_t> byName; // index into `sorted`
  bool isBound = false;
  std::vector<TensorRef> bound; // manifest order
};

namespace nhc::runtime {
namespace {

constexpr const char *kSingleFile = "model.safetensors";
constexpr const char *kIndexFile = "model.safetensors.index.json";

std::string joinPath(const std::string &dir, const std::string &name) {
  if (dir.empty() || dir.back() == '/')
    return dir + name;
  return dir + "/" + name;
}

std::string parentDir(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool endsWith(const std::string &text, const std::string &suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const std::string &nameOf(const SafetensorsTensor &tensor) {
  return tensor.name;
}
const std::string &nameOf(const std::string &name) { return name; }

/// Shard names come from an untrusted index: keep them inside its directory.
void checkShardName(const std::string &shard, const std::string &where) {
  bool escapes = shard.empty() || shard.front() == '/' || shard == ".." ||
                 shard.rfind("../", 0) == 0 ||
                 shard.find("/../") != std::string::npos ||
                 endsWith(shard, "/..");
  NHC_CHECK(!escapes, NHC_INVALID_FORMAT,
            cat(where, ": shard file name '", shard,
                "' must be a relative path inside the checkpoint directory"));
}

void openIndex(nhc_weights_t &weights, const std::string &indexPath) {
  std::string where = cat("safetensors index '", indexPath, "'");
  std::unique_ptr<MappedFile> file =
      MappedFile::open(indexPath, "safetensors index");
  Json index = parseJson(reinterpret_cast<const char *>(file->data()),
                         file->size(), where);
  const Json &weightMap = requireField(index, "weight_map", where);
  requireObject(weightMap, where + ": weight_map");

  // Open each shard once, in name order (weight_map iterates sorted).
  std::string dir = parentDir(indexPath);
  std::unordered_map<std::string, const SafetensorsFile *> shards;
  for (auto it = weightMap.begin(); it != weightMap.end(); ++it) {
    std::string shard =
        asString(it.value(), cat(where, ": weight_map['", it.key(), "']"));
    if (shards.count(shard))
      continue;
    checkShardName(shard, where);
    weights.files.push_back(openSafetensors(joinPath(dir, shard)));
    shards.emplace(shard, weights.files.back().get());
  }
  // Every mapping must be backed by the shard it names.
  for (auto it = weightMap.begin(); it != weightMap.end(); ++it) {
    const SafetensorsFile *shard = shards.at(it.value().get<std::string>());
    // Shard tensors are sorted by name (openSafetensors).
    bool found = std::binary_search(
        shard->tensors.begin(), shard->tensors.end(), it.key(),
        [](const auto &a, const auto &b) { return nameOf(a) < nameOf(b); });
    NHC_CHECK(found, NHC_NOT_FOUND,
              cat(where, ": weight_map puts tensor '", it.key(), "' in '",
                  shard->file->path(), "', but that file has no such tensor"));
  }
}

/// Builds the name index; a tensor in two files is ambiguous, so an error.
void indexTensors(nhc_weights_t &weights) {
  for (const auto &file : weights.files) {
    for (const SafetensorsTensor &tensor : file->tensors) {
      auto [it, inserted] =
          weights.byName.emplace(tensor.name, weights.sorted.size());
      NHC_CHECK(inserted, NHC_INVALID_FORMAT,
                cat("weights: tensor '", tensor.name, "' appears in both '",
                    weights.sorted[it->second].file->file->path(), "' and '",
                    file->file->path(), "'"));
      weights.sorted.push_back(TensorRef{file.get(), &tensor});
    }
  }
  std::sort(weights.sorted.begin(), weights.sorted.end(),
            [](const TensorRef &a, const TensorRef &b) {
              return a.tensor->name < b.tensor->name;
            });
  for (size_t i = 0; i < weights.sorted.size(); ++i)
    weights.byName[weights.sorted[i].tensor->name] = i;
}

std::unique_ptr<nhc_weights_t> openWeights(const std::string &path) {
  auto weights = std::make_unique<nhc_weights_t>();
  weights->source = path;
  if (isDirectory(path)) {
    std::string single = joinPath(path, kSingleFile);
    std::string index = joinPath(path, kIndexFile);
    if (isRegularFile(single))
      weights->files.push_back(openSafetensors(single));
    else if (isRegularFile(index))
      openIndex(*weights, index);
    else
      throw Error(NHC_NOT_FOUND,
                  cat("weights: checkpoint directory '", path, "' has neither ",
                      kSingleFile, " nor ", kIndexFile));
  } else if (endsWith(path, ".json")) {
    openIndex(*weights, path);
  } else {
    weights->files.push_back(openSafetensors(path));
  }
  indexTensors(*weights);
  return weights;
}

std::string describe(nhc_dtype_t dtype, const std::vector<uint64_t> &shape) {
  return cat(nhc_dtype_name(dtype), " ", shapeToString(shape));
}

/// Checks one manifest entry; returns NHC_OK or the problem in `message`.
nhc_status_t checkTensor(const nhc_weights_t &weights, const TensorSpec &spec,
                         const std::string &origin, TensorRef &ref,
                         std::string &message) {
  auto it = weights.byName.find(spec.name);
  if (it == weights.byName.end()) {
    message = cat("weights: tensor '", spec.name, "' (",
                  describe(spec.dtype, spec.shape),
                  ") required by the artifact is missing from checkpoint '",
                  weights.source, "' (from ", origin, ")");
    return NHC_NOT_FOUND;
  }
  ref = weights.sorted[it->second];
  const SafetensorsTensor &tensor = *ref.tensor;
  const std::string &file = ref.file->file->path();
  if (tensor.dtype != spec.dtype) {
    message = cat("weights: tensor '", spec.name, "' has dtype ",
                  nhc_dtype_name(tensor.dtype), " in ", file,
                  ", but the artifact expects ", nhc_dtype_name(spec.dtype),
                  tensor.shape != spec.shape
                      ? cat(" (and shape ", shapeToString(spec.shape),
                            ", found ", shapeToString(tensor.shape), ")")
                      : std::string(),
                  " (from ", origin, ")");
    return NHC_MISMATCH;
  }
  if (tensor.shape != spec.shape) {
    message = cat("weights: tensor '", spec.name, "' has shape ",
                  shapeToString(tensor.shape), " in ", file,
                  ", but the artifact expects ", shapeToString(spec.shape),
                  " (from ", origin, ")");
    return NHC_MISMATCH;
  }
  return NHC_OK;
}

/// Every manifest tensor, in manifest order; throws describing the first
/// problem and counting the rest.
std::vector<TensorRef> resolveBinding(const nhc_weights_t &weights,
                                      const nhc_manifest_t &manifest) {
  std::vector<TensorRef> bound(manifest.weights.size());
  nhc_status_t firstStatus = NHC_OK;
  std::string firstMessage;
  size_t problems = 0;
  for (size_t i = 0; i < manifest.weights.size(); ++i) {
    std::string message;
    nhc_status_t status = checkTensor(weights, manifest.weights[i],
                                      manifest.origin, bound[i], message);
    if (status == NHC_OK)
      continue;
    if (problems++ == 0) {
      firstStatus = status;
      firstMessage = std::move(message);
    }
  }
  if (problems > 1)
    firstMessage +=
        cat("; ", problems - 1, " more of the ", manifest.weights.size(),
            " artifact tensors are missing or mismatched");
  NHC_CHECK(problems == 0, firstStatus, firstMessage);
  return bound;
}

/// All-or-nothing: the handle only changes when every tensor matches.
void bindWeights(nhc_weights_t &weights, const nhc_manifest_t &manifest) {
  weights.bound = resolveBinding(weights, manifest);
  weights.isBound = true;
}

nhc_tensor_info_t toInfo(const TensorRef &ref) {
  nhc_tensor_info_t info{};
  const SafetensorsTensor &tensor = *ref.tensor;
  info.desc.name = tensor.name.c_str();
  info.desc.dtype = tensor.dtype;
  info.desc.rank = static_cast<uint32_t>(tensor.shape.size());
  for (size_t i = 0; i < tensor.shape.size(); ++i)
    info.desc.shape[i] = tensor.shape[i];
  info.data = tensor.data;
  info.byte_size = tensor.byteSize;
  info.file = ref.file->file->path().c_str();
  return info;
}

} // namespace

std::vector<nhc_tensor_info_t> boundTensors(const nhc_weights_t &weights,
                                            const nhc_manifest_t &manifest) {
  std::vector<nhc_tensor_info_t> infos;
  for (const TensorRef &ref : resolveBinding(weights, manifest))
    infos.push_back(toInfo(ref));
  return infos;
}

const std::string &weightsSource(const nhc_weights_t &weights) {
  return weights.source;
}

} // namespace nhc::runtime

using namespace nhc::runtime;

extern "C" {

nhc_status_t nhc_weights_open(const char *path, nhc_weights_t **out_weights) {
  return guard("nhc_weights_open", [&] {
    NHC_CHECK_ARG(path, "nhc_weights_open");
    NHC_CHECK_ARG(out_weights, "nhc_weights_open");
    *out_weights = openWeights(path).release();
  });
}

void nhc_weights_release(nhc_weights_t *weights) { delete weights; }

size_t nhc_weights_tensor_count(const nhc_weights_t *weights) {
  return weights ? weights->sorted.size() : 0;
}

nhc_status_t nhc_weights_tensor_at(const nhc_weights_t *weights, size_t index,
                                   nhc_tensor_info_t *out_info) {
  return guard("nhc_weights_tensor_at", [&] {
    NHC_CHECK_ARG(weights, "nhc_weights_tensor_at");
    NHC_CHECK_ARG(out_info, "nhc_weights_tensor_at");
    NHC_CHECK(index < weights->sorted.size(), NHC_INVALID_ARGUMENT,
              cat("nhc_weights_tensor_at: index ", index,
                  " out of range: checkpoint '", weights->source, "' has ",
                  weights->sorted.size(), " tensors"));
    *out_info = toInfo(weights->sorted[index]);
  });
}

nhc_status_t nhc_weights_find(const nhc_weights_t *weights, const char *name,
                              nhc_tensor_info_t *out_info) {
  return guard("nhc_weights_find", [&] {
    NHC_CHECK_ARG(weights, "nhc_weights_find");
    NHC_CHECK_ARG(name, "nhc_weights_find");
    NHC_CHECK_ARG(out_info, "nhc_weights_find");
    auto it = weights->byName.find(name);
    NHC_CHECK(it != weights->byName.end(), NHC_NOT_FOUND,
              cat("weights: no tensor '", name, "' in checkpoint '",
                  weights->source, "'"));
    *out_info = toInfo(weights->sorted[it->second]);
  });
}

nhc_status_t nhc_weights_bind(nhc_weights_t *weights,
                              const nhc_manifest_t *manifest) {
  return guard("nhc_weights_bind", [&] {
    NHC_CHECK_ARG(weights, "nhc_weights_bind");
    NHC_CHECK_ARG(manifest, "nhc_weights_bind");
    bindWeights(*weights, *manifest);
  });
}

size_t nhc_weights_bound_count(const nhc_weights_t *weights) {
  return weights && weights->isBound ? weights->bound.size() : 0;
}

nhc_status_t nhc_weights_bound_at(const nhc_weights_t *weights,
                                  size_t manifest_index,
                                  nhc_tensor_info_t *out_info) {
  return guard("nhc_weights_bound_at", [&] {
    NHC_CHECK_ARG(weights, "nhc_weights_bound_at");
    NHC_CHECK_ARG(out_info, "nhc_weights_bound_at");
    NHC_CHECK(weights->isBound, NHC_FAILED_PRECONDITION,
              cat("nhc_weights_bound_at: checkpoint '", weights->source,
                  "' is not bound; call nhc_weights_bind first"));
    NHC_CHECK(manifest_index < weights->bound.size(), NHC_INVALID_ARGUMENT,
              cat("nhc_weights_bound_at: index ", manifest_index,
                  " out of range: ", weights->bound.size(),
                  " tensors are bound"));
    *out_info = toInfo(weights->bound[manifest_index]);
  });
}

} // extern "C"

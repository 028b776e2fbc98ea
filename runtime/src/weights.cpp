//===- weights.cpp - Open safetensors checkpoints and bind to a manifest --===//

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "aligned_buffer.h"
#include "checkpoint_config.h"
#include "error.h"
#include "float_dtype.h"
#include "fp8.h"
#include "json_fields.h"
#include "manifest.h"
#include "mapped_file.h"
#include "nhc/runtime/checked_math.h"
#include "nhc/runtime/limits.h"
#include "nhc/runtime/weights.h"
#include "safetensors.h"
#include "synthetic_weights.h"
#include "text.h"
#include "thread_pool.h"
#include "weights_f32.h"
#include "weights_internal.h"

namespace {

struct TensorRef {
  const nhc::runtime::SafetensorsFile *file;
  const nhc::runtime::SafetensorsTensor *tensor;
};

/// What a manifest weight binds to: a whole checkpoint tensor or a slice
/// along the first dimension of a stacked one.
struct BoundRef {
  TensorRef ref;
  uint64_t byteOffset = 0; // into ref.tensor->data
  uint64_t byteSize = 0;
  std::vector<uint64_t> shape;
};

struct BindNote {
  nhc_note_kind_t kind;
  std::string text;
};

} // namespace

struct nhc_weights_t {
  std::string source; // the path given to nhc_weights_open
  std::vector<std::unique_ptr<nhc::runtime::SafetensorsFile>> files;
  std::vector<TensorRef> sorted;                  // all tensors by name
  std::unordered_map<std::string, size_t> byName; // index into `sorted`
  bool isBound = false;
  std::vector<BoundRef> bound;  // manifest order
  std::vector<BindNote> notes; // of the last successful bind
  // Warnings from opening (an index that disagrees with its shards), given
  // again with every bind's notes.
  std::vector<std::string> openWarnings;
  // nhc_weights_synthetic: files[0] has no file; tensor i of it is generated
  // from synthetic[i] into memory[i] when its data is first wanted.
  std::vector<nhc::runtime::SyntheticTensor> synthetic;
  mutable std::vector<nhc::runtime::AlignedBuffer> memory;
  // F64 tensors of a checkpoint, read as F32 when it is opened
  // (narrowF64Tensors): their F32 data by tensor (a name two shards hold
  // is two tensors).
  std::unordered_map<const nhc::runtime::SafetensorsTensor *,
                     nhc::runtime::AlignedBuffer>
      narrowed;
  // Held by every call that reads or generates a synthetic tensor's data.
  std::unique_ptr<std::recursive_mutex> generating =
      std::make_unique<std::recursive_mutex>();
};

namespace nhc::runtime {
namespace {

/// Locks a synthetic handle's generation for the caller's scope (a
/// checkpoint's data never changes: no lock).
std::unique_lock<std::recursive_mutex> lockGeneration(const nhc_weights_t &w) {
  return w.synthetic.empty()
             ? std::unique_lock<std::recursive_mutex>()
             : std::unique_lock<std::recursive_mutex>(*w.generating);
}

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

/// Opens the shards a model.safetensors.index.json names. As transformers
/// 5.23 (utils/hub.py get_checkpoint_shard_files), the index only lists the
/// shard files (sorted(set(weight_map.values()))); every tensor of each is
/// read, in that order. An entry whose shard lacks its tensor (a stale
/// index) is a warning; a key repeated in weight_map is read as Python's
/// json reads it, the last value winning.
void openIndex(nhc_weights_t &weights, const std::string &indexPath) {
  std::string where = cat("safetensors index '", indexPath, "'");
  // Read, not mapped, and parsed at once; an index is a table of names
  // like a safetensors header, and bounded like one.
  std::unique_ptr<FileBytes> file =
      FileBytes::read(indexPath, "safetensors index",
                      kMaxSafetensorsHeaderBytes,
                      "nhc::kMaxSafetensorsHeaderBytes");
  Json index = parseJson(reinterpret_cast<const char *>(file->data()),
                         file->size(), where, RepeatedKeys::LastWins);
  file.reset();
  withJsonErrors(where, [&] {
    const Json &weightMap = requireField(index, "weight_map", where);
    requireObject(weightMap, where + ": weight_map");
    requireAtMost(weightMap.size(), kMaxWeights, "nhc::kMaxWeights",
                  where + ": weight_map: the number of tensors");

    std::map<std::string, const SafetensorsFile *> shards; // name order
    for (auto it = weightMap.begin(); it != weightMap.end(); ++it) {
      requireName(it.key(), where + ": weight_map: tensor name");
      // A NUL would cut the path that reaches open().
      shards.emplace(
          asName(it.value(), cat(where, ": weight_map['", it.key(), "']")),
          nullptr);
    }
    std::string dir = parentDir(indexPath);
    uint64_t openedTensors = 0;
    for (auto &[name, shard] : shards) {
      checkShardName(name, where);
      weights.files.push_back(openSafetensors(joinPath(dir, name)));
      shard = weights.files.back().get();
      // Bounded as the shards come in, not after all of them are read.
      openedTensors += shard->tensors.size();
      NHC_CHECK(openedTensors <= kMaxWeights, NHC_INVALID_FORMAT,
                cat(where, ": the shards read so far hold ", openedTensors,
                    " tensors, more than the limit ", kMaxWeights,
                    " (nhc::kMaxWeights)"));
    }
    size_t astray = 0;
    std::string first;
    for (auto it = weightMap.begin(); it != weightMap.end(); ++it) {
      const SafetensorsFile *shard = shards.at(it.value().get<std::string>());
      // Shard tensors are sorted by name (openSafetensors).
      if (std::binary_search(
              shard->tensors.begin(), shard->tensors.end(), it.key(),
              [](const auto &a, const auto &b) { return nameOf(a) < nameOf(b); }))
        continue;
      if (astray++ == 0)
        first = cat("'", it.key(), "' in '", shard->file->path(), "'");
    }
    if (astray > 0)
      weights.openWarnings.push_back(cat(
          where, ": weight_map places ", astray,
          " tensor(s) in shards that do not hold them (first: ", first,
          "); as transformers does, nhc reads the index only for its list "
          "of shards and takes every tensor they hold"));
  });
}

/// Whether two tensors hold the same dtype, shape and bytes.
bool sameStorage(const SafetensorsTensor &a, const SafetensorsTensor &b) {
  return a.dtype == b.dtype && a.storedDtype == b.storedDtype &&
         a.shape == b.shape && a.byteSize == b.byteSize &&
         (a.byteSize == 0 || std::memcmp(a.data, b.data, a.byteSize) == 0);
}

/// Builds the name index. A tensor in two shards binds from the later one
/// in name order, as transformers 5.23 merges the shards' state dicts
/// (modeling_utils._load_pretrained_model: dict.update per shard); a
/// warning says so where the two differ.
void indexTensors(nhc_weights_t &weights) {
  uint64_t total = 0;
  for (const auto &file : weights.files)
    total += file->tensors.size(); // each file has at most kMaxWeights
  NHC_CHECK(total <= kMaxWeights, NHC_INVALID_FORMAT,
            cat("weights: checkpoint '", weights.source, "' holds ", total,
                " tensors, more than the limit ", kMaxWeights,
                " (nhc::kMaxWeights)"));
  for (const auto &file : weights.files) {
    for (const SafetensorsTensor &tensor : file->tensors) {
      auto [it, inserted] =
          weights.byName.emplace(tensor.name, weights.sorted.size());
      if (!inserted) {
        TensorRef &earlier = weights.sorted[it->second];
        if (!sameStorage(*earlier.tensor, tensor))
          weights.openWarnings.push_back(
              cat("checkpoint '", weights.source, "' holds tensor '",
                  tensor.name, "' in both '", earlier.file->path(), "' and '",
                  file->path(), "' with different contents; using '",
                  file->path(), "' (the later shard, as transformers does)"));
        earlier = TensorRef{file.get(), &tensor};
        continue;
      }
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

/// F64 tensors (numpy's float, as conversion scripts write A_log, D or
/// dt_bias) become F32 tensors rounded to nearest, once, as transformers
/// casts them into the model's parameters: every reader then sees F32.
void narrowF64Tensors(nhc_weights_t &weights) {
  for (auto &file : weights.files)
    for (SafetensorsTensor &tensor : file->tensors) {
      if (tensor.dtype != NHC_DTYPE_F64)
        continue;
      const uint64_t count = tensor.byteSize / sizeof(double);
      AlignedBuffer data = tryAllocateAligned(count * sizeof(float));
      NHC_CHECK(data || count == 0, NHC_OUT_OF_MEMORY,
                cat("weights: cannot allocate ", count * sizeof(float),
                    " bytes to read F64 tensor '", tensor.name, "' of ",
                    file->path(), " as F32"));
      auto *out = reinterpret_cast<float *>(data.get());
      for (uint64_t i = 0; i < count; ++i) {
        double value;
        std::memcpy(&value, tensor.data + i * sizeof(double), sizeof(value));
        out[i] = narrowToF32(value);
      }
      tensor.dtype = NHC_DTYPE_F32;
      tensor.byteSize = count * sizeof(float);
      if (count > 0) // an empty tensor keeps its (non-null) place in the file
        tensor.data = data.get();
      weights.narrowed[&tensor] = std::move(data);
    }
}

std::unique_ptr<nhc_weights_t> openWeights(const std::string &path) {
  auto weights = std::make_unique<nhc_weights_t>();
  weights->source = path;
  if (isDirectory(path)) {
    std::string single = joinPath(path, kSingleFile);
    std::string index = joinPath(path, kIndexFile);
    // Whatever the name is, it is the checkpoint: a FIFO or directory of
    // that name is refused as one, not passed over.
    if (pathExists(single))
      weights->files.push_back(openSafetensors(single));
    else if (pathExists(index))
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
  // Narrowed first, so that an F64 and an F32 copy of one tensor in two
  // shards compare as the F32 values both load as.
  narrowF64Tensors(*weights);
  indexTensors(*weights);
  return weights;
}

std::string describe(nhc_dtype_t dtype, const std::vector<uint64_t> &shape) {
  return cat(nhc_dtype_name(dtype), " ", shapeToString(shape));
}

/// A tensor stored as `stored` can feed a computation reading `wanted`: the
/// same dtype, or any float dtype for a float computation (converted when a
/// session is created). FP8 and integer dtypes are consumed as-is.
bool canFeed(nhc_dtype_t stored, nhc_dtype_t wanted) {
  return stored == wanted ||
         (isConvertibleFloat(stored) && isConvertibleFloat(wanted));
}

/// The prefix of the model's body in NemotronHForCausalLM checkpoints, and
/// the one transformers 5 renames it to on load (conversion_mapping.py,
/// "nemotron_h": WeightRenaming("backbone.", "model.")), which is also the
/// class's base_model_prefix.
constexpr const char *kBodyPrefix = "backbone.";
constexpr const char *kInMemoryBodyPrefix = "model.";

/// The other checkpoint names transformers 5.23 loads into the parameter an
/// artifact name denotes (core_model_loading.rename_source_key): it renames
/// the first "backbone." to "model.", then adds the base model prefix to a
/// key that names a parameter only with it, or drops it from one that
/// names a parameter only without it. So a body weight "backbone.R" is also
/// read from "model.R" (a state dict saved from transformers 5's in-memory
/// model), "R" (one of the bare NemotronHModel, or from a tool that drops
/// the prefix) and "model.model.R", "backbone.model.R", "model.backbone.R"
/// (a module holding the model as `model`, as training wrappers do); a head
/// weight "lm_head.weight" also from "model.lm_head.weight" (that wrapper's)
/// and "backbone.lm_head.weight". Checked with transformers 5.23, as is
/// that it loads no other ("backbone.backbone.R" is refused).
std::vector<std::string> otherSpellings(const std::string &name) {
  const std::string body = kBodyPrefix, model = kInMemoryBodyPrefix;
  if (name.compare(0, body.size(), body) == 0) {
    std::string rest = name.substr(body.size());
    return {model + rest,         rest,
            model + model + rest, body + model + rest,
            model + body + rest};
  }
  return {model + name, body + name};
}

/// a < b for decimal digit strings (any length, leading zeros allowed).
bool numberLess(const std::string &a, const std::string &b) {
  size_t za = std::min(a.find_first_not_of('0'), a.size());
  size_t zb = std::min(b.find_first_not_of('0'), b.size());
  if (a.size() - za != b.size() - zb)
    return a.size() - za < b.size() - zb;
  return a.compare(za, std::string::npos, b, zb, std::string::npos) < 0;
}

/// One '.'-separated part of a name as transformers 5.23's dot_natural_key
/// sorts it: an all-digit part as (0, number), before any other, which
/// is (1, text less its trailing digits[, those digits as a number]).
struct NaturalPart {
  bool digits;
  std::string text, number;
  bool operator<(const NaturalPart &other) const {
    if (digits != other.digits)
      return digits;
    if (digits)
      return numberLess(number, other.number);
    if (text != other.text)
      return text < other.text;
    if (number.empty() || other.number.empty())
      return number.empty() && !other.number.empty();
    return numberLess(number, other.number);
  }
};

std::vector<NaturalPart> naturalParts(const std::string &name) {
  std::vector<NaturalPart> parts;
  size_t begin = 0;
  while (true) {
    size_t end = std::min(name.find('.', begin), name.size());
    std::string part = name.substr(begin, end - begin);
    size_t textEnd = part.find_last_not_of("0123456789") + 1; // npos + 1 = 0
    if (!part.empty() && textEnd == 0)
      parts.push_back({true, "", part});
    else
      parts.push_back({false, part.substr(0, textEnd), part.substr(textEnd)});
    if (end == name.size())
      return parts;
    begin = end + 1;
  }
}

/// The tensors present under `name` and its other spellings
/// (otherSpellings), in dot_natural_key order: the first is the one
/// transformers 5.23 loads (it walks a checkpoint's keys in that order and
/// keeps the first of several renamed to one parameter: checked for pairs
/// of spellings of a body weight, where "layers.0..." precedes
/// "model.layers.0..." but "model.norm_f..." precedes "norm_f...", and of
/// the head).
std::vector<const TensorRef *> presentSpellings(const nhc_weights_t &weights,
                                                const std::string &name) {
  std::vector<std::string> spellings = otherSpellings(name);
  spellings.insert(spellings.begin(), name);
  std::vector<std::pair<std::vector<NaturalPart>, const TensorRef *>> found;
  for (const std::string &spelling : spellings)
    if (auto it = weights.byName.find(spelling); it != weights.byName.end())
      found.emplace_back(naturalParts(spelling), &weights.sorted[it->second]);
  // Spellings differ in their prefix parts, so no two keys are equal.
  std::sort(found.begin(), found.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  std::vector<const TensorRef *> refs;
  for (const auto &entry : found)
    refs.push_back(entry.second);
  return refs;
}

/// The checkpoint tensor an artifact name binds to: the first of
/// presentSpellings, or null.
const TensorRef *lookup(const nhc_weights_t &weights, const std::string &name) {
  std::vector<const TensorRef *> present = presentSpellings(weights, name);
  return present.empty() ? nullptr : present.front();
}

/// "'a', 'b'": names quoted, comma-separated.
std::string quotedList(const std::vector<std::string> &names) {
  std::string list;
  for (const std::string &name : names)
    list += cat(list.empty() ? "" : ", ", "'", name, "'");
  return list;
}

BoundRef wholeTensor(const TensorRef &ref) {
  return BoundRef{ref, 0, ref.tensor->byteSize, ref.tensor->shape};
}

/// [alt.count, shape...]: the stacked tensor slice alternative `alt` of an
/// entry of `shape` reads.
std::vector<uint64_t> stackedShape(const TensorAlternative &alt,
                                   const std::vector<uint64_t> &shape) {
  std::vector<uint64_t> stacked = {alt.count};
  stacked.insert(stacked.end(), shape.begin(), shape.end());
  return stacked;
}

/// Slice alt.index of the stacked tensor `ref`, whose shape is
/// stackedShape(alt, shape). Its byte size was proven to be product(shape)
/// * dtype size when its header was read, so this cannot overflow.
BoundRef stackedSlice(const TensorRef &ref, const TensorAlternative &alt,
                      const std::vector<uint64_t> &shape) {
  uint64_t sliceBytes = ref.tensor->byteSize / alt.count;
  return BoundRef{ref, sliceBytes * alt.index, sliceBytes, shape};
}

/// `value` with the digits that tell it from its neighbours ("%.9g").
std::string exactFloat(float value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", double(value));
  return text;
}

/// Checks that `tensor` (found under `name`) can feed `spec` with `shape`.
nhc_status_t checkStorage(const TensorRef &ref, const TensorSpec &spec,
                          const std::vector<uint64_t> &shape,
                          const std::string &origin, std::string &message) {
  const SafetensorsTensor &tensor = *ref.tensor;
  const std::string &file = ref.file->path();
  std::string as = tensor.name == spec.name
                       ? std::string()
                       : cat(" (bound in place of '", spec.name, "')");
  if (!canFeed(tensor.dtype, spec.dtype)) {
    const char *why = " (stored exactly so)";
    if (isConvertibleFloat(spec.dtype))
      why = " (any of F32, BF16, F16, F64 binds and is converted)";
    else if (spec.dtype == NHC_DTYPE_F8_E4M3)
      why = tensor.dtype == NHC_DTYPE_F8_E5M2
                ? " (FP8 weights must be e4m3; e5m2 is not supported)"
                : " (an FP8 linear's weight is stored as e4m3, with its "
                  "weight_scale and input_scale)";
    if (tensor.dtype == NHC_DTYPE_INVALID)
      why = " (nhc reads no tensor of that dtype)";
    message = cat("weights: tensor '", tensor.name, "'", as, " has dtype ",
                  storedDtypeName(tensor), " in ", file,
                  ", but the artifact reads ", nhc_dtype_name(spec.dtype), why,
                  " (from ", origin, ")");
    return NHC_MISMATCH;
  }
  // A scalar binds a [] or a [1] tensor (writers spell it either way).
  bool scalar = shape.empty() && tensor.shape.size() == 1 && tensor.shape[0] == 1;
  if (tensor.shape != shape && !scalar) {
    message = cat("weights: tensor '", tensor.name, "'", as, " has shape ",
                  shapeToString(tensor.shape), " in ", file,
                  ", but the artifact expects ", shapeToString(shape),
                  shape.empty() ? " (a per-tensor scalar; per-channel and "
                                  "block scales are not supported)"
                                : "",
                  " (from ", origin, ")");
    return NHC_MISMATCH;
  }
  const uint64_t count = tensor.byteSize / nhc_dtype_size(tensor.dtype);
  const auto *data = static_cast<const uint8_t *>(tensor.data);
  if (spec.positive) {
    // A subnormal scale is no real model's (and loses precision). A linear
    // dequantizes with the product of its two scales: past sqrt(FLT_MAX) /
    // 448 each, e4m3's largest weight times its largest activation, both
    // dequantized, can overflow f32 (a scale of 1e30 on both turns the
    // logits into NaN). Real scales are near max|x| / 448, far below.
    const float largest = std::sqrt(std::numeric_limits<float>::max()) / kE4M3Max;
    for (uint64_t i = 0; i < count; ++i) {
      float value = floatElement(data, tensor.dtype, i);
      if (std::isnormal(value) && value > 0.0f && value <= largest)
        continue;
      message = cat("weights: tensor '", tensor.name, "'", as, " in ", file,
                    " is ", exactFloat(value), " at element ", i,
                    "; an FP8 scale must be positive, normal and at most ",
                    exactFloat(largest),
                    " (sqrt(FLT_MAX) / 448: the product of two such scales "
                    "and two e4m3 values stays finite in f32) (from ",
                    origin, ")");
      return NHC_INVALID_FORMAT;
    }
  } else if ((spec.finite ||
              (spec.shape.size() <= 1 && tensor.shape.size() <= 1)) &&
             isConvertibleFloat(spec.dtype) &&
             data) { // null: synthetic, finite by construction, not made yet
    // Vectors (norm weights, biases, A_log, D, dt_bias, the router's
    // correction bias) are small and act on every token: a NaN or infinity
    // in one can change the output without making it NaN (a NaN correction
    // bias reorders the routing), so it is refused here.
    for (uint64_t i = 0; i < count; ++i) {
      float value = floatElement(data, tensor.dtype, i);
      if (std::isfinite(value))
        continue;
      message = cat("weights: tensor '", tensor.name, "'", as, " in ", file,
                    " is ", value, " at element ", i,
                    spec.finite ? "; the MoE router's weight must be finite "
                                  "(a NaN there reorders the routing)"
                                : "; a vector weight must be finite",
                    " (from ", origin, ")");
      return NHC_INVALID_FORMAT;
    }
  }
  return NHC_OK;
}

/// For a name whose tensors transformers 5.23 stacks into one parameter
/// instead of loading each (conversion_mapping.py, "nemotron_h":
/// MergeModulelist over "mixer.experts.*.up_proj.weight" and
/// "mixer.experts.*.down_proj.weight": a routed expert's matrix), the place
/// of its expert number, [begin, end) of the digits; nullopt for any other.
std::optional<std::pair<size_t, size_t>> expertDigits(const std::string &name) {
  const std::string experts = ".mixer.experts.";
  size_t at = name.find(experts);
  if (at == std::string::npos)
    return std::nullopt;
  size_t digits = at + experts.size();
  size_t end = name.find_first_not_of("0123456789", digits);
  if (end == digits || end == std::string::npos)
    return std::nullopt;
  std::string rest = name.substr(end);
  if (rest != ".up_proj.weight" && rest != ".down_proj.weight")
    return std::nullopt;
  return std::make_pair(digits, end);
}

/// The body weight ("backbone.R") a checkpoint name spells: the inverse of
/// otherSpellings for body weights.
std::string bodyName(const std::string &name) {
  for (const char *prefix : {"backbone.model.", "model.backbone.",
                             "model.model.", "backbone.", "model."})
    if (name.rfind(prefix, 0) == 0)
      return kBodyPrefix + name.substr(std::strlen(prefix));
  return kBodyPrefix + name;
}

/// transformers stacks every expert tensor of a layer it finds, so a
/// checkpoint with more experts than the config refuses to load there (a
/// [E + 1, ...] stack); here the extra ones would go unread, the config
/// silently cutting the experts short. Refused, naming the first.
void checkNoExpertBeyondTheConfig(const nhc_weights_t &weights,
                                  const nhc_manifest_t &manifest) {
  // "backbone.layers.L.mixer.experts.*.up_proj.weight" -> experts bound.
  std::unordered_map<std::string, uint64_t> experts;
  auto wildcard = [](const std::string &name,
                     const std::pair<size_t, size_t> &digits) {
    return name.substr(0, digits.first) + "*" + name.substr(digits.second);
  };
  for (const TensorSpec &spec : manifest.weights)
    if (auto digits = expertDigits(spec.name))
      ++experts[wildcard(spec.name, *digits)];
  if (experts.empty())
    return;
  for (const TensorRef &ref : weights.sorted) {
    const std::string name = bodyName(ref.tensor->name);
    auto digits = expertDigits(name);
    if (!digits)
      continue;
    auto layer = experts.find(wildcard(name, *digits));
    const std::string number =
        name.substr(digits->first, digits->second - digits->first);
    if (layer == experts.end() ||
        numberLess(number, std::to_string(layer->second)))
      continue;
    throw Error(NHC_MISMATCH,
                cat("weights: checkpoint '", weights.source, "' holds '",
                    ref.tensor->name, "', expert ", number, " of a layer the "
                    "artifact gives ", layer->second,
                    " routed experts (n_routed_experts): the config and the "
                    "checkpoint disagree (transformers 5.23 refuses it too: "
                    "its stack of the layer's experts comes out longer than "
                    "the config's)"));
  }
}

/// Checks one manifest entry: its own name first, then its alternatives in
/// order. Returns NHC_OK or the problem in `message`.
nhc_status_t checkTensor(const nhc_weights_t &weights, const TensorSpec &spec,
                         const std::string &origin, BoundRef &bound,
                         std::string &message) {
  // transformers renames every spelling of a routed expert's matrix to one
  // name and stacks them all, so two spellings make one expert too many,
  // which it refuses: no first spelling wins there.
  std::vector<const TensorRef *> present = presentSpellings(weights, spec.name);
  if (present.size() > 1 && expertDigits(spec.name)) {
    message = cat("weights: checkpoint '", weights.source,
                  "' holds the expert weight '", spec.name, "' as both '",
                  present[0]->tensor->name, "' and '", present[1]->tensor->name,
                  "': transformers 5.23 stacks every spelling of a layer's "
                  "expert matrices into one tensor and refuses the extra ones; "
                  "keep one spelling (from ", origin, ")");
    return NHC_INVALID_FORMAT;
  }
  if (!present.empty()) {
    const TensorRef *ref = present.front(); // lookup's pick
    nhc_status_t status =
        checkStorage(*ref, spec, spec.shape, origin, message);
    if (status == NHC_OK)
      bound = wholeTensor(*ref);
    return status;
  }
  std::string tried;
  for (const TensorAlternative &alt : spec.alternatives) {
    tried += cat(tried.empty() ? "" : ", ", "'", alt.name, "'",
                 alt.slice ? cat(" [", alt.index, "]") : std::string());
    const TensorRef *ref = lookup(weights, alt.name);
    if (!ref)
      continue;
    if (!alt.slice) {
      nhc_status_t status =
          checkStorage(*ref, spec, spec.shape, origin, message);
      if (status == NHC_OK)
        bound = wholeTensor(*ref);
      return status;
    }
    nhc_status_t status = checkStorage(
        *ref, spec, stackedShape(alt, spec.shape), origin, message);
    if (status != NHC_OK)
      return status;
    bound = stackedSlice(*ref, alt, spec.shape);
    return NHC_OK;
  }
  message = cat("weights: tensor '", spec.name, "' (",
                describe(spec.dtype, spec.shape),
                ") required by the artifact is missing from checkpoint '",
                weights.source, "' (also as ",
                quotedList(otherSpellings(spec.name)), ")",
                tried.empty() ? std::string()
                              : cat(", and so are its alternatives ", tried),
                " (from ", origin, ")");
  return NHC_NOT_FOUND;
}

/// Where an FP8 artifact meets a checkpoint with no FP8 tensor at all, the
/// cause in words: the config it was compiled from said FP8 (config.json's
/// quantization_config or an hf_quant_config.json beside it, which
/// transformers does not read: a stale one makes nhc compile FP8), so every
/// e4m3 weight and scale is missing. "" otherwise.
std::string unquantizedCheckpointHint(const nhc_weights_t &weights,
                                      const nhc_manifest_t &manifest) {
  bool artifactFp8 = std::any_of(
      manifest.weights.begin(), manifest.weights.end(),
      [](const TensorSpec &spec) { return spec.dtype == NHC_DTYPE_F8_E4M3; });
  bool checkpointFp8 = std::any_of(
      weights.sorted.begin(), weights.sorted.end(), [](const TensorRef &ref) {
        return ref.tensor->dtype == NHC_DTYPE_F8_E4M3;
      });
  if (!artifactFp8 || checkpointFp8)
    return {};
  return cat(". The artifact was compiled as a modelopt FP8 model (its config "
             "said quant_algo FP8: config.json's quantization_config or an "
             "hf_quant_config.json beside it) but checkpoint '",
             weights.source,
             "' holds no F8_E4M3 tensor: compile the artifact from this "
             "checkpoint's config without FP8 quantization (a stale "
             "hf_quant_config.json?)");
}

/// Every manifest tensor, in manifest order; throws describing the first
/// problem and counting the rest.
std::vector<BoundRef> resolveBinding(const nhc_weights_t &weights,
                                     const nhc_manifest_t &manifest) {
  // Binding and sessions read tensor data next (comparisons, conversion,
  // kernels): refuse a checkpoint that was truncated since it was opened
  // rather than die of SIGBUS on a page past its new end.
  for (const auto &file : weights.files)
    if (file->file)
      file->file->checkUnchanged();
  checkNoExpertBeyondTheConfig(weights, manifest);
  std::vector<BoundRef> bound(manifest.weights.size());
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
  if (problems > 0)
    firstMessage += unquantizedCheckpointHint(weights, manifest);
  NHC_CHECK(problems == 0, firstStatus, firstMessage);
  return bound;
}

/// Element i of a bound float tensor (or slice) as f32, for comparisons.
float floatAt(const BoundRef &ref, uint64_t i) {
  return floatElement(static_cast<const uint8_t *>(ref.ref.tensor->data) +
                          ref.byteOffset,
                      ref.ref.tensor->dtype, i);
}

/// The same values (after conversion to f32 when the dtypes differ).
bool sameValues(const BoundRef &a, const BoundRef &b) {
  nhc_dtype_t da = a.ref.tensor->dtype, db = b.ref.tensor->dtype;
  if (a.shape != b.shape)
    return false;
  const uint8_t *pa = static_cast<const uint8_t *>(a.ref.tensor->data) + a.byteOffset;
  const uint8_t *pb = static_cast<const uint8_t *>(b.ref.tensor->data) + b.byteOffset;
  if (da == db)
    return a.byteSize == b.byteSize &&
           (a.byteSize == 0 || std::memcmp(pa, pb, a.byteSize) == 0);
  if (!isConvertibleFloat(da) || !isConvertibleFloat(db))
    return false;
  uint64_t elems = a.byteSize / nhc_dtype_size(da);
  for (uint64_t i = 0; i < elems; ++i)
    if (floatAt(a, i) != floatAt(b, i))
      return false;
  return true;
}

/// The index of `tensor` in a synthetic handle's file, or SIZE_MAX.
size_t syntheticIndex(const nhc_weights_t &weights,
                      const SafetensorsTensor &tensor) {
  if (weights.synthetic.empty())
    return SIZE_MAX;
  const std::vector<SafetensorsTensor> &all = weights.files[0]->tensors;
  if (&tensor < all.data() || &tensor >= all.data() + all.size())
    return SIZE_MAX;
  return static_cast<size_t>(&tensor - all.data());
}

/// Generates tensor `index` of a synthetic handle (once; thread-safe).
void generate(const nhc_weights_t &weights, size_t index) {
  std::lock_guard<std::recursive_mutex> lock(*weights.generating);
  SafetensorsTensor &tensor = weights.files[0]->tensors[index];
  if (tensor.data || tensor.byteSize == 0)
    return;
  AlignedBuffer memory = tryAllocateAligned(tensor.byteSize);
  NHC_CHECK(memory, NHC_OUT_OF_MEMORY,
            cat("weights: cannot allocate ", tensor.byteSize,
                " bytes for synthetic tensor '", tensor.name, "'"));
  const SyntheticTensor &spec = weights.synthetic[index];
  const size_t size = nhc_dtype_size(spec.dtype);
  uint8_t *out = memory.get();
  parallelFor(spec.elems, 1 << 16, [&](size_t begin, size_t end) {
    fillSynthetic(spec, begin, end - begin, out + begin * size);
  });
  tensor.data = out;
  weights.memory[index] = std::move(memory);
}

/// Warnings (a weight present under its own name and as an alternative, or
/// under both body prefixes, that holds other values: a tied lm_head.weight
/// that is not the embeddings, per-expert and stacked experts that disagree;
/// a config.json beside the checkpoint that differs from the artifact's
/// config) and, as information, the
/// checkpoint tensors the artifact does not use.
std::vector<BindNote> bindNotes(const nhc_weights_t &weights,
                                const nhc_manifest_t &manifest,
                                const std::vector<BoundRef> &bound) {
  std::vector<BindNote> notes;
  std::unordered_map<std::string, bool> used;
  for (const BoundRef &ref : bound)
    used[ref.ref.tensor->name] = true;
  for (const TensorSpec &spec : manifest.weights) {
    // Every tensor the entry may bind: its own name's spellings, then each
    // alternative's (presentSpellings order). The first is bound
    // (checkTensor); every other one present is compared with it. Each
    // quoted, a stacked one with its expert: 'name' [e].
    std::optional<BoundRef> chosen;
    std::string chosenName;
    bool chosenOwn = false; // the entry's own name bound: transformers' pick
    auto compare = [&](const TensorRef *ref, const TensorAlternative *alt) {
      const bool slice = alt && alt->slice;
      if (slice && ref->tensor->shape != stackedShape(*alt, spec.shape))
        return;
      const BoundRef view =
          slice ? stackedSlice(*ref, *alt, spec.shape) : wholeTensor(*ref);
      const std::string name =
          cat("'", ref->tensor->name, "'",
              slice ? cat(" [", alt->index, "]") : std::string());
      if (!chosen) {
        chosen = view;
        chosenName = name;
        chosenOwn = !alt;
        return;
      }
      for (const TensorRef *r : {static_cast<const TensorRef *>(&chosen->ref), ref}) // synthetic: now
        if (size_t k = syntheticIndex(weights, *r->tensor); k != SIZE_MAX)
          generate(weights, k);
      if (!sameValues(*chosen, view))
        notes.push_back(
            {NHC_NOTE_WARNING,
             cat("checkpoint '", weights.source, "' holds both ", chosenName,
                 " and ", name, " with different values; using ", chosenName,
                 chosenOwn && !slice ? " (as transformers does)"
                                     : std::string())});
    };
    for (const TensorRef *ref : presentSpellings(weights, spec.name))
      compare(ref, nullptr);
    // A whole-tensor alternative is an entry of its own, whose spellings
    // that entry compares: here only the one bound.
    for (const TensorAlternative &alt : spec.alternatives) {
      std::vector<const TensorRef *> present =
          presentSpellings(weights, alt.name);
      if (!alt.slice && present.size() > 1)
        present.resize(1);
      for (const TensorRef *ref : present)
        compare(ref, &alt);
    }
  }
  std::string unused;
  size_t count = 0;
  for (const TensorRef &ref : weights.sorted) {
    if (used.count(ref.tensor->name))
      continue;
    if (count++ < 16)
      unused += cat(count > 1 ? ", " : "", "'", ref.tensor->name, "'");
  }
  if (weights.synthetic.empty()) {
    ConfigComparison config = compareCheckpointConfig(
        joinPath(isDirectory(weights.source) ? weights.source
                                             : parentDir(weights.source),
                 "config.json"),
        manifest.configRead, manifest.configDefaults, manifest.origin);
    if (!config.differences.empty())
      notes.push_back({NHC_NOTE_WARNING, config.differences});
    if (!config.notCompared.empty())
      notes.push_back({NHC_NOTE_INFO, config.notCompared});
  }
  if (count > 0)
    notes.push_back({NHC_NOTE_INFO,
                     cat(count, " checkpoint tensor(s) of '", weights.source,
                         "' are not used by the artifact and were ignored: ",
                         unused, count > 16 ? ", ..." : "")});
  // The bound tensors stored as F64, each once however many weights bind
  // it (a tied head, the slices of stacked experts), as `unused` lists.
  std::string narrowed;
  size_t narrowedCount = 0;
  for (const TensorRef &ref : weights.sorted) {
    const std::string &name = ref.tensor->name;
    if (used.count(name) && weights.narrowed.count(ref.tensor) &&
        narrowedCount++ < 16)
      narrowed += cat(narrowedCount > 1 ? ", " : "", "'", name, "'");
  }
  if (narrowedCount > 0)
    notes.push_back({NHC_NOTE_INFO,
                     cat(narrowedCount, " tensor(s) stored as F64 in '",
                         weights.source,
                         "' are read rounded to F32, as transformers casts "
                         "them: ",
                         narrowed, narrowedCount > 16 ? ", ..." : "")});
  return notes;
}

/// All-or-nothing: the handle only changes when every tensor matches.
void bindWeights(nhc_weights_t &weights, const nhc_manifest_t &manifest) {
  auto lock = lockGeneration(weights);
  std::vector<BoundRef> bound = resolveBinding(weights, manifest);
  std::vector<BindNote> notes;
  for (const std::string &warning : weights.openWarnings)
    notes.push_back({NHC_NOTE_WARNING, warning});
  for (BindNote &note : bindNotes(weights, manifest, bound))
    notes.push_back(std::move(note));
  weights.bound = std::move(bound);
  weights.notes = std::move(notes);
  weights.isBound = true;
}

nhc_tensor_info_t toInfo(const BoundRef &bound) {
  nhc_tensor_info_t info{};
  const SafetensorsTensor &tensor = *bound.ref.tensor;
  info.desc.name = tensor.name.c_str();
  info.desc.dtype = tensor.dtype;
  info.desc.rank = static_cast<uint32_t>(bound.shape.size());
  for (size_t i = 0; i < bound.shape.size(); ++i)
    info.desc.shape[i] = bound.shape[i];
  // Null until a synthetic tensor is generated.
  info.data = tensor.data ? static_cast<const uint8_t *>(tensor.data) +
                                bound.byteOffset
                          : nullptr;
  info.byte_size = bound.byteSize;
  info.file = bound.ref.file->path().c_str();
  return info;
}

nhc_tensor_info_t toInfo(const TensorRef &ref) { return toInfo(wholeTensor(ref)); }

} // namespace

std::vector<nhc_tensor_info_t> boundTensors(const nhc_weights_t &weights,
                                            const nhc_manifest_t &manifest) {
  auto lock = lockGeneration(weights);
  std::vector<nhc_tensor_info_t> infos;
  for (const BoundRef &ref : resolveBinding(weights, manifest))
    infos.push_back(toInfo(ref));
  return infos;
}

namespace {

/// `bound`'s info with its data, generated first for a synthetic tensor.
nhc_tensor_info_t withData(const nhc_weights_t &weights,
                           const BoundRef &bound) {
  size_t index = syntheticIndex(weights, *bound.ref.tensor);
  if (index != SIZE_MAX)
    generate(weights, index);
  return toInfo(bound);
}

const TensorRef *syntheticRef(const nhc_weights_t &weights, const char *name) {
  if (weights.synthetic.empty() || !name)
    return nullptr;
  auto it = weights.byName.find(name);
  return it == weights.byName.end() ? nullptr : &weights.sorted[it->second];
}

} // namespace

const SyntheticTensor *syntheticSpec(const nhc_weights_t &weights,
                                     const nhc_tensor_info_t &info) {
  const TensorRef *ref = syntheticRef(weights, info.desc.name);
  if (!ref)
    return nullptr;
  return &weights.synthetic[syntheticIndex(weights, *ref->tensor)];
}

const void *generatedData(const nhc_weights_t &weights,
                          const nhc_tensor_info_t &info) {
  const TensorRef *ref = syntheticRef(weights, info.desc.name);
  if (!ref)
    return info.data;
  auto lock = lockGeneration(weights);
  generate(weights, syntheticIndex(weights, *ref->tensor));
  // A slice of a stacked tensor never occurs here: every manifest weight is
  // a tensor of its own.
  return ref->tensor->data;
}

std::unique_ptr<nhc_weights_t> syntheticWeights(const nhc_manifest_t &manifest,
                                                uint64_t seed,
                                                nhc_dtype_t storage) {
  NHC_CHECK(storage == NHC_DTYPE_INVALID || isConvertibleFloat(storage),
            NHC_INVALID_ARGUMENT,
            cat("nhc_weights_synthetic: storage dtype ",
                nhc_dtype_name(storage),
                " is not F32, BF16 or F16 (or NHC_DTYPE_INVALID: as the "
                "manifest says)"));
  auto weights = std::make_unique<nhc_weights_t>();
  weights->source = cat("synthetic weights (seed ", seed, ")");
  auto file = std::make_unique<SafetensorsFile>();
  file->label = weights->source;
  std::unordered_map<std::string, bool> named;
  for (const TensorSpec &spec : manifest.weights)
    named[spec.name] = true;
  std::vector<bool> positive;
  for (size_t i = 0; i < manifest.weights.size(); ++i) {
    const TensorSpec &spec = manifest.weights[i];
    // A weight that may be another weight of the manifest (a tied lm_head
    // reads the embeddings) is left out: it binds to that one, as in a
    // tied checkpoint.
    bool tied = false;
    for (const TensorAlternative &alt : spec.alternatives)
      tied |= !alt.slice && named.count(alt.name) && alt.name != spec.name;
    if (tied)
      continue;
    SyntheticTensor synthetic;
    synthetic.rule = syntheticRule(spec.name);
    bool scale = synthetic.rule == SyntheticRule::WeightScale ||
                 synthetic.rule == SyntheticRule::InputScale;
    if (spec.positive && !scale)
      synthetic.rule = SyntheticRule::One;
    synthetic.key = syntheticKey(seed, i);
    synthetic.dtype = spec.dtype;
    if (isConvertibleFloat(spec.dtype) && !scale &&
        storage != NHC_DTYPE_INVALID)
      synthetic.dtype = storage;
    NHC_CHECK(isConvertibleFloat(synthetic.dtype) ||
                  synthetic.dtype == NHC_DTYPE_F8_E4M3,
              NHC_UNSUPPORTED,
              cat("nhc_weights_synthetic: weight '", spec.name, "' is ",
                  nhc_dtype_name(spec.dtype),
                  "; synthetic weights are F32, BF16, F16 or F8_E4M3"));
    std::vector<uint64_t> factors = spec.shape;
    factors.push_back(4); // a device may hold it as f32
    std::optional<uint64_t> bytes = checkedProductOf(factors);
    NHC_CHECK(bytes.has_value(), NHC_INVALID_ARGUMENT,
              cat("nhc_weights_synthetic: weight '", spec.name, "' of ",
                  manifest.origin, " has more elements than 64 bits count"));
    synthetic.elems = *bytes / 4;
    SafetensorsTensor tensor;
    tensor.name = spec.name;
    tensor.dtype = synthetic.dtype;
    tensor.shape = spec.shape;
    tensor.byteSize = synthetic.elems * nhc_dtype_size(synthetic.dtype);
    file->tensors.push_back(std::move(tensor));
    weights->synthetic.push_back(synthetic);
    positive.push_back(spec.positive);
  }
  weights->memory.resize(weights->synthetic.size());
  weights->files.push_back(std::move(file));
  indexTensors(*weights);
  // Scales are checked when bound (positive, normal, bounded): generated now.
  for (size_t i = 0; i < positive.size(); ++i)
    if (positive[i])
      generate(*weights, i);
  return weights;
}

std::vector<std::pair<nhc_tensor_desc_t, SyntheticTensor>>
syntheticTensors(const nhc_weights_t &weights) {
  std::vector<std::pair<nhc_tensor_desc_t, SyntheticTensor>> out;
  if (weights.synthetic.empty())
    return out;
  for (const TensorRef &ref : weights.sorted)
    out.emplace_back(toInfo(ref).desc,
                     weights.synthetic[syntheticIndex(weights, *ref.tensor)]);
  return out;
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

nhc_status_t nhc_weights_synthetic(const nhc_manifest_t *manifest,
                                   uint64_t seed, nhc_dtype_t storage,
                                   nhc_weights_t **out_weights) {
  return guard("nhc_weights_synthetic", [&] {
    NHC_CHECK_ARG(manifest, "nhc_weights_synthetic");
    NHC_CHECK_ARG(out_weights, "nhc_weights_synthetic");
    *out_weights = syntheticWeights(*manifest, seed, storage).release();
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
    auto lock = lockGeneration(*weights);
    *out_info = withData(*weights, wholeTensor(weights->sorted[index]));
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
    auto lock = lockGeneration(*weights);
    *out_info = withData(*weights, wholeTensor(weights->sorted[it->second]));
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

size_t nhc_weights_note_count(const nhc_weights_t *weights) {
  return weights && weights->isBound ? weights->notes.size() : 0;
}

const char *nhc_weights_note_at(const nhc_weights_t *weights, size_t index,
                                nhc_note_kind_t *out_kind) {
  if (!weights || !weights->isBound || index >= weights->notes.size())
    return nullptr;
  if (out_kind)
    *out_kind = weights->notes[index].kind;
  return weights->notes[index].text.c_str();
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
    const BoundRef &bound = weights->bound[manifest_index];
    auto lock = lockGeneration(*weights);
    *out_info = withData(*weights, bound);
  });
}

} // extern "C"

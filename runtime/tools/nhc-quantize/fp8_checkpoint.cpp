//===- fp8_checkpoint.cpp - Write a modelopt FP8 checkpoint ---------------===//

#include "fp8_checkpoint.h"

#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "../common/safetensors_writer.h"
#include "../nhc-run/output_file.h"

namespace nhc::quantize {
namespace fs = std::filesystem;
namespace {

constexpr float kE4M3Max = 448.0f;
constexpr size_t kChunk = 1 << 20; // elements converted at a time

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// NVIDIA's exclude list of the published Nemotron-H FP8 checkpoints, plus
/// the MoE parts this recipe keeps in the base dtype.
const char *const kExcludePatterns[] = {
    "lm_head",          "*.mixer.q_proj",  "*.mixer.k_proj",
    "*.mixer.v_proj",   "*.mixer.o_proj",  "*.mixer.conv1d",
    "*.mixer.gate",     "*.mixer.experts.*", "*.mixer.shared_experts.*"};

std::string readFile(const fs::path &path) {
  std::vector<uint8_t> bytes;
  std::string error;
  if (!run::readFile(path.string(), bytes, error))
    throw std::runtime_error(error);
  return std::string(bytes.begin(), bytes.end());
}

void writeFile(const fs::path &path, const std::string &text) {
  std::string error;
  if (!run::writeFileAtomically(
          path.string(), std::vector<uint8_t>(text.begin(), text.end()), error))
    throw std::runtime_error(error);
}

nhc_tensor_info_t boundTensor(const nhc_weights_t *weights, size_t index) {
  nhc_tensor_info_t info{};
  if (nhc_weights_bound_at(weights, index, &info) != NHC_OK)
    throw std::runtime_error(nhc_last_error());
  return info;
}

uint64_t elementsOf(const nhc_tensor_info_t &info) {
  return info.byte_size / nhc_dtype_size(info.desc.dtype);
}

/// Calls `chunk(values, first, count)` over the tensor widened to f32.
template <typename F>
void forEachChunk(const nhc_tensor_info_t &info, std::vector<float> &buffer,
                  F &&chunk) {
  const uint64_t elems = elementsOf(info);
  const size_t size = nhc_dtype_size(info.desc.dtype);
  for (uint64_t first = 0; first < elems; first += kChunk) {
    size_t count = static_cast<size_t>(std::min<uint64_t>(kChunk, elems - first));
    buffer.resize(count);
    if (nhc_dtype_widen(info.desc.dtype,
                        static_cast<const uint8_t *>(info.data) + first * size,
                        count, buffer.data()) != NHC_OK)
      throw std::runtime_error(std::string("tensor '") + info.desc.name +
                               "': " + nhc_last_error());
    chunk(buffer.data(), first, count);
  }
}

/// Where `info` (a bound tensor, or one expert's slice of a stacked one)
/// starts in its checkpoint tensor, in elements.
uint64_t elementOffset(const nhc_weights_t *weights,
                       const nhc_tensor_info_t &info) {
  nhc_tensor_info_t whole{};
  if (nhc_weights_find(weights, info.desc.name, &whole) != NHC_OK)
    return 0;
  return uint64_t(static_cast<const uint8_t *>(info.data) -
                  static_cast<const uint8_t *>(whole.data)) /
         nhc_dtype_size(info.desc.dtype);
}

/// "tensor 'NAME' in FILE holds NaN at element I" for the tensor's first
/// non-finite element (I counted in the checkpoint's tensor), else empty;
/// `absmax` gets max |W| of the finite ones.
std::string nonFiniteElement(const nhc_weights_t *weights,
                             const nhc_tensor_info_t &info,
                             std::vector<float> &buffer, float &absmax) {
  absmax = 0.0f;
  std::string found;
  forEachChunk(info, buffer, [&](const float *v, uint64_t first, size_t n) {
    for (size_t i = 0; i < n && found.empty(); ++i) {
      if (!std::isfinite(v[i]))
        found = std::string("tensor '") + info.desc.name + "' in " +
                info.file + " holds " +
                (std::isnan(v[i]) ? "NaN" : "an infinity") + " at element " +
                std::to_string(elementOffset(weights, info) + first + i);
      absmax = std::max(absmax, std::fabs(v[i]));
    }
  });
  return found;
}

/// max |W|; refuses NaN and infinities, which no scale can represent.
float weightAbsmax(const nhc_weights_t *weights, const nhc_tensor_info_t &info,
                   std::vector<float> &buffer) {
  float absmax = 0.0f;
  std::string nonFinite = nonFiniteElement(weights, info, buffer, absmax);
  if (!nonFinite.empty())
    throw std::runtime_error(nonFinite + "; it cannot be quantized");
  return absmax;
}

nlohmann::ordered_json producer() {
  return {{"name", "nhc"}, {"version", "nhc quantize --fp8"}};
}

/// config.json with quantization_config added, keeping the rest of the
/// text as it was (HF configs may hold tokens such as Infinity that a
/// strict JSON round trip would not preserve).
std::string quantizedConfig(const std::string &text, const fs::path &path,
                            const std::vector<std::string> &exclude) {
  size_t close = text.find_last_of('}');
  if (close == std::string::npos)
    throw std::runtime_error("'" + path.string() + "' is not a JSON object");
  nlohmann::ordered_json quant = {
      {"quant_method", "modelopt"},
      {"quant_algo", "FP8"},
      {"kv_cache_quant_algo", nullptr},
      {"exclude_modules", exclude},
      {"ignore", exclude},
      {"config_groups",
       {{"group_0",
         {{"input_activations",
           {{"dynamic", false}, {"num_bits", 8}, {"type", "float"}}},
          {"weights", {{"dynamic", false}, {"num_bits", 8}, {"type", "float"}}},
          {"targets", {"Linear"}}}}}},
      {"producer", producer()}};
  size_t last = text.find_last_not_of(" \t\r\n", close - 1);
  bool empty = last == std::string::npos || text[last] == '{';
  return text.substr(0, close) + (empty ? "" : ",") +
         "\n  \"quantization_config\": " + quant.dump(2) + "\n" +
         text.substr(close);
}

} // namespace

std::string moduleOf(const std::string &weight) {
  return endsWith(weight, ".weight") ? weight.substr(0, weight.size() - 7)
                                     : weight;
}

bool quantizesModule(const std::string &module) {
  for (const char *suffix :
       {".mixer.in_proj", ".mixer.out_proj", ".mixer.up_proj",
        ".mixer.down_proj", ".mixer.shared_experts.up_proj",
        ".mixer.shared_experts.down_proj"})
    if (endsWith(module, suffix))
      return true;
  // A routed expert's own projection: "...mixer.experts.<e>.up_proj".
  const size_t experts = module.rfind(".mixer.experts.");
  if (experts == std::string::npos)
    return false;
  const size_t digits = experts + std::strlen(".mixer.experts.");
  const size_t dot = module.find('.', digits);
  if (dot == std::string::npos || dot == digits ||
      module.find_first_not_of("0123456789", digits) != dot)
    return false;
  const std::string projection = module.substr(dot);
  return projection == ".up_proj" || projection == ".down_proj";
}

std::vector<std::string>
excludeModules(const std::vector<std::string> &unquantized, bool hasMamba) {
  // The patterns that name a module of this model (an entry matching
  // nothing draws a warning from every loader), then the modules none of
  // them covers.
  std::vector<std::string> exclude = {"lm_head"}, uncovered;
  std::set<std::string> used;
  // conv1d is no linear layer (no gemm), but NVIDIA lists it for every
  // model with Mamba layers.
  if (hasMamba)
    used.insert("*.mixer.conv1d");
  for (const std::string &module : unquantized) {
    bool covered = false;
    for (const char *pattern : kExcludePatterns)
      if (fnmatch(pattern, module.c_str(), 0) == 0) {
        covered = true;
        used.insert(pattern);
      }
    if (!covered)
      uncovered.push_back(module);
  }
  for (const char *pattern : kExcludePatterns)
    if (used.count(pattern))
      exclude.push_back(pattern);
  exclude.insert(exclude.end(), uncovered.begin(), uncovered.end());
  return exclude;
}

std::string stackedTensorOf(const nhc_weights_t *weights,
                            const nhc_manifest_t *manifest, size_t index) {
  nhc_tensor_desc_t desc{};
  nhc_tensor_info_t part{}, whole{};
  nhc_manifest_weight_at(manifest, index, &desc);
  if (nhc_weights_bound_at(weights, index, &part) != NHC_OK ||
      nhc_weights_find(weights, part.desc.name, &whole) != NHC_OK)
    return {};
  const bool stacked = std::string(part.desc.name) != desc.name &&
                       whole.desc.rank == desc.rank + 1;
  return stacked ? part.desc.name : std::string();
}

namespace {

/// [begin, end) of the expert number in "...experts.<e>.rest" (the last
/// ".experts."), or nullopt.
std::optional<std::pair<size_t, size_t>>
expertNumberSpan(const std::string &name) {
  const std::string marker = ".experts.";
  size_t at = name.rfind(marker);
  if (at == std::string::npos)
    return std::nullopt;
  size_t end = name.find('.', at + marker.size());
  if (end == std::string::npos)
    return std::nullopt;
  return std::make_pair(at + marker.size(), end);
}

/// Expert `<e>`'s tensor of a stacked one, spelled as the stacked tensor is
/// (its prefix: "model." or "backbone."): "P.experts.up_proj[.weight]" and
/// manifest weight "backbone.layers.1.mixer.experts.3.up_proj.weight" give
/// "P.experts.3.up_proj.weight". The manifest's name where either is not
/// of that form.
std::string perExpertName(const std::string &stacked,
                          const std::string &manifestName) {
  auto number = expertNumberSpan(manifestName);
  std::string base = moduleOf(stacked);
  size_t dot = base.rfind('.');
  if (!number || dot == std::string::npos ||
      !endsWith(base.substr(0, dot), ".experts"))
    return manifestName;
  return base.substr(0, dot) + "." +
         manifestName.substr(number->first, number->second - number->first) +
         base.substr(dot) + ".weight";
}

/// The checkpoint tensor bound for expert `expert` of the layer and
/// projection of manifest weight `sibling` (".experts.<e>." in its name),
/// or "" where the manifest has no such weight.
std::string boundExpertTensor(const nhc_weights_t *weights,
                              const nhc_manifest_t *manifest,
                              const std::string &sibling, uint64_t expert) {
  auto number = expertNumberSpan(sibling);
  if (!number)
    return {};
  const std::string wanted = sibling.substr(0, number->first) +
                             std::to_string(expert) +
                             sibling.substr(number->second);
  for (size_t i = 0; i < nhc_manifest_weight_count(manifest); ++i) {
    nhc_tensor_desc_t desc{};
    nhc_tensor_info_t info{};
    nhc_manifest_weight_at(manifest, i, &desc);
    if (wanted == desc.name && nhc_weights_bound_at(weights, i, &info) == NHC_OK)
      return info.desc.name;
  }
  return {};
}

} // namespace

std::string firstNonFiniteWeight(const nhc_weights_t *weights,
                                 const nhc_manifest_t *manifest) {
  std::vector<float> buffer;
  for (size_t i = 0; i < nhc_manifest_weight_count(manifest); ++i) {
    float absmax;
    std::string found =
        nonFiniteElement(weights, boundTensor(weights, i), buffer, absmax);
    if (!found.empty())
      return found;
  }
  return {};
}

std::vector<QuantizedModule>
writeFp8Checkpoint(const nhc_weights_t *weights, const nhc_manifest_t *manifest,
                   const std::map<std::string, float> &inputAbsmax,
                   const std::vector<std::string> &exclude,
                   const std::string &sourceDir, const std::string &outDir) {
  // Checkpoint tensor name -> (input absmax, weight scale).
  std::map<std::string, QuantizedModule> byTensor;
  // A stacked checkpoint tensor -> its experts' slices, in manifest order.
  struct Slice {
    QuantizedModule module;
    nhc_tensor_info_t part;
    std::string name;         // the per-expert tensor written
    std::string manifestName; // the weight it binds
  };
  std::map<std::string, std::vector<Slice>> slicesOf;
  std::vector<float> buffer;
  for (size_t i = 0; i < nhc_manifest_weight_count(manifest); ++i) {
    nhc_tensor_desc_t desc{};
    nhc_manifest_weight_at(manifest, i, &desc);
    auto found = inputAbsmax.find(desc.name);
    if (found == inputAbsmax.end())
      continue;
    nhc_tensor_info_t info = boundTensor(weights, i);
    const std::string stacked = stackedTensorOf(weights, manifest, i);
    std::string tensor =
        stacked.empty() ? info.desc.name : perExpertName(stacked, desc.name);
    if (!endsWith(tensor, ".weight"))
      throw std::runtime_error("tensor '" + tensor +
                               "' is not named <module>.weight; cannot name "
                               "its FP8 scales");
    float absmax = found->second;
    if (!(std::isfinite(absmax) && absmax > 0.0f))
      throw std::runtime_error(
          "calibration: the input of '" + moduleOf(tensor) +
          "' had max |x| = " + std::to_string(absmax) +
          "; give calibration prompts that exercise it");
    QuantizedModule module;
    module.module = moduleOf(tensor);
    module.inputScale = absmax / kE4M3Max;
    float weightMax = weightAbsmax(weights, info, buffer);
    // An all-zero weight quantizes to zeros under any positive scale.
    module.weightScale = weightMax > 0.0f ? weightMax / kE4M3Max : 1.0f;
    // A subnormal scale loses precision and a zero one is refused by every
    // loader: such tiny values are no real model's.
    if (!std::isnormal(module.inputScale) || !std::isnormal(module.weightScale))
      throw std::runtime_error("'" + module.module + "': max |input| " +
                               std::to_string(absmax) + ", max |weight| " +
                               std::to_string(weightMax) +
                               " are too small for an f32 scale");
    if (stacked.empty())
      byTensor[tensor] = module;
    else
      slicesOf[stacked].push_back({module, info, tensor, desc.name});
  }

  // The output: every checkpoint tensor, a quantized weight as e4m3 followed
  // by its two scales. Laid out by element size, largest first, so every
  // tensor stays aligned for its dtype (safetensors allows no padding).
  struct Item {
    std::string name;
    nhc_dtype_t dtype;
    std::vector<uint64_t> shape;
    const nhc_tensor_info_t *source = nullptr; // copied or quantized
    const QuantizedModule *module = nullptr;   // quantized weight
    const float *scalar = nullptr;             // a scale
  };
  size_t count = nhc_weights_tensor_count(weights);
  std::vector<nhc_tensor_info_t> tensors(count);
  std::set<std::string> names;
  for (size_t i = 0; i < count; ++i) {
    nhc_weights_tensor_at(weights, i, &tensors[i]);
    names.insert(tensors[i].desc.name);
  }
  std::vector<Item> items;
  std::vector<QuantizedModule> written;
  for (const nhc_tensor_info_t &info : tensors) {
    std::vector<uint64_t> shape(info.desc.shape,
                                info.desc.shape + info.desc.rank);
    auto quantized = [&](const std::string &name,
                         const std::vector<uint64_t> &shape,
                         const nhc_tensor_info_t &source,
                         const QuantizedModule &m) {
      for (const std::string &out :
           {name, m.module + ".weight_scale", m.module + ".input_scale"})
        if (out != info.desc.name && names.count(out))
          throw std::runtime_error("checkpoint already holds '" + out +
                                   "': is it quantized already?");
      items.push_back({name, NHC_DTYPE_F8_E4M3, shape, &source, &m});
      items.push_back({m.module + ".weight_scale", NHC_DTYPE_F32, {}, nullptr,
                       nullptr, &m.weightScale});
      items.push_back({m.module + ".input_scale", NHC_DTYPE_F32, {}, nullptr,
                       nullptr, &m.inputScale});
      written.push_back(m);
    };
    if (auto q = byTensor.find(info.desc.name); q != byTensor.end()) {
      quantized(info.desc.name, shape, info, q->second);
    } else if (auto s = slicesOf.find(info.desc.name); s != slicesOf.end()) {
      // Every expert's slice in place of the stacked tensor: all of them,
      // or the stacked tensor would still be needed (binding read some
      // experts from per-expert tensors of the same layer instead).
      if (shape.empty() || s->second.size() != shape[0]) {
        std::set<std::string> read;
        for (const Slice &slice : s->second)
          read.insert(slice.name);
        // An expert not read from the stacked tensor, as it is spelled in
        // the checkpoint (its prefix may differ from the stacked one's).
        std::string other;
        for (uint64_t e = 0; other.empty() && !shape.empty() && e < shape[0];
             ++e)
          if (!read.count(perExpertName(
                  info.desc.name, ".experts." + std::to_string(e) + ".x")))
            other = boundExpertTensor(weights, manifest,
                                      s->second.front().manifestName, e);
        throw std::runtime_error(
            "'" + std::string(info.desc.name) + "' stacks " +
            std::to_string(shape.empty() ? 0 : shape[0]) +
            " experts, but only " + std::to_string(s->second.size()) +
            " are read from it; the others come from per-expert tensors of "
            "the same layer (such as '" + other +
            "'): store a layer's experts one way, stacked or per expert, "
            "to quantize them");
      }
      // Scales of the stacked tensor itself belong to an FP8 checkpoint.
      const std::string stackedModule = moduleOf(info.desc.name);
      for (const char *suffix : {".weight_scale", ".input_scale"})
        if (names.count(stackedModule + suffix))
          throw std::runtime_error("checkpoint already holds '" +
                                   stackedModule + suffix +
                                   "': is it quantized already?");
      const std::vector<uint64_t> expertShape(shape.begin() + 1, shape.end());
      for (const Slice &slice : s->second)
        quantized(slice.name, expertShape, slice.part, slice.module);
    } else {
      // nhc_weights_open lists a tensor of a dtype nhc reads none of (F4,
      // F6_*, C64, the FNUZ FP8 kinds) without naming the dtype.
      if (info.desc.dtype == NHC_DTYPE_INVALID)
        throw std::runtime_error(
            "tensor '" + std::string(info.desc.name) +
            "' is stored in a dtype nhc does not read (such as F4, C64 or "
            "F8_E4M3FNUZ), so it cannot be copied into the quantized "
            "checkpoint; remove it (the model does not use it)");
      items.push_back({info.desc.name, info.desc.dtype, shape, &info});
    }
  }
  std::stable_sort(items.begin(), items.end(), [](const Item &a, const Item &b) {
    return nhc_dtype_size(a.dtype) > nhc_dtype_size(b.dtype);
  });
  fs::path out(outDir);
  tools::SafetensorsWriter writer((out / "model.safetensors").string());
  for (const Item &item : items)
    writer.declare(item.name, item.dtype, item.shape);
  writer.begin(nlohmann::json{{"format", "pt"}});
  std::vector<uint8_t> codes;
  for (const Item &item : items) {
    if (item.scalar) {
      writer.append(item.scalar, sizeof(float));
    } else if (!item.module) {
      writer.append(item.source->data, item.source->byte_size);
    } else {
      const float scale = item.module->weightScale;
      forEachChunk(*item.source, buffer,
                   [&](const float *v, uint64_t, size_t n) {
                     codes.resize(n);
                     for (size_t i = 0; i < n; ++i)
                       codes[i] = nhc_f32_to_e4m3(v[i], scale);
                     writer.append(codes.data(), n);
                   });
    }
  }
  writer.finish();

  // Configs, then the source's other files (generation config, tokenizer).
  fs::path source(sourceDir);
  writeFile(out / "config.json",
            quantizedConfig(readFile(source / "config.json"),
                            source / "config.json", exclude) +
                "\n");
  nlohmann::ordered_json hfQuant = {
      {"producer", producer()},
      {"quantization",
       {{"quant_algo", "FP8"},
        {"kv_cache_quant_algo", nullptr},
        {"exclude_modules", exclude}}}};
  writeFile(out / "hf_quant_config.json", hfQuant.dump(2) + "\n");
  for (const fs::directory_entry &entry : fs::directory_iterator(source)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || endsWith(name, ".safetensors") ||
        name == "model.safetensors.index.json" || name == "config.json" ||
        name == "hf_quant_config.json")
      continue;
    fs::copy_file(entry.path(), out / name);
  }
  return written;
}

} // namespace nhc::quantize

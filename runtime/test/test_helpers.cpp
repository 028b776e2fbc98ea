//===- test_helpers.cpp - Temp dirs, tiny safetensors and manifests -------===//

#include "test_helpers.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "nhc/format/container.h"

namespace nhc::test {

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "nhc-runtime-test-XXXXXX")
          .string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!::mkdtemp(buffer.data()))
    throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = buffer.data();
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void writeBytes(const std::string &path, const Bytes &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

void writeText(const std::string &path, const std::string &text) {
  writeBytes(path, Bytes(text.begin(), text.end()));
}

Bytes readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)),
               std::istreambuf_iterator<char>());
}

void fixChecksum(Bytes &bytes) {
  uint64_t checksum = nhc_fnv1a64(bytes.data() + NHC_ARTIFACT_HEADER_SIZE,
                                  bytes.size() - NHC_ARTIFACT_HEADER_SIZE,
                                  NHC_FNV1A64_OFFSET_BASIS);
  poke(bytes, offsetof(nhc_artifact_header_t, checksum), checksum);
}

size_t sectionEntryOffset(size_t index) {
  return NHC_ARTIFACT_HEADER_SIZE + index * NHC_ARTIFACT_SECTION_ENTRY_SIZE;
}

Bytes buildArtifact(const std::string &manifestJson) {
  format::ContainerWriter writer;
  writer.setManifest(manifestJson);
  writer.addSection(NHC_SECTION_HOST_SHARED_LIBRARY, "host",
                    std::string_view("\x7f"
                                     "ELF fake shared object"));
  writer.addSection(NHC_SECTION_PTX, "sm_90",
                    std::string_view(".version 8.0\n.target sm_90\n"));
  std::string bytes;
  format::ContainerError error = writer.serialize(bytes);
  if (error.failed())
    throw std::runtime_error("serialize: " + error.message);
  return Bytes(bytes.begin(), bytes.end());
}

size_t dtypeSize(const std::string &dtype) {
  size_t size = nhc_dtype_size(nhc_dtype_from_string(dtype.c_str()));
  if (size == 0)
    throw std::runtime_error("test helper: unknown dtype " + dtype);
  return size;
}

SafetensorsBuilder &SafetensorsBuilder::add(const std::string &name,
                                            const std::string &dtype,
                                            std::vector<uint64_t> shape) {
  uint64_t bytes = dtypeSize(dtype);
  for (uint64_t dim : shape)
    bytes *= dim;
  Bytes data(bytes);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<uint8_t>(i * 7 + tensors_.size() * 31 + 1);
  return add(name, dtype, std::move(shape), std::move(data));
}

SafetensorsBuilder &SafetensorsBuilder::add(const std::string &name,
                                            const std::string &dtype,
                                            std::vector<uint64_t> shape,
                                            Bytes data) {
  tensors_.push_back(Tensor{name, dtype, std::move(shape), std::move(data)});
  return *this;
}

SafetensorsBuilder &SafetensorsBuilder::metadata(Json metadata) {
  metadata_ = std::move(metadata);
  return *this;
}

Json SafetensorsBuilder::header() const {
  Json header = Json::object();
  if (!metadata_.is_null())
    header["__metadata__"] = metadata_;
  uint64_t offset = 0;
  for (const Tensor &t : tensors_) {
    header[t.name] = {{"dtype", t.dtype},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.data.size()}}};
    offset += t.data.size();
  }
  return header;
}

Bytes SafetensorsBuilder::build() const {
  std::string text = header().dump();
  while (text.size() % 8 != 0) // the reference writer pads with spaces
    text += ' ';
  // Sized up front: GCC 12's -Wstringop-overread misfires on insert() here.
  Bytes bytes(8 + text.size());
  poke<uint64_t>(bytes, 0, text.size());
  std::memcpy(bytes.data() + 8, text.data(), text.size());
  for (const Tensor &t : tensors_)
    bytes.insert(bytes.end(), t.data.begin(), t.data.end());
  return bytes;
}

const Bytes &SafetensorsBuilder::data(const std::string &name) const {
  for (const Tensor &t : tensors_)
    if (t.name == name)
      return t.data;
  throw std::runtime_error("test helper: no tensor " + name);
}

Bytes rawSafetensors(const std::string &header, size_t dataBytes) {
  Bytes bytes(8 + header.size() + dataBytes, 0);
  poke<uint64_t>(bytes, 0, header.size());
  std::memcpy(bytes.data() + 8, header.data(), header.size());
  return bytes;
}

namespace {

struct TinyWeight {
  const char *name;
  const char *dtype;
  std::vector<uint64_t> shape;
};

// Mamba layer: 4 heads x 16 head_dim (intermediate 64), 1 group, state 8:
// conv_dim = 64 + 2*8 = 80, in_proj out = 64 + 80 + 4 = 148.
const std::vector<TinyWeight> &tinyWeights() {
  static const std::vector<TinyWeight> weights = {
      {"backbone.embeddings.weight", "F32", {256, 64}},
      {"backbone.layers.0.mixer.in_proj.weight", "BF16", {148, 64}},
      {"backbone.layers.0.mixer.A_log", "F32", {4}},
      {"backbone.layers.1.mixer.q_proj.weight", "BF16", {64, 64}},
      {"backbone.norm_f.weight", "F32", {64}},
      {"lm_head.weight", "BF16", {256, 64}},
  };
  return weights;
}

} // namespace

Json tinyManifest() {
  Json weights = Json::array();
  for (const TinyWeight &w : tinyWeights())
    weights.push_back(
        {{"name", w.name}, {"dtype", w.dtype}, {"shape", w.shape}});
  auto tensor = [](const std::string &name, int layer, const char *dtype,
                   Json shape) {
    return Json{
        {"name", name}, {"layer", layer}, {"dtype", dtype}, {"shape", shape}};
  };
  // Layer 0 and 3: conv + SSM state; layer 1: a K and V cache.
  Json state = Json::array();
  for (int layer : {0, 1, 3}) {
    std::string prefix = "layers." + std::to_string(layer) + ".";
    if (layer == 1) {
      for (const char *kv : {"k_cache", "v_cache"})
        state.push_back(tensor(prefix + kv, layer, "BF16",
                               Json::array({"max_seq_len", 2, 16})));
    } else {
      state.push_back(tensor(prefix + "conv_state", layer, "F32", {80, 3}));
      state.push_back(tensor(prefix + "ssm_state", layer, "F32", {4, 16, 8}));
    }
  }
  return Json{
      {"format", "nhc-manifest"},
      {"version", 1},
      {"model",
       {{"hidden_size", 64},
        {"vocab_size", 256},
        {"num_layers", 4},
        {"dtype", "BF16"},
        {"max_position_embeddings", 4096}}},
      {"weights", weights},
      {"state", state},
      {"x_compiler_notes", {{"note", "unknown keys are ignored"}}},
  };
}

SafetensorsBuilder tinyCheckpoint() {
  SafetensorsBuilder builder;
  for (const TinyWeight &w : tinyWeights())
    builder.add(w.name, w.dtype, w.shape);
  return builder;
}

nhc_manifest_t *parseManifestOrDie(const Json &manifest) {
  std::string text = manifest.dump();
  nhc_manifest_t *parsed = nullptr;
  nhc_status_t status =
      nhc_manifest_parse(text.data(), text.size(), "test", &parsed);
  if (status != NHC_OK)
    throw std::runtime_error(std::string("manifest: ") + nhc_last_error());
  return parsed;
}

nhc_status_t parseManifestStatus(const Json &manifest) {
  return parseManifestTextStatus(manifest.dump());
}

nhc_status_t parseManifestTextStatus(const std::string &text) {
  nhc_manifest_t *parsed = nullptr;
  nhc_status_t status =
      nhc_manifest_parse(text.data(), text.size(), "m.json", &parsed);
  nhc_manifest_release(parsed);
  return status;
}

} // namespace nhc::test

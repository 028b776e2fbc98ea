//===- test_helpers.h - Temp dirs, tiny safetensors and manifests -*- C++
//-*-===//
#ifndef NHC_RUNTIME_TEST_TEST_HELPERS_H
#define NHC_RUNTIME_TEST_TEST_HELPERS_H

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nhc/runtime/api.h"

namespace nhc::test {

using Json = nlohmann::json;
using Bytes = std::vector<uint8_t>;

/// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

void writeBytes(const std::string &path, const Bytes &bytes);
void writeText(const std::string &path, const std::string &text);
Bytes readBytes(const std::string &path);

/// Overwrites sizeof(T) bytes at `offset` (little-endian host).
template <typename T> void poke(Bytes &bytes, size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
}
template <typename T> T peek(const Bytes &bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

/// Recomputes an artifact's checksum after a test edited bytes past the
/// header, so the loader gets past the checksum to the check under test.
void fixChecksum(Bytes &bytes);

/// Byte offset of section `index`'s table entry (table at offset 64).
size_t sectionEntryOffset(size_t index);

/// Serialized artifact: the manifest plus a HOST_SHARED_LIBRARY "host" and a
/// PTX "sm_90" section.
Bytes buildArtifact(const std::string &manifestJson);

/// Writes safetensors files. Tensor data defaults to a byte pattern derived
/// from the tensor's position so reads can be checked.
class SafetensorsBuilder {
public:
  SafetensorsBuilder &add(const std::string &name, const std::string &dtype,
                          std::vector<uint64_t> shape);
  SafetensorsBuilder &add(const std::string &name, const std::string &dtype,
                          std::vector<uint64_t> shape, Bytes data);
  SafetensorsBuilder &metadata(Json metadata);
  /// The header JSON with correct data_offsets.
  Json header() const;
  Bytes build() const;
  void write(const std::string &path) const { writeBytes(path, build()); }
  /// Expected data of tensor `name`.
  const Bytes &data(const std::string &name) const;

private:
  struct Tensor {
    std::string name, dtype;
    std::vector<uint64_t> shape;
    Bytes data;
  };
  std::vector<Tensor> tensors_;
  Json metadata_;
};

/// 8-byte length + `header` text + `dataBytes` zero bytes: for malformed
/// headers the builder would refuse to produce.
Bytes rawSafetensors(const std::string &header, size_t dataBytes);

size_t dtypeSize(const std::string &dtype);

/// Manifest of a tiny hybrid model: layers M(0) *(1) -(2) M(3),
/// hidden 64, vocab 256, max_position_embeddings 4096. Its state, in this
/// order: layers.0.conv_state F32 [80, 3], layers.0.ssm_state F32
/// [4, 16, 8], layers.1.k_cache and layers.1.v_cache BF16 [max_seq_len, 2,
/// 16], layers.3.conv_state, layers.3.ssm_state (as layer 0's).
Json tinyManifest();

/// Parses `manifest` as a manifest; returns the status and releases any
/// result.
nhc_status_t parseManifestStatus(const Json &manifest);
/// The same for manifest text (named "m.json").
nhc_status_t parseManifestTextStatus(const std::string &text);
/// Writes a checkpoint file holding exactly tinyManifest()'s weights.
SafetensorsBuilder tinyCheckpoint();

/// nhc_manifest_parse() of `manifest`, asserting success.
nhc_manifest_t *parseManifestOrDie(const Json &manifest);

/// Last error text, for EXPECT_THAT(..., HasSubstr(...)).
inline std::string lastError() { return nhc_last_error(); }

} // namespace nhc::test

#endif // NHC_RUNTIME_TEST_TEST_HELPERS_H

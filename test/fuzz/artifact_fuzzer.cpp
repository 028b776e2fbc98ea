//===- artifact_fuzzer.cpp - .nhc artifact loader ---------------------------===//
//
// Loads any bytes as an artifact; nothing is dlopened (that happens only
// when a session is created). Each input is loaded as is, then once more
// with the header's file size and checksum made right, so that mutations
// reach the section table and manifest behind the checksum (the corpus
// stays plain artifacts).
//
//===----------------------------------------------------------------------===//

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "FuzzUtil.h"
#include "nhc/runtime/api.h"
#include "nhc/runtime/artifact.h"

namespace {

void load(const uint8_t *data, size_t size) {
  std::string path = nhc::fuzz::writeScratch("fuzz.nhc", data, size);
  nhc_artifact_t *artifact = nullptr;
  nhc_status_t status = nhc_artifact_load(path.c_str(), &artifact);
  nhc::fuzz::requireMessage(status != NHC_OK, nhc_last_error());
  if (status != NHC_OK)
    return;
  size_t length = 0;
  const char *json = nhc_artifact_manifest_json(artifact, &length);
  if (!json || !nhc_artifact_manifest(artifact))
    std::abort();
  nhc_artifact_release(artifact);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  load(data, size);
  if (size < NHC_ARTIFACT_HEADER_SIZE)
    return 0;
  std::vector<uint8_t> fixed(data, data + size);
  uint64_t fileSize = size;
  uint64_t checksum = nhc_fnv1a64(fixed.data() + NHC_ARTIFACT_HEADER_SIZE,
                                  size - NHC_ARTIFACT_HEADER_SIZE,
                                  NHC_FNV1A64_OFFSET_BASIS);
  std::memcpy(fixed.data() + offsetof(nhc_artifact_header_t, file_size),
              &fileSize, sizeof(fileSize));
  std::memcpy(fixed.data() + offsetof(nhc_artifact_header_t, checksum),
              &checksum, sizeof(checksum));
  load(fixed.data(), fixed.size());
  return 0;
}

//===- artifact_fuzzer.cpp - .nhc artifact loader ---------------------------===//
//
// Loads any bytes as an artifact; nothing is dlopened (that happens only
// when a session is created).
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"
#include "nhc/runtime/api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = nhc::fuzz::writeScratch("fuzz.nhc", data, size);
  nhc_artifact_t *artifact = nullptr;
  nhc_status_t status = nhc_artifact_load(path.c_str(), &artifact);
  nhc::fuzz::requireMessage(status != NHC_OK, nhc_last_error());
  if (status != NHC_OK)
    return 0;
  size_t length = 0;
  const char *json = nhc_artifact_manifest_json(artifact, &length);
  if (!json || !nhc_artifact_manifest(artifact))
    std::abort();
  nhc_artifact_release(artifact);
  return 0;
}

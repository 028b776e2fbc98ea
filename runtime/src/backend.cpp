//===- backend.cpp - Backends by name -------------------------------------===//

#include "backend.h"

#include <string>

#include "cuda/cuda_backend.h"
#include "error.h"
#include "host_backend.h"

namespace nhc::runtime {
namespace {

struct BackendEntry {
  const char *name;
  std::unique_ptr<Backend> (*create)(const BackendContext &);
};

/// Every backend this runtime has; the first is the default.
const BackendEntry kBackends[] = {
    {"host",
     [](const BackendContext &context) -> std::unique_ptr<Backend> {
       return std::make_unique<HostBackend>(context);
     }},
    {"cuda", cuda::createCudaBackend},
};

} // namespace

const char *availableBackends() {
  static const std::string names = [] {
    std::string joined;
    for (const BackendEntry &backend : kBackends)
      joined += (joined.empty() ? "" : ",") + std::string(backend.name);
    return joined;
  }();
  return names.c_str();
}

std::unique_ptr<Backend> createBackend(const char *name,
                                       const BackendContext &context) {
  std::string wanted = name && *name ? name : kBackends[0].name;
  for (const BackendEntry &backend : kBackends)
    if (wanted == backend.name)
      return backend.create(context);
  throw Error(NHC_INVALID_ARGUMENT,
              cat("session: unknown backend '", wanted,
                  "' (this runtime has: ", availableBackends(), ")"));
}

} // namespace nhc::runtime

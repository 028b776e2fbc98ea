//===- host_isa.cpp - Which build of the host kernel library to load ------===//

#include "host_isa.h"

#include <cstdlib>

#include "error.h"
#include "nhc/format/host_isa.h"
#include "nhc/runtime/artifact.h"

namespace nhc::runtime {
using format::cpuRunsHostIsa;

nhc_section_t selectHostLibrary(const nhc_artifact_t &artifact,
                                const std::string &origin) {
  nhc_section_t section{};
  if (const char *forced = std::getenv("NHC_HOST_ISA")) {
    std::string level = forced;
    NHC_CHECK(format::isHostIsaLevel(level), NHC_INVALID_ARGUMENT,
              cat("NHC_HOST_ISA='", level,
                  "' is not a host kernel level (x86-64, x86-64-v3, "
                  "x86-64-v4)"));
    NHC_CHECK(cpuRunsHostIsa(level), NHC_UNSUPPORTED,
              cat("NHC_HOST_ISA='", level, "': this CPU cannot run ", level,
                  " code"));
    NHC_CHECK(nhc_artifact_find_section(&artifact,
                                        NHC_SECTION_HOST_SHARED_LIBRARY,
                                        level.c_str(), &section) == NHC_OK,
              NHC_NOT_FOUND,
              cat(origin, ": NHC_HOST_ISA='", level,
                  "', but the artifact has no HOST_SHARED_LIBRARY section "
                  "(kind 2) named '",
                  level, "'"));
    return section;
  }
  for (size_t i = format::kHostIsaLevelCount; i-- > 0;) {
    const char *level = format::kHostIsaLevels[i];
    if (cpuRunsHostIsa(level) &&
        nhc_artifact_find_section(&artifact, NHC_SECTION_HOST_SHARED_LIBRARY,
                                  level, &section) == NHC_OK)
      return section;
  }
  // Only when no level section exists: a v4-only artifact on a v3 CPU must
  // not fall back to code the CPU cannot run.
  bool anyLevel = false;
  for (const char *level : format::kHostIsaLevels)
    anyLevel = anyLevel ||
               nhc_artifact_find_section(&artifact,
                                         NHC_SECTION_HOST_SHARED_LIBRARY,
                                         level, &section) == NHC_OK;
  NHC_CHECK(!anyLevel, NHC_UNSUPPORTED,
            cat(origin, ": no HOST_SHARED_LIBRARY section of the artifact "
                        "is built for a level this CPU runs"));
  NHC_CHECK(nhc_artifact_find_section(&artifact,
                                      NHC_SECTION_HOST_SHARED_LIBRARY,
                                      nullptr, &section) == NHC_OK,
            NHC_NOT_FOUND,
            cat(origin, ": the artifact has no HOST_SHARED_LIBRARY section "
                        "(kind 2)"));
  return section;
}

} // namespace nhc::runtime

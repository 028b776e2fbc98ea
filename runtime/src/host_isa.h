//===- host_isa.h - Which build of the host kernel library to load -*- C++ -*-===//
//
// Artifacts carry the host kernel library once per x86-64 level
// (nhc/format/host_isa.h); the runtime loads the highest level this CPU
// runs (nhc::format::cpuRunsHostIsa), or the one NHC_HOST_ISA names.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_HOST_ISA_H
#define NHC_RUNTIME_SRC_HOST_ISA_H

#include <string>

#include "nhc/runtime/artifact_reader.h"

namespace nhc::runtime {

/// The HOST_SHARED_LIBRARY section of `artifact` to load. With NHC_HOST_ISA
/// set: that level's section; throws NHC_INVALID_ARGUMENT for an unknown
/// level, NHC_UNSUPPORTED if this CPU cannot run it, NHC_NOT_FOUND if the
/// artifact lacks it. Else the highest level this CPU runs that the
/// artifact has, else (artifacts from before the levels, one section named
/// e.g. "x86_64") the first HOST_SHARED_LIBRARY section; NHC_NOT_FOUND if
/// there is none. `origin` prefixes the messages.
nhc_section_t selectHostLibrary(const nhc_artifact_t &artifact,
                                const std::string &origin);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_HOST_ISA_H

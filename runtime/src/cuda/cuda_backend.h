//===- cuda_backend.h - The CUDA backend ------------------------*- C++ -*-===//
//
// The device seam's (backend.h) CUDA implementation, as far as it goes:
// the driver through driver_api.h, the device, the artifact's GPU code for
// it and its launch table (launch_table.h). Device memory, GEMMs through
// cuBLASLt, launches and graphs are not written yet (issue 11), so creating
// it stops with NHC_UNSUPPORTED after everything above has been checked.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_CUDA_CUDA_BACKEND_H
#define NHC_RUNTIME_SRC_CUDA_CUDA_BACKEND_H

#include <memory>
#include <string>

#include "backend.h"

namespace nhc::runtime::cuda {

/// Which of the artifact's GPU images runs on a device of compute
/// capability `sm` (e.g. 90): the CUBIN section named "sm_<sm>", else the
/// PTX section of the highest "sm_<n>" with n <= sm (the driver compiles
/// it). Throws NHC_NOT_FOUND naming `origin`, the device's chip and the
/// chips the artifact has.
struct GpuImage {
  std::string chip;  ///< the section's name, e.g. "sm_90"
  bool cubin = false;
  std::string bytes; ///< NUL-terminated for PTX
};
GpuImage selectGpuImage(const nhc_artifact_t &artifact, int sm,
                        const std::string &origin);

/// Opens the CUDA backend for `context` (see above); throws.
std::unique_ptr<Backend> createCudaBackend(const BackendContext &context);

} // namespace nhc::runtime::cuda

#endif // NHC_RUNTIME_SRC_CUDA_CUDA_BACKEND_H

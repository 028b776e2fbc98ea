//===- weights_internal.h - Binding without touching the handle -*- C++ -*-===//
#ifndef NHC_RUNTIME_SRC_WEIGHTS_INTERNAL_H
#define NHC_RUNTIME_SRC_WEIGHTS_INTERNAL_H

#include <string>
#include <utility>
#include <vector>

#include "nhc/runtime/weights.h"
#include "synthetic_weights.h"

namespace nhc::runtime {

/// The tensors nhc_weights_bind() would bind for `manifest`, in manifest
/// order, with the same checks and messages; `weights` is not modified, so a
/// session can bind a handle the caller may have bound to something else.
std::vector<nhc_tensor_info_t> boundTensors(const nhc_weights_t &weights,
                                            const nhc_manifest_t &manifest);

/// Of a synthetic handle (nhc_weights_synthetic): how the tensor `info`
/// (from boundTensors) is generated; null for a checkpoint's tensor. Its
/// `data` is null until generated (generatedData), so a device backend may
/// generate it on the device instead.
const SyntheticTensor *syntheticSpec(const nhc_weights_t &weights,
                                     const nhc_tensor_info_t &info);
/// `info.data`, generated in host memory first for a synthetic tensor
/// (once; thread-safe). Throws NHC_OUT_OF_MEMORY.
const void *generatedData(const nhc_weights_t &weights,
                          const nhc_tensor_info_t &info);

/// Of a synthetic handle: every tensor's description (names owned by the
/// handle) and how it is generated, sorted by name, generating nothing;
/// empty for a checkpoint.
std::vector<std::pair<nhc_tensor_desc_t, SyntheticTensor>>
syntheticTensors(const nhc_weights_t &weights);

/// The path given to nhc_weights_open().
const std::string &weightsSource(const nhc_weights_t &weights);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_WEIGHTS_INTERNAL_H

//===- weights_internal.h - Binding without touching the handle -*- C++ -*-===//
#ifndef NHC_RUNTIME_SRC_WEIGHTS_INTERNAL_H
#define NHC_RUNTIME_SRC_WEIGHTS_INTERNAL_H

#include <string>
#include <vector>

#include "nhc/runtime/weights.h"

namespace nhc::runtime {

/// The tensors nhc_weights_bind() would bind for `manifest`, in manifest
/// order, with the same checks and messages; `weights` is not modified, so a
/// session can bind a handle the caller may have bound to something else.
std::vector<nhc_tensor_info_t> boundTensors(const nhc_weights_t &weights,
                                            const nhc_manifest_t &manifest);

/// The path given to nhc_weights_open().
const std::string &weightsSource(const nhc_weights_t &weights);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_WEIGHTS_INTERNAL_H

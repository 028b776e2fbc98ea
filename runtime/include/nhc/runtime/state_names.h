//===- nhc/runtime/state_names.h - What a state tensor's name says -*- C++ -*-===//
//
// The compiler names each state tensor `layers.L.<kind>`
// (docs/artifact-format.md: conv_state, ssm_state, k_cache, v_cache); a
// sequence tensor (the KV caches) is known by its shape, the SSM state only
// by its name. Header-only, shared by the runtime and its tools.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_STATE_NAMES_H
#define NHC_RUNTIME_STATE_NAMES_H

#include <string_view>

namespace nhc {

/// Whether `name` is a Mamba layer's SSM state (`layers.L.ssm_state`), the
/// tensor whose dtype `nhc compile --ssm-state-dtype` chooses.
inline bool isSsmStateName(std::string_view name) {
  constexpr std::string_view suffix = ".ssm_state";
  return name.size() > suffix.size() &&
         name.substr(name.size() - suffix.size()) == suffix;
}

} // namespace nhc

#endif // NHC_RUNTIME_STATE_NAMES_H

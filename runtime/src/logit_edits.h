//===- logit_edits.h - Changes to logits before a pick --------*- C++ -*-===//
//
// nhc/runtime/logit_edits.h's rule for the runtime's own callers (the
// backends' picks, nhc_logit_edit_apply) and the serving engine.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_LOGIT_EDITS_H
#define NHC_RUNTIME_SRC_LOGIT_EDITS_H

#include <cmath>
#include <limits>
#include <string>

#include "nhc/runtime/logit_edits.h"

namespace nhc::runtime {

/// `l` with `edit` applied (nhc_logit_edit_t's order).
inline float applyLogitEdit(float l, const nhc_logit_edit_t &edit) {
  l += edit.bias;
  if (edit.banned && !std::isnan(l)) // a row holding NaN has no token
    l = -std::numeric_limits<float>::infinity();
  if (edit.repetition != 1.0f)
    l = l > 0.0f ? l / edit.repetition : l * edit.repetition;
  l -= edit.frequency;
  l -= edit.presence;
  return l;
}

/// Why `edit`'s values are invalid (naming the field and value), or
/// empty; its row and id are the caller's to check.
std::string logitEditProblem(const nhc_logit_edit_t &edit);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_LOGIT_EDITS_H

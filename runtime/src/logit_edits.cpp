//===- logit_edits.cpp - Changes to logits before a pick -----------------===//

#include "logit_edits.h"

#include "error.h"

#include <cmath>
#include <limits>

namespace nhc::runtime {

std::string logitEditProblem(const nhc_logit_edit_t &e) {
  if (!std::isfinite(e.bias))
    return cat("bias must be finite, got ", e.bias);
  // A subnormal penalty divides any positive logit to +inf.
  if (!(e.repetition >= std::numeric_limits<float>::min()) ||
      !std::isfinite(e.repetition))
    return cat("repetition must be a positive number in float32's normal "
               "range, got ", e.repetition);
  if (!std::isfinite(e.frequency))
    return cat("frequency must be finite, got ", e.frequency);
  if (!std::isfinite(e.presence))
    return cat("presence must be finite, got ", e.presence);
  return {};
}

} // namespace nhc::runtime

using namespace nhc::runtime;

nhc_status_t nhc_logit_edit_apply(const nhc_logit_edit_t *edit,
                                  float *logit) {
  return guard("nhc_logit_edit_apply", [&] {
    NHC_CHECK_ARG(edit, "nhc_logit_edit_apply");
    NHC_CHECK_ARG(logit, "nhc_logit_edit_apply");
    std::string problem = logitEditProblem(*edit);
    NHC_CHECK(problem.empty(), NHC_INVALID_ARGUMENT,
              cat("nhc_logit_edit_apply: ", problem));
    *logit = applyLogitEdit(*logit, *edit);
  });
}

//===- kernel_extents.h - What a plan's kernel calls may index -*- C++ -*-===//
//
// The kernels of nhc's kernel library (lib/Kernels) index their memref
// arguments by their index arguments: nhc_rms_norm reads T * H elements of
// `x`, nhc_ssd_scan H * P * N of each slot's `ssm_state`. A manifest that
// shrinks a buffer or a state tensor, or enlarges an index argument, would
// make such a kernel read or write past the memory the runtime binds. So
// each call of a library kernel is checked, when the plan is parsed, against
// that kernel's contract here: its parameter kinds, the sizes and
// divisibility its index arguments need (a zero group count is a division
// by zero in the kernel), which `dim` each step-sized argument must be, and
// for every memref argument the elements the kernel reaches, in terms of
// those arguments (docs/execution-model.md, "Kernels", gives each shape).
//
// Kernels a contract does not name (the test suite's own host library) keep
// the structural checks of plan.cpp only.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_KERNEL_EXTENTS_H
#define NHC_RUNTIME_SRC_KERNEL_EXTENTS_H

#include <string>

#include "plan_parse.h"

namespace nhc::runtime {

/// Whether nhc's kernel library has a contract for kernel `name`.
bool hasKernelContract(const std::string &name);

/// Checks `call` of `spec` (a kernel entry of a `schedule`) against the
/// kernel's contract when it has one; throws NHC_INVALID_FORMAT naming
/// `where`, the argument and the buffer, weight or state tensor otherwise.
void checkKernelContract(const PlanContext &ctx, const KernelSpec &spec,
                         const KernelCall &call, ScheduleKind schedule,
                         const std::string &where);

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_KERNEL_EXTENTS_H

/*===- c_callers.h - Calls made the way a C program makes them -*- C -*-===//
 *
 * A C caller may pass any integer where the API takes an enum; C++ may not
 * even form such a value without undefined behaviour. These helpers,
 * compiled as C, pass raw integers through the C API so the C++ tests can
 * check that the runtime rejects them cleanly (and that UBSan stays quiet).
 *===----------------------------------------------------------------------===*/
#ifndef NHC_RUNTIME_TEST_C_CALLERS_H
#define NHC_RUNTIME_TEST_C_CALLERS_H

#include <stddef.h>
#include <stdint.h>

#include "nhc/runtime/api.h"

#ifdef __cplusplus
extern "C" {
#endif

nhc_status_t nhc_test_step_with_raw_mode(nhc_session_t *session,
                                         const nhc_request_t *requests,
                                         size_t count, unsigned mode,
                                         float *logits, size_t capacity);
const char *nhc_test_status_string_raw(unsigned status);
const char *nhc_test_dtype_name_raw(unsigned dtype);
size_t nhc_test_dtype_size_raw(unsigned dtype);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NHC_RUNTIME_TEST_C_CALLERS_H */

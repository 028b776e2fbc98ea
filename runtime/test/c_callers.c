/*===- c_callers.c - Calls made the way a C program makes them ------------===*/

#include "c_callers.h"

/* In C an enum is an integer type: converting any value to it is defined. */

nhc_status_t nhc_test_step_with_raw_mode(nhc_session_t *session,
                                         const nhc_request_t *requests,
                                         size_t count, unsigned mode,
                                         float *logits, size_t capacity) {
  return nhc_session_step(session, requests, count, (nhc_logits_mode_t)mode,
                          logits, capacity);
}

const char *nhc_test_status_string_raw(unsigned status) {
  return nhc_status_string((nhc_status_t)status);
}

const char *nhc_test_dtype_name_raw(unsigned dtype) {
  return nhc_dtype_name((nhc_dtype_t)dtype);
}

size_t nhc_test_dtype_size_raw(unsigned dtype) {
  return nhc_dtype_size((nhc_dtype_t)dtype);
}

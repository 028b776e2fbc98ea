//===- error.h - Internal error reporting -------------------*- C++ -*-===//
//
// Inside the runtime, failures are thrown as nhc::runtime::Error and turned
// into an nhc_status_t plus a thread-local message at the C API boundary by
// guard(). Exceptions never cross the C API.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_RUNTIME_SRC_ERROR_H
#define NHC_RUNTIME_SRC_ERROR_H

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "nhc/format/message.h"
#include "nhc/runtime/status.h"

namespace nhc::runtime {

/// A failure with the status code the C API will return.
class Error : public std::exception {
public:
  Error(nhc_status_t status, std::string message)
      : status_(status), message_(std::move(message)) {}
  nhc_status_t status() const { return status_; }
  const char *what() const noexcept override { return message_.c_str(); }

private:
  nhc_status_t status_;
  std::string message_;
};

// Message building is shared with the format library.
using format::cat;
using format::hex64;

/// Records `message` as this thread's last error and returns `status`.
nhc_status_t setLastError(nhc_status_t status, const std::string &message);

/// Throws Error(status, message) if `condition` is false. A macro so the
/// message is only built on failure: success paths stay allocation-free, and
/// the message may refer to state that is only valid when the check fails.
#define NHC_CHECK(condition, status, message)                                  \
  do {                                                                         \
    if (!(condition))                                                          \
      throw ::nhc::runtime::Error((status), (message));                        \
  } while (0)

/// Runs `body` (returning void) and maps exceptions to status codes; `api`
/// names the entry point for unexpected failures.
template <typename F> nhc_status_t guard(const char *api, F &&body) noexcept {
  try {
    body();
    return NHC_OK;
  } catch (const Error &e) {
    return setLastError(e.status(), e.what());
  } catch (const std::bad_alloc &) {
    return setLastError(NHC_OUT_OF_MEMORY, cat(api, ": out of memory"));
  } catch (const std::length_error &e) {
    // A container asked for more than it can ever hold: an allocation
    // failure too, not a bug.
    return setLastError(NHC_OUT_OF_MEMORY,
                        cat(api, ": out of memory (", e.what(), ")"));
  } catch (const std::exception &e) {
    return setLastError(NHC_INTERNAL, cat(api, ": internal error: ", e.what()));
  } catch (...) {
    return setLastError(NHC_INTERNAL, cat(api, ": unknown internal error"));
  }
}

/// The integer a C caller passed for an enum parameter. The caller may pass
/// any value of the enum's underlying type; loading one outside the
/// enumerators as the enum type is undefined behaviour in C++ (UBSan flags
/// it), so entry points copy the bits out first and validate the integer.
template <typename Enum>
std::underlying_type_t<Enum> enumBits(const Enum &value) {
  static_assert(std::is_enum_v<Enum>, "enumBits takes a C enum");
  std::underlying_type_t<Enum> bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

/// Null-argument check used by every entry point.
#define NHC_CHECK_ARG(arg, api)                                                \
  NHC_CHECK(                                                                   \
      (arg) != nullptr, NHC_INVALID_ARGUMENT,                                  \
      ::nhc::runtime::cat(api, ": argument '", #arg, "' must not be NULL"))

} // namespace nhc::runtime

#endif // NHC_RUNTIME_SRC_ERROR_H

//===- dtype.cpp - Element type names and sizes ---------------------------===//

#include <cstring>
#include <type_traits>

#include "error.h"
#include "fp8.h"
#include "narrow_gemm.h"
#include "nhc/runtime/dtype.h"

namespace {

struct DtypeEntry {
  nhc_dtype_t dtype;
  const char *name; // safetensors spelling
  size_t size;
};

constexpr DtypeEntry kDtypes[] = {
    {NHC_DTYPE_BOOL, "BOOL", 1},       {NHC_DTYPE_U8, "U8", 1},
    {NHC_DTYPE_I8, "I8", 1},           {NHC_DTYPE_F8_E4M3, "F8_E4M3", 1},
    {NHC_DTYPE_F8_E5M2, "F8_E5M2", 1}, {NHC_DTYPE_F8_E8M0, "F8_E8M0", 1},
    {NHC_DTYPE_U16, "U16", 2},         {NHC_DTYPE_I16, "I16", 2},
    {NHC_DTYPE_F16, "F16", 2},         {NHC_DTYPE_BF16, "BF16", 2},
    {NHC_DTYPE_U32, "U32", 4},         {NHC_DTYPE_I32, "I32", 4},
    {NHC_DTYPE_F32, "F32", 4},         {NHC_DTYPE_U64, "U64", 8},
    {NHC_DTYPE_I64, "I64", 8},         {NHC_DTYPE_F64, "F64", 8},
};

/// The entry of a caller's dtype, compared as an integer: the value may be
/// outside the enum (see enumBits).
const DtypeEntry *findEntry(const nhc_dtype_t &dtype) {
  std::underlying_type_t<nhc_dtype_t> bits = nhc::runtime::enumBits(dtype);
  for (const DtypeEntry &entry : kDtypes)
    if (static_cast<std::underlying_type_t<nhc_dtype_t>>(entry.dtype) == bits)
      return &entry;
  return nullptr;
}

} // namespace

extern "C" {

nhc_dtype_t nhc_dtype_from_string(const char *name) {
  if (!name)
    return NHC_DTYPE_INVALID;
  for (const DtypeEntry &entry : kDtypes)
    if (std::strcmp(entry.name, name) == 0)
      return entry.dtype;
  return NHC_DTYPE_INVALID;
}

const char *nhc_dtype_name(nhc_dtype_t dtype) {
  const DtypeEntry *entry = findEntry(dtype);
  return entry ? entry->name : "INVALID";
}

size_t nhc_dtype_size(nhc_dtype_t dtype) {
  const DtypeEntry *entry = findEntry(dtype);
  return entry ? entry->size : 0;
}

} // extern "C"

float nhc_e4m3_to_f32(uint8_t bits) { return nhc::runtime::e4m3ToF32(bits); }

uint8_t nhc_f32_to_e4m3(float x, float scale) {
  return nhc::runtime::e4m3Bits(nhc::runtime::quantizeE4M3(x, scale));
}

nhc_status_t nhc_dtype_widen(nhc_dtype_t dtype, const void *src, size_t count,
                             float *dst) {
  using namespace nhc::runtime;
  return guard("nhc_dtype_widen", [&] {
    NHC_CHECK(dtype == NHC_DTYPE_F32 || isNarrowWeight(dtype),
              NHC_UNSUPPORTED,
              cat("nhc_dtype_widen: ", nhc_dtype_name(dtype),
                  " is not F32, BF16, F16 or F8_E4M3"));
    NHC_CHECK(count == 0 || (src && dst), NHC_INVALID_ARGUMENT,
              "nhc_dtype_widen: src or dst is NULL");
    widenToF32(src, dtype, count, dst);
  });
}

//===- safetensors.cpp - Parse and validate one .safetensors file ---------===//

#include "safetensors.h"

#include <algorithm>
#include <cstring>

#include "error.h"
#include "json_fields.h"
#include "nhc/runtime/checked_math.h"
#include "nhc/runtime/limits.h"

namespace nhc::runtime {

namespace {

struct Extent {
  uint64_t begin;
  uint64_t end;
  const std::string *name;
};

/// Dtypes the format defines (safetensors 0.8's Dtype, and the FNUZ FP8
/// kinds its torch loader names) that nhc computes with in none of its
/// kernels, with their bits per element: a checkpoint may carry tensors of
/// them that no artifact binds, as transformers loads it then.
struct OtherDtype {
  const char *name;
  unsigned bits;
};
constexpr OtherDtype kOtherDtypes[] = {
    {"F4", 4},           {"F6_E2M3", 6},     {"F6_E3M2", 6}, {"C64", 64},
    {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8},
};

/// The tensor's dtype; for one of kOtherDtypes, also its name and bits.
nhc_dtype_t parseDtype(const Json &value, const std::string &at,
                       std::string &otherName, unsigned &bits) {
  if (value.is_string())
    for (const OtherDtype &other : kOtherDtypes)
      if (value.get<std::string>() == other.name) {
        otherName = other.name;
        bits = other.bits;
        return NHC_DTYPE_INVALID;
      }
  nhc_dtype_t dtype = asDtype(value, at);
  bits = 8 * static_cast<unsigned>(nhc_dtype_size(dtype));
  return dtype;
}

/// Validates one header entry against the data region of `dataSize` bytes.
SafetensorsTensor parseTensor(const std::string &name, const Json &entry,
                              const uint8_t *dataRegion, uint64_t dataSize,
                              const std::string &where, Extent &extent) {
  std::string at = cat(where, ": tensor '", name, "'");
  requireObject(entry, at);
  SafetensorsTensor tensor;
  tensor.name = name;
  unsigned bits = 0;
  tensor.dtype = parseDtype(requireField(entry, "dtype", at), at + ": dtype",
                            tensor.storedDtype, bits);
  tensor.shape = asShape(requireField(entry, "shape", at), at + ": shape");

  const Json &offsets = requireField(entry, "data_offsets", at);
  NHC_CHECK(offsets.is_array() && offsets.size() == 2, NHC_INVALID_FORMAT,
            cat(at, ": data_offsets must be an array [begin, end]"));
  uint64_t begin = asUInt(offsets[0], at + ": data_offsets[0]");
  uint64_t end = asUInt(offsets[1], at + ": data_offsets[1]");
  NHC_CHECK(begin <= end, NHC_INVALID_FORMAT,
            cat(at, ": data_offsets [", begin, ", ", end, "] has begin > end"));
  NHC_CHECK(rangeWithin(begin, end - begin, dataSize), NHC_INVALID_FORMAT,
            cat(at, ": data_offsets [", begin, ", ", end,
                "] extend past the data region (", dataSize, " bytes)"));

  // Bits, then bytes: the format refuses a tensor of sub-byte elements
  // that ends inside a byte.
  std::optional<uint64_t> expectedBits = checkedByteSize(tensor.shape, bits);
  NHC_CHECK(expectedBits.has_value(), NHC_INVALID_FORMAT,
            cat(at, ": shape ", shapeToString(tensor.shape),
                " overflows 64-bit byte size"));
  NHC_CHECK(*expectedBits % 8 == 0, NHC_INVALID_FORMAT,
            cat(at, ": ", storedDtypeName(tensor), " ",
                shapeToString(tensor.shape), " is ", *expectedBits,
                " bits, not whole bytes"));
  const uint64_t expected = *expectedBits / 8;
  NHC_CHECK(expected == end - begin, NHC_INVALID_FORMAT,
            cat(at, ": data_offsets [", begin, ", ", end, "] cover ",
                end - begin, " bytes, but ", storedDtypeName(tensor), " ",
                shapeToString(tensor.shape), " needs ", expected));

  tensor.data = dataRegion + begin;
  tensor.byteSize = end - begin;
  extent = Extent{begin, end, nullptr};
  return tensor;
}

} // namespace

const char *storedDtypeName(const SafetensorsTensor &tensor) {
  return tensor.storedDtype.empty() ? nhc_dtype_name(tensor.dtype)
                                    : tensor.storedDtype.c_str();
}

std::unique_ptr<SafetensorsFile> openSafetensors(const std::string &path) {
  std::string where = cat("safetensors '", path, "'");
  auto result = std::make_unique<SafetensorsFile>();
  result->file = MappedFile::open(path, "safetensors");
  const MappedFile &file = *result->file;

  NHC_CHECK(file.size() >= 8, NHC_INVALID_FORMAT,
            cat(where, ": file is ", file.size(),
                " bytes, too small for the 8-byte header length"));
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i) // little-endian, independent of host order
    headerSize = (headerSize << 8) | file.data()[i];
  NHC_CHECK(headerSize <= file.size() - 8, NHC_INVALID_FORMAT,
            cat(where, ": header length ", headerSize,
                " exceeds the file size (", file.size(),
                " bytes): file is truncated or not safetensors"));
  NHC_CHECK(headerSize <= kMaxSafetensorsHeaderBytes, NHC_INVALID_FORMAT,
            cat(where, ": header length ", headerSize, " exceeds the limit ",
                kMaxSafetensorsHeaderBytes,
                " bytes (nhc::kMaxSafetensorsHeaderBytes)"));

  // The format: the header begins with '{' and is padded with spaces; the
  // reference loader (serde_json) refuses a byte-order mark or NUL padding
  // there and, as here, accepts JSON whitespace after the object.
  const char *headerText = reinterpret_cast<const char *>(file.data() + 8);
  NHC_CHECK(headerSize > 0 && headerText[0] == '{', NHC_INVALID_FORMAT,
            cat(where, ": header does not begin with '{' (a byte-order mark, "
                       "or not safetensors)"));
  const void *nul = std::memchr(headerText, 0, headerSize);
  NHC_CHECK(!nul, NHC_INVALID_FORMAT,
            cat(where, ": header holds a NUL byte at byte ",
                static_cast<const char *>(nul) - headerText,
                " (padding is spaces)"));
  Json header = parseJson(headerText, headerSize, where + ": header");
  requireObject(header, where + ": header");
  requireAtMost(header.size(), kMaxWeights, "nhc::kMaxWeights",
                where + ": header: the number of tensors");

  const uint8_t *dataRegion = file.data() + 8 + headerSize;
  uint64_t dataSize = file.size() - 8 - headerSize;
  std::vector<Extent> extents;
  withJsonErrors(where + ": header", [&] {
    for (auto it = header.begin(); it != header.end(); ++it) {
      if (it.key() == "__metadata__") {
        // The format's metadata is a map of strings to strings (unused here,
        // but a file the reference loader refuses is refused here too).
        std::string at = cat(where, ": __metadata__");
        requireObject(it.value(), at);
        for (auto field = it.value().begin(); field != it.value().end();
             ++field)
          asString(field.value(), cat(at, ".", field.key()));
        continue;
      }
      // Tensor names reach C callers (nhc_tensor_desc_t.name) as C strings.
      requireName(it.key(), cat(where, ": tensor name"));
      Extent extent{};
      result->tensors.push_back(parseTensor(it.key(), it.value(), dataRegion,
                                            dataSize, where, extent));
      extents.push_back(extent);
    }
  });
  // Names are stable only once the vector stops growing.
  for (size_t i = 0; i < extents.size(); ++i)
    extents[i].name = &result->tensors[i].name;

  // The tensors tile the data region in offset order, as the format (and
  // its reference loader) requires: no shared bytes, no holes, nothing
  // after the last tensor (so no second file hides in one). An empty tensor
  // sits where the previous one ends.
  std::sort(extents.begin(), extents.end(), [](const Extent &a, const Extent &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  const Extent *previous = nullptr;
  for (const Extent &extent : extents) {
    NHC_CHECK(extent.begin >= covered || !previous, NHC_INVALID_FORMAT,
              cat(where, ": tensors '", *previous->name, "' [", previous->begin,
                  ", ", previous->end, ") and '", *extent.name, "' [",
                  extent.begin, ", ", extent.end, ") overlap"));
    NHC_CHECK(extent.begin == covered, NHC_INVALID_FORMAT,
              cat(where, ": bytes [", covered, ", ", extent.begin,
                  ") of the data region, before tensor '", *extent.name,
                  "', belong to no tensor (the format allows no holes)"));
    covered = extent.end;
    previous = &extent;
  }
  NHC_CHECK(covered == dataSize, NHC_INVALID_FORMAT,
            cat(where, ": the data region holds ", dataSize - covered,
                " bytes after the last tensor (at ", covered,
                "); the format allows none"));

  std::sort(result->tensors.begin(), result->tensors.end(),
            [](const SafetensorsTensor &a, const SafetensorsTensor &b) {
              return a.name < b.name;
            });
  return result;
}

} // namespace nhc::runtime

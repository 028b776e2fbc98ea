//===- nhc/format/chip_name.h - GPU target names ----------------*- C++ -*-===//
//
// The one reader of a GPU target's name ("sm_90", "sm_90a"): the compiler's
// `--target=cuda:` list and its griddepcontrol pass, and the runtime's cubin
// sections and launch table, all parse it here. Header-only, standard C++.
//
//===----------------------------------------------------------------------===//
#ifndef NHC_FORMAT_CHIP_NAME_H
#define NHC_FORMAT_CHIP_NAME_H

#include <string_view>

namespace nhc::format {

/// A GPU target's name: "sm_<n>" with n of 1 to 3 digits and n > 0, then
/// optionally a suffix of lower-case letters ("sm_90a": arch-specific code).
/// `number` is n (the compute capability as major * 10 + minor), or -1 for
/// any other name.
struct ChipName {
  int number = -1;
  bool suffixed = false;
};

inline ChipName parseChipName(std::string_view name) {
  ChipName chip;
  if (name.substr(0, 3) != "sm_")
    return chip;
  size_t i = 3;
  int n = 0;
  for (; i < name.size() && i < 6 && name[i] >= '0' && name[i] <= '9'; ++i)
    n = n * 10 + (name[i] - '0');
  if (i == 3 || n == 0)
    return chip;
  for (size_t j = i; j < name.size(); ++j)
    if (name[j] < 'a' || name[j] > 'z')
      return chip;
  chip.number = n;
  chip.suffixed = i < name.size();
  return chip;
}

} // namespace nhc::format

#endif // NHC_FORMAT_CHIP_NAME_H

// The GPU target name reader that the compiler and the runtime share
// (nhc/format/chip_name.h).
#include "nhc/format/chip_name.h"

#include <gtest/gtest.h>

namespace {

using nhc::format::parseChipName;

TEST(ChipName, NumbersAndSuffixes) {
  EXPECT_EQ(parseChipName("sm_80").number, 80);
  EXPECT_FALSE(parseChipName("sm_80").suffixed);
  EXPECT_EQ(parseChipName("sm_90a").number, 90);
  EXPECT_TRUE(parseChipName("sm_90a").suffixed);
  EXPECT_EQ(parseChipName("sm_100f").number, 100);
  EXPECT_EQ(parseChipName("sm_5").number, 5);
}

TEST(ChipName, AnythingElseIsNoChip) {
  for (const char *name :
       {"", "sm_", "sm", "sm_0", "sm_000", "sm_1000", "sm_90-a", "sm_90A",
        "sm_9 0", "SM_90", "compute_90", "sm_-90", "sm_90\n", "xsm_90"})
    EXPECT_EQ(parseChipName(name).number, -1) << "'" << name << "'";
  // A NUL inside the name is not the end of it.
  EXPECT_EQ(parseChipName(std::string_view("sm_90\0a", 7)).number, -1);
}

} // namespace

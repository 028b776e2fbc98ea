//===- status_test.cpp - Status strings, last error, dtypes ---------------===//

#include <thread>

#include <gtest/gtest.h>

#include "c_callers.h"
#include "nhc/runtime/api.h"

namespace {

TEST(StatusTest, StringsAreDistinctAndNamed) {
  EXPECT_STREQ(nhc_status_string(NHC_OK), "ok");
  EXPECT_STREQ(nhc_status_string(NHC_CHECKSUM_MISMATCH), "checksum mismatch");
  // C callers may pass any integer (C++ code cannot even form one).
  EXPECT_STREQ(nhc_test_status_string_raw(999), "unknown status");
  EXPECT_STREQ(nhc_test_status_string_raw(0xffffffffu), "unknown status");
}

TEST(StatusTest, LastErrorIsPerThread) {
  nhc_artifact_t *artifact = nullptr;
  ASSERT_NE(nhc_artifact_load("/does/not/exist.nhc", &artifact), NHC_OK);
  std::string mine = nhc_last_error();
  EXPECT_NE(mine.find("/does/not/exist.nhc"), std::string::npos);

  std::string other;
  std::thread([&] { other = nhc_last_error(); }).join();
  EXPECT_EQ(other, "");
  EXPECT_EQ(std::string(nhc_last_error()), mine);

  nhc_clear_last_error();
  EXPECT_STREQ(nhc_last_error(), "");
}

TEST(DtypeTest, SafetensorsSpellings) {
  EXPECT_EQ(nhc_dtype_from_string("BF16"), NHC_DTYPE_BF16);
  EXPECT_EQ(nhc_dtype_from_string("F8_E4M3"), NHC_DTYPE_F8_E4M3);
  EXPECT_EQ(nhc_dtype_from_string("bf16"), NHC_DTYPE_INVALID);
  EXPECT_EQ(nhc_dtype_from_string("F4"), NHC_DTYPE_INVALID);
  EXPECT_EQ(nhc_dtype_from_string(nullptr), NHC_DTYPE_INVALID);
  EXPECT_STREQ(nhc_dtype_name(NHC_DTYPE_I64), "I64");
  EXPECT_STREQ(nhc_dtype_name(NHC_DTYPE_INVALID), "INVALID");
  EXPECT_EQ(nhc_dtype_size(NHC_DTYPE_F32), 4u);
  EXPECT_EQ(nhc_dtype_size(NHC_DTYPE_BF16), 2u);
  EXPECT_EQ(nhc_dtype_size(NHC_DTYPE_F8_E4M3), 1u);
  EXPECT_EQ(nhc_dtype_size(NHC_DTYPE_F64), 8u);
  EXPECT_EQ(nhc_dtype_size(NHC_DTYPE_INVALID), 0u);
  EXPECT_STREQ(nhc_test_dtype_name_raw(999), "INVALID");
  EXPECT_EQ(nhc_test_dtype_size_raw(0xffffffffu), 0u);
  // Every valid dtype round-trips through its name.
  for (int d = NHC_DTYPE_BOOL; d <= NHC_DTYPE_F64; ++d) {
    auto dtype = static_cast<nhc_dtype_t>(d);
    EXPECT_EQ(nhc_dtype_from_string(nhc_dtype_name(dtype)), dtype);
    EXPECT_GT(nhc_dtype_size(dtype), 0u);
  }
}

} // namespace

//===- safetensors_test.cpp - Safetensors header parsing ------------------===//

#include <cstring>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nhc/runtime/api.h"
#include "test_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class SafetensorsTest : public ::testing::Test {
protected:
  std::string path() const { return dir.file("w.safetensors"); }

  nhc_status_t open(const Bytes &bytes) {
    writeBytes(path(), bytes);
    nhc_weights_t *weights = nullptr;
    nhc_status_t status = nhc_weights_open(path().c_str(), &weights);
    nhc_weights_release(weights);
    return status;
  }

  /// One F32 [2, 3] tensor "t" with the given data_offsets.
  static std::string header(uint64_t begin, uint64_t end,
                            const char *dtype = "F32") {
    return Json{
        {"t",
         {{"dtype", dtype}, {"shape", {2, 3}}, {"data_offsets", {begin, end}}}}}
        .dump();
  }

  TempDir dir;
};

TEST_F(SafetensorsTest, ReadsTensors) {
  SafetensorsBuilder builder;
  builder.metadata(Json::object({{"format", "pt"}}))
      .add("b.weight", "BF16", {3, 5})
      .add("a.bias", "F32", {7})
      .add("empty", "I64", {0, 4})
      .add("scale", "F32", {});
  builder.write(path());

  nhc_weights_t *weights = nullptr;
  ASSERT_EQ(nhc_weights_open(path().c_str(), &weights), NHC_OK) << lastError();
  ASSERT_EQ(nhc_weights_tensor_count(weights), 4u); // __metadata__ skipped

  nhc_tensor_info_t info;
  ASSERT_EQ(nhc_weights_tensor_at(weights, 0, &info), NHC_OK);
  EXPECT_STREQ(info.desc.name, "a.bias"); // sorted by name

  ASSERT_EQ(nhc_weights_find(weights, "b.weight", &info), NHC_OK);
  EXPECT_EQ(info.desc.dtype, NHC_DTYPE_BF16);
  EXPECT_EQ(info.desc.rank, 2u);
  EXPECT_EQ(info.desc.shape[0], 3u);
  EXPECT_EQ(info.desc.shape[1], 5u);
  EXPECT_EQ(info.desc.shape[2], 0u);
  EXPECT_EQ(info.byte_size, 30u);
  EXPECT_STREQ(info.file, path().c_str());
  const Bytes &expected = builder.data("b.weight");
  EXPECT_EQ(std::memcmp(info.data, expected.data(), expected.size()), 0);

  ASSERT_EQ(nhc_weights_find(weights, "scale", &info), NHC_OK);
  EXPECT_EQ(info.desc.rank, 0u);
  EXPECT_EQ(info.byte_size, 4u);
  ASSERT_EQ(nhc_weights_find(weights, "empty", &info), NHC_OK);
  EXPECT_EQ(info.byte_size, 0u);

  EXPECT_EQ(nhc_weights_find(weights, "nope", &info), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("'nope'"), HasSubstr(path())));
  nhc_weights_release(weights);
}

TEST_F(SafetensorsTest, FileTooSmall) {
  EXPECT_EQ(open(Bytes(5, 0)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()), HasSubstr("5 bytes"),
                                 HasSubstr("8-byte header length")));
}

TEST_F(SafetensorsTest, TruncatedHeader) {
  Bytes bytes = tinyCheckpoint().build();
  bytes.resize(8 + 20); // cut inside the JSON header
  EXPECT_EQ(open(bytes), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()), HasSubstr("header length"),
                                 HasSubstr("exceeds the file size")));
}

TEST_F(SafetensorsTest, HeaderNotJson) {
  EXPECT_EQ(open(rawSafetensors("{\"t\": [1, 2", 0)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr(path()), HasSubstr("not valid JSON")));
}

TEST_F(SafetensorsTest, HeaderNotObject) {
  EXPECT_EQ(open(rawSafetensors("[1, 2]", 0)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("header does not begin with '{'"));
}

TEST_F(SafetensorsTest, OffsetsPastDataRegion) {
  EXPECT_EQ(open(rawSafetensors(header(0, 24), 20)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr(path()), HasSubstr("tensor 't'"),
                    HasSubstr("extend past the data region (20 bytes)")));
}

TEST_F(SafetensorsTest, OffsetsBeginAfterEnd) {
  EXPECT_EQ(open(rawSafetensors(header(24, 0), 24)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("tensor 't'"), HasSubstr("begin > end")));
}

TEST_F(SafetensorsTest, OffsetsNotIntegers) {
  std::string text =
      R"({"t": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, "24"]}})";
  EXPECT_EQ(open(rawSafetensors(text, 24)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("data_offsets[1]"),
                                 HasSubstr("non-negative integer")));
}

TEST_F(SafetensorsTest, SizeDoesNotMatchShapeAndDtype) {
  // F32 [2, 3] needs 24 bytes; the offsets cover 12.
  EXPECT_EQ(open(rawSafetensors(header(0, 12), 24)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()), HasSubstr("tensor 't'"),
                                 HasSubstr("cover 12 bytes"),
                                 HasSubstr("F32 [2, 3] needs 24")));
}

TEST_F(SafetensorsTest, UnknownDtype) {
  EXPECT_EQ(open(rawSafetensors(header(0, 24, "Q4_K"), 24)),
            NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("tensor 't'"),
                                 HasSubstr("unsupported dtype 'Q4_K'")));
}

// Dtypes the format defines that nhc computes with nowhere: listed (as
// NHC_DTYPE_INVALID) at their size in bits, as safetensors 0.8 opens them,
// so a checkpoint carrying such a tensor the model does not use loads.
TEST_F(SafetensorsTest, DtypesNhcDoesNotReadAreListedAtTheirSize) {
  Json kinds = {
      {"f4", {{"dtype", "F4"}, {"shape", {2, 3}}, {"data_offsets", {0, 3}}}},
      {"f6", {{"dtype", "F6_E2M3"}, {"shape", {4}}, {"data_offsets", {3, 6}}}},
      {"c64", {{"dtype", "C64"}, {"shape", {2}}, {"data_offsets", {6, 22}}}},
      {"fnuz",
       {{"dtype", "F8_E4M3FNUZ"}, {"shape", {2}}, {"data_offsets", {22, 24}}}}};
  writeBytes(path(), rawSafetensors(kinds.dump(), 24));
  nhc_weights_t *weights = nullptr;
  ASSERT_EQ(nhc_weights_open(path().c_str(), &weights), NHC_OK) << lastError();
  ASSERT_EQ(nhc_weights_tensor_count(weights), 4u);
  const std::pair<const char *, uint64_t> sizes[] = {
      {"f4", 3}, {"f6", 3}, {"c64", 16}, {"fnuz", 2}};
  for (const auto &[name, bytes] : sizes) {
    nhc_tensor_info_t info;
    ASSERT_EQ(nhc_weights_find(weights, name, &info), NHC_OK) << name;
    EXPECT_EQ(info.desc.dtype, NHC_DTYPE_INVALID) << name;
    EXPECT_EQ(info.byte_size, bytes) << name;
  }
  nhc_weights_release(weights);
  // Sizes are checked as for any dtype; sub-byte elements fill whole bytes.
  EXPECT_EQ(open(rawSafetensors(header(0, 24, "C64"), 24)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("C64 [2, 3] needs 48"));
  Json odd = {{"t", {{"dtype", "F4"}, {"shape", {3}}, {"data_offsets", {0, 2}}}}};
  EXPECT_EQ(open(rawSafetensors(odd.dump(), 2)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("F4 [3] is 12 bits, not whole bytes"));
}

TEST_F(SafetensorsTest, OverlappingTensors) {
  Json header = {
      {"a", {{"dtype", "U8"}, {"shape", {8}}, {"data_offsets", {0, 8}}}},
      {"b", {{"dtype", "U8"}, {"shape", {8}}, {"data_offsets", {4, 12}}}}};
  EXPECT_EQ(open(rawSafetensors(header.dump(), 12)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("'a'"), HasSubstr("'b'"), HasSubstr("overlap")));
}

TEST_F(SafetensorsTest, RepeatedTensorName) {
  // nlohmann alone would keep the second 't'; the reference loader refuses.
  std::string text = R"({"t": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                         "t": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]}})";
  EXPECT_EQ(open(rawSafetensors(text, 8)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()), HasSubstr("key \"t\""),
                                 HasSubstr("appears twice in one object")));
}

TEST_F(SafetensorsTest, RepeatedKeyInsideTensorEntry) {
  std::string text = R"({"t": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4],
                               "dtype": "F32"}})";
  EXPECT_EQ(open(rawSafetensors(text, 4)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("key \"dtype\" appears twice"));
}

TEST_F(SafetensorsTest, MetadataMustMapStringsToStrings) {
  std::string tensor =
      R"("t": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]})";
  EXPECT_EQ(open(rawSafetensors(
                R"({"__metadata__": {"format": "pt"}, )" + tensor + "}", 4)),
            NHC_OK)
      << lastError();
  EXPECT_EQ(open(rawSafetensors(
                R"({"__metadata__": {"step": 3}, )" + tensor + "}", 4)),
            NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()),
                                 HasSubstr("__metadata__.step")));
  EXPECT_EQ(open(rawSafetensors(R"({"__metadata__": [1], )" + tensor + "}", 4)),
            NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("__metadata__"),
                                 HasSubstr("expected a JSON object")));
}

// The format's rules, which Rust's safetensors enforces: the tensors tile
// the data region (no hole before, between or after them; empty tensors sit
// where the previous one ends), and the header begins with '{' and is
// padded with spaces only.
TEST_F(SafetensorsTest, TensorsTileTheDataRegion) {
  auto u8 = [](uint64_t begin, uint64_t end) {
    return Json{{"dtype", "U8"}, {"shape", {end - begin}}, {"data_offsets", {begin, end}}};
  };
  EXPECT_EQ(open(rawSafetensors(
                Json{{"a", u8(0, 4)}, {"e", u8(4, 4)}, {"z", u8(0, 0)}, {"b", u8(4, 8)}}
                    .dump(),
                8)),
            NHC_OK)
      << lastError();
  EXPECT_EQ(open(rawSafetensors(Json{{"a", u8(0, 4)}, {"b", u8(8, 12)}}.dump(), 12)),
            NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()), HasSubstr("bytes [4, 8)"),
                                 HasSubstr("before tensor 'b'"), HasSubstr("no holes")));
  EXPECT_EQ(open(rawSafetensors(Json{{"t", u8(4, 8)}}.dump(), 8)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("bytes [0, 4) of the data region, before tensor 't'"));
  EXPECT_EQ(open(rawSafetensors(Json{{"t", u8(0, 4)}}.dump(), 9)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()),
                                 HasSubstr("5 bytes after the last tensor (at 4)")));
  EXPECT_EQ(open(rawSafetensors(Json{{"a", u8(0, 8)}, {"e", u8(4, 4)}}.dump(), 8)),
            NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("'a'"), HasSubstr("'e'"), HasSubstr("overlap")));
}

TEST_F(SafetensorsTest, HeaderBeginsWithABraceAndIsPaddedWithSpaces) {
  const std::string header = Json{{"t", {{"dtype", "U8"}, {"shape", {4}}, {"data_offsets", {0, 4}}}}}.dump();
  EXPECT_EQ(open(rawSafetensors(header + "   ", 4)), NHC_OK) << lastError();
  EXPECT_EQ(open(rawSafetensors("\xEF\xBB\xBF" + header, 4)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr(path()), HasSubstr("does not begin with '{'")));
  EXPECT_EQ(open(rawSafetensors(header + std::string(3, '\0'), 4)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("header holds a NUL byte at byte " +
                                     std::to_string(header.size())));
}

TEST_F(SafetensorsTest, ShapeOverflow) {
  Json header = {{"t",
                  {{"dtype", "F32"},
                   {"shape", {uint64_t{1} << 40, uint64_t{1} << 40}},
                   {"data_offsets", {0, 0}}}}};
  EXPECT_EQ(open(rawSafetensors(header.dump(), 0)), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("overflows"));
}

} // namespace
} // namespace nhc::test

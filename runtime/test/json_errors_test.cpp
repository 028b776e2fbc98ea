//===- json_errors_test.cpp - Untrusted JSON of every shape ---------------===//
//
// Manifests, safetensors headers and shard indexes are untrusted JSON. Any
// value of an unexpected type, anywhere, must end in an error that names the
// file, never in an nlohmann exception turned "internal error". The tests
// replace every node of valid documents with values of every JSON type and
// check the status and the message. Names (tensors, buffers, kernels,
// shard files) must not hide a NUL byte, which C callers would read as the
// end of another, shorter name.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "json_fields.h" // runtime/src: withJsonErrors
#include "nhc/runtime/api.h"
#include "session_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// --- withJsonErrors -------------------------------------------------------

TEST(JsonErrorsTest, EveryNlohmannExceptionClassNamesTheFile) {
  std::vector<std::function<void()>> throwers = {
      [] { (void)Json::parse("{"); },                     // parse_error
      [] { (void)Json(1).get<std::string>(); },           // type_error
      [] { (void)Json::array().at(3); },                  // out_of_range
      [] {                                                // invalid_iterator
        Json array = Json::array({1});
        Json object = Json::object({{"a", 1}});
        array.erase(object.begin());
      },
      [] { // other_error: a failed JSON patch "test"
        (void)Json(1).patch(Json::array({Json::object(
            {{"op", "test"}, {"path", ""}, {"value", 2}})}));
      },
  };
  for (size_t i = 0; i < throwers.size(); ++i) {
    try {
      runtime::withJsonErrors("safetensors '/x.safetensors': header",
                              throwers[i]);
      ADD_FAILURE() << "thrower " << i << " did not throw";
    } catch (const runtime::Error &e) {
      EXPECT_EQ(e.status(), NHC_INVALID_FORMAT) << i;
      EXPECT_THAT(e.what(),
                  AllOf(StartsWith("safetensors '/x.safetensors': header: "
                                   "unexpected JSON value: "),
                        HasSubstr("[json.exception.")))
          << i;
    }
  }
  // Errors of the runtime's own pass through unchanged.
  try {
    runtime::withJsonErrors("w", [] {
      throw runtime::Error(NHC_NOT_FOUND, "mine");
    });
  } catch (const runtime::Error &e) {
    EXPECT_EQ(e.status(), NHC_NOT_FOUND);
    EXPECT_STREQ(e.what(), "mine");
  }
}

// --- Every node of a document, replaced by every kind of value -------------

/// Values of every JSON type, including out-of-range numbers and nesting.
std::vector<Json> hostileValues() {
  return {nullptr,
          true,
          -1,
          0,
          1.5,
          1e300,
          Json(UINT64_MAX),
          "x",
          "",
          Json::array(),
          Json::array({Json::array({Json::array()})}),
          Json::object(),
          Json::object({{"x", Json::array({1, "y"})}})};
}

/// JSON pointers of every node below the root of `doc`.
std::vector<Json::json_pointer> allPointers(const Json &doc) {
  std::vector<Json::json_pointer> out;
  Json flat = doc.flatten(); // leaves only
  std::vector<std::string> seen;
  for (auto it = flat.begin(); it != flat.end(); ++it) {
    // Every prefix of a leaf's pointer is a node too.
    Json::json_pointer p(it.key());
    while (!p.empty()) {
      std::string text = p.to_string();
      if (std::find(seen.begin(), seen.end(), text) == seen.end()) {
        seen.push_back(text);
        out.push_back(p);
      }
      p = p.parent_pointer();
    }
  }
  return out;
}

/// For every node of `doc`: removes it, then replaces it with each hostile
/// value, and calls `check(mutated, description)`.
void forEachMutation(
    const Json &doc,
    const std::function<void(const Json &, const std::string &)> &check) {
  for (const Json::json_pointer &p : allPointers(doc)) {
    Json removed = doc;
    Json &parent = removed[p.parent_pointer()];
    if (parent.is_object())
      parent.erase(p.back());
    else
      parent.erase(std::stoul(p.back()));
    check(removed, "removing " + p.to_string());
    for (const Json &value : hostileValues()) {
      Json mutated = doc;
      mutated[p] = value;
      check(mutated, p.to_string() + " = " + value.dump());
    }
  }
}

/// A small manifest that uses every form once: fixed and sequence state, a
/// weight with alternatives, every kernel argument form, a gemm with bias
/// and epilogue into the logits, and a stacked moe_experts.
Json everyFormManifest() {
  Json m = baseManifest(16, 8, 2);
  addWeight(m, "emb", "F32", {16, 8});
  addWeight(m, "head", "F32", {16, 8});
  m["weights"][1]["alternatives"] = {
      {{"name", "emb"}}, {{"name", "stacked"}, {"index", 0}, {"count", 2}}};
  addWeight(m, "bias", "F32", {16});
  addWeight(m, "up", "F32", {2, 4, 8});
  addWeight(m, "down", "F32", {2, 8, 4});
  m["state"] = {stateTensor("layers.0.conv_state", 0, "F32", {8, 3}),
                stateTensor("layers.0.ssm_state", 0, "F32", {1, 2, 8}),
                stateTensor("layers.1.k_cache", 1, "F32",
                            Json::array({"max_seq_len", 1, 8})),
                stateTensor("layers.1.v_cache", 1, "F32",
                            Json::array({"max_seq_len", 1, 8}))};
  m["buffers"] = {bufferSpec("x", "token", 8), bufferSpec("y", "token", 8),
                  bufferSpec("idx", "token", 2, "i32"),
                  bufferSpec("rw", "token", 2),
                  bufferSpec("w", "request", 2, "I64")};
  m["kernels"] = {{{"name", "k"},
                   {"params", {"memref", "memref", "memref", "memref",
                               "memref", "index", "index", "f32"}}},
                  {{"name", "out"}, {"params", {"memref", "memref"}}}};
  m["schedules"]["body"] = {
      kernelCall("k", {tokenIdsArg(), weightArg("emb"),
                       stateArg("layers.0.conv_state"),
                       stateArg("layers.1.v_cache"), requestsArg(),
                       dimArg("tokens", 8), indexArg(-3), f32Arg(0.5f)}),
      {{"library", "moe_experts"}, {"input", "x"}, {"indices", "idx"},
       {"weights", "rw"}, {"output", "y"}, {"up", "up"}, {"down", "down"},
       {"num_experts", 2}, {"top_k", 2}, {"hidden", 8}, {"intermediate", 4},
       {"activation", "relu2"}}};
  m["schedules"]["head_last"] = Json::array({Json::object(
      {{"library", "gemm"}, {"a", "x"}, {"lda", 8}, {"a_offset", 0},
       {"w", "head"}, {"bias", "bias"}, {"c", "logits"}, {"ldc", 16},
       {"c_offset", 0}, {"n", 16}, {"k", 8}, {"m", "requests"},
       {"accumulate", false}, {"epilogue", "relu"}})});
  m["schedules"]["head_all"] = Json::array(
      {kernelCall("out", {bufferArg("y"), logitsArg()})});
  return m;
}

TEST(JsonMutationTest, ManifestNodesOfAnyTypeFailCleanly) {
  Json manifest = everyFormManifest();
  ASSERT_EQ(parseManifestStatus(manifest), NHC_OK) << lastError();
  size_t rejected = 0;
  forEachMutation(manifest, [&](const Json &m, const std::string &what) {
    nhc_status_t status = parseManifestStatus(m);
    ASSERT_THAT(status, AnyOf(Eq(NHC_OK), Eq(NHC_INVALID_FORMAT),
                              Eq(NHC_UNSUPPORTED_VERSION)))
        << what << ": " << lastError();
    if (status != NHC_OK) {
      ++rejected;
      ASSERT_THAT(lastError(), StartsWith("manifest 'm.json': ")) << what;
    }
  });
  EXPECT_GT(rejected, 500u);
}

TEST(JsonMutationTest, SafetensorsHeaderNodesOfAnyTypeFailCleanly) {
  TempDir dir;
  SafetensorsBuilder builder;
  builder.metadata(Json::object({{"format", "pt"}}))
      .add("a", "F32", {2, 3})
      .add("b", "BF16", {4});
  Json header = builder.header();
  size_t dataBytes = builder.build().size() - 8 - header.dump().size();
  std::string path = dir.file("w.safetensors");
  forEachMutation(header, [&](const Json &h, const std::string &what) {
    writeBytes(path, rawSafetensors(h.dump(), dataBytes));
    nhc_weights_t *weights = nullptr;
    nhc_status_t status = nhc_weights_open(path.c_str(), &weights);
    nhc_weights_release(weights);
    ASSERT_THAT(status, AnyOf(Eq(NHC_OK), Eq(NHC_INVALID_FORMAT)))
        << what << ": " << lastError();
    if (status != NHC_OK)
      ASSERT_THAT(lastError(), StartsWith("safetensors '" + path + "'"))
          << what;
  });
}

TEST(JsonMutationTest, IndexNodesOfAnyTypeFailCleanly) {
  TempDir dir;
  SafetensorsBuilder first, second;
  first.add("a", "F32", {2});
  second.add("b", "F32", {3});
  first.write(dir.file("one.safetensors"));
  second.write(dir.file("two.safetensors"));
  Json index = {{"metadata", {{"total_size", 20}}},
                {"weight_map",
                 {{"a", "one.safetensors"}, {"b", "two.safetensors"}}}};
  std::string path = dir.file("model.safetensors.index.json");
  forEachMutation(index, [&](const Json &i, const std::string &what) {
    writeText(path, i.dump());
    nhc_weights_t *weights = nullptr;
    nhc_status_t status = nhc_weights_open(path.c_str(), &weights);
    nhc_weights_release(weights);
    // A shard named "x" does not exist (I/O error); "" escapes (format).
    ASSERT_THAT(status, AnyOf(Eq(NHC_OK), Eq(NHC_INVALID_FORMAT),
                              Eq(NHC_NOT_FOUND), Eq(NHC_IO_ERROR)))
        << what << ": " << lastError();
    if (status != NHC_OK)
      ASSERT_THAT(lastError(),
                  AnyOf(StartsWith("safetensors index '" + path + "'"),
                        StartsWith("safetensors '" + dir.path())))
          << what;
  });
}

// --- NUL bytes inside names -----------------------------------------------

const std::string kNulName = std::string("w\0x", 3);

TEST(NulInNamesTest, ManifestNamesAreRejected) {
  Json m = toyModelManifest();
  m["weights"][0]["name"] = kNulName;
  EXPECT_EQ(parseManifestStatus(m), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("manifest 'm.json': weights[0].name: "
                                     "name \"w\\u0000x\" contains a NUL "
                                     "byte at position 1"));
  m = toyModelManifest();
  m["weights"][4]["alternatives"] =
      Json::array({Json::object({{"name", kNulName}})});
  EXPECT_EQ(parseManifestStatus(m), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("alternatives[0].name: name "
                                     "\"w\\u0000x\" contains a NUL byte"));
  m = toyModelManifest();
  m["buffers"][0]["name"] = kNulName;
  EXPECT_EQ(parseManifestStatus(m), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("buffers[0].name: name \"w\\u0000x\""));
  // A kernel name + "_packed" goes to dlsym as a C string, cut at the NUL.
  m = toyModelManifest();
  m["kernels"][2]["name"] = std::string("nhc_add\0evil", 12);
  EXPECT_EQ(parseManifestStatus(m), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("kernels[2].name: name "
                                     "\"nhc_add\\u0000evil\" contains a NUL "
                                     "byte at position 7"));
}

TEST(NulInNamesTest, RawNulInManifestTextIsInvalid) {
  // `size` covers the NUL: the text is not cut there, and JSON forbids it.
  std::string text = toyModelManifest().dump();
  text.insert(text.find("\"weights\""), 1, '\0');
  nhc_manifest_t *manifest = nullptr;
  EXPECT_EQ(nhc_manifest_parse(text.data(), text.size(), "nul.json",
                               &manifest),
            NHC_INVALID_FORMAT);
  EXPECT_EQ(manifest, nullptr);
  EXPECT_THAT(lastError(), StartsWith("manifest 'nul.json': not valid JSON"));
}

TEST(NulInNamesTest, SafetensorsTensorNamesAreRejected) {
  TempDir dir;
  std::string path = dir.file("w.safetensors");
  Json header = {{kNulName, {{"dtype", "F32"}, {"shape", {1}},
                             {"data_offsets", {0, 4}}}}};
  writeBytes(path, rawSafetensors(header.dump(), 4));
  nhc_weights_t *weights = nullptr;
  EXPECT_EQ(nhc_weights_open(path.c_str(), &weights), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("safetensors '" + path +
                                     "': tensor name: name \"w\\u0000x\" "
                                     "contains a NUL byte at position 1"));
}

TEST(NulInNamesTest, IndexNamesAreRejected) {
  TempDir dir;
  SafetensorsBuilder shard;
  shard.add("a", "F32", {2});
  shard.write(dir.file("one.safetensors"));
  std::string path = dir.file("model.safetensors.index.json");
  // The shard name would reach open() cut at the NUL.
  writeText(path, Json{{"weight_map",
                        {{"a", std::string("one.safetensors\0.evil", 21)}}}}
                      .dump());
  nhc_weights_t *weights = nullptr;
  EXPECT_EQ(nhc_weights_open(path.c_str(), &weights), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("safetensors index '" + path),
                                 HasSubstr("weight_map['a']: name "
                                           "\"one.safetensors\\u0000.evil\" "
                                           "contains a NUL byte")));
  writeText(path,
            Json{{"weight_map", {{kNulName, "one.safetensors"}}}}.dump());
  EXPECT_EQ(nhc_weights_open(path.c_str(), &weights), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("weight_map: tensor name: name "
                                     "\"w\\u0000x\" contains a NUL byte"));
  EXPECT_EQ(weights, nullptr);
}

} // namespace
} // namespace nhc::test

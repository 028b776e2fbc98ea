//===- session_create_test.cpp - Kernel loading, weights, state checks ----===//

#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <elf.h>

#include "nhc/runtime/api.h"
#include "nhc/runtime/limits.h"
#include "host_isa.h"
#include "nhc/format/container.h"
#include "nhc/format/host_isa.h"
#include "session_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(SessionCreateTest, MissingKernelSymbol) {
  Json m = toyModelManifest();
  m["kernels"].push_back({{"name", "nhc_ssd_scan"}, {"params", {"memref"}}});
  SessionFixture f;
  EXPECT_EQ(f.open(m, toyModelWeights()), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("model.nhc"), HasSubstr("kernel 'nhc_ssd_scan'"),
                    HasSubstr("symbol 'nhc_ssd_scan_packed' is missing from "
                              "the host library")));
  EXPECT_EQ(f.session, nullptr);
}

TEST(SessionCreateTest, BackendByName) {
  EXPECT_STREQ(nhc_backends(), "host,cuda");
  for (const char *name : {static_cast<const char *>(nullptr), "", "host"}) {
    SessionFixture f;
    ASSERT_EQ(f.open(toyModelManifest(), toyModelWeights(), 2, 8, true, name),
              NHC_OK)
        << lastError();
    EXPECT_STREQ(nhc_session_backend(f.session), "host");
  }
  EXPECT_STREQ(nhc_session_backend(nullptr), "");
}

TEST(SessionCreateTest, UnknownBackend) {
  SessionFixture f;
  EXPECT_EQ(f.open(toyModelManifest(), toyModelWeights(), 2, 8, true, "tpu"),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(),
              HasSubstr("unknown backend 'tpu' (this runtime has: host,cuda)"));
  EXPECT_EQ(f.session, nullptr);
}

TEST(SessionCreateTest, NoHostLibrarySection) {
  SessionFixture f;
  EXPECT_EQ(f.open(toyModelManifest(), toyModelWeights(), 2, 8,
                   /*withKernels=*/false),
            NHC_NOT_FOUND);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("model.nhc"), HasSubstr("(6 kernels)"),
                    HasSubstr("the artifact has no HOST_SHARED_LIBRARY "
                              "section (kind 2)")));
}

/// Creates a session from an artifact whose host library sections are
/// `sections` (level name -> the real test library, or junk bytes).
nhc_status_t openWithHostSections(
    const std::vector<std::pair<std::string, bool>> &sections) {
  format::ContainerWriter writer;
  writer.setManifest(toyModelManifest().dump());
  const Bytes &so = testKernelLibrary();
  for (const auto &[level, real] : sections)
    writer.addSection(
        NHC_SECTION_HOST_SHARED_LIBRARY, level,
        real ? std::string_view(reinterpret_cast<const char *>(so.data()),
                                so.size())
             : std::string_view("not an ELF file"));
  return tryToyModelSession(writer, "isa.nhc");
}

TEST(SessionCreateTest, LoadsTheHighestHostLevelTheCpuRuns) {
  ScopedEnv unset("NHC_HOST_ISA", nullptr);
  // Only the level the runtime picks is a loadable library; the others are
  // junk, so creating the session tells which one was loaded.
  std::string best = "x86-64";
  for (const char *level : format::kHostIsaLevels)
    if (format::cpuRunsHostIsa(level))
      best = level;
  std::vector<std::pair<std::string, bool>> sections;
  for (const char *level : format::kHostIsaLevels)
    sections.emplace_back(level, level == best);
  EXPECT_EQ(openWithHostSections(sections), NHC_OK) << lastError();
  // The same artifact with the best level's bytes broken fails on them.
  for (auto &section : sections)
    section.second = section.first != best;
  EXPECT_EQ(openWithHostSections(sections), NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(), HasSubstr("section '" + best + "'"));
}

TEST(SessionCreateTest, NhcNumThreadsOutsideItsRangeIsRefused) {
  for (const char *value : {"abc", "0", "1025", "-1", " 2", "4x"}) {
    ScopedEnv threads("NHC_NUM_THREADS", value);
    SessionFixture f;
    EXPECT_EQ(f.open(toyModelManifest(), toyModelWeights(), 2, 8, true),
              NHC_INVALID_ARGUMENT)
        << value;
    EXPECT_THAT(lastError(),
                HasSubstr("NHC_NUM_THREADS='" + std::string(value) +
                          "' is not a thread count from 1 to 1024"));
    EXPECT_EQ(f.session, nullptr);
  }
  for (const char *value : {"", "1", "1024"}) {
    ScopedEnv threads("NHC_NUM_THREADS", value);
    SessionFixture f;
    EXPECT_EQ(f.open(toyModelManifest(), toyModelWeights(), 2, 8, true),
              NHC_OK)
        << value << ": " << lastError();
  }
}

TEST(SessionCreateTest, NhcHostIsaForcesALevel) {
  std::vector<std::pair<std::string, bool>> sections = {
      {"x86-64", true}, {"x86-64-v3", false}, {"x86-64-v4", false}};
  {
    ScopedEnv baseline("NHC_HOST_ISA", "x86-64");
    EXPECT_EQ(openWithHostSections(sections), NHC_OK) << lastError();
  }
  {
    ScopedEnv unknown("NHC_HOST_ISA", "x86-64-v9");
    EXPECT_EQ(openWithHostSections(sections), NHC_INVALID_ARGUMENT);
    EXPECT_THAT(lastError(), HasSubstr("NHC_HOST_ISA='x86-64-v9' is not a "
                                       "host kernel level"));
  }
  {
    ScopedEnv baseline("NHC_HOST_ISA", "x86-64");
    EXPECT_EQ(openWithHostSections({{"x86-64-v3", true}}), NHC_NOT_FOUND);
    EXPECT_THAT(lastError(),
                AllOf(HasSubstr("isa.nhc"),
                      HasSubstr("no HOST_SHARED_LIBRARY section (kind 2) "
                                "named 'x86-64'")));
  }
  if (!format::cpuRunsHostIsa("x86-64-v4")) {
    ScopedEnv v4("NHC_HOST_ISA", "x86-64-v4");
    EXPECT_EQ(openWithHostSections(sections), NHC_UNSUPPORTED);
    EXPECT_THAT(lastError(), HasSubstr("this CPU cannot run x86-64-v4"));
  }
}

TEST(SessionCreateTest, LegacyHostSectionNameStillLoads) {
  // Artifacts from before the levels name their one library e.g. "x86_64".
  ScopedEnv unset("NHC_HOST_ISA", nullptr);
  EXPECT_EQ(openWithHostSections({{"x86_64", true}}), NHC_OK) << lastError();
}

/// Creates a session on the toy model whose host library section holds
/// `library` (artifact `name`): its status; no session is left.
nhc_status_t openWithHostLibrary(std::string_view library,
                                 const std::string &name) {
  TempDir dir;
  format::ContainerWriter writer;
  writer.setManifest(toyModelManifest().dump());
  writer.addSection(NHC_SECTION_HOST_SHARED_LIBRARY, "host", library);
  EXPECT_FALSE(writer.writeFile(dir.file(name)).failed());
  toyModelWeights().write(dir.file("w.safetensors"));
  nhc_artifact_t *artifact = nullptr;
  nhc_weights_t *weights = nullptr;
  nhc_session_t *session = nullptr;
  EXPECT_EQ(nhc_artifact_load(dir.file(name).c_str(), &artifact), NHC_OK);
  EXPECT_EQ(nhc_weights_open(dir.file("w.safetensors").c_str(), &weights),
            NHC_OK);
  nhc_status_t status = nhc_session_create(artifact, weights, 1, 8, &session);
  EXPECT_EQ(session, nullptr);
  nhc_session_release(session);
  nhc_weights_release(weights);
  nhc_artifact_release(artifact);
  return status;
}

TEST(SessionCreateTest, HostLibraryThatIsNotElf) {
  EXPECT_EQ(openWithHostLibrary("not an ELF file", "bad.nhc"),
            NHC_INVALID_FORMAT);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("bad.nhc"), HasSubstr("section 'host'"),
                    HasSubstr("cannot load the host library (15 bytes)")));
}

TEST(SessionCreateTest, TruncatedHostLibraryIsRefusedBeforeLoading) {
  // Cut inside its segments, the library would map past the end of its
  // bytes and fault on first touch; the checksum is the container's own.
  const Bytes &library = testKernelLibrary();
  for (size_t keep : {size_t(100), library.size() / 2, library.size() - 1}) {
    SCOPED_TRACE(keep);
    std::string_view cut(reinterpret_cast<const char *>(library.data()), keep);
    EXPECT_EQ(openWithHostLibrary(cut, "cut.nhc"), NHC_INVALID_FORMAT);
    EXPECT_THAT(lastError(),
                AllOf(HasSubstr("cut.nhc"), HasSubstr("section 'host'"),
                      HasSubstr("cannot load the host library (" +
                                std::to_string(keep) + " bytes)")));
  }
}

TEST(SessionCreateTest, HostLibraryWithAnUnmappedSegmentIsRefusedBeforeLoading) {
  // A program header's type changed from PT_LOAD (the checksum recomputed
  // by whoever changed it): the loader would leave that segment's code or
  // data unmapped and the first call into it would fault.
  const Bytes &library = testKernelLibrary();
  Elf64_Ehdr header;
  ASSERT_GE(library.size(), sizeof(header));
  std::memcpy(&header, library.data(), sizeof(header));
  int unmapped = 0;
  for (uint16_t i = 0; i < header.e_phnum; ++i) {
    const size_t at = header.e_phoff + i * sizeof(Elf64_Phdr);
    Elf64_Phdr segment;
    std::memcpy(&segment, library.data() + at, sizeof(segment));
    if (segment.p_type != PT_LOAD)
      continue;
    ++unmapped;
    SCOPED_TRACE(i);
    std::string edited(reinterpret_cast<const char *>(library.data()),
                       library.size());
    segment.p_type = PT_NULL;
    std::memcpy(edited.data() + at, &segment, sizeof(segment));
    EXPECT_EQ(openWithHostLibrary(edited, "unmapped.nhc"), NHC_INVALID_FORMAT);
    EXPECT_THAT(lastError(),
                AllOf(HasSubstr("unmapped.nhc"), HasSubstr("section 'host'"),
                      HasSubstr("lies in no loadable")));
  }
  EXPECT_GT(unmapped, 1) << "the library has code and data segments";
  // Its code segment made non-executable: the code lies in no executable one.
  for (uint16_t i = 0; i < header.e_phnum; ++i) {
    const size_t at = header.e_phoff + i * sizeof(Elf64_Phdr);
    Elf64_Phdr segment;
    std::memcpy(&segment, library.data() + at, sizeof(segment));
    if (segment.p_type != PT_LOAD || !(segment.p_flags & PF_X))
      continue;
    std::string edited(reinterpret_cast<const char *>(library.data()),
                       library.size());
    segment.p_flags &= ~PF_X;
    std::memcpy(edited.data() + at, &segment, sizeof(segment));
    EXPECT_EQ(openWithHostLibrary(edited, "noexec.nhc"), NHC_INVALID_FORMAT);
    EXPECT_THAT(lastError(), HasSubstr("lies in no loadable executable segment"));
  }
}

TEST(SessionCreateTest, NoSchedules) {
  Json m = toyModelManifest();
  m.erase("schedules");
  SessionFixture f;
  EXPECT_EQ(f.open(m, toyModelWeights()), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(), HasSubstr("manifest has no 'schedules' (body, "
                                     "head_last, head_all)"));
  m["schedule"] = Json::array(); // the pre-v1 spelling
  SessionFixture g;
  EXPECT_EQ(g.open(m, toyModelWeights()), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(), HasSubstr("it has a 'schedule' key"));
}

TEST(SessionCreateTest, NonF32StateIsRejected) {
  Json m = toyModelManifest();
  m["state"][2]["dtype"] = "BF16"; // layers.1.k_cache
  SessionFixture f;
  EXPECT_EQ(f.open(m, toyModelWeights()), NHC_UNSUPPORTED);
  EXPECT_THAT(lastError(),
              HasSubstr("schedules.body[3].args[1]: state tensor "
                        "'layers.1.k_cache' is BF16; kernel "
                        "'nhc_test_kv_mean' parameter 1 takes F32 state"));
  // State no kernel reads may have any float dtype.
  m = toyModelManifest();
  m["state"][3]["dtype"] = "F16"; // layers.1.v_cache
  SessionFixture g;
  EXPECT_EQ(g.open(m, toyModelWeights()), NHC_OK) << lastError();
}

/// The toy model's nhc_test_kv_mean (kernels[5]; its K cache is
/// parameter 1) with `elements` as its param_elements.
Json withKvMeanElements(Json m, Json elements) {
  EXPECT_EQ(m["kernels"][5]["name"], "nhc_test_kv_mean");
  m["kernels"][5]["param_elements"] = std::move(elements);
  return m;
}

TEST(SessionCreateTest, StateDtypesFollowTheKernelsParamElements) {
  // An i16 memref (bf16 bits) takes no F32 state ...
  const Json bits = {"f32", "i16", "i64", "f32", nullptr, nullptr, nullptr};
  SessionFixture g;
  EXPECT_EQ(g.open(withKvMeanElements(toyModelManifest(), bits),
                   toyModelWeights()),
            NHC_UNSUPPORTED);
  EXPECT_THAT(lastError(),
              HasSubstr("state tensor 'layers.1.k_cache' is F32; kernel "
                        "'nhc_test_kv_mean' parameter 1 takes BF16 state"));
  // ... and an integer memref no state at all.
  Json ints = bits;
  ints[1] = "i32";
  SessionFixture h;
  EXPECT_EQ(h.open(withKvMeanElements(toyModelManifest(), ints),
                   toyModelWeights()),
            NHC_UNSUPPORTED);
  EXPECT_THAT(lastError(), HasSubstr("parameter 1 takes no state tensor"));
}

/// A kernel sees a state tensor as a memref of its elements, whatever their
/// size: all slots' rows, not their bytes / 4 (nhc_test_probe reports the
/// size it got). The BF16 state goes to an i16 parameter (bf16 bits).
TEST(SessionCreateTest, StateMemrefsCountTheirDtypesElements) {
  for (const char *dtype : {"F32", "BF16"}) {
    SCOPED_TRACE(dtype);
    const bool bf16 = std::string(dtype) == "BF16";
    Json m = baseManifest(8, 4);
    m["state"] = {stateTensor("layers.0.k_cache", 0, dtype,
                              {"max_seq_len", 1, 3})};
    m["kernels"] = kernelTable({"nhc_test_probe"});
    m["kernels"][0]["param_elements"] = {bf16 ? "i16" : "f32", nullptr,
                                         nullptr, "f32"};
    m["schedules"]["head_all"] = Json::array({kernelCall(
        "nhc_test_probe", {stateArg("layers.0.k_cache"), dimArg("tokens"),
                           f32Arg(1.0f), logitsArg()})});
    SessionFixture f;
    ASSERT_EQ(f.open(m, SafetensorsBuilder(), 6, 16), NHC_OK) << lastError();
    uint32_t slot;
    ASSERT_EQ(nhc_session_claim(f.session, &slot), NHC_OK);
    int32_t tokens[1] = {1};
    nhc_request_t request{slot, tokens, 1};
    std::vector<float> out(8);
    ASSERT_EQ(nhc_session_step(f.session, &request, 1, NHC_LOGITS_ALL,
                               out.data(), out.size()),
              NHC_OK)
        << lastError();
    EXPECT_EQ(out[2], 6 * 16 * 3); // size: 6 slots of 16 rows of 3
    EXPECT_EQ(out[3], 1);          // stride
  }
}

TEST(SessionCreateTest, MalformedParamElementsAreRefusedByName) {
  const std::pair<Json, const char *> cases[] = {
      {Json{"f32", "f32"}, "kernels[5].param_elements: 2 entries for 7 params"},
      {Json{"f32", "f32", "i64", "f32", "i32", nullptr, nullptr},
       "kernels[5].param_elements[4]: a scalar parameter has no element type"},
      {Json{"f32", "bf16", "i64", "f32", nullptr, nullptr, nullptr},
       "kernels[5].param_elements[1]: \"bf16\" is not f32, i8, i16, i32 or "
       "i64"},
      {Json{"f32", 16, "i64", "f32", nullptr, nullptr, nullptr},
       "kernels[5].param_elements[1]"},
      {Json("f32"), "kernels[5]: param_elements: expected an array"},
      // Buffers, the request table and weights against the element types.
      {Json{"i32", "f32", "i64", "f32", nullptr, nullptr, nullptr},
       "schedules.body[3].args[0]: kernel 'nhc_test_kv_mean' parameter 0 "
       "takes i32 elements, but the argument {\"buffer\":\"mix\"} has f32"},
      {Json{"f32", "f32", "i32", "f32", nullptr, nullptr, nullptr},
       "parameter 2 takes i32 elements, but the argument "
       "{\"requests\":true} has i64"},
  };
  for (const auto &[elements, message] : cases) {
    SCOPED_TRACE(elements.dump());
    SessionFixture f;
    EXPECT_EQ(f.open(withKvMeanElements(toyModelManifest(), elements),
                     toyModelWeights()),
              NHC_INVALID_FORMAT);
    EXPECT_THAT(lastError(), HasSubstr(message));
  }
  // The embedding's token ids (i32) and weight (f32, as kernels read it).
  const std::pair<Json, const char *> embedding[] = {
      {Json{"f32", "f32", "f32", nullptr, nullptr},
       "schedules.body[0].args[0]: kernel 'nhc_embedding' parameter 0 takes "
       "f32 elements, but the argument {\"token_ids\":true} has i32"},
      {Json{"i32", "i8", "f32", nullptr, nullptr},
       "kernel 'nhc_embedding' parameter 1 takes i8 elements, but the "
       "argument {\"weight\":"},
  };
  for (const auto &[elements, message] : embedding) {
    SCOPED_TRACE(elements.dump());
    Json m = toyModelManifest();
    ASSERT_EQ(m["kernels"][0]["name"], "nhc_embedding");
    m["kernels"][0]["param_elements"] = elements;
    SessionFixture f;
    EXPECT_EQ(f.open(m, toyModelWeights()), NHC_INVALID_FORMAT);
    EXPECT_THAT(lastError(), HasSubstr(message));
  }
  // And a consistent list is accepted.
  Json m = toyModelManifest();
  m["kernels"][0]["param_elements"] = {"i32", "f32", "f32", nullptr, nullptr};
  SessionFixture ok;
  EXPECT_EQ(ok.open(m, toyModelWeights()), NHC_OK) << lastError();
}

TEST(SessionCreateTest, WeightsAreBoundWithoutModifyingTheHandle) {
  SessionFixture f;
  ASSERT_EQ(f.open(toyModelManifest(), toyModelWeights()), NHC_OK)
      << lastError();
  EXPECT_EQ(nhc_weights_bound_count(f.weights), 0u);
}

TEST(SessionCreateTest, MissingWeight) {
  Json m = toyModelManifest();
  addWeight(m, "backbone.extra", "F32", {2});
  SessionFixture f;
  EXPECT_EQ(f.open(m, toyModelWeights()), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(), HasSubstr("tensor 'backbone.extra' (F32 [2]) "
                                     "required by the artifact is missing"));
}

TEST(SessionCreateTest, Fp8WeightReadOutsideAGemmIsRefused) {
  Json m = toyModelManifest();
  addWeight(m, "backbone.layers.0.mixer.in_proj.weight_fp8", "F8_E4M3",
            {8, 8});
  SafetensorsBuilder w = toyModelWeights();
  w.add("backbone.layers.0.mixer.in_proj.weight_fp8", "F8_E4M3", {8, 8});
  SessionFixture f;
  EXPECT_EQ(f.open(m, w), NHC_UNSUPPORTED);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("tensor "
                              "'backbone.layers.0.mixer.in_proj.weight_fp8' "
                              "is F8_E4M3: FP8 tensors are read only as the "
                              "weight of an FP8 gemm"),
                    HasSubstr("model.nhc")));
}

TEST(SessionCreateTest, IntegerWeightsAreRejected) {
  Json m = toyModelManifest();
  addWeight(m, "some.index", "I64", {4});
  SafetensorsBuilder w = toyModelWeights();
  w.add("some.index", "I64", {4});
  SessionFixture f;
  EXPECT_EQ(f.open(m, w), NHC_UNSUPPORTED);
  EXPECT_THAT(lastError(), HasSubstr("'some.index' is I64; kernels read f32 "
                                     "weights"));
}

TEST(SessionCreateTest, SizeLimits) {
  SessionFixture f;
  EXPECT_EQ(f.open(toyModelManifest(), toyModelWeights(), 0, 8),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("max_slots must be at least 1"));
  SessionFixture g;
  EXPECT_EQ(g.open(toyModelManifest(), toyModelWeights(), 1,
                   kMaxSequenceLength + 1),
            NHC_INVALID_ARGUMENT);
  EXPECT_THAT(lastError(), HasSubstr("(nhc::kMaxSequenceLength)"));
  // Past the model's max_position_embeddings (64): the model has no
  // position encoding, so the session takes it.
  SessionFixture h;
  ASSERT_EQ(h.open(toyModelManifest(), toyModelWeights(), 1, 65), NHC_OK)
      << lastError();
}

TEST(SessionCreateTest, ArtifactMayGoBeforeTheSession) {
  SessionFixture f;
  ASSERT_EQ(f.open(toyModelManifest(), toyModelWeights()), NHC_OK)
      << lastError();
  nhc_artifact_release(f.artifact);
  f.artifact = nullptr;
  uint32_t slot;
  ASSERT_EQ(nhc_session_claim(f.session, &slot), NHC_OK);
  int32_t tokens[2] = {3, 4};
  nhc_request_t request{slot, tokens, 2};
  std::vector<float> logits(kToyVocab);
  ASSERT_EQ(nhc_session_step(f.session, &request, 1, NHC_LOGITS_LAST,
                             logits.data(), logits.size()),
            NHC_OK)
      << lastError();
  auto expected = toyReferenceLogits({3, 4}).back();
  for (size_t i = 0; i < kToyVocab; ++i)
    EXPECT_NEAR(logits[i], expected[i], 1e-4f);
}

TEST(SessionCreateTest, TwoSessionsLoadTheirOwnLibraries) {
  SessionFixture a, b;
  ASSERT_EQ(a.open(toyModelManifest(), toyModelWeights()), NHC_OK)
      << lastError();
  ASSERT_EQ(b.open(toyModelManifest(), toyModelWeights()), NHC_OK)
      << lastError();
  nhc_session_release(a.session);
  a.session = nullptr;
  // b still runs after a's library is unloaded.
  uint32_t slot;
  ASSERT_EQ(nhc_session_claim(b.session, &slot), NHC_OK);
  int32_t token = 5;
  nhc_request_t request{slot, &token, 1};
  std::vector<float> logits(kToyVocab);
  EXPECT_EQ(nhc_session_step(b.session, &request, 1, NHC_LOGITS_LAST,
                             logits.data(), logits.size()),
            NHC_OK)
      << lastError();
}

// The packed ABI as a kernel sees it: allocated == aligned, offset 0,
// size = element count, stride 1; index and f32 scalars by value.
TEST(SessionCreateTest, PackedAbiAsSeenByAKernel) {
  Json m = baseManifest(8, 4);
  m["buffers"] = Json::array({bufferSpec("x", "token", 5)});
  m["kernels"] = kernelTable({"nhc_test_probe"});
  m["schedules"]["head_all"] = Json::array({kernelCall(
      "nhc_test_probe",
      {bufferArg("x"), dimArg("tokens", 3), f32Arg(-2.5f), logitsArg()})});
  m["schedules"]["head_last"] = Json::array({kernelCall(
      "nhc_test_probe", {bufferArg("x"), dimArg("max_slots"),
                         Json::object({{"f32", "-inf"}}), logitsArg()})});
  SessionFixture f;
  ASSERT_EQ(f.open(m, SafetensorsBuilder(), 6, 16), NHC_OK) << lastError();
  uint32_t slot;
  ASSERT_EQ(nhc_session_claim(f.session, &slot), NHC_OK);
  int32_t tokens[3] = {1, 2, 3};
  nhc_request_t request{slot, tokens, 3};
  std::vector<float> out(3 * 8);
  ASSERT_EQ(nhc_session_step(f.session, &request, 1, NHC_LOGITS_ALL,
                             out.data(), out.size()),
            NHC_OK)
      << lastError();
  // x: 5 per token x 3 tokens; logits [3, 8] = 24.
  EXPECT_EQ(std::vector<float>(out.begin(), out.begin() + 7),
            (std::vector<float>{1, 0, 15, 1, 9, -2.5f, 24}));
  ASSERT_EQ(nhc_session_step(f.session, &request, 1, NHC_LOGITS_LAST,
                             out.data(), out.size()),
            NHC_OK)
      << lastError();
  EXPECT_EQ(std::vector<float>(out.begin(), out.begin() + 7),
            (std::vector<float>{1, 0, 15, 1, 6,
                                -std::numeric_limits<float>::infinity(), 8}));
}

} // namespace
} // namespace nhc::test

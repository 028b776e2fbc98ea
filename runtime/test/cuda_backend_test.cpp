//===- cuda_backend_test.cpp - Launch table, driver seam, CUDA backend ----===//
//
// Without a GPU: the launch table evaluator against hand-computed launches,
// and the CUDA backend's host logic through the driver's dlopen seam with
// the test double fake_cuda_driver.c (NHC_CUDA_DRIVER).

#include <cmath>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cuda/cuda_backend.h"
#include "cuda/decode_buckets.h"
#include "cuda/driver_api.h"
#include "cuda/launch_table.h"
#include "error.h"
#include "nhc/format/container.h"
#include "nhc/format/library_kernels.h"
#include "nhc/runtime/api.h"
#include "session_helpers.h"

namespace nhc::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using runtime::Error;
using namespace runtime::cuda;

TEST(DecodeBuckets, PowersOfTwoThenEightsThenSixtyFours) {
  const uint64_t many = 4096;
  struct Case {
    uint64_t requests, bucket;
  };
  for (Case c : std::initializer_list<Case>{{0, 0},
                                            {1, 1},
                                            {2, 2},
                                            {3, 4},
                                            {4, 4},
                                            {5, 8},
                                            {8, 8},
                                            {9, 16},
                                            {17, 24},
                                            {255, 256},
                                            {256, 256},
                                            {257, 320},
                                            {320, 320},
                                            {321, 384}})
    EXPECT_EQ(decodeBucket(c.requests, many), c.bucket)
        << c.requests << " requests";
  // Never past the pool, never below the request count.
  EXPECT_EQ(decodeBucket(5, 6), 6u);
  EXPECT_EQ(decodeBucket(3, 3), 3u);
  EXPECT_EQ(decodeBucket(300, 300), 300u);
  EXPECT_EQ(decodeBucket(7, 5), 7u);
  // Every count from one bucket (exclusive) to the next maps to the next:
  // one recording serves them all.
  uint64_t previous = 0;
  for (uint64_t r = 1; r <= 1000; ++r) {
    uint64_t b = decodeBucket(r, many);
    ASSERT_GE(b, r);
    ASSERT_EQ(decodeBucket(b, many), b) << "bucket " << b << " of " << r;
    if (r <= previous)
      ASSERT_EQ(b, previous) << r << " requests";
    else
      ASSERT_GT(b, previous) << r << " requests";
    previous = b;
  }
}

/// nhc_add(lhs, rhs, n) as the compiler writes it: one thread per element,
/// 128 per block, grid ceildiv(n, 128).
Json addFunction() {
  return Json::parse(R"({
    "function": "nhc_add", "params": ["memref", "memref", "index"],
    "values": [
      {"op": "ceildivsi", "operands": [{"arg": 2}, {"const": 128, "type": "index"}], "type": "index"},
      {"op": "sitofp", "operands": [{"arg": 2}], "type": "f32"},
      {"op": "divf", "operands": [{"value": 1}, {"f32_bits": 1073741824}], "type": "f32"},
      {"op": "load", "operands": [{"arg": 1}, {"const": 3, "type": "index"}], "type": "f32"},
      {"op": "cmpi", "predicate": "slt", "operands": [{"arg": 2}, {"const": 0, "type": "index"}], "type": "i1"}],
    "launches": [{
      "kernel": "nhc_add_kernel",
      "entry": {"sm_80": "nhc_add_kernel", "sm_90": "nhc_add_kernel"},
      "grid": [{"value": 0}, {"const": 1, "type": "index"}, {"const": 1, "type": "index"}],
      "block": [{"const": 128, "type": "index"}, {"const": 1, "type": "index"}, {"const": 1, "type": "index"}],
      "dynamic_shared_memory": {"const": 0, "type": "i32"},
      "args": [{"kind": "index", "from": {"arg": 2}},
               {"kind": "memref", "from": {"arg": 0}},
               {"kind": "f32", "from": {"value": 2}},
               {"kind": "f32", "from": {"value": 3}},
               {"kind": "i1", "from": {"value": 4}}]}]})");
}

Json tableWith(std::vector<Json> functions) {
  return Json{{"format", "nhc-launch-table"},
              {"version", 1},
              {"targets", {"sm_80", "sm_90"}},
              {"functions", functions}};
}

LaunchTable parse(const Json &table) {
  std::string text = table.dump();
  return LaunchTable::parse(text.data(), text.size(), "table.json");
}

template <typename T> T param(const ResolvedLaunch &l, size_t i) {
  T value;
  std::memcpy(&value, l.storage.data() + l.offsets[i], sizeof(T));
  return value;
}

std::vector<CallArg> addArgs(int64_t n) {
  CallArg lhs{ParamKind::Memref, 0, 0, 0x1000, 64};
  CallArg rhs{ParamKind::Memref, 0, 0, 0x2000, 8};
  CallArg count{ParamKind::Index, n};
  return {lhs, rhs, count};
}

double loadSeven(size_t arg, uint64_t index, ParamKind) {
  return arg == 1 && index == 3 ? 7.5 : -1;
}

TEST(LaunchTableTest, EvaluatesGridsAndPacksParameters) {
  LaunchTable table = parse(tableWith({addFunction()}));
  ASSERT_EQ(table.targets(), (std::vector<std::string>{"sm_80", "sm_90"}));
  const FunctionDef *add = table.find("nhc_add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(table.find("nhc_mul"), nullptr);
  std::vector<ResolvedLaunch> launches =
      resolveLaunches(*add, addArgs(1000), "sm_90", loadSeven, "test");
  ASSERT_EQ(launches.size(), 1u);
  const ResolvedLaunch &l = launches[0];
  EXPECT_EQ(l.entry, "nhc_add_kernel");
  EXPECT_EQ(l.grid, (std::array<uint32_t, 3>{8, 1, 1}));
  EXPECT_EQ(l.block, (std::array<uint32_t, 3>{128, 1, 1}));
  EXPECT_EQ(l.sharedBytes, 0u);
  // index, memref as 5 (allocated, aligned, offset, size, stride), f32, f32, i1.
  ASSERT_EQ(l.offsets.size(), 9u);
  EXPECT_EQ(param<int64_t>(l, 0), 1000);
  EXPECT_EQ(param<uint64_t>(l, 1), 0x1000u);
  EXPECT_EQ(param<uint64_t>(l, 2), 0x1000u);
  EXPECT_EQ(param<int64_t>(l, 3), 0);
  EXPECT_EQ(param<int64_t>(l, 4), 64);
  EXPECT_EQ(param<int64_t>(l, 5), 1);
  EXPECT_EQ(param<float>(l, 6), 500.0f); // 1000 / 2.0 (f32 bits 0x40000000)
  EXPECT_EQ(param<float>(l, 7), 7.5f);   // loaded from the device
  EXPECT_EQ(param<uint8_t>(l, 8), 0);
  for (size_t i = 0; i < l.offsets.size(); ++i)
    EXPECT_EQ(l.offsets[i] % (i >= 6 ? (i == 8 ? 1 : 4) : 8), 0u) << i;
}

/// grid_dependency_control names the targets whose kernels start with
/// griddepcontrol.wait; a table without it (older compilers) has none.
TEST(LaunchTableTest, NamesTheTargetsWhoseKernelsWaitForPriorGrids) {
  Json table = tableWith({addFunction()});
  LaunchTable without = parse(table);
  EXPECT_FALSE(without.waitsOnPriorGrids("sm_80"));
  EXPECT_FALSE(without.waitsOnPriorGrids("sm_90"));
  table["grid_dependency_control"] = {"sm_90"};
  LaunchTable with = parse(table);
  EXPECT_FALSE(with.waitsOnPriorGrids("sm_80"));
  EXPECT_TRUE(with.waitsOnPriorGrids("sm_90"));
  EXPECT_FALSE(with.waitsOnPriorGrids("sm_100"));
}

TEST(LaunchTableTest, EmptyGridsAreDroppedAndBadSizesRefused) {
  LaunchTable table = parse(tableWith({addFunction()}));
  const FunctionDef &add = *table.find("nhc_add");
  EXPECT_TRUE(resolveLaunches(add, addArgs(0), "sm_80", loadSeven, "t").empty());
  try {
    resolveLaunches(add, addArgs(-300), "sm_80", loadSeven, "call");
    FAIL() << "a negative grid was accepted";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), NHC_INVALID_ARGUMENT);
    EXPECT_THAT(e.what(), AllOf(HasSubstr("call: 'nhc_add' launch of "
                                          "'nhc_add_kernel'"),
                                HasSubstr("grid size -2 in dimension 0")));
  }
  try {
    resolveLaunches(add, addArgs(5), "sm_75", loadSeven, "call");
    FAIL() << "a chip without an entry was accepted";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), NHC_NOT_FOUND);
    EXPECT_THAT(e.what(), HasSubstr("no entry for sm_75"));
  }
  std::vector<CallArg> wrong = addArgs(5);
  wrong[2].kind = ParamKind::F32;
  EXPECT_THROW(resolveLaunches(add, wrong, "sm_80", loadSeven, "call"), Error);
  std::vector<CallArg> shortRhs = addArgs(5);
  shortRhs[1].elements = 3; // the load reads element 3
  try {
    resolveLaunches(add, shortRhs, "sm_80", loadSeven, "call");
    FAIL() << "a load past its memref was accepted";
  } catch (const Error &e) {
    EXPECT_THAT(e.what(), HasSubstr("load of element 3 of argument 1, "
                                    "which has 3"));
  }
}

TEST(LaunchTableTest, ArithmeticFollowsArithSemantics) {
  Json fn = {{"function", "f"}, {"params", {"index", "index"}},
             {"values", Json::array()}, {"launches", Json::array()}};
  auto value = [](const char *op, Json operands) {
    return Json{{"op", op}, {"operands", operands}, {"type", "index"}};
  };
  Json a = {{"arg", 0}}, b = {{"arg", 1}};
  for (const char *op : {"divsi", "divui", "ceildivsi", "remsi", "remui",
                         "minsi", "minui", "maxsi", "maxui"})
    fn["values"].push_back(value(op, {a, b}));
  fn["launches"].push_back(
      {{"kernel", "k"},
       {"entry", {{"sm_80", "k"}, {"sm_90", "k"}}},
       {"grid", {{{"const", 1}}, {{"const", 1}}, {{"const", 1}}}},
       {"block", {{{"const", 1}}, {{"const", 1}}, {{"const", 1}}}},
       {"dynamic_shared_memory", {{"const", 0}}},
       {"args", Json::array()}});
  for (int i = 0; i < 9; ++i)
    fn["launches"][0]["args"].push_back(
        {{"kind", "index"}, {"from", {{"value", i}}}});
  LaunchTable table = parse(tableWith({fn}));
  std::vector<CallArg> args = {{ParamKind::Index, -7}, {ParamKind::Index, 2}};
  std::vector<ResolvedLaunch> l =
      resolveLaunches(*table.find("f"), args, "sm_90", loadSeven, "t");
  ASSERT_EQ(l.size(), 1u);
  std::vector<int64_t> got;
  for (size_t i = 0; i < 9; ++i)
    got.push_back(param<int64_t>(l[0], i));
  const int64_t u = int64_t(uint64_t(-7) / 2);
  EXPECT_EQ(got, (std::vector<int64_t>{-3, u, -3, -1, 1, -7, 2, 2, -7}));
  args[1].integer = 0;
  try {
    resolveLaunches(*table.find("f"), args, "sm_90", loadSeven, "t");
    FAIL() << "a division by zero was evaluated";
  } catch (const Error &e) {
    EXPECT_THAT(e.what(), HasSubstr("'f' value 0: division by zero"));
  }
}

TEST(LaunchTableTest, I32UnsignedOpsAndHostileValues) {
  Json fn = {{"function", "g"}, {"params", {"memref", "index"}},
             {"values", Json::array()}, {"launches", Json::array()}};
  // i32 -1 /u 2 = 0x7fffffff; a float grid size and a NaN index are refused.
  fn["values"].push_back({{"op", "index_cast"}, {"operands", {{{"arg", 1}}}}, {"type", "i32"}});
  fn["values"].push_back({{"op", "divui"}, {"operands", {{{"value", 0}}, {{"const", 2}}}}, {"type", "i32"}});
  fn["values"].push_back({{"op", "sitofp"}, {"operands", {{{"arg", 1}}}}, {"type", "f32"}});
  fn["values"].push_back({{"op", "load"}, {"operands", {{{"arg", 0}}, {{"const", 0}}}}, {"type", "index"}});
  Json one = {{"const", 1}};
  fn["launches"].push_back(
      {{"kernel", "k"},
       {"entry", {{"sm_80", "k"}, {"sm_90", "k"}}},
       {"grid", {one, one, one}},
       {"block", {one, one, one}},
       {"dynamic_shared_memory", {{"const", 0}}},
       {"args", {{{"kind", "i32"}, {"from", {{"value", 1}}}}}}});
  Json bad = fn;
  bad["launches"][0]["grid"][0] = {{"value", 2}};
  Json loads = fn;
  loads["launches"][0]["grid"][0] = {{"value", 3}};
  LaunchTable table = parse(tableWith({fn}));
  std::vector<CallArg> args = {{ParamKind::Memref, 0, 0, 0x10, 4},
                               {ParamKind::Index, -1}};
  auto one64 = [](size_t, uint64_t, ParamKind) { return 1.0; };
  std::vector<ResolvedLaunch> l =
      resolveLaunches(*table.find("g"), args, "sm_90", one64, "t");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(param<int32_t>(l[0], 0), 0x7fffffff);
  EXPECT_EQ(l[0].storage.size(), 8u); // an 8-byte slot even for an i32
  try {
    resolveLaunches(*parse(tableWith({bad})).find("g"), args, "sm_90", one64, "t");
    FAIL() << "a float grid size was accepted";
  } catch (const Error &e) {
    EXPECT_THAT(e.what(), HasSubstr("the grid size is a float"));
  }
  auto nan = [](size_t, uint64_t, ParamKind) { return std::nan(""); };
  try {
    resolveLaunches(*parse(tableWith({loads})).find("g"), args, "sm_90", nan, "t");
    FAIL() << "a NaN index was accepted";
  } catch (const Error &e) {
    EXPECT_THAT(e.what(), HasSubstr("is not an integer index"));
  }
}

TEST(LaunchTableTest, MalformedTablesAreRefusedWithTheirPath) {
  struct Bad {
    std::function<void(Json &)> edit;
    nhc_status_t status;
    const char *message;
  };
  std::vector<Bad> cases = {
      {[](Json &t) { t["version"] = 2; }, NHC_UNSUPPORTED_VERSION,
       "launch table version 2; this runtime reads version 1"},
      // The chips whose kernels wait for the grids before them: targets.
      {[](Json &t) { t["grid_dependency_control"] = {"sm_90", "sm_100"}; },
       NHC_INVALID_FORMAT,
       "grid_dependency_control[1]: 'sm_100' is not one of the targets"},
      {[](Json &t) { t["grid_dependency_control"] = "sm_90"; },
       NHC_INVALID_FORMAT, "grid_dependency_control"},
      {[](Json &t) { t["grid_dependency_control"] = {"sm_80"}; },
       NHC_INVALID_FORMAT,
       "grid_dependency_control[0]: 'sm_80' has no griddepcontrol (sm_90 or "
       "newer)"},
      {[](Json &t) { t["format"] = "nhc-manifest"; }, NHC_INVALID_FORMAT,
       "format 'nhc-manifest', expected 'nhc-launch-table'"},
      {[](Json &t) { t["functions"][0]["values"][0]["operands"][0] = {{"value", 3}}; },
       NHC_INVALID_FORMAT,
       "functions[0] ('nhc_add').values[0].operands[0]: value 3 is not "
       "computed before it is used"},
      {[](Json &t) { t["functions"][0]["values"][0]["op"] = "powi"; },
       NHC_INVALID_FORMAT, "unknown op 'powi'"},
      {[](Json &t) { t["functions"][0]["launches"][0]["entry"].erase("sm_90"); },
       NHC_INVALID_FORMAT, "launches[0].entry"},
      {[](Json &t) { t["functions"][0]["launches"][0]["args"][1]["from"] = {{"arg", 2}}; },
       NHC_INVALID_FORMAT, "a memref parameter must be a memref argument"},
      {[](Json &t) { t["functions"][0]["values"][3]["operands"][0] = {{"arg", 2}}; },
       NHC_INVALID_FORMAT, "load from something that is not a memref argument"},
      // A memref argument read as a number (0): a size or a divisor of the
      // kernel's, refused wherever a number is taken.
      {[](Json &t) { t["functions"][0]["launches"][0]["args"][0]["from"] = {{"arg", 1}}; },
       NHC_INVALID_FORMAT,
       "launches[0].args[0].from: argument 1 is a memref, not a number"},
      {[](Json &t) { t["functions"][0]["values"][0]["operands"][0] = {{"arg", 0}}; },
       NHC_INVALID_FORMAT,
       "values[0].operands[0]: argument 0 is a memref, not a number"},
      {[](Json &t) { t["functions"][0]["values"][3]["operands"][1] = {{"arg", 1}}; },
       NHC_INVALID_FORMAT,
       "values[3].operands[1]: argument 1 is a memref, not a number"},
      {[](Json &t) { t["functions"][0]["launches"][0]["grid"][1] = {{"arg", 0}}; },
       NHC_INVALID_FORMAT, "grid[1]: argument 0 is a memref, not a number"},
      {[](Json &t) { t["functions"][0]["launches"][0]["dynamic_shared_memory"] = {{"arg", 1}}; },
       NHC_INVALID_FORMAT,
       "dynamic_shared_memory: argument 1 is a memref, not a number"},
      {[](Json &t) { t["functions"].push_back(t["functions"][0]); },
       NHC_INVALID_FORMAT, "'nhc_add' appears twice"},
      // A parameter's kind and its operand's agree (the kernel reads the
      // bits as its kind): an f32 literal, argument or value as an index,
      // an integer as an f32.
      {[](Json &t) { t["functions"][0]["launches"][0]["args"][0]["from"] = {{"f32_bits", 22}}; },
       NHC_INVALID_FORMAT, "launches[0].args[0]: an integer parameter from an f32 operand"},
      {[](Json &t) { t["functions"][0]["launches"][0]["args"][0]["from"] = {{"value", 1}}; },
       NHC_INVALID_FORMAT, "launches[0].args[0]: an integer parameter from an f32 operand"},
      {[](Json &t) { t["functions"][0]["launches"][0]["args"][2]["from"] = {{"arg", 2}}; },
       NHC_INVALID_FORMAT, "launches[0].args[2]: an f32 parameter from an integer operand"},
      {[](Json &t) { t["functions"][0]["launches"][0]["grid"].erase(2); },
       NHC_INVALID_FORMAT, "grid: not a list of 3 sizes"},
  };
  for (const Bad &bad : cases) {
    Json table = tableWith({addFunction()});
    bad.edit(table);
    try {
      parse(table);
      ADD_FAILURE() << "accepted: " << bad.message;
    } catch (const Error &e) {
      EXPECT_EQ(e.status(), bad.status) << e.what();
      EXPECT_THAT(e.what(), AllOf(HasSubstr("table.json"),
                                  HasSubstr(bad.message)));
    }
  }
}

//===----------------------------------------------------------------------===//
// The driver seam and the backend, with the test double
//===----------------------------------------------------------------------===//

/// PTX for `chip` declaring an .entry per name.
std::string ptxWith(const std::string &chip,
                    const std::vector<std::string> &entries) {
  std::string ptx = ".version 8.0\n.target " + chip + "\n.address_size 64\n";
  for (const std::string &e : entries)
    ptx += ".visible .entry " + e + "(\n)\n{\n\tret;\n}\n";
  return ptx;
}

/// The kernels the CUDA backend launches around cuBLASLt, with their kinds
/// (lib/Kernels/device_ops.mlir).
std::vector<std::pair<std::string, Json>> libraryKernels() {
  const std::string m = "memref", i = "index";
  return {{format::kernel::kGemmEpilogue, {m, i, i, i, i, i, i, m}},
          {format::kernel::kRoundBf16, {m, i, i, i, i, m}},
          {format::kernel::kPackE4m3, {m, i, i, i, i, m}},
          {format::kernel::kEmbeddingF32, {m, m, m, i, i}},
          {format::kernel::kEmbeddingBf16, {m, m, m, i, i}}};
}

/// The toy model's kernels and the library's, one GPU kernel each
/// ("<name>_kernel").
std::vector<std::pair<std::string, Json>> toyFunctions() {
  std::vector<std::pair<std::string, Json>> functions;
  const Json manifest = toyModelManifest(); // outlives the loop
  for (const Json &kernel : manifest["kernels"])
    functions.emplace_back(kernel["name"], kernel["params"]);
  for (const auto &kernel : libraryKernels())
    functions.push_back(kernel);
  return functions;
}

Json toyLaunchTable() {
  std::vector<Json> functions;
  for (const auto &[name, params] : toyFunctions()) {
    functions.push_back(
        {{"function", name},
         {"params", params},
         {"values", Json::array()},
         {"launches",
          {{{"kernel", name + "_kernel"},
            {"entry", {{"sm_80", name + "_kernel"}, {"sm_90", name + "_kernel"}}},
            {"grid", {{{"const", 1}}, {{"const", 1}}, {{"const", 1}}}},
            {"block", {{{"const", 128}}, {{"const", 1}}, {{"const", 1}}}},
            {"dynamic_shared_memory", {{"const", 0}}},
            {"args", Json::array()}}}}});
  }
  return tableWith(functions);
}

std::vector<std::string> toyGpuKernels() {
  std::vector<std::string> names;
  for (const auto &function : toyFunctions())
    names.push_back(function.first + "_kernel");
  return names;
}

/// Creates a "cuda" session on the toy model with these GPU sections.
nhc_status_t openCuda(const std::vector<std::pair<std::string, std::string>> &ptx,
                      bool withTable = true) {
  format::ContainerWriter writer;
  writer.setManifest(toyModelManifest().dump());
  const Bytes &so = testKernelLibrary();
  writer.addSection(NHC_SECTION_HOST_SHARED_LIBRARY, "host",
                    std::string_view(reinterpret_cast<const char *>(so.data()),
                                     so.size()));
  for (const auto &[chip, text] : ptx)
    writer.addSection(NHC_SECTION_PTX, chip, text);
  if (withTable)
    writer.addSection(NHC_SECTION_LAUNCH_TABLE_JSON, "cuda",
                      toyLaunchTable().dump());
  return tryToyModelSession(writer, "gpu.nhc", "cuda");
}

TEST(CudaBackendTest, NoDriverIsAClearError) {
  ScopedEnv driver("NHC_CUDA_DRIVER", "/nonexistent/libcuda.so.1");
  EXPECT_EQ(openCuda({{"sm_90", ptxWith("sm_90", toyGpuKernels())}}),
            NHC_UNSUPPORTED);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("no CUDA driver"),
                                 HasSubstr("/nonexistent/libcuda.so.1")));
}

TEST(CudaBackendTest, LibraryThatIsNoDriver) {
  // A loadable library without the driver's entry points.
  ScopedEnv driver("NHC_CUDA_DRIVER", NHC_TEST_KERNELS_PATH);
  EXPECT_EQ(openCuda({{"sm_90", ptxWith("sm_90", toyGpuKernels())}}),
            NHC_UNSUPPORTED);
  EXPECT_THAT(lastError(), HasSubstr("no CUDA driver (" NHC_TEST_KERNELS_PATH
                                     " has no cuInit)"));
}

TEST(CudaBackendTest, NoCublasLtIsAClearError) {
  ScopedEnv driver("NHC_CUDA_DRIVER", NHC_FAKE_CUDA_DRIVER_PATH);
  ScopedEnv blas("NHC_CUBLASLT", "/nonexistent/libcublasLt.so.13");
  EXPECT_EQ(openCuda({{"sm_90", ptxWith("sm_90", toyGpuKernels())}}),
            NHC_UNSUPPORTED);
  EXPECT_THAT(lastError(), AllOf(HasSubstr("no cuBLASLt"),
                                 HasSubstr("/nonexistent/libcublasLt.so.13")));
}

TEST(CudaBackendTest, OutOfDeviceMemoryIsAClearError) {
  ScopedEnv driver("NHC_CUDA_DRIVER", NHC_FAKE_CUDA_DRIVER_PATH);
  ScopedEnv blas("NHC_CUBLASLT", NHC_FAKE_CUBLASLT_PATH);
  ScopedEnv memory("NHC_FAKE_CUDA_MEMORY", "4096");
  EXPECT_EQ(openCuda({{"sm_90", ptxWith("sm_90", toyGpuKernels())}}),
            NHC_OUT_OF_MEMORY);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("cannot allocate"),
                    HasSubstr("bytes of device memory for the cuBLASLt "
                              "workspace"),
                    HasSubstr("CUDA_ERROR_OUT_OF_MEMORY")));
}

TEST(CudaBackendTest, LaunchTableWithoutLibraryKernelsIsNamed) {
  ScopedEnv driver("NHC_CUDA_DRIVER", NHC_FAKE_CUDA_DRIVER_PATH);
  ScopedEnv blas("NHC_CUBLASLT", NHC_FAKE_CUBLASLT_PATH);
  // As an artifact of a compiler before device_ops.mlir would have it.
  format::ContainerWriter writer;
  writer.setManifest(toyModelManifest().dump());
  const Bytes &so = testKernelLibrary();
  writer.addSection(NHC_SECTION_HOST_SHARED_LIBRARY, "host",
                    std::string_view(reinterpret_cast<const char *>(so.data()),
                                     so.size()));
  writer.addSection(NHC_SECTION_PTX, "sm_90", ptxWith("sm_90", toyGpuKernels()));
  Json table = toyLaunchTable();
  Json &functions = table["functions"];
  for (size_t i = 0; i < functions.size(); ++i)
    if (functions[i]["function"] == format::kernel::kGemmEpilogue)
      functions.erase(i);
  writer.addSection(NHC_SECTION_LAUNCH_TABLE_JSON, "cuda", table.dump());
  EXPECT_EQ(tryToyModelSession(writer, "old.nhc", "cuda"), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(),
              AllOf(HasSubstr("no function for kernel 'nhc_gemm_epilogue'"),
                    HasSubstr("recompile")));
}

TEST(CudaBackendTest, DriverThatFailsToInitialize) {
  // Loaded drivers are kept per path: another spelling of the double's path
  // is loaded (and initialized) afresh.
  ScopedEnv driver("NHC_CUDA_DRIVER", NHC_FAKE_CUDA_DRIVER_ALIAS);
  ScopedEnv init("NHC_FAKE_CUDA_INIT", "fail");
  EXPECT_EQ(openCuda({{"sm_90", ptxWith("sm_90", toyGpuKernels())}}),
            NHC_UNSUPPORTED);
  EXPECT_THAT(lastError(),
              HasSubstr("cuInit failed: CUDA_ERROR_NO_DEVICE (100)"));
}

TEST(CudaBackendTest, LoadsTheBestImageAndRefusesWhatItCannotRun) {
  ScopedEnv driver("NHC_CUDA_DRIVER", NHC_FAKE_CUDA_DRIVER_PATH);
  ScopedEnv blas("NHC_CUBLASLT", NHC_FAKE_CUBLASLT_PATH);
  // sm_90's PTX lacks nhc_add's kernel: a device that loads it says so, one
  // that loads sm_80's finds every kernel.
  std::vector<std::string> partial = toyGpuKernels();
  partial.erase(partial.begin() + 2); // nhc_add_kernel
  std::vector<std::pair<std::string, std::string>> both = {
      {"sm_80", ptxWith("sm_80", toyGpuKernels())},
      {"sm_90", ptxWith("sm_90", partial)}};
  {
    ScopedEnv sm("NHC_FAKE_CUDA_SM", "90");
    EXPECT_EQ(openCuda(both), NHC_NOT_FOUND);
    EXPECT_THAT(lastError(), AllOf(HasSubstr("gpu.nhc"),
                                   HasSubstr("'nhc_add_kernel' of 'nhc_add' "
                                             "in sm_90")));
  }
  {
    // Runs sm_80 PTX and takes the toy model's F16 gemm weight (widened
    // to f32 at upload).
    ScopedEnv sm("NHC_FAKE_CUDA_SM", "86");
    EXPECT_EQ(openCuda(both), NHC_OK) << lastError();
  }
  {
    ScopedEnv sm("NHC_FAKE_CUDA_SM", "75");
    EXPECT_EQ(openCuda(both), NHC_NOT_FOUND);
    EXPECT_THAT(lastError(),
                HasSubstr("no GPU code for this device (sm_75): the artifact "
                          "has sm_80 (PTX), sm_90 (PTX)"));
  }
  {
    ScopedEnv devices("NHC_FAKE_CUDA_DEVICES", "0");
    EXPECT_EQ(openCuda(both), NHC_UNSUPPORTED);
    EXPECT_THAT(lastError(), HasSubstr("sees no CUDA device"));
  }
}

TEST(CudaBackendTest, MissingGpuCodeIsNamed) {
  ScopedEnv driver("NHC_CUDA_DRIVER", NHC_FAKE_CUDA_DRIVER_PATH);
  EXPECT_EQ(openCuda({{"sm_90", ptxWith("sm_90", toyGpuKernels())}},
                     /*withTable=*/false),
            NHC_NOT_FOUND);
  EXPECT_THAT(lastError(), HasSubstr("no LAUNCH_TABLE_JSON section (kind 6)"));
  std::vector<std::string> kernels = toyGpuKernels();
  kernels.erase(kernels.begin() + 2); // nhc_add_kernel
  EXPECT_EQ(openCuda({{"sm_90", ptxWith("sm_90", kernels)}}), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(),
              HasSubstr("GPU kernel 'nhc_add_kernel' of 'nhc_add' in sm_90: "
                        "CUDA_ERROR_NOT_FOUND (500)"));
  EXPECT_EQ(openCuda({}), NHC_NOT_FOUND);
  EXPECT_THAT(lastError(), HasSubstr("the artifact has none"));
}

TEST(CudaBackendTest, TheDoubleMovesMemoryLikeADevice) {
  ScopedEnv driver("NHC_CUDA_DRIVER", NHC_FAKE_CUDA_DRIVER_PATH);
  std::shared_ptr<const DriverApi> api = loadDriverApi();
  CUdeviceptr address = 0;
  // Device work needs the context current on the calling thread.
  EXPECT_EQ(api->describe(api->cuMemAlloc(&address, 16)),
            "CUDA_ERROR_INVALID_CONTEXT (201)");
  CUcontext context = nullptr;
  ASSERT_EQ(api->cuDevicePrimaryCtxRetain(&context, 0), kCudaSuccess);
  ContextScope scope(*api, context);
  ASSERT_EQ(api->cuMemAlloc(&address, 16), kCudaSuccess);
  float in[4] = {1, 2, 3, 4}, out[4] = {};
  ASSERT_EQ(api->cuMemcpyHtoD(address, in, sizeof(in)), kCudaSuccess);
  ASSERT_EQ(api->cuMemcpyDtoH(out, address, sizeof(out)), kCudaSuccess);
  EXPECT_EQ(std::memcmp(in, out, sizeof(in)), 0);
  // Copies outside the allocation and frees of what is not one fail, as a
  // device's would (the double's checks are what make it a test).
  EXPECT_NE(api->cuMemcpyHtoD(address + 4, in, sizeof(in)), kCudaSuccess);
  EXPECT_NE(api->cuMemcpyDtoH(out, address + 16, 1), kCudaSuccess);
  EXPECT_NE(api->cuMemFree(address + 4), kCudaSuccess);
  EXPECT_EQ(api->cuMemFree(address), kCudaSuccess);
  EXPECT_NE(api->cuMemFree(address), kCudaSuccess);
  EXPECT_EQ(api->describe(2), "CUDA_ERROR_OUT_OF_MEMORY (2)");
  EXPECT_EQ(api->describe(12345), "CUDA error 12345");
}

} // namespace
} // namespace nhc::test

//===- JsonSourceTest.cpp - JSON with Python's tokens and positions -------===//

#include "nhc/Config/JsonSource.h"

#include <cmath>
#include <gtest/gtest.h>

using mlir::nhc::JsonSource;

TEST(JsonSource, AcceptsPythonNonFiniteTokens) {
  JsonSource source;
  std::string error;
  ASSERT_TRUE(mlir::nhc::parseJsonSource(
      "c.json", R"({"a": [0.0, Infinity], "b": -Infinity, "c": NaN, "s": "Infinity"})",
      source, error))
      << error;
  EXPECT_TRUE(std::isinf(source.root["a"][1].get<double>()));
  EXPECT_GT(source.root["a"][1].get<double>(), 0);
  EXPECT_LT(source.root["b"].get<double>(), 0);
  EXPECT_TRUE(std::isinf(source.root["b"].get<double>()));
  EXPECT_TRUE(std::isnan(source.root["c"].get<double>()));
  // Inside strings the token is left alone.
  EXPECT_EQ(source.root["s"].get<std::string>(), "Infinity");
}

TEST(JsonSource, AcceptsTransformersFloatEncoding) {
  JsonSource source;
  std::string error;
  ASSERT_TRUE(mlir::nhc::parseJsonSource(
      "c.json",
      R"({"time_step_limit": [0.0, {"__float__": "Infinity"}], "x": {"__float__": "pi"}})",
      source, error))
      << error;
  EXPECT_TRUE(std::isinf(source.root["time_step_limit"][1].get<double>()));
  // Anything else in that form is left as it is.
  EXPECT_TRUE(source.root["x"].is_object());
}

TEST(JsonSource, RecordsKeyAndValuePositions) {
  JsonSource source;
  std::string error;
  ASSERT_TRUE(mlir::nhc::parseJsonSource("c.json",
                                   "{\n  \"a\": 1,\n  \"q\": {\"x\": [1, 2],\n"
                                   "        \"y\": \"z\"}\n}\n",
                                   source, error));
  EXPECT_EQ(source.keyPosition("a").line, 2);
  EXPECT_EQ(source.keyPosition("a").column, 3);
  EXPECT_EQ(source.valuePosition("a").column, 8);
  EXPECT_EQ(source.keyPosition("q.x").line, 3);
  EXPECT_EQ(source.keyPosition("q.y").line, 4);
  EXPECT_EQ(source.valuePosition("q.y").column, 14);
  EXPECT_EQ(source.keyPosition("missing").line, 0);
}

TEST(JsonSource, SyntaxErrorNamesFileAndPosition) {
  JsonSource source;
  std::string error;
  EXPECT_FALSE(mlir::nhc::parseJsonSource("bad.json", "{\n  \"a\": 1,\n  \"b\" 2\n}",
                                    source, error));
  EXPECT_NE(error.find("bad.json:3:"), std::string::npos) << error;
  EXPECT_NE(error.find("not valid JSON"), std::string::npos) << error;
}

TEST(JsonSource, RejectsNonObjectTopLevel) {
  JsonSource source;
  std::string error;
  EXPECT_FALSE(mlir::nhc::parseJsonSource("list.json", "[1, 2]", source, error));
  EXPECT_NE(error.find("list.json: error: expected a JSON object"),
            std::string::npos)
      << error;
}

// Positions are kept for the short, shallow keys nhc reads; deep or long
// paths are not recorded, so the table never outgrows the input (a file of
// nested long keys would otherwise cost depth x input size).
TEST(JsonSource, PositionTableStaysLinear) {
  std::string key(1000, 'k');
  std::string text =
      "{\"top\": 1, \"a\": {\"b\": {\"c\": {\"d\": {\"e\": {\"f\": "
      "{\"g\": 2}}}}}}";
  std::string deep;
  for (int i = 0; i < 60; ++i)
    deep += "{\"" + key + "\": ";
  text += ", \"long\": " + deep + "0" + std::string(60, '}') + "}";
  JsonSource source;
  std::string error;
  ASSERT_TRUE(mlir::nhc::parseJsonSource("p.json", text, source, error))
      << error;
  EXPECT_EQ(source.keyPosition("top").line, 1);
  EXPECT_EQ(source.keyPosition("a.b.c.d.e.f").line, 1);
  EXPECT_EQ(source.keyPosition("a.b.c.d.e.f.g").line, 0); // deeper than tracked
  size_t bytes = 0;
  for (const auto &[path, position] : source.keyPositions)
    bytes += path.size();
  EXPECT_LT(bytes, text.size());
}

// nhc-tokenize: text <-> ids with a Hugging Face tokenizer.json.
//
//   nhc-tokenize TOKENIZER [--no-special] --encode FILE [--json]
//   nhc-tokenize TOKENIZER [--no-special] --decode IDS [--json]
//   nhc-tokenize TOKENIZER [--no-special] --bench FILE [--seconds S]
//
// TOKENIZER is a tokenizer.json or a directory holding one. FILE "-" reads
// stdin. IDS is a list of ids separated by commas/spaces, or @FILE holding
// such a list or a JSON array. --no-special: encode without the
// post-processor's tokens (BOS); decode skipping special tokens.
// --encode prints ids separated by spaces, or a JSON array with --json;
// --decode prints the text as is, or as a JSON string with --json.
// --bench encodes FILE repeatedly for S seconds (default 2) and prints the
// throughput in MB/s (10^6 bytes of input per second, one thread).
// Exit status: 0 ok, 1 error (message on stderr), 2 usage.
#include "nhc/text/tokenizer.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using nhc::text::TextError;
using nhc::text::Tokenizer;

[[noreturn]] void usage(const char *msg) {
  if (msg) std::fprintf(stderr, "nhc-tokenize: %s\n", msg);
  std::fprintf(stderr,
               "usage: nhc-tokenize TOKENIZER(.json|DIR) [--no-special] "
               "(--encode FILE | --decode IDS | --bench FILE [--seconds S]) "
               "[--json]\n");
  std::exit(2);
}

std::string readInput(const std::string &path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin),
                       std::istreambuf_iterator<char>());
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw TextError(path + ": cannot open");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<int32_t> parseIds(const std::string &arg) {
  std::string s = arg;
  if (!s.empty() && s[0] == '@') s = readInput(s.substr(1));
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i + 1;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
      std::string num = s.substr(i, j - i);
      if (num == "-" || num.size() > 11) throw TextError("bad id \"" + num + "\"");
      long long v = std::stoll(num);
      if (v < INT32_MIN || v > INT32_MAX) throw TextError("id " + num + " out of range");
      ids.push_back(static_cast<int32_t>(v));
      i = j;
    } else if (c == ',' || c == ' ' || c == '\n' || c == '\t' || c == '\r' ||
               c == '[' || c == ']') {
      ++i;
    } else {
      throw TextError(std::string("bad character '") + c + "' in ids");
    }
  }
  return ids;
}


} // namespace

int main(int argc, char **argv) {
  if (argc < 2) usage(nullptr);
  std::string tokPath, mode, arg;
  bool special = true, json = false;
  double seconds = 2.0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-special") special = false;
    else if (a == "--json") json = true;
    else if (a == "--encode" || a == "--decode" || a == "--bench") {
      if (!mode.empty()) usage("give one of --encode, --decode, --bench");
      if (i + 1 >= argc) usage((a + " needs an argument").c_str());
      mode = a;
      arg = argv[++i];
    } else if (a == "--seconds") {
      if (i + 1 >= argc) usage("--seconds needs a number");
      seconds = std::atof(argv[++i]);
      if (!(seconds > 0)) usage("--seconds must be positive");
    } else if (a == "-h" || a == "--help") {
      usage(nullptr);
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      usage(("unknown option " + a).c_str());
    } else if (tokPath.empty()) {
      tokPath = a;
    } else {
      usage(("unexpected argument " + a).c_str());
    }
  }
  if (tokPath.empty() || mode.empty()) usage(nullptr);
  try {
    Tokenizer tok = Tokenizer::load(tokPath);
    if (mode == "--encode") {
      std::vector<int32_t> ids = tok.encode(readInput(arg), special);
      std::string out = json ? "[" : "";
      for (size_t i = 0; i < ids.size(); ++i) {
        if (i) out += json ? ", " : " ";
        out += std::to_string(ids[i]);
      }
      out += json ? "]\n" : "\n";
      std::fwrite(out.data(), 1, out.size(), stdout);
    } else if (mode == "--decode") {
      std::string text = tok.decode(parseIds(arg), !special);
      if (json)
        text = nlohmann::json(text).dump() + "\n";
      std::fwrite(text.data(), 1, text.size(), stdout);
    } else {
      std::string text = readInput(arg);
      using clock = std::chrono::steady_clock;
      auto t0 = clock::now();
      size_t n = tok.encode(text, special).size();
      double cold = std::chrono::duration<double>(clock::now() - t0).count();
      size_t iters = 0;
      auto start = clock::now();
      double el = 0;
      do {
        n = tok.encode(text, special).size();
        ++iters;
        el = std::chrono::duration<double>(clock::now() - start).count();
      } while (el < seconds);
      double mb = static_cast<double>(text.size()) / 1e6;
      std::printf("input %zu bytes, %zu ids\n", text.size(), n);
      std::printf("first encode (cold word cache): %.2f MB/s\n", mb / cold);
      std::printf("encode: %.2f MB/s (%zu runs in %.2f s)\n", mb * iters / el,
                  iters, el);
    }
    std::fflush(stdout);
  } catch (const TextError &e) {
    std::fprintf(stderr, "nhc-tokenize: %s\n", e.what());
    return 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "nhc-tokenize: %s\n", e.what());
    return 1;
  }
  return 0;
}

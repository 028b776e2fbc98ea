//===- main.cpp - nhc-quantize: FP8 checkpoints from calibration ----------===//
//
//   nhc-quantize --fp8 CHECKPOINT_DIR --calibration FILE -o OUT_DIR
//                [--eval FILE] [--report FILE.json] [--nhc PATH]
//
// (`nhc quantize ...` runs this.) Compiles the checkpoint with nhc, runs the
// calibration prompts through it to find each FP8 linear's input scale,
// writes the modelopt FP8 checkpoint (fp8_checkpoint.h), compiles that too
// and reports how far its logits are from the original's on held-out
// prompts: top-1 agreement and mean KL(original || quantized).
//
//===----------------------------------------------------------------------===//

#include <spawn.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../common/output_check.h"
#include "../nhc-run/output_file.h"
#include "expert_calibration.h"
#include "fp8_checkpoint.h"
#include "model_runner.h"
#include "nhc/runtime/api.h"
#include "nhc/text/tokenizer.h"

extern char **environ;

namespace fs = std::filesystem;
using namespace nhc::quantize;

namespace {

const char kUsage[] =
    "usage: nhc quantize --fp8 CHECKPOINT_DIR --calibration FILE -o OUT_DIR\n"
    "                    [--eval FILE] [--report FILE.json] [--nhc PATH]\n"
    "\n"
    "Writes a modelopt FP8 checkpoint (e4m3 weights, per-tensor static\n"
    "scales; docs/fp8.md) that nhc and NVIDIA's FP8 loaders read. FILE holds\n"
    "one prompt per line: a JSON array of token ids, or text (tokenized with\n"
    "the checkpoint's tokenizer.json). Without --eval the last quarter of the\n"
    "calibration prompts is held out to measure the divergence. OUT_DIR must\n"
    "not exist or be empty.\n";

struct Options {
  std::string checkpoint, calibration, eval, out, report, nhc;
};

bool parse(int argc, char **argv, Options &o, std::string &error) {
  bool fp8 = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    std::string value;
    size_t eq = arg.find('=');
    std::string name = eq == std::string::npos ? arg : arg.substr(0, eq);
    std::string *dest = name == "--fp8"           ? &o.checkpoint
                        : name == "--calibration" ? &o.calibration
                        : name == "--eval"        ? &o.eval
                        : name == "-o"            ? &o.out
                        : name == "--report"      ? &o.report
                        : name == "--nhc"         ? &o.nhc
                                                  : nullptr;
    if (!dest) {
      error = "unknown argument '" + arg + "'";
      return false;
    }
    if (eq != std::string::npos)
      value = arg.substr(eq + 1);
    else if (i + 1 < argc)
      value = argv[++i];
    else {
      error = name + " needs a value";
      return false;
    }
    if (value.empty()) {
      error = name + " needs a non-empty value";
      return false;
    }
    // Each names one file or directory: a second one is a mistake (which
    // would win is not obvious), found before a long run.
    if (!dest->empty()) {
      error = name + " is given twice ('" + *dest + "' and '" + value + "')";
      return false;
    }
    fp8 = fp8 || name == "--fp8";
    *dest = value;
  }
  if (!fp8)
    error = "--fp8 CHECKPOINT_DIR is required (FP8 is the one recipe)";
  else if (o.calibration.empty())
    error = "--calibration FILE is required";
  else if (o.out.empty())
    error = "-o OUT_DIR is required";
  return error.empty();
}

/// Prompts of `path`, one per non-empty line: token ids or text; `sources`
/// gets each one's "path:line".
std::vector<Prompt> readPrompts(const std::string &path,
                                const std::string &checkpoint,
                                std::vector<std::string> &sources) {
  // A device or FIFO (/dev/zero) is refused by kind, never read.
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw std::runtime_error(
        "'" + path + "' " +
        (fs::exists(path, ec) ? "is not a regular file" : "does not exist"));
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot read '" + path + "'");
  std::vector<Prompt> prompts;
  std::optional<nhc::text::Tokenizer> tokenizer;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    std::string where = path + ":" + std::to_string(number);
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    // nlohmann's parser stops at a NUL ("[1, 2]\0junk" would read as
    // [1, 2]); no prompt line holds one.
    if (line.find('\0') != std::string::npos)
      throw std::runtime_error(where + ": holds a NUL byte");
    nlohmann::json ids = nlohmann::json::parse(line, nullptr, false);
    // Text may start with '[' ("[Verse 1] ...", "[...]"), but a line of
    // nothing but brackets, numbers and commas, with a digit, that is no
    // valid array ("[1,2", "[1e400]") is a broken id list, never a prompt.
    if (!ids.is_array() &&
        line.find_first_not_of(" \t\r") == line.find('[') &&
        line.find_first_not_of("[]0123456789,.+-eE \t\r") ==
            std::string::npos &&
        line.find_first_of("0123456789") != std::string::npos)
      throw std::runtime_error(where + ": not a valid JSON array of token "
                                       "ids (and no text either)");
    if (ids.is_array()) { // else text, even when it starts with '['
      Prompt prompt;
      bool ok = ids.is_array() && !ids.empty();
      for (const nlohmann::json &id : ids) {
        ok = ok && id.is_number_integer() && id.get<int64_t>() >= 0 &&
             id.get<int64_t>() <= INT32_MAX;
        if (ok)
          prompt.push_back(static_cast<int32_t>(id.get<int64_t>()));
      }
      if (!ok)
        throw std::runtime_error(where + ": expected a non-empty JSON array "
                                         "of token ids in [0, 2^31)");
      prompts.push_back(std::move(prompt));
      sources.push_back(where);
      continue;
    }
    if (!tokenizer) {
      try {
        tokenizer = nhc::text::Tokenizer::load(checkpoint);
      } catch (const std::exception &e) {
        throw std::runtime_error(where + ": a text prompt needs the "
                                         "checkpoint's tokenizer: " +
                                 e.what());
      }
    }
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    prompts.push_back(tokenizer->encode(line));
    sources.push_back(where);
    if (prompts.back().empty())
      throw std::runtime_error(where + ": the text encodes to no tokens");
  }
  if (prompts.empty())
    throw std::runtime_error("'" + path + "' holds no prompts");
  return prompts;
}

/// Refuses a prompt the compiled model at `artifactPath` cannot take, by
/// its file and line: longer than max_position_embeddings, or a token id
/// outside the vocabulary (a text prompt's ids come from the tokenizer).
void checkPromptsFit(const std::string &artifactPath,
                     const std::vector<Prompt> &prompts,
                     const std::vector<std::string> &sources) {
  nhc_artifact_t *artifact = nullptr;
  if (nhc_artifact_load(artifactPath.c_str(), &artifact) != NHC_OK)
    throw std::runtime_error(nhc_last_error());
  nhc_model_info_t model{};
  nhc_status_t status =
      nhc_manifest_model_info(nhc_artifact_manifest(artifact), &model);
  nhc_artifact_release(artifact);
  if (status != NHC_OK)
    throw std::runtime_error(nhc_last_error());
  for (size_t i = 0; i < prompts.size(); ++i) {
    const Prompt &prompt = prompts[i];
    if (model.max_position_embeddings &&
        prompt.size() > model.max_position_embeddings)
      throw std::runtime_error(
          sources[i] + ": the prompt has " + std::to_string(prompt.size()) +
          " tokens, more than the model's max_position_embeddings (" +
          std::to_string(model.max_position_embeddings) + ")");
    for (size_t t = 0; t < prompt.size(); ++t)
      if (static_cast<uint64_t>(prompt[t]) >= model.vocab_size)
        throw std::runtime_error(
            sources[i] + ": token id " + std::to_string(prompt[t]) +
            " (position " + std::to_string(t) +
            ") is outside the model's vocabulary of " +
            std::to_string(model.vocab_size) + " ids");
  }
}

/// The nhc compiler: --nhc, else next to this executable, else on PATH.
std::string findCompiler(const std::string &given) {
  if (!given.empty())
    return given;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && fs::exists(self.parent_path() / "nhc"))
    return (self.parent_path() / "nhc").string();
  return "nhc";
}

void compile(const std::string &nhc, const std::string &checkpoint,
             const std::string &artifact) {
  std::vector<std::string> args = {nhc, "compile", checkpoint, "-o", artifact};
  std::vector<char *> argv;
  for (std::string &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int status = 0;
  if (posix_spawnp(&pid, nhc.c_str(), nullptr, nullptr, argv.data(),
                   environ) != 0)
    throw std::runtime_error("cannot run the compiler '" + nhc +
                             "' (pass --nhc PATH)");
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0)
    throw std::runtime_error("'" + nhc + " compile " + checkpoint +
                             "' failed");
}

/// The compiler's path as run: a name without '/' is looked up on PATH as
/// posix_spawnp does (empty when not found).
std::string resolveCompiler(const std::string &nhc) {
  if (nhc.find('/') != std::string::npos)
    return nhc;
  const char *path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  for (size_t begin = 0; begin <= dirs.size();) {
    size_t colon = dirs.find(':', begin);
    if (colon == std::string::npos)
      colon = dirs.size();
    std::string dir = dirs.substr(begin, colon - begin);
    std::string file = (dir.empty() ? "." : dir) + "/" + nhc;
    if (::access(file.c_str(), X_OK) == 0)
      return file;
    begin = colon + 1;
  }
  return "";
}

/// Refuses an output that would replace a file the run reads (every file
/// of the checkpoint, each shard its index names, the prompts, the
/// compiler), and a --report that would replace a file written into
/// OUT_DIR, before anything runs.
void checkOutputs(const Options &o, const fs::path &out,
                  const std::string &compiler) {
  std::set<std::string> inputs = {o.calibration, o.eval, compiler};
  nhc::tools::addCheckpointFiles(o.checkpoint, inputs);
  nhc_weights_t *weights = nullptr;
  if (nhc_weights_open(o.checkpoint.c_str(), &weights) == NHC_OK)
    nhc::tools::addTensorFiles(weights, inputs);
  nhc_weights_release(weights); // a bad checkpoint is reported later
  // What OUT_DIR will hold (fp8_checkpoint.h): the new weights and
  // configs, and a copy of every other regular file of the checkpoint,
  // each of which is read.
  std::set<std::string> written;
  for (const char *name :
       {"model.safetensors", "config.json", "hf_quant_config.json"})
    written.insert((out / name).string());
  std::error_code ec;
  for (const fs::directory_entry &entry :
       fs::directory_iterator(o.checkpoint, ec))
    if (entry.is_regular_file(ec)) {
      inputs.insert(entry.path().string());
      written.insert((out / entry.path().filename()).string());
    }
  // OUT_DIR and any missing parents are made by the run.
  std::vector<nhc::tools::OutputFile> outputs = {
      {"-o", out.string(), /*directoryExists=*/false}};
  for (const std::string &path : written) // OUT_DIR is made later
    outputs.push_back({"-o", path, /*directoryExists=*/false});
  // A report may go into OUT_DIR, which is there by the time it is written.
  outputs.push_back({"--report", o.report,
                     o.report.empty() ||
                         nhc::parentDirectoryOf(o.report) !=
                             nhc::lexicallyAbsolute(out.string())});
  std::string error;
  if (!nhc::tools::checkOutputs(outputs, inputs, error))
    throw std::runtime_error(error);
}

/// A temporary directory, removed with everything in it.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern =
        (fs::temp_directory_path() / "nhc-quantize-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw std::runtime_error("cannot create a temporary directory");
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

/// OUT's contents while they are written: a fresh directory next to it,
/// removed unless moveTo() put it in place.
struct StagingDir {
  fs::path path;
  explicit StagingDir(const fs::path &out) {
    fs::path parent = out.parent_path().empty() ? "." : out.parent_path();
    std::string pattern =
        (parent / ("." + out.filename().string() + ".partial-XXXXXX")).string();
    if (!mkdtemp(pattern.data()))
      throw std::runtime_error("cannot create a directory next to '" +
                               out.string() + "'");
    path = pattern;
  }
  void moveTo(const fs::path &out) {
    // mkdtemp made it 0700: give it an empty directory's mode it replaces,
    // else the mode mkdir would (0777 less the umask).
    std::error_code ec;
    fs::perms mode = fs::status(out, ec).permissions();
    if (ec || mode == fs::perms::unknown) {
      const mode_t mask = ::umask(0);
      ::umask(mask);
      mode = fs::perms(0777 & ~mask);
    }
    fs::permissions(path, mode & fs::perms::mask);
    if (fs::exists(out))
      fs::remove(out); // an empty directory, checked before anything ran
    fs::rename(path, out);
    path.clear();
  }
  ~StagingDir() {
    std::error_code ec;
    if (!path.empty())
      fs::remove_all(path, ec);
  }
};

struct Divergence {
  size_t positions = 0, agree = 0;
  double klSum = 0;
};

/// KL(p || q) of the softmaxes of two logit rows, and whether their argmax
/// agrees; in double.
void compareRow(const float *a, const float *b, uint64_t vocab,
                Divergence &d) {
  auto logSumExp = [vocab](const float *x) {
    double top = x[0];
    for (uint64_t i = 1; i < vocab; ++i)
      top = std::max(top, double(x[i]));
    double sum = 0;
    for (uint64_t i = 0; i < vocab; ++i)
      sum += std::exp(double(x[i]) - top);
    return top + std::log(sum);
  };
  double la = logSumExp(a), lb = logSumExp(b), kl = 0;
  uint64_t argA = 0, argB = 0;
  for (uint64_t i = 0; i < vocab; ++i) {
    double lpa = a[i] - la, lpb = b[i] - lb;
    kl += std::exp(lpa) * (lpa - lpb);
    argA = a[i] > a[argA] ? i : argA;
    argB = b[i] > b[argB] ? i : argB;
  }
  d.positions += 1;
  d.agree += argA == argB;
  d.klSum += kl;
}

int run(const Options &o) {
  fs::path checkpoint(o.checkpoint);
  // "out/" and "out" are the same directory.
  fs::path out = fs::absolute(o.out).lexically_normal();
  if (out.filename().empty())
    out = out.parent_path();
  // OUT_DIR is put in place by renaming a finished directory over its
  // path, which would replace a link rather than write where it points.
  {
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(out, ec)))
      throw std::runtime_error("-o '" + o.out +
                               "' is a symbolic link; name the directory "
                               "itself (a new or empty one)");
  }
  // OUT and each directory above it, links resolved (a path that does not
  // exist is no checkpoint): OUT_DIR never lands inside the checkpoint, at
  // any depth.
  std::error_code resolveError;
  const fs::path resolved = fs::weakly_canonical(out, resolveError);
  for (fs::path dir = resolveError ? out : resolved;;
       dir = dir.parent_path()) {
    std::error_code ec;
    if (fs::equivalent(checkpoint, dir, ec))
      throw std::runtime_error("-o must name a new directory, not the "
                               "checkpoint or a directory inside it");
    if (dir == dir.parent_path())
      break;
  }
  if (!fs::is_directory(checkpoint) || !fs::exists(checkpoint / "config.json"))
    throw std::runtime_error("'" + o.checkpoint +
                             "' is not a checkpoint directory with config.json");
  if (fs::exists(checkpoint / "hf_quant_config.json"))
    throw std::runtime_error("'" + o.checkpoint +
                             "' has hf_quant_config.json: it is quantized "
                             "already; start from the unquantized checkpoint");
  {
    std::vector<uint8_t> bytes;
    std::string error;
    if (!nhc::run::readFile((checkpoint / "config.json").string(), bytes,
                            error))
      throw std::runtime_error(error);
    std::string text(bytes.begin(), bytes.end());
    if (text.find("\"quantization_config\"") != std::string::npos)
      throw std::runtime_error("'" + (checkpoint / "config.json").string() +
                               "' has a quantization_config: start from the "
                               "unquantized checkpoint");
  }
  if (fs::exists(out) && !(fs::is_directory(out) && fs::is_empty(out)))
    throw std::runtime_error("'" + o.out +
                             "' exists and is not an empty directory; nhc "
                             "quantize never overwrites files");
  std::string nhc = findCompiler(o.nhc);
  checkOutputs(o, out, resolveCompiler(nhc));
  std::vector<std::string> sources;
  std::vector<Prompt> calibration =
      readPrompts(o.calibration, o.checkpoint, sources);
  std::vector<Prompt> eval;
  if (!o.eval.empty()) {
    eval = readPrompts(o.eval, o.checkpoint, sources);
  } else if (calibration.size() >= 2) {
    size_t held = (calibration.size() + 3) / 4;
    eval.assign(calibration.end() - held, calibration.end());
    calibration.resize(calibration.size() - held);
  }
  uint64_t maxLen = 1;
  for (const auto *set : {&calibration, &eval})
    for (const Prompt &p : *set)
      maxLen = std::max<uint64_t>(maxLen, p.size());

  TempDir temp;
  std::string original = (temp.path / "original.nhc").string();
  compile(nhc, o.checkpoint, original);
  std::vector<Prompt> all = calibration;
  all.insert(all.end(), eval.begin(), eval.end());
  // `sources` is in file order; the held-out prompts are the calibration
  // file's last ones, so `all` keeps that order.
  checkPromptsFit(original, all, sources);
  ModelRunner base(original, o.checkpoint, maxLen);

  // Calibration: max |input| of every body gemm and routed expert product
  // over every prompt.
  std::vector<std::string> gemms = base.gemmWeights();
  std::vector<float> absmax(gemms.size(), 0.0f);
  const std::vector<std::string> expertGemms = base.expertGemmWeights();
  std::vector<float> expertAbsmax(expertGemms.size(), 0.0f);
  size_t calibrationTokens = 0;
  for (size_t i = 0; i < calibration.size(); ++i) {
    try {
      base.observe(calibration[i], absmax, expertAbsmax);
    } catch (const std::exception &e) {
      throw std::runtime_error("calibration prompt " + std::to_string(i + 1) +
                               ": " + e.what());
    }
    calibrationTokens += calibration[i].size();
  }
  // A NaN input usually comes from a NaN weight upstream of it: name that
  // weight rather than the first module the NaN reached.
  auto isNan = [](float v) { return std::isnan(v); };
  if (std::any_of(absmax.begin(), absmax.end(), isNan) ||
      std::any_of(expertAbsmax.begin(), expertAbsmax.end(), isNan)) {
    std::string weight = firstNonFiniteWeight(base.weights(), base.manifest());
    if (!weight.empty())
      throw std::runtime_error("calibration: activations held NaN: the "
                               "checkpoint's " + weight);
  }
  std::map<std::string, float> inputAbsmax;
  std::vector<std::string> unquantized;
  for (size_t i = 0; i < gemms.size(); ++i) {
    std::string module = gemms[i].substr(0, gemms[i].rfind(".weight"));
    if (std::isnan(absmax[i]))
      throw std::runtime_error("calibration: the input of '" + module +
                               "' held NaN; the model or prompts are broken");
    if (quantizesModule(module))
      inputAbsmax[gemms[i]] = std::max(inputAbsmax[gemms[i]], absmax[i]);
    else
      unquantized.push_back(module);
  }
  // Routed experts run in moe_experts, not as body gemms: one input scale
  // per expert (expert_calibration.h); experts stored stacked are written
  // per expert.
  std::map<std::string, std::string> storedAs;
  for (size_t i = 0; i < nhc_manifest_weight_count(base.manifest()); ++i) {
    std::string stacked = stackedTensorOf(base.weights(), base.manifest(), i);
    if (!stacked.empty()) {
      nhc_tensor_desc_t desc{};
      nhc_manifest_weight_at(base.manifest(), i, &desc);
      storedAs[desc.name] = stacked;
    }
  }
  const ExpertCalibration experts =
      calibrateExperts(expertGemms, expertAbsmax, storedAs);
  inputAbsmax.insert(experts.inputAbsmax.begin(), experts.inputAbsmax.end());
  unquantized.insert(unquantized.end(), experts.stacked.begin(),
                     experts.stacked.end());
  const size_t linearLayers =
      gemms.size() + 1 /* lm_head */ + experts.inputAbsmax.size() +
      experts.stacked.size();
  if (inputAbsmax.empty())
    throw std::runtime_error("'" + o.checkpoint +
                             "' has no Mamba in_proj/out_proj or MLP "
                             "up_proj/down_proj to quantize");
  bool hasMamba = false;
  for (const auto &[weight, unused] : inputAbsmax)
    hasMamba = hasMamba || weight.find(".mixer.in_proj.") != std::string::npos;
  std::vector<std::string> exclude = excludeModules(unquantized, hasMamba);

  // Write into a fresh directory next to OUT, check it, then move it into
  // place: OUT appears complete or not at all.
  fs::create_directories(out.parent_path());
  StagingDir staging(out);
  std::vector<QuantizedModule> modules =
      writeFp8Checkpoint(base.weights(), base.manifest(), inputAbsmax, exclude,
                         o.checkpoint, staging.path.string());

  // The quantized model must compile with exactly these FP8 modules.
  std::string fp8 = (temp.path / "fp8.nhc").string();
  compile(nhc, staging.path.string(), fp8);
  ModelRunner quantized(fp8, staging.path.string(), maxLen);
  std::set<std::string> expected, compiled;
  for (const QuantizedModule &m : modules)
    expected.insert(m.module + ".weight");
  for (size_t i = 0; i < nhc_manifest_weight_count(quantized.manifest()); ++i) {
    nhc_tensor_desc_t desc{};
    nhc_manifest_weight_at(quantized.manifest(), i, &desc);
    nhc_tensor_info_t info{};
    nhc_weights_bound_at(quantized.weights(), i, &info);
    if (desc.dtype == NHC_DTYPE_F8_E4M3)
      compiled.insert(info.desc.name);
  }
  if (expected != compiled)
    throw std::runtime_error("internal error: the written checkpoint "
                             "compiles to other FP8 modules than were "
                             "quantized");
  staging.moveTo(out);

  Divergence d;
  for (const Prompt &prompt : eval) {
    std::vector<float> a = base.logits(prompt), b = quantized.logits(prompt);
    for (size_t t = 0; t < prompt.size(); ++t)
      compareRow(&a[t * base.vocab()], &b[t * base.vocab()], base.vocab(), d);
  }

  std::printf("nhc quantize: FP8 e4m3, per-tensor static scales (modelopt)\n");
  std::printf("  quantized: %zu of %zu linear layers (Mamba in/out_proj, MLP "
              "and experts' up/down_proj)\n",
              modules.size(), linearLayers);
  if (!experts.uncalibrated.empty())
    std::printf("  routed expert projections without a calibrated input: "
                "%zu (each takes its layer's largest input scale)\n",
                experts.uncalibrated.size());
  std::printf("  calibration: %zu prompts, %zu tokens\n", calibration.size(),
              calibrationTokens);
  if (d.positions)
    std::printf("  held out: %zu prompts, %zu positions: top-1 agreement "
                "%.2f%%, mean KL %.3g nats\n",
                eval.size(), d.positions, 100.0 * d.agree / d.positions,
                d.klSum / d.positions);
  else
    std::printf("  held out: none (one calibration prompt and no --eval): "
                "divergence not measured\n");
  std::printf("  wrote %s\n", o.out.c_str());

  if (!o.report.empty()) {
    nlohmann::ordered_json report = {
        {"checkpoint", o.checkpoint},
        {"output", o.out},
        {"calibration", {{"prompts", calibration.size()},
                         {"tokens", calibrationTokens}}},
        {"held_out", {{"prompts", eval.size()}, {"positions", d.positions}}},
        {"top1_agreement",
         d.positions ? nlohmann::json(double(d.agree) / d.positions) : nullptr},
        {"mean_kl_nats",
         d.positions ? nlohmann::json(d.klSum / d.positions) : nullptr},
        {"exclude_modules", exclude},
        {"uncalibrated_experts", experts.uncalibrated}};
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const QuantizedModule &m : modules)
      list.push_back({{"module", m.module},
                      {"input_scale", m.inputScale},
                      {"weight_scale", m.weightScale}});
    report["modules"] = list;
    std::string text = report.dump(2) + "\n", error;
    if (!nhc::run::writeFileAtomically(
            o.report, std::vector<uint8_t>(text.begin(), text.end()), error))
      throw std::runtime_error(error);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  std::string error;
  if (!parse(argc, argv, options, error)) {
    std::fprintf(stderr, "nhc quantize: error: %s\n%s", error.c_str(), kUsage);
    return 2;
  }
  try {
    return run(options);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "nhc quantize: error: %s\n", e.what());
    return 1;
  }
}

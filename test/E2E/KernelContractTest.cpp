//===- KernelContractTest.cpp - Edited manifests against kernel contracts -===//
//
// A manifest whose buffers, state tensors or kernel arguments no longer
// agree with what nhc's kernels index (edited by hand or by an attacker, the
// container's checksums recomputed) must fail nhc_artifact_load naming the
// kernel call and the buffer or state, never run a kernel past its memory
// (runtime/src/kernel_extents.h). Each test edits copies of the artifacts
// the build compiled for the golden cases.
//
//===----------------------------------------------------------------------===//

#include "ArtifactEdit.h"
#include "nhc/runtime/api.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {

using Json = nlohmann::json;

// Cases covering every library kernel a plan calls: Mamba, attention, MLP
// (dense), MoE routing (moe), FP8 quantization (fp8), the bf16 KV cache and
// SSM state kernels, the rounding of activations (dense-bf16-act).
const char *const kArtifacts[] = {"dense.nhc",        "moe.nhc",
                                  "fp8.nhc",          "dense-bf16kv.nhc",
                                  "moe-bf16ssm.nhc",  "dense-bf16-act.nhc"};

std::string artifactPath(const std::string &name) {
  return std::string(NHC_E2E_ARTIFACT_DIR) + "/" + name;
}

struct Loaded {
  nhc_status_t status;
  std::string error;
};

/// Loads a copy of `artifact` whose manifest `edit` changed.
Loaded loadEdited(const std::string &artifact,
                  const std::function<void(Json &)> &edit) {
  const std::string to = ::testing::TempDir() + std::to_string(getpid()) +
                         "-contract-" + artifact;
  const std::string failure = nhc::test::writeEditedJsonSection(
      artifactPath(artifact), to, NHC_SECTION_MANIFEST_JSON, edit);
  EXPECT_TRUE(failure.empty()) << failure;
  nhc_artifact_t *loaded = nullptr;
  Loaded out{nhc_artifact_load(to.c_str(), &loaded), ""};
  out.error = out.status == NHC_OK ? "" : nhc_last_error();
  nhc_artifact_release(loaded);
  std::remove(to.c_str());
  return out;
}

/// Calls `visit(entry)` for every kernel entry of every schedule.
void forEachKernelCall(Json &manifest, const std::function<void(Json &)> &visit) {
  for (auto &schedule : manifest["schedules"].items())
    for (Json &entry : schedule.value())
      if (entry.contains("kernel"))
        visit(entry);
}

/// Whether any kernel entry passes `{key: name}`.
bool kernelReads(Json manifest, const char *key, const std::string &name) {
  bool found = false;
  forEachKernelCall(manifest, [&](Json &entry) {
    for (const Json &arg : entry["args"])
      found = found || (arg.contains(key) && arg[key] == name);
  });
  return found;
}

Json manifestOf(const std::string &artifact) {
  Json manifest;
  const std::string to = ::testing::TempDir() + std::to_string(getpid()) +
                         "-read-" + artifact;
  nhc::test::writeEditedJsonSection(artifactPath(artifact), to,
                                    NHC_SECTION_MANIFEST_JSON,
                                    [&](Json &m) { manifest = m; });
  std::remove(to.c_str());
  return manifest;
}

TEST(KernelContract, CompiledArtifactsLoad) {
  for (const char *artifact : kArtifacts) {
    Loaded loaded = loadEdited(artifact, [](Json &) {});
    EXPECT_EQ(loaded.status, NHC_OK) << artifact << ": " << loaded.error;
  }
}

// The compiler sizes each buffer to what its kernels reach, so one element
// fewer per token (or request) is refused, naming the buffer (a hunt of
// 2026-12-07: `b3.elems` shrunk ended in a heap fault).
TEST(KernelContract, ABufferOneElementShortIsRefused) {
  for (const char *artifact : kArtifacts) {
    const Json manifest = manifestOf(artifact);
    int checked = 0;
    for (size_t b = 0; b < manifest["buffers"].size(); ++b) {
      const std::string name = manifest["buffers"][b]["name"];
      if (!kernelReads(manifest, "buffer", name))
        continue; // gemm / library operands: checked by their own parser
      Loaded loaded = loadEdited(artifact, [&](Json &m) {
        m["buffers"][b]["elems"] = m["buffers"][b]["elems"].get<int64_t>() - 1;
      });
      EXPECT_EQ(loaded.status, NHC_INVALID_FORMAT)
          << artifact << ": buffer " << name << " one element short loaded";
      EXPECT_NE(loaded.error.find("buffer '" + name + "'"), std::string::npos)
          << loaded.error;
      ++checked;
    }
    EXPECT_GT(checked, 3) << artifact;
  }
}

// A state tensor's per-slot size is the kernel's slot stride: any other
// size, smaller or larger, would let one slot's kernel reach another's.
TEST(KernelContract, AStateTensorOfAnotherSizeIsRefused) {
  for (const char *artifact : kArtifacts) {
    const Json manifest = manifestOf(artifact);
    for (size_t s = 0; s < manifest["state"].size(); ++s) {
      const std::string name = manifest["state"][s]["name"];
      for (int64_t delta : {-1, 1}) {
        Loaded loaded = loadEdited(artifact, [&](Json &m) {
          Json &shape = m["state"][s]["shape"];
          Json &last = shape[shape.size() - 1];
          last = last.get<int64_t>() + delta;
        });
        EXPECT_EQ(loaded.status, NHC_INVALID_FORMAT)
            << artifact << ": state " << name << " last dim " << delta;
        EXPECT_NE(loaded.error.find("state '" + name + "'"), std::string::npos)
            << loaded.error;
      }
    }
  }
}

// A conv of one tap keeps no state: the compiler passes its weight where the
// state goes, which only a kernel of one tap may take; every wider conv
// indexes a state tensor of K - 1 inputs per channel.
TEST(KernelContract, OnlyAConvOfOneTapTakesNoState) {
  int convs = 0;
  Loaded loaded = loadEdited("conv_k1.nhc", [&](Json &m) {
    EXPECT_FALSE(kernelReads(m, "state", "layers.0.conv_state"));
    forEachKernelCall(m, [&](Json &entry) {
      if (entry["kernel"] != "nhc_conv1d_act")
        return;
      ++convs;
      EXPECT_EQ(entry["args"][12], Json({{"index", 1}}));
      EXPECT_EQ(entry["args"][8], entry["args"][4]); // the weight
    });
  });
  EXPECT_EQ(loaded.status, NHC_OK) << loaded.error;
  EXPECT_EQ(convs, 2); // M-*M-: two Mamba layers
  // A state tensor there would be a pool's slot the kernel never indexes.
  loaded = loadEdited("conv_k1.nhc", [](Json &m) {
    forEachKernelCall(m, [](Json &entry) {
      if (entry["kernel"] == "nhc_conv1d_act")
        entry["args"][8] = Json({{"state", "layers.0.ssm_state"}});
    });
  });
  EXPECT_EQ(loaded.status, NHC_INVALID_FORMAT);
  EXPECT_NE(loaded.error.find("reads conv_state (none: one tap) as a buffer, "
                              "weight or the logits, not a state tensor"),
            std::string::npos)
      << loaded.error;
  // The other way: a weight where a conv of four taps keeps its state.
  loaded = loadEdited("dense.nhc", [](Json &m) {
    forEachKernelCall(m, [](Json &entry) {
      if (entry["kernel"] == "nhc_conv1d_act")
        entry["args"][8] = entry["args"][4];
    });
  });
  EXPECT_EQ(loaded.status, NHC_INVALID_FORMAT);
  EXPECT_NE(loaded.error.find("takes conv_state as a state tensor"),
            std::string::npos)
      << loaded.error;
}

struct SizeEdit {
  const char *kernel;
  size_t param;
  int64_t factor; // the argument (at least 1) times factor, or
  int64_t set;    // this value when factor is 0
  const char *says;
};

// A size argument that outgrows its buffers, or a zero count the kernel
// divides by, is refused; so is a step-sized argument given as a number.
TEST(KernelContract, SizeArgumentsBeyondTheirMemoryAreRefused) {
  const SizeEdit edits[] = {
      {"nhc_rms_norm", 4, 2, 0, "reaches"},
      {"nhc_add_rms_norm", 5, 2, 0, "reaches"},
      {"nhc_conv1d_act", 11, 2, 0, "reaches"},
      {"nhc_conv1d_act", 12, 2, 0, "elements of w per call"},
      {"nhc_conv1d_act", 7, 0, 16, "act 16 exceeds the last activation code"},
      {"nhc_ssd_scan", 12, 2, 0, "reaches"},
      {"nhc_ssd_chunk_scan", 13, 2, 0, "reaches"},
      {"nhc_ssd_chunk_scan", 14, 0, 0, "G 0 is outside"},
      {"nhc_ssd_chunk_scan", 14, 0, 3, "is not a multiple of G 3"},
      {"nhc_ssd_chunk_scan", 15, 0, 0, "chunk 0 is outside"},
      {"nhc_gated_rms_norm", 7, 0, 0, "G 0 is outside"},
      {"nhc_gated_rms_norm", 6, 2, 0, "reaches"},
      {"nhc_attention", 12, 2, 0, "reaches"},
      {"nhc_attention", 12, 0, 3, "is not a multiple of Hkv 3"},
      {"nhc_attention", 2, 1000, 0, "reaches"},
      {"nhc_attention", 13, 0, -1, "D -1 is outside"},
      {"nhc_gather_last", 4, 2, 0, "reaches"},
      {"nhc_moe_route", 7, 0, 0, "n_group 0 is outside"},
      {"nhc_moe_route", 6, 100, 0, "exceeds the experts of topk_group groups"},
      {"nhc_moe_route", 5, 2, 0, "reaches"},
      {"nhc_round_activations", 4, 2, 0, "reaches"},
      {"nhc_round_activations", 2, 1000, 0, "reaches"},
      {"nhc_round_activations", 5, 0, 16,
       "act 16 exceeds the last activation code"},
      {"nhc_round_activations", 6, 0, 2,
       "dtype 2 exceeds the last rounding dtype code"},
      {"nhc_round_activations", 1, 0, 1, "exceeds x_stride 1"},
  };
  for (const SizeEdit &edit : edits) {
    const std::string kernel = edit.kernel;
    const char *artifact = kernel == "nhc_moe_route" ? "moe.nhc"
                           : kernel == "nhc_round_activations"
                               ? "dense-bf16-act.nhc"
                               : "dense.nhc";
    int edited = 0;
    Loaded loaded = loadEdited(artifact, [&](Json &m) {
      forEachKernelCall(m, [&](Json &entry) {
        if (entry["kernel"] != edit.kernel || edited++)
          return;
        Json &arg = entry["args"][edit.param];
        arg["index"] = edit.factor == 0
                           ? edit.set
                           : std::max<int64_t>(arg["index"].get<int64_t>(), 1) *
                                 edit.factor;
      });
    });
    ASSERT_EQ(edited > 0, true) << artifact << " calls " << edit.kernel;
    EXPECT_EQ(loaded.status, NHC_INVALID_FORMAT)
        << edit.kernel << " args[" << edit.param << "]";
    EXPECT_NE(loaded.error.find(edit.says), std::string::npos)
        << edit.kernel << ": " << loaded.error;
    EXPECT_NE(loaded.error.find(edit.kernel), std::string::npos) << loaded.error;
  }
  // gather_last walks the request table: R can only be the step's requests
  // (the step's tokens would read past the table).
  int gathered = 0;
  Loaded gather = loadEdited("dense.nhc", [&](Json &m) {
    forEachKernelCall(m, [&](Json &entry) {
      if (entry["kernel"] == "nhc_gather_last" && !gathered++)
        entry["args"][3] = {{"dim", "tokens"}};
    });
  });
  ASSERT_EQ(gathered, 1);
  EXPECT_EQ(gather.status, NHC_INVALID_FORMAT);
  EXPECT_NE(gather.error.find("takes {\"dim\": \"requests\"} here"),
            std::string::npos)
      << gather.error;
  // The step's tokens as a number: rows the runtime never sized.
  int edited = 0;
  Loaded loaded = loadEdited("dense.nhc", [&](Json &m) {
    forEachKernelCall(m, [&](Json &entry) {
      if (entry["kernel"] == "nhc_rms_norm" && !edited++)
        entry["args"][3] = {{"index", 4096}};
    });
  });
  EXPECT_EQ(loaded.status, NHC_INVALID_FORMAT);
  EXPECT_NE(loaded.error.find("takes its T as {\"dim\": \"tokens\"}"),
            std::string::npos)
      << loaded.error;
}

// The packed ABI passes as many arguments as the manifest declares: a
// declaration other than the library kernel's would make the kernel read
// arguments that are not there.
TEST(KernelContract, ADeclarationOtherThanTheLibrarysIsRefused) {
  Loaded loaded = loadEdited("dense.nhc", [](Json &m) {
    for (Json &kernel : m["kernels"])
      if (kernel["name"] == "nhc_rms_norm") {
        kernel["params"].erase(kernel["params"].size() - 1);
        kernel["param_elements"].erase(kernel["param_elements"].size() - 1);
      }
    forEachKernelCall(m, [](Json &entry) {
      if (entry["kernel"] == "nhc_rms_norm")
        entry["args"].erase(entry["args"].size() - 1);
    });
  });
  EXPECT_EQ(loaded.status, NHC_INVALID_FORMAT);
  EXPECT_NE(loaded.error.find("kernel 'nhc_rms_norm' of nhc's kernel library "
                              "takes parameters 'mmmiifmi'"),
            std::string::npos)
      << loaded.error;
  // An f32 kernel's state declared as bf16 bits: a BF16 pool, half the
  // bytes the kernel indexes.
  loaded = loadEdited("dense.nhc", [](Json &m) {
    for (Json &kernel : m["kernels"])
      if (kernel["name"] == "nhc_ssd_chunk_scan")
        kernel["param_elements"][7] = "i16";
  });
  EXPECT_EQ(loaded.status, NHC_INVALID_FORMAT);
  EXPECT_NE(loaded.error.find("takes elements 'ff--fffffl----------'"),
            std::string::npos)
      << loaded.error;
  // The token ids are the embedding's input, never a kernel's memref
  // (a kernel writing them would steer the next embedding's reads).
  loaded = loadEdited("moe.nhc", [](Json &m) {
    forEachKernelCall(m, [](Json &entry) {
      if (entry["kernel"] == "nhc_moe_route")
        entry["args"][2] = {{"token_ids", true}};
    });
  });
  EXPECT_EQ(loaded.status, NHC_INVALID_FORMAT);
  EXPECT_NE(loaded.error.find("indexes idx here, not the token ids"),
            std::string::npos)
      << loaded.error;
  // A kernel's sliced entry point, which takes slice arguments the plan
  // cannot pass.
  loaded = loadEdited("dense.nhc", [](Json &m) {
    for (Json &kernel : m["kernels"])
      if (kernel["name"] == "nhc_rms_norm")
        kernel["name"] = "nhc_rms_norm_sliced";
    forEachKernelCall(m, [](Json &entry) {
      if (entry["kernel"] == "nhc_rms_norm")
        entry["kernel"] = "nhc_rms_norm_sliced";
    });
  });
  EXPECT_EQ(loaded.status, NHC_INVALID_FORMAT);
  EXPECT_NE(loaded.error.find("names a sliced entry point"), std::string::npos)
      << loaded.error;
  // A state tensor where the kernel takes the request table.
  loaded = loadEdited("dense.nhc", [](Json &m) {
    forEachKernelCall(m, [](Json &entry) {
      if (entry["kernel"] == "nhc_conv1d_act")
        entry["args"][9] = entry["args"][8];
    });
  });
  EXPECT_EQ(loaded.status, NHC_INVALID_FORMAT);
  EXPECT_NE(loaded.error.find("takes the request table"), std::string::npos)
      << loaded.error;
}

} // namespace

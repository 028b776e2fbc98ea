//===- bf16_gemm.cpp - GEMM in bf16 arithmetic through oneDNN -------------===//

#include "bf16_gemm.h"

#include <cstring>
#include <dnnl.hpp>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "error.h"
#include "onednn_team.h"

namespace nhc::runtime {
namespace {

using dnnl::memory;

struct Engine {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  std::string implementation; // of a probe primitive; "" if unavailable
};

/// The operands of C[m, n] = A[m, k] . W[n, k]^T.
struct Operands {
  memory::desc a, w, c;
  Operands(uint64_t m, uint64_t n, uint64_t k, uint64_t ldc) {
    const auto M = static_cast<memory::dim>(m),
               N = static_cast<memory::dim>(n),
               K = static_cast<memory::dim>(k);
    a = memory::desc({M, K}, memory::data_type::bf16, memory::dims{K, 1});
    // W is [n, k] row-major: the [k, n] operand with strides {1, k}.
    w = memory::desc({K, N}, memory::data_type::bf16, memory::dims{1, K});
    c = memory::desc({M, N}, memory::data_type::f32,
                     memory::dims{static_cast<memory::dim>(ldc), 1});
  }
};

dnnl::matmul::primitive_desc describe(const dnnl::engine &engine, uint64_t m,
                                      uint64_t n, uint64_t k, uint64_t ldc,
                                      bool accumulate) {
  Operands operands(m, n, k, ldc);
  dnnl::primitive_attr attr;
  // Each thread passes its own scratchpad: nothing is shared between
  // concurrent calls.
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (accumulate) {
    dnnl::post_ops sum;
    sum.append_sum(1.0f);
    attr.set_post_ops(sum);
  }
  return dnnl::matmul::primitive_desc(
      dnnl::matmul::desc(operands.a, operands.w, operands.c), attr, engine);
}

const Engine &engine() {
  static Engine *instance = [] {
    auto *e = new Engine; // never destroyed: pool threads may still run
    // oneDNN's ISA values are nested bit sets: every ISA with bf16
    // dot products (AMX, AVX10, ...) contains avx512_core_bf16's bits.
    const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    try {
      if ((isa & bf16) == bf16)
        e->implementation = describe(e->engine, 64, 64, 64, 64, false)
                                .impl_info_str();
    } catch (const dnnl::error &) {
      e->implementation.clear(); // no bf16 matmul here: f32 it is
    }
    // A reference (scalar) implementation is slower than the f32 path.
    if (e->implementation.rfind("ref", 0) == 0)
      e->implementation.clear();
    return e;
  }();
  return *instance;
}

using Shape = std::tuple<uint64_t, uint64_t, uint64_t, uint64_t, bool>;

struct Primitive {
  dnnl::matmul matmul;
  dnnl::memory::desc scratchpad;
};

/// Primitives of this thread by shape (oneDNN also caches their compiled
/// kernels process-wide), each built once: about half a millisecond.
const Primitive &primitive(const Shape &shape) {
  thread_local std::map<Shape, Primitive> primitives;
  auto it = primitives.find(shape);
  if (it != primitives.end())
    return it->second;
  if (primitives.size() >= 256) // prompts of many lengths
    primitives.clear();
  const auto &[m, n, k, ldc, accumulate] = shape;
  dnnl::matmul::primitive_desc pd =
      describe(engine().engine, m, n, k, ldc, accumulate);
  return primitives.emplace(shape, Primitive{dnnl::matmul(pd),
                                             pd.scratchpad_desc()})
      .first->second;
}

} // namespace

bool bf16GemmAvailable() { return !engine().implementation.empty(); }

const char *bf16GemmImplementation() { return engine().implementation.c_str(); }

void roundRowsToBf16(uint64_t m, uint64_t k, const float *a, uint64_t lda,
                     uint16_t *out) {
  for (uint64_t r = 0; r < m; ++r) {
    const float *row = a + r * lda;
    uint16_t *dst = out + r * k;
    for (uint64_t i = 0; i < k; ++i) {
      uint32_t bits;
      std::memcpy(&bits, &row[i], sizeof bits);
      const bool nan = (bits & 0x7fffffffu) > 0x7f800000u;
      const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
      dst[i] = static_cast<uint16_t>(nan ? (bits >> 16) | 0x40u : rounded);
    }
  }
}

void bf16GemmNT(uint64_t m, uint64_t n, uint64_t k, const uint16_t *a,
                const uint16_t *w, float *c, uint64_t ldc, bool accumulate) {
  NHC_CHECK(bf16GemmAvailable(), NHC_INTERNAL,
            "bf16 gemm: this CPU has no bf16 dot-product instructions");
  OneThreadTeam oneThread;
  try {
    const dnnl::engine &cpu = engine().engine;
    dnnl::stream stream(cpu);
    const Primitive &gemm = primitive({m, n, k, ldc, accumulate});
    thread_local std::vector<uint8_t> scratchpad;
    if (scratchpad.size() < gemm.scratchpad.get_size())
      scratchpad.resize(gemm.scratchpad.get_size());
    Operands operands(m, n, k, ldc);
    memory am(operands.a, cpu, const_cast<uint16_t *>(a));
    memory wm(operands.w, cpu, const_cast<uint16_t *>(w));
    memory cm(operands.c, cpu, c);
    memory sm(gemm.scratchpad, cpu, scratchpad.data());
    gemm.matmul.execute(stream, {{DNNL_ARG_SRC, am},
                                 {DNNL_ARG_WEIGHTS, wm},
                                 {DNNL_ARG_DST, cm},
                                 {DNNL_ARG_SCRATCHPAD, sm}});
    stream.wait();
  } catch (const dnnl::error &e) {
    throw Error(e.status == dnnl_out_of_memory ? NHC_OUT_OF_MEMORY
                                               : NHC_INTERNAL,
                cat("bf16 gemm [", m, " x ", k, "] . [", n, " x ", k,
                    "]^T: oneDNN: ", e.what()));
  }
}

} // namespace nhc::runtime

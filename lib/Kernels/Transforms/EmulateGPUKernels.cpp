//===- EmulateGPUKernels.cpp - GPU kernels as host loops over a grid ------===//
//
// The kernels of a CUDA test double (runtime/test/fake_cuda_driver.c): the
// same outlined kernel bodies the PTX is made from, run on the host once per
// thread, so a launcher's grids, blocks and parameters are checked by the
// numbers they produce.
//
//===----------------------------------------------------------------------===//

#include "nhc/Kernels/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

namespace mlir::nhc {

#define GEN_PASS_DEF_NHCEMULATEGPUKERNELSPASS
#include "nhc/Kernels/Passes.h.inc"

namespace {

/// LLVM-level parameters of `type` under the default memref convention.
int64_t abiSlots(Type type) {
  if (auto memref = dyn_cast<MemRefType>(type))
    return 3 + 2 * memref.getRank(); // allocated, aligned, offset, sizes, strides
  return 1;
}

/// Index arithmetic at a builder's insertion point.
struct IndexMath {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, int64_t y) {
    return arith::MulIOp::create(b, loc, x, c(y));
  }
  Value div(Value x, int64_t y) {
    return arith::DivUIOp::create(b, loc, x, c(y));
  }
  Value rem(Value x, int64_t y) {
    return arith::RemUIOp::create(b, loc, x, c(y));
  }
};

/// Where the threads of a block (or of a warp) meet: a gpu.barrier, a
/// warp-wide nvgpu.mma.sync whose lanes exchange their fragments, or a
/// gpu.shuffle whose lanes read each other's values.
bool isSyncPoint(Operation *op) {
  return isa<gpu::BarrierOp, nvgpu::MmaSyncOp, gpu::ShuffleOp>(op);
}

/// The lanes of a warp, the only shuffle width the emulation runs.
constexpr int64_t kWarpLanes = 32;

/// Whether `op` is a sync point or holds one.
bool hasSyncPoint(Operation *op) {
  bool found = false;
  op->walk([&](Operation *nested) {
    if (!isSyncPoint(nested))
      return WalkResult::advance();
    found = true;
    return WalkResult::interrupt();
  });
  return found;
}

/// The mma shapes the emulation runs (PTX ISA, "Matrix Fragments for mma"):
/// m16n8k16 with f16 operands, m16n8k8 with tf32 ones, f32 accumulators, as
/// nvgpu.mma.sync spells their fragments. (MLIR 22's convert-nvgpu-to-nvvm
/// cannot lower bf16 operands; tf32 holds every bf16 value exactly.)
enum class MmaKind { Half16, Tf32 };

/// An emulated kernel's trailing index parameters: the grid's x, y, z, the
/// block's x, y, z and the launch's dynamic shared memory in bytes.
constexpr unsigned kTrailingSizes = 7;

/// Prefix of the private helpers the emulation adds; inputs may not use it.
constexpr llvm::StringLiteral kHelperPrefix = "__nhc_emulated_";

std::optional<MmaKind> mmaKind(nvgpu::MmaSyncOp mma) {
  auto shape = llvm::to_vector(
      llvm::map_range(mma.getMmaShape().getAsRange<IntegerAttr>(),
                      [](IntegerAttr v) { return v.getInt(); }));
  auto a = cast<VectorType>(mma.getMatrixA().getType());
  auto b = cast<VectorType>(mma.getMatrixB().getType());
  auto c = cast<VectorType>(mma.getMatrixC().getType());
  auto is = [](VectorType t, ArrayRef<int64_t> dims, Type elem) {
    return t.getShape() == dims && t.getElementType() == elem;
  };
  Type f32 = Float32Type::get(mma.getContext());
  if (!is(c, {2, 2}, f32) || mma.getRes().getType() != c)
    return std::nullopt;
  Type elem = a.getElementType();
  if (shape == SmallVector<int64_t>{16, 8, 16} &&
      elem.isF16() && is(a, {4, 2}, elem) &&
      is(b, {2, 2}, elem))
    return MmaKind::Half16;
  if (shape == SmallVector<int64_t>{16, 8, 8} && mma.getTf32Enabled() &&
      is(a, {4, 1}, f32) && is(b, {2, 1}, f32))
    return MmaKind::Tf32;
  return std::nullopt;
}

/// Whether `value` can be computed once per launch, before the block loops:
/// a kernel argument, a constant, or a pure arith op of the kernel's body
/// on such values (not a thread's or a block's id).
bool launchUniform(Value value, gpu::GPUFuncOp kernel) {
  if (auto arg = dyn_cast<BlockArgument>(value))
    return arg.getOwner() == &kernel.getBody().front() &&
           arg.getArgNumber() < kernel.getFunctionType().getNumInputs();
  Operation *def = value.getDefiningOp();
  if (def->hasTrait<OpTrait::ConstantLike>())
    return true;
  if (!isa<arith::ArithDialect>(def->getDialect()) || !isPure(def) ||
      def->getParentOp() != kernel)
    return false;
  return llvm::all_of(def->getOperands(), [&](Value operand) {
    return launchUniform(operand, kernel);
  });
}

/// Why the kernel's dynamic shared memory cannot be emulated, or empty. It
/// becomes one host buffer of the launch's bytes, seen through views made
/// before the block loops: every gpu.dynamic_shared_memory and memref.view
/// of it must be in the body, each view 1-D of 32-bit elements (race tags
/// are per 4-byte word) with launch-uniform offset and size, used only by
/// loads and stores.
std::string unsupportedDynamicShared(gpu::GPUFuncOp kernel) {
  std::string why;
  kernel.walk([&](gpu::DynamicSharedMemoryOp dynamic) {
    if (dynamic->getParentOp() != kernel) {
      why = "a gpu.dynamic_shared_memory is not in the kernel's body";
      return WalkResult::interrupt();
    }
    for (Operation *user : dynamic->getUsers()) {
      auto view = dyn_cast<memref::ViewOp>(user);
      if (!view || view->getParentOp() != kernel) {
        why = "dynamic shared memory is used by '" +
              user->getName().getStringRef().str() +
              "' (only memref.view ops in the kernel's body are emulated)";
        return WalkResult::interrupt();
      }
      MemRefType type = view.getType();
      if (type.getRank() != 1 || type.getElementTypeBitWidth() != 32) {
        why = "a view of dynamic shared memory is not 1-D of 32-bit "
              "elements";
        return WalkResult::interrupt();
      }
      for (Value operand : view->getOperands().drop_front())
        if (!launchUniform(operand, kernel)) {
          why = "a view of dynamic shared memory has an offset or size "
                "that is not computed from the kernel's arguments and "
                "constants";
          return WalkResult::interrupt();
        }
      for (Operation *access : view->getUsers())
        if (!isa<memref::LoadOp, memref::StoreOp>(access)) {
          why = "a view of dynamic shared memory is used by '" +
                access->getName().getStringRef().str() +
                "' (only loads and stores are emulated)";
          return WalkResult::interrupt();
        }
    }
    return WalkResult::advance();
  });
  return why;
}

/// Why `kernel` cannot be emulated, or empty. Barriers (and mmas and
/// shuffles, which a warp's lanes meet at) must be where every
/// thread of a block reaches them together by construction: in the body, or
/// in `scf.for` loops and `scf.if` branches that are themselves so placed.
/// Such a loop's bounds (a branch's condition) must be the same in every
/// thread (anything else is undefined on a GPU); the emulation takes thread
/// 0's, and with check-races asserts that every thread's are the same.
std::string unsupported(gpu::GPUFuncOp kernel) {
  if (!kernel.getPrivateAttributions().empty())
    return "it has private memory attributions";
  for (BlockArgument buffer : kernel.getWorkgroupAttributions()) {
    auto type = cast<MemRefType>(buffer.getType());
    if (!type.hasStaticShape())
      return "a workgroup buffer has a dynamic shape";
    if (!type.getElementType().isIntOrFloat())
      return "a workgroup buffer's elements are not integers or floats";
    // It becomes a plain stack buffer: only loads and stores keep their
    // types when its memory space goes.
    for (Operation *user : buffer.getUsers())
      if (!isa<memref::LoadOp, memref::StoreOp, memref::AtomicRMWOp>(user))
        return "a workgroup buffer is used by '" +
               user->getName().getStringRef().str() +
               "' (only loads, stores and atomics are emulated)";
  }
  if (!kernel.getBody().hasOneBlock())
    return "its body has more than one block";
  std::string why = unsupportedDynamicShared(kernel);
  if (!why.empty())
    return why;
  kernel.getBody().walk([&](Operation *op) {
    bool supported =
        isa<gpu::ThreadIdOp, gpu::BlockIdOp, gpu::BlockDimOp, gpu::GridDimOp,
            gpu::ReturnOp, gpu::BarrierOp, gpu::DynamicSharedMemoryOp,
            gpu::ShuffleOp>(op);
    if (!supported && isa<gpu::GPUDialect>(op->getDialect())) {
      why = "it uses '" + op->getName().getStringRef().str() +
            "', which the emulation does not run (threads that exchange "
            "registers would need to run in lockstep)";
      return WalkResult::interrupt();
    }
    if (auto shuffle = dyn_cast<gpu::ShuffleOp>(op)) {
      APInt width;
      if (!matchPattern(shuffle.getWidth(), m_ConstantInt(&width)) ||
          width != kWarpLanes) {
        why = "a gpu.shuffle's width is not the constant 32 (the emulation "
              "runs shuffles over whole warps)";
        return WalkResult::interrupt();
      }
    }
    if (auto mma = dyn_cast<nvgpu::MmaSyncOp>(op); mma && !mmaKind(mma)) {
      why = "an nvgpu.mma.sync is neither m16n8k16 with f16 operands nor "
            "m16n8k8 with tf32 ones (f32 accumulators)";
      return WalkResult::interrupt();
    }
    if (!isa<NVVM::MembarOp>(op) && isa<NVVM::NVVMDialect>(op->getDialect())) {
      why = "it uses '" + op->getName().getStringRef().str() +
            "', which the emulation does not run";
      return WalkResult::interrupt();
    }
    if (!isa<nvgpu::MmaSyncOp>(op) && isa<nvgpu::NVGPUDialect>(op->getDialect())) {
      why = "it uses '" + op->getName().getStringRef().str() +
            "', which the emulation does not run";
      return WalkResult::interrupt();
    }
    if (isSyncPoint(op))
      for (Operation *parent = op->getParentOp(); !isa<gpu::GPUFuncOp>(parent);
           parent = parent->getParentOp()) {
        if (!isa<scf::ForOp, scf::IfOp>(parent)) {
          why = "a '" + op->getName().getStringRef().str() + "' is under '" +
                parent->getName().getStringRef().str() +
                "' (only the body, scf.for loops and scf.if branches may "
                "hold a gpu.barrier, an nvgpu.mma.sync or a gpu.shuffle)";
          return WalkResult::interrupt();
        }
      }
    return WalkResult::advance();
  });
  return why;
}
struct NHCEmulateGPUKernelsPass
    : impl::NHCEmulateGPUKernelsPassBase<NHCEmulateGPUKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUFuncOp> kernels;
    module.walk([&](gpu::GPUFuncOp fn) {
      if (fn.isKernel())
        kernels.push_back(fn);
    });
    for (gpu::GPUFuncOp kernel : kernels)
      if (std::string why = unsupported(kernel); !why.empty()) {
        kernel.emitError("cannot emulate GPU kernel '")
            << kernel.getName() << "': " << why;
        return signalPassFailure();
      }

    for (Operation &op : module.getBody()->getOperations())
      if (auto symbol = dyn_cast<SymbolOpInterface>(op);
          symbol && symbol.getName().starts_with(kHelperPrefix)) {
        op.emitError("symbol '") << symbol.getName()
                                 << "' uses the emulation's reserved prefix '"
                                 << kHelperPrefix << "'";
        return signalPassFailure();
      }

    // A memory fence orders nothing more where blocks and threads run one
    // after another.
    for (gpu::GPUFuncOp kernel : kernels)
      kernel.walk([](NVVM::MembarOp fence) { fence.erase(); });

    SmallVector<Operation *> created;
    OpBuilder b(module.getContext());
    b.setInsertionPointToEnd(module.getBody());
    for (gpu::GPUFuncOp kernel : kernels) {
      func::FuncOp emulated = emulate(b, kernel, created);
      if (!emulated)
        return signalPassFailure();
      created.push_back(emulated);
      if (keepLaunchers)
        emulated.setPrivate(); // only the library kernels are entries
      else
        for (auto [suffix, value] :
             {std::pair<StringRef, int64_t>{"_abi_slots", abiSlotCount(kernel)},
              {"_static_shared_bytes", staticSharedBytes(kernel)}})
          created.push_back(constantFunction(b, kernel, suffix, value));
    }
    if (keepLaunchers && failed(callEmulatedKernels(module)))
      return signalPassFailure();
    for (Operation &op :
         llvm::make_early_inc_range(module.getBody()->getOperations()))
      if (!llvm::is_contained(created, &op) &&
          !(keepLaunchers && isa<func::FuncOp>(op)))
        op.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }

  /// Every gpu.launch_func of the host functions becomes a call of its
  /// emulated kernel: the kernel's operands, then the grid's and the
  /// block's x, y, z sizes and the dynamic shared memory's bytes.
  LogicalResult callEmulatedKernels(ModuleOp module) {
    SmallVector<gpu::LaunchFuncOp> launches;
    module.walk([&](func::FuncOp fn) {
      fn.walk([&](gpu::LaunchFuncOp launch) { launches.push_back(launch); });
    });
    for (gpu::LaunchFuncOp launch : launches) {
      if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty())
        return launch.emitError("cannot call the emulated kernel '")
               << launch.getKernelName().getValue()
               << "': the launch has async tokens";
      OpBuilder b(launch);
      SmallVector<Value> operands(launch.getKernelOperands());
      gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
      gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
      Value shared = launch.getDynamicSharedMemorySize();
      if (!shared)
        shared = arith::ConstantIndexOp::create(b, launch.getLoc(), 0);
      for (Value size :
           {grid.x, grid.y, grid.z, block.x, block.y, block.z, shared})
        operands.push_back(size.getType().isIndex()
                               ? size
                               : arith::IndexCastOp::create(
                                     b, launch.getLoc(), b.getIndexType(),
                                     size)
                                     .getResult());
      func::CallOp::create(b, launch.getLoc(), launch.getKernelName(),
                           TypeRange(), operands);
      launch.erase();
    }
    return success();
  }

  /// func.func @<kernel>(args..., gx, gy, gz, bx, by, bz, shared bytes):
  /// every thread.
  /// The body runs per thread in loops over the block's threads; a barrier
  /// ends one such loop nest and starts the next (loop fission), so every
  /// thread finishes what precedes it before any goes on. A value defined
  /// before a barrier and used after it is kept per thread in an array of
  /// the block's size; workgroup buffers and those arrays are allocated once,
  /// before the block loops, and reused by every block; so is the dynamic
  /// shared memory, one heap buffer of the launch's bytes, and its views.
  func::FuncOp emulate(OpBuilder &b, gpu::GPUFuncOp kernel,
                       SmallVectorImpl<Operation *> &created) {
    Location loc = kernel.getLoc();
    MLIRContext *ctx = b.getContext();
    SmallVector<Type> inputs(kernel.getFunctionType().getInputs());
    unsigned numArgs = inputs.size();
    inputs.append(kTrailingSizes, b.getIndexType());
    auto fn = func::FuncOp::create(b, loc, kernel.getName(),
                                   FunctionType::get(ctx, inputs, {}));
    Block *entry = fn.addEntryBlock();
    OpBuilder body = OpBuilder::atBlockBegin(entry);
    Emulation e(entry->getArguments().take_back(kTrailingSizes), loc);
    e.created = &created;
    e.zero = arith::ConstantIndexOp::create(body, loc, 0);
    e.one = arith::ConstantIndexOp::create(body, loc, 1);
    for (unsigned i = 0; i < numArgs; ++i)
      e.map.map(kernel.getArgument(i), entry->getArgument(i));
    // A block's memory (workgroup buffers, the per-thread arrays of values
    // kept across barriers) is allocated once, before the block loops, and
    // reused by each block in turn: blocks run one after another here, and
    // on a GPU shared memory starts undefined too. (Stack memory per block
    // would grow with the grid: canonicalization inlines an alloca_scope
    // nested in loops.)
    e.kernelName = kernel.getName().str();
    e.checkRaces = checkRaces;
    for (BlockArgument buffer : kernel.getWorkgroupAttributions()) {
      auto type = cast<MemRefType>(buffer.getType());
      auto local = MemRefType::get(type.getShape(), type.getElementType());
      Value alloca = memref::AllocaOp::create(body, loc, local);
      e.map.map(buffer, alloca);
      e.undefinedAtBlockStart.push_back(alloca);
      if (checkRaces) { // who last wrote and read each element, and when
        auto tags = MemRefType::get({type.getNumElements()}, body.getI64Type());
        Value writers = memref::AllocaOp::create(body, loc, tags);
        Value readers = memref::AllocaOp::create(body, loc, tags);
        Value length =
            arith::ConstantIndexOp::create(body, loc, type.getNumElements());
        e.shadows[alloca] = {writers, readers, e.zero, length};
        e.tagArrays.push_back({writers, readers, length});
      }
    }
    e.dynamicShared(body, kernel);
    if (!e.shadows.empty())
      e.epoch = memref::AllocaOp::create(
          body, loc, MemRefType::get({1}, body.getI64Type()));
    e.threads = arith::MulIOp::create(
        body, loc, arith::MulIOp::create(body, loc, e.sizes[3], e.sizes[4]),
        e.sizes[5]);
    // Loops z, y, x over blocks; blockIds[0..2] are the block's x, y, z.
    e.reverse = reverseOrder;
    for (int d = 2; d >= 0; --d) {
      auto loop = scf::ForOp::create(body, loc, e.zero, e.sizes[d], e.one);
      body.setInsertionPoint(loop.getBody()->getTerminator());
      e.blockIds[d] = e.id(body, loop.getInductionVar(), e.sizes[d]);
    }
    Block &kernelBody = kernel.getBody().front();
    e.startBlock(body);
    if (failed(e.run(body, kernelBody)))
      return nullptr;
    OpBuilder end = OpBuilder::atBlockEnd(entry);
    for (Value buffer : e.heapBuffers)
      memref::DeallocOp::create(end, loc, buffer);
    func::ReturnOp::create(end, loc);
    return fn;
  }

  /// The state of one kernel's emulation.
  struct Emulation {
    Emulation(ValueRange sizes, Location loc) : sizes(sizes), loc(loc) {}
    ValueRange sizes; // grid x, y, z, block x, y, z, dynamic shared bytes
    Location loc;
    /// The module's functions the pass keeps (the mma helpers join them).
    SmallVectorImpl<Operation *> *created = nullptr;
    Value zero, one, threads;
    Value blockIds[3];
    bool reverse = false;
    std::string kernelName;
    /// check-races: per workgroup buffer (its alloca, or a view of the
    /// dynamic shared memory), the tags of the last writer and reader of
    /// each element (4-byte word, for the dynamic buffer), where the
    /// buffer's first element is among them and its length; the block's
    /// barrier count.
    bool checkRaces = false;
    struct Shadow {
      Value writers, readers, base, length;
    };
    DenseMap<Value, Shadow> shadows;
    /// The distinct tag arrays (writers, readers) and their lengths.
    SmallVector<std::tuple<Value, Value, Value>> tagArrays;
    /// What dynamicShared allocated on the heap, freed after the blocks.
    SmallVector<Value> heapBuffers;
    /// Workgroup buffers and dynamic shared memory, refilled with all-ones
    /// bits at each block's start.
    SmallVector<Value> undefinedAtBlockStart;
    /// The per-thread arrays the emulation itself makes (kept values): their
    /// accesses are in bounds by construction and are not checked.
    llvm::DenseSet<Value> emulationArrays;
    Value epoch;
    /// Tags: epoch << kTagBits | (thread + 1); kManyReaders as the thread
    /// part when several threads read an element in one epoch,
    /// kAtomicWriter when threads updated it atomically.
    static constexpr int64_t kTagBits = 20, kManyReaders = (1 << 20) - 1,
                             kAtomicWriter = kManyReaders - 1;
    IRMapping map; // kernel arguments and workgroup buffers
    /// Per-thread arrays of values that cross a barrier.
    DenseMap<Value, Value> kept;

    /// The id of iteration `iv` of a loop over `size` ids: `iv`, or
    /// `size - 1 - iv` when running in reverse.
    Value id(OpBuilder &b, Value iv, Value size) {
      if (!reverse)
        return iv;
      Value lastId = arith::SubIOp::create(b, loc, size, one);
      return arith::SubIOp::create(b, loc, lastId, iv);
    }

    /// Emulates the ops of `block` (the kernel body, a loop's or a
    /// branch's) at `b`.
    LogicalResult run(OpBuilder &b, Block &block) {
      SmallVector<Operation *> segment;
      SmallVector<nvgpu::MmaSyncOp> mmas; // consecutive, run in one loop
      auto flushMmas = [&]() -> LogicalResult {
        if (mmas.empty())
          return success();
        LogicalResult done = mmaBatch(b, mmas);
        mmas.clear();
        return done;
      };
      auto flush = [&]() -> LogicalResult {
        if (failed(flushMmas()))
          return failure();
        if (segment.empty())
          return success();
        LogicalResult done = threadLoops(b, segment);
        segment.clear();
        return done;
      };
      for (Operation &op : block) {
        // Dynamic shared memory and its views were made before the blocks.
        if (isa<gpu::ReturnOp, scf::YieldOp, gpu::DynamicSharedMemoryOp>(op) ||
            (isa<memref::ViewOp>(op) && map.contains(op.getResult(0))))
          continue;
        if (isa<gpu::BarrierOp>(op)) {
          if (failed(flush()))
            return failure();
          if (epoch) {
            Value now = memref::LoadOp::create(b, loc, epoch, zero);
            Value next = arith::AddIOp::create(
                b, loc, now, arith::ConstantIntOp::create(b, loc, 1, 64));
            memref::StoreOp::create(b, loc, next, epoch, zero);
          }
          continue;
        }
        if (auto shuffle = dyn_cast<gpu::ShuffleOp>(op)) {
          if (failed(flush()) || failed(shuffleWarps(b, shuffle)))
            return failure();
          continue;
        }
        if (auto mma = dyn_cast<nvgpu::MmaSyncOp>(op)) {
          // A batch's mmas run in turn per thread: one may take an earlier
          // one's result as its accumulator (the thread's own), not as a
          // fragment other lanes hold.
          auto fromBatch = [&](Value v) {
            return llvm::any_of(mmas, [&](nvgpu::MmaSyncOp earlier) {
              return earlier.getRes() == v;
            });
          };
          if (!segment.empty() || fromBatch(mma.getMatrixA()) ||
              fromBatch(mma.getMatrixB()))
            if (failed(flush()))
              return failure();
          mmas.push_back(mma);
          continue;
        }
        if (auto branch = dyn_cast<scf::IfOp>(op);
            branch && hasSyncPoint(branch)) {
          if (failed(flush()) || failed(runBranch(b, branch)))
            return failure();
          continue;
        }
        auto loop = dyn_cast<scf::ForOp>(op);
        if (!loop || !hasSyncPoint(loop)) {
          if (failed(flushMmas()))
            return failure();
          segment.push_back(&op);
          continue;
        }
        // A loop with a sync point runs once for the block, its body's
        // segments inside it; the values it carries (iter_args) are kept
        // per thread, each in one array: its initial values copied in
        // before, each iteration's yielded ones after the body, the
        // loop's results read from it after the loop.
        if (failed(flush()))
          return failure();
        Value bounds[3] = {loop.getLowerBound(), loop.getUpperBound(),
                           loop.getStep()};
        for (Value &bound : bounds)
          if (!(bound = uniform(b, bound)))
            return loop.emitError("cannot emulate: a bound of a loop holding "
                                  "a sync point is neither computed before "
                                  "it, a constant nor a kernel argument");
        SmallVector<Value> carried;
        if (failed(keptArrays(loop.getResultTypes(), loop,
                              "a loop holding a sync point carries",
                              carried)) ||
            failed(copyPerThread(b, loop.getInitArgs(), carried, loop)))
          return failure();
        auto outer = scf::ForOp::create(b, loc, bounds[0], bounds[1],
                                        bounds[2], ValueRange(), nullptr,
                                        static_cast<bool>(loop.getUnsignedCmp()));
        map.map(loop.getInductionVar(), outer.getInductionVar());
        for (auto [arg, array] : llvm::zip(loop.getRegionIterArgs(), carried))
          kept[arg] = array;
        OpBuilder inner = OpBuilder::atBlockBegin(outer.getBody());
        inner.setInsertionPoint(outer.getBody()->getTerminator());
        if (failed(run(inner, *loop.getBody())))
          return failure();
        auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
        if (failed(copyPerThread(inner, yield.getOperands(), carried, loop)))
          return failure();
        for (auto [result, array] : llvm::zip(loop.getResults(), carried))
          kept[result] = array;
      }
      return flush();
    }

    /// A branch with a sync point is taken or not by the whole block (its
    /// condition the same in every thread: uniform), its regions' segments
    /// inside the emulated scf.if; the values it yields are kept per
    /// thread, each region copying its yielded ones into their arrays.
    LogicalResult runBranch(OpBuilder &b, scf::IfOp branch) {
      SmallVector<Value> results;
      if (failed(keptArrays(branch.getResultTypes(), branch,
                            "a branch holding a sync point yields", results)))
        return failure();
      Value condition = uniform(b, branch.getCondition());
      if (!condition)
        return branch.emitError("cannot emulate: the condition of a branch "
                                "holding a sync point is neither computed "
                                "before it, a constant nor a kernel "
                                "argument");
      bool hasElse = !branch.getElseRegion().empty();
      auto emulated = scf::IfOp::create(b, loc, condition, hasElse);
      Region *from[2] = {&branch.getThenRegion(), &branch.getElseRegion()};
      Region *into[2] = {&emulated.getThenRegion(), &emulated.getElseRegion()};
      for (int i = 0; i < (hasElse ? 2 : 1); ++i) {
        Block &body = from[i]->front();
        OpBuilder inner = OpBuilder::atBlockTerminator(&into[i]->front());
        if (failed(run(inner, body)))
          return failure();
        auto yield = cast<scf::YieldOp>(body.getTerminator());
        if (failed(copyPerThread(inner, yield.getOperands(), results, branch)))
          return failure();
      }
      for (auto [result, array] : llvm::zip(branch.getResults(), results))
        kept[result] = array;
      return success();
    }

    /// A per-thread array for each of `types` (what a loop carries or a
    /// branch yields) into `arrays`; an error on `op` for a type that
    /// cannot be kept (`what` says where it came from).
    LogicalResult keptArrays(TypeRange types, Operation *op, StringRef what,
                             SmallVectorImpl<Value> &arrays) {
      for (Type type : types) {
        Value array = keptArray(type);
        if (!array)
          return op->emitError("cannot emulate: ")
                 << what << " a value of type " << type;
        arrays.push_back(array);
      }
      return success();
    }

    /// Each thread's `values[i]` into its element of `arrays[i]`, all read
    /// before any is written (a loop may yield its carried values swapped):
    /// a value kept per thread, a constant, or one the same in every
    /// thread (a kernel argument).
    LogicalResult copyPerThread(OpBuilder &b, ValueRange values,
                                ArrayRef<Value> arrays, Operation *where) {
      if (values.empty())
        return success();
      auto loop = scf::ForOp::create(b, loc, zero, threads, one);
      OpBuilder in = OpBuilder::atBlockBegin(loop.getBody());
      Value t = loop.getInductionVar();
      SmallVector<Value> read;
      for (Value value : values) {
        if (Value array = kept.lookup(value)) {
          read.push_back(loadKept(in, array, value.getType(), t));
          continue;
        }
        if (Value same = map.lookupOrNull(value)) {
          read.push_back(same);
          continue;
        }
        Operation *def = value.getDefiningOp();
        if (!def || !def->hasTrait<OpTrait::ConstantLike>())
          return where->emitError("cannot emulate: a value a loop or branch "
                                  "holding a sync point carries is neither "
                                  "kept per thread, a constant nor a kernel "
                                  "argument");
        read.push_back(in.clone(*def)->getResult(0));
      }
      for (auto [value, array] : llvm::zip(read, arrays))
        storeKept(in, array, value, t);
      return success();
    }

    /// `value` where every thread has the same one: a constant is made
    /// again here, a kept value read from thread 0's element (with
    /// check-races, after asserting every thread's element equals it);
    /// null for a value that is none of these (nothing kept it).
    Value uniform(OpBuilder &b, Value value) {
      if (Value mapped = map.lookupOrNull(value))
        return mapped;
      Operation *def = value.getDefiningOp();
      if (def && def->hasTrait<OpTrait::ConstantLike>())
        return b.clone(*def)->getResult(0);
      Value array = kept.lookup(value);
      if (!array)
        return nullptr;
      Value first = memref::LoadOp::create(b, loc, array, zero);
      if (checkRaces) { // every thread's value must be thread 0's
        auto loop = scf::ForOp::create(b, loc, zero, threads, one);
        OpBuilder in = OpBuilder::atBlockBegin(loop.getBody());
        Value mine = memref::LoadOp::create(in, loc, array,
                                            loop.getInductionVar());
        Value same = arith::CmpIOp::create(in, loc, arith::CmpIPredicate::eq,
                                           mine, first);
        cf::AssertOp::create(
            in, loc, same,
            "GPU kernel '" + kernelName +
                "': a loop or branch holding a sync point has bounds or a "
                "condition that differ between the threads of a block");
      }
      return first;
    }

    /// The kernel's dynamic shared memory: a heap buffer of the launch's
    /// bytes (sizes[6]) mapped for every gpu.dynamic_shared_memory, and
    /// each memref.view of it made here, its offset and size computed
    /// from the kernel's arguments; aborts if a view does not lie within
    /// the launch's bytes on 4-byte words. The buffer and the race tags go
    /// to heapBuffers.
    void dynamicShared(OpBuilder &b, gpu::GPUFuncOp kernel) {
      auto dynamics =
          llvm::to_vector(kernel.getBody().getOps<gpu::DynamicSharedMemoryOp>());
      if (dynamics.empty())
        return;
      Value bytes = sizes[6];
      Value buffer = memref::AllocOp::create(
          b, loc, MemRefType::get({ShapedType::kDynamic}, b.getI8Type()),
          ValueRange{bytes});
      heapBuffers.push_back(buffer);
      undefinedAtBlockStart.push_back(buffer);
      IndexMath o{b, loc};
      Value words = o.div(bytes, 4);
      Value writers, readers;
      if (checkRaces) {
        auto tags =
            MemRefType::get({ShapedType::kDynamic}, b.getI64Type());
        // On the heap: 16 bytes per word would crowd the caller's stack.
        writers = memref::AllocOp::create(b, loc, tags, ValueRange{words});
        readers = memref::AllocOp::create(b, loc, tags, ValueRange{words});
        tagArrays.push_back({writers, readers, words});
        heapBuffers.append({writers, readers});
      }
      IRMapping uniform = map; // the kernel's arguments
      std::string where = "GPU kernel '" + kernelName + "': ";
      for (gpu::DynamicSharedMemoryOp dynamic : dynamics) {
        map.map(dynamic.getResult(), buffer);
        for (Operation *user : dynamic->getUsers()) {
          auto view = cast<memref::ViewOp>(user);
          SmallVector<Value> operands;
          for (Value operand : view->getOperands().drop_front())
            operands.push_back(launchValue(b, operand, uniform));
          auto type = MemRefType::get(view.getType().getShape(),
                                      view.getType().getElementType());
          Value local = memref::ViewOp::create(
              b, loc, type, buffer, operands.front(),
              ValueRange(operands).drop_front());
          map.map(view.getResult(), local);
          Value length = memref::DimOp::create(b, loc, local, 0);
          Value shift = operands.front();
          Value end = o.add(shift, o.mul(length, 4));
          Value aligned = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::eq, o.rem(shift, 4), zero);
          Value fits = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ule, end, bytes);
          cf::AssertOp::create(
              b, loc, arith::AndIOp::create(b, loc, aligned, fits),
              where + "a view of dynamic shared memory is not within the "
                      "launch's bytes on 4-byte words");
          if (checkRaces)
            shadows[local] = {writers, readers, o.div(shift, 4), length};
        }
      }
    }

    /// `value` (launch-uniform: unsupportedDynamicShared) computed at `b`.
    Value launchValue(OpBuilder &b, Value value, IRMapping &uniform) {
      if (Value known = uniform.lookupOrNull(value))
        return known;
      Operation *def = value.getDefiningOp();
      for (Value operand : def->getOperands())
        launchValue(b, operand, uniform);
      return b.clone(*def, uniform)->getResult(
          cast<OpResult>(value).getResultNumber());
    }

    /// At the start of each block: no element accessed, epoch 1.
    void startBlock(OpBuilder &b) {
      // Shared memory starts undefined on a GPU (whatever the last block
      // there left): all-ones bytes, NaN as a float, so a value read before
      // any thread of the block wrote it shows in the kernel's results
      // unless it is discarded (a select), as it may be on a GPU.
      for (Value buffer : undefinedAtBlockStart)
        fillAllOnes(b, buffer);
      if (!epoch)
        return;
      // A thread's tag part must stay below kAtomicWriter (CUDA's blocks
      // have at most 1024 threads).
      Value fits = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::ult, threads,
          arith::ConstantIndexOp::create(b, loc, kAtomicWriter - 1));
      cf::AssertOp::create(b, loc, fits,
                           "GPU kernel '" + kernelName +
                               "': too many threads per block to check races");
      memref::StoreOp::create(b, loc, arith::ConstantIntOp::create(b, loc, 1, 64),
                              epoch, zero);
      Value none = arith::ConstantIntOp::create(b, loc, 0, 64);
      for (auto &[writers, readers, length] : tagArrays) {
        auto loop = scf::ForOp::create(b, loc, zero, length, one);
        OpBuilder in = OpBuilder::atBlockBegin(loop.getBody());
        for (Value shadow : {writers, readers})
          memref::StoreOp::create(in, loc, none, shadow,
                                  loop.getInductionVar());
      }
    }

    /// The bytes of one element of `type`: ints and floats of whole bytes
    /// (what the kernels address), else none.
    static std::optional<int64_t> elementBytes(MemRefType type) {
      if (!type.getElementType().isIntOrFloat() ||
          type.getElementTypeBitWidth() % 8 != 0)
        return std::nullopt;
      return type.getElementTypeBitWidth() / 8;
    }

    /// Dimension `dim` of `memref` as an index value.
    Value sizeOf(OpBuilder &b, Value memref, int64_t dim) {
      auto type = cast<MemRefType>(memref.getType());
      if (type.isDynamicDim(dim))
        return memref::DimOp::create(b, loc, memref, dim);
      return arith::ConstantIndexOp::create(b, loc, type.getDimSize(dim));
    }

    /// Where `op` is in the kernel's source, for messages.
    static std::string sourceOf(Operation *op) {
      Location where = op->getLoc();
      while (auto call = dyn_cast<CallSiteLoc>(where)) // inlined: the callee
        where = call.getCallee();
      std::string text;
      llvm::raw_string_ostream os(text);
      where.print(os);
      return text;
    }

    /// Before `view` (a memref.view the kernel makes of a byte buffer):
    /// aborts unless the view lies within the buffer. Accesses through the
    /// view are checked against its own sizes, which the kernel computed.
    void checkView(memref::ViewOp view) {
      OpBuilder b(view);
      IndexMath o{b, loc};
      MemRefType type = view.getType();
      std::optional<int64_t> size = elementBytes(type);
      if (!size)
        return;
      Value bytes = o.c(*size);
      auto dynamicSizes = view.getSizes();
      size_t next = 0;
      for (int64_t dim = 0; dim < type.getRank(); ++dim)
        bytes = arith::MulIOp::create(
            b, loc, bytes,
            type.isDynamicDim(dim) ? dynamicSizes[next++]
                                   : o.c(type.getDimSize(dim)));
      Value end = o.add(view.getByteShift(), bytes);
      Value buffer = sizeOf(b, view.getSource(), 0);
      cf::AssertOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, end, buffer),
          "GPU kernel '" + kernelName +
              "': a memref.view past the end of its buffer (a GPU reads or "
              "writes another buffer through it, or faults) at " +
              sourceOf(view));
    }

    /// Stores all-ones bits to every element of `buffer` (a float's are a
    /// NaN, an integer's -1).
    void fillAllOnes(OpBuilder &b, Value buffer) {
      auto type = cast<MemRefType>(buffer.getType());
      Type element = type.getElementType();
      TypedAttr ones;
      if (auto floatType = dyn_cast<FloatType>(element))
        ones = b.getFloatAttr(
            floatType, APFloat(floatType.getFloatSemantics(),
                               APInt::getAllOnes(floatType.getWidth())));
      else
        ones = b.getIntegerAttr(element, -1);
      Value value = arith::ConstantOp::create(b, loc, ones);
      OpBuilder in = b;
      SmallVector<Value> indices;
      for (int64_t dim = 0; dim < type.getRank(); ++dim) {
        auto loop =
            scf::ForOp::create(in, loc, zero, sizeOf(in, buffer, dim), one);
        in.setInsertionPoint(loop.getBody()->getTerminator());
        indices.push_back(loop.getInductionVar());
      }
      memref::StoreOp::create(in, loc, value, buffer, indices);
    }

    /// Before `access` (a load or store of `memref`, of a `vector` or of
    /// one element): aborts unless every element it touches is inside the
    /// buffer. On a GPU such an access reads or writes whatever lies past
    /// the buffer (another request's state, say) or faults; on the host it
    /// would go unnoticed. Kernel arguments carry their buffers' sizes.
    void checkBounds(Operation *access, Value memref, ValueRange indices,
                     VectorType vector) {
      if (emulationArrays.contains(memref))
        return;
      OpBuilder b(access);
      auto type = cast<MemRefType>(memref.getType());
      int64_t rank = type.getRank();
      // A vector access to a memref of vectors touches one element.
      if (isa<VectorType>(type.getElementType()))
        vector = nullptr;
      int64_t vectorRank = vector ? vector.getRank() : 0;
      Value inside;
      for (auto [dim, index] : llvm::enumerate(indices)) {
        Value size = sizeOf(b, memref, dim);
        // The element past the last one the access touches in this dim.
        int64_t vectorDim = static_cast<int64_t>(dim) - (rank - vectorRank);
        int64_t extent = vectorDim >= 0 ? vector.getDimSize(vectorDim) : 1;
        Value end = arith::AddIOp::create(
            b, loc, index, arith::ConstantIndexOp::create(b, loc, extent));
        // index < size and index + extent <= size (no wrap: index < size).
        Value ok = arith::AndIOp::create(
            b, loc,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, index,
                                  size),
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, end,
                                  size));
        inside = inside ? arith::AndIOp::create(b, loc, inside, ok).getResult()
                        : Value(ok);
      }
      if (!inside)
        return;
      cf::AssertOp::create(
          b, loc, inside,
          "GPU kernel '" + kernelName + "': a " +
              (isa<vector::LoadOp, memref::LoadOp>(access) ? "load" : "store") +
              " past the end of a buffer (a GPU reads or writes another "
              "buffer there, or faults) at " + sourceOf(access));
    }

    /// Before `access` (a vector load or store with an alignment): aborts
    /// unless its first byte is a multiple of the alignment. A GPU faults on
    /// such an access (ld.global.v4: misaligned address); the host would
    /// run it, so a kernel's choice of its 16-byte form is checked here.
    void checkAlignment(Operation *access, Value memref, ValueRange indices,
                        std::optional<uint64_t> alignment) {
      if (!alignment)
        return;
      std::optional<int64_t> bytes =
          elementBytes(cast<MemRefType>(memref.getType()));
      if (!bytes || *alignment <= static_cast<uint64_t>(*bytes))
        return;
      OpBuilder b(access);
      IndexMath o{b, loc};
      auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, memref);
      Value element = metadata.getOffset();
      for (auto [index, stride] : llvm::zip(indices, metadata.getStrides()))
        element = o.add(element, arith::MulIOp::create(b, loc, index, stride));
      Value pointer =
          memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
      Value address = o.add(pointer, o.mul(element, *bytes));
      Value aligned = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq,
          o.rem(address, static_cast<int64_t>(*alignment)), zero);
      cf::AssertOp::create(
          b, loc, aligned,
          "GPU kernel '" + kernelName + "': a vector " +
              (isa<vector::LoadOp>(access) ? "load" : "store") +
              " at an address that is not a multiple of its alignment (" +
              std::to_string(*alignment) + " bytes): a GPU faults there, at " +
              sourceOf(access));
    }

    /// Before `access` (a load or store of a workgroup buffer) by thread
    /// `linear`: aborts if another thread wrote the element since the last
    /// barrier, or, for a store, read it; records the access.
    void checkAccess(Operation *access, Value memref, ValueRange indices,
                     Value linear) {
      auto found = shadows.find(memref);
      if (found == shadows.end())
        return;
      OpBuilder b(access);
      auto i64 = [&](int64_t v) {
        return arith::ConstantIntOp::create(b, loc, v, 64).getResult();
      };
      // The element's offset in the row-major buffer (the view's length
      // for a 1-D view; checkBounds has checked it is inside), then in the
      // tags.
      const Shadow &shadow = found->second;
      auto type = cast<MemRefType>(memref.getType());
      Value offset = zero;
      for (auto [dim, index] : llvm::enumerate(indices)) {
        Value size = type.isDynamicDim(dim)
                         ? shadow.length
                         : arith::ConstantIndexOp::create(
                               b, loc, type.getDimSize(dim));
        Value scaled = arith::MulIOp::create(b, loc, offset, size);
        offset = arith::AddIOp::create(b, loc, scaled, index);
      }
      offset = arith::AddIOp::create(b, loc, shadow.base, offset);
      Value now = memref::LoadOp::create(b, loc, epoch, zero);
      Value shifted = arith::ShLIOp::create(b, loc, now, i64(kTagBits));
      Value thread = arith::AddIOp::create(
          b, loc,
          arith::IndexCastOp::create(b, loc, b.getI64Type(), linear), i64(1));
      Value me = arith::OrIOp::create(b, loc, shifted, thread);
      // Another thread's tag of this epoch.
      auto byOther = [&](Value tag) {
        Value tagEpoch = arith::ShRUIOp::create(b, loc, tag, i64(kTagBits));
        Value current = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                              tagEpoch, now);
        Value other = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                            tag, me);
        return arith::AndIOp::create(b, loc, current, other).getResult();
      };
      Value writers = shadow.writers, readers = shadow.readers;
      Value written = memref::LoadOp::create(b, loc, writers, offset);
      Value read = memref::LoadOp::create(b, loc, readers, offset);
      Value writtenByOther = byOther(written), readByOther = byOther(read);
      std::string where = "GPU kernel '" + kernelName + "': threads of a block ";
      if (isa<memref::LoadOp>(access)) {
        Value ok = arith::XOrIOp::create(
            b, loc, writtenByOther,
            arith::ConstantIntOp::create(b, loc, 1, 1));
        cf::AssertOp::create(b, loc, ok,
                             where + "read a workgroup element another "
                                     "thread wrote with no gpu.barrier between");
        Value many = arith::OrIOp::create(b, loc, shifted, i64(kManyReaders));
        memref::StoreOp::create(
            b, loc, arith::SelectOp::create(b, loc, readByOther, many, me),
            readers, offset);
        return;
      }
      if (isa<memref::AtomicRMWOp>(access)) {
        // Atomics of several threads on one element do not race with each
        // other (they are tagged as the atomic writer); a plain access of
        // another thread in the same epoch does (and, conservatively, a
        // thread's own plain access after its atomic).
        Value atomicTag = arith::OrIOp::create(b, loc, shifted, i64(kAtomicWriter));
        Value byAtomic = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                               written, atomicTag);
        Value plainWrite = arith::AndIOp::create(
            b, loc, writtenByOther,
            arith::XOrIOp::create(b, loc, byAtomic,
                                  arith::ConstantIntOp::create(b, loc, 1, 1)));
        Value conflict = arith::OrIOp::create(b, loc, plainWrite, readByOther);
        Value ok = arith::XOrIOp::create(
            b, loc, conflict, arith::ConstantIntOp::create(b, loc, 1, 1));
        cf::AssertOp::create(b, loc, ok,
                             where + "update a workgroup element atomically "
                                     "that another thread read or wrote with "
                                     "no gpu.barrier between");
        // A plain write of this thread's in the epoch stays recorded, so
        // that the other threads' atomics after it conflict with it.
        Value mine = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                           written, me);
        memref::StoreOp::create(
            b, loc, arith::SelectOp::create(b, loc, mine, me, atomicTag),
            writers, offset);
        return;
      }
      Value conflict = arith::OrIOp::create(b, loc, writtenByOther, readByOther);
      Value ok = arith::XOrIOp::create(
          b, loc, conflict, arith::ConstantIntOp::create(b, loc, 1, 1));
      cf::AssertOp::create(b, loc, ok,
                           where + "write a workgroup element another thread "
                                   "read or wrote with no gpu.barrier between");
      memref::StoreOp::create(b, loc, me, writers, offset);
    }

    /// The segment's ops once per thread: loops z, y, x over the block's
    /// threads; operands kept from earlier segments are read first, results
    /// used by later ones kept afterwards.
    LogicalResult threadLoops(OpBuilder &b, ArrayRef<Operation *> segment) {
      Value threadIds[3];
      OpBuilder in = b;
      SmallVector<scf::ForOp> loops;
      for (int d = 2; d >= 0; --d) {
        auto loop = scf::ForOp::create(in, loc, zero, sizes[3 + d], one);
        in.setInsertionPoint(loop.getBody()->getTerminator());
        threadIds[d] = id(in, loop.getInductionVar(), sizes[3 + d]);
        loops.push_back(loop);
      }
      // (z * by + y) * bx + x: this thread's element of a kept array.
      Value linear = arith::AddIOp::create(
          in, loc,
          arith::MulIOp::create(
              in, loc,
              arith::AddIOp::create(
                  in, loc,
                  arith::MulIOp::create(in, loc, threadIds[2], sizes[4]),
                  threadIds[1]),
              sizes[3]),
          threadIds[0]);
      IRMapping local = map;
      llvm::SmallPtrSet<Operation *, 16> inSegment(segment.begin(),
                                                   segment.end());
      // Values of earlier segments this one reads, wherever they are used:
      // constants made again, the others read from their arrays.
      for (Operation *op : segment)
        op->walk([&](Operation *nested) {
          for (Value operand : nested->getOperands()) {
            if (local.contains(operand))
              continue;
            Operation *def = operand.getDefiningOp();
            if (def && def->hasTrait<OpTrait::ConstantLike>() &&
                !within(def, inSegment))
              local.map(operand, in.clone(*def)->getResult(0));
            else if (Value array = kept.lookup(operand))
              local.map(operand, loadKept(in, array, operand.getType(),
                                          linear));
          }
        });
      for (Operation *op : segment) {
        Operation *copy = in.clone(*op, local);
        for (auto [result, copied] :
             llvm::zip(op->getResults(), copy->getResults())) {
          if (op->hasTrait<OpTrait::ConstantLike>() ||
              !usedOutside(result, inSegment))
            continue; // constants are made again where used
          Type type = result.getType();
          Value array = keptArray(type);
          if (!array) {
            op->emitError("cannot emulate: a value of type ")
                << type << " is used across a gpu.barrier, an mma or a shuffle";
            return failure();
          }
          kept[result] = array;
          storeKept(in, array, copied, linear);
        }
      }
      loops.front().walk([&](Operation *op) {
        if (auto load = dyn_cast<vector::LoadOp>(op)) {
          checkBounds(op, load.getBase(), load.getIndices(),
                      load.getVectorType());
          checkAlignment(op, load.getBase(), load.getIndices(),
                         load.getAlignment());
        } else if (auto store = dyn_cast<vector::StoreOp>(op)) {
          checkBounds(op, store.getBase(), store.getIndices(),
                      store.getVectorType());
          checkAlignment(op, store.getBase(), store.getIndices(),
                         store.getAlignment());
        } else if (auto view = dyn_cast<memref::ViewOp>(op)) {
          checkView(view);
        } else if (auto load = dyn_cast<memref::LoadOp>(op)) {
          checkBounds(op, load.getMemRef(), load.getIndices(), nullptr);
          checkAccess(op, load.getMemRef(), load.getIndices(), linear);
        } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
          checkBounds(op, store.getMemRef(), store.getIndices(), nullptr);
          checkAccess(op, store.getMemRef(), store.getIndices(), linear);
        } else if (auto atomic = dyn_cast<memref::AtomicRMWOp>(op)) {
          checkBounds(op, atomic.getMemref(), atomic.getIndices(), nullptr);
          checkAccess(op, atomic.getMemref(), atomic.getIndices(), linear);
        }
      });
      // The ids and sizes, wherever the copies read them.
      loops.front().walk([&](Operation *op) {
        Value replacement;
        if (auto id = dyn_cast<gpu::BlockIdOp>(op))
          replacement = blockIds[static_cast<int>(id.getDimension())];
        else if (auto id = dyn_cast<gpu::ThreadIdOp>(op))
          replacement = threadIds[static_cast<int>(id.getDimension())];
        else if (auto id = dyn_cast<gpu::GridDimOp>(op))
          replacement = sizes[static_cast<int>(id.getDimension())];
        else if (auto id = dyn_cast<gpu::BlockDimOp>(op))
          replacement = sizes[3 + static_cast<int>(id.getDimension())];
        if (!replacement)
          return;
        op->getResult(0).replaceAllUsesWith(replacement);
        op->erase();
      });
      return success();
    }

    /// A per-thread array for values of `type` (a scalar, or a vector of
    /// scalars kept as its elements in row-major order), allocated once
    /// where every segment of every block sees it: right after the block's
    /// thread count, before the block loops. Null for other types.
    Value keptArray(Type type) {
      MemRefType arrayType = keptArrayType(type);
      if (!arrayType)
        return nullptr;
      OpBuilder allocas(threads.getContext());
      allocas.setInsertionPointAfter(threads.getDefiningOp());
      Value array = memref::AllocaOp::create(allocas, loc, arrayType,
                                             ValueRange{threads});
      emulationArrays.insert(array);
      return array;
    }

    /// memref<?xT> for a scalar T, memref<?xNxT> for a vector of N T.
    static MemRefType keptArrayType(Type type) {
      SmallVector<int64_t> shape = {ShapedType::kDynamic};
      Type element = type;
      if (auto vector = dyn_cast<VectorType>(type)) {
        if (vector.isScalable())
          return nullptr;
        shape.push_back(vector.getNumElements());
        element = vector.getElementType();
      }
      if (!element.isIntOrIndexOrFloat())
        return nullptr;
      return MemRefType::get(shape, element);
    }

    /// Thread `linear`'s element `flat` of a kept vector's array.
    Value keptElement(OpBuilder &b, Value array, Value linear, Value flat) {
      return memref::LoadOp::create(b, loc, array, ValueRange{linear, flat});
    }

    void storeKept(OpBuilder &b, Value array, Value value, Value linear) {
      auto vector = dyn_cast<VectorType>(value.getType());
      if (!vector) {
        memref::StoreOp::create(b, loc, value, array, linear);
        return;
      }
      SmallVector<int64_t> strides = computeSuffixProduct(vector.getShape());
      for (int64_t i = 0; i < vector.getNumElements(); ++i) {
        SmallVector<int64_t> position = mlir::delinearize(i, strides);
        Value element = vector::ExtractOp::create(b, loc, value, position);
        memref::StoreOp::create(
            b, loc, element, array,
            ValueRange{linear, arith::ConstantIndexOp::create(b, loc, i)});
      }
    }

    Value loadKept(OpBuilder &b, Value array, Type type, Value linear) {
      auto vector = dyn_cast<VectorType>(type);
      if (!vector)
        return memref::LoadOp::create(b, loc, array, linear);
      SmallVector<Value> elements;
      for (int64_t i = 0; i < vector.getNumElements(); ++i)
        elements.push_back(keptElement(
            b, array, linear, arith::ConstantIndexOp::create(b, loc, i)));
      return vector::FromElementsOp::create(b, loc, vector, elements);
    }

    /// The per-thread array of `operand` of a sync point: its kept array,
    /// or for a constant one filled with it here.
    Value operandArray(OpBuilder &b, Value operand) {
      if (Value array = kept.lookup(operand))
        return array;
      Operation *def = operand.getDefiningOp();
      if (!def || !def->hasTrait<OpTrait::ConstantLike>())
        return nullptr;
      Value array = keptArray(operand.getType());
      if (!array)
        return nullptr;
      auto loop = scf::ForOp::create(b, loc, zero, threads, one);
      OpBuilder in = OpBuilder::atBlockBegin(loop.getBody());
      storeKept(in, array, in.clone(*def)->getResult(0),
                loop.getInductionVar());
      return array;
    }

    /// Thread `t`'s `value` inside a loop over the block's threads: its
    /// element of the value's kept array, the kernel argument, or the
    /// constant made again; null for anything else.
    Value threadValue(OpBuilder &b, Value value, Value t) {
      if (Value array = kept.lookup(value))
        return loadKept(b, array, value.getType(), t);
      if (Value same = map.lookupOrNull(value))
        return same;
      Operation *def = value.getDefiningOp();
      if (def && def->hasTrait<OpTrait::ConstantLike>())
        return b.clone(*def)->getResult(0);
      return nullptr;
    }

    /// A gpu.shuffle (width 32) for every warp of the block at once: one
    /// loop over the block's threads in which thread t (lane t % 32 of the
    /// warp of threads t - t % 32 .. +31, CUDA's linear order) reads the
    /// value of its source lane from the value's kept array, as shfl.sync
    /// does (PTX ISA, "shfl.sync": the offset's low 5 bits, b): lane ^ b
    /// (xor), lane + b (down), lane - b (up) or b (idx). A source outside
    /// 0..31 is not valid: the thread keeps its own value (what shfl.sync
    /// returns; the op calls it poison) and `valid` is false. A source past
    /// the block's threads (a warp the block does not fill) aborts.
    LogicalResult shuffleWarps(OpBuilder &b, gpu::ShuffleOp shuffle) {
      Value result = keptArray(shuffle.getShuffleResult().getType());
      Value validArray = keptArray(shuffle.getValid().getType());
      if (!result || !validArray)
        return shuffle.emitError("cannot emulate: a gpu.shuffle of ")
               << shuffle.getShuffleResult().getType();
      auto loop = scf::ForOp::create(b, loc, zero, threads, one);
      OpBuilder in = OpBuilder::atBlockBegin(loop.getBody());
      Value t = loop.getInductionVar();
      Value offset32 = threadValue(in, shuffle.getOffset(), t);
      if (!offset32 || !(kept.lookup(shuffle.getValue()) ||
                         map.lookupOrNull(shuffle.getValue()) ||
                         matchPattern(shuffle.getValue(), m_Constant())))
        return shuffle.emitError("cannot emulate: a gpu.shuffle operand is "
                                 "neither kept per thread, a constant nor a "
                                 "kernel argument");
      IndexMath o{in, loc};
      Value lane = o.rem(t, kWarpLanes);
      Value warp = arith::SubIOp::create(in, loc, t, lane);
      Value low5 = arith::AndIOp::create(
          in, loc, offset32,
          arith::ConstantIntOp::create(in, loc, kWarpLanes - 1, 32));
      Value offset =
          arith::IndexCastUIOp::create(in, loc, in.getIndexType(), low5);
      Value lanes = o.c(kWarpLanes);
      auto ult = [&](Value x, Value y) {
        return arith::CmpIOp::create(in, loc, arith::CmpIPredicate::ult, x, y)
            .getResult();
      };
      Value source, valid;
      switch (shuffle.getMode()) {
      case gpu::ShuffleMode::XOR:
        source = arith::XOrIOp::create(in, loc, lane, offset);
        valid = ult(source, lanes);
        break;
      case gpu::ShuffleMode::DOWN:
        source = o.add(lane, offset);
        valid = ult(source, lanes);
        break;
      case gpu::ShuffleMode::UP:
        source = arith::SubIOp::create(in, loc, lane, offset);
        valid = arith::CmpIOp::create(in, loc, arith::CmpIPredicate::uge,
                                      lane, offset);
        break;
      case gpu::ShuffleMode::IDX:
        source = offset;
        valid = ult(source, lanes);
        break;
      }
      Value from = o.add(warp, arith::SelectOp::create(in, loc, valid, source,
                                                       lane));
      cf::AssertOp::create(in, loc, ult(from, threads),
                           "GPU kernel '" + kernelName +
                               "': a gpu.shuffle reads a lane past the "
                               "block's threads");
      storeKept(in, result, threadValue(in, shuffle.getValue(), from), t);
      storeKept(in, validArray, valid, t);
      kept[shuffle.getShuffleResult()] = result;
      kept[shuffle.getValid()] = validArray;
      return success();
    }

    /// Consecutive nvgpu.mma.sync ops for every warp of the block at once:
    /// one loop over the block's threads calls, per mma in order, the
    /// module's helper for its kind (mmaHelper) with the operands' and the
    /// result's per-thread arrays.
    LogicalResult mmaBatch(OpBuilder &b, ArrayRef<nvgpu::MmaSyncOp> batch) {
      SmallVector<std::pair<func::FuncOp, SmallVector<Value, 4>>> calls;
      for (nvgpu::MmaSyncOp mma : batch) {
        SmallVector<Value, 4> arrays;
        for (Value operand :
             {mma.getMatrixA(), mma.getMatrixB(), mma.getMatrixC()}) {
          Value array = operandArray(b, operand);
          if (!array)
            return mma.emitError("cannot emulate: an mma operand is neither "
                                 "kept per thread nor a constant");
          arrays.push_back(array);
        }
        Value result = keptArray(mma.getRes().getType());
        kept[mma.getRes()] = result;
        arrays.push_back(result);
        calls.push_back({mmaHelper(mma), arrays});
      }
      auto loop = scf::ForOp::create(b, loc, zero, threads, one);
      OpBuilder in = OpBuilder::atBlockBegin(loop.getBody());
      for (auto &[helper, arrays] : calls) {
        SmallVector<Value> operands(arrays.begin(), arrays.end());
        operands.push_back(loop.getInductionVar());
        func::CallOp::create(in, loc, helper, operands);
      }
      return success();
    }

    /// The module's function computing thread t's accumulator fragment of
    /// an mma of `mma`'s kind, made on first use:
    /// `(a, b, c, d: per-thread arrays, t)`. Element i of D is (row, col) =
    /// (g + 8 (i / 2), 2 c + i % 2) for g = lane / 4, c = lane % 4 (the
    /// lanes of thread t's warp are threads t - t % 32 .. +31, CUDA's
    /// linear order), D = C + sum over k of A(row, k) B(k, col) in k order
    /// in f32. Fragment owners (PTX ISA, "Matrix Fragments for
    /// mma.m16n8k16 / m16n8k8"): m16n8k16 A(r, k) is lane (r % 8) 4 +
    /// (k % 8) / 2, element (2 (k / 8) + r / 8, k % 2); B(k, n) is lane
    /// 4 n + (k % 8) / 2, element (k / 8, k % 2). m16n8k8 (tf32) A(r, k) is
    /// lane (r % 8) 4 + k % 4, element (2 (k / 4) + r / 8); B(k, n) is lane
    /// 4 n + k % 4, element k / 4; tf32 operands lose their low 13 bits, as
    /// the tensor cores ignore them.
    func::FuncOp mmaHelper(nvgpu::MmaSyncOp mma) {
      MmaKind kind = *mmaKind(mma);
      std::string name = (kHelperPrefix + (kind == MmaKind::Half16
                                               ? "mma_m16n8k16_f16"
                                               : "mma_m16n8k8_tf32"))
                             .str();
      auto module = mma->getParentOfType<ModuleOp>();
      if (Operation *existing = module.lookupSymbol(name)) {
        // The pass refused inputs with the helpers' prefix, so this is one
        // it made.
        return cast<func::FuncOp>(existing);
      }
      SmallVector<Type> inputs;
      for (Value v : {mma.getMatrixA(), mma.getMatrixB(), mma.getMatrixC()})
        inputs.push_back(keptArrayType(v.getType()));
      inputs.push_back(keptArrayType(mma.getRes().getType()));
      OpBuilder top = OpBuilder::atBlockEnd(module.getBody());
      inputs.push_back(top.getIndexType());
      auto fn = func::FuncOp::create(top, loc, name,
                                     FunctionType::get(top.getContext(),
                                                       inputs, {}));
      fn.setPrivate();
      created->push_back(fn);
      Block *entry = fn.addEntryBlock();
      OpBuilder in = OpBuilder::atBlockBegin(entry);
      Value arrays[4];
      for (int i = 0; i < 4; ++i)
        arrays[i] = entry->getArgument(i);
      Value t = entry->getArgument(4);
      IndexMath o{in, loc};
      Value lane = o.rem(t, 32);
      Value warp = arith::SubIOp::create(in, loc, t, lane);
      Value g = o.div(lane, 4), tig = o.rem(lane, 4);
      int64_t depth = kind == MmaKind::Half16 ? 16 : 8;
      // An operand element as f32.
      auto widen = [&](OpBuilder &at, Value v) -> Value {
        if (kind == MmaKind::Half16)
          return arith::ExtFOp::create(at, loc, at.getF32Type(), v);
        Value bits = arith::BitcastOp::create(at, loc, at.getI32Type(), v);
        Value mask =
            arith::ConstantIntOp::create(at, loc, ~int64_t(0x1fff), 32);
        Value kept = arith::AndIOp::create(at, loc, bits, mask);
        return arith::BitcastOp::create(at, loc, at.getF32Type(), kept);
      };
      Value zeroF = arith::ConstantFloatOp::create(in, loc, in.getF32Type(),
                                                   APFloat(0.0f));
      for (int64_t i = 0; i < 4; ++i) {
        Value row = o.add(g, o.c(8 * (i / 2)));
        Value col = o.add(o.mul(tig, 2), o.c(i % 2));
        auto sum = scf::ForOp::create(in, loc, o.c(0), o.c(depth), o.c(1),
                                      ValueRange{zeroF});
        OpBuilder k = OpBuilder::atBlockBegin(sum.getBody());
        IndexMath m{k, loc};
        Value kk = sum.getInductionVar();
        Value aLane, aFlat, bLane, bFlat;
        Value rowLow = m.rem(row, 8), rowHigh = m.div(row, 8);
        if (kind == MmaKind::Half16) {
          aLane = m.add(m.mul(rowLow, 4), m.div(m.rem(kk, 8), 2));
          aFlat = m.add(m.mul(m.add(m.mul(m.div(kk, 8), 2), rowHigh), 2),
                        m.rem(kk, 2));
          bLane = m.add(m.mul(col, 4), m.div(m.rem(kk, 8), 2));
          bFlat = m.add(m.mul(m.div(kk, 8), 2), m.rem(kk, 2));
        } else {
          aLane = m.add(m.mul(rowLow, 4), m.rem(kk, 4));
          aFlat = m.add(m.mul(m.div(kk, 4), 2), rowHigh);
          bLane = m.add(m.mul(col, 4), m.rem(kk, 4));
          bFlat = m.div(kk, 4);
        }
        Value av =
            widen(k, keptElement(k, arrays[0], m.add(warp, aLane), aFlat));
        Value bv =
            widen(k, keptElement(k, arrays[1], m.add(warp, bLane), bFlat));
        Value product = arith::MulFOp::create(k, loc, av, bv);
        Value next =
            arith::AddFOp::create(k, loc, sum.getRegionIterArgs()[0], product);
        scf::YieldOp::create(k, loc, next);
        Value cv = keptElement(in, arrays[2], t, o.c(i));
        Value d = arith::AddFOp::create(in, loc, sum.getResult(0), cv);
        memref::StoreOp::create(in, loc, d, arrays[3],
                                ValueRange{t, o.c(i)});
      }
      func::ReturnOp::create(in, loc);
      return fn;
    }

    /// Whether `op` is one of `segment`'s ops or nested in one.
    static bool within(Operation *op,
                       const llvm::SmallPtrSetImpl<Operation *> &segment) {
      for (; op; op = op->getParentOp())
        if (segment.count(op))
          return true;
      return false;
    }
    /// Whether `value` is used by an op outside `segment` (and the ops
    /// nested in them).
    static bool usedOutside(Value value,
                            const llvm::SmallPtrSetImpl<Operation *> &segment) {
      return llvm::any_of(value.getUsers(), [&](Operation *user) {
        return !within(user, segment);
      });
    }
  };

  /// The kernel's LLVM-level parameters (abiSlots).
  static int64_t abiSlotCount(gpu::GPUFuncOp kernel) {
    int64_t slots = 0;
    for (Type type : kernel.getFunctionType().getInputs())
      slots += abiSlots(type);
    return slots;
  }

  /// The bytes of the kernel's workgroup buffers (static shared memory, as
  /// CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES reports it, less alignment).
  static int64_t staticSharedBytes(gpu::GPUFuncOp kernel) {
    int64_t bytes = 0;
    for (BlockArgument buffer : kernel.getWorkgroupAttributions()) {
      auto type = cast<MemRefType>(buffer.getType());
      bytes += type.getNumElements() *
               llvm::divideCeil(type.getElementTypeBitWidth(), 8);
    }
    return bytes;
  }

  /// func.func @<kernel><suffix>() -> i64 { return value }: what the CUDA
  /// test double asks of an emulated kernel.
  func::FuncOp constantFunction(OpBuilder &b, gpu::GPUFuncOp kernel,
                                StringRef suffix, int64_t value) {
    Location loc = kernel.getLoc();
    auto fn = func::FuncOp::create(
        b, loc, (kernel.getName() + suffix).str(),
        FunctionType::get(b.getContext(), {}, {b.getI64Type()}));
    OpBuilder body = OpBuilder::atBlockBegin(fn.addEntryBlock());
    Value constant = arith::ConstantIntOp::create(body, loc, value, 64);
    func::ReturnOp::create(body, loc, constant);
    return fn;
  }
};
} // namespace

} // namespace mlir::nhc

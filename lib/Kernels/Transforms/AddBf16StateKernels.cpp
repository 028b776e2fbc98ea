//===- AddBf16StateKernels.cpp - kernels keeping state as bf16 ------------===//
//
// A kernel marked `nhc.bf16_state_form` gets a clone whose marked state
// arguments are bf16 bits (memref<?xi16>): loads widen, stores round to
// nearest even. The arithmetic stays f32; only the bytes in memory halve.
//
//===----------------------------------------------------------------------===//

#include "nhc/Kernels/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

#include <string>

namespace mlir::nhc {

#define GEN_PASS_DEF_NHCADDBF16STATEKERNELSPASS
#include "nhc/Kernels/Passes.h.inc"

namespace {
constexpr StringLiteral kFormAttr = "nhc.bf16_state_form";
constexpr StringLiteral kArgAttr = "nhc.bf16_state";
constexpr StringLiteral kGpuVariantOf = "nhc.gpu_variant_of";
/// Rounds f32 to bf16 bits (lib/Kernels/device_ops.mlir).
constexpr StringLiteral kRoundingHelper = "nhc_bf16_bits";

/// `type` (f32 or a vector of f32) with i<width> elements.
Type withIntElements(Type type, unsigned width) {
  Type element = IntegerType::get(type.getContext(), width);
  if (auto vector = dyn_cast<VectorType>(type))
    return vector.clone(element);
  return element;
}

/// A splat constant of `value` with `type`'s shape (scalar or vector).
Value constantLike(OpBuilder &b, Location loc, Type type, int64_t value) {
  auto element = cast<IntegerType>(getElementTypeOrSelf(type));
  TypedAttr attr = IntegerAttr::get(element, value);
  if (auto vector = dyn_cast<VectorType>(type))
    attr = DenseElementsAttr::get(vector, attr);
  return arith::ConstantOp::create(b, loc, type, attr);
}

/// bf16 bits (i16 or a vector of i16) as f32: the bits are the f32's high
/// half, so widening is exact.
Value widen(OpBuilder &b, Location loc, Value bits, Type f32Type) {
  Type i32Type = withIntElements(f32Type, 32);
  Value wide = arith::ExtUIOp::create(b, loc, i32Type, bits);
  Value high = arith::ShLIOp::create(b, loc, wide,
                                     constantLike(b, loc, i32Type, 16));
  return arith::BitcastOp::create(b, loc, f32Type, high);
}

/// The bf16 nearest to `value` (f32 or a 1-D vector of f32) as i16 bits,
/// by `bitsFn` (device_ops.mlir's @nhc_bf16_bits: the library's one
/// rounding rule), lane by lane for a vector.
Value narrow(OpBuilder &b, Location loc, Value value, func::FuncOp bitsFn) {
  Type i16Type = b.getI16Type();
  auto narrowScalar = [&](Value scalar) -> Value {
    Value bits = func::CallOp::create(b, loc, bitsFn, scalar).getResult(0);
    return arith::TruncIOp::create(b, loc, i16Type, bits);
  };
  auto vector = dyn_cast<VectorType>(value.getType());
  if (!vector)
    return narrowScalar(value);
  SmallVector<Value> lanes;
  for (int64_t i = 0; i < vector.getNumElements(); ++i)
    lanes.push_back(
        narrowScalar(vector::ExtractOp::create(b, loc, value, i)));
  return vector::FromElementsOp::create(b, loc, vector.clone(i16Type), lanes);
}

/// An f32 access's alignment in bytes as the bf16 access's: half.
void halveAlignment(Operation *op) {
  if (auto alignment = op->getAttrOfType<IntegerAttr>("alignment"))
    op->setAttr("alignment",
                IntegerAttr::get(alignment.getType(),
                                 std::max<int64_t>(alignment.getInt() / 2, 2)));
}

class Narrower {
public:
  explicit Narrower(ModuleOp module) : module(module), symbols(module) {}

  /// A clone of `fn` named `name` whose arguments `positions` are bf16
  /// bits, inserted after `fn`.
  FailureOr<func::FuncOp> cloneNarrowed(func::FuncOp fn, StringRef name,
                                        ArrayRef<unsigned> positions) {
    if (symbols.lookup(name)) {
      fn.emitError("'") << name << "' (its bf16 state form) already exists";
      return failure();
    }
    auto clone = cast<func::FuncOp>(fn->clone());
    clone.setSymName(name);
    clone->removeAttr(kFormAttr);
    module.getBody()->getOperations().insert(std::next(Block::iterator(fn)),
                                             clone);
    symbols.insert(clone);
    auto bits = MemRefType::get({ShapedType::kDynamic},
                                IntegerType::get(fn.getContext(), 16));
    SmallVector<Type> inputs(clone.getArgumentTypes());
    for (unsigned i : positions) {
      auto type = dyn_cast<MemRefType>(inputs[i]);
      if (!type || type.getRank() != 1 || !type.getElementType().isF32())
        return fn.emitError("argument ")
               << i << " kept as bf16 must be memref<?xf32>, got "
               << inputs[i];
      inputs[i] = bits;
    }
    clone.setFunctionType(
        FunctionType::get(fn.getContext(), inputs, clone.getResultTypes()));
    if (clone.isExternal())
      return fn.emitError("a bf16 state form needs a body");
    // All of them first: a call passing two of them is rewritten once.
    for (unsigned i : positions) {
      clone.removeArgAttr(i, kArgAttr);
      clone.getArgument(i).setType(bits);
      narrowed.insert(clone.getArgument(i));
    }
    for (unsigned i : positions)
      if (failed(narrowUses(clone.getArgument(i))))
        return failure();
    return clone;
  }

private:
  /// Rewrites every use of `value`, now memref<?xi16> of bf16 bits.
  LogicalResult narrowUses(Value value) {
    // Taken first: the rewrites below add and drop uses of `value`.
    SmallVector<std::pair<Operation *, unsigned>> uses;
    for (OpOperand &use : value.getUses())
      uses.push_back({use.getOwner(), use.getOperandNumber()});
    for (auto [user, operandNumber] : uses) {
      OpBuilder b(user);
      Location loc = user->getLoc();
      if (isa<memref::LoadOp, vector::LoadOp>(user)) {
        Type f32Type = user->getResult(0).getType();
        Operation *load = b.clone(*user);
        load->getResult(0).setType(withIntElements(f32Type, 16));
        halveAlignment(load);
        Value wide = widen(b, loc, load->getResult(0), f32Type);
        user->getResult(0).replaceAllUsesWith(wide);
        user->erase();
      } else if (isa<memref::StoreOp, vector::StoreOp>(user) &&
                 operandNumber == 1) {
        FailureOr<func::FuncOp> bitsFn = roundingHelper(user);
        if (failed(bitsFn))
          return failure();
        user->setOperand(0, narrow(b, loc, user->getOperand(0), *bitsFn));
        halveAlignment(user);
      } else if (isa<memref::PrefetchOp,
                     memref::ExtractAlignedPointerAsIndexOp>(user)) {
        // Element indices and the base address: unchanged.
      } else if (auto call = dyn_cast<func::CallOp>(user)) {
        if (failed(narrowCall(call)))
          return failure();
      } else {
        return user->emitError("cannot keep this operand as bf16 state ('")
               << user->getName() << "' is not a load, store, prefetch, "
               << "aligned-pointer query or call)";
      }
    }
    return success();
  }

  /// @nhc_bf16_bits, (f32) -> i32, for a store of bf16 state by `store`.
  FailureOr<func::FuncOp> roundingHelper(Operation *store) {
    auto fn = symbols.lookup<func::FuncOp>(kRoundingHelper);
    auto f32 = Float32Type::get(store->getContext());
    auto i32 = IntegerType::get(store->getContext(), 32);
    if (!fn || fn.getFunctionType() != FunctionType::get(store->getContext(),
                                                         {f32}, {i32}))
      return store->emitError("storing bf16 state needs @")
             << kRoundingHelper
             << " : (f32) -> i32 in the module (lib/Kernels/device_ops.mlir)";
    return fn;
  }

  /// Points `call` at its callee's clone for the operands now narrowed.
  LogicalResult narrowCall(func::CallOp call) {
    if (!visitedCalls.insert(call).second)
      return success(); // A second narrowed operand of the same call.
    SmallVector<unsigned> positions;
    std::string name = call.getCallee().str() + "_bf16";
    for (auto [i, operand] : llvm::enumerate(call.getOperands()))
      if (narrowed.contains(operand)) {
        positions.push_back(i);
        name += "_" + std::to_string(i);
      }
    auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
    if (!callee)
      return call.emitError("callee '") << call.getCallee() << "' not found";
    auto it = clones.find(name);
    if (it == clones.end()) {
      FailureOr<func::FuncOp> clone = cloneNarrowed(callee, name, positions);
      if (failed(clone))
        return failure();
      clone->setPrivate();
      it = clones.try_emplace(name, *clone).first;
    }
    call.setCallee(it->second.getSymName());
    return success();
  }

  ModuleOp module;
  SymbolTable symbols;
  llvm::DenseSet<Value> narrowed;
  llvm::DenseSet<Operation *> visitedCalls;
  llvm::StringMap<func::FuncOp> clones;
};

struct NHCAddBf16StateKernelsPass
    : impl::NHCAddBf16StateKernelsPassBase<NHCAddBf16StateKernelsPass> {
  void runOnOperation() override {
    if (failed(addBf16StateKernels(getOperation())))
      signalPassFailure();
  }
};
} // namespace

LogicalResult addBf16StateKernels(ModuleOp module) {
  SmallVector<func::FuncOp> kernels;
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn->hasAttr(kFormAttr))
      kernels.push_back(fn);
  Narrower narrower(module);
  for (func::FuncOp kernel : kernels) {
    auto form = kernel->getAttrOfType<StringAttr>(kFormAttr);
    if (!form || form.getValue().empty())
      return kernel.emitError(kFormAttr) << " must name the new kernel";
    SmallVector<unsigned> positions;
    for (unsigned i = 0; i < kernel.getNumArguments(); ++i)
      if (kernel.getArgAttr(i, kArgAttr))
        positions.push_back(i);
    if (positions.empty())
      return kernel.emitError("no argument is marked ") << kArgAttr;
    // The GPU forms of the kernel, before the new kernel adds its own.
    SmallVector<func::FuncOp> gpuForms;
    for (auto fn : module.getOps<func::FuncOp>())
      if (auto of = fn->getAttrOfType<StringAttr>(kGpuVariantOf);
          of && of.getValue() == kernel.getSymName())
        gpuForms.push_back(fn);
    FailureOr<func::FuncOp> clone =
        narrower.cloneNarrowed(kernel, form.getValue(), positions);
    if (failed(clone))
      return failure();
    clone->setPublic();
    for (func::FuncOp gpuForm : gpuForms) {
      FailureOr<func::FuncOp> gpuClone = narrower.cloneNarrowed(
          gpuForm, (gpuForm.getSymName() + "_bf16_state").str(), positions);
      if (failed(gpuClone))
        return failure();
      (*gpuClone)->setAttr(kGpuVariantOf, form);
    }
    kernel->removeAttr(kFormAttr);
    for (unsigned i : positions)
      kernel.removeArgAttr(i, kArgAttr);
  }
  return success();
}

} // namespace mlir::nhc

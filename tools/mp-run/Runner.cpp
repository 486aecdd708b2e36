//===- Runner.cpp - JIT-compile and run a tensor function on the CPU ------===//
//
// Lowers with mp-cpu-lowering{c-interface}, JITs with the ExecutionEngine and
// calls `_mlir_ciface_<entry>` with strided memref descriptors:
//   {allocated, aligned, offset, sizes[rank], strides[rank]}
// results first (one descriptor, or a struct of them), then the arguments.
//
//===----------------------------------------------------------------------===//

#include "Runner.h"

#include "llvm/ADT/SmallPtrSet.h"
#include <cstdlib>

#include "mp/Analysis/ConstantData.h"
#include "mp/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/APFloat.h"

#include <chrono>
#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mp;

size_t mp::storageSize(Type type) {
  if (type.isF64() || type.isInteger(64))
    return 8;
  if (type.isF32() || type.isInteger(32))
    return 4;
  if (type.isF16() || type.isBF16() || type.isInteger(16))
    return 2;
  if (isa<Float8E4M3FNType, Float8E5M2Type>(type) || type.isInteger(8) ||
      type.isInteger(4) || type.isInteger(1))
    return 1;
  return 0;
}

HostTensor HostTensor::zeros(Type elementType, ArrayRef<int64_t> shape) {
  HostTensor t;
  t.elementType = elementType;
  t.shape.assign(shape.begin(), shape.end());
  t.bytes.assign(t.numElements() * t.elementSize(), 0);
  return t;
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

size_t HostTensor::elementSize() const { return storageSize(elementType); }

double HostTensor::get(int64_t index) const {
  const uint8_t *p = bytes.data() + index * elementSize();
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    if (elementType.isF64()) {
      double v;
      memcpy(&v, p, 8);
      return v;
    }
    if (elementType.isF32()) {
      float v;
      memcpy(&v, p, 4);
      return v;
    }
    uint64_t bits = 0;
    memcpy(&bits, p, elementSize());
    APFloat value(floatType.getFloatSemantics(), APInt(floatType.getWidth(), bits));
    return value.convertToDouble();
  }
  unsigned width = elementType.getIntOrFloatBitWidth();
  int64_t v = 0;
  switch (elementSize()) {
  case 1: v = int8_t(*p); break;
  case 2: { int16_t x; memcpy(&x, p, 2); v = x; break; }
  case 4: { int32_t x; memcpy(&x, p, 4); v = x; break; }
  default: memcpy(&v, p, 8); break;
  }
  if (width < 8) // sign-extend sub-byte integers (i4, i1 as stored)
    v = (v << (64 - width)) >> (64 - width);
  return double(v);
}

void HostTensor::set(int64_t index, double value) {
  uint8_t *p = bytes.data() + index * elementSize();
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    if (elementType.isF64()) {
      memcpy(p, &value, 8);
      return;
    }
    if (elementType.isF32()) {
      float v = float(value);
      memcpy(p, &v, 4);
      return;
    }
    APFloat v(value);
    bool lost;
    v.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    uint64_t bits = v.bitcastToAPInt().getZExtValue();
    memcpy(p, &bits, elementSize());
    return;
  }
  unsigned width = elementType.getIntOrFloatBitWidth();
  double lo = width == 1 ? 0 : -std::ldexp(1.0, width - 1);
  double hi = width == 1 ? 1 : std::ldexp(1.0, width - 1) - 1;
  int64_t v = std::isnan(value) ? 0 : int64_t(std::nearbyint(std::clamp(value, lo, hi)));
  memcpy(p, &v, elementSize()); // little endian: low bytes first
}

std::vector<double> HostTensor::toDoubles() const {
  std::vector<double> values(numElements());
  for (int64_t i = 0; i < numElements(); ++i)
    values[i] = get(i);
  return values;
}

RankedTensorType mp::asBoundaryTensorType(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor;
  if (auto memref = dyn_cast<MemRefType>(type);
      memref && memref.getLayout().isIdentity() && !memref.getMemorySpace())
    return RankedTensorType::get(memref.getShape(), memref.getElementType());
  return {};
}

LogicalResult mp::checkSignature(Operation *op) {
  auto func = cast<func::FuncOp>(op);
  auto check = [&](Type type, StringRef what, unsigned index) -> LogicalResult {
    RankedTensorType tensor = asBoundaryTensorType(type);
    if (!tensor || storageSize(tensor.getElementType()) == 0)
      return func.emitError() << "mp-run supports ranked tensors (or identity-layout "
                                 "memrefs) of f64, f32, f16, bf16, fp8 and integers; "
                              << what << " #" << index << " has type " << type;
    // Static sizes must fit in memory: computed with overflow checks.
    constexpr uint64_t kMaxTensorBytes = uint64_t(64) << 30;
    uint64_t bytes = storageSize(tensor.getElementType());
    for (int64_t dim : tensor.getShape()) {
      if (ShapedType::isDynamic(dim))
        continue;
      if (dim != 0 && bytes > kMaxTensorBytes / uint64_t(dim))
        return func.emitError() << what << " #" << index << " (" << type
                                << ") needs more than mp-run's limit of 64 GiB per tensor";
      bytes *= uint64_t(dim);
    }
    return success();
  };
  for (auto [i, t] : llvm::enumerate(func.getArgumentTypes()))
    if (failed(check(t, "argument", i)))
      return failure();
  for (auto [i, t] : llvm::enumerate(func.getResultTypes()))
    if (failed(check(t, "result", i)))
      return failure();
  return success();
}


/// Large constant arrays (weights) are not compiled into the code: each becomes
/// a zero-initialized, externally visible global whose bytes are copied in
/// after the JIT has placed it. Translating and code-generating tens of MB of
/// constants is most of the compile time of a real model otherwise, and the
/// generated code then depends on the weights' shapes only.
static constexpr int64_t kExternalizeBytes = 4096;

static std::vector<ExternalConstant> externalizeConstants(ModuleOp module) {
  std::vector<ExternalConstant> external;
  for (auto global : module.getOps<LLVM::GlobalOp>()) {
    auto elements = dyn_cast_or_null<ElementsAttr>(global.getValueOrNull());
    if (!elements || !global.getInitializerRegion().empty())
      continue;
    ExternalConstant constant;
    std::optional<ArrayRef<char>> raw = rawConstantBytes(elements, constant.splat);
    if (!raw)
      continue;
    constant.elementBytes = elements.getElementType().getIntOrFloatBitWidth() / 8;
    constant.count = elements.getNumElements();
    size_t expected = constant.splat ? constant.elementBytes
                                     : size_t(constant.count) * constant.elementBytes;
    if (constant.count * int64_t(constant.elementBytes) < kExternalizeBytes ||
        raw->size() != expected)
      continue;
    // The bytes stay in the context (the attribute's storage or resource
    // blob) after the global stops referring to them.
    constant.raw = *raw;
    constant.symbol = global.getSymName().str();
    // Zero-initialized (no data in the object), writable only by us, and
    // visible to the JIT's symbol lookup.
    OpBuilder b(global);
    global.removeValueAttr();
    global.setConstant(false);
    global.setLinkage(LLVM::Linkage::External);
    global.setVisibility_(LLVM::Visibility::Default);
    Block *block = b.createBlock(&global.getInitializerRegion());
    b.setInsertionPointToStart(block);
    Value zero = LLVM::ZeroOp::create(b, global.getLoc(), global.getGlobalType());
    LLVM::ReturnOp::create(b, global.getLoc(), zero);
    external.push_back(std::move(constant));
  }
  return external;
}

LogicalResult CompiledFunction::prepareContext(MLIRContext &context, StringRef pipeline) {
  DialectRegistry registry;
  for (bool vectorize : {false, true}) {
    for (bool threads : {false, true}) {
      PassManager lowering(&context);
      CPULoweringOptions options;
      options.cInterface = true;
      options.vectorize = vectorize;
      options.threads = threads;
      buildCPULoweringPipeline(lowering, options);
      lowering.getDependentDialects(registry);
    }
  }
  StringRef text = pipeline.trim();
  if (!text.empty()) {
    PassManager pm(&context, ModuleOp::getOperationName());
    if (text.consume_front("builtin.module(") && !text.consume_back(")"))
      return failure();
    if (failed(parsePassPipeline(text, pm, llvm::nulls())))
      return failure();
    pm.getDependentDialects(registry);
  }
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
  return success();
}

FailureOr<std::unique_ptr<CompiledFunction>>
CompiledFunction::compile(OwningOpRef<ModuleOp> module, StringRef entry,
                          double *loweringSeconds, double *jitSeconds,
                          bool vectorize, bool threads) {
  auto compiled = std::make_unique<CompiledFunction>();
  compiled->entry = entry.str();
  auto func = module->lookupSymbol<func::FuncOp>(entry);
  if (!func || func.isExternal())
    return module->emitError() << "no function body named '" << entry << "'";
  if (failed(checkSignature(func)))
    return failure();
  for (Type t : func.getArgumentTypes())
    compiled->argTypes.push_back(asBoundaryTensorType(t));
  for (Type t : func.getResultTypes())
    compiled->resultTypes.push_back(asBoundaryTensorType(t));

  // Only the entry (and what it calls) is compiled: other public functions,
  // drivers that print say, become private and symbol-dce drops them.
  for (auto other : module->getOps<func::FuncOp>())
    if (other != func && !other.isExternal())
      other.setPrivate();

  auto start = std::chrono::steady_clock::now();
  PassManager pm(module->getContext());
  CPULoweringOptions options;
  options.cInterface = true;
  options.vectorize = vectorize;
  options.threads = threads;
  buildCPULoweringPipeline(pm, options);
  if (failed(pm.run(*module)))
    return emitError(module->getLoc()) << "lowering '" << entry << "' for the CPU failed";
  std::vector<ExternalConstant> external = externalizeConstants(*module);
  auto lowered = std::chrono::steady_clock::now();

  ExecutionEngineOptions engineOptions;
  // Threaded code calls mp_parallel_for of mp's CPU runtime (its pool).
  static const llvm::StringRef runtimeLibraries[] = {MP_C_RUNNER_UTILS, MP_CPU_RUNTIME};
  engineOptions.sharedLibPaths =
      llvm::ArrayRef(runtimeLibraries).take_front(threads ? 2 : 1);
  compiled->transformer = makeOptimizingTransformer(3, 0, nullptr);
  engineOptions.transformer = compiled->transformer;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine) {
    std::string message = llvm::toString(engine.takeError());
    return emitError(module->getLoc()) << "JIT compilation failed: " << message;
  }
  compiled->engine = std::move(*engine);
  // Looking the entry up compiles the module now (eagerly: no timed run
  // pays for code generation); then the weights are copied into their globals.
  if (auto address = compiled->engine->lookupPacked("_mlir_ciface_" + compiled->entry);
      !address) {
    std::string message = llvm::toString(address.takeError());
    return emitError(module->getLoc()) << "JIT compilation failed: " << message;
  }
  for (const ExternalConstant &constant : external) {
    auto address = compiled->engine->lookup(constant.symbol);
    if (!address) {
      std::string message = llvm::toString(address.takeError());
      return emitError(module->getLoc())
             << "JIT: no address for constant '" << constant.symbol << "': " << message;
    }
    char *to = static_cast<char *>(*address);
    if (!constant.splat) {
      memcpy(to, constant.raw.data(), constant.raw.size());
      continue;
    }
    for (int64_t i = 0; i < constant.count; ++i)
      memcpy(to + i * constant.elementBytes, constant.raw.data(), constant.elementBytes);
  }
  compiled->module = std::move(module);
  auto jitted = std::chrono::steady_clock::now();
  if (loweringSeconds)
    *loweringSeconds = std::chrono::duration<double>(lowered - start).count();
  if (jitSeconds)
    *jitSeconds = std::chrono::duration<double>(jitted - lowered).count();
  return compiled;
}

std::optional<int64_t> CompiledFunction::readI64Global(StringRef symbol) {
  // Only symbols the module defines: the JIT would otherwise resolve the
  // name in the process or its libraries.
  if (!module || !module->lookupSymbol(symbol))
    return std::nullopt;
  auto address = engine->lookup(symbol);
  if (!address) {
    llvm::consumeError(address.takeError());
    return std::nullopt;
  }
  int64_t value;
  memcpy(&value, *address, sizeof(value));
  return value;
}

/// Words of a descriptor of the given rank.
static size_t descriptorWords(int64_t rank) { return 3 + 2 * rank; }

llvm::Expected<std::vector<HostTensor>>
CompiledFunction::run(ArrayRef<HostTensor> inputs) {
  auto fail = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  if (inputs.size() != argTypes.size())
    return fail("'" + entry + "' takes " + llvm::Twine(argTypes.size()) +
                " arguments, got " + llvm::Twine(inputs.size()) + " inputs");
  // Argument descriptors point at copies (the function may write its inputs).
  std::vector<std::vector<uint8_t>> storage;
  storage.reserve(inputs.size());
  std::vector<std::vector<int64_t>> argDescriptors;
  for (auto [input, type] : llvm::zip(inputs, argTypes)) {
    storage.push_back(input.bytes);
    int64_t rank = type.getRank();
    std::vector<int64_t> desc(descriptorWords(rank));
    uint8_t *data = storage.back().data();
    desc[0] = desc[1] = reinterpret_cast<int64_t>(data);
    desc[2] = 0;
    int64_t stride = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      desc[3 + d] = input.shape[d];
      desc[3 + rank + d] = stride;
      stride *= input.shape[d];
    }
    argDescriptors.push_back(std::move(desc));
  }
  size_t resultWords = 0;
  for (RankedTensorType t : resultTypes)
    resultWords += descriptorWords(t.getRank());
  std::vector<int64_t> results(std::max<size_t>(resultWords, 1));

  std::vector<void *> argPointers;
  std::vector<void *> packed;
  void *resultPointer = results.data();
  if (!resultTypes.empty())
    packed.push_back(&resultPointer);
  argPointers.reserve(argDescriptors.size());
  for (auto &desc : argDescriptors)
    argPointers.push_back(desc.data());
  for (void *&pointer : argPointers)
    packed.push_back(&pointer);
  if (llvm::Error error = engine->invokePacked("_mlir_ciface_" + entry, packed))
    return std::move(error);

  std::vector<HostTensor> outputs;
  size_t offset = 0;
  for (RankedTensorType type : resultTypes) {
    int64_t rank = type.getRank();
    const int64_t *desc = results.data() + offset;
    offset += descriptorWords(rank);
    std::vector<int64_t> shape(desc + 3, desc + 3 + rank);
    HostTensor out = HostTensor::zeros(type.getElementType(), shape);
    size_t size = out.elementSize();
    const uint8_t *base = reinterpret_cast<const uint8_t *>(desc[1]) + desc[2] * size;
    std::vector<int64_t> index(rank, 0);
    for (int64_t linear = 0; linear < out.numElements(); ++linear) {
      int64_t elementOffset = 0;
      for (int64_t d = 0; d < rank; ++d)
        elementOffset += index[d] * desc[3 + rank + d];
      memcpy(out.bytes.data() + linear * size, base + elementOffset * size, size);
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++index[d] < shape[d])
          break;
        index[d] = 0;
      }
    }
    outputs.push_back(std::move(out));
  }
  // Result buffers were allocated by the compiled code (malloc, with the
  // caller owning them after the deallocation pipeline): free each once.
  // Inputs' storage and constant globals (whose descriptors carry the
  // 0xdeadbeef sentinel) are not ours to free.
  llvm::SmallPtrSet<void *, 8> freed;
  for (const auto &buffer : storage)
    freed.insert(const_cast<uint8_t *>(buffer.data()));
  freed.insert(reinterpret_cast<void *>(uintptr_t(0xdeadbeef)));
  freed.insert(nullptr);
  offset = 0;
  for (RankedTensorType type : resultTypes) {
    void *allocated = reinterpret_cast<void *>(results[offset]);
    offset += descriptorWords(type.getRank());
    if (freed.insert(allocated).second)
      free(allocated);
  }
  return outputs;
}

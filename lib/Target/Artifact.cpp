//===- Artifact.cpp - compiled model artifacts -----------------------------===//
//
// The host function that mp-lower-to-ptx leaves is straight-line code over
// static shapes: weights (memref.get_global), buffers (memref.alloc), views
// of them, gpu.launch_func and a return. This file turns it into a plan:
//
//  * every memref value is a root (an input, a weight, a buffer) plus the
//    static layout of its type, so each kernel argument is known at compile
//    time: the memref descriptor {allocated, aligned, offset, sizes...,
//    strides...} that convert-gpu-to-nvvm gives kernels, scalars as bits;
//  * buffers get offsets in one arena by first fit over their live ranges
//    (the launches run in order on one stream, so a buffer is free once the
//    launch that reads it last has been enqueued); a returned buffer is
//    written straight into the caller's output;
//  * each launch's argument list is checked against the .entry parameter
//    list of its PTX (count and sizes), so a layout mismatch is a compile
//    error, not a wrong result on the GPU;
//
// and writes the plan as C (model.c) against mp/Runtime/Model.h.
//
//===----------------------------------------------------------------------===//

#include "mp/Target/Artifact.h"

#include "mp/Conversion/GPUObjects.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <unistd.h>
#include <optional>

using namespace mlir;

namespace mp {
// The runtime headers that model.c includes (generated from runtime/include).
extern const char *const kRuntimeCudaHeader;
extern const char *const kRuntimeModelHeader;
} // namespace mp

namespace {

constexpr int64_t kAlignment = 256;

int64_t alignUp(int64_t value) { return (value + kAlignment - 1) / kAlignment * kAlignment; }

std::string locString(Location loc) {
  std::string text;
  llvm::raw_string_ostream os(text);
  loc.print(os);
  return text;
}

std::string typeString(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return text;
}

/// Bytes one element takes in device memory (the LLVM lowering's alloc size:
/// i1 and i4 take a byte each).
std::optional<int64_t> elementBytes(Type type) {
  if (type.isIndex())
    return 8;
  if (!type.isIntOrFloat())
    return std::nullopt;
  return (type.getIntOrFloatBitWidth() + 7) / 8;
}

/// Where a memref's data lives.
struct Root {
  enum Kind { Input, Weight, Buffer } kind;
  int64_t id; // input index, weight byte offset, buffer index
};

struct BufferInfo {
  int64_t bytes;
  int64_t first, last; // op indices of the definition and the last use
  int64_t offset = -1; // in the arena
  int output = -1;     // bound to this output instead of the arena
  Location loc;
};

struct WeightInfo {
  std::string name;
  int64_t offset, bytes;
  MemRefType type;
};

/// One kernel argument slot: 8 bytes or less, as the kernel reads it.
struct Slot {
  enum Kind { Pointer, Bits } kind;
  Root root{Root::Input, 0};
  uint64_t bits = 0;
  unsigned bytes = 8;
  const char *field = "u64"; // the mpArg member that holds it
};

struct Launch {
  std::string binary, kernel;
  int kernelIndex;
  int64_t grid[3], block[3], shared;
  SmallVector<Slot> slots;
  std::string loc;
  Operation *op;
};

struct OutputCopy {
  int output;
  Root root;
  int64_t byteOffset, bytes;
};

/// The .entry parameter sizes of `kernel` in `ptx`, or nullopt if it is not
/// found.
std::optional<SmallVector<unsigned>> ptxParameterSizes(StringRef ptx, StringRef kernel) {
  std::string header = (".entry " + kernel + "(").str();
  size_t start = ptx.find(header);
  if (start == StringRef::npos)
    return std::nullopt;
  size_t end = ptx.find(')', start);
  if (end == StringRef::npos)
    return std::nullopt;
  StringRef list = ptx.slice(start + header.size(), end);
  SmallVector<unsigned> sizes;
  SmallVector<StringRef> params;
  list.split(params, ',', -1, false);
  for (StringRef param : params) {
    param = param.trim();
    if (param.empty())
      continue;
    // ".param .u64 name", ".param .align 8 .b8 name[16]"
    SmallVector<StringRef> words;
    param.split(words, ' ', -1, false);
    unsigned size = 0;
    bool alignment = false;
    for (StringRef word : words) {
      if (alignment) { // the number after .align
        alignment = false;
        continue;
      }
      if (word == ".align") {
        alignment = true;
        continue;
      }
      if (word == ".param" || word == ".ptr" || word == ".global" || word == ".const" ||
          word == ".local" || word == ".shared")
        continue;
      if (word.starts_with(".")) {
        unsigned bits = 0;
        if (word.drop_front(2).getAsInteger(10, bits) == false)
          size = bits / 8;
        continue;
      }
      // The name: an array declares its byte size.
      size_t bracket = word.find('[');
      if (bracket != StringRef::npos) {
        unsigned count = 1;
        if (!word.slice(bracket + 1, word.find(']')).getAsInteger(10, count))
          size *= count;
      }
    }
    sizes.push_back(size);
  }
  return sizes;
}

class ArtifactWriter {
public:
  ArtifactWriter(ModuleOp module, const mp::ArtifactOptions &options)
      : module(module), options(options) {}

  LogicalResult run();

private:
  LogicalResult findEntry();
  LogicalResult planHost();
  LogicalResult addWeight(memref::GetGlobalOp op);
  LogicalResult visitLaunch(gpu::LaunchFuncOp op, int64_t index);
  LogicalResult visitReturn(func::ReturnOp op, int64_t index);
  LogicalResult appendMemRef(Value value, Launch &launch, Operation *user);
  LogicalResult appendScalar(Value value, Launch &launch, Operation *user);
  LogicalResult checkParameters();
  void planArena();
  LogicalResult writeFiles();
  std::string emitC() const;
  llvm::json::Value manifest() const;
  std::string rootExpression(const Root &root) const;

  void use(Value value, int64_t index) {
    auto it = roots.find(value);
    if (it != roots.end() && it->second.kind == Root::Buffer)
      buffers[it->second.id].last = std::max(buffers[it->second.id].last, index);
  }

  ModuleOp module;
  const mp::ArtifactOptions &options;
  mutable func::FuncOp entry;
  llvm::DenseMap<Value, Root> roots;
  SmallVector<BufferInfo> buffers;
  SmallVector<WeightInfo> weights;
  llvm::StringMap<int64_t> weightOffsets;
  std::vector<char> weightBytes;
  SmallVector<Launch> launches;
  SmallVector<std::pair<std::string, std::string>> kernels; // (binary, kernel)
  SmallVector<OutputCopy> copies;
  SmallVector<MemRefType> inputs, outputs;
  int64_t arenaBytes = 0, unsharedBytes = 0;
  // (binary name, file stem) of every binary with a kernel we launch.
  SmallVector<std::string> moduleStems;
  llvm::StringMap<int> moduleIndex;
  bool parametersChecked = false;
};

LogicalResult ArtifactWriter::findEntry() {
  SmallVector<func::FuncOp> candidates;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isDeclaration())
      continue;
    if (options.entry.empty() ? func.isPublic() : func.getSymName() == options.entry)
      candidates.push_back(func);
  }
  if (candidates.size() != 1) {
    if (!options.entry.empty())
      return module.emitError() << "no function '" << options.entry << "' to compile";
    return module.emitError() << "expected one public function to compile, found "
                              << candidates.size() << " (choose one with --entry)";
  }
  entry = candidates.front();
  if (!entry.getBody().hasOneBlock())
    return entry.emitError() << "the host function of a compiled model must be straight-line "
                                "code (one block); run mp-lower-to-ptx first";
  for (auto [index, arg] : llvm::enumerate(entry.getArguments())) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity() ||
        !elementBytes(type.getElementType()) || type.getRank() > 8)
      return entry.emitError() << "argument #" << index << " has type " << arg.getType()
                               << ": a compiled model takes memrefs of static shape "
                                  "(rank 8 at most), identity layout and int or float "
                                  "elements";
    roots[arg] = Root{Root::Input, int64_t(index)};
    inputs.push_back(type);
  }
  for (auto [index, type] : llvm::enumerate(entry.getResultTypes())) {
    auto memref = dyn_cast<MemRefType>(type);
    if (!memref || !memref.hasStaticShape() || !memref.getLayout().isIdentity() ||
        !elementBytes(memref.getElementType()) || memref.getRank() > 8)
      return entry.emitError() << "result #" << index << " has type " << type
                               << ": a compiled model returns memrefs of static shape "
                                  "(rank 8 at most), identity layout and int or float "
                                  "elements";
    outputs.push_back(memref);
  }
  return success();
}

LogicalResult ArtifactWriter::addWeight(memref::GetGlobalOp op) {
  auto it = weightOffsets.find(op.getName());
  if (it != weightOffsets.end()) {
    roots[op.getResult()] = Root{Root::Weight, it->second};
    return success();
  }
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(op, op.getNameAttr());
  if (!global)
    return op.emitError() << "no memref.global @" << op.getName();
  MemRefType type = global.getType();
  std::optional<int64_t> element = elementBytes(type.getElementType());
  if (!type.hasStaticShape() || !element)
    return op.emitError() << "weight @" << op.getName() << " has type " << type
                          << ": expected a static shape of int or float elements";
  int64_t bytes = type.getNumElements() * *element;
  int64_t offset = alignUp(int64_t(weightBytes.size()));
  weightBytes.resize(offset, 0);
  std::optional<Attribute> initial = global.getInitialValue();
  if (!initial || isa<UnitAttr>(*initial)) {
    weightBytes.resize(offset + bytes, 0); // uninitialized: zeros
  } else if (auto dense = dyn_cast<DenseElementsAttr>(*initial)) {
    if (dense.getElementType().isInteger(1)) {
      for (bool value : dense.getValues<bool>())
        weightBytes.push_back(value ? 1 : 0);
      if (dense.isSplat())
        weightBytes.resize(offset + bytes, dense.getSplatValue<bool>() ? 1 : 0);
    } else {
      ArrayRef<char> raw = dense.getRawData();
      if (dense.isSplat()) {
        for (int64_t i = 0; i < type.getNumElements(); ++i)
          weightBytes.insert(weightBytes.end(), raw.begin(), raw.begin() + *element);
      } else {
        weightBytes.insert(weightBytes.end(), raw.begin(), raw.end());
      }
    }
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(*initial)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return op.emitError() << "weight @" << op.getName()
                            << " is a dense_resource whose data is missing (elided?)";
    ArrayRef<char> raw = blob->getData();
    weightBytes.insert(weightBytes.end(), raw.begin(), raw.end());
  } else {
    return op.emitError() << "weight @" << op.getName() << " has an initial value of kind "
                          << *initial << " that the artifact writer cannot store";
  }
  if (int64_t(weightBytes.size()) != offset + bytes)
    return op.emitError() << "weight @" << op.getName() << " holds "
                          << int64_t(weightBytes.size()) - offset << " bytes, its type "
                          << type << " needs " << bytes;
  weightOffsets[op.getName()] = offset;
  weights.push_back(WeightInfo{op.getName().str(), offset, bytes, type});
  roots[op.getResult()] = Root{Root::Weight, offset};
  return success();
}

LogicalResult ArtifactWriter::appendMemRef(Value value, Launch &launch, Operation *user) {
  auto type = cast<MemRefType>(value.getType());
  auto it = roots.find(value);
  if (it == roots.end())
    return user->emitError() << "kernel argument of type " << type
                             << " is not a view of an input, a weight or a buffer";
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!type.hasStaticShape() || failed(type.getStridesAndOffset(strides, offset)) ||
      ShapedType::isDynamic(offset) || llvm::any_of(strides, ShapedType::isDynamic))
    return user->emitError() << "kernel argument of type " << type
                             << " has a dynamic shape or layout; compiled models need "
                                "static ones";
  Slot pointer;
  pointer.kind = Slot::Pointer;
  pointer.root = it->second;
  launch.slots.push_back(pointer); // allocated
  launch.slots.push_back(pointer); // aligned
  auto integer = [&](int64_t v) {
    Slot slot;
    slot.kind = Slot::Bits;
    slot.bits = uint64_t(v);
    slot.field = "i64";
    launch.slots.push_back(slot);
  };
  integer(offset);
  for (int64_t size : type.getShape())
    integer(size);
  for (int64_t stride : strides)
    integer(stride);
  return success();
}

LogicalResult ArtifactWriter::appendScalar(Value value, Launch &launch, Operation *user) {
  Type type = value.getType();
  Attribute attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return user->emitError() << "kernel argument of type " << type
                             << " is not a constant; compiled models compute nothing on "
                                "the host";
  Slot slot;
  slot.kind = Slot::Bits;
  if (auto f = dyn_cast<FloatAttr>(attr)) {
    slot.bits = f.getValue().bitcastToAPInt().getZExtValue();
    slot.bytes = (f.getType().getIntOrFloatBitWidth() + 7) / 8;
  } else if (auto i = dyn_cast<IntegerAttr>(attr)) {
    unsigned width = type.isIndex() ? 64 : type.getIntOrFloatBitWidth();
    slot.bits = i.getValue().zextOrTrunc(64).getZExtValue() &
                (width >= 64 ? ~uint64_t(0) : ((uint64_t(1) << width) - 1));
    slot.bytes = (width + 7) / 8;
  } else {
    return user->emitError() << "kernel argument " << attr << " is not an int or float";
  }
  slot.field = slot.bytes == 8 ? "u64" : slot.bytes == 4 ? "u32" : slot.bytes == 2 ? "u16" : "u8";
  launch.slots.push_back(slot);
  return success();
}

LogicalResult ArtifactWriter::visitLaunch(gpu::LaunchFuncOp op, int64_t index) {
  if (!op.getAsyncDependencies().empty() || op.getAsyncToken())
    return op.emitError() << "asynchronous launches are not supported by compiled models";
  if (op.hasClusterSize())
    return op.emitError() << "cluster launches are not supported by compiled models";
  Launch launch;
  launch.binary = op.getKernelModuleName().getValue().str();
  launch.kernel = op.getKernelName().getValue().str();
  launch.loc = locString(op.getLoc());
  launch.op = op;
  gpu::KernelDim3 grid = op.getGridSizeOperandValues();
  gpu::KernelDim3 block = op.getBlockSizeOperandValues();
  Value dims[] = {grid.x, grid.y, grid.z, block.x, block.y, block.z};
  for (auto [i, v] : llvm::enumerate(dims)) {
    APInt value;
    if (!matchPattern(v, m_ConstantInt(&value)) || value.getSExtValue() < 1)
      return op.emitError() << "launch " << (i < 3 ? "grid" : "block")
                            << " size is not a positive constant";
    (i < 3 ? launch.grid[i] : launch.block[i - 3]) = value.getSExtValue();
  }
  launch.shared = 0;
  if (Value shared = op.getDynamicSharedMemorySize()) {
    APInt value;
    if (!matchPattern(shared, m_ConstantInt(&value)))
      return op.emitError() << "dynamic shared memory size is not a constant";
    launch.shared = value.getSExtValue();
  }
  for (Value operand : op.getKernelOperands()) {
    if (isa<MemRefType>(operand.getType())) {
      if (failed(appendMemRef(operand, launch, op)))
        return failure();
      use(operand, index);
    } else if (operand.getType().isIntOrIndexOrFloat()) {
      if (failed(appendScalar(operand, launch, op)))
        return failure();
    } else {
      return op.emitError() << "kernel argument of type " << operand.getType()
                            << " is not supported by compiled models";
    }
  }
  auto key = std::make_pair(launch.binary, launch.kernel);
  auto found = llvm::find(kernels, key);
  launch.kernelIndex = found - kernels.begin();
  if (found == kernels.end())
    kernels.push_back(key);
  launches.push_back(std::move(launch));
  return success();
}

LogicalResult ArtifactWriter::visitReturn(func::ReturnOp op, int64_t index) {
  for (auto [i, value] : llvm::enumerate(op.getOperands())) {
    auto it = roots.find(value);
    if (it == roots.end())
      return op.emitError() << "result #" << i << " is not an input, a weight or a buffer";
    auto type = cast<MemRefType>(value.getType());
    int64_t bytes = type.getNumElements() * *elementBytes(type.getElementType());
    Root root = it->second;
    // A whole buffer, returned once: the kernels write the caller's output.
    if (root.kind == Root::Buffer && type.getLayout().isIdentity() &&
        buffers[root.id].output < 0 && buffers[root.id].bytes == bytes) {
      buffers[root.id].output = int(i);
      continue;
    }
    SmallVector<int64_t> strides;
    int64_t offset;
    if (!memref::isStaticShapeAndContiguousRowMajor(type) ||
        failed(type.getStridesAndOffset(strides, offset)))
      return op.emitError() << "result #" << i << " of type " << type
                            << " is not contiguous; compiled models return dense tensors";
    copies.push_back(OutputCopy{int(i), root,
                                offset * *elementBytes(type.getElementType()), bytes});
    use(value, index);
  }
  return success();
}

LogicalResult ArtifactWriter::planHost() {
  int64_t index = 0;
  for (Operation &op : entry.getBody().front()) {
    ++index;
    LogicalResult result = success();
    if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
      result = addWeight(get);
    } else if (isa<memref::AllocOp, memref::AllocaOp>(op)) {
      auto type = cast<MemRefType>(op.getResult(0).getType());
      std::optional<int64_t> element = elementBytes(type.getElementType());
      if (!type.hasStaticShape() || !type.getLayout().isIdentity() || !element ||
          op.getNumOperands() != 0)
        return op.emitError() << "buffer of type " << type
                              << ": compiled models need static shapes and identity layouts";
      roots[op.getResult(0)] = Root{Root::Buffer, int64_t(buffers.size())};
      buffers.push_back(
          BufferInfo{std::max<int64_t>(type.getNumElements() * *element, 1), index, index, -1,
                     -1, op.getLoc()});
    } else if (isa<memref::ExpandShapeOp, memref::CollapseShapeOp, memref::SubViewOp,
                   memref::CastOp, memref::ReinterpretCastOp>(op)) {
      Value source = op.getOperand(0);
      auto it = roots.find(source);
      if (it == roots.end())
        return op.emitError() << "view of a value that is not an input, a weight or a buffer";
      roots[op.getResult(0)] = it->second;
      use(source, index);
    } else if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
      result = visitLaunch(launch, index);
    } else if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      result = visitReturn(ret, index);
    } else if (isa<memref::DeallocOp>(op)) {
      // Lifetimes come from uses; the arena is freed with the instance.
    } else if (isa<arith::ConstantOp>(op) ||
               (op.getDialect() && isa<arith::ArithDialect>(op.getDialect()) &&
                llvm::all_of(op.getResultTypes(), [](Type t) { return t.isIndex(); }))) {
      // Scalars: read as constants where a launch uses them.
    } else if (op.use_empty() && isa<memref::DimOp, memref::ExtractStridedMetadataOp>(op)) {
      // Dead metadata queries.
    } else {
      return op.emitError() << "'" << op.getName()
                            << "' cannot run in a compiled model's host code (only buffers, "
                               "views and kernel launches); was the module lowered with "
                               "mp-lower-to-ptx?";
    }
    if (failed(result))
      return failure();
  }
  return success();
}

LogicalResult ArtifactWriter::checkParameters() {
  // The PTX of every launched kernel, from its binary's assembly object.
  llvm::StringMap<StringRef> ptxOf;
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    for (Attribute attr : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attr);
      if (object && object.getFormat() == gpu::CompilationTarget::Assembly)
        ptxOf[binary.getName()] = object.getObject().getValue();
    }
  }
  parametersChecked = true;
  for (const Launch &launch : launches) {
    auto it = ptxOf.find(launch.binary);
    if (it == ptxOf.end()) {
      parametersChecked = false; // cubin only: nothing to read the parameters from
      continue;
    }
    std::optional<SmallVector<unsigned>> sizes = ptxParameterSizes(it->second, launch.kernel);
    if (!sizes)
      return launch.op->emitError() << "kernel '" << launch.kernel
                                    << "' is not an entry of the PTX of '" << launch.binary
                                    << "'";
    bool same = sizes->size() == launch.slots.size();
    for (size_t i = 0; same && i < sizes->size(); ++i)
      same = (*sizes)[i] == launch.slots[i].bytes;
    if (!same) {
      std::string expected, got;
      llvm::raw_string_ostream e(expected), g(got);
      llvm::interleaveComma(*sizes, e);
      llvm::interleaveComma(launch.slots, g, [&](const Slot &s) { g << s.bytes; });
      return launch.op->emitError() << "kernel '" << launch.binary << "::" << launch.kernel
                                    << "' takes parameters of sizes [" << expected
                                    << "] in its PTX; this launch passes [" << got << "]";
    }
  }
  return success();
}

void ArtifactWriter::planArena() {
  SmallVector<BufferInfo *> placed;
  for (BufferInfo &buffer : buffers) {
    if (buffer.output >= 0)
      continue;
    if (buffer.last == buffer.first) { // never used: no memory
      buffer.offset = 0;
      continue;
    }
    int64_t size = alignUp(buffer.bytes);
    unsharedBytes += size;
    SmallVector<std::pair<int64_t, int64_t>> busy;
    for (BufferInfo *other : placed)
      if (!(other->last < buffer.first || buffer.last < other->first))
        busy.push_back({other->offset, other->offset + alignUp(other->bytes)});
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + size <= begin)
        break;
      offset = std::max(offset, end);
    }
    buffer.offset = offset;
    arenaBytes = std::max(arenaBytes, offset + size);
    placed.push_back(&buffer);
  }
}

std::string ArtifactWriter::rootExpression(const Root &root) const {
  switch (root.kind) {
  case Root::Input:
    return llvm::formatv("inputs[{0}]", root.id).str();
  case Root::Weight:
    return llvm::formatv("m->weights + {0}u", root.id).str();
  case Root::Buffer: {
    const BufferInfo &buffer = buffers[root.id];
    if (buffer.output >= 0)
      return llvm::formatv("outputs[{0}]", buffer.output).str();
    return llvm::formatv("m->arena + {0}u", buffer.offset).str();
  }
  }
  llvm_unreachable("root kind");
}

std::string cString(StringRef text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string cComment(StringRef text) {
  std::string out = text.str();
  for (size_t at; (at = out.find("*/")) != std::string::npos;)
    out.replace(at, 2, "* /");
  return out;
}

std::string ArtifactWriter::emitC() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Generated by mp-compile: the host side of @" << entry.getSymName()
     << " against the mp runtime's C API (mp/Runtime/Model.h). Do not edit.\n"
     << "   " << launches.size() << " launches of " << kernels.size() << " kernels, "
     << weights.size() << " weights (" << weightBytes.size() << " bytes), an arena of "
     << arenaBytes << " bytes for " << buffers.size() << " buffers. */\n"
     << "#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n"
     << "#include \"mp/Runtime/Model.h\"\n\n"
     << "typedef union mpArg {\n  uint64_t u64;\n  int64_t i64;\n  uint32_t u32;\n"
     << "  uint16_t u16;\n  uint8_t u8;\n} mpArg;\n\n";
  os << "#define NUM_MODULES " << moduleStems.size() << "\n#define NUM_KERNELS "
     << kernels.size() << "\n#define WEIGHT_BYTES " << weightBytes.size()
     << "u\n#define ARENA_BYTES " << arenaBytes << "u\n\n";
  os << "static const char *const moduleStems[NUM_MODULES + 1] = {";
  for (const std::string &stem : moduleStems)
    os << cString(stem) << ", ";
  os << "0};\nstatic const int kernelModules[NUM_KERNELS + 1] = {";
  for (auto &[binary, kernel] : kernels)
    os << moduleIndex.lookup(binary) << ", ";
  os << "0};\nstatic const char *const kernelNames[NUM_KERNELS + 1] = {";
  for (auto &[binary, kernel] : kernels)
    os << cString(kernel) << ", ";
  os << "0};\n";
  auto sizes = [&](const char *name, ArrayRef<MemRefType> types) {
    os << "static const size_t " << name << "[" << types.size() + 1 << "] = {";
    for (MemRefType type : types)
      os << type.getNumElements() * *elementBytes(type.getElementType()) << "u, ";
    os << "0};\n";
  };
  sizes("inputBytes", inputs);
  sizes("outputBytes", outputs);
  auto describe = [&](const char *kind, ArrayRef<MemRefType> types) {
    os << "static const char *const " << kind << "Dtypes[" << types.size() + 1 << "] = {";
    for (MemRefType type : types)
      os << cString(typeString(type.getElementType())) << ", ";
    os << "0};\nstatic const int " << kind << "Ranks[" << types.size() + 1 << "] = {";
    for (MemRefType type : types)
      os << type.getRank() << ", ";
    os << "0};\nstatic const int64_t " << kind << "Shapes[" << types.size() + 1 << "][8] = {";
    for (MemRefType type : types) {
      os << "{";
      for (int64_t d : type.getShape())
        os << d << ", ";
      os << (type.getRank() == 0 ? "0}, " : "}, ");
    }
    os << "{0}};\n";
  };
  describe("input", inputs);
  describe("output", outputs);
  os << R"C(
struct mpModelInstance {
  mpcuContext *context;
  mpcuModule *modules[NUM_MODULES + 1];
  mpcuKernel kernels[NUM_KERNELS + 1];
  mpcuDevicePtr weights, arena;
};

int mp_model_abi_version(void) { return MP_MODEL_ABI_VERSION; }
)C";
  os << "int mp_model_num_inputs(void) { return " << inputs.size() << "; }\n"
     << "int mp_model_num_outputs(void) { return " << outputs.size() << "; }\n";
  os << "size_t mp_model_input_bytes(int i) { return i >= 0 && i < " << inputs.size()
     << " ? inputBytes[i] : 0; }\n"
     << "size_t mp_model_output_bytes(int i) { return i >= 0 && i < " << outputs.size()
     << " ? outputBytes[i] : 0; }\n"
     << "size_t mp_model_device_bytes(void) { return WEIGHT_BYTES + ARENA_BYTES; }\n";
  for (auto [kind, count] : {std::make_pair("input", inputs.size()),
                             std::make_pair("output", outputs.size())}) {
    os << "const char *mp_model_" << kind << "_dtype(int i) { return i >= 0 && i < " << count
       << " ? " << kind << "Dtypes[i] : NULL; }\n"
       << "int mp_model_" << kind << "_shape(int i, int64_t *sizes, int maxRank) {\n"
       << "  if (i < 0 || i >= " << count << ")\n    return -1;\n"
       << "  for (int d = 0; d < " << kind << "Ranks[i] && d < maxRank && d < 8; ++d)\n"
       << "    sizes[d] = " << kind << "Shapes[i][d];\n"
       << "  return " << kind << "Ranks[i];\n}\n";
  }
  os << R"C(
/* Prefixes the runtime's message for the failing step and returns `status`. */
static mpcuStatus failed(mpcuStatus status, const char *what) {
  char message[8192];
  snprintf(message, sizeof(message), "%s: %s", what, mpcuLastError());
  return mpcuSetError(status, message);
}

void mp_model_destroy(mpModelInstance *m) {
  if (!m)
    return;
  mpcuFree(m->context, m->arena);
  mpcuFree(m->context, m->weights);
  for (int i = 0; i < NUM_MODULES; ++i)
    mpcuModuleUnload(m->modules[i]);
  free(m);
}

/* A cubin for the artifact's chip when it loads on this device; the PTX
   (JIT-compiled by the driver) otherwise. */
static mpcuStatus loadModule(mpcuContext *context, const char *dir, const char *stem,
                             mpcuModule **module) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s.cubin", dir, stem);
  FILE *file = fopen(path, "rb");
  if (file) {
    fclose(file);
    if (mpcuModuleLoadFile(context, path, module) == MPCU_OK)
      return MPCU_OK;
  }
  snprintf(path, sizeof(path), "%s/%s.ptx", dir, stem);
  return mpcuModuleLoadFile(context, path, module);
}

mpcuStatus mp_model_create(mpcuContext *context, const char *dir, mpModelInstance **out) {
  mpcuStatus status = MPCU_OK;
  char what[4200];
  if (!context || !dir || !out)
    return mpcuSetError(MPCU_INVALID_ARGUMENT, "mp_model_create: null argument");
  *out = NULL;
  mpModelInstance *m = (mpModelInstance *)calloc(1, sizeof(mpModelInstance));
  if (!m)
    return mpcuSetError(MPCU_INVALID_ARGUMENT, "mp_model_create: out of host memory");
  m->context = context;
  for (int i = 0; i < NUM_MODULES && !status; ++i) {
    snprintf(what, sizeof(what), "loading kernels '%s'", moduleStems[i]);
    if ((status = loadModule(context, dir, moduleStems[i], &m->modules[i])))
      status = failed(status, what);
  }
  for (int i = 0; i < NUM_KERNELS && !status; ++i)
    if ((status = mpcuModuleGetKernel(m->modules[kernelModules[i]], kernelNames[i],
                                      &m->kernels[i])))
      status = failed(status, "looking up a kernel");
  if (!status && WEIGHT_BYTES) {
    snprintf(what, sizeof(what), "%s/weights.bin", dir);
    if ((status = mpcuMalloc(context, WEIGHT_BYTES, &m->weights)) ||
        (status = mpcuCopyFileToDevice(context, m->weights, what, WEIGHT_BYTES)))
      status = failed(status, "uploading the weights");
  }
  if (!status && ARENA_BYTES && (status = mpcuMalloc(context, ARENA_BYTES, &m->arena)))
    status = failed(status, "allocating the buffer arena");
  if (status) {
    char message[8192];
    snprintf(message, sizeof(message), "%s", mpcuLastError());
    mp_model_destroy(m);
    return mpcuSetError(status, message);
  }
  *out = m;
  return MPCU_OK;
}

)C";
  os << "mpcuStatus mp_model_run(mpModelInstance *m, mpcuStream *stream,\n"
     << "                        const mpcuDevicePtr *inputs, const mpcuDevicePtr *outputs) {\n"
     << "  mpcuStatus status;\n  mpArg v[" << [&] {
          size_t most = 1;
          for (const Launch &l : launches)
            most = std::max(most, l.slots.size());
          return most;
        }()
     << "];\n  void *p[sizeof(v) / sizeof(v[0])];\n"
     << "  if (!m || (!inputs && " << inputs.size() << ") || (!outputs && " << outputs.size()
     << "))\n    return mpcuSetError(MPCU_INVALID_ARGUMENT, \"mp_model_run: null argument\");\n"
     << "  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); ++i)\n    p[i] = &v[i];\n"
     << "  (void)inputs;\n  (void)outputs;\n";
  for (auto [index, launch] : llvm::enumerate(launches)) {
    os << "\n  /* " << index << ": " << launch.binary << "::" << launch.kernel << " at "
       << cComment(launch.loc) << " */\n  {\n"
       << "    static const unsigned grid[3] = {" << launch.grid[0] << ", " << launch.grid[1]
       << ", " << launch.grid[2] << "}, block[3] = {" << launch.block[0] << ", "
       << launch.block[1] << ", " << launch.block[2] << "};\n";
    for (auto [i, slot] : llvm::enumerate(launch.slots)) {
      os << "    v[" << i << "]." << slot.field << " = ";
      if (slot.kind == Slot::Pointer)
        os << rootExpression(slot.root) << ";\n";
      else if (StringRef(slot.field) == "i64")
        os << "INT64_C(" << int64_t(slot.bits) << ");\n";
      else
        os << "UINT64_C(" << slot.bits << ");\n";
    }
    os << "    if ((status = mpcuLaunch(m->context, m->kernels[" << launch.kernelIndex
       << "], grid, block, " << launch.shared << "u, stream, p)))\n"
       << "      return failed(status, " << cString("launch " + std::to_string(index) + " (" +
                                                  launch.binary + "::" + launch.kernel + ")")
       << ");\n  }\n";
  }
  for (const OutputCopy &copy : copies)
    os << "  if ((status = mpcuCopyDeviceToDevice(m->context, outputs[" << copy.output << "], "
       << rootExpression(copy.root) << " + " << copy.byteOffset << "u, " << copy.bytes
       << "u)))\n    return failed(status, \"copying output " << copy.output << "\");\n";
  os << "  return MPCU_OK;\n}\n";
  return text;
}

llvm::json::Value tensorJson(std::string name, MemRefType type) {
  llvm::json::Array shape;
  for (int64_t d : type.getShape())
    shape.push_back(d);
  return llvm::json::Object{
      {"name", std::move(name)},
      {"shape", std::move(shape)},
      {"dtype", typeString(type.getElementType())},
      {"bytes", type.getNumElements() * *elementBytes(type.getElementType())}};
}

llvm::json::Value ArtifactWriter::manifest() const {
  llvm::json::Array ins, outs, binaries, launchList, bufferList, weightList;
  for (auto [i, type] : llvm::enumerate(inputs))
    ins.push_back(tensorJson("arg" + std::to_string(i), type));
  for (auto [i, type] : llvm::enumerate(outputs))
    outs.push_back(tensorJson("result" + std::to_string(i), type));
  for (const std::string &stem : moduleStems)
    binaries.push_back(stem);
  for (const Launch &l : launches)
    launchList.push_back(llvm::json::Object{
        {"binary", l.binary},
        {"kernel", l.kernel},
        {"grid", llvm::json::Array{l.grid[0], l.grid[1], l.grid[2]}},
        {"block", llvm::json::Array{l.block[0], l.block[1], l.block[2]}},
        {"dynamic_shared_memory", l.shared},
        {"parameters", int64_t(l.slots.size())},
        {"loc", l.loc}});
  for (const BufferInfo &b : buffers) {
    llvm::json::Object entry{{"bytes", b.bytes},
                             {"live", llvm::json::Array{b.first, b.last}},
                             {"loc", locString(b.loc)}};
    if (b.output >= 0)
      entry["output"] = b.output;
    else if (b.last == b.first)
      entry["unused"] = true;
    else
      entry["offset"] = b.offset;
    bufferList.push_back(std::move(entry));
  }
  for (const WeightInfo &w : weights) {
    llvm::json::Object entry = *tensorJson(w.name, w.type).getAsObject();
    entry["offset"] = w.offset;
    weightList.push_back(std::move(entry));
  }
  llvm::json::Object compile = llvm::json::Object(options.compile);
  return llvm::json::Object{
      {"format", "mp-artifact"},
      {"abi_version", 1},
      {"mlir_version", LLVM_VERSION_STRING},
      {"entry", entry.getSymName()},
      {"compile", std::move(compile)},
      {"inputs", std::move(ins)},
      {"outputs", std::move(outs)},
      {"library", "libmodel.so"},
      {"source", "model.c"},
      {"kernels",
       llvm::json::Object{{"modules", std::move(binaries)},
                          {"distinct_kernels", int64_t(kernels.size())},
                          {"parameters_checked_against_ptx", parametersChecked},
                          {"launches", std::move(launchList)}}},
      {"buffer_plan", llvm::json::Object{{"arena_bytes", arenaBytes},
                                         {"unshared_bytes", unsharedBytes},
                                         {"alignment", kAlignment},
                                         {"buffers", std::move(bufferList)}}},
      {"weights", llvm::json::Object{{"file", "weights.bin"},
                                     {"bytes", int64_t(weightBytes.size())},
                                     {"tensors", std::move(weightList)}}}};
}

LogicalResult writeFile(Operation *anchor, StringRef path, StringRef data) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (!ec) {
    os << data;
    os.close();
    ec = os.error();
  }
  if (ec)
    return anchor->emitError() << "cannot write '" << path << "': " << ec.message();
  return success();
}

LogicalResult ArtifactWriter::writeFiles() {
  StringRef dir = options.dir;
  auto path = [&](const Twine &name) {
    SmallString<256> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };
  if (std::error_code ec = llvm::sys::fs::create_directories(path("include/mp/Runtime")))
    return module.emitError() << "cannot create '" << dir << "': " << ec.message();
  // The kernels of every binary we launch from.
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    if (!moduleIndex.count(binary.getName()))
      continue;
    for (Attribute attr : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attr);
      if (!object)
        continue;
      if (object.getFormat() != gpu::CompilationTarget::Assembly &&
          object.getFormat() != gpu::CompilationTarget::Binary)
        return binary.emitError() << "kernels in format '"
                                  << stringifyCompilationTarget(object.getFormat())
                                  << "' cannot be loaded by the runtime; use ptx or cubin";
      if (failed(writeFile(binary, path(mp::getKernelFileName(binary.getName(), object)),
                           object.getObject().getValue())))
        return failure();
    }
  }
  if (failed(writeFile(module, path("weights.bin"),
                       StringRef(weightBytes.data(), weightBytes.size()))) ||
      failed(writeFile(module, path("model.c"), emitC())) ||
      failed(writeFile(module, path("include/mp/Runtime/Cuda.h"), mp::kRuntimeCudaHeader)) ||
      failed(writeFile(module, path("include/mp/Runtime/Model.h"), mp::kRuntimeModelHeader)))
    return failure();
  return writeFile(module, path("manifest.json"),
                   llvm::formatv("{0:2}", manifest()).str() + "\n");
}

LogicalResult ArtifactWriter::run() {
  if (failed(findEntry()) || failed(planHost()))
    return failure();
  // Kernel files are named <binary>.<chip>; one chip per artifact.
  for (auto &[binary, kernel] : kernels) {
    if (moduleIndex.count(binary))
      continue;
    auto op = module.lookupSymbol<gpu::BinaryOp>(binary);
    if (!op)
      return entry.emitError() << "no gpu.binary @" << binary
                               << " (kernels must be serialized: run mp-lower-to-ptx)";
    std::string chip;
    for (Attribute attr : op.getObjects())
      if (auto object = dyn_cast<gpu::ObjectAttr>(attr);
          object && isa<NVVM::NVVMTargetAttr>(object.getTarget()))
        chip = mp::getObjectChip(object);
    if (chip.empty())
      return op.emitError() << "no NVVM object in gpu.binary @" << binary;
    moduleIndex[binary] = moduleStems.size();
    moduleStems.push_back(binary + "." + chip);
  }
  if (failed(checkParameters()))
    return failure();
  planArena();
  return writeFiles();
}

} // namespace

LogicalResult mp::writeArtifact(ModuleOp module, const ArtifactOptions &options) {
  return ArtifactWriter(module, options).run();
}

LogicalResult mp::compileArtifactLibrary(StringRef dir, StringRef cc, StringRef runtimeLibDir,
                                         std::string &log) {
  llvm::ErrorOr<std::string> compiler = llvm::sys::findProgramByName(cc);
  if (!compiler) {
    log = ("no C compiler '" + cc + "' found (set CC, or pass --no-library)").str();
    return failure();
  }
  auto path = [&](StringRef name) {
    SmallString<256> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };
  std::string include = "-I" + path("include");
  std::vector<std::string> args = {*compiler, "-std=c99", "-O2", "-fPIC", "-shared",
                                   "-Wall", include, path("model.c"), "-o", path("libmodel.so")};
  if (!runtimeLibDir.empty()) {
    args.push_back(("-L" + runtimeLibDir).str());
    args.push_back("-lmpRuntimeCuda");
    // On the GPU machine the runtime library sits beside the artifact, in
    // ../lib of it, or is already loaded by the program (mp-run).
    args.push_back("-Wl,-rpath,$ORIGIN:$ORIGIN/../lib");
  }
  llvm::raw_string_ostream os(log);
  for (const std::string &arg : args)
    os << arg << " ";
  os << "\n";
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  SmallString<128> output;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("mp-compile-cc", "log", output)) {
    os << "cannot create a temporary file: " << ec.message();
    return failure();
  }
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(output), StringRef(output)};
  // The compiler runs without a preloaded sanitizer runtime (sanitizer
  // builds of mp preload one; the C compiler is not instrumented).
  std::vector<std::string> environment;
  for (char **entry = environ; *entry; ++entry)
    if (!StringRef(*entry).starts_with("LD_PRELOAD="))
      environment.push_back(*entry);
  SmallVector<StringRef> envRefs(environment.begin(), environment.end());
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(*compiler, argRefs, ArrayRef<StringRef>(envRefs), redirects,
                                     0, 0, &error);
  if (auto buffer = llvm::MemoryBuffer::getFile(output))
    os << (*buffer)->getBuffer();
  llvm::sys::fs::remove(output);
  if (rc != 0) {
    os << (error.empty() ? "" : error + "\n") << "the C compiler exited with " << rc;
    return failure();
  }
  return success();
}

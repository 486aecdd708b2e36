//===- mp-run.cpp - run model IR on the CPU and measure its error ----------===//
//
//   mp-run MODEL.mlir --entry NAME [--input a.npy ...] [--pipeline "..."]
//          [--compare-f32] [--output-dir DIR] [--json FILE] [--seed N]
//          [--calibrate FILE.json] [--timing] [--repeat N] [--fail-on-nonfinite]
//   mp-run --device=cuda (MODEL.mlir [--pipeline "..."] | ARTIFACT_DIR) [--input ...]
//          [--repeat N] [--json FILE] [--cuda-driver PATH] [--chip sm_90a]
//
// With --device=cuda the model is compiled with mp-compile (or an artifact
// written by it is taken as is), run on the GPU through the runtime, and
// compared with the same mixed-precision IR run on the CPU; GPU times are the
// median of --repeat runs measured with CUDA events.
//
// Runs NAME as written (the f32 reference) and, with --pipeline, after the
// given pass pipeline (the candidate), both JIT-compiled in-process for the
// CPU with exact low-precision rounding; reports per-output error metrics.
//
// Exit codes: 0 success, 1 bad usage or input, 2 IR that does not compile,
// 3 a run that trapped, 4 (with --fail-on-nonfinite) an output with inf or
// NaN the reference does not have; with --device=cuda: 5 no mp target for the
// device, 6 a failing GPU run or compilation for it, 7 GPU outputs that
// disagree with the CPU (--min-cosine, new inf/NaN), 10 no CUDA driver and 11
// no such device (the runtime's status codes, as mp-device-info).
//
//===----------------------------------------------------------------------===//

#include "CudaRun.h"
#include "Runner.h"

#include "mp/Analysis/Calibration.h"
#include "mp/InitMP.h"
#include "mp/Runtime/Cuda.h"
#include "mp/Runtime/Metrics.h"
#include "mp/Runtime/Model.h"
#include "mp/Runtime/Npy.h"
#include "mp/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/EndianStream.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <random>
#include <thread>
#include <unistd.h>

using namespace mlir;
using namespace mp;
namespace cl = llvm::cl;
namespace rt = mp::runtime;

static cl::OptionCategory category("mp-run options");
static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string> entryName("entry", cl::desc("Function to run (default: the only public function)"),
                                      cl::cat(category));
static cl::list<std::string> inputPaths("input", cl::desc("Input .npy, one per argument, in order"),
                                        cl::cat(category));
static cl::opt<std::string> pipelineText("pipeline",
    cl::desc("Pass pipeline applied before CPU lowering, e.g. "
             "\"builtin.module(mp-mixed-precision{policy=bf16})\""),
    cl::cat(category));
static cl::opt<bool> compareF32("compare-f32",
    cl::desc("Also run the unmodified IR and report the candidate's error"),
    cl::cat(category));
static cl::opt<std::string> outputDir("output-dir", cl::desc("Write outputs as .npy here"),
                                      cl::cat(category));
static cl::opt<std::string> jsonPath("json", cl::desc("Write the report as JSON"),
                                     cl::cat(category));
static cl::opt<uint64_t> seed("seed", cl::desc("Seed of generated inputs"), cl::init(0),
                              cl::cat(category));
static cl::opt<std::string> calibratePath("calibrate",
    cl::desc("Record range statistics of every tensor value of the reference run"),
    cl::cat(category));
static cl::opt<bool> calibrateGram(
    "calibrate-gram",
    cl::desc("With --calibrate: also record each value's second-moment matrix over its last "
             "dimension (E[x x^T], K x K raw little-endian float64 files in <calibration>.gram/, for "
             "mp-insert-scaling{gptq}); last dimensions up to 4096"),
    cl::cat(category));
static cl::opt<bool> timing("timing", cl::desc("Print phase timings"), cl::cat(category));
static cl::opt<bool> vectorize("vectorize",
    cl::desc("Tile and vectorize contractions (mp-cpu-lowering{vectorize}); "
             "both runs use the same code, FMAs included"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> threads("parallel-loops",
    cl::desc("Run large parallel loops on all cores (mp-cpu-lowering{threads}); "
             "results are bit-identical to one thread"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> concurrentCompile("concurrent-compile",
    cl::desc("With a reference run (--compare-f32, --calibrate): compile the "
             "reference on a second thread while the candidate compiles"),
    cl::init(true), cl::cat(category));
static cl::opt<unsigned> repeat("repeat", cl::desc("Run this many times; report the median time"),
                                cl::init(1), cl::cat(category));
static cl::opt<bool> failOnNonFinite("fail-on-nonfinite",
    cl::desc("Exit with status 4 when an output has inf or NaN values the reference "
             "does not have (any inf or NaN when there is no reference run)"),
    cl::cat(category));
static cl::opt<std::string> device("device",
    cl::desc("Where to run: cpu (JIT, exact rounding) or cuda (mp-compile and the runtime, "
             "checked against the CPU)"),
    cl::init("cpu"), cl::cat(category));
static cl::opt<std::string> cudaDriver("cuda-driver",
    cl::desc("The CUDA driver library to load (default: $MP_CUDA_DRIVER, else libcuda.so.1)"),
    cl::cat(category));
static cl::opt<int> deviceOrdinal("device-ordinal", cl::desc("CUDA device to run on"),
                                  cl::init(0), cl::cat(category));
static cl::opt<std::string> gpuChip("chip",
    cl::desc("--device=cuda: chip to compile for (default: the device's, sm_90a for 9.0)"),
    cl::cat(category));
static cl::opt<double> minCosine("min-cosine",
    cl::desc("--device=cuda: exit 7 when an output's cosine with the CPU is below this"),
    cl::init(0.999), cl::cat(category));
static cl::opt<std::string> artifactDir("artifact-dir",
    cl::desc("--device=cuda: keep the compiled artifact here"), cl::cat(category));

namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int fail(const llvm::Twine &message, int code = 1) {
  llvm::errs() << "mp-run: error: " << message << "\n";
  return code;
}

/// Inputs as doubles (exact for every supported type) with their shapes.
struct SourceTensor {
  std::vector<int64_t> shape;
  std::vector<double> values;
};

/// Reads or generates one input for `type`. Generated floats are N(0, 1),
/// integers uniform in [0, 8), from a generator seeded with --seed.
llvm::Expected<SourceTensor> makeInput(RankedTensorType type, unsigned index,
                                       std::mt19937_64 &rng) {
  auto error = [&](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "argument #" + llvm::Twine(index) + ": " + message);
  };
  SourceTensor source;
  Type element = type.getElementType();
  if (index >= inputPaths.size()) {
    if (!type.hasStaticShape())
      return error("has dynamic shape " + llvm::Twine(llvm::formatv("{0}", type).str()) +
                   "; give its value with --input");
    source.shape.assign(type.getShape().begin(), type.getShape().end());
    source.values.resize(type.getNumElements());
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_int_distribution<int> uniform(0, 7);
    for (double &v : source.values)
      v = isa<FloatType>(element) ? double(float(normal(rng))) : double(uniform(rng));
    return source;
  }
  auto array = std::make_unique<rt::NpyArray>();
  if (rt::Status status = rt::readNpy(inputPaths[index], *array); !status)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), status.message());
  if ((int64_t)array->shape.size() != type.getRank())
    return error("'" + inputPaths[index] + "' has rank " + llvm::Twine(array->shape.size()) +
                 ", the argument needs rank " + llvm::Twine(type.getRank()));
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (!type.isDynamicDim(d) && type.getDimSize(d) != array->shape[d])
      return error("'" + inputPaths[index] + "' has size " + llvm::Twine(array->shape[d]) +
                   " in dimension " + llvm::Twine(d) + ", the argument needs " +
                   llvm::Twine(type.getDimSize(d)));
  bool floatArray = array->dtype[0] == 'f';
  bool bf16Bits = array->dtype == "u2";
  if (isa<FloatType>(element) != (floatArray || bf16Bits) || (bf16Bits && !element.isBF16()))
    return error("'" + inputPaths[index] + "' has dtype " + array->dtype +
                 ", which does not fit element type " +
                 llvm::formatv("{0}", element).str() +
                 " (floats take f8/f4/f2 arrays, bf16 also u2 bit patterns; "
                 "integers take integer arrays)");
  source.shape = array->shape;
  source.values.resize(*array->numElements());
  Type arrayType;
  MLIRContext *ctx = type.getContext();
  if (bf16Bits) arrayType = BFloat16Type::get(ctx);
  else if (array->dtype == "f8") arrayType = Float64Type::get(ctx);
  else if (array->dtype == "f4") arrayType = Float32Type::get(ctx);
  else if (array->dtype == "f2") arrayType = Float16Type::get(ctx);
  else arrayType = IntegerType::get(ctx, array->elementSize() * 8);
  HostTensor raw;
  raw.elementType = arrayType;
  raw.shape = array->shape;
  raw.bytes = std::move(array->data);
  source.values = raw.toDoubles();
  return source;
}

HostTensor toHost(const SourceTensor &source, Type elementType) {
  HostTensor t = HostTensor::zeros(elementType, source.shape);
  for (size_t i = 0; i < source.values.size(); ++i)
    t.set(i, source.values[i]);
  return t;
}

/// Writes an output as .npy: f64 stays f64, other floats become f32
/// (exactly), integers keep their width (i4 and i1 as i1 bytes).
llvm::Error writeOutput(StringRef path, const HostTensor &tensor) {
  rt::NpyArray array;
  array.shape = tensor.shape;
  Type type = tensor.elementType;
  HostTensor converted;
  if (type.isF64() || type.isF32()) {
    array.dtype = type.isF64() ? "f8" : "f4";
    array.data = tensor.bytes;
  } else if (isa<FloatType>(type)) {
    converted = HostTensor::zeros(Float32Type::get(type.getContext()), tensor.shape);
    for (int64_t i = 0; i < tensor.numElements(); ++i)
      converted.set(i, tensor.get(i));
    array.dtype = "f4";
    array.data = std::move(converted.bytes);
  } else {
    array.dtype = "i" + std::to_string(tensor.elementSize());
    array.data = tensor.bytes;
  }
  if (rt::Status status = rt::writeNpy(path.str(), array); !status)
    return llvm::createStringError(llvm::inconvertibleErrorCode(), status.message());
  return llvm::Error::success();
}

/// JSON cannot hold inf or NaN: those are written as strings.
llvm::json::Value jsonNumber(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  return value;
}

llvm::json::Object metricsToJSON(const rt::ErrorMetrics &m) {
  return llvm::json::Object{
      {"elements", m.count},
      {"max_abs_error", jsonNumber(m.maxAbsError)},
      {"max_rel_error", jsonNumber(m.maxRelError)},
      {"mean_rel_error", jsonNumber(m.meanRelError)},
      {"rel_error_floor", m.relativeFloor},
      {"cosine_similarity", jsonNumber(m.cosineSimilarity)},
      {"max_ulp_error", jsonNumber(m.maxUlpError)},
      {"mean_ulp_error", jsonNumber(m.meanUlpError)},
      {"new_inf", m.newInf},
      {"new_nan", m.newNaN},
      {"nonfinite", llvm::json::Object{{"new_inf", m.newInf},
                                       {"new_nan", m.newNaN},
                                       {"mismatched", m.mismatched},
                                       {"ok", !m.hasNonFiniteErrors()}}},
      {"finite_only", llvm::json::Object{{"max_abs_error", m.finiteMaxAbsError},
                                         {"cosine_similarity", m.finiteCosineSimilarity}}}};
}

llvm::json::Object statsToJSON(const rt::ValueStats &s) {
  llvm::json::Object percentiles;
  for (auto [p, v] : s.absPercentiles)
    percentiles[("p" + StringRef(llvm::formatv("{0:f2}", p).str()).rtrim('0').rtrim('.'))
                    .str()] = v;
  return llvm::json::Object{{"elements", s.count}, {"non_finite", s.nonFinite},
                            {"min", s.min},        {"max", s.max},
                            {"abs_max", s.absMax}, {"mean", s.mean},
                            {"abs_percentiles", std::move(percentiles)}};
}

/// Per-channel statistics over the last dimension (what SmoothQuant, bias
/// correction and outlier decomposition read): "channel_abs_max" and
/// "channel_mean", one entry per index of the last dimension. Skipped for
/// scalars and for last dimensions above 65536 (the file would be huge).
void addChannelStats(llvm::json::Object &stats, llvm::ArrayRef<int64_t> shape,
                     const std::vector<double> &values) {
  if (shape.empty() || shape.back() <= 0 || shape.back() > 65536 || values.empty())
    return;
  size_t channels = shape.back();
  std::vector<double> absMax(channels, 0.0), sum(channels, 0.0);
  std::vector<int64_t> count(channels, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    double v = values[i];
    if (!std::isfinite(v))
      continue;
    size_t c = i % channels;
    absMax[c] = std::max(absMax[c], std::fabs(v));
    sum[c] += v;
    ++count[c];
  }
  llvm::json::Array maxJson, meanJson;
  for (size_t c = 0; c < channels; ++c) {
    maxJson.push_back(absMax[c]);
    meanJson.push_back(count[c] ? sum[c] / count[c] : 0.0);
  }
  stats["channel_abs_max"] = std::move(maxJson);
  stats["channel_mean"] = std::move(meanJson);
}

/// E[x x^T] over the rows of the last dimension, written as a K x K raw
/// little-endian float64 file; its path (relative to the calibration file) goes into `stats`
/// as "gram". Skipped for rank < 2 and K > 4096.
llvm::Error addGram(llvm::json::Object &stats, llvm::ArrayRef<int64_t> shape,
                    const std::vector<double> &values, llvm::StringRef calibration,
                    size_t index) {
  if (shape.size() < 2 || shape.back() <= 0 || shape.back() > 4096 || values.empty())
    return llvm::Error::success();
  size_t k = shape.back(), rows = values.size() / k;
  std::vector<double> gram(k * k, 0.0);
  for (size_t r = 0; r < rows; ++r) {
    const double *x = &values[r * k];
    for (size_t i = 0; i < k; ++i) {
      if (x[i] == 0.0 || !std::isfinite(x[i]))
        continue;
      double xi = x[i];
      double *g = &gram[i * k];
      for (size_t j = 0; j < k; ++j)
        if (std::isfinite(x[j]))
          g[j] += xi * x[j];
    }
  }
  for (double &g : gram)
    g /= static_cast<double>(rows);
  std::string dir = (calibration + ".gram").str();
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return llvm::createStringError(ec, "cannot create '" + dir + "': " + ec.message());
  std::string file = std::to_string(index) + ".f64";
  std::error_code ec;
  llvm::raw_fd_ostream os(dir + "/" + file, ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write '" + dir + "/" + file + "': " + ec.message());
  // Raw little-endian float64, row-major; the size is in the JSON.
  for (double g : gram)
    llvm::support::endian::write<double>(os, g, llvm::endianness::little);
  stats["gram"] = (llvm::sys::path::filename(dir) + "/" + file).str();
  stats["gram_size"] = static_cast<int64_t>(k);
  stats["gram_rows"] = static_cast<int64_t>(rows);
  return llvm::Error::success();
}

rt::UlpFormat ulpFormatOf(Type type) {
  rt::UlpFormat format;
  if (auto floatType = dyn_cast<FloatType>(type)) {
    format.precision = llvm::APFloat::semanticsPrecision(floatType.getFloatSemantics());
    format.minExponent = llvm::APFloat::semanticsMinExponent(floatType.getFloatSemantics());
  } else {
    format.precision = 0;
  }
  return format;
}

extern "C" void trapHandler(int signal) {
  const char *message = "mp-run: error: the compiled code trapped while running "
                        "(signal ";
  (void)!write(2, message, strlen(message));
  const char *name = strsignal(signal);
  (void)!write(2, name, strlen(name));
  (void)!write(2, ")\n", 2);
  _exit(3);
}

void installTrapHandlers() {
  for (int sig : {SIGILL, SIGTRAP, SIGSEGV, SIGFPE, SIGBUS, SIGABRT})
    std::signal(sig, trapHandler);
}

struct RunTimes {
  double pipeline = 0, lowering = 0, jit = 0, run = 0;
};

/// Floating-point operations of the contractions in `entry` (2 per
/// multiply-add over the static iteration space), for throughput figures.
int64_t countContractionFlops(ModuleOp module, StringRef entry) {
  int64_t flops = 0;
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func)
    return 0;
  func.walk([&](linalg::LinalgOp op) {
    if (!linalg::isaContractionOpInterface(op) && !linalg::isaConvolutionOpInterface(op))
      return;
    int64_t points = 1;
    for (int64_t range : op.getStaticLoopRanges()) {
      if (ShapedType::isDynamic(range))
        return;
      points *= range;
    }
    flops += 2 * points;
  });
  return flops;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  DialectRegistry registry;
  mp::registerDialects(registry);
  mp::registerPasses();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
      "mp-run: execute model IR on the CPU with exact low-precision rounding\n");

  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  // --device=cuda: the driver first (a machine without one fails fast), then
  // the artifact; the CPU run below becomes the reference of the GPU run.
  bool onCuda = device == "cuda";
  if (device != "cpu" && !onCuda)
    return fail("--device must be cpu or cuda, not '" + device + "'");
  CudaDevice cuda;
  std::string artifact, temporaryArtifact;
  // A compiled artifact nobody asked to keep is removed on every exit path.
  llvm::scope_exit removeTemporary([&] {
    if (!temporaryArtifact.empty())
      llvm::sys::fs::remove_directories(temporaryArtifact);
  });
  if (onCuda) {
    if (compareF32 || !calibratePath.empty())
      return fail("--compare-f32 and --calibrate run on the CPU; drop --device=cuda");
    std::string driverPath = cudaDriver;
    if (driverPath.empty() && std::getenv("MP_CUDA_DRIVER"))
      driverPath = std::getenv("MP_CUDA_DRIVER");
    if (mpcuStatus status = cuda.open(driverPath, deviceOrdinal))
      return fail(mpcuLastError(), status);
    if (llvm::sys::fs::is_directory(modelPath)) {
      artifact = modelPath;
      if (!pipelineText.empty())
        return fail("--pipeline applies to a model, not to the compiled artifact '" +
                    modelPath + "'");
    } else {
      std::string chip = gpuChip.empty() ? cuda.chip() : std::string(gpuChip);
      if (chip.empty())
        return fail(llvm::formatv("no mp target for compute capability {0}.{1} of '{2}'; "
                                  "pass --chip",
                                  cuda.info().computeMajor, cuda.info().computeMinor,
                                  cuda.info().name)
                        .str(),
                    5);
      llvm::SmallString<256> dir(artifactDir);
      if (dir.empty() &&
          llvm::sys::fs::createUniqueDirectory("mp-run-artifact", dir))
        return fail("cannot create a temporary directory");
      std::string exe = llvm::sys::fs::getMainExecutable(argv[0], (void *)&fail);
      llvm::SmallString<256> compiler(llvm::sys::path::parent_path(exe));
      llvm::sys::path::append(compiler, "mp-compile");
      std::string precision = pipelineText.empty() ? "builtin.module(canonicalize)"
                                                   : std::string(pipelineText);
      llvm::SmallVector<llvm::StringRef> args = {compiler, modelPath, "-o", dir, "--chip", chip,
                                                 "--pipeline", precision};
      if (!entryName.empty()) {
        args.push_back("--entry");
        args.push_back(entryName);
      }
      std::string message;
      if (llvm::sys::ExecuteAndWait(compiler, args, std::nullopt, {}, 0, 0, &message) != 0)
        return fail("mp-compile failed on '" + modelPath + "'" +
                        (message.empty() ? "" : ": " + message),
                    6);
      artifact = std::string(dir);
      if (artifactDir.empty())
        temporaryArtifact = artifact;
    }
    // The CPU reference: the artifact's mixed-precision IR, as written.
    llvm::SmallString<256> mixed(artifact);
    llvm::sys::path::append(mixed, "mixed.mlir");
    modelPath = std::string(mixed);
    pipelineText = "";
  }

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  auto parseStart = Clock::now();
  std::string errorMessage;
  auto file = openInputFile(modelPath, &errorMessage);
  if (!file)
    return fail(errorMessage);
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> original = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!original)
    return fail("cannot parse '" + modelPath + "'", 2);
  double parseSeconds = secondsSince(parseStart);

  // The entry function.
  if (entryName.empty()) {
    SmallVector<func::FuncOp> candidates;
    for (auto func : original->getOps<func::FuncOp>())
      if (!func.isExternal() && func.isPublic())
        candidates.push_back(func);
    if (candidates.size() != 1)
      return fail("'" + modelPath + "' has " + llvm::Twine(candidates.size()) +
                  " public functions; choose one with --entry");
    entryName = candidates.front().getSymName().str();
  }
  auto entry = original->lookupSymbol<func::FuncOp>(entryName);
  if (!entry || entry.isExternal()) {
    std::string names;
    for (auto func : original->getOps<func::FuncOp>())
      if (!func.isExternal())
        names += (names.empty() ? "" : ", ") + func.getSymName().str();
    return fail("no function named '" + entryName + "' in '" + modelPath +
                "' (functions: " + names + ")");
  }
  if (failed(checkSignature(entry)))
    return 1;
  if (inputPaths.size() > entry.getNumArguments())
    return fail("'" + entryName + "' takes " + llvm::Twine(entry.getNumArguments()) +
                " arguments, got " + llvm::Twine(inputPaths.size()) + " --input files");
  if (!inputPaths.empty() && inputPaths.size() != entry.getNumArguments())
    return fail("'" + entryName + "' takes " + llvm::Twine(entry.getNumArguments()) +
                " arguments, got " + llvm::Twine(inputPaths.size()) +
                " --input files (give all or none)");

  std::mt19937_64 rng(seed);
  std::vector<SourceTensor> sources;
  for (auto [index, type] : llvm::enumerate(entry.getArgumentTypes())) {
    auto source = makeInput(asBoundaryTensorType(type), index, rng);
    if (!source)
      return fail(llvm::toString(source.takeError()));
    sources.push_back(std::move(*source));
  }

  // Compiles a clone of the module (optionally transformed).
  auto compile = [&](bool applyPipeline, bool instrument, RunTimes &times,
                     std::vector<std::string> *valueNames,
                     std::unique_ptr<CompiledFunction> &compiledOut) -> int {
    OwningOpRef<ModuleOp> module = original->clone();
    if (applyPipeline) {
      auto start = Clock::now();
      PassManager pm(&context, ModuleOp::getOperationName());
      // Accept "builtin.module(a,b)" as well as "a,b"; pm is the module's.
      StringRef text = StringRef(pipelineText).trim();
      if (text.consume_front("builtin.module(") && !text.consume_back(")"))
        return fail("bad --pipeline: unbalanced parentheses");
      std::string parseError;
      llvm::raw_string_ostream os(parseError);
      if (failed(parsePassPipeline(text, pm, os)))
        return fail("bad --pipeline: " + parseError);
      if (failed(pm.run(*module)))
        return fail("the --pipeline failed on '" + modelPath + "'", 2);
      times.pipeline = secondsSince(start);
    }
    if (instrument) {
      // Only the entry runs: other functions (drivers that call it) go first,
      // so that changing its results breaks no caller.
      for (auto func : module->getOps<func::FuncOp>())
        if (func.getSymName() != entryName && !func.isExternal())
          func.setPrivate();
      PassManager pm(&context, ModuleOp::getOperationName());
      pm.addPass(createSymbolDCEPass());
      MPExposeValuesOptions expose;
      expose.entry = entryName;
      pm.addPass(createMPExposeValues(expose));
      if (failed(pm.run(*module)))
        return 2;
      auto func = module->lookupSymbol<func::FuncOp>(entryName);
      for (Attribute name :
           func->getAttrOfType<ArrayAttr>(MPDialect::getExposedValuesAttrName()))
        valueNames->push_back(cast<StringAttr>(name).str());
    }
    auto compiled = CompiledFunction::compile(std::move(module), entryName,
                                              &times.lowering, &times.jit, vectorize,
                                              threads);
    if (failed(compiled))
      return 2;
    compiledOut = std::move(*compiled);
    return 0;
  };

  // Runs compiled code --repeat times on the inputs; the median time.
  auto run = [&](CompiledFunction &compiled, RunTimes &times,
                 std::vector<HostTensor> &outputs,
                 std::vector<RankedTensorType> &resultTypes) -> int {
    std::vector<HostTensor> inputs;
    for (auto [source, type] : llvm::zip(sources, compiled.getArgumentTypes()))
      inputs.push_back(toHost(source, type.getElementType()));
    resultTypes.assign(compiled.getResultTypes().begin(), compiled.getResultTypes().end());
    installTrapHandlers();
    std::vector<double> runTimes;
    for (unsigned i = 0; i < std::max(1u, unsigned(repeat)); ++i) {
      auto start = Clock::now();
      auto result = compiled.run(inputs);
      runTimes.push_back(secondsSince(start));
      if (!result)
        return fail(llvm::toString(result.takeError()), 2);
      outputs = std::move(*result);
    }
    std::sort(runTimes.begin(), runTimes.end());
    times.run = runTimes[runTimes.size() / 2];
    return 0;
  };

  bool hasPipeline = !pipelineText.empty();
  bool needReference = !onCuda && ((hasPipeline && compareF32) || !calibratePath.empty());
  RunTimes candidateTimes, referenceTimes;
  std::vector<HostTensor> candidate, reference;
  std::vector<RankedTensorType> candidateTypes, referenceTypes;
  std::vector<std::string> valueNames;
  std::unique_ptr<CompiledFunction> candidateCode, referenceCode;
  // The reference compiles on a second thread while the candidate compiles
  // here (lowering and code generation are mostly single-threaded); the runs
  // come after, one at a time, so their timings do not disturb each other.
  int referenceRc = 0;
  std::thread referenceCompile;
  bool compiledConcurrently = false;
  // (A --pipeline that does not parse is reported by the candidate's
  // compilation, sequentially.)
  if (needReference && concurrentCompile &&
      succeeded(CompiledFunction::prepareContext(context, pipelineText))) {
    compiledConcurrently = true;
    referenceCompile = std::thread([&] {
      referenceRc = compile(false, !calibratePath.empty(), referenceTimes, &valueNames,
                            referenceCode);
    });
  }
  int candidateRc = compile(hasPipeline, false, candidateTimes, nullptr, candidateCode);
  if (referenceCompile.joinable())
    referenceCompile.join();
  if (candidateRc)
    return candidateRc;
  if (int rc = run(*candidateCode, candidateTimes, candidate, candidateTypes))
    return rc;
  // mp-f16-runtime-guard's count of f16 results recomputed scaled.
  std::optional<int64_t> guardRecomputes =
      candidateCode->readI64Global("mp_f16_guard_rescales");
  if (onCuda) {
    std::vector<HostTensor> inputs;
    for (auto [source, type] : llvm::zip(sources, entry.getArgumentTypes()))
      inputs.push_back(toHost(source, asBoundaryTensorType(type).getElementType()));
    auto run = cuda.runArtifact(artifact, inputs, candidateTypes, std::max(1u, unsigned(repeat)));
    if (!run)
      return fail(llvm::toString(run.takeError()), 6);
    std::vector<double> ms = run->milliseconds;
    std::sort(ms.begin(), ms.end());
    double median = ms[ms.size() / 2];
    const mpcuDeviceInfo &info = cuda.info();
    llvm::outs() << llvm::formatv("mp-run: {0} on {1} (compute {2}.{3}, {4} SMs), reference "
                                  "{5} on the CPU\n",
                                  artifact, info.name, info.computeMajor, info.computeMinor,
                                  info.multiprocessors, modelPath);
    llvm::outs() << llvm::formatv("gpu: load {0:f3}s, run median {1:f4} ms over {2} runs, "
                                  "{3} device bytes; cpu run {4:f4} ms\n",
                                  run->loadSeconds, median, ms.size(), run->deviceBytes,
                                  candidateTimes.run * 1e3);
    llvm::json::Array outs;
    int disagreeing = 0;
    for (auto [i, type] : llvm::enumerate(candidateTypes)) {
      rt::ErrorMetrics m =
          rt::compareOutputs(candidate[i].toDoubles(), run->outputs[i].toDoubles(),
                             ulpFormatOf(type.getElementType()));
      bool agrees = !m.hasNonFiniteErrors() && m.cosineSimilarity >= minCosine;
      disagreeing += !agrees;
      llvm::outs() << llvm::formatv("output {0}: {1} gpu vs cpu: max_abs {2:e3} max_rel {3:e3} "
                                    "cosine {4:f6} new_inf {5} new_nan {6}{7}\n",
                                    i, type, m.maxAbsError, m.maxRelError, m.cosineSimilarity,
                                    m.newInf, m.newNaN, agrees ? "" : "  DISAGREES");
      if (!outputDir.empty()) {
        llvm::sys::fs::create_directories(outputDir);
        llvm::SmallString<128> path(outputDir);
        llvm::sys::path::append(path, entryName + "." + std::to_string(i) + ".gpu.npy");
        if (llvm::Error error = writeOutput(path, run->outputs[i]))
          return fail(llvm::toString(std::move(error)));
      }
      outs.push_back(llvm::json::Object{{"index", int64_t(i)},
                                        {"type", llvm::formatv("{0}", type).str()},
                                        {"gpu_vs_cpu", metricsToJSON(m)},
                                        {"agrees", agrees}});
    }
    if (!jsonPath.empty()) {
      llvm::json::Array times;
      for (double t : run->milliseconds)
        times.push_back(t);
      llvm::json::Object report{
          {"artifact", artifact},
          {"reference", modelPath},
          {"device", llvm::json::Object{{"name", info.name},
                                        {"compute_capability",
                                         llvm::formatv("{0}.{1}", info.computeMajor,
                                                       info.computeMinor)
                                             .str()},
                                        {"multiprocessors", info.multiprocessors}}},
          {"gpu_ms", std::move(times)},
          {"gpu_ms_median", median},
          {"cpu_ms", candidateTimes.run * 1e3},
          {"load_s", run->loadSeconds},
          {"device_bytes", int64_t(run->deviceBytes)},
          {"min_cosine", double(minCosine)},
          {"outputs", std::move(outs)}};
      std::error_code ec;
      llvm::raw_fd_ostream os(jsonPath, ec);
      if (ec)
        return fail("cannot write '" + jsonPath + "': " + ec.message());
      os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
    }
    if (disagreeing)
      return fail(llvm::Twine(disagreeing) + " output(s) of the GPU disagree with the CPU "
                  "(cosine below " + std::to_string(double(minCosine)) +
                  " or new inf/NaN)", 7);
    return 0;
  }

  if (needReference) {
    if (!referenceCode && !referenceRc)
      referenceRc = compile(false, !calibratePath.empty(), referenceTimes, &valueNames,
                            referenceCode);
    if (referenceRc)
      return referenceRc;
    if (int rc = run(*referenceCode, referenceTimes, reference, referenceTypes))
      return rc;
  }

  // Report.
  llvm::json::Object report{{"model", modelPath},
                            {"entry", entryName},
                            {"pipeline", pipelineText},
                            {"seed", int64_t(seed)},
                            {"inputs", inputPaths.empty() ? "generated" : "files"}};
  llvm::outs() << "mp-run: " << modelPath << " @" << entryName << ", "
               << sources.size() << " inputs ("
               << (inputPaths.empty() ? "generated, seed " + std::to_string(seed)
                                      : std::string("from .npy"))
               << ")" << (hasPipeline ? ", pipeline " + pipelineText : "") << "\n";
  if (guardRecomputes) {
    unsigned runs = std::max(1u, unsigned(repeat));
    llvm::outs() << "f16 run-time guard: " << *guardRecomputes
                 << " overflowing f16 result(s) recomputed scaled in " << runs << " run(s)\n";
    report["f16_runtime_guard"] =
        llvm::json::Object{{"recomputes", *guardRecomputes}, {"runs", int64_t(runs)}};
  }
  unsigned numOutputs = entry.getNumResults();
  llvm::json::Array outputsJson;
  int64_t nonFiniteOutputs = 0;
  for (unsigned i = 0; i < numOutputs; ++i) {
    llvm::json::Object out{{"index", int64_t(i)},
                           {"type", llvm::formatv("{0}", candidateTypes[i]).str()}};
    llvm::outs() << "output " << i << ": " << candidateTypes[i];
    if (!outputDir.empty()) {
      llvm::sys::fs::create_directories(outputDir);
      llvm::SmallString<128> path(outputDir);
      llvm::sys::path::append(path, entryName + "." + std::to_string(i) + ".npy");
      if (llvm::Error error = writeOutput(path, candidate[i]))
        return fail(llvm::toString(std::move(error)));
      out["file"] = path.str().str();
      if (hasPipeline && compareF32) {
        llvm::SmallString<128> refPath(outputDir);
        llvm::sys::path::append(refPath, entryName + "." + std::to_string(i) + ".ref.npy");
        if (llvm::Error error = writeOutput(refPath, reference[i]))
          return fail(llvm::toString(std::move(error)));
        out["reference_file"] = refPath.str().str();
      }
    }
    if (hasPipeline && compareF32) {
      if (reference[i].shape != candidate[i].shape) {
        llvm::outs() << "\n";
        return fail("output " + llvm::Twine(i) + " has a different shape after the pipeline");
      }
      rt::ErrorMetrics m =
          rt::compareOutputs(reference[i].toDoubles(), candidate[i].toDoubles(),
                             ulpFormatOf(candidateTypes[i].getElementType()));
      // Non-finite metrics print as "inf" and "nan", like the JSON.
      auto num = [](double value, const char *style) {
        if (std::isnan(value))
          return std::string("nan");
        if (std::isinf(value))
          return std::string(value > 0 ? "inf" : "-inf");
        return llvm::formatv(style, value).str();
      };
      llvm::outs() << llvm::formatv(
          "\n  max_abs {0}  max_rel {1}  mean_rel {2}  (rel floor {3:e2})"
          "\n  cosine {4}  max_ulp {5}  mean_ulp {6}  new_inf {7}  new_nan {8}",
          num(m.maxAbsError, "{0:e3}"), num(m.maxRelError, "{0:e3}"),
          num(m.meanRelError, "{0:e3}"), m.relativeFloor, num(m.cosineSimilarity, "{0:f6}"),
          num(m.maxUlpError, "{0:f1}"), num(m.meanUlpError, "{0:f2}"), m.newInf, m.newNaN);
      if (m.hasNonFiniteErrors()) {
        ++nonFiniteOutputs;
        llvm::outs() << llvm::formatv(
            "\n  NONFINITE: {0} new inf, {1} new nan, {2} mismatched non-finite values "
            "in output #{3}; errors are infinite (finite elements only: max_abs {4:e3}, "
            "cosine {5:f6})",
            m.newInf, m.newNaN, m.mismatched, i, m.finiteMaxAbsError,
            m.finiteCosineSimilarity);
      }
      out["error"] = metricsToJSON(m);
    } else {
      // No reference to compare with: every inf or NaN is reported.
      int64_t infs = 0, nans = 0;
      for (double v : candidate[i].toDoubles()) {
        infs += std::isinf(v);
        nans += std::isnan(v);
      }
      if (infs || nans) {
        ++nonFiniteOutputs;
        llvm::outs() << llvm::formatv("\n  NONFINITE: {0} inf, {1} nan in output #{2} "
                                      "(no reference run to compare with)",
                                      infs, nans, i);
        out["nonfinite"] = llvm::json::Object{{"inf", infs}, {"nan", nans}};
      }
    }
    llvm::outs() << "\n";
    outputsJson.push_back(std::move(out));
  }
  report["outputs"] = std::move(outputsJson);

  if (!calibratePath.empty()) {
    // The instrumented reference returns the entry's results, then each
    // exposed value; arguments are recorded from the inputs.
    std::vector<std::pair<std::string, llvm::json::Object>> values;
    for (auto [index, source] : llvm::enumerate(sources)) {
      llvm::json::Object stats = statsToJSON(rt::computeStats(source.values));
      addChannelStats(stats, source.shape, source.values);
      if (calibrateGram)
        if (llvm::Error error = addGram(stats, source.shape, source.values, calibratePath,
                                        values.size()))
          return fail(llvm::toString(std::move(error)));
      values.push_back({entryName + ".arg" + std::to_string(index), std::move(stats)});
    }
    for (size_t v = 0; v < valueNames.size(); ++v) {
      std::vector<double> data = reference[numOutputs + v].toDoubles();
      llvm::json::Object stats = statsToJSON(rt::computeStats(data));
      addChannelStats(stats, reference[numOutputs + v].shape, data);
      if (calibrateGram)
        if (llvm::Error error = addGram(stats, reference[numOutputs + v].shape, data,
                                        calibratePath, values.size()))
          return fail(llvm::toString(std::move(error)));
      values.push_back({valueNames[v], std::move(stats)});
    }
    if (llvm::Error error = writeCalibration(calibratePath, modelPath, entryName, values))
      return fail(llvm::toString(std::move(error)));
    llvm::outs() << "calibration: " << valueNames.size() + sources.size()
                 << " values recorded in " << calibratePath << "\n";
  }

  auto timesJson = [](const RunTimes &t) {
    return llvm::json::Object{{"pipeline_s", t.pipeline}, {"lowering_s", t.lowering},
                              {"jit_s", t.jit}, {"run_s", t.run}};
  };
  llvm::json::Object timingJson{{"parse_s", parseSeconds},
                                {"candidate", timesJson(candidateTimes)}};
  if (needReference)
    timingJson["reference"] = timesJson(referenceTimes);
  int64_t flops = countContractionFlops(*original, entryName);
  timingJson["contraction_flops"] = flops;
  if (flops && candidateTimes.run > 0)
    timingJson["candidate_gflops"] = flops / candidateTimes.run * 1e-9;
  if (flops && needReference && referenceTimes.run > 0)
    timingJson["reference_gflops"] = flops / referenceTimes.run * 1e-9;
  timingJson["concurrent_compile"] = compiledConcurrently;
  report["timing"] = std::move(timingJson);
  if (timing) {
    llvm::outs() << llvm::formatv("timing: parse {0:f3}s", parseSeconds);
    llvm::outs() << llvm::formatv("; candidate: pipeline {0:f3}s lowering {1:f3}s "
                                  "jit {2:f3}s run {3:f4}s",
                                  candidateTimes.pipeline, candidateTimes.lowering,
                                  candidateTimes.jit, candidateTimes.run);
    if (needReference)
      llvm::outs() << llvm::formatv("; reference{3}: lowering {0:f3}s jit {1:f3}s run {2:f4}s",
                                    referenceTimes.lowering, referenceTimes.jit,
                                    referenceTimes.run,
                                    compiledConcurrently ? " (compiled beside the candidate)"
                                                         : "");
    if (flops)
      llvm::outs() << llvm::formatv("; contractions {0:f3} GFLOP, candidate {1:f2} GFLOP/s",
                                    flops * 1e-9, flops / candidateTimes.run * 1e-9);
    llvm::outs() << "\n";
  }
  if (!jsonPath.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(jsonPath, ec);
    if (ec)
      return fail("cannot write '" + jsonPath + "': " + ec.message());
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
  }
  if (nonFiniteOutputs && failOnNonFinite)
    return fail(llvm::Twine(nonFiniteOutputs) +
                    " output(s) have inf or NaN values the reference does not have",
                4);
  return 0;
}

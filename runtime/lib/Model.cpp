//===- Model.cpp - open compiled model libraries ---------------------------===//

#include "mp/Runtime/Model.h"

#include <dlfcn.h>

#include <string>

struct mpArtifact {
  void *library = nullptr;
  std::string dir;
#define MP_MODEL_FUNCTIONS(X)                                                           \
  X(mp_model_abi_version, int (*)(void))                                                \
  X(mp_model_num_inputs, int (*)(void))                                                 \
  X(mp_model_num_outputs, int (*)(void))                                                \
  X(mp_model_input_bytes, size_t (*)(int))                                              \
  X(mp_model_output_bytes, size_t (*)(int))                                             \
  X(mp_model_device_bytes, size_t (*)(void))                                            \
  X(mp_model_input_dtype, const char *(*)(int))                                         \
  X(mp_model_output_dtype, const char *(*)(int))                                        \
  X(mp_model_input_shape, int (*)(int, int64_t *, int))                                 \
  X(mp_model_output_shape, int (*)(int, int64_t *, int))                                \
  X(mp_model_create, mpcuStatus (*)(mpcuContext *, const char *, mpModelInstance **))   \
  X(mp_model_run, mpcuStatus (*)(mpModelInstance *, mpcuStream *, const mpcuDevicePtr *, \
                                 const mpcuDevicePtr *))                                \
  X(mp_model_destroy, void (*)(mpModelInstance *))
#define MP_DECLARE(name, type)                                                          \
  using name##_fn = type;                                                               \
  name##_fn name = nullptr;
  MP_MODEL_FUNCTIONS(MP_DECLARE)
#undef MP_DECLARE
};

namespace {
mpcuStatus fail(const std::string &message) {
  return mpcuSetError(MPCU_INVALID_ARGUMENT, message.c_str());
}
} // namespace

extern "C" {

mpcuStatus mpArtifactOpen(const char *artifactDir, mpArtifact **artifact) {
  if (!artifactDir || !artifact)
    return fail("mpArtifactOpen: null argument");
  *artifact = nullptr;
  std::string path = std::string(artifactDir) + "/libmodel.so";
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *why = dlerror();
    return fail("cannot load the compiled model '" + path + "': " + (why ? why : "unknown"));
  }
  auto *result = new mpArtifact;
  result->library = library;
  result->dir = artifactDir;
#define MP_RESOLVE(name, type)                                                          \
  result->name = reinterpret_cast<type>(dlsym(library, #name));                         \
  if (!result->name) {                                                                  \
    mpArtifactClose(result);                                                            \
    return fail("'" + path + "' is not an mp model library: it lacks " #name);          \
  }
  MP_MODEL_FUNCTIONS(MP_RESOLVE)
#undef MP_RESOLVE
  int version = result->mp_model_abi_version();
  if (version != MP_MODEL_ABI_VERSION) {
    mpArtifactClose(result);
    return fail("'" + path + "' was compiled for model ABI version " + std::to_string(version) +
                "; this runtime reads version " + std::to_string(MP_MODEL_ABI_VERSION) +
                ": compile it again with this mp-compile");
  }
  *artifact = result;
  return MPCU_OK;
}

void mpArtifactClose(mpArtifact *artifact) {
  if (!artifact)
    return;
  if (artifact->library)
    dlclose(artifact->library);
  delete artifact;
}

int mpArtifactNumInputs(const mpArtifact *a) { return a ? a->mp_model_num_inputs() : 0; }
int mpArtifactNumOutputs(const mpArtifact *a) { return a ? a->mp_model_num_outputs() : 0; }
size_t mpArtifactInputBytes(const mpArtifact *a, int i) {
  return a && i >= 0 && i < a->mp_model_num_inputs() ? a->mp_model_input_bytes(i) : 0;
}
size_t mpArtifactOutputBytes(const mpArtifact *a, int i) {
  return a && i >= 0 && i < a->mp_model_num_outputs() ? a->mp_model_output_bytes(i) : 0;
}
size_t mpArtifactDeviceBytes(const mpArtifact *a) { return a ? a->mp_model_device_bytes() : 0; }
const char *mpArtifactInputDtype(const mpArtifact *a, int i) {
  return a ? a->mp_model_input_dtype(i) : nullptr;
}
const char *mpArtifactOutputDtype(const mpArtifact *a, int i) {
  return a ? a->mp_model_output_dtype(i) : nullptr;
}
int mpArtifactInputShape(const mpArtifact *a, int i, int64_t *sizes, int maxRank) {
  return a ? a->mp_model_input_shape(i, sizes, maxRank) : -1;
}
int mpArtifactOutputShape(const mpArtifact *a, int i, int64_t *sizes, int maxRank) {
  return a ? a->mp_model_output_shape(i, sizes, maxRank) : -1;
}

mpcuStatus mpArtifactCreate(mpArtifact *artifact, mpcuContext *context,
                            mpModelInstance **instance) {
  if (!artifact || !context || !instance)
    return fail("mpArtifactCreate: null argument");
  return artifact->mp_model_create(context, artifact->dir.c_str(), instance);
}

mpcuStatus mpArtifactRun(mpArtifact *artifact, mpModelInstance *instance, mpcuStream *stream,
                         const mpcuDevicePtr *inputs, const mpcuDevicePtr *outputs) {
  if (!artifact || !instance || (!inputs && artifact->mp_model_num_inputs()) ||
      (!outputs && artifact->mp_model_num_outputs()))
    return fail("mpArtifactRun: null argument");
  return artifact->mp_model_run(instance, stream, inputs, outputs);
}

void mpArtifactDestroy(mpArtifact *artifact, mpModelInstance *instance) {
  if (artifact && instance)
    artifact->mp_model_destroy(instance);
}

} // extern "C"

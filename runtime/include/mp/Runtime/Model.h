/*===- Model.h - compiled models: the library ABI and its loader ---*- C -*-===*
 *
 * `mp-compile MODEL.mlir -o DIR` writes an artifact directory:
 *
 *   manifest.json     inputs, outputs, kernels, launches, buffer plan, weights
 *   libmodel.so       the host launch sequence, compiled ahead of time against
 *                     this C API (model.c is its source)
 *   *.ptx / *.cubin   the kernels
 *   weights.bin       every weight in its stored format, one blob
 *
 * A compiled model library exports the mp_model_* functions below (C linkage,
 * ABI version MP_MODEL_ABI_VERSION). mpArtifact* opens one with dlopen, checks
 * its ABI version and forwards to it, so a program that runs models links
 * only libmpRuntimeCuda. No MLIR or LLVM inside.
 *
 * Buffers: the caller allocates inputs and outputs (sizes from
 * mpArtifactInputBytes / mpArtifactOutputBytes) and passes their device
 * addresses. An instance owns its weights (uploaded once by
 * mpArtifactCreate) and one arena for every intermediate buffer, sized by
 * the compile-time buffer plan (buffers whose lifetimes do not overlap share
 * memory). Runs of one instance must not overlap; use one instance per
 * concurrent stream.
 *
 *===----------------------------------------------------------------------===*/

#ifndef MP_RUNTIME_MODEL_H
#define MP_RUNTIME_MODEL_H

#include "mp/Runtime/Cuda.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MP_MODEL_ABI_VERSION 1

typedef struct mpModelInstance mpModelInstance;

/* Exported by a compiled model library. */
int mp_model_abi_version(void);
int mp_model_num_inputs(void);
int mp_model_num_outputs(void);
size_t mp_model_input_bytes(int index);
size_t mp_model_output_bytes(int index);
/* Element types as MLIR spells them ("f32", "bf16", "f16", "i8", ...) and
   shapes (the rank; up to `maxRank` sizes into `sizes`); NULL and -1 for an
   index out of range. */
const char *mp_model_input_dtype(int index);
const char *mp_model_output_dtype(int index);
int mp_model_input_shape(int index, int64_t *sizes, int maxRank);
int mp_model_output_shape(int index, int64_t *sizes, int maxRank);
/* Loads the kernels and uploads the weights found in `artifactDir`, and
   allocates the arena. */
mpcuStatus mp_model_create(mpcuContext *context, const char *artifactDir,
                           mpModelInstance **instance);
/* Enqueues every launch on `stream` (NULL: the default stream). */
mpcuStatus mp_model_run(mpModelInstance *instance, mpcuStream *stream,
                        const mpcuDevicePtr *inputs, const mpcuDevicePtr *outputs);
void mp_model_destroy(mpModelInstance *instance);
/* Device bytes an instance holds (weights + arena). */
size_t mp_model_device_bytes(void);

/* The loader. */
typedef struct mpArtifact mpArtifact;

/* Opens DIR/libmodel.so; MPCU_INVALID_ARGUMENT with the reason when it is
   missing, not a model library, or built for another ABI version. */
mpcuStatus mpArtifactOpen(const char *artifactDir, mpArtifact **artifact);
void mpArtifactClose(mpArtifact *artifact);
int mpArtifactNumInputs(const mpArtifact *artifact);
int mpArtifactNumOutputs(const mpArtifact *artifact);
size_t mpArtifactInputBytes(const mpArtifact *artifact, int index);
size_t mpArtifactOutputBytes(const mpArtifact *artifact, int index);
size_t mpArtifactDeviceBytes(const mpArtifact *artifact);
const char *mpArtifactInputDtype(const mpArtifact *artifact, int index);
const char *mpArtifactOutputDtype(const mpArtifact *artifact, int index);
int mpArtifactInputShape(const mpArtifact *artifact, int index, int64_t *sizes, int maxRank);
int mpArtifactOutputShape(const mpArtifact *artifact, int index, int64_t *sizes, int maxRank);
mpcuStatus mpArtifactCreate(mpArtifact *artifact, mpcuContext *context,
                            mpModelInstance **instance);
mpcuStatus mpArtifactRun(mpArtifact *artifact, mpModelInstance *instance, mpcuStream *stream,
                         const mpcuDevicePtr *inputs, const mpcuDevicePtr *outputs);
void mpArtifactDestroy(mpArtifact *artifact, mpModelInstance *instance);

#ifdef __cplusplus
}
#endif

#endif /* MP_RUNTIME_MODEL_H */

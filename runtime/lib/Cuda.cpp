//===- Cuda.cpp - the CUDA driver, loaded at run time ---------------------===//

#include "mp/Runtime/Cuda.h"

#include <dlfcn.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

// The driver API's types, declared here: mp builds without the CUDA toolkit.
using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUevent = void *;
using CUdeviceptr = unsigned long long;
using CUjit_option = int;

constexpr CUresult CUDA_SUCCESS = 0;
constexpr int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
constexpr CUjit_option CU_JIT_INFO_LOG_BUFFER = 3;
constexpr CUjit_option CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;

thread_local std::string lastError;

mpcuStatus failWith(mpcuStatus status, const char *format, ...) {
  char buffer[4096];
  va_list args;
  va_start(args, format);
  vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  lastError = buffer;
  return status;
}

/// Reads a whole file; false (errno set) on failure.
bool readFile(const char *path, std::vector<char> &out) {
  FILE *file = std::fopen(path, "rb");
  if (!file)
    return false;
  char buffer[1 << 16];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof(buffer), file)) > 0)
    out.insert(out.end(), buffer, buffer + got);
  bool ok = !std::ferror(file);
  std::fclose(file);
  return ok;
}

} // namespace

/// The driver entry points mp uses, resolved once by mpcuOpen.
struct mpcuDriver {
  void *library = nullptr;
#define MPCU_DRIVER_FUNCTIONS(X)                                                     \
  X(cuInit, CUresult (*)(unsigned))                                                  \
  X(cuGetErrorName, CUresult (*)(CUresult, const char **))                           \
  X(cuGetErrorString, CUresult (*)(CUresult, const char **))                         \
  X(cuDeviceGetCount, CUresult (*)(int *))                                           \
  X(cuDeviceGet, CUresult (*)(CUdevice *, int))                                      \
  X(cuDeviceGetName, CUresult (*)(char *, int, CUdevice))                            \
  X(cuDeviceGetAttribute, CUresult (*)(int *, int, CUdevice))                        \
  X(cuDeviceTotalMem_v2, CUresult (*)(size_t *, CUdevice))                           \
  X(cuDevicePrimaryCtxRetain, CUresult (*)(CUcontext *, CUdevice))                   \
  X(cuDevicePrimaryCtxRelease_v2, CUresult (*)(CUdevice))                            \
  X(cuCtxSetCurrent, CUresult (*)(CUcontext))                                        \
  X(cuCtxSynchronize, CUresult (*)())                                                \
  X(cuModuleLoadDataEx,                                                              \
    CUresult (*)(CUmodule *, const void *, unsigned, CUjit_option *, void **))       \
  X(cuModuleUnload, CUresult (*)(CUmodule))                                          \
  X(cuModuleGetFunction, CUresult (*)(CUfunction *, CUmodule, const char *))         \
  X(cuLaunchKernel, CUresult (*)(CUfunction, unsigned, unsigned, unsigned, unsigned, \
                                 unsigned, unsigned, unsigned, CUstream, void **,    \
                                 void **))                                           \
  X(cuMemAlloc_v2, CUresult (*)(CUdeviceptr *, size_t))                              \
  X(cuMemFree_v2, CUresult (*)(CUdeviceptr))                                         \
  X(cuMemcpyHtoD_v2, CUresult (*)(CUdeviceptr, const void *, size_t))                \
  X(cuMemcpyDtoH_v2, CUresult (*)(void *, CUdeviceptr, size_t))                      \
  X(cuMemcpyDtoD_v2, CUresult (*)(CUdeviceptr, CUdeviceptr, size_t))                 \
  X(cuMemsetD8_v2, CUresult (*)(CUdeviceptr, unsigned char, size_t))                 \
  X(cuStreamCreate, CUresult (*)(CUstream *, unsigned))                              \
  X(cuStreamSynchronize, CUresult (*)(CUstream))                                     \
  X(cuStreamDestroy_v2, CUresult (*)(CUstream))                                      \
  X(cuEventCreate, CUresult (*)(CUevent *, unsigned))                                \
  X(cuEventRecord, CUresult (*)(CUevent, CUstream))                                  \
  X(cuEventSynchronize, CUresult (*)(CUevent))                                       \
  X(cuEventElapsedTime, CUresult (*)(float *, CUevent, CUevent))                     \
  X(cuEventDestroy_v2, CUresult (*)(CUevent))
#define MPCU_DECLARE(name, type)                                                       \
  using name##_fn = type;                                                              \
  name##_fn name = nullptr;
  MPCU_DRIVER_FUNCTIONS(MPCU_DECLARE)
#undef MPCU_DECLARE

  /// Records a failed driver call and returns MPCU_DRIVER_ERROR (or `status`).
  mpcuStatus check(CUresult result, const char *what,
                   mpcuStatus status = MPCU_DRIVER_ERROR) const {
    if (result == CUDA_SUCCESS)
      return MPCU_OK;
    const char *name = nullptr, *text = nullptr;
    if (cuGetErrorName(result, &name) != CUDA_SUCCESS || !name)
      name = "unknown CUDA error";
    if (cuGetErrorString(result, &text) != CUDA_SUCCESS || !text)
      text = "";
    return failWith(status, "%s: %s (%d)%s%s", what, name, result, *text ? ": " : "", text);
  }
};

struct mpcuContext {
  mpcuDriver *driver;
  CUdevice device;
  CUcontext handle;
  /// Makes the context current on the calling thread.
  mpcuStatus enter() const { return driver->check(driver->cuCtxSetCurrent(handle), "cuCtxSetCurrent"); }
};

struct mpcuModule {
  mpcuContext *context;
  CUmodule handle;
};

struct mpcuStream {
  mpcuContext *context;
  CUstream handle;
};

struct mpcuEvent {
  mpcuContext *context;
  CUevent handle;
};

extern "C" {

const char *mpcuLastError(void) { return lastError.c_str(); }

mpcuStatus mpcuSetError(mpcuStatus status, const char *message) {
  lastError = message ? message : "";
  return status;
}

const char *mpcuStatusName(mpcuStatus status) {
  switch (status) {
  case MPCU_OK: return "MPCU_OK";
  case MPCU_NO_DRIVER: return "MPCU_NO_DRIVER";
  case MPCU_NO_DEVICE: return "MPCU_NO_DEVICE";
  case MPCU_DRIVER_ERROR: return "MPCU_DRIVER_ERROR";
  case MPCU_JIT_ERROR: return "MPCU_JIT_ERROR";
  case MPCU_INVALID_ARGUMENT: return "MPCU_INVALID_ARGUMENT";
  }
  return "MPCU_UNKNOWN";
}

mpcuStatus mpcuOpen(const char *path, mpcuDriver **driver) {
  if (!driver)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuOpen: null result pointer");
  *driver = nullptr;
  const char *library = path ? path : "libcuda.so.1";
  void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *reason = dlerror();
    return failWith(MPCU_NO_DRIVER, "CUDA driver not available: %s",
                    reason ? reason : library);
  }
  auto *loaded = new mpcuDriver();
  loaded->library = handle;
#define MPCU_RESOLVE(name, type)                                                     \
  loaded->name = reinterpret_cast<type>(dlsym(handle, #name));                       \
  if (!loaded->name) {                                                               \
    dlclose(handle);                                                                 \
    delete loaded;                                                                   \
    return failWith(MPCU_NO_DRIVER,                                                  \
                    "CUDA driver not available: '%s' lacks the symbol %s", library,  \
                    #name);                                                          \
  }
  MPCU_DRIVER_FUNCTIONS(MPCU_RESOLVE)
#undef MPCU_RESOLVE
  if (mpcuStatus status = loaded->check(loaded->cuInit(0), "cuInit", MPCU_NO_DRIVER)) {
    std::string message = "CUDA driver not available: " + lastError;
    dlclose(handle);
    delete loaded;
    return failWith(status, "%s", message.c_str());
  }
  *driver = loaded;
  return MPCU_OK;
}

void mpcuClose(mpcuDriver *driver) {
  if (!driver)
    return;
  dlclose(driver->library);
  delete driver;
}

mpcuStatus mpcuDeviceCount(mpcuDriver *driver, int *count) {
  if (!driver || !count)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuDeviceCount: null argument");
  return driver->check(driver->cuDeviceGetCount(count), "cuDeviceGetCount");
}

static mpcuStatus getDevice(mpcuDriver *driver, int ordinal, CUdevice *device) {
  int count = 0;
  if (mpcuStatus status = mpcuDeviceCount(driver, &count))
    return status;
  if (ordinal < 0 || ordinal >= count)
    return failWith(MPCU_NO_DEVICE, "no CUDA device %d (the driver reports %d)", ordinal,
                    count);
  return driver->check(driver->cuDeviceGet(device, ordinal), "cuDeviceGet");
}

mpcuStatus mpcuDeviceGetInfo(mpcuDriver *driver, int ordinal, mpcuDeviceInfo *info) {
  if (!driver || !info)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuDeviceGetInfo: null argument");
  CUdevice device;
  if (mpcuStatus status = getDevice(driver, ordinal, &device))
    return status;
  std::memset(info, 0, sizeof(*info));
  size_t memory = 0;
  mpcuStatus status;
  if ((status = driver->check(driver->cuDeviceGetName(info->name, sizeof(info->name) - 1, device),
                              "cuDeviceGetName")) ||
      (status = driver->check(driver->cuDeviceGetAttribute(
                                  &info->computeMajor,
                                  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device),
                              "cuDeviceGetAttribute(compute capability major)")) ||
      (status = driver->check(driver->cuDeviceGetAttribute(
                                  &info->computeMinor,
                                  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device),
                              "cuDeviceGetAttribute(compute capability minor)")) ||
      (status = driver->check(driver->cuDeviceGetAttribute(
                                  &info->multiprocessors,
                                  CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device),
                              "cuDeviceGetAttribute(multiprocessor count)")) ||
      (status = driver->check(driver->cuDeviceTotalMem_v2(&memory, device),
                              "cuDeviceTotalMem_v2")))
    return status;
  info->totalMemory = memory;
  return MPCU_OK;
}

mpcuStatus mpcuContextCreate(mpcuDriver *driver, int ordinal, mpcuContext **context) {
  if (!driver || !context)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuContextCreate: null argument");
  *context = nullptr;
  CUdevice device;
  if (mpcuStatus status = getDevice(driver, ordinal, &device))
    return status;
  CUcontext handle = nullptr;
  if (mpcuStatus status = driver->check(driver->cuDevicePrimaryCtxRetain(&handle, device),
                                        "cuDevicePrimaryCtxRetain"))
    return status;
  auto *created = new mpcuContext{driver, device, handle};
  if (mpcuStatus status = created->enter()) {
    driver->cuDevicePrimaryCtxRelease_v2(device);
    delete created;
    return status;
  }
  *context = created;
  return MPCU_OK;
}

mpcuStatus mpcuContextRelease(mpcuContext *context) {
  if (!context)
    return MPCU_OK;
  mpcuStatus status = context->driver->check(
      context->driver->cuDevicePrimaryCtxRelease_v2(context->device),
      "cuDevicePrimaryCtxRelease_v2");
  delete context;
  return status;
}

mpcuStatus mpcuContextSynchronize(mpcuContext *context) {
  if (!context)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuContextSynchronize: null context");
  if (mpcuStatus status = context->enter())
    return status;
  return context->driver->check(context->driver->cuCtxSynchronize(), "cuCtxSynchronize");
}

mpcuStatus mpcuModuleLoad(mpcuContext *context, const void *image, size_t size,
                          mpcuModule **module, char *infoLog, size_t infoLogSize) {
  if (!context || !image || !module)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuModuleLoad: null argument");
  (void)size; // PTX is NUL-terminated; a cubin carries its own size.
  *module = nullptr;
  if (mpcuStatus status = context->enter())
    return status;
  std::vector<char> errorLog(16384, '\0');
  std::vector<char> info(infoLog && infoLogSize ? infoLogSize : 1, '\0');
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {errorLog.data(), reinterpret_cast<void *>(uintptr_t(errorLog.size() - 1)),
                    info.data(), reinterpret_cast<void *>(uintptr_t(info.size() - 1))};
  CUmodule handle = nullptr;
  CUresult result =
      context->driver->cuModuleLoadDataEx(&handle, image, 4, options, values);
  if (infoLog && infoLogSize) {
    std::strncpy(infoLog, info.data(), infoLogSize - 1);
    infoLog[infoLogSize - 1] = '\0';
  }
  if (result != CUDA_SUCCESS) {
    context->driver->check(result, "cuModuleLoadDataEx", MPCU_JIT_ERROR);
    std::string message = lastError;
    if (errorLog[0])
      message += "\nJIT error log:\n" + std::string(errorLog.data());
    return failWith(MPCU_JIT_ERROR, "%s", message.c_str());
  }
  *module = new mpcuModule{context, handle};
  return MPCU_OK;
}

mpcuStatus mpcuModuleLoadFile(mpcuContext *context, const char *path, mpcuModule **module) {
  if (!context || !path || !module)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuModuleLoadFile: null argument");
  *module = nullptr;
  std::vector<char> image;
  if (!readFile(path, image))
    return failWith(MPCU_INVALID_ARGUMENT, "cannot read '%s': %s", path, std::strerror(errno));
  image.push_back('\0'); // PTX is text; a cubin carries its own size
  if (mpcuStatus status = mpcuModuleLoad(context, image.data(), image.size(), module, nullptr, 0))
    return failWith(status, "%s: %s", path, lastError.c_str());
  return MPCU_OK;
}

mpcuStatus mpcuModuleUnload(mpcuModule *module) {
  if (!module)
    return MPCU_OK;
  mpcuStatus status = module->context->enter();
  if (!status)
    status = module->context->driver->check(
        module->context->driver->cuModuleUnload(module->handle), "cuModuleUnload");
  delete module;
  return status;
}

mpcuStatus mpcuModuleGetKernel(mpcuModule *module, const char *name, mpcuKernel *kernel) {
  if (!module || !name || !kernel)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuModuleGetKernel: null argument");
  if (mpcuStatus status = module->context->enter())
    return status;
  std::string what = std::string("cuModuleGetFunction('") + name + "')";
  return module->context->driver->check(
      module->context->driver->cuModuleGetFunction(kernel, module->handle, name), what.c_str());
}

mpcuStatus mpcuLaunch(mpcuContext *context, mpcuKernel kernel, const unsigned grid[3],
                      const unsigned block[3], unsigned sharedBytes, mpcuStream *stream,
                      void **args) {
  if (!context || !kernel || !grid || !block)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuLaunch: null argument");
  if (mpcuStatus status = context->enter())
    return status;
  char what[160];
  snprintf(what, sizeof(what), "cuLaunchKernel(grid %ux%ux%u, block %ux%ux%u, %u shared bytes)",
           grid[0], grid[1], grid[2], block[0], block[1], block[2], sharedBytes);
  return context->driver->check(
      context->driver->cuLaunchKernel(kernel, grid[0], grid[1], grid[2], block[0], block[1],
                                      block[2], sharedBytes, stream ? stream->handle : nullptr,
                                      args, nullptr),
      what);
}

mpcuStatus mpcuMalloc(mpcuContext *context, size_t bytes, mpcuDevicePtr *pointer) {
  if (!context || !pointer)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuMalloc: null argument");
  if (mpcuStatus status = context->enter())
    return status;
  char what[96];
  snprintf(what, sizeof(what), "cuMemAlloc_v2 (%zu bytes)", bytes);
  CUdeviceptr result = 0;
  mpcuStatus status = context->driver->check(context->driver->cuMemAlloc_v2(&result, bytes), what);
  *pointer = status ? 0 : result;
  return status;
}

mpcuStatus mpcuFree(mpcuContext *context, mpcuDevicePtr pointer) {
  if (!context)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuFree: null context");
  if (!pointer)
    return MPCU_OK;
  if (mpcuStatus status = context->enter())
    return status;
  return context->driver->check(context->driver->cuMemFree_v2(pointer), "cuMemFree_v2");
}

mpcuStatus mpcuCopyToDevice(mpcuContext *context, mpcuDevicePtr dst, const void *src,
                            size_t bytes) {
  if (!context || (!src && bytes))
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuCopyToDevice: null argument");
  if (mpcuStatus status = context->enter())
    return status;
  return context->driver->check(context->driver->cuMemcpyHtoD_v2(dst, src, bytes),
                                "cuMemcpyHtoD_v2");
}

mpcuStatus mpcuCopyToHost(mpcuContext *context, void *dst, mpcuDevicePtr src, size_t bytes) {
  if (!context || (!dst && bytes))
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuCopyToHost: null argument");
  if (mpcuStatus status = context->enter())
    return status;
  return context->driver->check(context->driver->cuMemcpyDtoH_v2(dst, src, bytes),
                                "cuMemcpyDtoH_v2");
}

mpcuStatus mpcuCopyDeviceToDevice(mpcuContext *context, mpcuDevicePtr dst, mpcuDevicePtr src,
                                  size_t bytes) {
  if (!context)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuCopyDeviceToDevice: null context");
  if (mpcuStatus status = context->enter())
    return status;
  return context->driver->check(context->driver->cuMemcpyDtoD_v2(dst, src, bytes),
                                "cuMemcpyDtoD_v2");
}

mpcuStatus mpcuCopyFileToDevice(mpcuContext *context, mpcuDevicePtr dst, const char *path,
                                size_t bytes) {
  if (!context || !path)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuCopyFileToDevice: null argument");
  std::vector<char> data;
  if (!readFile(path, data))
    return failWith(MPCU_INVALID_ARGUMENT, "cannot read '%s': %s", path, std::strerror(errno));
  if (data.size() != bytes)
    return failWith(MPCU_INVALID_ARGUMENT, "'%s' holds %zu bytes, expected %zu", path,
                    data.size(), bytes);
  return mpcuCopyToDevice(context, dst, data.data(), bytes);
}

mpcuStatus mpcuMemset(mpcuContext *context, mpcuDevicePtr dst, unsigned char value,
                      size_t bytes) {
  if (!context)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuMemset: null context");
  if (mpcuStatus status = context->enter())
    return status;
  return context->driver->check(context->driver->cuMemsetD8_v2(dst, value, bytes),
                                "cuMemsetD8_v2");
}

mpcuStatus mpcuStreamCreate(mpcuContext *context, mpcuStream **stream) {
  if (!context || !stream)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuStreamCreate: null argument");
  *stream = nullptr;
  if (mpcuStatus status = context->enter())
    return status;
  CUstream handle = nullptr;
  if (mpcuStatus status =
          context->driver->check(context->driver->cuStreamCreate(&handle, 0), "cuStreamCreate"))
    return status;
  *stream = new mpcuStream{context, handle};
  return MPCU_OK;
}

mpcuStatus mpcuStreamSynchronize(mpcuStream *stream) {
  if (!stream)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuStreamSynchronize: null stream");
  if (mpcuStatus status = stream->context->enter())
    return status;
  return stream->context->driver->check(
      stream->context->driver->cuStreamSynchronize(stream->handle), "cuStreamSynchronize");
}

mpcuStatus mpcuStreamDestroy(mpcuStream *stream) {
  if (!stream)
    return MPCU_OK;
  mpcuStatus status = stream->context->enter();
  if (!status)
    status = stream->context->driver->check(
        stream->context->driver->cuStreamDestroy_v2(stream->handle), "cuStreamDestroy_v2");
  delete stream;
  return status;
}

mpcuStatus mpcuEventCreate(mpcuContext *context, mpcuEvent **event) {
  if (!context || !event)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuEventCreate: null argument");
  *event = nullptr;
  if (mpcuStatus status = context->enter())
    return status;
  CUevent handle = nullptr;
  if (mpcuStatus status =
          context->driver->check(context->driver->cuEventCreate(&handle, 0), "cuEventCreate"))
    return status;
  *event = new mpcuEvent{context, handle};
  return MPCU_OK;
}

mpcuStatus mpcuEventRecord(mpcuEvent *event, mpcuStream *stream) {
  if (!event)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuEventRecord: null event");
  if (mpcuStatus status = event->context->enter())
    return status;
  return event->context->driver->check(
      event->context->driver->cuEventRecord(event->handle, stream ? stream->handle : nullptr),
      "cuEventRecord");
}

mpcuStatus mpcuEventElapsed(mpcuEvent *start, mpcuEvent *end, float *milliseconds) {
  if (!start || !end || !milliseconds)
    return failWith(MPCU_INVALID_ARGUMENT, "mpcuEventElapsed: null argument");
  const mpcuDriver *driver = start->context->driver;
  if (mpcuStatus status = start->context->enter())
    return status;
  if (mpcuStatus status = driver->check(driver->cuEventSynchronize(end->handle),
                                        "cuEventSynchronize"))
    return status;
  return driver->check(driver->cuEventElapsedTime(milliseconds, start->handle, end->handle),
                       "cuEventElapsedTime");
}

mpcuStatus mpcuEventDestroy(mpcuEvent *event) {
  if (!event)
    return MPCU_OK;
  mpcuStatus status = event->context->enter();
  if (!status)
    status = event->context->driver->check(
        event->context->driver->cuEventDestroy_v2(event->handle), "cuEventDestroy_v2");
  delete event;
  return status;
}

} // extern "C"

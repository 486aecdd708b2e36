//===- FakeCudaDriver.cpp - a stand-in libcuda for the runtime's tests ----===//
//
// Exports the driver API symbols the runtime resolves, backed by host memory.
// Tests load it in place of libcuda.so.1. It records every call (fakeCudaCalls),
// counts live objects (fakeCudaLiveObjects) so cleanup is checkable, and
// injects failures: fakeCudaFailNext("cuMemAlloc_v2", 2) makes the next call
// of that entry point return 2 (CUDA_ERROR_OUT_OF_MEMORY). Loading PTX that
// contains "SYNTAX_ERROR" fails with a JIT error log.
//
//===----------------------------------------------------------------------===//

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

namespace {
std::mutex mutex;
std::string calls;
std::map<std::string, int> failures;
std::atomic<long> live{0}; // atomic: tests call the driver from several threads
bool initialized = false;

int enter(const char *name) {
  std::lock_guard<std::mutex> lock(mutex);
  calls += name;
  calls += ';';
  auto it = failures.find(name);
  if (it == failures.end())
    return 0;
  int code = it->second;
  failures.erase(it);
  return code;
}

struct Fake {
  int kind;
  std::string image; // a module's PTX text, for kernel lookups
};
} // namespace

#define FAKE_ENTRY(name)                                                               \
  if (int injected = enter(#name))                                                     \
    return injected;

extern "C" {

// Test controls.
const char *fakeCudaCalls() { return calls.c_str(); }
void fakeCudaReset() {
  std::lock_guard<std::mutex> lock(mutex);
  calls.clear();
  failures.clear();
}
void fakeCudaFailNext(const char *name, int code) {
  std::lock_guard<std::mutex> lock(mutex);
  failures[name] = code;
}
long fakeCudaLiveObjects() { return live; }

// The driver API.
int cuInit(unsigned) {
  FAKE_ENTRY(cuInit)
  initialized = true;
  return 0;
}
int cuGetErrorName(int error, const char **name) {
  switch (error) {
  case 2: *name = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
  case 100: *name = "CUDA_ERROR_NO_DEVICE"; return 0;
  case 218: *name = "CUDA_ERROR_INVALID_PTX"; return 0;
  case 719: *name = "CUDA_ERROR_LAUNCH_FAILED"; return 0;
  default: *name = nullptr; return 1;
  }
}
int cuGetErrorString(int error, const char **text) {
  switch (error) {
  case 2: *text = "out of memory"; return 0;
  case 218: *text = "a PTX JIT compilation failed"; return 0;
  case 719: *text = "unspecified launch failure"; return 0;
  default: *text = nullptr; return 1;
  }
}
int cuDeviceGetCount(int *count) {
  FAKE_ENTRY(cuDeviceGetCount)
  *count = initialized ? 2 : 0;
  return 0;
}
int cuDeviceGet(int *device, int ordinal) {
  FAKE_ENTRY(cuDeviceGet)
  *device = ordinal;
  return 0;
}
int cuDeviceGetName(char *name, int length, int device) {
  FAKE_ENTRY(cuDeviceGetName)
  snprintf(name, length, "Fake H200 #%d", device);
  return 0;
}
int cuDeviceGetAttribute(int *value, int attribute, int) {
  FAKE_ENTRY(cuDeviceGetAttribute)
  *value = attribute == 16 ? 132 : attribute == 75 ? 9 : attribute == 76 ? 0 : -1;
  return 0;
}
int cuDeviceTotalMem_v2(size_t *bytes, int) {
  FAKE_ENTRY(cuDeviceTotalMem_v2)
  *bytes = size_t(141) << 30;
  return 0;
}
Fake primaryContexts[2] = {{1}, {1}};
int cuDevicePrimaryCtxRetain(void **context, int device) {
  FAKE_ENTRY(cuDevicePrimaryCtxRetain)
  *context = &primaryContexts[device & 1];
  ++live; // one reference per retain
  return 0;
}
int cuDevicePrimaryCtxRelease_v2(int) {
  FAKE_ENTRY(cuDevicePrimaryCtxRelease_v2)
  --live;
  return 0;
}
int cuCtxSetCurrent(void *) {
  FAKE_ENTRY(cuCtxSetCurrent)
  return 0;
}
int cuCtxSynchronize() {
  FAKE_ENTRY(cuCtxSynchronize)
  return 0;
}
int cuModuleLoadDataEx(void **module, const void *image, unsigned count, int *options,
                       void **values) {
  FAKE_ENTRY(cuModuleLoadDataEx)
  const char *ptx = static_cast<const char *>(image);
  bool bad = std::strstr(ptx, "SYNTAX_ERROR") != nullptr;
  for (unsigned i = 0; i < count; ++i) {
    const char *text = nullptr;
    if (options[i] == 5 && bad) // error log
      text = "ptxas application ptx input, line 3; fatal: Parsing error near 'SYNTAX_ERROR'";
    if (options[i] == 3 && !bad) // info log
      text = "ptxas info: Used 32 registers";
    if (text) {
      size_t size = reinterpret_cast<uintptr_t>(values[i + 1]);
      std::strncpy(static_cast<char *>(values[i]), text, size);
    }
  }
  if (bad)
    return 218;
  *module = new Fake{2, ptx[0] == '/' || ptx[0] == '.' ? std::string(ptx) : std::string()};
  ++live;
  return 0;
}
int cuModuleUnload(void *module) {
  FAKE_ENTRY(cuModuleUnload)
  delete static_cast<Fake *>(module);
  --live;
  return 0;
}
int cuModuleGetFunction(void **function, void *module, const char *name) {
  FAKE_ENTRY(cuModuleGetFunction)
  if (std::strcmp(name, "missing") == 0)
    return 500; // CUDA_ERROR_NOT_FOUND: no name known to the fake
  // In PTX the fake has seen, the kernel must be an entry point.
  const std::string &image = static_cast<Fake *>(module)->image;
  if (!image.empty() && image.find(".entry " + std::string(name) + "(") == std::string::npos)
    return 500;
  *function = reinterpret_cast<void *>(uintptr_t(0x1000));
  return 0;
}
int cuLaunchKernel(void *, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                   void *, void **, void **) {
  FAKE_ENTRY(cuLaunchKernel)
  return 0;
}
int cuMemAlloc_v2(unsigned long long *pointer, size_t bytes) {
  FAKE_ENTRY(cuMemAlloc_v2)
  // Fresh memory reads as 0xFF bytes (NaN in every float format), so results
  // that nothing computed cannot pass for real ones.
  void *memory = malloc(bytes ? bytes : 1);
  std::memset(memory, 0xFF, bytes ? bytes : 1);
  *pointer = reinterpret_cast<uintptr_t>(memory);
  ++live;
  return 0;
}
int cuMemFree_v2(unsigned long long pointer) {
  FAKE_ENTRY(cuMemFree_v2)
  free(reinterpret_cast<void *>(pointer));
  --live;
  return 0;
}
int cuMemcpyHtoD_v2(unsigned long long dst, const void *src, size_t bytes) {
  FAKE_ENTRY(cuMemcpyHtoD_v2)
  std::memcpy(reinterpret_cast<void *>(dst), src, bytes);
  return 0;
}
int cuMemcpyDtoH_v2(void *dst, unsigned long long src, size_t bytes) {
  FAKE_ENTRY(cuMemcpyDtoH_v2)
  std::memcpy(dst, reinterpret_cast<void *>(src), bytes);
  return 0;
}
int cuMemcpyDtoD_v2(unsigned long long dst, unsigned long long src, size_t bytes) {
  FAKE_ENTRY(cuMemcpyDtoD_v2)
  std::memmove(reinterpret_cast<void *>(dst), reinterpret_cast<void *>(src), bytes);
  return 0;
}
int cuMemsetD8_v2(unsigned long long dst, unsigned char value, size_t bytes) {
  FAKE_ENTRY(cuMemsetD8_v2)
  std::memset(reinterpret_cast<void *>(dst), value, bytes);
  return 0;
}
int cuStreamCreate(void **stream, unsigned) {
  FAKE_ENTRY(cuStreamCreate)
  *stream = new Fake{3};
  ++live;
  return 0;
}
int cuStreamSynchronize(void *) {
  FAKE_ENTRY(cuStreamSynchronize)
  return 0;
}
int cuStreamDestroy_v2(void *stream) {
  FAKE_ENTRY(cuStreamDestroy_v2)
  delete static_cast<Fake *>(stream);
  --live;
  return 0;
}
int cuEventCreate(void **event, unsigned) {
  FAKE_ENTRY(cuEventCreate)
  *event = new Fake{4};
  ++live;
  return 0;
}
int cuEventRecord(void *, void *) {
  FAKE_ENTRY(cuEventRecord)
  return 0;
}
int cuEventSynchronize(void *) {
  FAKE_ENTRY(cuEventSynchronize)
  return 0;
}
int cuEventElapsedTime(float *milliseconds, void *, void *) {
  FAKE_ENTRY(cuEventElapsedTime)
  *milliseconds = 1.5f;
  return 0;
}
int cuEventDestroy_v2(void *event) {
  FAKE_ENTRY(cuEventDestroy_v2)
  delete static_cast<Fake *>(event);
  --live;
  return 0;
}

} // extern "C"

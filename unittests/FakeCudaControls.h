//===- FakeCudaControls.h - the fake driver's test controls ----*- C++ -*-===//
//
// The test controls of FakeCudaDriver.cpp, found in the loaded library (the
// same instance the runtime dlopens), shared by the runtime's unit tests.
//
//===----------------------------------------------------------------------===//

#ifndef MP_UNITTESTS_FAKECUDACONTROLS_H
#define MP_UNITTESTS_FAKECUDACONTROLS_H

#include <dlfcn.h>

#include <cstddef>
#include <string>

struct FakeControls {
  void *library = nullptr;
  const char *(*calls)() = nullptr;
  void (*reset)() = nullptr;
  void (*failNext)(const char *, int) = nullptr;
  long (*liveObjects)() = nullptr;

  FakeControls() {
    library = dlopen(MP_FAKE_CUDA_DRIVER, RTLD_NOW | RTLD_LOCAL);
    if (!library)
      return;
    calls = reinterpret_cast<const char *(*)()>(dlsym(library, "fakeCudaCalls"));
    reset = reinterpret_cast<void (*)()>(dlsym(library, "fakeCudaReset"));
    failNext = reinterpret_cast<void (*)(const char *, int)>(dlsym(library, "fakeCudaFailNext"));
    liveObjects = reinterpret_cast<long (*)()>(dlsym(library, "fakeCudaLiveObjects"));
  }
  ~FakeControls() {
    if (library)
      dlclose(library);
  }
};

/// How often `what` (e.g. "cuLaunchKernel;") occurs in a call log.
inline size_t countCalls(const std::string &calls, const std::string &what) {
  size_t n = 0;
  for (size_t at = calls.find(what); at != std::string::npos; at = calls.find(what, at + 1))
    ++n;
  return n;
}

#endif // MP_UNITTESTS_FAKECUDACONTROLS_H

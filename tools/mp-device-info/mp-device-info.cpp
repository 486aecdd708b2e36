//===- mp-device-info.cpp - list CUDA devices through mp's runtime --------===//
//
//   mp-device-info [--driver PATH] [--json]
//
// Opens the CUDA driver with mp's runtime (dlopen; libcuda.so.1 unless
// --driver or MP_CUDA_DRIVER names another) and lists the devices: name,
// compute capability, multiprocessors, memory. Without a driver it says
// "CUDA driver not available: ..." and exits 10; with no device, exit 11;
// other driver errors exit 12. Uses no MLIR: a GPU machine needs only the
// runtime library.
//
//===----------------------------------------------------------------------===//

#include "mp/Runtime/Cuda.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char **argv) {
  const char *path = std::getenv("MP_CUDA_DRIVER");
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--driver") == 0 && i + 1 < argc) {
      path = argv[++i];
    } else if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else {
      std::fprintf(stderr, "usage: mp-device-info [--driver PATH] [--json]\n");
      return 1;
    }
  }
  mpcuDriver *driver = nullptr;
  if (mpcuStatus status = mpcuOpen(path, &driver)) {
    std::fprintf(stderr, "mp-device-info: %s\n", mpcuLastError());
    return status;
  }
  int count = 0;
  if (mpcuStatus status = mpcuDeviceCount(driver, &count)) {
    std::fprintf(stderr, "mp-device-info: %s\n", mpcuLastError());
    mpcuClose(driver);
    return status;
  }
  if (json)
    std::printf("{\"devices\": [");
  for (int i = 0; i < count; ++i) {
    mpcuDeviceInfo info;
    if (mpcuStatus status = mpcuDeviceGetInfo(driver, i, &info)) {
      std::fprintf(stderr, "mp-device-info: %s\n", mpcuLastError());
      mpcuClose(driver);
      return status;
    }
    double gib = double(info.totalMemory) / double(1ull << 30);
    if (json)
      std::printf("%s{\"ordinal\": %d, \"name\": \"%s\", \"compute_capability\": \"%d.%d\", "
                  "\"multiprocessors\": %d, \"memory_bytes\": %llu}",
                  i ? ", " : "", i, info.name, info.computeMajor, info.computeMinor,
                  info.multiprocessors, (unsigned long long)info.totalMemory);
    else
      std::printf("device %d: %s, sm_%d%d, %d SMs, %.1f GiB\n", i, info.name,
                  info.computeMajor, info.computeMinor, info.multiprocessors, gib);
  }
  if (json)
    std::printf("]}\n");
  mpcuClose(driver);
  if (count == 0) {
    std::fprintf(stderr, "mp-device-info: the CUDA driver reports no device\n");
    return MPCU_NO_DEVICE;
  }
  return 0;
}

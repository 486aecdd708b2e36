//===- CudaRun.h - run a compiled artifact on a CUDA device -----*- C++ -*-===//

#ifndef MP_TOOLS_MPRUN_CUDARUN_H
#define MP_TOOLS_MPRUN_CUDARUN_H

#include "Runner.h"

#include "mp/Runtime/Cuda.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mp {

struct DeviceRun {
  std::vector<HostTensor> outputs;
  /// Milliseconds of each timed run (CUDA events around mp_model_run).
  std::vector<double> milliseconds;
  /// Weights and arena held on the device.
  size_t deviceBytes = 0;
  double loadSeconds = 0;
};

/// The CUDA driver, one device and its context, through the runtime's C API.
class CudaDevice {
public:
  CudaDevice() = default;
  CudaDevice(const CudaDevice &) = delete;
  CudaDevice &operator=(const CudaDevice &) = delete;
  ~CudaDevice();

  /// Loads the driver (`driverPath`, empty: libcuda.so.1) and retains the
  /// device's primary context; on failure mpcuLastError() says what is missing.
  mpcuStatus open(const std::string &driverPath, int ordinal);
  const mpcuDeviceInfo &info() const { return deviceInfo; }
  /// The mp target for this device (sm_80, sm_86, sm_89, sm_90a), or empty.
  std::string chip() const;

  /// Loads the artifact in `dir`, runs it on `inputs` once, then `repeat`
  /// more times for timing, and returns the outputs of the first run.
  llvm::Expected<DeviceRun> runArtifact(llvm::StringRef dir, llvm::ArrayRef<HostTensor> inputs,
                                        llvm::ArrayRef<mlir::RankedTensorType> outputTypes,
                                        unsigned repeat);

private:
  mpcuDriver *driver = nullptr;
  mpcuContext *context = nullptr;
  mpcuDeviceInfo deviceInfo{};
};

} // namespace mp

#endif // MP_TOOLS_MPRUN_CUDARUN_H

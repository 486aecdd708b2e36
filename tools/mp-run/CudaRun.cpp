//===- CudaRun.cpp - run a compiled artifact on a CUDA device --------------===//

#include "CudaRun.h"

#include "mp/Runtime/Model.h"

#include <algorithm>
#include <chrono>
#include <memory>

using namespace mp;

namespace {

llvm::Error runtimeError(const llvm::Twine &what, mpcuStatus status) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 what + ": " + mpcuStatusName(status) + ": " + mpcuLastError());
}

/// Device buffers freed on every path.
struct DeviceBuffers {
  mpcuContext *context;
  std::vector<mpcuDevicePtr> pointers;
  ~DeviceBuffers() {
    for (mpcuDevicePtr p : pointers)
      mpcuFree(context, p);
  }
};

} // namespace

CudaDevice::~CudaDevice() {
  if (context)
    mpcuContextRelease(context);
  mpcuClose(driver);
}

mpcuStatus CudaDevice::open(const std::string &driverPath, int ordinal) {
  if (mpcuStatus status = mpcuOpen(driverPath.empty() ? nullptr : driverPath.c_str(), &driver))
    return status;
  int count = 0;
  if (mpcuStatus status = mpcuDeviceCount(driver, &count))
    return status;
  if (ordinal < 0 || ordinal >= count) {
    std::string message = "no CUDA device " + std::to_string(ordinal) + " (" +
                          std::to_string(count) + " found)";
    return mpcuSetError(MPCU_NO_DEVICE, message.c_str());
  }
  if (mpcuStatus status = mpcuDeviceGetInfo(driver, ordinal, &deviceInfo))
    return status;
  return mpcuContextCreate(driver, ordinal, &context);
}

std::string CudaDevice::chip() const {
  int cc = deviceInfo.computeMajor * 10 + deviceInfo.computeMinor;
  switch (cc) {
  case 80: return "sm_80";
  case 86: return "sm_86";
  case 87: return "sm_80"; // Orin: the sm_80 ISA
  case 89: return "sm_89";
  case 90: return "sm_90a";
  default: return "";
  }
}

llvm::Expected<DeviceRun> CudaDevice::runArtifact(llvm::StringRef dir,
                                                  llvm::ArrayRef<HostTensor> inputs,
                                                  llvm::ArrayRef<mlir::RankedTensorType> outputTypes,
                                                  unsigned repeat) {
  auto start = std::chrono::steady_clock::now();
  mpArtifact *opened = nullptr;
  if (mpcuStatus status = mpArtifactOpen(dir.str().c_str(), &opened))
    return runtimeError("opening the artifact", status);
  std::unique_ptr<mpArtifact, void (*)(mpArtifact *)> artifact(opened, mpArtifactClose);
  if (mpArtifactNumInputs(opened) != int(inputs.size()) ||
      mpArtifactNumOutputs(opened) != int(outputTypes.size()))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the artifact takes " + std::to_string(mpArtifactNumInputs(opened)) + " inputs and " +
            std::to_string(mpArtifactNumOutputs(opened)) + " outputs, the model " +
            std::to_string(inputs.size()) + " and " + std::to_string(outputTypes.size()));

  DeviceBuffers in{context, {}}, out{context, {}};
  for (auto [i, input] : llvm::enumerate(inputs)) {
    size_t bytes = mpArtifactInputBytes(opened, i);
    if (bytes != input.bytes.size())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "input " + std::to_string(i) + " has " +
                                         std::to_string(input.bytes.size()) +
                                         " bytes, the artifact expects " + std::to_string(bytes));
    mpcuDevicePtr pointer = 0;
    if (mpcuStatus status = mpcuMalloc(context, bytes, &pointer))
      return runtimeError("allocating input " + std::to_string(i), status);
    in.pointers.push_back(pointer);
    if (mpcuStatus status = mpcuCopyToDevice(context, pointer, input.bytes.data(), bytes))
      return runtimeError("copying input " + std::to_string(i), status);
  }
  DeviceRun result;
  for (auto [i, type] : llvm::enumerate(outputTypes)) {
    HostTensor tensor = HostTensor::zeros(type.getElementType(), type.getShape());
    size_t bytes = mpArtifactOutputBytes(opened, i);
    if (bytes != tensor.bytes.size())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "output " + std::to_string(i) + " has " +
                                         std::to_string(tensor.bytes.size()) +
                                         " bytes in the model, the artifact writes " +
                                         std::to_string(bytes));
    mpcuDevicePtr pointer = 0;
    if (mpcuStatus status = mpcuMalloc(context, bytes, &pointer))
      return runtimeError("allocating output " + std::to_string(i), status);
    out.pointers.push_back(pointer);
    result.outputs.push_back(std::move(tensor));
  }

  mpModelInstance *instance = nullptr;
  if (mpcuStatus status = mpArtifactCreate(opened, context, &instance))
    return runtimeError("loading the model", status);
  std::unique_ptr<mpModelInstance, std::function<void(mpModelInstance *)>> owned(
      instance, [&](mpModelInstance *m) { mpArtifactDestroy(opened, m); });
  result.deviceBytes = mpArtifactDeviceBytes(opened);
  mpcuStream *stream = nullptr;
  if (mpcuStatus status = mpcuStreamCreate(context, &stream))
    return runtimeError("creating a stream", status);
  std::unique_ptr<mpcuStream, mpcuStatus (*)(mpcuStream *)> streamOwner(stream,
                                                                       mpcuStreamDestroy);
  result.loadSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // The checked run.
  if (mpcuStatus status = mpArtifactRun(opened, instance, stream, in.pointers.data(),
                                        out.pointers.data()))
    return runtimeError("running the model", status);
  if (mpcuStatus status = mpcuStreamSynchronize(stream))
    return runtimeError("running the model", status);
  for (auto [i, tensor] : llvm::enumerate(result.outputs))
    if (mpcuStatus status = mpcuCopyToHost(context, tensor.bytes.data(), out.pointers[i],
                                           tensor.bytes.size()))
      return runtimeError("copying output " + std::to_string(i), status);

  // Timed runs.
  mpcuEvent *begin = nullptr, *end = nullptr;
  if (mpcuStatus status = mpcuEventCreate(context, &begin))
    return runtimeError("creating an event", status);
  std::unique_ptr<mpcuEvent, mpcuStatus (*)(mpcuEvent *)> beginOwner(begin, mpcuEventDestroy);
  if (mpcuStatus status = mpcuEventCreate(context, &end))
    return runtimeError("creating an event", status);
  std::unique_ptr<mpcuEvent, mpcuStatus (*)(mpcuEvent *)> endOwner(end, mpcuEventDestroy);
  for (unsigned r = 0; r < repeat; ++r) {
    float ms = 0;
    mpcuStatus status = mpcuEventRecord(begin, stream);
    if (!status)
      status = mpArtifactRun(opened, instance, stream, in.pointers.data(), out.pointers.data());
    if (!status)
      status = mpcuEventRecord(end, stream);
    if (!status)
      status = mpcuEventElapsed(begin, end, &ms);
    if (status)
      return runtimeError("timing the model", status);
    result.milliseconds.push_back(ms);
  }
  return result;
}

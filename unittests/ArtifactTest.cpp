//===- ArtifactTest.cpp - compiled models against the fake driver ---------===//
//
// Compiles the shipped transformer block with mp-compile, then loads and runs
// the artifact through the runtime's loader against the fake driver: every
// kernel is found in its PTX, every launch is issued, every object is freed,
// and injected failures (out of memory, JIT errors, launch failures, damaged
// files) come back as statuses with messages naming the step, without leaks.
//
//===----------------------------------------------------------------------===//

#include "mp/Runtime/Model.h"

#include "FakeCudaControls.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace {

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ArtifactTest : public ::testing::Test {
protected:
  static std::string dir;

  static void SetUpTestSuite() {
    char pattern[] = "/tmp/mp-artifact-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir = pattern;
    std::string command = std::string(MP_COMPILE) + " " + MP_EXAMPLE + " -o " + dir +
                          " --chip sm_80 --cubin=never > " + dir + "/compile.log 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << readFile(dir + "/compile.log");
  }
  static void TearDownTestSuite() {
    std::string command = "rm -rf " + dir;
    (void)std::system(command.c_str());
  }

  void SetUp() override {
    ASSERT_NE(fake.library, nullptr);
    ASSERT_EQ(mpcuOpen(MP_FAKE_CUDA_DRIVER, &driver), MPCU_OK) << mpcuLastError();
    ASSERT_EQ(mpcuContextCreate(driver, 0, &context), MPCU_OK) << mpcuLastError();
    baseline = fake.liveObjects();
    fake.reset();
  }
  void TearDown() override {
    EXPECT_EQ(fake.liveObjects(), baseline) << "leaked driver objects";
    mpcuContextRelease(context);
    mpcuClose(driver);
  }

  FakeControls fake;
  mpcuDriver *driver = nullptr;
  mpcuContext *context = nullptr;
  long baseline = 0;
};
std::string ArtifactTest::dir;

TEST_F(ArtifactTest, RunsEveryLaunchAndFreesEverything) {
  mpArtifact *artifact = nullptr;
  ASSERT_EQ(mpArtifactOpen(dir.c_str(), &artifact), MPCU_OK) << mpcuLastError();
  ASSERT_EQ(mpArtifactNumInputs(artifact), 1);
  ASSERT_EQ(mpArtifactNumOutputs(artifact), 1);
  EXPECT_EQ(mpArtifactInputBytes(artifact, 0), 16u * 64 * 2);  // bf16
  EXPECT_EQ(mpArtifactOutputBytes(artifact, 0), 16u * 64 * 4); // f32
  EXPECT_EQ(mpArtifactInputBytes(artifact, 1), 0u);
  std::string weights = readFile(dir + "/weights.bin");
  EXPECT_GT(mpArtifactDeviceBytes(artifact), weights.size());

  mpModelInstance *instance = nullptr;
  ASSERT_EQ(mpArtifactCreate(artifact, context, &instance), MPCU_OK) << mpcuLastError();
  std::string calls = fake.calls();
  // 11 distinct kernels, each looked up in the PTX it was loaded from (the
  // fake refuses names that are not an .entry), and the weights uploaded.
  EXPECT_EQ(countCalls(calls, "cuModuleLoadDataEx;"), 11u);
  EXPECT_EQ(countCalls(calls, "cuModuleGetFunction;"), 11u);
  EXPECT_EQ(countCalls(calls, "cuMemcpyHtoD_v2;"), 1u);

  mpcuDevicePtr in = 0, out = 0;
  ASSERT_EQ(mpcuMalloc(context, mpArtifactInputBytes(artifact, 0), &in), MPCU_OK);
  ASSERT_EQ(mpcuMalloc(context, mpArtifactOutputBytes(artifact, 0), &out), MPCU_OK);
  fake.reset();
  ASSERT_EQ(mpArtifactRun(artifact, instance, nullptr, &in, &out), MPCU_OK) << mpcuLastError();
  EXPECT_EQ(countCalls(fake.calls(), "cuLaunchKernel;"), 11u);
  EXPECT_EQ(mpArtifactRun(artifact, instance, nullptr, nullptr, &out), MPCU_INVALID_ARGUMENT);
  mpcuFree(context, in);
  mpcuFree(context, out);
  mpArtifactDestroy(artifact, instance);
  mpArtifactClose(artifact);
}

TEST_F(ArtifactTest, OutOfMemoryWhileLoadingIsCleanedUp) {
  mpArtifact *artifact = nullptr;
  ASSERT_EQ(mpArtifactOpen(dir.c_str(), &artifact), MPCU_OK) << mpcuLastError();
  fake.failNext("cuMemAlloc_v2", 2); // CUDA_ERROR_OUT_OF_MEMORY, on the weights
  mpModelInstance *instance = reinterpret_cast<mpModelInstance *>(0x1);
  EXPECT_EQ(mpArtifactCreate(artifact, context, &instance), MPCU_DRIVER_ERROR);
  EXPECT_EQ(instance, nullptr);
  std::string message = mpcuLastError();
  EXPECT_NE(message.find("uploading the weights: cuMemAlloc_v2"), std::string::npos) << message;
  EXPECT_NE(message.find("CUDA_ERROR_OUT_OF_MEMORY"), std::string::npos) << message;
  // Everything loaded before the failure (11 modules) was unloaded.
  EXPECT_EQ(countCalls(fake.calls(), "cuModuleUnload;"), 11u);
  mpArtifactClose(artifact);
}

TEST_F(ArtifactTest, LaunchFailureNamesTheLaunch) {
  mpArtifact *artifact = nullptr;
  ASSERT_EQ(mpArtifactOpen(dir.c_str(), &artifact), MPCU_OK);
  mpModelInstance *instance = nullptr;
  ASSERT_EQ(mpArtifactCreate(artifact, context, &instance), MPCU_OK) << mpcuLastError();
  mpcuDevicePtr in = 0, out = 0;
  ASSERT_EQ(mpcuMalloc(context, 4096, &in), MPCU_OK);
  ASSERT_EQ(mpcuMalloc(context, 4096, &out), MPCU_OK);
  fake.failNext("cuLaunchKernel", 719); // CUDA_ERROR_LAUNCH_FAILED
  EXPECT_EQ(mpArtifactRun(artifact, instance, nullptr, &in, &out), MPCU_DRIVER_ERROR);
  std::string message = mpcuLastError();
  EXPECT_EQ(message.rfind("launch 0 (encoder_kernel::encoder_kernel): cuLaunchKernel(grid 1x1x4, "
                          "block 128x1x1, 0 shared bytes)",
                          0),
            0u)
      << message;
  EXPECT_NE(message.find("unspecified launch failure"), std::string::npos) << message;
  mpcuFree(context, in);
  mpcuFree(context, out);
  mpArtifactDestroy(artifact, instance);
  mpArtifactClose(artifact);
}

TEST_F(ArtifactTest, DamagedFilesAreReported) {
  // A copy of the artifact with bad PTX in one module, then a short weights file.
  char pattern[] = "/tmp/mp-artifact-damaged-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  std::string copy = pattern;
  ASSERT_EQ(std::system(("cp -r " + dir + "/. " + copy).c_str()), 0);
  std::string ptxPath = copy + "/encoder_kernel_5.sm_80.ptx";
  std::string ptx = readFile(ptxPath);
  ASSERT_FALSE(ptx.empty());
  std::ofstream(ptxPath, std::ios::binary) << ptx << "\nSYNTAX_ERROR\n";

  mpArtifact *artifact = nullptr;
  ASSERT_EQ(mpArtifactOpen(copy.c_str(), &artifact), MPCU_OK);
  mpModelInstance *instance = nullptr;
  EXPECT_EQ(mpArtifactCreate(artifact, context, &instance), MPCU_JIT_ERROR);
  std::string message = mpcuLastError();
  EXPECT_NE(message.find("loading kernels 'encoder_kernel_5.sm_80'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("encoder_kernel_5.sm_80.ptx"), std::string::npos) << message;
  EXPECT_NE(message.find("JIT error log:"), std::string::npos) << message;

  std::ofstream(ptxPath, std::ios::binary) << ptx; // repaired
  std::string weights = readFile(copy + "/weights.bin");
  std::ofstream(copy + "/weights.bin", std::ios::binary) << weights.substr(0, 100);
  EXPECT_EQ(mpArtifactCreate(artifact, context, &instance), MPCU_INVALID_ARGUMENT);
  message = mpcuLastError();
  EXPECT_NE(message.find("weights.bin' holds 100 bytes, expected " +
                         std::to_string(weights.size())),
            std::string::npos)
      << message;
  mpArtifactClose(artifact);
  (void)std::system(("rm -rf " + copy).c_str());
}

TEST_F(ArtifactTest, MissingOrForeignLibrariesAreRefused) {
  mpArtifact *artifact = reinterpret_cast<mpArtifact *>(0x1);
  EXPECT_EQ(mpArtifactOpen("/nonexistent", &artifact), MPCU_INVALID_ARGUMENT);
  EXPECT_EQ(artifact, nullptr);
  EXPECT_NE(std::string(mpcuLastError()).find("cannot load the compiled model"),
            std::string::npos);
  EXPECT_EQ(mpArtifactOpen(nullptr, &artifact), MPCU_INVALID_ARGUMENT);
}

TEST_F(ArtifactTest, InstancesRunFromSeveralThreads) {
  mpArtifact *artifact = nullptr;
  ASSERT_EQ(mpArtifactOpen(dir.c_str(), &artifact), MPCU_OK);
  mpcuStatus results[2] = {MPCU_INVALID_ARGUMENT, MPCU_INVALID_ARGUMENT};
  auto work = [&](int t) {
    mpModelInstance *instance = nullptr;
    mpcuDevicePtr in = 0, out = 0;
    mpcuStatus s = mpArtifactCreate(artifact, context, &instance);
    if (!s)
      s = mpcuMalloc(context, 4096, &in);
    if (!s)
      s = mpcuMalloc(context, 4096, &out);
    for (int i = 0; i < 20 && !s; ++i)
      s = mpArtifactRun(artifact, instance, nullptr, &in, &out);
    mpcuFree(context, in);
    mpcuFree(context, out);
    mpArtifactDestroy(artifact, instance);
    results[t] = s;
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  EXPECT_EQ(results[0], MPCU_OK);
  EXPECT_EQ(results[1], MPCU_OK);
  EXPECT_EQ(countCalls(fake.calls(), "cuLaunchKernel;"), 2u * 20 * 11);
  mpArtifactClose(artifact);
}

} // namespace

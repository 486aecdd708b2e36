//===- CudaRuntimeTest.cpp - the CUDA runtime without a GPU ---------------===//
//
// Every error path with the driver absent, and call sequences, cleanup and
// messages against a fake driver (FakeCudaDriver.cpp) that injects failures.
//
//===----------------------------------------------------------------------===//

#include "mp/Runtime/Cuda.h"

#include "FakeCudaControls.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>

namespace {

std::string lastError() { return mpcuLastError(); }

TEST(CudaRuntime, MissingDriverIsAStatusNotACrash) {
  mpcuDriver *driver = reinterpret_cast<mpcuDriver *>(0x1);
  EXPECT_EQ(mpcuOpen("/nonexistent/libcuda.so.1", &driver), MPCU_NO_DRIVER);
  EXPECT_EQ(driver, nullptr);
  EXPECT_EQ(lastError().rfind("CUDA driver not available: ", 0), 0u) << lastError();
  EXPECT_STREQ(mpcuStatusName(MPCU_NO_DRIVER), "MPCU_NO_DRIVER");
}

TEST(CudaRuntime, LibraryWithoutTheDriverSymbolsIsNoDriver) {
  // libm is a real shared library that is not a CUDA driver.
  mpcuDriver *driver = nullptr;
  EXPECT_EQ(mpcuOpen("libm.so.6", &driver), MPCU_NO_DRIVER);
  EXPECT_NE(lastError().find("lacks the symbol cuInit"), std::string::npos) << lastError();
}

TEST(CudaRuntime, NullArgumentsAreInvalid) {
  EXPECT_EQ(mpcuOpen(nullptr, nullptr), MPCU_INVALID_ARGUMENT);
  int count;
  EXPECT_EQ(mpcuDeviceCount(nullptr, &count), MPCU_INVALID_ARGUMENT);
  EXPECT_EQ(mpcuMalloc(nullptr, 16, nullptr), MPCU_INVALID_ARGUMENT);
  EXPECT_EQ(mpcuLaunch(nullptr, nullptr, nullptr, nullptr, 0, nullptr, nullptr),
            MPCU_INVALID_ARGUMENT);
}

class FakeDriver : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_NE(fake.library, nullptr) << dlerror();
    fake.reset();
    ASSERT_EQ(mpcuOpen(MP_FAKE_CUDA_DRIVER, &driver), MPCU_OK) << lastError();
  }
  void TearDown() override {
    mpcuClose(driver);
    EXPECT_EQ(fake.liveObjects(), 0) << "driver objects leaked: " << fake.calls();
  }
  FakeControls fake;
  mpcuDriver *driver = nullptr;
};

TEST_F(FakeDriver, QueriesDevices) {
  int count = 0;
  ASSERT_EQ(mpcuDeviceCount(driver, &count), MPCU_OK);
  EXPECT_EQ(count, 2);
  mpcuDeviceInfo info;
  ASSERT_EQ(mpcuDeviceGetInfo(driver, 1, &info), MPCU_OK) << lastError();
  EXPECT_STREQ(info.name, "Fake H200 #1");
  EXPECT_EQ(info.computeMajor, 9);
  EXPECT_EQ(info.computeMinor, 0);
  EXPECT_EQ(info.multiprocessors, 132);
  EXPECT_EQ(info.totalMemory, uint64_t(141) << 30);
  EXPECT_EQ(mpcuDeviceGetInfo(driver, 2, &info), MPCU_NO_DEVICE);
  EXPECT_EQ(lastError(), "no CUDA device 2 (the driver reports 2)");
}

TEST_F(FakeDriver, LoadsLaunchesCopiesAndCleansUp) {
  mpcuContext *context = nullptr;
  ASSERT_EQ(mpcuContextCreate(driver, 0, &context), MPCU_OK) << lastError();
  const char *ptx = ".version 8.0\n.target sm_80\n.address_size 64\n.visible .entry axpy(\n";
  mpcuModule *module = nullptr;
  char info[256];
  ASSERT_EQ(mpcuModuleLoad(context, ptx, strlen(ptx) + 1, &module, info, sizeof(info)), MPCU_OK)
      << lastError();
  EXPECT_STREQ(info, "ptxas info: Used 32 registers");
  mpcuKernel kernel = nullptr;
  ASSERT_EQ(mpcuModuleGetKernel(module, "axpy", &kernel), MPCU_OK);
  float host[4] = {1, 2, 3, 4}, back[4] = {};
  mpcuDevicePtr device = 0;
  ASSERT_EQ(mpcuMalloc(context, sizeof(host), &device), MPCU_OK);
  ASSERT_EQ(mpcuCopyToDevice(context, device, host, sizeof(host)), MPCU_OK);
  ASSERT_EQ(mpcuCopyToHost(context, back, device, sizeof(back)), MPCU_OK);
  EXPECT_EQ(memcmp(host, back, sizeof(host)), 0);
  ASSERT_EQ(mpcuMemset(context, device, 0, sizeof(host)), MPCU_OK);
  ASSERT_EQ(mpcuCopyToHost(context, back, device, sizeof(back)), MPCU_OK);
  EXPECT_EQ(back[3], 0.0f);
  mpcuStream *stream = nullptr;
  mpcuEvent *start = nullptr, *end = nullptr;
  ASSERT_EQ(mpcuStreamCreate(context, &stream), MPCU_OK);
  ASSERT_EQ(mpcuEventCreate(context, &start), MPCU_OK);
  ASSERT_EQ(mpcuEventCreate(context, &end), MPCU_OK);
  unsigned grid[3] = {4, 1, 1}, block[3] = {128, 1, 1};
  void *args[] = {&device};
  ASSERT_EQ(mpcuEventRecord(start, stream), MPCU_OK);
  ASSERT_EQ(mpcuLaunch(context, kernel, grid, block, 0, stream, args), MPCU_OK);
  ASSERT_EQ(mpcuEventRecord(end, stream), MPCU_OK);
  float ms = 0;
  ASSERT_EQ(mpcuEventElapsed(start, end, &ms), MPCU_OK);
  EXPECT_EQ(ms, 1.5f);
  ASSERT_EQ(mpcuStreamSynchronize(stream), MPCU_OK);
  EXPECT_EQ(mpcuEventDestroy(start), MPCU_OK);
  EXPECT_EQ(mpcuEventDestroy(end), MPCU_OK);
  EXPECT_EQ(mpcuStreamDestroy(stream), MPCU_OK);
  EXPECT_EQ(mpcuFree(context, device), MPCU_OK);
  EXPECT_EQ(mpcuModuleUnload(module), MPCU_OK);
  EXPECT_EQ(mpcuContextRelease(context), MPCU_OK);
  // Each call makes the context current on the calling thread first.
  std::string calls = fake.calls();
  EXPECT_NE(calls.find("cuCtxSetCurrent;cuLaunchKernel;"), std::string::npos) << calls;
  EXPECT_NE(calls.find("cuCtxSetCurrent;cuMemAlloc_v2;"), std::string::npos) << calls;
}

TEST_F(FakeDriver, OutOfMemoryNamesTheCallAndTheError) {
  mpcuContext *context = nullptr;
  ASSERT_EQ(mpcuContextCreate(driver, 0, &context), MPCU_OK);
  fake.failNext("cuMemAlloc_v2", 2);
  mpcuDevicePtr device = 123;
  EXPECT_EQ(mpcuMalloc(context, 1 << 20, &device), MPCU_DRIVER_ERROR);
  EXPECT_EQ(device, 0u);
  EXPECT_EQ(lastError(),
            "cuMemAlloc_v2 (1048576 bytes): CUDA_ERROR_OUT_OF_MEMORY (2): out of memory");
  EXPECT_EQ(mpcuContextRelease(context), MPCU_OK);
}

TEST_F(FakeDriver, JitErrorsCarryTheLog) {
  mpcuContext *context = nullptr;
  ASSERT_EQ(mpcuContextCreate(driver, 0, &context), MPCU_OK);
  const char *ptx = ".version 8.0\nSYNTAX_ERROR\n";
  mpcuModule *module = nullptr;
  EXPECT_EQ(mpcuModuleLoad(context, ptx, strlen(ptx) + 1, &module, nullptr, 0), MPCU_JIT_ERROR);
  EXPECT_EQ(module, nullptr);
  EXPECT_NE(lastError().find("cuModuleLoadDataEx: CUDA_ERROR_INVALID_PTX (218)"),
            std::string::npos)
      << lastError();
  EXPECT_NE(lastError().find("JIT error log:\nptxas application ptx input, line 3; fatal"),
            std::string::npos)
      << lastError();
  EXPECT_EQ(mpcuContextRelease(context), MPCU_OK);
}

TEST_F(FakeDriver, LaunchFailureAndUnknownErrorCodes) {
  mpcuContext *context = nullptr;
  ASSERT_EQ(mpcuContextCreate(driver, 0, &context), MPCU_OK);
  unsigned grid[3] = {1, 1, 1}, block[3] = {32, 1, 1};
  fake.failNext("cuLaunchKernel", 719);
  EXPECT_EQ(mpcuLaunch(context, reinterpret_cast<mpcuKernel>(0x1000), grid, block, 0, nullptr,
                       nullptr),
            MPCU_DRIVER_ERROR);
  EXPECT_EQ(lastError(), "cuLaunchKernel(grid 1x1x1, block 32x1x1, 0 shared bytes): "
                         "CUDA_ERROR_LAUNCH_FAILED (719): unspecified launch failure");
  mpcuModule *module = nullptr;
  const char *ptx = ".version 8.0\n";
  ASSERT_EQ(mpcuModuleLoad(context, ptx, strlen(ptx) + 1, &module, nullptr, 0), MPCU_OK);
  mpcuKernel kernel;
  EXPECT_EQ(mpcuModuleGetKernel(module, "missing", &kernel), MPCU_DRIVER_ERROR);
  EXPECT_EQ(lastError(), "cuModuleGetFunction('missing'): unknown CUDA error (500)");
  EXPECT_EQ(mpcuModuleUnload(module), MPCU_OK);
  EXPECT_EQ(mpcuContextRelease(context), MPCU_OK);
}

TEST_F(FakeDriver, FailedContextCreationReleasesWhatItRetained) {
  fake.failNext("cuCtxSetCurrent", 2);
  mpcuContext *context = nullptr;
  EXPECT_EQ(mpcuContextCreate(driver, 0, &context), MPCU_DRIVER_ERROR);
  EXPECT_EQ(context, nullptr);
  // TearDown checks that the retained primary context was released.
}

TEST_F(FakeDriver, ErrorsArePerThread) {
  mpcuContext *context = nullptr;
  ASSERT_EQ(mpcuContextCreate(driver, 0, &context), MPCU_OK);
  fake.failNext("cuMemAlloc_v2", 2);
  mpcuDevicePtr device;
  EXPECT_EQ(mpcuMalloc(context, 64, &device), MPCU_DRIVER_ERROR);
  std::string other = "unset";
  std::thread([&] {
    mpcuDevicePtr mine = 0;
    EXPECT_EQ(mpcuMalloc(context, 64, &mine), MPCU_OK);
    other = mpcuLastError();
    EXPECT_EQ(mpcuFree(context, mine), MPCU_OK);
  }).join();
  EXPECT_EQ(other, "");
  EXPECT_NE(lastError().find("CUDA_ERROR_OUT_OF_MEMORY"), std::string::npos);
  EXPECT_EQ(mpcuContextRelease(context), MPCU_OK);
}

TEST_F(FakeDriver, PoolReusesBlocksAndFreesEverything) {
  mpcuContext *context = nullptr;
  ASSERT_EQ(mpcuContextCreate(driver, 0, &context), MPCU_OK) << lastError();
  mpcuPool *pool = nullptr;
  ASSERT_EQ(mpcuPoolCreate(context, &pool), MPCU_OK);
  fake.reset();
  mpcuDevicePtr a = 0, b = 0, c = 0;
  ASSERT_EQ(mpcuPoolAlloc(pool, 1000, &a), MPCU_OK);
  ASSERT_EQ(mpcuPoolAlloc(pool, 5000, &b), MPCU_OK);
  ASSERT_EQ(mpcuPoolFree(pool, a), MPCU_OK);
  // 900 bytes (rounded to 1024) fit the cached 1024-byte block: no driver call.
  ASSERT_EQ(mpcuPoolAlloc(pool, 900, &c), MPCU_OK);
  EXPECT_EQ(c, a);
  EXPECT_EQ(countCalls(fake.calls(), "cuMemAlloc_v2;"), 2u);
  mpcuPoolStats stats;
  ASSERT_EQ(mpcuPoolGetStats(pool, &stats), MPCU_OK);
  EXPECT_EQ(stats.liveBytes, 1024u + 5120u);
  EXPECT_EQ(stats.cachedBytes, 0u);
  EXPECT_EQ(stats.driverAllocations, 2u);
  EXPECT_EQ(stats.reuses, 1u);
  // A block much larger than the request is not handed out.
  ASSERT_EQ(mpcuPoolFree(pool, b), MPCU_OK);
  mpcuDevicePtr d = 0;
  ASSERT_EQ(mpcuPoolAlloc(pool, 256, &d), MPCU_OK);
  EXPECT_NE(d, b);
  // Double frees and foreign pointers are errors, not corruption.
  ASSERT_EQ(mpcuPoolFree(pool, d), MPCU_OK);
  EXPECT_EQ(mpcuPoolFree(pool, d), MPCU_INVALID_ARGUMENT);
  EXPECT_EQ(mpcuPoolFree(pool, 0x1234), MPCU_INVALID_ARGUMENT);
  // Destroy frees live (c) and cached (b, d) blocks alike.
  ASSERT_EQ(mpcuPoolDestroy(pool), MPCU_OK);
  EXPECT_EQ(countCalls(fake.calls(), "cuMemFree_v2;"), 3u);
  ASSERT_EQ(mpcuContextRelease(context), MPCU_OK);
}

TEST_F(FakeDriver, PoolOutOfMemoryReturnsCachedBlocksAndRetries) {
  mpcuContext *context = nullptr;
  ASSERT_EQ(mpcuContextCreate(driver, 0, &context), MPCU_OK) << lastError();
  mpcuPool *pool = nullptr;
  ASSERT_EQ(mpcuPoolCreate(context, &pool), MPCU_OK);
  mpcuDevicePtr a = 0, b = 0;
  ASSERT_EQ(mpcuPoolAlloc(pool, 4096, &a), MPCU_OK);
  ASSERT_EQ(mpcuPoolFree(pool, a), MPCU_OK);
  fake.failNext("cuMemAlloc_v2", 2); // the first try fails, the retry succeeds
  ASSERT_EQ(mpcuPoolAlloc(pool, 1 << 20, &b), MPCU_OK) << lastError();
  mpcuPoolStats stats;
  ASSERT_EQ(mpcuPoolGetStats(pool, &stats), MPCU_OK);
  EXPECT_EQ(stats.cachedBytes, 0u) << "the cached block went back to the driver";
  ASSERT_EQ(mpcuPoolFree(pool, b), MPCU_OK);
  // Without cached blocks to return, out of memory is reported.
  ASSERT_EQ(mpcuPoolTrim(pool), MPCU_OK);
  fake.failNext("cuMemAlloc_v2", 2);
  mpcuDevicePtr c = 0;
  EXPECT_EQ(mpcuPoolAlloc(pool, 64, &c), MPCU_DRIVER_ERROR);
  EXPECT_NE(lastError().find("CUDA_ERROR_OUT_OF_MEMORY"), std::string::npos) << lastError();
  ASSERT_EQ(mpcuPoolDestroy(pool), MPCU_OK);
  ASSERT_EQ(mpcuContextRelease(context), MPCU_OK);
}

TEST_F(FakeDriver, PoolIsThreadSafe) {
  mpcuContext *context = nullptr;
  ASSERT_EQ(mpcuContextCreate(driver, 0, &context), MPCU_OK) << lastError();
  mpcuPool *pool = nullptr;
  ASSERT_EQ(mpcuPoolCreate(context, &pool), MPCU_OK);
  auto work = [&] {
    for (int i = 0; i < 200; ++i) {
      mpcuDevicePtr p = 0;
      if (mpcuPoolAlloc(pool, 256 * (1 + i % 7), &p) == MPCU_OK)
        mpcuPoolFree(pool, p);
    }
  };
  std::thread t1(work), t2(work), t3(work);
  t1.join();
  t2.join();
  t3.join();
  mpcuPoolStats stats;
  ASSERT_EQ(mpcuPoolGetStats(pool, &stats), MPCU_OK);
  EXPECT_EQ(stats.liveBytes, 0u);
  EXPECT_EQ(stats.reuses + stats.driverAllocations, 600u);
  EXPECT_LE(stats.driverAllocations, 21u); // at most 7 sizes x 3 threads
  ASSERT_EQ(mpcuPoolDestroy(pool), MPCU_OK);
  ASSERT_EQ(mpcuContextRelease(context), MPCU_OK);
}

TEST(CudaRuntime, InitFailureIsNoDriver) {
  FakeControls fake;
  ASSERT_NE(fake.library, nullptr);
  fake.reset();
  fake.failNext("cuInit", 100);
  mpcuDriver *driver = nullptr;
  EXPECT_EQ(mpcuOpen(MP_FAKE_CUDA_DRIVER, &driver), MPCU_NO_DRIVER);
  EXPECT_EQ(lastError(), "CUDA driver not available: cuInit: CUDA_ERROR_NO_DEVICE (100)");
}

} // namespace

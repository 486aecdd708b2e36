/*===- Cuda.h - the CUDA driver, loaded at run time (C API) --------*- C -*-===*
 *
 * A small C API over the CUDA driver for running what mp compiles. The driver
 * (libcuda.so.1) is opened with dlopen, never linked, so programs start and
 * fail cleanly where there is none: mpcuOpen returns MPCU_NO_DRIVER with
 * "CUDA driver not available: ...". Every call returns a status; on failure
 * mpcuLastError() (per thread) names the operation and the driver's error,
 * e.g. "cuMemAlloc_v2 (1048576 bytes): CUDA_ERROR_OUT_OF_MEMORY: out of
 * memory". No MLIR or LLVM inside; thread-safe (each call makes its context
 * current on the calling thread).
 *
 *===----------------------------------------------------------------------===*/

#ifndef MP_RUNTIME_CUDA_H
#define MP_RUNTIME_CUDA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mpcuStatus {
  MPCU_OK = 0,
  MPCU_NO_DRIVER = 10,        /* libcuda missing, or lacking a needed symbol */
  MPCU_NO_DEVICE = 11,        /* no device with that ordinal */
  MPCU_DRIVER_ERROR = 12,     /* a driver call failed */
  MPCU_JIT_ERROR = 13,        /* PTX/cubin did not load; the JIT log is in the message */
  MPCU_INVALID_ARGUMENT = 14, /* null handles, sizes that overflow, ... */
} mpcuStatus;

typedef struct mpcuDriver mpcuDriver;   /* the loaded driver */
typedef struct mpcuContext mpcuContext; /* a device's primary context */
typedef struct mpcuModule mpcuModule;   /* loaded PTX or cubin */
typedef struct mpcuStream mpcuStream;
typedef struct mpcuEvent mpcuEvent;
typedef void *mpcuKernel;
typedef uint64_t mpcuDevicePtr;

typedef struct mpcuDeviceInfo {
  char name[256];
  int computeMajor, computeMinor;
  int multiprocessors;
  uint64_t totalMemory;
} mpcuDeviceInfo;

/* The message of the calling thread's last failure ("" if none). */
const char *mpcuLastError(void);
/* "MPCU_NO_DRIVER", ... */
const char *mpcuStatusName(mpcuStatus status);
/* Records `message` as the calling thread's last error and returns `status`:
   for code built on this API (compiled models) that fails on its own. */
mpcuStatus mpcuSetError(mpcuStatus status, const char *message);

/* Opens the driver at `path` (NULL: "libcuda.so.1") and initializes it. */
mpcuStatus mpcuOpen(const char *path, mpcuDriver **driver);
void mpcuClose(mpcuDriver *driver);

mpcuStatus mpcuDeviceCount(mpcuDriver *driver, int *count);
mpcuStatus mpcuDeviceGetInfo(mpcuDriver *driver, int ordinal, mpcuDeviceInfo *info);

/* Retains the device's primary context; mpcuContextRelease releases it. */
mpcuStatus mpcuContextCreate(mpcuDriver *driver, int ordinal, mpcuContext **context);
mpcuStatus mpcuContextRelease(mpcuContext *context);
mpcuStatus mpcuContextSynchronize(mpcuContext *context);

/* Loads PTX (NUL-terminated text) or a cubin image (`size` bytes) through the
   driver's JIT. On MPCU_JIT_ERROR the message holds the JIT's error log;
   `infoLog` (may be NULL, `infoLogSize` bytes) receives its info log. */
mpcuStatus mpcuModuleLoad(mpcuContext *context, const void *image, size_t size,
                          mpcuModule **module, char *infoLog, size_t infoLogSize);
/* Loads a .ptx (text) or .cubin file; errors name the file. */
mpcuStatus mpcuModuleLoadFile(mpcuContext *context, const char *path, mpcuModule **module);
mpcuStatus mpcuModuleUnload(mpcuModule *module);
mpcuStatus mpcuModuleGetKernel(mpcuModule *module, const char *name, mpcuKernel *kernel);

/* Launches `kernel` with `args` (pointers to each argument) on `stream`
   (NULL: the default stream). */
mpcuStatus mpcuLaunch(mpcuContext *context, mpcuKernel kernel, const unsigned grid[3],
                      const unsigned block[3], unsigned sharedBytes, mpcuStream *stream,
                      void **args);

mpcuStatus mpcuMalloc(mpcuContext *context, size_t bytes, mpcuDevicePtr *pointer);
mpcuStatus mpcuFree(mpcuContext *context, mpcuDevicePtr pointer);
mpcuStatus mpcuCopyToDevice(mpcuContext *context, mpcuDevicePtr dst, const void *src,
                            size_t bytes);
mpcuStatus mpcuCopyToHost(mpcuContext *context, void *dst, mpcuDevicePtr src, size_t bytes);
mpcuStatus mpcuCopyDeviceToDevice(mpcuContext *context, mpcuDevicePtr dst, mpcuDevicePtr src,
                                  size_t bytes);
/* Copies the first `bytes` bytes of the file at `path` to `dst`; the file
   must hold exactly `bytes` bytes. */
mpcuStatus mpcuCopyFileToDevice(mpcuContext *context, mpcuDevicePtr dst, const char *path,
                                size_t bytes);
mpcuStatus mpcuMemset(mpcuContext *context, mpcuDevicePtr dst, unsigned char value,
                      size_t bytes);

/* A caching allocator: freed blocks return to the pool and serve later
   requests (best fit among cached blocks at most twice the request), so
   repeated runs allocate from the driver once. Sizes are rounded up to 256
   bytes. When the driver is out of memory the pool returns its cached blocks
   to the driver and tries once more. Thread-safe. */
typedef struct mpcuPool mpcuPool;
typedef struct mpcuPoolStats {
  size_t liveBytes;      /* handed out and not freed */
  size_t cachedBytes;    /* freed, kept for reuse */
  size_t driverAllocations, reuses;
} mpcuPoolStats;
mpcuStatus mpcuPoolCreate(mpcuContext *context, mpcuPool **pool);
mpcuStatus mpcuPoolAlloc(mpcuPool *pool, size_t bytes, mpcuDevicePtr *pointer);
/* Returns a block to the pool; a pointer the pool did not hand out is
   MPCU_INVALID_ARGUMENT. */
mpcuStatus mpcuPoolFree(mpcuPool *pool, mpcuDevicePtr pointer);
/* Gives the cached blocks back to the driver. */
mpcuStatus mpcuPoolTrim(mpcuPool *pool);
mpcuStatus mpcuPoolGetStats(mpcuPool *pool, mpcuPoolStats *stats);
/* Frees every block, live ones included, and the pool. */
mpcuStatus mpcuPoolDestroy(mpcuPool *pool);

mpcuStatus mpcuStreamCreate(mpcuContext *context, mpcuStream **stream);
mpcuStatus mpcuStreamSynchronize(mpcuStream *stream);
mpcuStatus mpcuStreamDestroy(mpcuStream *stream);

/* Events for timing: record two, synchronize, read the milliseconds between. */
mpcuStatus mpcuEventCreate(mpcuContext *context, mpcuEvent **event);
mpcuStatus mpcuEventRecord(mpcuEvent *event, mpcuStream *stream);
mpcuStatus mpcuEventElapsed(mpcuEvent *start, mpcuEvent *end, float *milliseconds);
mpcuStatus mpcuEventDestroy(mpcuEvent *event);

#ifdef __cplusplus
}
#endif

#endif /* MP_RUNTIME_CUDA_H */

//===- Pool.cpp - a caching allocator for device memory --------------------===//

#include "mp/Runtime/Cuda.h"

#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

struct mpcuPool {
  mpcuContext *context;
  std::mutex mutex;
  std::multimap<size_t, mpcuDevicePtr> cached;     // size -> block
  std::unordered_map<mpcuDevicePtr, size_t> sizes; // every block the pool owns
  std::unordered_map<mpcuDevicePtr, bool> live;
  mpcuPoolStats stats{};

  /// Frees the cached blocks; the first failure is returned.
  mpcuStatus trimLocked() {
    mpcuStatus first = MPCU_OK;
    for (auto &[size, pointer] : cached) {
      mpcuStatus status = mpcuFree(context, pointer);
      if (status && !first)
        first = status;
      sizes.erase(pointer);
      stats.cachedBytes -= size;
    }
    cached.clear();
    return first;
  }
};

namespace {
constexpr size_t kGranule = 256;
mpcuStatus invalid(const char *message) { return mpcuSetError(MPCU_INVALID_ARGUMENT, message); }
} // namespace

extern "C" {

mpcuStatus mpcuPoolCreate(mpcuContext *context, mpcuPool **pool) {
  if (!context || !pool)
    return invalid("mpcuPoolCreate: null argument");
  *pool = new mpcuPool{context, {}, {}, {}, {}, {}};
  return MPCU_OK;
}

mpcuStatus mpcuPoolAlloc(mpcuPool *pool, size_t bytes, mpcuDevicePtr *pointer) {
  if (!pool || !pointer)
    return invalid("mpcuPoolAlloc: null argument");
  if (bytes > (size_t(1) << 48))
    return invalid("mpcuPoolAlloc: size too large");
  size_t size = (bytes + kGranule - 1) / kGranule * kGranule;
  if (size == 0)
    size = kGranule;
  std::lock_guard<std::mutex> lock(pool->mutex);
  auto it = pool->cached.lower_bound(size);
  if (it != pool->cached.end() && it->first <= 2 * size) {
    *pointer = it->second;
    pool->stats.cachedBytes -= it->first;
    pool->stats.liveBytes += it->first;
    ++pool->stats.reuses;
    pool->live[it->second] = true;
    pool->cached.erase(it);
    return MPCU_OK;
  }
  mpcuStatus status = mpcuMalloc(pool->context, size, pointer);
  if (status && !pool->cached.empty()) {
    // Out of memory (or another failure) with blocks cached: give them back
    // and try once more.
    std::string first = mpcuLastError();
    pool->trimLocked();
    status = mpcuMalloc(pool->context, size, pointer);
    if (status)
      mpcuSetError(status, (first + " (and again after returning the pool's cached blocks)").c_str());
  }
  if (status)
    return status;
  pool->sizes[*pointer] = size;
  pool->live[*pointer] = true;
  pool->stats.liveBytes += size;
  ++pool->stats.driverAllocations;
  return MPCU_OK;
}

mpcuStatus mpcuPoolFree(mpcuPool *pool, mpcuDevicePtr pointer) {
  if (!pool)
    return invalid("mpcuPoolFree: null pool");
  if (!pointer)
    return MPCU_OK;
  std::lock_guard<std::mutex> lock(pool->mutex);
  auto it = pool->live.find(pointer);
  if (it == pool->live.end())
    return invalid("mpcuPoolFree: a pointer the pool did not hand out, or freed twice");
  pool->live.erase(it);
  size_t size = pool->sizes[pointer];
  pool->stats.liveBytes -= size;
  pool->stats.cachedBytes += size;
  pool->cached.emplace(size, pointer);
  return MPCU_OK;
}

mpcuStatus mpcuPoolTrim(mpcuPool *pool) {
  if (!pool)
    return invalid("mpcuPoolTrim: null pool");
  std::lock_guard<std::mutex> lock(pool->mutex);
  return pool->trimLocked();
}

mpcuStatus mpcuPoolGetStats(mpcuPool *pool, mpcuPoolStats *stats) {
  if (!pool || !stats)
    return invalid("mpcuPoolGetStats: null argument");
  std::lock_guard<std::mutex> lock(pool->mutex);
  *stats = pool->stats;
  return MPCU_OK;
}

mpcuStatus mpcuPoolDestroy(mpcuPool *pool) {
  if (!pool)
    return MPCU_OK;
  mpcuStatus first;
  {
    std::lock_guard<std::mutex> lock(pool->mutex);
    first = pool->trimLocked();
    for (auto &[pointer, isLive] : pool->live) {
      mpcuStatus status = mpcuFree(pool->context, pointer);
      if (status && !first)
        first = status;
    }
  }
  delete pool;
  return first;
}

} // extern "C"

//===- NpyFuzzer.cpp - libFuzzer target: the .npy reader ------------------===//
//
// Any byte string must either parse into an array whose data matches its
// shape and dtype, or give an error: never crash, hang or allocate without
// bound.
//
//===----------------------------------------------------------------------===//

#include "mp/Runtime/Npy.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mp::runtime::NpyArray array;
  if (!mp::runtime::parseNpy("fuzz.npy", data, size, array))
    return 0;
  std::optional<int64_t> elements = array.numElements();
  if (!elements || uint64_t(*elements) * array.elementSize() != array.data.size())
    abort(); // a parsed array must be self-consistent
  return 0;
}

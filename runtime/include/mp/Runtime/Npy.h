//===- Npy.h - .npy reader and writer (no LLVM inside) -----------*- C++ -*-===//
//
// NumPy .npy files (format 1.0/2.0/3.0, C order, little endian) of the element
// types mp's runners exchange: f8, f4, f2, u2 (bf16 bit patterns), i1, i2,
// i4, i8, u1, b1. Shared by mp-run and the CUDA runner; depends on the C++
// standard library only. Every size computed from a file is checked: a shape
// whose byte count overflows, or exceeds the data present, is an error.
//
//===----------------------------------------------------------------------===//

#ifndef MP_RUNTIME_NPY_H
#define MP_RUNTIME_NPY_H

#include "mp/Runtime/Status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mp::runtime {

struct NpyArray {
  /// NumPy type string without byte order, e.g. "f4", "f2", "i1", "u2", "b1".
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  /// Number of elements, or nullopt when the product overflows int64.
  std::optional<int64_t> numElements() const;
  /// Bytes per element (0 for an unknown dtype).
  size_t elementSize() const;
};

/// Parses a .npy image held in memory; `name` is used in messages.
Status parseNpy(const std::string &name, const uint8_t *bytes, size_t size, NpyArray &out);
/// Reads a .npy file.
Status readNpy(const std::string &path, NpyArray &out);
/// Writes `array` (its data must hold exactly numElements * elementSize bytes).
Status writeNpy(const std::string &path, const NpyArray &array);

} // namespace mp::runtime

#endif // MP_RUNTIME_NPY_H

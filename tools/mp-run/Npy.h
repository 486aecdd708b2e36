//===- Npy.h - minimal .npy reader and writer -------------------*- C++ -*-===//
//
// Reads and writes NumPy .npy files (format 1.0/2.0, C order, little endian)
// of the element types mp-run exchanges: f64, f32, f16, u2 (bf16 bit
// patterns), i8, i16, i32, i64, u8, bool.
//
//===----------------------------------------------------------------------===//

#ifndef MP_TOOLS_MPRUN_NPY_H
#define MP_TOOLS_MPRUN_NPY_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mp {

struct NpyArray {
  /// NumPy type string without byte order, e.g. "f4", "f2", "i1", "u2", "b1".
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  int64_t numElements() const;
  size_t elementSize() const;
};

llvm::Expected<NpyArray> readNpy(llvm::StringRef path);
llvm::Error writeNpy(llvm::StringRef path, const NpyArray &array);

} // namespace mp

#endif // MP_TOOLS_MPRUN_NPY_H

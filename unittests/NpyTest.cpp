//===- NpyTest.cpp - the .npy reader on valid and hostile input -----------===//

#include "mp/Runtime/Npy.h"

#include <cstdio>
#include <gtest/gtest.h>
#include <string>

using namespace mp::runtime;

namespace {

/// A version 1.0 .npy image with `header` (padded) followed by `data`.
std::vector<uint8_t> image(const std::string &dict, const std::string &data) {
  std::string header = dict;
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += char(header.size() & 0xff);
  bytes += char(header.size() >> 8);
  bytes += header + data;
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

Status parse(const std::vector<uint8_t> &bytes, NpyArray &array) {
  return parseNpy("t.npy", bytes.data(), bytes.size(), array);
}

TEST(Npy, ReadsAValidArray) {
  float values[2] = {1.5f, -2.0f};
  auto bytes = image("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                     std::string(reinterpret_cast<char *>(values), sizeof(values)));
  NpyArray array;
  Status status = parse(bytes, array);
  ASSERT_TRUE(status) << status.message();
  EXPECT_EQ(array.dtype, "f4");
  ASSERT_EQ(array.shape.size(), 1u);
  EXPECT_EQ(array.shape[0], 2);
  EXPECT_EQ(array.data.size(), 8u);
}

TEST(Npy, ShapeWhoseByteCountOverflowsIsAnError) {
  // 2^62 * 4 elements of 4 bytes wraps 64 bits; the header alone must be
  // refused, not passed on with a wrapped size.
  auto bytes = image("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", "");
  NpyArray array;
  Status status = parse(bytes, array);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("more bytes than can be addressed"), std::string::npos)
      << status.message();
}

TEST(Npy, ShapeLargerThanTheDataIsAnError) {
  // (2^62,) of f4 needs 2^64 bytes: refused before any allocation (this used
  // to abort with an uncaught std::length_error).
  NpyArray array;
  Status status =
      parse(image("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,), }", ""),
            array);
  ASSERT_FALSE(status);
  // A plausible shape with too little data names both sizes.
  status = parse(image("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 1000), }",
                       std::string(16, '\0')),
                 array);
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("file holds 16 data bytes, shape (1000, 1000) needs 4000000"),
            std::string::npos)
      << status.message();
}

TEST(Npy, MalformedHeadersAreErrors) {
  NpyArray array;
  EXPECT_FALSE(parse(image("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", ""), array));
  EXPECT_FALSE(parse(image("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", ""), array));
  EXPECT_FALSE(parse(image("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", ""), array));
  EXPECT_FALSE(parse(image("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", ""), array));
  EXPECT_FALSE(parse(image("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", ""), array));
  // 19 digits beyond int64 (found by fuzz/NpyFuzzer: signed overflow).
  EXPECT_FALSE(parse(image("{'descr': '<f8', 'fortran_order': False, 'shape': (9999999999999999999,), }", ""), array));
  EXPECT_FALSE(parse(image("{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775808,), }", ""), array));
  std::vector<uint8_t> truncated = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0xff, 0xff};
  EXPECT_FALSE(parse(truncated, array));
  std::vector<uint8_t> magic = {'n', 'o', 't', ' ', 'n', 'p', 'y', 0, 0, 0, 0};
  EXPECT_FALSE(parse(magic, array));
}

TEST(Npy, WriteThenRead) {
  NpyArray array;
  array.dtype = "i2";
  array.shape = {2, 3};
  array.data.assign(12, 7);
  std::string path = testing::TempDir() + "npy-roundtrip.npy";
  ASSERT_TRUE(writeNpy(path, array));
  NpyArray read;
  Status status = readNpy(path, read);
  ASSERT_TRUE(status) << status.message();
  EXPECT_EQ(read.shape, array.shape);
  EXPECT_EQ(read.data, array.data);
  std::remove(path.c_str());
  // Data that does not match the shape is not written.
  array.data.pop_back();
  EXPECT_FALSE(writeNpy(path, array));
}

} // namespace

//===- Npy.cpp - .npy reader and writer -----------------------------------===//

#include "mp/Runtime/Npy.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

using namespace mp::runtime;

std::optional<int64_t> NpyArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      return std::nullopt;
    n *= d;
  }
  return n;
}

size_t NpyArray::elementSize() const {
  if (dtype.size() != 2 || dtype[1] < '1' || dtype[1] > '8')
    return 0;
  return size_t(dtype[1] - '0');
}

static Status npyError(const std::string &name, const std::string &message) {
  return Status::error("cannot read '" + name + "': " + message);
}

static std::string trim(std::string text, const char *chars = " ") {
  size_t begin = text.find_first_not_of(chars);
  if (begin == std::string::npos)
    return "";
  size_t end = text.find_last_not_of(chars);
  return text.substr(begin, end - begin + 1);
}

/// Finds `'key': value` in the header dict and returns the raw value text.
static std::string headerField(const std::string &header, const std::string &key) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return "";
  std::string rest = header.substr(at + key.size() + 2);
  rest = rest.substr(std::min(rest.size(), rest.find_first_not_of(" :")));
  if (!rest.empty() && rest[0] == '(') {
    size_t close = rest.find(')');
    return close == std::string::npos ? "" : rest.substr(0, close + 1);
  }
  return trim(rest.substr(0, rest.find_first_of(",}")));
}

/// Parses a non-negative decimal integer that fits int64 (checked: 19 nines
/// exceed it).
static bool parseDimension(const std::string &text, int64_t &value) {
  if (text.empty())
    return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    int digit = c - '0';
    if (value > (std::numeric_limits<int64_t>::max() - digit) / 10)
      return false;
    value = value * 10 + digit;
  }
  return true;
}

Status mp::runtime::parseNpy(const std::string &name, const uint8_t *bytes, size_t size,
                             NpyArray &out) {
  if (size < 10 || std::memcmp(bytes, "\x93NUMPY", 6) != 0)
    return npyError(name, "not a .npy file (bad magic)");
  uint8_t major = bytes[6];
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = size_t(bytes[8]) | (size_t(bytes[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12)
      return npyError(name, "truncated header");
    headerLength = size_t(bytes[8]) | (size_t(bytes[9]) << 8) | (size_t(bytes[10]) << 16) |
                   (size_t(bytes[11]) << 24);
    headerStart = 12;
  } else {
    return npyError(name, "unsupported .npy version " + std::to_string(int(major)));
  }
  if (headerLength > size - headerStart)
    return npyError(name, "truncated header");
  std::string header(reinterpret_cast<const char *>(bytes) + headerStart, headerLength);

  NpyArray array;
  std::string descr = trim(headerField(header, "descr"), "'\" ");
  if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '|' && descr[0] != '='))
    return npyError(name, "unsupported dtype '" + descr + "' (need little-endian)");
  array.dtype = descr.substr(1);
  static const char *supported[] = {"f8", "f4", "f2", "u2", "i1", "i2",
                                    "i4", "i8", "u1", "b1"};
  if (std::find(std::begin(supported), std::end(supported), array.dtype) ==
      std::end(supported))
    return npyError(name, "unsupported dtype '" + descr + "'");
  if (headerField(header, "fortran_order").rfind("True", 0) == 0)
    return npyError(name, "Fortran-ordered arrays are not supported");
  std::string shape = trim(headerField(header, "shape"), "() ");
  size_t start = 0;
  while (start <= shape.size()) {
    size_t comma = shape.find(',', start);
    std::string dim = trim(shape.substr(start, comma == std::string::npos ? std::string::npos
                                                                          : comma - start));
    if (!dim.empty()) {
      int64_t value;
      if (!parseDimension(dim, value))
        return npyError(name, "bad shape '(" + shape + ")'");
      array.shape.push_back(value);
    }
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  std::optional<int64_t> elements = array.numElements();
  size_t elementSize = array.elementSize();
  if (!elements || uint64_t(*elements) > std::numeric_limits<uint64_t>::max() / elementSize)
    return npyError(name, "shape (" + shape + ") holds more bytes than can be addressed");
  uint64_t dataSize = uint64_t(*elements) * elementSize;
  size_t dataStart = headerStart + headerLength;
  if (dataSize > size - dataStart)
    return npyError(name, "file holds " + std::to_string(size - dataStart) +
                              " data bytes, shape (" + shape + ") needs " +
                              std::to_string(dataSize));
  array.data.assign(bytes + dataStart, bytes + dataStart + dataSize);
  out = std::move(array);
  return Status::ok();
}

Status mp::runtime::readNpy(const std::string &path, NpyArray &out) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return npyError(path, std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                             std::istreambuf_iterator<char>());
  if (file.bad())
    return npyError(path, "read error");
  return parseNpy(path, bytes.data(), bytes.size(), out);
}

Status mp::runtime::writeNpy(const std::string &path, const NpyArray &array) {
  std::optional<int64_t> elements = array.numElements();
  if (!elements || array.elementSize() == 0 ||
      uint64_t(*elements) * array.elementSize() != array.data.size())
    return Status::error("cannot write '" + path + "': data does not match shape and dtype");
  std::string shape = "(";
  for (int64_t d : array.shape)
    shape += std::to_string(d) + ",";
  if (array.shape.size() > 1)
    shape.pop_back();
  shape += ")";
  char order = array.elementSize() == 1 ? '|' : '<';
  std::string header = "{'descr': '" + std::string(1, order) + array.dtype +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream os(path, std::ios::binary);
  if (!os)
    return Status::error("cannot write '" + path + "': " + std::strerror(errno));
  os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
     << char(header.size() >> 8) << header;
  os.write(reinterpret_cast<const char *>(array.data.data()), array.data.size());
  if (!os)
    return Status::error("cannot write '" + path + "': write error");
  return Status::ok();
}

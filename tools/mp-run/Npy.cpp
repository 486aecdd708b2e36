//===- Npy.cpp - minimal .npy reader and writer ----------------------------===//

#include "Npy.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mp;

int64_t NpyArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

size_t NpyArray::elementSize() const {
  unsigned size = 0;
  llvm::StringRef(dtype).drop_front(1).getAsInteger(10, size);
  return size;
}

static llvm::Error npyError(llvm::StringRef path, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "cannot read '" + path + "': " + message);
}

/// Finds `'key': value` in the header dict and returns the raw value text.
static llvm::StringRef headerField(llvm::StringRef header, llvm::StringRef key) {
  size_t at = header.find(("'" + key + "'").str());
  if (at == llvm::StringRef::npos)
    return {};
  llvm::StringRef rest = header.drop_front(at + key.size() + 2).ltrim(" :");
  if (rest.starts_with("(")) {
    size_t close = rest.find(')');
    return close == llvm::StringRef::npos ? llvm::StringRef() : rest.take_front(close + 1);
  }
  size_t end = rest.find_first_of(",}");
  return rest.take_front(end).trim();
}

llvm::Expected<NpyArray> mp::readNpy(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return npyError(path, buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY"))
    return npyError(path, "not a .npy file (bad magic)");
  uint8_t major = bytes[6];
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = uint8_t(bytes[8]) | (uint8_t(bytes[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return npyError(path, "truncated header");
    headerLength = uint32_t(uint8_t(bytes[8])) | (uint32_t(uint8_t(bytes[9])) << 8) |
                   (uint32_t(uint8_t(bytes[10])) << 16) |
                   (uint32_t(uint8_t(bytes[11])) << 24);
    headerStart = 12;
  } else {
    return npyError(path, "unsupported .npy version " + llvm::Twine(int(major)));
  }
  if (headerStart + headerLength > bytes.size())
    return npyError(path, "truncated header");
  llvm::StringRef header = bytes.substr(headerStart, headerLength);

  NpyArray array;
  llvm::StringRef descr = headerField(header, "descr").trim("'\" ");
  if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '|' && descr[0] != '='))
    return npyError(path, "unsupported dtype '" + descr + "' (need little-endian)");
  array.dtype = descr.drop_front(1).str();
  static const char *supported[] = {"f8", "f4", "f2", "u2", "i1", "i2",
                                    "i4", "i8", "u1", "b1"};
  if (!llvm::is_contained(supported, array.dtype))
    return npyError(path, "unsupported dtype '" + descr + "'");
  if (headerField(header, "fortran_order").starts_with("True"))
    return npyError(path, "Fortran-ordered arrays are not supported");
  llvm::StringRef shape = headerField(header, "shape").trim("() ");
  llvm::SmallVector<llvm::StringRef> dims;
  shape.split(dims, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef dim : dims) {
    int64_t value;
    if (dim.trim().getAsInteger(10, value) || value < 0)
      return npyError(path, "bad shape '" + shape + "'");
    array.shape.push_back(value);
  }
  size_t dataSize = array.numElements() * array.elementSize();
  size_t dataStart = headerStart + headerLength;
  if (bytes.size() - dataStart < dataSize)
    return npyError(path, "file holds " + llvm::Twine(bytes.size() - dataStart) +
                              " data bytes, shape needs " + llvm::Twine(dataSize));
  array.data.assign(bytes.begin() + dataStart, bytes.begin() + dataStart + dataSize);
  return array;
}

llvm::Error mp::writeNpy(llvm::StringRef path, const NpyArray &array) {
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
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError(ec, "cannot write '" + path + "': " + ec.message());
  os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
     << char(header.size() >> 8) << header;
  os.write(reinterpret_cast<const char *>(array.data.data()), array.data.size());
  return llvm::Error::success();
}

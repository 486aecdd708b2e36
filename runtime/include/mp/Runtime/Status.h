//===- Status.h - errors of the host runtime (no LLVM inside) ----*- C++ -*-===//

#ifndef MP_RUNTIME_STATUS_H
#define MP_RUNTIME_STATUS_H

#include <string>
#include <utility>

namespace mp::runtime {

/// Success, or an error with a message that names what failed.
class Status {
public:
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message), true); }

  bool isOk() const { return !failed; }
  explicit operator bool() const { return !failed; }
  const std::string &message() const { return text; }

private:
  Status() = default;
  Status(std::string message, bool failed) : text(std::move(message)), failed(failed) {}
  std::string text;
  bool failed = false;
};

} // namespace mp::runtime

#endif // MP_RUNTIME_STATUS_H

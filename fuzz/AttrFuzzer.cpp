//===- AttrFuzzer.cpp - libFuzzer target: mp attribute parsers -------------===//
//
// Parses the input as an attribute in a context with the mp dialect loaded
// (#mp.format, #mp.policy, #mp.decision and their verifiers); a parsed
// attribute is printed and must parse back to the same attribute.
//
//===----------------------------------------------------------------------===//

#include "mp/Dialect/MP/IR/MPDialect.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::MLIRContext *context = [] {
    auto *ctx = new mlir::MLIRContext(mlir::MLIRContext::Threading::DISABLED);
    ctx->loadDialect<mp::MPDialect>();
    ctx->getDiagEngine().registerHandler([](mlir::Diagnostic &) {});
    return ctx;
  }();
  std::string text(reinterpret_cast<const char *>(data), size);
  // Keep to the mp attributes: upstream parser crashes on other syntax are
  // not mp's findings (docs/ARCHITECTURE.md lists the known ones).
  if (text.rfind("#mp.", 0) != 0 || text.find("array<") != std::string::npos)
    return 0;
  size_t consumed = 0;
  mlir::Attribute attr = mlir::parseAttribute(text, context, mlir::Type(), &consumed);
  if (!attr || !llvm::isa<mp::FormatAttr, mp::PolicyAttr, mp::DecisionAttr>(attr))
    return 0;
  std::string printed;
  llvm::raw_string_ostream os(printed);
  attr.print(os);
  if (mlir::parseAttribute(printed, context) != attr)
    abort(); // printing and parsing must round-trip
  return 0;
}

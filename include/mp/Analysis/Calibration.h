//===- Calibration.h - the calibration file format ---------------*- C++ -*-===//
//
// `mp-run --calibrate` writes, and `mp-assign-precision{calibration=...}`
// reads, a JSON file of range statistics per stable value name:
//
//   {"model": "m.mlir", "entry": "forward",
//    "values": {"attn.scores": {"abs_max": 812.5, "min": ..., ...}, ...}}
//
// Both sides go through this header, so the format lives in one place.
//
//===----------------------------------------------------------------------===//

#ifndef MP_ANALYSIS_CALIBRATION_H
#define MP_ANALYSIS_CALIBRATION_H

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <utility>
#include <vector>

namespace mp {

/// The absolute maximum recorded for each value name.
llvm::Expected<llvm::StringMap<double>> readCalibration(llvm::StringRef path);

/// Per-channel statistics of one value over its last dimension
/// ("channel_abs_max", "channel_mean"; written by mp-run --calibrate).
struct ChannelStats {
  std::vector<double> absMax;
  std::vector<double> mean;
  /// E[x x^T] (K x K, row-major) when recorded (mp-run --calibrate-gram).
  std::vector<double> gram;
};

/// The per-channel statistics recorded for each value name (values without
/// them are absent).
llvm::Expected<llvm::StringMap<ChannelStats>> readChannelCalibration(llvm::StringRef path);

/// Writes a calibration file. Each value's statistics must hold a number
/// "abs_max"; other keys are kept as given.
llvm::Error
writeCalibration(llvm::StringRef path, llvm::StringRef model, llvm::StringRef entry,
                 const std::vector<std::pair<std::string, llvm::json::Object>> &values);

/// Reads a JSON file; errors read "<what> '<path>': <message>".
llvm::Expected<llvm::json::Value> readJSONFile(llvm::StringRef what,
                                               llvm::StringRef path);

/// An error about a file: "<what> '<path>': <message>".
llvm::Error fileError(llvm::StringRef what, llvm::StringRef path,
                      const llvm::Twine &message);

} // namespace mp

#endif // MP_ANALYSIS_CALIBRATION_H

//===- Calibration.h - expose intermediate values for calibration -*- C++ -*-===//

#ifndef MP_TOOLS_MPRUN_CALIBRATION_H
#define MP_TOOLS_MPRUN_CALIBRATION_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mp {

/// Appends every float tensor value defined at the top level of `entry` to its
/// results, so one run returns them all. `names` receives each value's stable
/// name (mp::getStableName: `mp.name`, else the location), suffixed with #N
/// for extra results and for repeats; mp-assign-precision{calibration=...}
/// matches ops by the same names.
mlir::LogicalResult instrumentForCalibration(mlir::ModuleOp module,
                                             llvm::StringRef entry,
                                             std::vector<std::string> &names);

} // namespace mp

#endif // MP_TOOLS_MPRUN_CALIBRATION_H

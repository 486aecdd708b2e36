//===- Passes.td - mp transformation passes ----------------*- tablegen -*-===//

#ifndef MP_TRANSFORMS_PASSES_TD
#define MP_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Cast clean-up
//===----------------------------------------------------------------------===//

def MPFoldCasts : Pass<"mp-fold-casts"> {
  let summary = "Remove casts that change nothing, merge exact chains, hoist and share casts";
  let description = [{
    - removes identity casts and exact round trips (`f16 -> f32 -> f16`);
    - merges chains whose first step is exact (`f8 -> f16 -> f32` becomes
      `f8 -> f32`);
    - hoists casts of loop-invariant values out of loops (to just after the
      value's definition) and makes all users of the same cast of a value
      share one cast;
    - keeps narrowing round trips (`f32 -> f16 -> f32` rounds, so it is not
      the identity) unless `allow-excess-precision` is set; then each one
      removed is reported with a remark at its location.
  }];
  let options = [
    Option<"allowExcessPrecision", "allow-excess-precision", "bool",
           /*default=*/"false",
           "Remove narrowing round trips too, keeping the wider value (reported)">
  ];
  let statistics = [
    Statistic<"numCastsRemoved", "casts-removed", "Number of casts removed">
  ];
}

#endif // MP_TRANSFORMS_PASSES_TD

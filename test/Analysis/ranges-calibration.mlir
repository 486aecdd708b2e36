// RUN: mp-opt %s -mp-print-ranges=calibration=%S/Inputs/calibration.json -verify-diagnostics

// Calibration bounds a value by its stable name (`mp.name` here):
// |x| <= abs_max, intersected with what propagation gives ("logits" keeps its
// narrower propagated range).
// expected-remark @below {{arg 0: unbounded}}
// expected-remark @below {{arg 1: range [-1, 1]}}
func.func @calibrated(%x: f32, %y: f32 {mp.range = [-1.0, 1.0]}) -> (f32, f32, f32) {
  // expected-remark @below {{result 0: range [-12.5, 12.5]}}
  %0 = arith.mulf %x, %x {mp.name = "scores"} : f32
  // expected-remark @below {{result 0: range [-1, 1]}}
  %1 = arith.mulf %y, %y {mp.name = "logits"} : f32
  // expected-remark @below {{result 0: range [-13.5, 13.5]}}
  %2 = arith.addf %0, %1 : f32
  return %0, %1, %2 : f32, f32, f32
}

// RUN: mp-opt %s -split-input-file -verify-diagnostics

// expected-error @below {{'mp.range' needs lo <= hi (and no NaN), got [2.000000e+00, 1.000000e+00]}}
%0 = arith.constant {mp.range = [2.0, 1.0]} 1.0 : f32

// -----

// expected-error @below {{'mp.range' must be [lo, hi] with two float values, got [1.000000e+00]}}
%0 = arith.constant {mp.range = [1.0]} 1.0 : f32

// -----

// expected-error @below {{argument 0: 'mp.range' must be [lo, hi] with two float values, got [1, 2]}}
func.func @f(%x: f32 {mp.range = [1, 2]}) {
  return
}

// -----

// expected-error @below {{argument 1: 'mp.range' needs lo <= hi (and no NaN), got [4.000000e+00, -4.000000e+00]}}
func.func @g(%x: f32, %y: f32 {mp.range = [4.0, -4.0]}) {
  return
}

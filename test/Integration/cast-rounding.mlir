// Execution test: mp.cast rounding, ties and overflow, run on the CPU.
// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-cpu-lowering)" \
// RUN:   | %mlir_runner | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>)

func.func @print(%t: tensor<?xf32>) {
  %m = bufferization.to_buffer %t : tensor<?xf32> to memref<?xf32>
  %u = memref.cast %m : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @show_bf16(%t: tensor<4xbf16>) {
  %w = arith.extf %t : tensor<4xbf16> to tensor<4xf32>
  %d = tensor.cast %w : tensor<4xf32> to tensor<?xf32>
  call @print(%d) : (tensor<?xf32>) -> ()
  return
}

func.func @show_f16(%t: tensor<4xf16>) {
  %w = arith.extf %t : tensor<4xf16> to tensor<4xf32>
  %d = tensor.cast %w : tensor<4xf32> to tensor<?xf32>
  call @print(%d) : (tensor<?xf32>) -> ()
  return
}

func.func @main() {
  // bf16 ties to even: 1 + 2^-8 -> 1, 1 + 3*2^-8 -> 1 + 2^-6, and
  // toward zero drops the tail: 1.01171875 -> 1.0078125; 3e38 = 1.763 * 2^127
  // has mantissa 225.7/128: 226/128 to nearest, 225/128 toward zero.
  %b = arith.constant dense<[1.00390625, 1.01171875, -1.01171875, 3.0e38]> : tensor<4xf32>
  %b0 = mp.cast %b : tensor<4xf32> to tensor<4xbf16>
  // CHECK: [1,  1.01562,  -1.01562,  3.00406e+38]
  call @show_bf16(%b0) : (tensor<4xbf16>) -> ()
  %b1 = mp.cast %b rounding(toward_zero) : tensor<4xf32> to tensor<4xbf16>
  // CHECK: [1,  1.00781,  -1.00781,  2.99076e+38]
  call @show_bf16(%b1) : (tensor<4xbf16>) -> ()

  // f16 ties to even: 1 + 2^-11 -> 1, 1 + 3*2^-11 -> 1 + 2^-9.
  %h = arith.constant dense<[1.00048828125, 1.00146484375, 65519.0, 65520.0]> : tensor<4xf32>
  %h0 = mp.cast %h : tensor<4xf32> to tensor<4xf16>
  // CHECK: [1,  1.00195,  65504,  inf]
  call @show_f16(%h0) : (tensor<4xf16>) -> ()

  // f16 overflow: inf without saturation, 65504 with it; NaN stays NaN.
  %o = arith.constant dense<[70000.0, -70000.0, 0x7F800000, 0x7FC00000]> : tensor<4xf32>
  %o0 = mp.cast %o : tensor<4xf32> to tensor<4xf16>
  // CHECK: [inf,  -inf,  inf,  nan]
  call @show_f16(%o0) : (tensor<4xf16>) -> ()
  %o1 = mp.cast %o saturate : tensor<4xf32> to tensor<4xf16>
  // CHECK: [65504,  -65504,  65504,  nan]
  call @show_f16(%o1) : (tensor<4xf16>) -> ()
  // Toward zero never overflows a finite value to infinity.
  %o2 = mp.cast %o rounding(toward_zero) : tensor<4xf32> to tensor<4xf16>
  // CHECK: [65504,  -65504,  inf,  nan]
  call @show_f16(%o2) : (tensor<4xf16>) -> ()

  // f16 subnormals: 2^-24 is the smallest; 2^-25 ties to 0, 3*2^-25 to 2^-23.
  %s = arith.constant dense<[5.9604644775390625e-08, 2.98023223876953125e-08, 8.94069671630859375e-08, 1.0e-10]> : tensor<4xf32>
  %s0 = mp.cast %s : tensor<4xf32> to tensor<4xf16>
  // CHECK: [5.96046e-08,  0,  1.19209e-07,  0]
  call @show_f16(%s0) : (tensor<4xf16>) -> ()
  return
}

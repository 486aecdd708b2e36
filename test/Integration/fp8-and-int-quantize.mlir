// Execution test: fp8 saturation and overflow, int8/int4 quantization with
// ties to even and clamping, per-channel and per-group scales on the right axis.
// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-cpu-lowering)" \
// RUN:   | %mlir_runner | FileCheck %s

func.func private @printMemrefF32(memref<*xf32>)
func.func private @printMemrefI32(memref<*xi32>)

func.func @pf(%t: tensor<?xf32>) {
  %m = bufferization.to_buffer %t : tensor<?xf32> to memref<?xf32>
  %u = memref.cast %m : memref<?xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @pi(%t: tensor<?x?xi32>) {
  %m = bufferization.to_buffer %t : tensor<?x?xi32> to memref<?x?xi32>
  %u = memref.cast %m : memref<?x?xi32> to memref<*xi32>
  call @printMemrefI32(%u) : (memref<*xi32>) -> ()
  return
}

func.func @e4m3(%t: tensor<6xf8E4M3FN>) {
  %w = mp.cast %t : tensor<6xf8E4M3FN> to tensor<6xf32>
  %d = tensor.cast %w : tensor<6xf32> to tensor<?xf32>
  call @pf(%d) : (tensor<?xf32>) -> ()
  return
}

func.func @e5m2(%t: tensor<6xf8E5M2>) {
  %w = mp.cast %t : tensor<6xf8E5M2> to tensor<6xf32>
  %d = tensor.cast %w : tensor<6xf32> to tensor<?xf32>
  call @pf(%d) : (tensor<?xf32>) -> ()
  return
}

func.func @main() {
  // f8E4M3FN: largest 448; 464 ties to 448 (even); 480 overflows to NaN
  // (no infinity) unless saturating; 2^-9 is the smallest subnormal.
  %a = arith.constant dense<[464.0, 480.0, -1000.0, 0.001953125, 0.0009765625, 0.3]> : tensor<6xf32>
  %a0 = mp.cast %a : tensor<6xf32> to tensor<6xf8E4M3FN>
  // CHECK: [448,  nan,  -nan,  0.00195312,  0,  0.3125]
  call @e4m3(%a0) : (tensor<6xf8E4M3FN>) -> ()
  %a1 = mp.cast %a saturate : tensor<6xf32> to tensor<6xf8E4M3FN>
  // CHECK: [448,  448,  -448,  0.00195312,  0,  0.3125]
  call @e4m3(%a1) : (tensor<6xf8E4M3FN>) -> ()

  // f8E5M2: largest 57344; 61440 ties to 65536 = overflow -> inf, or
  // 57344 saturated; 60000 rounds down to 57344.
  %b = arith.constant dense<[61440.0, 60000.0, -1.0e6, 1.5258789e-05, 0x7F800000, 0.3]> : tensor<6xf32>
  %b0 = mp.cast %b : tensor<6xf32> to tensor<6xf8E5M2>
  // CHECK: [inf,  57344,  -inf,  1.52588e-05,  inf,  0.3125]
  call @e5m2(%b0) : (tensor<6xf8E5M2>) -> ()
  %b1 = mp.cast %b saturate : tensor<6xf32> to tensor<6xf8E5M2>
  // CHECK: [57344,  57344,  -57344,  1.52588e-05,  57344,  0.3125]
  call @e5m2(%b1) : (tensor<6xf8E5M2>) -> ()

  // int8, scale 1: ties to even (2.5 -> 2, -2.5 -> -2, 127.5 -> 128 -> 127),
  // clamping at -128 and 127, NaN -> zero point (0).
  %x = arith.constant dense<[[1.5, 2.5, -2.5, 127.5, 300.0, -128.5, -1000.0, 0x7FC00000]]> : tensor<1x8xf32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %q8 = mp.quantize %x, %one {format = #mp.format<i8, per_tensor>} : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xi8>
  %q8w = arith.extsi %q8 : tensor<1x8xi8> to tensor<1x8xi32>
  %q8d = tensor.cast %q8w : tensor<1x8xi32> to tensor<?x?xi32>
  // CHECK: {{\[}}[2,   2,   -2,   127,   127,   -128,   -128,   0]]
  call @pi(%q8d) : (tensor<?x?xi32>) -> ()

  // int4: clamping at -8 and 7; 3.5 -> 4, 4.5 -> 4.
  %q4 = mp.quantize %x, %one {format = #mp.format<i4, per_tensor>} : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xi4>
  %q4w = arith.extsi %q4 : tensor<1x8xi4> to tensor<1x8xi32>
  %q4d = tensor.cast %q4w : tensor<1x8xi32> to tensor<?x?xi32>
  // CHECK: {{\[}}[2,   2,   -2,   7,   7,   -8,   -8,   0]]
  call @pi(%q4d) : (tensor<?x?xi32>) -> ()

  // Per-channel along axis 0: row 0 divided by 1, row 1 by 10, plus a zero
  // point of 3 on row 1.
  %w = arith.constant dense<[[10.0, 20.0, 35.0], [10.0, 20.0, 35.0]]> : tensor<2x3xf32>
  %pc = arith.constant dense<[1.0, 10.0]> : tensor<2xf32>
  %zp = arith.constant dense<[0, 3]> : tensor<2xi32>
  %qc = mp.quantize %w, %pc zero_point %zp {format = #mp.format<i8, per_channel(axis = 0)>} : (tensor<2x3xf32>, tensor<2xf32>, tensor<2xi32>) -> tensor<2x3xi8>
  %qcw = arith.extsi %qc : tensor<2x3xi8> to tensor<2x3xi32>
  %qcd = tensor.cast %qcw : tensor<2x3xi32> to tensor<?x?xi32>
  // CHECK: {{\[}}[10,   20,   35],
  // CHECK-NEXT: [4,   5,   7]]
  call @pi(%qcd) : (tensor<?x?xi32>) -> ()

  // Per-channel along axis 1 instead: column c divided by [1, 10, 5][c].
  %pc1 = arith.constant dense<[1.0, 10.0, 5.0]> : tensor<3xf32>
  %qa = mp.quantize %w, %pc1 {format = #mp.format<i8, per_channel(axis = 1)>} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi8>
  %qaw = arith.extsi %qa : tensor<2x3xi8> to tensor<2x3xi32>
  %qad = tensor.cast %qaw : tensor<2x3xi32> to tensor<?x?xi32>
  // CHECK: {{\[}}[10,   2,   7],
  // CHECK-NEXT: [10,   2,   7]]
  call @pi(%qad) : (tensor<?x?xi32>) -> ()

  // Per-group along axis 1, groups of 2: columns 0-1 use scale 1, 2-3 use 100.
  %g = arith.constant dense<[[50.0, 60.0, 5000.0, 6000.0]]> : tensor<1x4xf32>
  %gs = arith.constant dense<[[1.0, 100.0]]> : tensor<1x2xf32>
  %qg = mp.quantize %g, %gs {format = #mp.format<i8, per_group(axis = 1, size = 2)>} : (tensor<1x4xf32>, tensor<1x2xf32>) -> tensor<1x4xi8>
  %qgw = arith.extsi %qg : tensor<1x4xi8> to tensor<1x4xi32>
  %qgd = tensor.cast %qgw : tensor<1x4xi32> to tensor<?x?xi32>
  // CHECK: {{\[}}[50,   60,   50,   60]]
  call @pi(%qgd) : (tensor<?x?xi32>) -> ()

  // Dequantize undoes the per-group scale: (q - 0) * s.
  %dg = mp.dequantize %qg, %gs {format = #mp.format<i8, per_group(axis = 1, size = 2)>} : (tensor<1x4xi8>, tensor<1x2xf32>) -> tensor<1x4xf32>
  %dgc = tensor.collapse_shape %dg [[0, 1]] : tensor<1x4xf32> into tensor<4xf32>
  %dgd = tensor.cast %dgc : tensor<4xf32> to tensor<?xf32>
  // CHECK: [50,  60,  5000,  6000]
  call @pf(%dgd) : (tensor<?xf32>) -> ()

  // amax: largest magnitude, in f32.
  %m = mp.amax %w : tensor<2x3xf32> -> tensor<f32>
  %me = tensor.expand_shape %m [] output_shape [1] : tensor<f32> into tensor<1xf32>
  %md = tensor.cast %me : tensor<1xf32> to tensor<?xf32>
  // CHECK: [35]
  call @pf(%md) : (tensor<?xf32>) -> ()
  return
}

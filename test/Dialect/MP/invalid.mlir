// RUN: mp-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unsupported format element type 'f8E4M3FNUZ'; expected f64, f32, tf32, f16, bf16, f8E4M3FN, f8E5M2, i8 or i4}}
func.func @bad_element() attributes {f = #mp.format<f8E4M3FNUZ>} { return }

// -----

// expected-error @+1 {{integer format 'i8' needs a scale scheme}}
func.func @int_without_scale() attributes {f = #mp.format<i8>} { return }

// -----

// expected-error @+1 {{'dynamic' needs a scale scheme}}
func.func @dynamic_without_scale() attributes {f = #mp.format<f16, dynamic>} { return }

// -----

// expected-error @+1 {{scale axis must be non-negative, got -2}}
func.func @negative_axis() attributes {f = #mp.format<i8, per_channel(axis = -2)>} { return }

// -----

// expected-error @+1 {{group size must be positive, got 0}}
func.func @zero_group() attributes {f = #mp.format<i4, per_group(axis = 1, size = 0)>} { return }

// -----

// expected-error @+1 {{accumulator type 'f16' is narrower than the element type 'f32'}}
func.func @narrow_acc() attributes {f = #mp.format<f32, acc = f16>} { return }

// -----

// expected-error @+1 {{accumulator type 'f16' cannot hold every value of 'bf16'}}
func.func @acc_range() attributes {f = #mp.format<bf16, acc = f16>} { return }

// -----

// expected-error @+1 {{float format 'f16' cannot accumulate in integer type 'i32'}}
func.func @float_int_acc() attributes {f = #mp.format<f16, acc = i32>} { return }

// -----

// expected-error @+1 {{unknown format field 'per_row'}}
func.func @unknown_field() attributes {f = #mp.format<i8, per_row>} { return }

// -----

// expected-error @+1 {{policy override 'matmul' must map to a #mp.format}}
func.func @bad_policy() attributes {p = #mp.policy<name = "x", contraction = <f16>, elementwise = <f16>, sensitive = <f32>, overrides = {matmul = 3 : i32}>} { return }

// -----

func.func @cast_tensor_scalar(%x: tensor<f32>) -> f16 {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = "mp.cast"(%x) : (tensor<f32>) -> f16
  return %0 : f16
}

// -----

func.func @cast_shape(%x: tensor<4xf32>) -> tensor<8xf16> {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = mp.cast %x : tensor<4xf32> to tensor<8xf16>
  return %0 : tensor<8xf16>
}

// -----

func.func @cast_tf32(%x: tensor<4xf32>) -> tensor<4xtf32> {
  // expected-error @+1 {{tf32 is a compute-only format (stored as f32) and cannot be a cast operand or result}}
  %0 = mp.cast %x : tensor<4xf32> to tensor<4xtf32>
  return %0 : tensor<4xtf32>
}

// -----

func.func @cast_int(%x: tensor<4xi8>) -> tensor<4xf16> {
  // expected-error @+1 {{operand #0 must be floating-point or ranked tensor of floating-point values}}
  %0 = mp.cast %x : tensor<4xi8> to tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @quant_type(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4xi4> {
  // expected-error @+1 {{result element type 'i4' does not match the format #mp.format<i8, per_tensor>}}
  %0 = mp.quantize %x, %s {format = #mp.format<i8, per_tensor>} : (tensor<4xf32>, tensor<f32>) -> tensor<4xi4>
  return %0 : tensor<4xi4>
}

// -----

func.func @quant_shape(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<8xi8> {
  // expected-error @+1 {{result shape must match the input shape}}
  %0 = mp.quantize %x, %s {format = #mp.format<i8, per_tensor>} : (tensor<4xf32>, tensor<f32>) -> tensor<8xi8>
  return %0 : tensor<8xi8>
}

// -----

func.func @quant_no_scale(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4xf16> {
  // expected-error @+1 {{format #mp.format<f16> has no scale scheme; quantize and dequantize need per_tensor, per_channel or per_group}}
  %0 = mp.quantize %x, %s {format = #mp.format<f16>} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @quant_f32(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4xf32> {
  // expected-error @+1 {{quantizing to 'f32' is not a narrowing}}
  %0 = mp.quantize %x, %s {format = #mp.format<f32, per_tensor>} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @per_tensor_shape(%x: tensor<4xf32>, %s: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{per_tensor scale must be a rank-0 (or 1-element) tensor, got 'tensor<4xf32>'}}
  %0 = mp.quantize %x, %s {format = #mp.format<i8, per_tensor>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @per_channel_len(%w: tensor<64x32xf32>, %s: tensor<32xf32>) -> tensor<64x32xi8> {
  // expected-error @+1 {{per_channel(axis = 0) scale must be tensor<64x...> (the size of dimension 0 of 'tensor<64x32xf32>'), got 'tensor<32xf32>'}}
  %0 = mp.quantize %w, %s {format = #mp.format<i8, per_channel(axis = 0)>} : (tensor<64x32xf32>, tensor<32xf32>) -> tensor<64x32xi8>
  return %0 : tensor<64x32xi8>
}

// -----

func.func @axis_range(%w: tensor<64x32xf32>, %s: tensor<32xf32>) -> tensor<64x32xi8> {
  // expected-error @+1 {{scale axis 2 is out of range for 'tensor<64x32xf32>'}}
  %0 = mp.quantize %w, %s {format = #mp.format<i8, per_channel(axis = 2)>} : (tensor<64x32xf32>, tensor<32xf32>) -> tensor<64x32xi8>
  return %0 : tensor<64x32xi8>
}

// -----

func.func @group_divides(%w: tensor<64x30xf32>, %s: tensor<64x4xf32>) -> tensor<64x30xi4> {
  // expected-error @+1 {{dimension 1 of 'tensor<64x30xf32>' (size 30) is not a multiple of the group size 8}}
  %0 = mp.quantize %w, %s {format = #mp.format<i4, per_group(axis = 1, size = 8)>} : (tensor<64x30xf32>, tensor<64x4xf32>) -> tensor<64x30xi4>
  return %0 : tensor<64x30xi4>
}

// -----

func.func @group_shape(%w: tensor<64x32xf32>, %s: tensor<64x8xf32>) -> tensor<64x32xi4> {
  // expected-error @+1 {{per_group(axis = 1, size = 8) scale for 'tensor<64x32xf32>' must have its shape with dimension 1 divided by 8, got 'tensor<64x8xf32>'}}
  %0 = mp.quantize %w, %s {format = #mp.format<i4, per_group(axis = 1, size = 8)>} : (tensor<64x32xf32>, tensor<64x8xf32>) -> tensor<64x32xi4>
  return %0 : tensor<64x32xi4>
}

// -----

func.func @zp_float(%x: tensor<4xf32>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<4xf8E4M3FN> {
  // expected-error @+1 {{zero points are only allowed for integer formats}}
  %0 = mp.quantize %x, %s zero_point %z {format = #mp.format<f8E4M3FN, per_tensor>} : (tensor<4xf32>, tensor<f32>, tensor<i32>) -> tensor<4xf8E4M3FN>
  return %0 : tensor<4xf8E4M3FN>
}

// -----

func.func @zp_shape(%x: tensor<4x2xf32>, %s: tensor<4xf32>, %z: tensor<2xi32>) -> tensor<4x2xi8> {
  // expected-error @+1 {{zero point shape 'tensor<2xi32>' must match the scale shape 'tensor<4xf32>'}}
  %0 = mp.quantize %x, %s zero_point %z {format = #mp.format<i8, per_channel(axis = 0)>} : (tensor<4x2xf32>, tensor<4xf32>, tensor<2xi32>) -> tensor<4x2xi8>
  return %0 : tensor<4x2xi8>
}

// -----

func.func @dequant_type(%q: tensor<4xi8>, %s: tensor<f32>) -> tensor<4xf32> {
  // expected-error @+1 {{input element type 'i8' does not match the format #mp.format<i4, per_tensor>}}
  %0 = mp.dequantize %q, %s {format = #mp.format<i4, per_tensor>} : (tensor<4xi8>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @dequant_shape(%q: tensor<4xi8>, %s: tensor<f32>) -> tensor<2xf32> {
  // expected-error @+1 {{result shape must match the input shape}}
  %0 = mp.dequantize %q, %s {format = #mp.format<i8, per_tensor>} : (tensor<4xi8>, tensor<f32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @pin_int(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{can only pin float values or tensors, got 'tensor<4xi32>'}}
  %0 = mp.pin %x {format = #mp.format<f16>} : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @amax_result(%x: tensor<4xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{result #0 must be 0D tensor of 32-bit float values}}
  %0 = mp.amax %x : tensor<4xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

// Decisions: malformed values are diagnostics, never crashes or defaults.

// expected-error @+1 {{compute type 'bf16' cannot hold every value of the storage type 'f32'}}
func.func @decision_compute_narrower() attributes {d = #mp.decision<class = elementwise, format = <f32>, compute = bf16, rule = "r">} { return }

// -----

// expected-error @+1 {{compute type 'f16' differs from the format's accumulator 'f32'}}
func.func @decision_compute_not_acc() attributes {d = #mp.decision<class = contraction, format = <f16, acc = f32>, compute = f16, rule = "r">} { return }

// -----

// expected-error @+1 {{decision needs the rule that made it}}
func.func @decision_no_rule() attributes {d = #mp.decision<class = elementwise, format = <bf16>, compute = f32, rule = "">} { return }

// -----

// expected-error @+1 {{compute type must be an integer or IEEE float type, got 'tf32'}}
func.func @decision_tf32_compute() attributes {d = #mp.decision<class = elementwise, format = <f32>, compute = tf32, rule = "r">} { return }

// -----

// expected-error @+2 {{expected ::mp::OpClass to be one of: contraction, elementwise, data_movement, sensitive}}
// expected-error @+1 {{failed to parse MP_DecisionAttr parameter 'opClass'}}
func.func @decision_bad_class() attributes {d = #mp.decision<class = reduction, format = <f32>, compute = f32, rule = "r">} { return }

// -----

// The discardable attributes of the mp namespace are verified on every op.

func.func @class_as_integer(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{unknown attribute 'mp.class' in the mp namespace}}
  // expected-note @+1 {{decisions are recorded as 'mp.decision' = #mp.decision<...>}}
  %0 = arith.addf %a, %a {mp.class = 1 : i32} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @rule_string(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{unknown attribute 'mp.rule' in the mp namespace}}
  // expected-note @+1 {{decisions are recorded as 'mp.decision'}}
  %0 = arith.addf %a, %a {mp.rule = "user-attribute"} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @format_string(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mp.format' (a requested format) must be a #mp.format, got "bf16"}}
  %0 = arith.addf %a, %a {mp.format = "bf16"} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// expected-error @+1 {{'mp.policy' must be a #mp.policy, got 3 : i32}}
module attributes {mp.policy = 3 : i32} {}

// -----

func.func @policy_on_op(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mp.policy' applies to a module or a function only}}
  %0 = arith.addf %a, %a {mp.policy = #mp.policy<name = "p", contraction = <bf16, acc = f32>, elementwise = <bf16>, sensitive = <f32>>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @decision_string(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mp.decision' must be a #mp.decision, got "bf16"}}
  %0 = arith.addf %a, %a {mp.decision = "bf16"} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @name_integer(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mp.name' must be a string, got 7 : i64}}
  %0 = arith.addf %a, %a {mp.name = 7} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @unknown_mp_attr(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{unknown attribute 'mp.report.casts_inserted' in the mp namespace}}
  // expected-note @+1 {{known: mp.decision, mp.format, mp.policy, mp.name, mp.exposed_values, mp.warp_synchronous, mp.compensation}}
  %0 = arith.addf %a, %a {mp.report.casts_inserted = 3} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @bad_compensation(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mp.compensation' must be "kahan", "neumaier" or "pairwise", got "tree"}}
  %0 = arith.addf %a, %a {mp.compensation = "tree"} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// IR whose decisions lie is rejected, each lie named at its op.
// RUN: mp-opt %s -split-input-file -mp-verify-decisions -verify-diagnostics

#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>

// The false claim of issue 7: `acc = f32` on the decision while the payload
// rounds the accumulator to bf16 and adds in bf16.
func.func @bf16_accumulation(%a: tensor<4x8xbf16>, %b: tensor<8x2xbf16>, %init: tensor<4x2xf32>) -> tensor<4x2xf32> {
  // expected-error @+2 {{decision says the payload computes in 'f32', but 'arith.mulf' computes in 'bf16'}}
  // expected-error @+1 {{decision says the payload computes in 'f32', but 'arith.addf' computes in 'bf16'}}
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<4x8xbf16>, tensor<8x2xbf16>) outs(%init : tensor<4x2xf32>)
      attrs = {mp.decision = #mp.decision<class = contraction, format = <bf16, acc = f32>, compute = f32, rule = "hand-written">} {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %n = mp.cast %acc : f32 to bf16
    // expected-note @+1 {{payload op here}}
    %m = arith.mulf %x, %y : bf16
    // expected-note @+1 {{payload op here}}
    %s = arith.addf %n, %m : bf16
    %w = mp.cast %s : bf16 to f32
    linalg.yield %w : f32
  } -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>


// A "sensitive, f32" op that runs exp in bf16 between casts.
func.func @exp_in_bf16(%a: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %e = tensor.empty() : tensor<2x4xf32>
  // expected-error @+1 {{decision says the payload computes in 'f32', but 'math.exp' computes in 'bf16'}}
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>)
      attrs = {mp.decision = #mp.decision<class = sensitive, format = <f32>, compute = f32, rule = "hand-written">} {
  ^bb0(%x: f32, %o: f32):
    %n = arith.truncf %x : f32 to bf16
    // expected-note @+1 {{payload op here}}
    %y = math.exp %n : bf16
    %w = arith.extf %y : bf16 to f32
    linalg.yield %w : f32
  } -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>


// Inputs and results stored in other types than the decision's.
func.func @wrong_storage(%a: tensor<4x4xf32>, %init: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error @+2 {{decision says input #0 is 'bf16', but it is 'f32'}}
  // expected-error @+1 {{decision says input #1 is 'bf16', but it is 'f32'}}
  %0 = linalg.matmul {mp.decision = #mp.decision<class = contraction, format = <bf16, acc = f32>, compute = f32, rule = "hand-written">}
      ins(%a, %a : tensor<4x4xf32>, tensor<4x4xf32>) outs(%init : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>


func.func @wrong_result(%a: tensor<4xbf16>) -> tensor<4xf32> {
  // expected-error @+1 {{decision says result #0 is 'bf16', but it is 'f32'}}
  %0 = arith.extf %a {mp.decision = #mp.decision<class = elementwise, format = <bf16>, compute = bf16, rule = "hand-written">} : tensor<4xbf16> to tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>


// An op without a payload computes in its storage type; claiming f32 is a lie.
func.func @no_payload(%a: tensor<4xbf16>) -> tensor<4xbf16> {
  // expected-error @+1 {{decision says the op computes in 'f32', but it has no payload and computes in 'bf16'}}
  %0 = arith.addf %a, %a {mp.decision = #mp.decision<class = elementwise, format = <bf16>, compute = f32, rule = "hand-written">} : tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>


// What mp-materialize writes holds: no diagnostics.
func.func @truthful(%a: tensor<4x8xbf16>, %b: tensor<8x2xbf16>, %init: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<4x8xbf16>, tensor<8x2xbf16>) outs(%init : tensor<4x2xf32>)
      attrs = {mp.decision = #mp.decision<class = contraction, format = <bf16, acc = f32>, compute = f32, rule = "hand-written">} {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xw = mp.cast %x : bf16 to f32
    %yw = mp.cast %y : bf16 to f32
    %m = arith.mulf %xw, %yw : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

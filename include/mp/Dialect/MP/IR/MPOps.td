//===- MPOps.td - mp operations ----------------------------*- tablegen -*-===//

#ifndef MP_DIALECT_MP_IR_MPOPS_TD
#define MP_DIALECT_MP_IR_MPOPS_TD

include "mp/Dialect/MP/IR/MPAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

/// A float scalar or a ranked tensor of floats.
def MP_FloatLike : AnyTypeOf<[AnyFloat, RankedTensorOf<[AnyFloat]>]>;
/// A ranked tensor of floats or signless integers (quantized data).
def MP_NumberTensor : RankedTensorOf<[AnyFloat, AnySignlessInteger]>;
def MP_ScaleTensor : RankedTensorOf<[F32, F16, BF16]>;

//===----------------------------------------------------------------------===//
// mp.cast
//===----------------------------------------------------------------------===//

def MP_CastOp : MP_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "Float-to-float value cast with explicit rounding and saturation";
  let description = [{
    Converts each element to the result element type. `rounding` is
    `nearest_even` (default) or `toward_zero`. Without `saturate`, values beyond
    the result's largest finite value become infinity (or NaN for `f8E4M3FN`,
    which has no infinity), as `arith.truncf` does; with `saturate` they clamp
    to the largest finite value (infinities too), as PTX's `.satfinite` does.
    NaN stays NaN. Widening casts are exact and ignore both options.

    Identity casts fold away, and so do round trips through a wider format
    (`f16 -> f32 -> f16`); lossy round trips (`f32 -> f16 -> f32`) never do.

    ```mlir
    %0 = mp.cast %x : tensor<4x8xf32> to tensor<4x8xf16>
    %1 = mp.cast %x rounding(toward_zero) saturate : tensor<4xf32> to tensor<4xf8E4M3FN>
    ```
  }];
  let arguments = (ins
    MP_FloatLike:$input,
    DefaultValuedAttr<MP_RoundingMode, "::mp::RoundingMode::NearestEven">:$rounding,
    UnitAttr:$saturate
  );
  let results = (outs MP_FloatLike:$result);
  let assemblyFormat = [{
    $input (`rounding` `(` $rounding^ `)`)? (`saturate` $saturate^)? attr-dict
    `:` type($input) `to` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// True when every value of the input type is exactly representable in
    /// the result type.
    bool isExact();
  }];
}

//===----------------------------------------------------------------------===//
// mp.quantize / mp.dequantize
//===----------------------------------------------------------------------===//

def MP_QuantizeOp : MP_Op<"quantize", [Pure]> {
  let summary = "Scale, round and clamp into an integer or fp8 format";
  let description = [{
    `q = clamp(round_nearest_even(x / scale) + zero_point, qmin, qmax)` for
    integer formats (i8: [-128, 127], i4: [-8, 7]); NaN inputs give the zero
    point. For fp8 formats `q = cast(x / scale)` with saturation to the
    format's largest finite value; zero points are not allowed.

    The scale tensor's shape follows the format's scheme: `per_tensor` takes a
    rank-0 tensor; `per_channel(axis = A)` a 1-D tensor of the input's size
    along A; `per_group(axis = A, size = G)` the input's shape with dimension A
    divided by G. A zero point (integer formats only) has the scale's shape and
    type i32.

    ```mlir
    %q = mp.quantize %w, %s {format = #mp.format<i8, per_channel(axis = 0)>}
         : (tensor<64x32xf32>, tensor<64xf32>) -> tensor<64x32xi8>
    ```
  }];
  let arguments = (ins
    RankedTensorOf<[AnyFloat]>:$input,
    MP_ScaleTensor:$scale,
    Optional<RankedTensorOf<[I32]>>:$zero_point,
    MP_FormatAttr:$format
  );
  let results = (outs MP_NumberTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`zero_point` $zero_point^)? attr-dict `:`
    `(` type($input) `,` type($scale) (`,` type($zero_point)^)? `)` `->` type($result)
  }];
  let hasVerifier = 1;
}

def MP_DequantizeOp : MP_Op<"dequantize", [Pure]> {
  let summary = "Scale a quantized tensor back to a float type";
  let description = [{
    `x = (q - zero_point) * scale` (integers), `x = q * scale` (fp8), computed
    in f32 and rounded once to the result type. Scale and zero point follow the
    same shape rules as `mp.quantize`.

    ```mlir
    %x = mp.dequantize %q, %s {format = #mp.format<i8, per_tensor>}
         : (tensor<16xi8>, tensor<f32>) -> tensor<16xf32>
    ```
  }];
  let arguments = (ins
    MP_NumberTensor:$input,
    MP_ScaleTensor:$scale,
    Optional<RankedTensorOf<[I32]>>:$zero_point,
    MP_FormatAttr:$format
  );
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $input `,` $scale (`zero_point` $zero_point^)? attr-dict `:`
    `(` type($input) `,` type($scale) (`,` type($zero_point)^)? `)` `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// mp.pin
//===----------------------------------------------------------------------===//

def MP_PinOp : MP_Op<"pin", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Fix the format of a value (a user override)";
  let description = [{
    Returns its operand unchanged and tells mp-assign-precision that the value
    must be computed in `format`, whatever the policy says. Lowering removes it.

    ```mlir
    %0 = mp.pin %logits {format = #mp.format<f32>} : tensor<8x128xf32>
    ```
  }];
  let arguments = (ins AnyType:$input, MP_FormatAttr:$format);
  let results = (outs AnyType:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// mp.amax
//===----------------------------------------------------------------------===//

def MP_AmaxOp : MP_Op<"amax", [Pure]> {
  let summary = "Absolute maximum of a tensor, for dynamic scaling";
  let description = [{
    Reduces `max(|x|)` over every element, in f32. An empty tensor gives 0; a
    NaN anywhere gives NaN (so a broken input cannot hide behind a scale).

    ```mlir
    %m = mp.amax %x : tensor<4x8xbf16> -> tensor<f32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input);
  let results = (outs 0DTensorOf<[F32]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

#endif // MP_DIALECT_MP_IR_MPOPS_TD

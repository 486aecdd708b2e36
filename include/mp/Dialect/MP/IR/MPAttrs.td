//===- MPAttrs.td - mp attributes and enums ----------------*- tablegen -*-===//

#ifndef MP_DIALECT_MP_IR_MPATTRS_TD
#define MP_DIALECT_MP_IR_MPATTRS_TD

include "mp/Dialect/MP/IR/MPDialect.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def MP_RoundingMode : I32EnumAttr<"RoundingMode", "rounding mode of a value cast", [
    I32EnumAttrCase<"NearestEven", 0, "nearest_even">,
    I32EnumAttrCase<"TowardZero", 1, "toward_zero">
  ]> {
  let cppNamespace = "::mp";
}

def MP_ScaleKind : I32EnumAttr<"ScaleKind", "how a scaled format's scales are laid out", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"PerTensor", 1, "per_tensor">,
    I32EnumAttrCase<"PerChannel", 2, "per_channel">,
    I32EnumAttrCase<"PerGroup", 3, "per_group">
  ]> {
  let cppNamespace = "::mp";
}

def MP_OpClass : I32EnumAttr<"OpClass", "how precision assignment treats an op", [
    I32EnumAttrCase<"Contraction", 0, "contraction">,
    I32EnumAttrCase<"Elementwise", 1, "elementwise">,
    I32EnumAttrCase<"DataMovement", 2, "data_movement">,
    I32EnumAttrCase<"Sensitive", 3, "sensitive">
  ]> {
  let cppNamespace = "::mp";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

class MP_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<MP_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def MP_FormatAttr : MP_Attr<"Format", "format"> {
  let summary = "A numeric format: element type, scale scheme, accumulation type";
  let description = [{
    Names the format a value is stored or computed in.

    - element type: `f32`, `tf32` (compute-only: stored as f32, multiplied
      with a 10-bit mantissa), `f16`, `bf16`, `f8E4M3FN`, `f8E5M2`, `i8`, `i4`;
    - scale scheme: none, `per_tensor`, `per_channel(axis = A)` or
      `per_group(axis = A, size = G)`, with `static` scales (known at compile
      time, the default) or `dynamic` ones (computed at run time from an amax);
    - accumulation type for contractions: `acc = f32` (or `i32` for integer
      formats). It may not be narrower than the element type.

    Integer formats need a scale. Examples:

    ```mlir
    #mp.format<bf16, acc = f32>
    #mp.format<f8E4M3FN, per_tensor, dynamic, acc = f32>
    #mp.format<i8, per_channel(axis = 0)>
    #mp.format<i4, per_group(axis = 1, size = 128), acc = f32>
    ```
  }];
  let parameters = (ins
    "::mlir::Type":$elementType,
    DefaultValuedParameter<"::mp::ScaleKind", "::mp::ScaleKind::None">:$scale,
    DefaultValuedParameter<"int64_t", "-1">:$axis,
    DefaultValuedParameter<"int64_t", "0">:$groupSize,
    DefaultValuedParameter<"bool", "false">:$dynamic,
    OptionalParameter<"::mlir::Type">:$accumulator
  );
  let builders = [
    AttrBuilder<(ins "::mlir::Type":$elementType), [{
      return $_get($_ctxt, elementType, ::mp::ScaleKind::None, -1, 0, false,
                   ::mlir::Type());
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// True for i8/i4 formats (which always carry a scale).
    bool isInteger() const { return ::llvm::isa<::mlir::IntegerType>(getElementType()); }
    /// True when the format carries scales.
    bool isScaled() const { return getScale() != ::mp::ScaleKind::None; }
    /// The type values of this format are stored in (tf32 is stored as f32).
    ::mlir::Type getStorageType() const;
  }];
}

def MP_PolicyAttr : MP_Attr<"Policy", "policy"> {
  let summary = "A precision policy: default formats per op class, and overrides";
  let description = [{
    Attached to a module or function as `mp.policy`. `contraction` is the
    format of contraction inputs (matmul, batch_matmul, conv, multiply-add
    reductions) and carries the accumulator; `elementwise` applies to ops that
    follow their producers; `sensitive` to numerically sensitive ops (softmax,
    norm statistics, exp/log/erf/tanh inputs, long reductions). `overrides` maps
    an op name or location pattern (glob with `*`) to a format.

    ```mlir
    #mp.policy<name = "bf16", contraction = <bf16, acc = f32>,
               elementwise = <bf16>, sensitive = <f32>>
    ```
  }];
  let parameters = (ins
    StringRefParameter<"policy name">:$name,
    "FormatAttr":$contraction,
    "FormatAttr":$elementwise,
    "FormatAttr":$sensitive,
    OptionalParameter<"::mlir::DictionaryAttr">:$overrides
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def MP_DecisionAttr : MP_Attr<"Decision", "decision"> {
  let summary = "The precision decided for one op: format, compute type, class, rule";
  let description = [{
    Recorded by `mp-assign-precision` on every op it decides, as the
    discardable attribute `mp.decision`, and read by every later pass; the
    dialect verifies it wherever it appears. It states a contract that
    `mp-verify-decisions` checks on the IR:

    - `class`: `contraction`, `elementwise`, `data_movement` or `sensitive`;
    - `format`: the storage format of the op's float tensor inputs and (for
      every class but contractions) of its float tensor results;
    - `compute`: the type all float arithmetic of the op's payload runs in. A
      contraction's accumulator (its init and result) has this type; its
      products of low-precision inputs are formed exactly in it. For other
      linalg ops inputs are widened exactly to `compute` on entry and the
      result is rounded once to the storage type at the yield. Ops without a
      payload (tensor arithmetic, softmax, reshapes) compute in storage;
    - `rule`: which rule decided (`class-default:<class>`,
      `follows-producers`, `user-attribute`, `user-pin`, `policy-file[i]`,
      `policy-attr:<pattern>`, `keep-f64`), followed by the adjustments made
      (`range-check:...`, `narrows-f64`, `clamps-mask-constant`);
    - `forced`: the user chose the format (attribute, pin, policy file or
      policy overrides); a forced format that cannot hold a constant is an
      error instead of being widened.

    ```mlir
    linalg.matmul {mp.decision = #mp.decision<class = contraction,
        format = <bf16, acc = f32>, compute = f32,
        rule = "class-default:contraction">} ...
    ```
  }];
  let parameters = (ins
    EnumParameter<MP_OpClass>:$opClass,
    "FormatAttr":$format,
    "::mlir::Type":$compute,
    StringRefParameter<"the rule that decided">:$rule,
    DefaultValuedParameter<"bool", "false">:$forced
  );
  let assemblyFormat = [{
    `<` `class` `=` $opClass `,` `format` `=` $format `,` `compute` `=` $compute
    `,` `rule` `=` $rule (`,` `forced` `=` $forced^)? `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The storage type of `format` (tf32 is stored as f32).
    ::mlir::Type getStorageType() const { return getFormat().getStorageType(); }
    /// True for contraction decisions.
    bool isContraction() const { return getOpClass() == ::mp::OpClass::Contraction; }
  }];
}

#endif // MP_DIALECT_MP_IR_MPATTRS_TD

//===- FloatEmulation.cpp - exact float format conversion in arith/math ---===//
//
// Emits scalar code that converts between f64, f32, f16, bf16, f8E4M3FN and
// f8E5M2 with mp.cast semantics. Narrowing works in a "work type" W (f32, or
// f64 for f64 sources) that holds every value of both formats:
//
//   1. round |x| to the destination's precision p with its minimum normal
//      exponent emin:  ulp = 2^(max(exponent(x), emin) - (p - 1)),
//      r = roundeven(|x| / ulp) * ulp  (or trunc for toward_zero); both the
//      scaling and the product are exact powers of two, so this is the one and
//      only rounding step;
//   2. handle overflow: saturate, infinity, or NaN (f8E4M3FN has no infinity);
//   3. encode r, now exactly representable, into the destination's bits.
//
// bf16 from f32 uses arith.truncf (its ulp can be subnormal in f32), f16 uses
// arith.truncf of an already exact value, and fp8 is encoded with integer ops.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/MPToArith/MPToArith.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mp;

bool mp::isEmulatableFloatType(Type type) {
  return type.isF64() || type.isF32() || type.isF16() || type.isBF16() ||
         isa<Float8E4M3FNType, Float8E5M2Type>(type);
}

namespace {
/// Builds scalar conversion code with an implicit location.
class FloatEmitter {
public:
  explicit FloatEmitter(ImplicitLocOpBuilder &b) : b(b) {}

  Value intConst(Type type, int64_t value) {
    return arith::ConstantIntOp::create(b, type, value);
  }
  Value floatConst(FloatType type, double value) {
    APFloat apValue(value);
    bool lost;
    apValue.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    return arith::ConstantFloatOp::create(b, type, apValue);
  }
  Value floatConst(FloatType type, APFloat value) {
    bool lost;
    value.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    return arith::ConstantFloatOp::create(b, type, value);
  }

  /// Decodes fp8 to f32 exactly; other types are extended with arith.extf.
  Value widenToF32(Value x) {
    Type type = x.getType();
    Type f32 = b.getF32Type();
    if (type.isF32())
      return x;
    if (isa<Float8E5M2Type>(type)) {
      // E5M2 is the upper byte of an f16.
      Value bits8 = arith::BitcastOp::create(b, b.getI8Type(), x);
      Value bits16 = arith::ExtUIOp::create(b, b.getI16Type(), bits8);
      bits16 = arith::ShLIOp::create(b, bits16, intConst(b.getI16Type(), 8));
      Value half = arith::BitcastOp::create(b, b.getF16Type(), bits16);
      return arith::ExtFOp::create(b, f32, half);
    }
    if (isa<Float8E4M3FNType>(type))
      return decodeE4M3FN(x);
    return arith::ExtFOp::create(b, f32, x);
  }

  /// f8E4M3FN: bias 7, 3 mantissa bits, S.1111.111 is NaN, no infinity.
  Value decodeE4M3FN(Value x) {
    Type i32 = b.getI32Type();
    FloatType f32 = b.getF32Type();
    Value bits = arith::ExtUIOp::create(
        b, i32, arith::BitcastOp::create(b, b.getI8Type(), x));
    Value exponent = arith::AndIOp::create(
        b, arith::ShRUIOp::create(b, bits, intConst(i32, 3)), intConst(i32, 15));
    Value mantissa = arith::AndIOp::create(b, bits, intConst(i32, 7));
    // Subnormal: m * 2^-9.
    Value subnormal = arith::MulFOp::create(
        b, arith::UIToFPOp::create(b, f32, mantissa), floatConst(f32, 0x1p-9));
    // Normal: f32 with exponent e - 7 + 127 and the mantissa on top.
    Value normalBits = arith::OrIOp::create(
        b,
        arith::ShLIOp::create(
            b, arith::AddIOp::create(b, exponent, intConst(i32, 120)),
            intConst(i32, 23)),
        arith::ShLIOp::create(b, mantissa, intConst(i32, 20)));
    Value normal = arith::BitcastOp::create(b, f32, normalBits);
    Value isSubnormal = arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                              exponent, intConst(i32, 0));
    Value magnitude = arith::SelectOp::create(b, isSubnormal, subnormal, normal);
    Value isNaN = arith::CmpIOp::create(
        b, arith::CmpIPredicate::eq, arith::AndIOp::create(b, bits, intConst(i32, 127)),
        intConst(i32, 127));
    magnitude = arith::SelectOp::create(
        b, isNaN, floatConst(f32, APFloat::getNaN(APFloat::IEEEsingle())),
        magnitude);
    Value isNegative = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, bits,
                                             intConst(i32, 128));
    return arith::SelectOp::create(b, isNegative,
                                   arith::NegFOp::create(b, magnitude), magnitude);
  }

  /// Step 1: rounds |x| (x in work type W = f32 or f64) to `precision` bits
  /// with minimum normal exponent `minExponent`, keeping x's sign.
  Value roundToPrecision(Value x, int precision, int minExponent,
                         RoundingMode rounding) {
    auto work = cast<FloatType>(x.getType());
    unsigned width = work.getWidth();
    Type intType = b.getIntegerType(width);
    int mantissaBits = width == 64 ? 52 : 23;
    int bias = width == 64 ? 1023 : 127;
    int exponentMask = width == 64 ? 0x7ff : 0xff;

    Value magnitude = math::AbsFOp::create(b, x);
    Value bits = arith::BitcastOp::create(b, intType, magnitude);
    Value exponent = arith::SubIOp::create(
        b,
        arith::AndIOp::create(
            b, arith::ShRUIOp::create(b, bits, intConst(intType, mantissaBits)),
            intConst(intType, exponentMask)),
        intConst(intType, bias));
    exponent = arith::MaxSIOp::create(b, exponent, intConst(intType, minExponent));
    // shift = exponent - (p - 1); ulp = 2^shift, inverse = 2^-shift, both
    // normal in W for every supported destination.
    Value shift = arith::SubIOp::create(b, exponent, intConst(intType, precision - 1));
    Value ulp = arith::BitcastOp::create(
        b, work,
        arith::ShLIOp::create(
            b, arith::AddIOp::create(b, shift, intConst(intType, bias)),
            intConst(intType, mantissaBits)));
    Value inverseUlp = arith::BitcastOp::create(
        b, work,
        arith::ShLIOp::create(
            b, arith::SubIOp::create(b, intConst(intType, bias), shift),
            intConst(intType, mantissaBits)));
    Value scaled = arith::MulFOp::create(b, magnitude, inverseUlp);
    Value rounded = rounding == RoundingMode::TowardZero
                        ? Value(math::TruncOp::create(b, scaled))
                        : Value(math::RoundEvenOp::create(b, scaled));
    Value result = arith::MulFOp::create(b, rounded, ulp);
    return math::CopySignOp::create(b, result, x);
  }

  /// Step 3 for f8E4M3FN: x (f32) is exactly representable, or +-inf/NaN,
  /// which both become NaN.
  Value encodeE4M3FN(Value x, Type dstType) {
    Type i32 = b.getI32Type();
    FloatType f32 = b.getF32Type();
    Value bits = arith::BitcastOp::create(b, i32, x);
    Value sign = arith::AndIOp::create(
        b, arith::ShRUIOp::create(b, bits, intConst(i32, 24)), intConst(i32, 128));
    Value magnitude = math::AbsFOp::create(b, x);
    Value magnitudeBits = arith::BitcastOp::create(b, i32, magnitude);
    // Subnormal (|x| < 2^-6): the code is |x| * 2^9.
    Value subnormalCode = arith::FPToUIOp::create(
        b, i32, arith::MulFOp::create(b, magnitude, floatConst(f32, 0x1p9)));
    // Normal: (e + 7) << 3 | top three mantissa bits; e + 7 = biased32 - 120.
    Value biased = arith::ShRUIOp::create(b, magnitudeBits, intConst(i32, 23));
    Value normalCode = arith::OrIOp::create(
        b,
        arith::ShLIOp::create(
            b, arith::SubIOp::create(b, biased, intConst(i32, 120)), intConst(i32, 3)),
        arith::AndIOp::create(
            b, arith::ShRUIOp::create(b, magnitudeBits, intConst(i32, 20)),
            intConst(i32, 7)));
    Value isSubnormal = arith::CmpFOp::create(b, arith::CmpFPredicate::OLT,
                                              magnitude, floatConst(f32, 0x1p-6));
    Value code = arith::SelectOp::create(b, isSubnormal, subnormalCode, normalCode);
    // NaN and infinity (only reachable without saturation) become NaN.
    Value notFinite = arith::CmpFOp::create(b, arith::CmpFPredicate::UGE,
                                            magnitude,
                                            floatConst(f32, APFloat::getInf(APFloat::IEEEsingle())));
    code = arith::SelectOp::create(b, notFinite, intConst(i32, 127), code);
    code = arith::OrIOp::create(b, code, sign);
    Value byte = arith::TruncIOp::create(b, b.getI8Type(), code);
    return arith::BitcastOp::create(b, dstType, byte);
  }

  /// Step 3: encodes x (W-typed, exactly representable in dst, or +-inf/NaN).
  Value encode(Value x, FloatType dst) {
    if (x.getType().isF64() && !dst.isF64())
      x = arith::TruncFOp::create(b, b.getF32Type(), x); // exact
    if (dst.isF32())
      return x;
    if (dst.isF16() || dst.isBF16())
      return arith::TruncFOp::create(b, dst, x); // exact
    if (isa<Float8E5M2Type>(dst)) {
      Value half = arith::TruncFOp::create(b, b.getF16Type(), x); // exact
      Value bits16 = arith::BitcastOp::create(b, b.getI16Type(), half);
      bits16 = arith::ShRUIOp::create(b, bits16, intConst(b.getI16Type(), 8));
      Value byte = arith::TruncIOp::create(b, b.getI8Type(), bits16);
      return arith::BitcastOp::create(b, dst, byte);
    }
    return encodeE4M3FN(x, dst);
  }

  Value convert(Value x, FloatType dst, RoundingMode rounding, bool saturate) {
    auto src = cast<FloatType>(x.getType());
    if (src == dst)
      return x;
    if (isExactlyRepresentable(src, dst)) {
      // Widening: exact, rounding and saturation do not apply.
      if (isa<Float8E4M3FNType, Float8E5M2Type>(src)) {
        Value wide = widenToF32(x);
        if (dst.isF32())
          return wide;
        return dst.getWidth() > 32 ? Value(arith::ExtFOp::create(b, dst, wide))
                                   : encode(wide, dst);
      }
      return arith::ExtFOp::create(b, dst, x);
    }
    // Narrowing (or sideways, e.g. f16 <-> bf16): work in f64 for f64
    // sources, else in f32 (which holds every narrower value exactly).
    Value work = src.isF64() ? x : widenToF32(x);
    auto workType = cast<FloatType>(work.getType());
    const llvm::fltSemantics &sem = dst.getFloatSemantics();
    APFloat largest = APFloat::getLargest(sem);
    Value largestValue = floatConst(workType, largest);
    Value inf = floatConst(workType, APFloat::getInf(APFloat::IEEEdouble()));

    if (dst.isBF16() && workType.isF32()) {
      if (saturate)
        work = arith::MinimumFOp::create(
            b, arith::MaximumFOp::create(b, work, arith::NegFOp::create(b, largestValue)),
            largestValue);
      if (rounding == RoundingMode::NearestEven)
        return arith::TruncFOp::create(b, dst, work);
      // Toward zero: drop the low 16 bits (keeping NaNs NaN), then the
      // truncation is exact.
      Value bits = arith::BitcastOp::create(b, b.getI32Type(), work);
      Value chopped = arith::BitcastOp::create(
          b, workType,
          arith::AndIOp::create(b, bits, intConst(b.getI32Type(), 0xffff0000)));
      Value isNaN = arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, work, work);
      return arith::TruncFOp::create(
          b, dst, arith::SelectOp::create(b, isNaN, work, chopped));
    }

    int precision = APFloat::semanticsPrecision(sem);
    int minExponent = APFloat::semanticsMinExponent(sem);
    Value rounded = roundToPrecision(work, precision, minExponent, rounding);
    Value magnitude = math::AbsFOp::create(b, rounded);
    Value overflow = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT,
                                           magnitude, largestValue);
    Value signedLargest = math::CopySignOp::create(b, largestValue, work);
    if (saturate) {
      rounded = arith::SelectOp::create(b, overflow, signedLargest, rounded);
    } else if (rounding == RoundingMode::TowardZero) {
      // A finite value never rounds toward zero to infinity.
      Value finiteOverflow = arith::AndIOp::create(
          b, overflow,
          arith::CmpFOp::create(b, arith::CmpFPredicate::ONE, magnitude, inf));
      rounded = arith::SelectOp::create(b, finiteOverflow, signedLargest, rounded);
    } else {
      // Overflow gives infinity; E4M3FN encodes it as NaN.
      rounded = arith::SelectOp::create(b, overflow,
                                        math::CopySignOp::create(b, inf, work),
                                        rounded);
    }
    return encode(rounded, dst);
  }

private:
  ImplicitLocOpBuilder &b;
};
} // namespace

Value mp::emitFloatCast(ImplicitLocOpBuilder &b, Value value, FloatType dstType,
                        RoundingMode rounding, bool saturate) {
  return FloatEmitter(b).convert(value, dstType, rounding, saturate);
}

//===- AnalysisTest.cpp - lib/Analysis on small IR ------------------------===//

#include "mp/Analysis/Calibration.h"
#include "mp/Analysis/Classification.h"
#include "mp/Analysis/ConstantData.h"
#include "mp/Analysis/DecisionCheck.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mp;

namespace {

class AnalysisTest : public ::testing::Test {
protected:
  AnalysisTest() {
    context.loadDialect<MPDialect, arith::ArithDialect, func::FuncDialect,
                        linalg::LinalgDialect, math::MathDialect, tensor::TensorDialect>();
  }

  OwningOpRef<ModuleOp> parse(StringRef text) {
    return parseSourceString<ModuleOp>(text, &context);
  }

  /// The first op named `name` in `module`.
  Operation *find(ModuleOp module, StringRef name) {
    Operation *found = nullptr;
    module.walk([&](Operation *op) {
      if (!found && op->getName().getStringRef() == name)
        found = op;
    });
    return found;
  }

  MLIRContext context;
};

TEST_F(AnalysisTest, ClassifiesByStructure) {
  auto module = parse(R"mlir(
    #id = affine_map<(d0, d1) -> (d0, d1)>
    #t = affine_map<(d0, d1) -> (d1, d0)>
    func.func @f(%a: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
      %0 = linalg.matmul ins(%a, %a : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
      %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
          ins(%a : tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) {
      ^bb0(%x: f32, %o: f32):
        %e = math.exp %x : f32
        linalg.yield %e : f32
      } -> tensor<4x4xf32>
      %2 = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
          ins(%a : tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) {
      ^bb0(%x: f32, %o: f32):
        linalg.yield %x : f32
      } -> tensor<4x4xf32>
      return %0, %1, %2 : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
    })mlir");
  ASSERT_TRUE(module);
  SmallVector<std::optional<OpClass>> classes;
  module->walk([&](linalg::LinalgOp op) { classes.push_back(classifyOp(op)); });
  ASSERT_EQ(classes.size(), 3u);
  EXPECT_EQ(classes[0], OpClass::Contraction);
  EXPECT_EQ(classes[1], OpClass::Sensitive);
  EXPECT_EQ(classes[2], OpClass::DataMovement);
  EXPECT_EQ(parseOpClass("data-movement"), OpClass::DataMovement);
  EXPECT_EQ(parseOpClass("data_movement"), OpClass::DataMovement);
  EXPECT_FALSE(parseOpClass("reduction").has_value());
}

TEST_F(AnalysisTest, DecisionCheckReadsTypesNotAttributes) {
  auto module = parse(R"mlir(
    #mk = affine_map<(d0, d1, d2) -> (d0, d2)>
    #kn = affine_map<(d0, d1, d2) -> (d2, d1)>
    #mn = affine_map<(d0, d1, d2) -> (d0, d1)>
    func.func @f(%a: tensor<4x8xbf16>, %b: tensor<8x2xbf16>, %c: tensor<4x2xf32>) -> tensor<4x2xf32> {
      %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
          ins(%a, %b : tensor<4x8xbf16>, tensor<8x2xbf16>) outs(%c : tensor<4x2xf32>)
          attrs = {mp.decision = #mp.decision<class = contraction, format = <bf16, acc = f32>, compute = f32, rule = "r">} {
      ^bb0(%x: bf16, %y: bf16, %acc: f32):
        %m = arith.mulf %x, %y : bf16
        %w = arith.extf %m : bf16 to f32
        %s = arith.addf %acc, %w : f32
        linalg.yield %s : f32
      } -> tensor<4x2xf32>
      return %0 : tensor<4x2xf32>
    })mlir");
  ASSERT_TRUE(module);
  Operation *op = find(*module, "linalg.generic");
  DecisionAttr decision = getDecision(op);
  ASSERT_TRUE(decision);
  // The product is rounded to bf16: the claim of f32 compute is false.
  EXPECT_TRUE(failed(checkDecision(op, decision, /*emit=*/false)));
  // The same op under an honest decision (compute bf16 is not allowed with
  // acc = f32, so claim a bf16 accumulator... which its f32 init denies).
  auto honest = DecisionAttr::get(&context, OpClass::Contraction,
                                  FormatAttr::get(&context, BFloat16Type::get(&context)),
                                  BFloat16Type::get(&context), "r", false);
  EXPECT_TRUE(failed(checkDecision(op, honest, /*emit=*/false)));
  Operation *mul = find(*module, "arith.mulf");
  EXPECT_TRUE(isFloatArithmetic(mul));
  EXPECT_FALSE(isFloatArithmetic(find(*module, "arith.extf")));
}

TEST_F(AnalysisTest, DefaultComputeType) {
  auto module = parse(R"mlir(
    func.func @f(%a: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
      %0 = linalg.matmul ins(%a, %a : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
      %1 = arith.addf %a, %a : tensor<4x4xf32>
      return %0, %1 : tensor<4x4xf32>, tensor<4x4xf32>
    })mlir");
  ASSERT_TRUE(module);
  Type bf16 = BFloat16Type::get(&context), f32 = Float32Type::get(&context),
       f64 = Float64Type::get(&context);
  Operation *matmul = find(*module, "linalg.matmul");
  Operation *add = find(*module, "arith.addf");
  EXPECT_EQ(defaultComputeType(matmul, FormatAttr::get(&context, bf16)), f32);
  EXPECT_EQ(defaultComputeType(matmul, FormatAttr::get(&context, f64)), f64);
  // Without a payload an op computes in its storage type.
  EXPECT_EQ(defaultComputeType(add, FormatAttr::get(&context, bf16)), bf16);
}

TEST_F(AnalysisTest, ConstantsClampOnlyInfinitySentinels) {
  auto f16 = Float16Type::get(&context);
  bool overflowed = false, clamped = false;
  APFloat mask(-3.40282347e38f);
  APFloat converted = convertConstant(mask, f16, /*clampSentinels=*/true, overflowed, clamped);
  EXPECT_TRUE(clamped);
  EXPECT_FALSE(overflowed);
  EXPECT_EQ(converted.convertToDouble(), -65504.0);
  // Without clamping, the same value overflows.
  clamped = false;
  converted = convertConstant(mask, f16, /*clampSentinels=*/false, overflowed, clamped);
  EXPECT_TRUE(overflowed);
  EXPECT_TRUE(converted.isInfinity());
  // 1e5 is beyond f16 but is no stand-in for infinity: it overflows.
  overflowed = clamped = false;
  convertConstant(APFloat(1.0e5f), f16, true, overflowed, clamped);
  EXPECT_TRUE(overflowed);
  EXPECT_FALSE(clamped);
  EXPECT_TRUE(isInfinitySentinel(APFloat(3.0e38f)));
  EXPECT_FALSE(isInfinitySentinel(APFloat(-1.0e9f)));
  EXPECT_EQ(largestFinite(f16), 65504.0);
}

TEST_F(AnalysisTest, CountsConstantBytesPerTypeAndWeights) {
  auto module = parse(R"mlir(
    func.func @f(%a: tensor<2x2xbf16>) -> (tensor<2x2xbf16>, tensor<4xf32>) {
      %w = arith.constant dense<1.0> : tensor<2x2xbf16>
      %unused = arith.constant dense<2.0> : tensor<4xf32>
      %0 = arith.addf %a, %w {mp.decision = #mp.decision<class = elementwise, format = <bf16>, compute = bf16, rule = "r">} : tensor<2x2xbf16>
      return %0, %unused : tensor<2x2xbf16>, tensor<4xf32>
    })mlir");
  ASSERT_TRUE(module);
  ConstantBytes bytes = countConstantBytes(*module);
  EXPECT_EQ(bytes.total, 8 + 16);
  EXPECT_EQ(bytes.perType["bf16"], 8);
  EXPECT_EQ(bytes.perType["f32"], 16);
  EXPECT_EQ(bytes.readByDecidedOps, 8);
}

TEST(Calibration, WriteThenRead) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("mp-calibration", "json", path));
  llvm::json::Object stats{{"abs_max", 812.5}, {"min", -812.5}};
  ASSERT_FALSE(llvm::errorToBool(
      writeCalibration(path, "m.mlir", "forward", {{"attn.scores", std::move(stats)}})));
  auto read = readCalibration(path);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  EXPECT_EQ(read->lookup("attn.scores"), 812.5);
  // A value without abs_max is refused by the writer.
  llvm::Error error = writeCalibration(path, "m", "f", {{"x", llvm::json::Object{{"min", 1.0}}}});
  EXPECT_TRUE(llvm::errorToBool(std::move(error)));
  llvm::sys::fs::remove(path);
  auto missing = readCalibration("/nonexistent/calibration.json");
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("calibration file"), std::string::npos);
}

} // namespace

namespace {

// The bit-level f32 -> bf16/f16 conversion of weights must agree with
// convertConstant (APFloat) on every input: edge cases of each format and a
// million random bit patterns.
TEST(ConstantData, FastHalfConversionMatchesAPFloat) {
  MLIRContext context;
  std::vector<uint32_t> inputs = {
      0x00000000, 0x80000000, 0x00000001, 0x007FFFFF, 0x00800000, // zeros, f32 subnormals
      0x33000000, 0x33000001, 0x337FFFFF, 0x33800000, 0x33C00000, // around f16's 2^-24
      0x387FC000, 0x387FE000, 0x387FF000, 0x38800000,             // f16 subnormal/normal edge
      0x3F800000, 0x3F801000, 0x3F802000, 0x3F808000, 0x3F818000, // ties at 1.0
      0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FF001, 0x47800000, // 65504 .. 65536
      0x7F7F7FFF, 0x7F7F8000, 0x7F7FFFFF, 0x7F800000, 0xFF800000, // bf16's top, infinities
      0x7E967699, 0xFE967699, 0x7F7FFFFF, 0xFF7FFFFF};            // 1e38 sentinels
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 1000000; ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    inputs.push_back(uint32_t(state));
  }
  for (FloatType type : {FloatType(BFloat16Type::get(&context)),
                         FloatType(Float16Type::get(&context))}) {
    for (bool clamp : {false, true}) {
      int checked = 0;
      for (uint32_t bits : inputs) {
        bool fastOverflowed = false, fastClamped = false;
        std::optional<uint16_t> fast =
            convertF32BitsToHalf(bits, type, clamp, fastOverflowed, fastClamped);
        float f;
        memcpy(&f, &bits, 4);
        if (std::isnan(f)) {
          EXPECT_FALSE(fast.has_value()) << "NaN is left to APFloat";
          continue;
        }
        ASSERT_TRUE(fast.has_value());
        bool overflowed = false, clamped = false;
        llvm::APFloat slow = convertConstant(llvm::APFloat(f), type, clamp, overflowed, clamped);
        ASSERT_EQ(*fast, uint16_t(slow.bitcastToAPInt().getZExtValue()))
            << "input 0x" << std::hex << bits << " to " << (type.isBF16() ? "bf16" : "f16")
            << (clamp ? " (clamping sentinels)" : "");
        ASSERT_EQ(fastOverflowed, overflowed) << std::hex << bits;
        ASSERT_EQ(fastClamped, clamped) << std::hex << bits;
        ++checked;
      }
      EXPECT_GT(checked, 900000);
    }
  }
  // Other destinations have no fast path.
  bool o = false, c = false;
  EXPECT_FALSE(convertF32BitsToHalf(0x3F800000, Float32Type::get(&context), true, o, c));
}

} // namespace

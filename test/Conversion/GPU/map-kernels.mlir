// RUN: mp-opt %s --pass-pipeline="builtin.module(func.func(mp-gpu-map-kernels,canonicalize))" -split-input-file | FileCheck %s
// RUN: mp-opt %s --pass-pipeline="builtin.module(func.func(mp-gpu-map-kernels{row-kernels=false},canonicalize))" -split-input-file | FileCheck %s --check-prefix=PERPOINT

// A bf16 matmul with an f32 accumulator goes to tensor cores: one launch of
// 4 warps, warp-level 16x16 / 16x8 tiles contracted into f32 accumulators.
// CHECK-LABEL: func.func @tensor_core
//   wm = 2 (M/16 = 4), wn = 4 (N/8 = 8): warp tile 32 x 32, block tile 64 x 64,
//   grid (N/64, M/64, 1) = (1, 1, 1).
//   CHECK-DAG: %[[GX:.*]] = arith.constant 1 : index
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[GX]], {{.*}}) threads({{.*}}) in ({{.*}} = %c128
//       CHECK:   scf.for {{.*}} iter_args
//   CHECK-COUNT-2:   vector.transfer_read {{.*}} : memref<64x32xbf16>, vector<16x16xbf16>
//   B tiles are read as 8x16 (n, k): the layout mma.sync's col operand wants.
//   CHECK-COUNT-4:   vector.transfer_read {{.*}} {in_bounds = [true, true], permutation_map = #{{.*}}} : memref<32x64xbf16>, vector<8x16xbf16>
//   CHECK-COUNT-8:   vector.contract {{.*}} vector<16x16xbf16>, vector<8x16xbf16> into vector<16x8xf32>
//       CHECK: } {mp.warp_synchronous}
//   CHECK-NOT: linalg.matmul
func.func @tensor_core(%a: memref<64x32xbf16>, %b: memref<32x64xbf16>, %c: memref<64x64xf32>) {
  linalg.matmul ins(%a, %b : memref<64x32xbf16>, memref<32x64xbf16>) outs(%c : memref<64x64xf32>)
  return
}

// -----

// The fill that zeroes the accumulator and the elementwise op that consumes
// it (bias, cast to bf16) fuse into the tensor-core kernel: one launch, the
// accumulators start from the constant, the epilogue runs on the 16x8 tiles
// and only its bf16 result is stored. A generic contraction whose B operand
// is transposed (q @ k^T) and whose A operand is rounded to bf16 in the
// payload (an f32 activation) is taken too: the cast runs on the tile.
// CHECK-LABEL: func.func @fused
//   CHECK-NOT: linalg.
//       CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<16x8xf32>
//       CHECK: gpu.launch
//       CHECK:   scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]],
//       CHECK:     %[[A:.*]] = vector.transfer_read %arg0{{.*}} : memref<32x64xf32>, vector<16x16xf32>
//       CHECK:     %[[A16:.*]] = arith.truncf %[[A]] : vector<16x16xf32> to vector<16x16xbf16>
//       CHECK:     vector.transfer_read %arg1{{.*}} : memref<16x64xbf16>, vector<8x16xbf16>
//       CHECK:     vector.contract {{.*}} %[[A16]]
//       CHECK:   vector.transfer_read %arg2{{.*}} : memref<16xf32>, vector<16x8xf32>
//       CHECK:   arith.addf {{.*}} : vector<16x8xf32>
//       CHECK:   arith.truncf {{.*}} : vector<16x8xf32> to vector<16x8xbf16>
//       CHECK:   vector.transfer_write {{.*}}, %arg3{{.*}} : vector<16x8xbf16>, memref<32x16xbf16>
//   CHECK-NOT:   vector.transfer_write {{.*}} memref<32x16xf32>
//       CHECK: } {mp.warp_synchronous}
//   CHECK-NOT: gpu.launch
func.func @fused(%q: memref<32x64xf32>, %k: memref<16x64xbf16>, %bias: memref<16xf32>,
                 %y: memref<32x16xbf16>) {
  %acc = memref.alloc() : memref<32x16xf32>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%acc : memref<32x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q, %k : memref<32x64xf32>, memref<16x64xbf16>) outs(%acc : memref<32x16xf32>) {
  ^bb0(%a: f32, %b: bf16, %c: f32):
    %a16 = arith.truncf %a : f32 to bf16
    %a32 = arith.extf %a16 : bf16 to f32
    %b32 = arith.extf %b : bf16 to f32
    %p = arith.mulf %a32, %b32 : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>,
                                   affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%acc, %bias : memref<32x16xf32>, memref<16xf32>) outs(%y : memref<32x16xbf16>) {
  ^bb0(%x: f32, %bb: f32, %o: bf16):
    %t = arith.addf %x, %bb : f32
    %u = arith.truncf %t : f32 to bf16
    linalg.yield %u : bf16
  }
  memref.dealloc %acc : memref<32x16xf32>
  return
}

// -----

// Two projections, then their epilogues (bias add, cast, and a transpose
// into the heads' layout, as the importers write Q/K/V): each epilogue fuses
// into its own projection's kernel even though the other projection runs in
// between, since that one neither touches what the epilogue reads nor what
// it writes. The tile is written through the permutation: its rows (m) are
// the output's last dimension.
// CHECK-LABEL: func.func @transposing_epilogues
//   CHECK-NOT: linalg.
//       CHECK: gpu.launch
//       CHECK:   vector.contract
//       CHECK:   %[[KT:.*]] = memref.subview %arg5[{{.*}}] : memref<4x8x32xbf16> to memref<8x32xbf16
//       CHECK:   vector.transfer_write {{.*}}, %[[KT]][{{.*}}] {in_bounds = [true, true], permutation_map = #{{.*}}} : vector<16x8xbf16>, memref<8x32xbf16
//       CHECK: } {mp.warp_synchronous}
//       CHECK: gpu.launch
//       CHECK:   vector.contract
//       CHECK:   %[[Q:.*]] = memref.subview %arg6[{{.*}}] : memref<4x32x8xbf16> to memref<32x8xbf16
//       CHECK:   vector.transfer_write {{.*}}, %[[Q]][{{.*}}] {in_bounds = [true, true]} : vector<16x8xbf16>, memref<32x8xbf16
//       CHECK: } {mp.warp_synchronous}
//   CHECK-NOT: gpu.launch
#a = affine_map<(m, h, d, k) -> (m, k)>
#w = affine_map<(m, h, d, k) -> (k, h, d)>
#c = affine_map<(m, h, d, k) -> (m, h, d)>
func.func @transposing_epilogues(%x: memref<32x64xbf16>, %wk: memref<64x4x8xbf16>,
                                 %bk: memref<4x8xf32>, %wq: memref<64x4x8xbf16>,
                                 %bq: memref<4x8xf32>, %kt: memref<4x8x32xbf16>,
                                 %q: memref<4x32x8xbf16>) {
  %zero = arith.constant 0.0 : f32
  %ck = memref.alloc() : memref<32x4x8xf32>
  linalg.fill ins(%zero : f32) outs(%ck : memref<32x4x8xf32>)
  linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %wk : memref<32x64xbf16>, memref<64x4x8xbf16>) outs(%ck : memref<32x4x8xf32>) {
  ^bb0(%in: bf16, %wt: bf16, %acc: f32):
    %0 = arith.extf %in : bf16 to f32
    %1 = arith.extf %wt : bf16 to f32
    %2 = arith.mulf %0, %1 : f32
    %3 = arith.addf %acc, %2 : f32
    linalg.yield %3 : f32
  }
  %cq = memref.alloc() : memref<32x4x8xf32>
  linalg.fill ins(%zero : f32) outs(%cq : memref<32x4x8xf32>)
  linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %wq : memref<32x64xbf16>, memref<64x4x8xbf16>) outs(%cq : memref<32x4x8xf32>) {
  ^bb0(%in: bf16, %wt: bf16, %acc: f32):
    %0 = arith.extf %in : bf16 to f32
    %1 = arith.extf %wt : bf16 to f32
    %2 = arith.mulf %0, %1 : f32
    %3 = arith.addf %acc, %2 : f32
    linalg.yield %3 : f32
  }
  // K^T: (head, dim, seq).
  linalg.generic {indexing_maps = [affine_map<(h, d, s) -> (s, h, d)>, affine_map<(h, d, s) -> (h, d)>,
                                   affine_map<(h, d, s) -> (h, d, s)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%ck, %bk : memref<32x4x8xf32>, memref<4x8xf32>) outs(%kt : memref<4x8x32xbf16>) {
  ^bb0(%v: f32, %b: f32, %o: bf16):
    %0 = arith.addf %v, %b : f32
    %1 = arith.truncf %0 : f32 to bf16
    linalg.yield %1 : bf16
  }
  // Q: (head, seq, dim).
  linalg.generic {indexing_maps = [affine_map<(h, s, d) -> (s, h, d)>, affine_map<(h, s, d) -> (h, d)>,
                                   affine_map<(h, s, d) -> (h, s, d)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%cq, %bq : memref<32x4x8xf32>, memref<4x8xf32>) outs(%q : memref<4x32x8xbf16>) {
  ^bb0(%v: f32, %b: f32, %o: bf16):
    %0 = arith.addf %v, %b : f32
    %1 = arith.truncf %0 : f32 to bf16
    linalg.yield %1 : bf16
  }
  memref.dealloc %ck : memref<32x4x8xf32>
  memref.dealloc %cq : memref<32x4x8xf32>
  return
}

// -----

// An epilogue does not move over an op that writes what it reads: here the
// second projection writes the buffer the first one's epilogue also adds, so
// the epilogue does not fuse into the first projection; it fuses into the
// second (it reads that one's output at the element it writes), after both.
// CHECK-LABEL: func.func @epilogue_input_overwritten
//       CHECK: gpu.launch
//   CHECK-NOT:   arith.addf {{.*}} : vector<16x8xf32>
//       CHECK:   vector.transfer_write {{.*}}, %alloc[{{.*}} : vector<16x8xf32>, memref<32x16xf32>
//   CHECK-NOT:   arith.addf {{.*}} : vector<16x8xf32>
//       CHECK: } {mp.warp_synchronous}
//       CHECK: gpu.launch
//       CHECK:   arith.addf {{.*}} : vector<16x8xf32>
//       CHECK:   arith.truncf
//       CHECK:   vector.transfer_write {{.*}}, %arg3[{{.*}} : vector<16x8xbf16>, memref<32x16xbf16>
//       CHECK: } {mp.warp_synchronous}
//   CHECK-NOT: gpu.launch
func.func @epilogue_input_overwritten(%x: memref<32x64xbf16>, %w: memref<64x16xbf16>,
                                      %shared: memref<32x16xf32>, %y: memref<32x16xbf16>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<32x16xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<32x16xf32>)
  linalg.matmul ins(%x, %w : memref<32x64xbf16>, memref<64x16xbf16>) outs(%c : memref<32x16xf32>)
  linalg.fill ins(%zero : f32) outs(%shared : memref<32x16xf32>)
  linalg.matmul ins(%x, %w : memref<32x64xbf16>, memref<64x16xbf16>) outs(%shared : memref<32x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>,
                                   affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c, %shared : memref<32x16xf32>, memref<32x16xf32>) outs(%y : memref<32x16xbf16>) {
  ^bb0(%v: f32, %b: f32, %o: bf16):
    %0 = arith.addf %v, %b : f32
    %1 = arith.truncf %0 : f32 to bf16
    linalg.yield %1 : bf16
  }
  memref.dealloc %c : memref<32x16xf32>
  return
}

// -----

// Sizes that are not multiples of the mma tile run one thread per output
// element, the reduction as a loop in the thread (never refused).
// CHECK-LABEL: func.func @ragged
//       CHECK: gpu.launch
//   CHECK-NOT: mp.warp_synchronous
//       CHECK:   arith.cmpi ult, %{{.*}}, %c60
//       CHECK:   scf.for {{.*}} = %c0 to %c7 step %c1 iter_args
//       CHECK:     arith.extf
//       CHECK:     arith.mulf
//       CHECK:     arith.addf
func.func @ragged(%a: memref<6x7xbf16>, %b: memref<7x10xbf16>, %c: memref<6x10xf32>) {
  linalg.matmul ins(%a, %b : memref<6x7xbf16>, memref<7x10xbf16>) outs(%c : memref<6x10xf32>)
  return
}

// -----

// A fused elementwise chain with its cast: one thread per element, grid of
// ceil(1000 / 256) blocks; the payload is cloned as it is.
// CHECK-LABEL: func.func @elementwise
//   CHECK-DAG: %[[G:.*]] = arith.constant 4 : index
//   CHECK-DAG: %[[B:.*]] = arith.constant 256 : index
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[G]], {{.*}}) threads({{.*}}) in ({{.*}} = %[[B]],
//       CHECK:   scf.if
//       CHECK:     memref.load
//       CHECK:     arith.mulf
//       CHECK:     arith.truncf {{.*}} : f32 to bf16
//       CHECK:     memref.store
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%x: memref<10x100xf32>, %y: memref<10x100xbf16>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<10x100xf32>) outs(%y : memref<10x100xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.mulf %in, %in : f32
    %1 = arith.truncf %0 : f32 to bf16
    linalg.yield %1 : bf16
  }
  return
}

// -----

// A row reduction: a block per row (row-kernels.mlir has the details); with
// row-kernels=false (RUN line of the per-point checks below), one thread per
// row, the row in a loop, the f32 accumulator read from the output as the
// op's semantics say.
// CHECK-LABEL: func.func @row_max
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c8, {{.*}}) threads({{.*}}) in ({{.*}} = %c256,
//       CHECK:   gpu.all_reduce maximumf
// PERPOINT-LABEL: func.func @row_max
//       PERPOINT: gpu.launch
//       PERPOINT:   %[[INIT:.*]] = memref.load %arg1
//       PERPOINT:   scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (f32)
//       PERPOINT:     arith.maximumf
func.func @row_max(%x: memref<8x512xf32>, %m: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x512xf32>) outs(%m : memref<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.maximumf %in, %acc : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// memref.copy is a kernel too.
// CHECK-LABEL: func.func @copy
//       CHECK: gpu.launch
//       CHECK:   memref.load %arg0
//       CHECK:   memref.store {{.*}}, %arg1
//   CHECK-NOT: memref.copy
func.func @copy(%a: memref<4x8xf16>, %b: memref<4x8xf16>) {
  memref.copy %a, %b : memref<4x8xf16> to memref<4x8xf16>
  return
}

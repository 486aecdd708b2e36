// RUN: mp-opt %s --pass-pipeline="builtin.module(func.func(mp-gpu-map-kernels,canonicalize))" -split-input-file | FileCheck %s
// RUN: mp-opt %s --pass-pipeline="builtin.module(func.func(mp-gpu-map-kernels{row-threads=64},canonicalize))" -split-input-file | FileCheck %s --check-prefix=T64

// Softmax as the importers write it (max, exp of the difference, sum,
// divide, with the fills of the two accumulators): one kernel, a block per
// row (12 x 128 rows), the threads striding over the row of 128, f32
// block-wide reductions, thread 0 for the rows' scalars, barriers between the
// ops. The exponentials are only read by the sum and the divide: both
// recompute them, and their buffer is gone. The last op (the divide and the
// cast to bf16) is not followed by a barrier.
// CHECK-LABEL: func.func @softmax
//   CHECK-NOT: memref.alloc() : memref<12x128x128xf32>
//   CHECK-NOT: gpu.launch
//       CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c1536, %{{.*}} = %c1, %{{.*}} = %c1) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c128,
//       CHECK:   %[[FIRST:.*]] = arith.cmpi eq, %[[TX]], %c0
//       CHECK:   scf.if %[[FIRST]] {
//       CHECK:     memref.store %cst{{.*}}, %[[MAX:.*]][
//       CHECK:   gpu.barrier
//       CHECK:   %[[PMAX:.*]] = scf.for %{{.*}} = %[[TX]] to %c128 step %c128 iter_args(%{{.*}} = %[[NEGINF:.*]]) -> (f32)
//       CHECK:     arith.maximumf
//       CHECK:   %[[TMAX:.*]] = gpu.all_reduce maximumf %[[PMAX]] uniform
//       CHECK:   scf.if %[[FIRST]] {
//       CHECK:     %[[OLD:.*]] = memref.load %[[MAX]]
//       CHECK:     arith.maximumf %[[OLD]], %[[TMAX]]
//       CHECK:   gpu.barrier
//       CHECK:   scf.if %[[FIRST]] {
//       CHECK:   gpu.barrier
//       CHECK:   scf.for %{{.*}} = %[[TX]] to %c128 step %c128 iter_args
//       CHECK:     math.exp
//       CHECK:   gpu.all_reduce add
//       CHECK:   gpu.barrier
//       CHECK:   scf.for %{{.*}} = %[[TX]] to %c128 step %c128 {
//       CHECK:     math.exp
//       CHECK:     arith.divf
//       CHECK:     arith.truncf
//   CHECK-NOT:   gpu.barrier
//       CHECK:   gpu.terminator
//   CHECK-NOT: gpu.launch
//       CHECK: return
// T64-LABEL: func.func @softmax
//       T64: threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c64,
//       T64: scf.for %{{.*}} = %[[TX]] to %c128 step %c64
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @softmax(%x: memref<12x128x128xf32>, %y: memref<12x128x128xbf16>) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %max = memref.alloc() : memref<12x128xf32>
  linalg.fill ins(%ninf : f32) outs(%max : memref<12x128xf32>)
  linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : memref<12x128x128xf32>) outs(%max : memref<12x128xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.maximumf %acc, %in : f32
    linalg.yield %0 : f32
  }
  %e = memref.alloc() : memref<12x128x128xf32>
  linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %max : memref<12x128x128xf32>, memref<12x128xf32>) outs(%e : memref<12x128x128xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %0 = arith.subf %in, %m : f32
    %1 = math.exp %0 : f32
    linalg.yield %1 : f32
  }
  %sum = memref.alloc() : memref<12x128xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<12x128xf32>)
  linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%e : memref<12x128x128xf32>) outs(%sum : memref<12x128xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %acc, %in : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%e, %sum : memref<12x128x128xf32>, memref<12x128xf32>) outs(%y : memref<12x128x128xbf16>) {
  ^bb0(%in: f32, %s: f32, %out: bf16):
    %0 = arith.divf %in, %s : f32
    %1 = arith.truncf %0 : f32 to bf16
    linalg.yield %1 : bf16
  }
  memref.dealloc %e : memref<12x128x128xf32>
  memref.dealloc %sum : memref<12x128xf32>
  memref.dealloc %max : memref<12x128xf32>
  return
}

// -----

// Layer norm with keep-dim statistics (a unit dimension read through a
// constant 0), the accumulators initialized by copies of one filled buffer,
// and the affine parameters read along the row: one kernel of 256 threads
// for rows of 768. The allocation between the ops moves before the kernel,
// the deallocation after it.
// CHECK-LABEL: func.func @layer_norm
//   CHECK-NOT: gpu.launch
//       CHECK: memref.alloc() : memref<128x1xf32>
//       CHECK: memref.alloc() : memref<128x1xf32>
//       CHECK: %[[VAR:.*]] = memref.alloc() : memref<128x1xf32>
//   CHECK-NOT: gpu.launch
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c128, {{.*}}) threads({{.*}}) in ({{.*}} = %c256,
//       CHECK:   gpu.all_reduce add
//       CHECK:   gpu.all_reduce add
//       CHECK:   math.rsqrt
//       CHECK:   gpu.terminator
//  CHECK-NEXT: }
//  CHECK-NEXT: memref.dealloc %[[VAR]]
//   CHECK-NOT: gpu.launch
//       CHECK: return
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#keep = affine_map<(d0, d1) -> (d0, 0)>
#p1 = affine_map<(d0, d1) -> (d0, 0)>
#s1 = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @layer_norm(%x: memref<128x768xf32>, %g: memref<768xf32>, %b: memref<768xf32>,
                      %y: memref<128x768xf32>) {
  %zero = arith.constant 0.0 : f32
  %inv = arith.constant 0.00130208337 : f32
  %eps = arith.constant 9.99999996E-13 : f32
  %init = memref.alloc() : memref<128x1xf32>
  linalg.fill ins(%zero : f32) outs(%init : memref<128x1xf32>)
  %mean = memref.alloc() : memref<128x1xf32>
  memref.copy %init, %mean : memref<128x1xf32> to memref<128x1xf32>
  linalg.generic {indexing_maps = [#id2, #keep], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<128x768xf32>) outs(%mean : memref<128x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %acc, %in : f32
    linalg.yield %0 : f32
  }
  %var = memref.alloc() : memref<128x1xf32>
  memref.copy %init, %var : memref<128x1xf32> to memref<128x1xf32>
  linalg.generic {indexing_maps = [#id2, #keep, #keep], iterator_types = ["parallel", "reduction"]}
      ins(%x, %mean : memref<128x768xf32>, memref<128x1xf32>) outs(%var : memref<128x1xf32>) {
  ^bb0(%in: f32, %s: f32, %acc: f32):
    %0 = arith.mulf %s, %inv : f32
    %1 = arith.subf %in, %0 : f32
    %2 = arith.mulf %1, %1 : f32
    %3 = arith.addf %acc, %2 : f32
    linalg.yield %3 : f32
  }
  linalg.generic {indexing_maps = [#id2, #keep, #keep, #col, #col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %mean, %var, %g, %b : memref<128x768xf32>, memref<128x1xf32>, memref<128x1xf32>, memref<768xf32>, memref<768xf32>)
      outs(%y : memref<128x768xf32>) {
  ^bb0(%in: f32, %s: f32, %v: f32, %gamma: f32, %beta: f32, %out: f32):
    %0 = arith.mulf %s, %inv : f32
    %1 = arith.mulf %v, %inv : f32
    %2 = arith.addf %1, %eps : f32
    %3 = math.rsqrt %2 : f32
    %4 = arith.subf %in, %0 : f32
    %5 = arith.mulf %4, %3 : f32
    %6 = arith.mulf %5, %gamma : f32
    %7 = arith.addf %6, %beta : f32
    linalg.yield %7 : f32
  }
  memref.dealloc %var : memref<128x1xf32>
  return
}

// -----

// A run stops where one block would read what another writes: the second op
// reads the row sums along the wrong dimension (sum[j], not sum[i]), so it
// is not fused; it gets its own kernel, one thread per point.
// CHECK-LABEL: func.func @cross_row_read
//       CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c32,
//       CHECK:   gpu.all_reduce add
//       CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c256,
//   CHECK-NOT:   gpu.all_reduce
//       CHECK:   arith.divf
func.func @cross_row_read(%x: memref<16x16xf32>, %sum: memref<16xf32>, %y: memref<16x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<16x16xf32>) outs(%sum : memref<16xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %acc, %in : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>,
                                   affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum : memref<16x16xf32>, memref<16xf32>) outs(%y : memref<16x16xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %0 = arith.divf %in, %s : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// Not row reductions: a matmul (its B operand is read down the columns, so
// the block's threads would not read consecutive elements), a bf16
// accumulator (the shuffles are 32-bit), and a payload that is not
// `acc <op> f(x)` (a running mean). Each keeps the per-point mapping.
// CHECK-LABEL: func.func @not_rows
//   CHECK-NOT: gpu.all_reduce
//       CHECK: return
func.func @not_rows(%a: memref<4x64xf32>, %b: memref<64x8xf32>, %c: memref<4x8xf32>,
                    %x: memref<4x64xbf16>, %s: memref<4xbf16>, %m: memref<4xf32>) {
  linalg.matmul ins(%a, %b : memref<4x64xf32>, memref<64x8xf32>) outs(%c : memref<4x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x64xbf16>) outs(%s : memref<4xbf16>) {
  ^bb0(%in: bf16, %acc: bf16):
    %0 = arith.addf %acc, %in : bf16
    linalg.yield %0 : bf16
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x64xf32>) outs(%m : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %half = arith.constant 0.5 : f32
    %0 = arith.addf %acc, %in : f32
    %1 = arith.mulf %0, %half : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// Softmax as bufferization leaves it in a real model: the exponentials
// written in place over the scores, and one statistics buffer reused for the
// max and then the sum. The exponentials are still recomputed (the scores
// keep their values, since the in-place op no longer runs); the max, which
// the sum then overwrites, is captured in a register by every thread where
// the exponential stood, with a barrier before thread 0 refills the buffer.
// CHECK-LABEL: func.func @softmax_in_place
//       CHECK: gpu.launch
//       CHECK:   gpu.all_reduce maximumf
//       CHECK:   gpu.barrier
//       CHECK:   %[[MAX:.*]] = memref.load %[[STAT:.*]][
//       CHECK:   gpu.barrier
//       CHECK:   scf.if
//       CHECK:     memref.store %{{.*}}, %[[STAT]][
//       CHECK:   gpu.barrier
//       CHECK:   scf.for
//       CHECK:     arith.subf %{{.*}}, %[[MAX]]
//       CHECK:     math.exp
//       CHECK:   gpu.all_reduce add
//       CHECK:   scf.for
//       CHECK:     arith.subf %{{.*}}, %[[MAX]]
//       CHECK:     math.exp
//       CHECK:     arith.divf
//   CHECK-NOT:   memref.store {{.*}} : memref<4x32xf32>
//       CHECK:   gpu.terminator
#sid = affine_map<(d0, d1) -> (d0, d1)>
#srow = affine_map<(d0, d1) -> (d0)>
func.func @softmax_in_place(%x: memref<4x32xf32>, %y: memref<4x32xbf16>) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %s = memref.alloc() : memref<4x32xf32>
  memref.copy %x, %s : memref<4x32xf32> to memref<4x32xf32>
  %stat = memref.alloc() : memref<4xf32>
  linalg.fill ins(%ninf : f32) outs(%stat : memref<4xf32>)
  linalg.generic {indexing_maps = [#sid, #srow], iterator_types = ["parallel", "reduction"]}
      ins(%s : memref<4x32xf32>) outs(%stat : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.maximumf %acc, %in : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [#sid, #srow, #sid], iterator_types = ["parallel", "parallel"]}
      ins(%s, %stat : memref<4x32xf32>, memref<4xf32>) outs(%s : memref<4x32xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %0 = arith.subf %in, %m : f32
    %1 = math.exp %0 : f32
    linalg.yield %1 : f32
  }
  linalg.fill ins(%zero : f32) outs(%stat : memref<4xf32>)
  linalg.generic {indexing_maps = [#sid, #srow], iterator_types = ["parallel", "reduction"]}
      ins(%s : memref<4x32xf32>) outs(%stat : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %acc, %in : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [#sid, #srow, #sid], iterator_types = ["parallel", "parallel"]}
      ins(%s, %stat : memref<4x32xf32>, memref<4xf32>) outs(%y : memref<4x32xbf16>) {
  ^bb0(%in: f32, %t: f32, %out: bf16):
    %0 = arith.divf %in, %t : f32
    %1 = arith.truncf %0 : f32 to bf16
    linalg.yield %1 : bf16
  }
  memref.dealloc %s : memref<4x32xf32>
  memref.dealloc %stat : memref<4xf32>
  return
}

// The artifact writer's errors, on hand-written mp-lower-to-ptx output.
// RUN: mp-compile --lowered --no-library --cubin=never --split-input-file --verify-diagnostics %s -o %t

// Host computation: a compiled model's host code only launches kernels.
module attributes {gpu.container_module} {
  gpu.binary @k [#gpu.object<#nvvm.target<chip = "sm_80">, assembly = ".visible .entry k(\0A.param .f32 k_param_0\0A)">]
  func.func @f(%a: memref<4xf32>) -> memref<4xf32> {
    %c1 = arith.constant 1 : index
    %x = arith.constant 1.0 : f32
    // expected-error @below {{'arith.addf' cannot run in a compiled model's host code}}
    %y = arith.addf %x, %x : f32
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%y : f32)
    return %a : memref<4xf32>
  }
}

// -----

// Kernel parameters that do not match the PTX: a launch passing a memref to
// a kernel whose PTX takes one f32.
module attributes {gpu.container_module} {
  gpu.binary @k [#gpu.object<#nvvm.target<chip = "sm_80">, assembly = ".visible .entry k(\0A.param .f32 k_param_0\0A)">]
  func.func @f(%a: memref<4xf32>) -> memref<4xf32> {
    %c1 = arith.constant 1 : index
    %b = memref.alloc() : memref<4xf32>
    // expected-error @below {{kernel 'k::k' takes parameters of sizes [4] in its PTX; this launch passes [8, 8, 8, 8, 8]}}
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%b : memref<4xf32>)
    return %b : memref<4xf32>
  }
}

// -----

// A kernel the PTX does not define.
module attributes {gpu.container_module} {
  gpu.binary @k [#gpu.object<#nvvm.target<chip = "sm_80">, assembly = ".visible .entry other(\0A)">]
  func.func @f(%a: memref<4xf32>) -> memref<4xf32> {
    %c1 = arith.constant 1 : index
    // expected-error @below {{kernel 'k' is not an entry of the PTX of 'k'}}
    gpu.launch_func @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return %a : memref<4xf32>
  }
}

// -----

// Dynamic shapes.
module attributes {gpu.container_module} {
  func.func @f(%a: memref<4xf32>) -> memref<4xf32> {
    %n = arith.constant 4 : index
    // expected-error @below {{buffer of type 'memref<?xf32>': compiled models need static shapes and identity layouts}}
    %b = memref.alloc(%n) : memref<?xf32>
    return %a : memref<4xf32>
  }
}

// -----

// Launch sizes computed at run time.
module attributes {gpu.container_module} {
  gpu.binary @k [#gpu.object<#nvvm.target<chip = "sm_80">, assembly = ".visible .entry k(\0A)">]
  func.func @f(%a: memref<4xf32>) -> memref<4xf32> {
    %c1 = arith.constant 1 : index
    %i = arith.constant 2 : i32
    %n = arith.index_cast %i : i32 to index
    // expected-error @below {{launch grid size is not a positive constant}}
    gpu.launch_func @k::@k blocks in (%n, %c1, %c1) threads in (%c1, %c1, %c1)
    return %a : memref<4xf32>
  }
}

// -----

// Asynchronous launches.
module attributes {gpu.container_module} {
  gpu.binary @k [#gpu.object<#nvvm.target<chip = "sm_80">, assembly = ".visible .entry k(\0A)">]
  func.func @f(%a: memref<4xf32>) -> memref<4xf32> {
    %c1 = arith.constant 1 : index
    // expected-error @below {{asynchronous launches are not supported by compiled models}}
    %t = gpu.launch_func async @k::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return %a : memref<4xf32>
  }
}

// -----

// A strided result: outputs are dense.
module attributes {gpu.container_module} {
  // expected-error @below {{result #0 has type 'memref<4x2xf32, strided<[4, 1]>>': a compiled model returns memrefs of static shape (rank 8 at most), identity layout}}
  func.func @f(%a: memref<4x4xf32>) -> memref<4x2xf32, strided<[4, 1]>> {
    %v = memref.subview %a[0, 0] [4, 2] [1, 1] : memref<4x4xf32> to memref<4x2xf32, strided<[4, 1]>>
    return %v : memref<4x2xf32, strided<[4, 1]>>
  }
}

// -----

// Weights whose data is not in the IR.
module attributes {gpu.container_module} {
  memref.global "private" constant @w : memref<4xf32> = dense_resource<__elided__>
  func.func @f() -> memref<4xf32> {
    // expected-error @below {{weight @w is a dense_resource whose data is missing}}
    %w = memref.get_global @w : memref<4xf32>
    return %w : memref<4xf32>
  }
}

// -----

// Arguments of other types.
module attributes {gpu.container_module} {
  // expected-error @below {{argument #0 has type 'index': a compiled model takes memrefs of static shape (rank 8 at most)}}
  func.func @f(%n: index) {
    return
  }
}

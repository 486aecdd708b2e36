#!/usr/bin/env python3
"""Bit-exact proof of mp's CPU rounding against an independent reference.

Builds one MLIR module that casts a large set of f32 values (every value of
each destination format, every midpoint between neighbours and the f32 values
just around it, overflow boundaries, infinities, NaN, subnormals and random bit
patterns) to bf16, f16, f8E4M3FN and f8E5M2 with both rounding modes, with and
without saturation; decodes every fp8 code; and quantizes to int8/int4. The
module goes through `mp-opt --pass-pipeline=builtin.module(mp-cpu-lowering)`
and `mlir-runner`; the printed bit patterns are compared with:

- nearest-even: numpy (f16) and ml_dtypes (bf16, fp8) casts;
- toward-zero: the largest-magnitude value of the format not above |x|, found
  in the sorted table of all the format's values (decoded by ml_dtypes);
- saturation: the same, clamped to the format's largest finite value;
- int8/int4: numpy's round-half-even and clip.

Prints one line per case and exits non-zero on any mismatch.
"""
import argparse
import subprocess
import sys
import warnings

import ml_dtypes
import numpy as np

FORMATS = {
    "bf16": (ml_dtypes.bfloat16, np.uint16, "i16"),
    "f16": (np.float16, np.uint16, "i16"),
    "f8E4M3FN": (ml_dtypes.float8_e4m3fn, np.uint8, "i8"),
    "f8E5M2": (ml_dtypes.float8_e5m2, np.uint8, "i8"),
}


def format_values(dtype, bits_type):
    """All finite values of a format, as (sorted f64 magnitudes, codes)."""
    codes = np.arange(np.iinfo(bits_type).max + 1, dtype=np.uint64).astype(bits_type)
    values = codes.view(dtype).astype(np.float64)
    finite = np.isfinite(values) & (values >= 0) & ~np.signbit(values)
    order = np.argsort(values[finite], kind="stable")
    return values[finite][order], codes[finite][order]


def inputs_for(dtype, bits_type, rng, limit):
    mags, _ = format_values(dtype, bits_type)
    if len(mags) > limit:
        mags = np.sort(rng.choice(mags, limit, replace=False))
    mids = (mags[:-1] + mags[1:]) / 2
    top = mags[-1] + (mags[-1] - mags[-2]) / 2  # overflow threshold
    base = np.concatenate([mags, mids, [top, top * 2]]).astype(np.float32)
    around = np.concatenate([np.nextafter(base, np.float32(np.inf)),
                             np.nextafter(base, np.float32(0))])
    vals = np.concatenate([base, around])
    return np.concatenate([vals, -vals])


def reference(x, name, rounding, saturate):
    dtype, bits_type, _ = FORMATS[name]
    mags, codes = format_values(dtype, bits_type)
    largest = mags[-1]
    has_inf = name != "f8E4M3FN"
    out = np.empty(x.shape, dtype=bits_type)
    with np.errstate(over="ignore", invalid="ignore"):
        rne = x.astype(dtype)
    for i, v in enumerate(x.astype(np.float64)):
        if np.isnan(v):
            out[i] = np.array(np.nan, dtype=dtype).view(bits_type)
            continue
        neg = bool(np.signbit(v))
        a = abs(v)
        if rounding == "nearest_even":
            r = float(rne[i].astype(np.float64))
            if not np.isfinite(r) or abs(r) > largest:
                if saturate:
                    r = -largest if neg else largest
                elif not has_inf:
                    out[i] = np.array(np.nan, dtype=dtype).view(bits_type)
                    continue
            out[i] = np.array(-abs(r) if neg else abs(r), dtype=dtype).view(bits_type)
            continue
        # toward zero: largest magnitude not above |x|.
        if np.isinf(a) and not saturate:
            if has_inf:
                out[i] = np.array(v, dtype=dtype).view(bits_type)
            else:
                out[i] = np.array(np.nan, dtype=dtype).view(bits_type)
            continue
        k = np.searchsorted(mags, a, side="right") - 1
        r = mags[k]
        out[i] = np.array(-r if neg else r, dtype=dtype).view(bits_type)
    return out


def mlir_dense(array, type_str):
    return 'dense<"0x%s"> : %s' % (array.tobytes().hex().upper(), type_str)


def build_module(cases, decode_codes, quant_inputs):
    lines = ["func.func private @printMemrefI32(memref<*xi32>)",
             "func.func @print(%t: tensor<?xi32>) {",
             "  %m = bufferization.to_buffer %t : tensor<?xi32> to memref<?xi32>",
             "  %u = memref.cast %m : memref<?xi32> to memref<*xi32>",
             "  call @printMemrefI32(%u) : (memref<*xi32>) -> ()",
             "  return", "}", "func.func @main() {"]
    n = 0

    def emit_print(value, int_type, count):
        nonlocal n
        n += 1
        lines.append(f"  %w{n} = arith.extui {value} : tensor<{count}x{int_type}> to tensor<{count}xi32>")
        lines.append(f"  %d{n} = tensor.cast %w{n} : tensor<{count}xi32> to tensor<?xi32>")
        lines.append(f"  call @print(%d{n}) : (tensor<?xi32>) -> ()")

    for idx, (name, x, rounding, saturate) in enumerate(cases):
        count = len(x)
        _, _, int_type = FORMATS[name]
        lines.append(f"  %x{idx} = arith.constant {mlir_dense(x, f'tensor<{count}xf32>')}")
        attrs = f" rounding({rounding})" if rounding != "nearest_even" else ""
        attrs += " saturate" if saturate else ""
        lines.append(f"  %c{idx} = mp.cast %x{idx}{attrs} : tensor<{count}xf32> to tensor<{count}x{name}>")
        lines.append(f"  %b{idx} = arith.bitcast %c{idx} : tensor<{count}x{name}> to tensor<{count}x{int_type}>")
        emit_print(f"%b{idx}", int_type, count)
    for name in decode_codes:
        codes = np.arange(256, dtype=np.uint8)
        lines.append(f"  %k_{name} = arith.constant {mlir_dense(codes, 'tensor<256xi8>')}")
        lines.append(f"  %f_{name} = arith.bitcast %k_{name} : tensor<256xi8> to tensor<256x{name}>")
        lines.append(f"  %e_{name} = mp.cast %f_{name} : tensor<256x{name}> to tensor<256xf32>")
        lines.append(f"  %i_{name} = arith.bitcast %e_{name} : tensor<256xf32> to tensor<256xi32>")
        lines.append(f"  %o_{name} = tensor.cast %i_{name} : tensor<256xi32> to tensor<?xi32>")
        lines.append(f"  call @print(%o_{name}) : (tensor<?xi32>) -> ()")
    qx, scale = quant_inputs
    count = len(qx)
    lines.append(f"  %qx = arith.constant {mlir_dense(qx, f'tensor<{count}xf32>')}")
    lines.append(f"  %qs = arith.constant dense<{scale!r}> : tensor<f32>")
    for bits in (8, 4):
        lines.append(f"  %q{bits} = mp.quantize %qx, %qs {{format = #mp.format<i{bits}, per_tensor>}} : (tensor<{count}xf32>, tensor<f32>) -> tensor<{count}xi{bits}>")
        lines.append(f"  %qw{bits} = arith.extsi %q{bits} : tensor<{count}xi{bits}> to tensor<{count}xi32>")
        lines.append(f"  %qd{bits} = tensor.cast %qw{bits} : tensor<{count}xi32> to tensor<?xi32>")
        lines.append(f"  call @print(%qd{bits}) : (tensor<?xi32>) -> ()")
    lines += ["  return", "}"]
    return "\n".join(lines) + "\n"


def parse_prints(text):
    results = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            body = line.strip("[]")
            results.append(np.array([int(v) for v in body.split(",") if v.strip()], dtype=np.int64))
    return results


def main():
    warnings.simplefilter("ignore", RuntimeWarning)
    parser = argparse.ArgumentParser()
    parser.add_argument("--mp-opt", required=True)
    parser.add_argument("--runner", required=True)
    parser.add_argument("--shared-libs", required=True)
    parser.add_argument("--per-format-limit", type=int, default=4096)
    parser.add_argument("--fold-first", action="store_true",
                        help="canonicalize first, so the mp.cast constant "
                             "folder (APFloat) computes the casts instead of "
                             "the lowered code")
    args = parser.parse_args()
    rng = np.random.default_rng(1234)

    cases = []
    for name, (dtype, bits_type, _) in FORMATS.items():
        x = inputs_for(dtype, bits_type, rng, args.per_format_limit)
        special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45,
                            3.4e38, -3.4e38, 1e-40], dtype=np.float32)
        random_bits = rng.integers(0, 2**32, 4000, dtype=np.uint64).astype(np.uint32).view(np.float32)
        x = np.concatenate([x, special, random_bits]).astype(np.float32)
        for rounding in ("nearest_even", "toward_zero"):
            for saturate in (False, True):
                cases.append((name, x, rounding, saturate))
    decode = ["f8E4M3FN", "f8E5M2"]
    qx = np.concatenate([np.arange(-300, 300, 0.25), rng.normal(0, 50, 2000),
                         [np.inf, -np.inf, 1e30, -1e30]]).astype(np.float32)
    scale = 0.5
    module = build_module(cases, decode, (qx, scale))

    pipeline = "builtin.module(%smp-cpu-lowering)" % ("canonicalize," if args.fold_first else "")
    lowered = subprocess.run([args.mp_opt, "--pass-pipeline=" + pipeline],
                             input=module, capture_output=True, text=True)
    if lowered.returncode != 0:
        print(lowered.stderr[:4000])
        return 1
    run = subprocess.run([args.runner, "-e", "main", "-entry-point-result=void",
                          "-shared-libs=" + args.shared_libs],
                         input=lowered.stdout, capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stderr[:4000])
        return 1
    outputs = parse_prints(run.stdout)
    expected_count = len(cases) + len(decode) + 2
    if len(outputs) != expected_count:
        print(f"expected {expected_count} printed arrays, got {len(outputs)}")
        return 1

    failures = 0
    checked = 0
    for (name, x, rounding, saturate), got in zip(cases, outputs):
        dtype, bits_type, _ = FORMATS[name]
        want = reference(x, name, rounding, saturate).astype(np.int64)
        got_vals = got.astype(bits_type).view(dtype).astype(np.float64)
        want_vals = want.astype(bits_type).view(dtype).astype(np.float64)
        both_nan = np.isnan(got_vals) & np.isnan(want_vals)
        bad = (got != want) & ~both_nan
        checked += len(x)
        status = "ok" if not bad.any() else "MISMATCH"
        print(f"cast f32->{name} {rounding} saturate={int(saturate)}: {len(x)} values {status}")
        if bad.any():
            failures += 1
            for i in np.flatnonzero(bad)[:5]:
                print(f"  x={x[i]!r} ({x[i:i+1].view(np.uint32)[0]:#010x}) got {got[i]:#x} want {want[i]:#x}")
    for name, got in zip(decode, outputs[len(cases):]):
        dtype = FORMATS[name][0]
        want = np.arange(256, dtype=np.uint8).view(dtype).astype(np.float32)
        got_f = got.astype(np.uint32).view(np.float32)
        bad = ~((got_f == want) | (np.isnan(got_f) & np.isnan(want))) | (np.signbit(got_f) != np.signbit(want))
        checked += 256
        print(f"decode {name}->f32: 256 codes {'ok' if not bad.any() else 'MISMATCH'}")
        failures += int(bad.any())
    for bits, got in zip((8, 4), outputs[len(cases) + len(decode):]):
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        want = np.clip(np.round(qx.astype(np.float32) / np.float32(scale)), lo, hi).astype(np.int64)
        bad = got != want
        checked += len(qx)
        print(f"quantize f32->i{bits} per_tensor: {len(qx)} values {'ok' if not bad.any() else 'MISMATCH'}")
        if bad.any():
            failures += 1
            for i in np.flatnonzero(bad)[:5]:
                print(f"  x={qx[i]!r} got {got[i]} want {want[i]}")
    print(f"rounding proof: {checked} values checked, {failures} failing cases")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

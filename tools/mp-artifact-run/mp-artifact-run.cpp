//===- mp-artifact-run.cpp - run a compiled artifact, runtime only ---------===//
//
//   mp-artifact-run DIR --input a.npy ... [--reference r.npy ...] [--repeat N]
//                   [--output-dir D] [--json FILE] [--driver PATH] [--device N]
//                   [--min-cosine 0.999]
//
// What a GPU machine needs to run a model that mp-compile wrote: this program,
// libmpRuntimeCuda, libmpRuntimeHost and the artifact; no MLIR or LLVM.
// Inputs are .npy files in the artifact's storage types (f32 as f4, f16 as f2,
// bf16 as its u2 bit patterns, integers as themselves). Outputs are compared
// with reference .npy files (any float or int dtype; u2 for a bf16 output
// holds bf16 bit patterns) when given; GPU time is
// the median of --repeat runs between CUDA events.
//
// Exit codes: 0 success, 1 bad usage or input, 6 a failing GPU run, 7 outputs
// that disagree with the references, 10 no CUDA driver, 11 no such device.
//
//===----------------------------------------------------------------------===//

#include "mp/Runtime/Metrics.h"
#include "mp/Runtime/Model.h"
#include "mp/Runtime/Npy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace rt = mp::runtime;

namespace {

int fail(const std::string &message, int code = 1) {
  std::fprintf(stderr, "mp-artifact-run: error: %s\n", message.c_str());
  return code;
}

double halfToDouble(uint16_t h) {
  int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  double value;
  if (exponent == 0)
    value = std::ldexp(mantissa, -24);
  else if (exponent == 31)
    value = mantissa ? NAN : INFINITY;
  else
    value = std::ldexp(mantissa + 1024, exponent - 25);
  return sign ? -value : value;
}

/// The NumPy dtype string of an MLIR element type name ("bf16" stays: NumPy
/// has none; its .npy files hold u2 bit patterns).
std::string npyDtypeOf(const std::string &mlir) {
  if (mlir == "f32") return "f4";
  if (mlir == "f64") return "f8";
  if (mlir == "f16") return "f2";
  if (mlir == "i64" || mlir == "index") return "i8";
  if (mlir == "i32") return "i4";
  if (mlir == "i16") return "i2";
  if (mlir == "i8") return "i1";
  if (mlir == "bf16") return "bf16";
  return "u1"; // i1, i4 (a byte each), fp8 bytes
}

/// Decodes `count` elements of NumPy dtype `dtype` (or "bf16") into doubles;
/// false for a type it does not know.
bool decode(const std::string &dtype, const uint8_t *data, size_t count,
            std::vector<double> &out) {
  out.resize(count);
  for (size_t i = 0; i < count; ++i) {
    if (dtype == "f4") {
      float v;
      std::memcpy(&v, data + 4 * i, 4);
      out[i] = v;
    } else if (dtype == "f8") {
      std::memcpy(&out[i], data + 8 * i, 8);
    } else if (dtype == "f2") {
      uint16_t v;
      std::memcpy(&v, data + 2 * i, 2);
      out[i] = halfToDouble(v);
    } else if (dtype == "bf16") {
      uint32_t bits = uint32_t(data[2 * i] | (data[2 * i + 1] << 8)) << 16;
      float v;
      std::memcpy(&v, &bits, 4);
      out[i] = v;
    } else if (dtype == "i8") {
      int64_t v;
      std::memcpy(&v, data + 8 * i, 8);
      out[i] = double(v);
    } else if (dtype == "i4") {
      int32_t v;
      std::memcpy(&v, data + 4 * i, 4);
      out[i] = v;
    } else if (dtype == "i2") {
      int16_t v;
      std::memcpy(&v, data + 2 * i, 2);
      out[i] = v;
    } else if (dtype == "u2") {
      uint16_t v;
      std::memcpy(&v, data + 2 * i, 2);
      out[i] = v;
    } else if (dtype == "i1") {
      out[i] = int8_t(data[i]);
    } else if (dtype == "u1" || dtype == "b1") {
      out[i] = data[i];
    } else {
      return false;
    }
  }
  return true;
}

/// Bytes per element of an MLIR element type name.
size_t storageBytes(const std::string &dtype) {
  if (dtype == "f64" || dtype == "i64" || dtype == "index")
    return 8;
  if (dtype == "f32" || dtype == "i32" || dtype == "tf32")
    return 4;
  if (dtype == "f16" || dtype == "bf16" || dtype == "i16")
    return 2;
  return 1;
}

/// The MLIR element type names a .npy dtype can carry unchanged.
bool compatible(const std::string &npy, const std::string &mlir) {
  if (npy == "f4") return mlir == "f32";
  if (npy == "f8") return mlir == "f64";
  if (npy == "f2") return mlir == "f16";
  if (npy == "u2") return mlir == "bf16" || mlir == "i16";
  if (npy == "i1" || npy == "u1") return storageBytes(mlir) == 1;
  if (npy == "i4") return mlir == "i32";
  if (npy == "i8") return mlir == "i64";
  return false;
}

std::string jsonString(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string jsonNumber(double v) {
  if (std::isnan(v) || std::isinf(v))
    return jsonString(std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.9g", v);
  return buffer;
}

} // namespace

int main(int argc, char **argv) {
  std::string dir, driverPath, outputDir, jsonPath;
  std::vector<std::string> inputs, references;
  int repeat = 10, ordinal = 0;
  double minCosine = 0.999;
  if (const char *env = std::getenv("MP_CUDA_DRIVER"))
    driverPath = env;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mp-artifact-run: error: %s needs a value\n", arg.c_str());
        std::exit(1);
      }
      return argv[++i];
    };
    if (arg == "--input") inputs.push_back(value());
    else if (arg == "--reference") references.push_back(value());
    else if (arg == "--repeat") repeat = std::max(1, std::atoi(value().c_str()));
    else if (arg == "--output-dir") outputDir = value();
    else if (arg == "--json") jsonPath = value();
    else if (arg == "--driver") driverPath = value();
    else if (arg == "--device") ordinal = std::atoi(value().c_str());
    else if (arg == "--min-cosine") minCosine = std::atof(value().c_str());
    else if (arg == "-h" || arg == "--help") {
      std::printf("usage: mp-artifact-run DIR --input a.npy ... [--reference r.npy ...] "
                  "[--repeat N] [--output-dir D] [--json FILE] [--driver PATH] [--device N] "
                  "[--min-cosine X]\n");
      return 0;
    } else if (!arg.empty() && arg[0] == '-') return fail("unknown option '" + arg + "'");
    else if (dir.empty()) dir = arg;
    else return fail("more than one artifact directory");
  }
  if (dir.empty())
    return fail("no artifact directory (see --help)");

  mpArtifact *artifact = nullptr;
  if (mpArtifactOpen(dir.c_str(), &artifact))
    return fail(mpcuLastError());
  // Closed on every path out of main.
  std::unique_ptr<mpArtifact, void (*)(mpArtifact *)> artifactOwner(artifact, mpArtifactClose);
  int numInputs = mpArtifactNumInputs(artifact), numOutputs = mpArtifactNumOutputs(artifact);
  if (int(inputs.size()) != numInputs)
    return fail("the artifact takes " + std::to_string(numInputs) + " inputs, got " +
                std::to_string(inputs.size()) + " --input files");
  if (!references.empty() && int(references.size()) != numOutputs)
    return fail("the artifact has " + std::to_string(numOutputs) + " outputs, got " +
                std::to_string(references.size()) + " --reference files");
  std::vector<rt::NpyArray> hostInputs(numInputs);
  for (int i = 0; i < numInputs; ++i) {
    if (rt::Status s = rt::readNpy(inputs[i], hostInputs[i]); !s)
      return fail(s.message());
    std::string dtype = mpArtifactInputDtype(artifact, i);
    if (!compatible(hostInputs[i].dtype, dtype))
      return fail("'" + inputs[i] + "' has dtype " + hostInputs[i].dtype + "; input " +
                  std::to_string(i) + " is " + dtype + " (bf16 as u2 bit patterns)");
    if (hostInputs[i].data.size() != mpArtifactInputBytes(artifact, i))
      return fail("'" + inputs[i] + "' holds " + std::to_string(hostInputs[i].data.size()) +
                  " bytes; input " + std::to_string(i) + " needs " +
                  std::to_string(mpArtifactInputBytes(artifact, i)));
  }

  mpcuDriver *driver = nullptr;
  if (mpcuStatus s = mpcuOpen(driverPath.empty() ? nullptr : driverPath.c_str(), &driver))
    return fail(mpcuLastError(), s);
  std::unique_ptr<mpcuDriver, void (*)(mpcuDriver *)> driverOwner(driver, mpcuClose);
  int count = 0;
  if (mpcuStatus s = mpcuDeviceCount(driver, &count))
    return fail(mpcuLastError(), s);
  if (ordinal < 0 || ordinal >= count)
    return fail("no CUDA device " + std::to_string(ordinal) + " (" + std::to_string(count) +
                    " found)",
                MPCU_NO_DEVICE);
  mpcuDeviceInfo info{};
  mpcuContext *context = nullptr;
  mpModelInstance *instance = nullptr;
  mpcuStream *stream = nullptr;
  mpcuEvent *begin = nullptr, *end = nullptr;
  std::vector<mpcuDevicePtr> in(numInputs), out(numOutputs);
  std::vector<std::vector<uint8_t>> results(numOutputs);
  std::vector<float> times;
  std::string where;
  mpcuStatus status = mpcuDeviceGetInfo(driver, ordinal, &info);
  if (!status) status = mpcuContextCreate(driver, ordinal, &context), where = "context";
  for (int i = 0; i < numInputs && !status; ++i) {
    where = "input " + std::to_string(i);
    status = mpcuMalloc(context, hostInputs[i].data.size(), &in[i]);
    if (!status)
      status = mpcuCopyToDevice(context, in[i], hostInputs[i].data.data(),
                                hostInputs[i].data.size());
  }
  for (int i = 0; i < numOutputs && !status; ++i)
    where = "output " + std::to_string(i),
    status = mpcuMalloc(context, mpArtifactOutputBytes(artifact, i), &out[i]);
  if (!status) where = "loading the model", status = mpArtifactCreate(artifact, context, &instance);
  if (!status) where = "stream", status = mpcuStreamCreate(context, &stream);
  if (!status) where = "events", status = mpcuEventCreate(context, &begin);
  if (!status) status = mpcuEventCreate(context, &end);
  if (!status) where = "the checked run", status = mpArtifactRun(artifact, instance, stream, in.data(), out.data());
  if (!status) status = mpcuStreamSynchronize(stream);
  for (int i = 0; i < numOutputs && !status; ++i) {
    results[i].resize(mpArtifactOutputBytes(artifact, i));
    where = "reading output " + std::to_string(i);
    status = mpcuCopyToHost(context, results[i].data(), out[i], results[i].size());
  }
  for (int r = 0; r < repeat && !status; ++r) {
    float ms = 0;
    where = "a timed run";
    status = mpcuEventRecord(begin, stream);
    if (!status) status = mpArtifactRun(artifact, instance, stream, in.data(), out.data());
    if (!status) status = mpcuEventRecord(end, stream);
    if (!status) status = mpcuEventElapsed(begin, end, &ms);
    times.push_back(ms);
  }
  std::string error = status ? where + ": " + mpcuLastError() : "";
  mpcuEventDestroy(begin);
  mpcuEventDestroy(end);
  mpcuStreamDestroy(stream);
  mpArtifactDestroy(artifact, instance);
  for (mpcuDevicePtr p : in) mpcuFree(context, p);
  for (mpcuDevicePtr p : out) mpcuFree(context, p);
  if (context) mpcuContextRelease(context);
  if (status)
    return fail(error, 6);

  std::sort(times.begin(), times.end());
  double median = times[times.size() / 2];
  std::printf("mp-artifact-run: %s on %s (compute %d.%d, %d SMs): median %.4f ms over %d runs, "
              "%zu device bytes\n",
              dir.c_str(), info.name, info.computeMajor, info.computeMinor,
              info.multiprocessors, median, repeat, mpArtifactDeviceBytes(artifact));
  std::ostringstream json;
  json << "{\"artifact\": " << jsonString(dir) << ", \"device\": " << jsonString(info.name)
       << ", \"compute_capability\": \"" << info.computeMajor << "." << info.computeMinor
       << "\", \"gpu_ms_median\": " << jsonNumber(median) << ", \"gpu_ms\": [";
  for (size_t t = 0; t < times.size(); ++t)
    json << (t ? ", " : "") << jsonNumber(times[t]);
  json << "], \"device_bytes\": " << mpArtifactDeviceBytes(artifact) << ", \"outputs\": [";
  int disagreeing = 0;
  for (int i = 0; i < numOutputs; ++i) {
    std::string dtype = mpArtifactOutputDtype(artifact, i);
    size_t elements = results[i].size() / storageBytes(dtype);
    std::vector<double> values;
    json << (i ? ", " : "") << "{\"index\": " << i << ", \"dtype\": " << jsonString(dtype);
    if (!outputDir.empty()) {
      rt::NpyArray array;
      int64_t shape[8];
      int rank = mpArtifactOutputShape(artifact, i, shape, 8);
      array.shape.assign(shape, shape + std::max(rank, 0));
      array.dtype = npyDtypeOf(dtype) == "bf16" ? "u2" : npyDtypeOf(dtype);
      array.data = results[i];
      std::string path = outputDir + "/output" + std::to_string(i) + ".npy";
      if (rt::Status s = rt::writeNpy(path, array); !s)
        return fail(s.message());
      json << ", \"file\": " << jsonString(path);
    }
    if (!references.empty()) {
      rt::NpyArray reference;
      if (rt::Status s = rt::readNpy(references[i], reference); !s)
        return fail(s.message());
      std::vector<double> expected;
      // A u2 reference of a bf16 output holds bf16 bit patterns.
      std::string referenceType =
          reference.dtype == "u2" && dtype == "bf16" ? "bf16" : reference.dtype;
      if (!decode(referenceType, reference.data.data(), *reference.numElements(), expected))
        return fail("'" + references[i] + "' has dtype " + reference.dtype +
                    ", which this tool does not read");
      if (!decode(npyDtypeOf(dtype), results[i].data(), elements, values))
        return fail("output " + std::to_string(i) + " has type " + dtype +
                    ", which this tool does not compare");
      if (expected.size() != values.size())
        return fail("'" + references[i] + "' has " + std::to_string(expected.size()) +
                    " elements; output " + std::to_string(i) + " has " +
                    std::to_string(values.size()));
      rt::UlpFormat format;
      if (dtype == "bf16") format = {8, -126};
      if (dtype == "f16") format = {11, -14};
      rt::ErrorMetrics m = rt::compareOutputs(expected, values, format);
      bool agrees = !m.hasNonFiniteErrors() && m.cosineSimilarity >= minCosine;
      disagreeing += !agrees;
      std::printf("output %d (%s): vs reference max_abs %.3e max_rel %.3e cosine %.6f "
                  "new_inf %lld new_nan %lld%s\n",
                  i, dtype.c_str(), m.maxAbsError, m.maxRelError, m.cosineSimilarity,
                  (long long)m.newInf, (long long)m.newNaN, agrees ? "" : "  DISAGREES");
      json << ", \"max_abs\": " << jsonNumber(m.maxAbsError)
           << ", \"max_rel\": " << jsonNumber(m.maxRelError)
           << ", \"cosine\": " << jsonNumber(m.cosineSimilarity)
           << ", \"new_inf\": " << m.newInf << ", \"new_nan\": " << m.newNaN
           << ", \"agrees\": " << (agrees ? "true" : "false");
    }
    json << "}";
  }
  json << "], \"min_cosine\": " << jsonNumber(minCosine) << "}\n";
  if (!jsonPath.empty()) {
    std::ofstream file(jsonPath);
    file << json.str();
    if (!file)
      return fail("cannot write '" + jsonPath + "'");
  }
  if (disagreeing)
    return fail(std::to_string(disagreeing) + " output(s) disagree with the reference", 7);
  return 0;
}

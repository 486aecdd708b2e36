//===- Calibration.cpp - the calibration file format ----------------------===//

#include "mp/Analysis/Calibration.h"

#include <cmath>

#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace mp;

llvm::Error mp::fileError(llvm::StringRef what, llvm::StringRef path,
                          const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 what + " '" + path + "': " + message);
}

llvm::Expected<llvm::json::Value> mp::readJSONFile(llvm::StringRef what,
                                                   llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return fileError(what, path, buffer.getError().message());
  auto json = llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return fileError(what, path, llvm::toString(json.takeError()));
  return json;
}

/// The "values" object of a calibration file, or null.
static const llvm::json::Object *valuesOf(const llvm::json::Value &json) {
  const llvm::json::Object *root = json.getAsObject();
  return root ? root->getObject("values") : nullptr;
}

llvm::Expected<llvm::StringMap<double>> mp::readCalibration(llvm::StringRef path) {
  auto error = [&](const llvm::Twine &message) {
    return fileError("calibration file", path, message);
  };
  auto json = readJSONFile("calibration file", path);
  if (!json)
    return json.takeError();
  const llvm::json::Object *values = valuesOf(*json);
  if (!values)
    return error("expected an object with \"values\" (written by mp-run --calibrate)");
  llvm::StringMap<double> absMax;
  for (const auto &entry : *values) {
    const llvm::json::Object *stats = entry.second.getAsObject();
    std::optional<double> value = stats ? stats->getNumber("abs_max") : std::nullopt;
    if (!value)
      return error("value '" + entry.first.str() + "' has no abs_max");
    if (!(*value >= 0))
      return error("value '" + entry.first.str() + "' has a negative or NaN abs_max");
    absMax[entry.first.str()] = *value;
  }
  return absMax;
}

llvm::Expected<llvm::StringMap<ChannelStats>>
mp::readChannelCalibration(llvm::StringRef path) {
  auto error = [&](const llvm::Twine &message) {
    return fileError("calibration file", path, message);
  };
  auto json = readJSONFile("calibration file", path);
  if (!json)
    return json.takeError();
  const llvm::json::Object *values = valuesOf(*json);
  if (!values)
    return error("expected an object with \"values\" (written by mp-run --calibrate)");
  llvm::StringMap<ChannelStats> result;
  for (const auto &entry : *values) {
    const llvm::json::Object *stats = entry.second.getAsObject();
    const llvm::json::Array *absMax = stats ? stats->getArray("channel_abs_max") : nullptr;
    const llvm::json::Array *mean = stats ? stats->getArray("channel_mean") : nullptr;
    if (!absMax && !mean)
      continue;
    if (!absMax || !mean || absMax->size() != mean->size())
      return error("value '" + entry.first.str() +
                   "' needs channel_abs_max and channel_mean of the same length");
    ChannelStats channels;
    for (auto [m, a] : llvm::zip(*absMax, *mean)) {
      std::optional<double> mv = m.getAsNumber(), av = a.getAsNumber();
      if (!mv || !av || !(*mv >= 0) || std::isnan(*av))
        return error("value '" + entry.first.str() + "' has a malformed channel statistic");
      channels.absMax.push_back(*mv);
      channels.mean.push_back(*av);
    }
    if (std::optional<llvm::StringRef> gram = stats->getString("gram")) {
      std::optional<int64_t> size = stats->getInteger("gram_size");
      if (!size || *size != static_cast<int64_t>(channels.absMax.size()))
        return error("value '" + entry.first.str() + "' has a gram without a matching gram_size");
      llvm::SmallString<256> file(llvm::sys::path::parent_path(path));
      llvm::sys::path::append(file, *gram);
      auto buffer = llvm::MemoryBuffer::getFile(file);
      if (!buffer)
        return error("value '" + entry.first.str() + "': cannot read '" + file +
                     "': " + buffer.getError().message());
      size_t count = static_cast<size_t>(*size) * static_cast<size_t>(*size);
      if ((*buffer)->getBufferSize() != count * sizeof(double))
        return error("value '" + entry.first.str() + "': '" + file + "' holds " +
                     llvm::Twine((*buffer)->getBufferSize()) + " bytes, expected " +
                     llvm::Twine(count * sizeof(double)));
      const char *data = (*buffer)->getBufferStart();
      channels.gram.resize(count);
      for (size_t i = 0; i < count; ++i)
        channels.gram[i] = llvm::support::endian::read<double>(data + i * sizeof(double),
                                                                llvm::endianness::little);
    }
    result[entry.first.str()] = std::move(channels);
  }
  return result;
}

llvm::Error mp::writeCalibration(
    llvm::StringRef path, llvm::StringRef model, llvm::StringRef entry,
    const std::vector<std::pair<std::string, llvm::json::Object>> &values) {
  llvm::json::Object byName;
  for (const auto &[name, stats] : values) {
    if (!stats.getNumber("abs_max"))
      return fileError("calibration file", path, "value '" + name + "' has no abs_max");
    byName[name] = llvm::json::Object(stats);
  }
  llvm::json::Object root{{"model", model}, {"entry", entry}, {"values", std::move(byName)}};
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return fileError("calibration file", path, ec.message());
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return llvm::Error::success();
}

#include "ingestion/log/checkpoint.hpp"

#include <nlohmann/json.hpp>
#include <xxhash.h>

namespace chatops::ingestion::log {

Fingerprint fingerprint_of(std::string_view first_bytes) {
  first_bytes = first_bytes.substr(0, kFingerprintBytes);
  return {XXH3_64bits(first_bytes.data(), first_bytes.size()), static_cast<std::uint32_t>(first_bytes.size())};
}

// {"v":1,"rate_cap":{…},"files":[{"path":…,"dev":…,"ino":…,"fp":…,"fp_len":…,"offset":…,"discarding":…}]}
std::string encode_checkpoints(const std::vector<Checkpoint>& files, const nlohmann::json& rate_cap) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& f : files) {
    nlohmann::json j{{"path", f.path},           {"dev", f.device},     {"ino", f.inode},
                     {"fp", f.fingerprint.hash}, {"fp_len", f.fingerprint.length}, {"offset", f.offset}};
    if (f.discarding) j["discarding"] = true;
    list.push_back(std::move(j));
  }
  nlohmann::json cursor{{"v", 1}, {"files", std::move(list)}};
  if (!rate_cap.is_null()) cursor["rate_cap"] = rate_cap;
  return cursor.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<Checkpoint>> decode_checkpoints(std::string_view cursor) {
  const auto doc = nlohmann::json::parse(cursor, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("v", 0) != 1 || !doc.contains("files") ||
      !doc["files"].is_array())
    return std::unexpected(Error{"the saved checkpoint is not one this version wrote"});
  std::vector<Checkpoint> files;
  try {
    for (const auto& j : doc["files"]) {
      Checkpoint c;
      c.path = j.at("path").get<std::string>();
      c.device = j.at("dev").get<std::uint64_t>();
      c.inode = j.at("ino").get<std::uint64_t>();
      c.fingerprint = {j.at("fp").get<std::uint64_t>(), j.at("fp_len").get<std::uint32_t>()};
      c.offset = j.at("offset").get<std::uint64_t>();
      c.discarding = j.value("discarding", false);
      files.push_back(std::move(c));
    }
  } catch (const nlohmann::json::exception& e) {
    return std::unexpected(Error{std::string("the saved checkpoint is damaged: ") + e.what()});
  }
  return files;
}

nlohmann::json decode_rate_cap(std::string_view cursor) {
  const auto doc = nlohmann::json::parse(cursor, nullptr, false);
  return doc.is_object() && doc.contains("rate_cap") ? doc["rate_cap"] : nlohmann::json();
}

}  // namespace chatops::ingestion::log

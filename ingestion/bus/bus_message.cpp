#include "ingestion/bus/bus_message.hpp"

#include <chrono>

#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::bus {

namespace {

constexpr std::size_t kMaxNameLength = 256;  // source, family: config names
constexpr std::int64_t kLatestTimeMs = 10'000'000'000'000;  // year 2286: far from the clock's overflow

// A string member, or the error naming it.
std::expected<std::string, std::string> text_member(const nlohmann::json& message, const char* name, bool required,
                                                    std::size_t max_length = std::string::npos) {
  const auto it = message.find(name);
  if (it == message.end()) {
    if (required) return std::unexpected(std::string("member \"") + name + "\" is missing");
    return std::string();
  }
  if (!it->is_string()) return std::unexpected(std::string("member \"") + name + "\" is not a string");
  auto value = it->get<std::string>();
  if (value.size() > max_length)
    return std::unexpected(std::string("member \"") + name + "\" is longer than " + std::to_string(max_length));
  return value;
}

}  // namespace

std::string encode(const IngestionEvent& e) {
  nlohmann::json message = {
      {"v", kMessageVersion},
      {"source", e.source},
      {"family", e.family},
      {"topic", e.topic},
      {"time_ms", std::chrono::duration_cast<std::chrono::milliseconds>(e.time.time_since_epoch()).count()},
      {"severity", to_string(e.severity)},
      {"dedupe_key", e.dedupe_key},
      {"fields", e.fields.object()},
      {"raw", payload_text(e)},
      {"template", e.default_template},
  };
  // Invalid UTF-8 in a field (a binary header) is replaced, as the journal does.
  return message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::expected<IngestionEvent, std::string> decode(std::string_view text) {
  // simdjson first: it bounds the depth (nlohmann would recurse as deep as the message goes) and
  // says where malformed JSON or invalid UTF-8 is.
  const std::string owned(text);
  if (auto checked = payload::parse_json(owned); !checked) return std::unexpected("not JSON: " + checked.error());
  const auto message = nlohmann::json::parse(owned, nullptr, false);
  if (!message.is_object()) return std::unexpected("not a JSON object");
  const auto version = message.find("v");
  if (version == message.end() || !version->is_number_integer())
    return std::unexpected("member \"v\" (the format's version) is missing");
  if (version->get<std::int64_t>() != kMessageVersion)
    return std::unexpected("format version " + version->dump() + " is not known (this speaker reads version " +
                           std::to_string(kMessageVersion) + ")");
  IngestionEvent e;
  auto take = [&](std::string& into, const char* name, bool required, std::size_t max = std::string::npos) {
    auto value = text_member(message, name, required, max);
    if (!value) return std::optional<std::string>(value.error());
    into = std::move(*value);
    return std::optional<std::string>();
  };
  std::string severity;
  for (auto problem : {take(e.source, "source", true, kMaxNameLength), take(e.family, "family", true, kMaxNameLength),
                       take(e.topic, "topic", true), take(severity, "severity", false),
                       take(e.dedupe_key, "dedupe_key", false), take(e.raw, "raw", false),
                       take(e.default_template, "template", false)})
    if (problem) return std::unexpected(*problem);
  if (e.source.empty()) return std::unexpected("member \"source\" is empty");
  if (e.family.empty()) return std::unexpected("member \"family\" is empty");
  e.severity = severity_from_string(severity);
  const auto time = message.find("time_ms");
  if (time == message.end() || !time->is_number_integer())
    return std::unexpected("member \"time_ms\" is missing or not an integer");
  if (const auto ms = time->get<std::int64_t>(); ms < 0 || ms > kLatestTimeMs)
    return std::unexpected("member \"time_ms\" is out of range");
  e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(time->get<std::int64_t>()));
  const auto fields = message.find("fields");
  if (fields == message.end() || !fields->is_object()) return std::unexpected("member \"fields\" is missing or not an object");
  e.fields = *fields;
  if (!e.raw.empty())
    if (auto raw = payload::parse_json(e.raw); !raw) return std::unexpected("member \"raw\" is not JSON: " + raw.error());
  return e;
}

}  // namespace chatops::ingestion::bus

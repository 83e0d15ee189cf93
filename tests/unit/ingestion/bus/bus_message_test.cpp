// The Kafka journal's message format: an event survives the trip whole, and whatever else a
// speaker reads from the topic (malformed, hostile, another version) is refused with a reason.
#include <catch2/catch.hpp>

#include "ingestion/bus/bus_message.hpp"

using namespace chatops::ingestion;

namespace {

IngestionEvent bus_test_event() {
  IngestionEvent e;
  e.source = "github";
  e.family = "webhook";
  e.topic = "github/push";
  e.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
  e.severity = Severity::Warning;
  e.dedupe_key = "delivery-1";
  e.fields = {{"repo", "ops/bot"}, {"commits", 3}, {"nested", {{"a", nullptr}}}};
  e.raw = R"({"ref": "refs/heads/main", "text": "line\r\nPRIVMSG #x :hi"})";
  e.default_template = "[{{repo}}] pushed";
  return e;
}

}  // namespace

TEST_CASE("bus messages: an event comes back whole from its message", "[bus]") {
  const auto sent = bus_test_event();
  const auto got = bus::decode(bus::encode(sent));
  REQUIRE(got.has_value());
  CHECK(got->source == sent.source);
  CHECK(got->family == sent.family);
  CHECK(got->topic == sent.topic);
  CHECK(got->time == sent.time);
  CHECK(got->severity == Severity::Warning);
  CHECK(got->dedupe_key == sent.dedupe_key);
  CHECK(got->fields == sent.fields);
  CHECK(got->raw == sent.raw);
  CHECK(got->default_template == sent.default_template);
  CHECK(got->id == 0);
}

TEST_CASE("bus messages: fields written as journal text and a compressed payload travel as the event's", "[bus]") {
  auto e = bus_test_event();
  e.fields = ingestion::EventFields::from_text(R"({"row": 1})");
  const auto got = bus::decode(bus::encode(e));
  REQUIRE(got.has_value());
  CHECK(got->fields == nlohmann::json{{"row", 1}});
}

TEST_CASE("bus messages: malformed, hostile and foreign messages are refused with a reason", "[bus]") {
  const auto good = nlohmann::json::parse(bus::encode(bus_test_event()));
  auto with = [&](const std::string& member, nlohmann::json value) {
    auto m = good;
    if (value.is_discarded()) m.erase(member);
    else m[member] = std::move(value);
    return m.dump();
  };
  const auto removed = nlohmann::json(nlohmann::json::value_t::discarded);
  struct Case {
    std::string message, error_part;
  };
  const std::vector<Case> cases = {
      {"", "not JSON"},
      {"{\"v\": 1,", "not JSON"},
      {"\xff\xfe", "not JSON"},
      {std::string(100000, '['), "not JSON"},
      {"[1, 2]", "not a JSON object"},
      {with("v", removed), "\"v\""},
      {with("v", 2), "version 2 is not known"},
      {with("source", removed), "\"source\" is missing"},
      {with("source", 42), "\"source\" is not a string"},
      {with("source", ""), "\"source\" is empty"},
      {with("source", std::string(1000, 's')), "\"source\" is longer"},
      {with("family", nullptr), "\"family\" is not a string"},
      {with("topic", removed), "\"topic\" is missing"},
      {with("time_ms", "yesterday"), "\"time_ms\""},
      {with("time_ms", 9'000'000'000'000'000'000LL), "\"time_ms\" is out of range"},
      {with("time_ms", -5), "\"time_ms\" is out of range"},
      {with("fields", "x"), "\"fields\""},
      {with("fields", removed), "\"fields\""},
      {with("raw", "not json {"), "\"raw\" is not JSON"},
      {with("dedupe_key", nlohmann::json::array()), "\"dedupe_key\" is not a string"},
  };
  for (const auto& c : cases) {
    INFO(c.message.substr(0, 200));
    const auto got = bus::decode(c.message);
    REQUIRE_FALSE(got.has_value());
    CHECK_THAT(got.error(), Catch::Contains(c.error_part));
  }
}

TEST_CASE("bus messages: unknown members are ignored, absent optional ones are empty", "[bus]") {
  auto m = nlohmann::json::parse(bus::encode(bus_test_event()));
  m["later"] = "a newer receiver's member";
  m.erase("raw");
  m.erase("template");
  m.erase("severity");
  m.erase("dedupe_key");
  const auto got = bus::decode(m.dump());
  REQUIRE(got.has_value());
  CHECK(got->raw.empty());
  CHECK(got->default_template.empty());
  CHECK(got->dedupe_key.empty());
  CHECK(got->severity == Severity::Info);
}

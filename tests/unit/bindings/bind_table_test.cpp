// Stacking, exclusivity, order, chain stop, unbind, hit counters and listing.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "bindings/bind_table.hpp"
#include "ingestion/source_registry.hpp"

using namespace chatops::bindings;
using chatops::text::CaseMapping;

namespace {

BindContext channel_message(std::string text) {
  IrcContext irc;
  irc.nick = "dan";
  irc.channel = "#ops";
  irc.text = std::move(text);
  return BindContext(std::move(irc));
}

chatops::ingestion::IngestionEvent webhook(std::string topic) {
  chatops::ingestion::IngestionEvent event;
  event.family = "webhook";
  event.topic = std::move(topic);
  return event;
}

Handler record(std::vector<std::string>& log, std::string name, BindResult result = BindResult::Continue) {
  return [&log, name, result](const BindContext&) {
    log.push_back(name);
    return result;
  };
}

}  // namespace

TEST_CASE("binding a pub mask again replaces the earlier bind") {
  BindTable table;
  std::vector<std::string> log;
  REQUIRE(table.bind(BindType::Pub, "-|-", "!hi", record(log, "first")));
  REQUIRE(table.bind(BindType::Pub, "o|o", "!HI", record(log, "second")));
  CHECK(table.size() == 1);
  CHECK(table.binds().front().flags == "o|o");
  REQUIRE(table.bind(BindType::Msg, "-|-", "hi", record(log, "msg")));
  REQUIRE(table.bind(BindType::Msg, "-|-", "hi", record(log, "msg again")));
  CHECK(table.size() == 2);
  IrcContext irc;
  CHECK(table.dispatch(BindType::Msg, "hi", BindContext(irc), CaseMapping::Rfc1459) == 1);
  CHECK(log == std::vector<std::string>{"msg again"});
}

TEST_CASE("other types stack: every matching bind runs") {
  BindTable table;
  std::vector<std::string> log;
  REQUIRE(table.bind(BindType::Pubm, "-|-", "#ops *", record(log, "a")));
  REQUIRE(table.bind(BindType::Pubm, "-|-", "#ops *", record(log, "b")));
  REQUIRE(table.bind(BindType::Pubm, "-|-", "#dev *", record(log, "other channel")));
  CHECK(table.dispatch(BindType::Pubm, "#ops hello", channel_message("hello"), CaseMapping::Rfc1459) == 2);
  CHECK(log == std::vector<std::string>{"a", "b"});
}

TEST_CASE("binds run in declaration order across exact and wildcard masks") {
  BindTable table;
  std::vector<std::string> log;
  REQUIRE(table.bind(BindType::Webhook, "-|-", "github/*", record(log, "1 wildcard")));
  REQUIRE(table.bind(BindType::Webhook, "-|-", "github/push", record(log, "2 exact")));
  REQUIRE(table.bind(BindType::Webhook, "-|-", "*", record(log, "3 wildcard")));
  REQUIRE(table.bind(BindType::Webhook, "-|-", "github/push", record(log, "4 exact")));
  REQUIRE(table.bind(BindType::Webhook, "-|-", "github/pus?", record(log, "5 wildcard")));
  CHECK(table.dispatch(webhook("github/push")) == 5);
  CHECK(log == std::vector<std::string>{"1 wildcard", "2 exact", "3 wildcard", "4 exact", "5 wildcard"});
}

TEST_CASE("a handler returning Stop ends the chain") {
  BindTable table;
  std::vector<std::string> log;
  REQUIRE(table.bind(BindType::Webhook, "-|-", "*", record(log, "first")));
  REQUIRE(table.bind(BindType::Webhook, "-|-", "github/push", record(log, "stopper", BindResult::Stop)));
  REQUIRE(table.bind(BindType::Webhook, "-|-", "*", record(log, "never")));
  CHECK(table.dispatch(webhook("github/push")) == 2);
  CHECK(log == std::vector<std::string>{"first", "stopper"});
}

TEST_CASE("a handler returning Skip is not counted and the chain goes on") {
  BindTable table;
  std::vector<std::string> log;
  REQUIRE(table.bind(BindType::Webhook, "-|-", "*", record(log, "skipper", BindResult::Skip)));
  REQUIRE(table.bind(BindType::Webhook, "-|-", "*", record(log, "next")));
  CHECK(table.dispatch(webhook("x")) == 1);
  CHECK(log.size() == 2);
  CHECK(table.binds()[0].hits == 0);
  CHECK(table.binds()[1].hits == 1);
}

TEST_CASE("unbind removes binds by type, flags and mask") {
  BindTable table;
  std::vector<std::string> log;
  REQUIRE(table.bind(BindType::Webhook, "-|-", "github/*", record(log, "a")));
  REQUIRE(table.bind(BindType::Webhook, "-|-", "github/*", record(log, "b")));
  REQUIRE(table.bind(BindType::Webhook, "o|o", "github/*", record(log, "other flags")));
  REQUIRE(table.bind(BindType::Pubm, "-|-", "#ops hi", record(log, "pubm")));
  CHECK(table.unbind(BindType::Webhook, "-", "github/*") == 2);  // "-" is "-|-"
  CHECK(table.unbind(BindType::Webhook, "-|-", "github/*") == 0);
  CHECK(table.unbind(BindType::Pubm, "-|-", "#OPS HI") == 1);  // masks compare as dispatch does
  CHECK(table.dispatch(webhook("github/push")) == 1);
  CHECK(log == std::vector<std::string>{"other flags"});
  CHECK(table.size() == 1);
}

TEST_CASE("unbind by id, also from within a running handler") {
  BindTable table;
  std::vector<std::string> log;
  BindId self = 0;
  auto once = table.bind(BindType::Webhook, "-|-", "*", [&](const BindContext&) {
    log.push_back("once");
    table.unbind(self);
    return BindResult::Continue;
  });
  REQUIRE(once);
  self = *once;
  REQUIRE(table.bind(BindType::Webhook, "-|-", "*", record(log, "always")));
  CHECK(table.dispatch(webhook("a")) == 2);
  CHECK(table.dispatch(webhook("b")) == 1);
  CHECK(log == std::vector<std::string>{"once", "always", "always"});
  CHECK_FALSE(table.unbind(self));
}

TEST_CASE("hit counters count triggered binds, binds() lists them with their origin") {
  BindTable table;
  std::vector<std::string> log;
  REQUIRE(table.bind(BindType::Webhook, "-|-", "github/*", record(log, "a"), Origin{"config.yml:12:5"}));
  REQUIRE(table.bind(BindType::Raw, "-|-", "PING", record(log, "b")));
  table.dispatch(webhook("github/push"));
  table.dispatch(webhook("github/issues"));
  table.dispatch(webhook("gitlab/push"));
  const auto listing = table.binds();
  REQUIRE(listing.size() == 2);
  CHECK(listing[0].type == BindType::Webhook);
  CHECK(listing[0].mask == "github/*");
  CHECK(listing[0].flags == "-|-");
  CHECK(listing[0].hits == 2);
  CHECK(listing[0].origin == "config.yml:12:5");
  CHECK(listing[1].hits == 0);
  CHECK(listing[1].origin == "C++");
}

TEST_CASE("invalid flags or cron specs are refused at bind time") {
  BindTable table;
  auto handler = [](const BindContext&) { return BindResult::Continue; };
  CHECK_FALSE(table.bind(BindType::Pub, "o|o|o", "!x", handler));
  CHECK_FALSE(table.bind(BindType::Cron, "-", "61 * * * *", handler));
  CHECK(table.size() == 0);
}

TEST_CASE("a throwing handler does not stop the dispatcher, and its failure is told") {
  BindTable table;
  std::vector<std::string> log;
  std::vector<std::string> failures;
  table.on_handler_failure = [&](const Origin& origin, const std::string& what) { failures.push_back(origin.where + ": " + what); };
  REQUIRE(table.bind(BindType::Webhook, "-|-", "*", [](const BindContext&) -> BindResult { throw std::runtime_error("boom"); },
                     Origin{"deploy.cpp"}));
  REQUIRE(table.bind(BindType::Webhook, "-|-", "*", record(log, "after")));
  CHECK(table.dispatch(webhook("x")) == 2);
  CHECK(log == std::vector<std::string>{"after"});
  CHECK(failures == std::vector<std::string>{"deploy.cpp: boom"});
}

TEST_CASE("every source family is an ingestion bind type") {
  for (const auto family : chatops::ingestion::source_families()) {
    INFO(family);
    const auto type = parse_bind_type(family);
    REQUIRE(type);
    CHECK(is_ingestion(*type));
    CHECK(is_ingestion_family(family));
  }
  CHECK_FALSE(is_ingestion_family("pub"));
  CHECK_FALSE(is_ingestion_family("kafka"));
}

TEST_CASE("ingestion events dispatch by family and topic, unknown families do nothing") {
  BindTable table;
  std::vector<std::string> log;
  REQUIRE(table.bind(BindType::Metric, "-|-", "metric/*", record(log, "metric")));
  auto event = webhook("metric/threshold");
  CHECK(table.dispatch(event) == 0);  // a webhook, not a metric
  event.family = "metric";
  CHECK(table.dispatch(event) == 1);
  event.family = "carrier-pigeon";
  CHECK(table.dispatch(event) == 0);
}

TEST_CASE("10,000 exact binds: dispatch still finds exactly the right one") {
  BindTable table;
  std::vector<int> hits;
  for (int i = 0; i < 10'000; ++i)
    REQUIRE(table.bind(BindType::Pub, "-|-", "!cmd" + std::to_string(i), [&hits, i](const BindContext&) {
      hits.push_back(i);
      return BindResult::Continue;
    }));
  REQUIRE(table.bind(BindType::Pub, "-|-", "!other", [](const BindContext&) { return BindResult::Continue; }));
  CHECK(table.dispatch(BindType::Pub, "!CMD7342 now", channel_message("!cmd7342 now"), CaseMapping::Rfc1459) == 1);
  CHECK(table.dispatch(BindType::Pub, "!cmd10000", channel_message("!cmd10000"), CaseMapping::Rfc1459) == 0);
  CHECK(hits == std::vector<int>{7342});
  CHECK(table.size() == 10'001);
}

// Handlers declared in config.yml: validation with positions, filters, source, say.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "bindings/config_binds.hpp"
#include "bindings/users.hpp"

using namespace chatops;
using namespace chatops::bindings;

namespace {

struct Said {
  std::string target, text;
  bool notice;
  Delivery delivery;
  std::size_t max_lines;
};

struct NotSaid {
  std::vector<std::string> targets;
  std::string reason;
  Delivery delivery;
};

class RecordingSpeaker : public Speaker {
 public:
  void say(const Utterance& u) override { said.push_back({u.target, u.text, u.notice, u.delivery, u.max_lines}); }
  void cannot_say(const std::vector<std::string>& targets, const std::string& reason, const Delivery& d) override {
    not_said.push_back({targets, reason, d});
  }
  void later(const std::string& waiting_for, const Delivery&) override { waits.push_back(waiting_for); }
  std::vector<Said> said;
  std::vector<NotSaid> not_said;
  std::vector<std::string> waits;
};

config::Schema root_schema() {
  config::Schema root("root", "test document");
  root.field("binds", config::Kind::List, "binds").items(bind_schema()).fallback("[]");
  root.field("users", config::Kind::List, "users").items(user_schema()).fallback("[]");
  return root;
}

Result<config::Node> load(const std::string& yaml) {
  auto doc = config::load_string(yaml, "config.yml");
  if (!doc) return doc;
  return config::validate(root_schema(), *doc);
}

Result<std::vector<ConfigBind>> binds_of(const std::string& yaml) {
  auto doc = load(yaml);
  if (!doc) return std::unexpected(doc.error());
  return parse_binds((*doc)["binds"]);
}

// A table with the binds of `yaml` installed, speaking to `speaker`.
BindTable table_of(const std::string& yaml, Speaker& speaker) {
  auto binds = binds_of(yaml);
  INFO((binds ? "" : binds.error().message));
  REQUIRE(binds);
  BindTable table;
  REQUIRE(install_binds(table, *binds, speaker));
  return table;
}

ingestion::IngestionEvent github(std::string topic, nlohmann::json fields, std::string source = "github") {
  ingestion::IngestionEvent event;
  event.id = 42;
  event.source = std::move(source);
  event.family = "webhook";
  event.topic = std::move(topic);
  event.fields = std::move(fields);
  return event;
}

}  // namespace

TEST_CASE("a config bind says its template to its channels") {
  RecordingSpeaker speaker;
  auto table = table_of(R"yaml(
binds:
  - type: webhook
    mask: "github/push"
    say: {to: ["#dev", "#ops"], template: "[B]{{repo}}[/B]: {{pusher}} pushed {{commit_count}} commit(s)"}
)yaml", speaker);
  CHECK(table.dispatch(github("github/push", {{"repo", "org/app"}, {"pusher", "ann"}, {"commit_count", 2}})) == 1);
  REQUIRE(speaker.said.size() == 2);
  CHECK(speaker.said[0].target == "#dev");
  CHECK(speaker.said[1].target == "#ops");
  CHECK(speaker.said[0].text == "\x02org/app\x02: ann pushed 2 commit(s)");
  CHECK_FALSE(speaker.said[0].notice);
  CHECK(speaker.said[0].delivery.event_id == 42);
  CHECK(speaker.said[0].delivery.bind_index == 0);
  const auto listing = table.binds();
  REQUIRE(listing.size() == 1);
  CHECK(listing[0].flags == "-|-");  // the default
  CHECK(listing[0].origin == "config.yml:3:5");
}

TEST_CASE("filters pick events by field values, lists and wildcards") {
  RecordingSpeaker speaker;
  auto table = table_of(R"yaml(
binds:
  - type: webhook
    mask: "github/*"
    filter: {action: [opened, closed], "repository.full_name": "org/*"}
    say: {to: ["#dev"], template: "{{action}}"}
)yaml", speaker);
  const auto pr = [](std::string action, std::string repo) {
    return github("github/pull_request", {{"action", action}, {"repository", {{"full_name", repo}}}});
  };
  CHECK(table.dispatch(pr("opened", "org/app")) == 1);
  CHECK(table.dispatch(pr("CLOSED", "org/lib")) == 1);  // values compare case-insensitively
  CHECK(table.dispatch(pr("labeled", "org/app")) == 0);
  CHECK(table.dispatch(pr("opened", "other/app")) == 0);
  CHECK(table.dispatch(github("github/pull_request", {{"action", "opened"}})) == 0);  // field missing
  CHECK(speaker.said.size() == 2);
  CHECK(table.binds()[0].hits == 2);  // filtered-out events are not hits
}

TEST_CASE("filter paths may be JSON pointers, reach into arrays and match any element") {
  RecordingSpeaker speaker;
  auto table = table_of(R"yaml(
binds:
  - {type: webhook, mask: "*", filter: {/labels: bug}, say: {to: ["#a"], template: "bug"}}
  - {type: webhook, mask: "*", filter: {commits.0.id: "abc*"}, say: {to: ["#b"], template: "first commit"}}
  - {type: webhook, mask: "*", filter: {/merged: "true", count: 3}, say: {to: ["#c"], template: "merged"}}
)yaml", speaker);
  CHECK(table.dispatch(github("github/x", {{"labels", {"ui", "bug"}}})) == 1);
  CHECK(table.dispatch(github("github/x", {{"commits", {{{"id", "abcdef"}}}}})) == 1);
  CHECK(table.dispatch(github("github/x", {{"merged", true}, {"count", 3}})) == 1);
  CHECK(table.dispatch(github("github/x", {{"labels", "feature"}, {"commits", "nope"}})) == 0);
  REQUIRE(speaker.said.size() == 3);
  CHECK(speaker.said[0].target == "#a");
  CHECK(speaker.said[1].target == "#b");
  CHECK(speaker.said[2].target == "#c");
}

TEST_CASE("source restricts a bind to one source's events") {
  RecordingSpeaker speaker;
  auto table = table_of(R"yaml(
binds:
  - {type: webhook, mask: "*", source: github-enterprise, say: {to: ["#ghe"], template: "ghe"}}
)yaml", speaker);
  CHECK(table.dispatch(github("github/push", {}, "github")) == 0);
  CHECK(table.dispatch(github("github/push", {}, "github-enterprise")) == 1);
}

TEST_CASE("without a template the event's default template is used, with _event metadata") {
  RecordingSpeaker speaker;
  auto table = table_of(R"yaml(
binds:
  - {type: webhook, mask: "alertmanager/*", say: {to: ["#ops"], notice: true}}
)yaml", speaker);
  auto event = github("alertmanager/firing", {{"alertname", "DiskFull"}}, "alerts");
  event.default_template = "[COLOR=RED]FIRING[/COLOR] {{alertname}} ({{_event.source}})";
  CHECK(table.dispatch(event) == 1);
  event.default_template.clear();
  CHECK(table.dispatch(event) == 1);
  REQUIRE(speaker.said.size() == 2);
  CHECK(speaker.said[0].text == "\x03" "04FIRING\x0f DiskFull (alerts)");
  CHECK(speaker.said[0].notice);
  CHECK(speaker.said[1].text == "[alerts] alertmanager/firing");
}

TEST_CASE("a digest event is said with its own line even by a bind with a template", "[log][rate_cap]") {
  RecordingSpeaker speaker;
  auto table = table_of(R"yaml(
binds:
  - {type: log, mask: "log/app/*", say: {to: ["#ops"], template: "app {{level}}: {{message}}"}}
)yaml", speaker);
  ingestion::IngestionEvent line;
  line.source = "app";
  line.family = "log";
  line.topic = "log/app/error";
  line.fields = {{"level", "error"}, {"message", "db down"}};
  line.default_template = "[{{_event.source}}] {{line}}";
  auto digest = line;
  digest.fields = {{"digest", true}, {"count", 3000}, {"text", "… 3,000 more lines matched error in app.log"}};
  digest.default_template = "[{{_event.source}}] {{text}}";
  CHECK(table.dispatch(line) == 1);
  CHECK(table.dispatch(digest) == 1);
  REQUIRE(speaker.said.size() == 2);
  CHECK(speaker.said[0].text == "app error: db down");
  CHECK(speaker.said[1].text == "[app] … 3,000 more lines matched error in app.log");
}

TEST_CASE("an event whose own template does not compile is reported, not said") {
  // Templates travel with events into the journal: one written by an older version may carry a
  // partial that this version refuses.
  RecordingSpeaker speaker;
  auto table = table_of(R"yaml(
binds:
  - {type: webhook, mask: "generic/*", say: {to: ["#ops", "#dev"]}}
)yaml", speaker);
  auto event = github("generic/x", {{"msg", "R {{  >msg}}"}}, "hooks");
  event.default_template = "R {{  >msg}}";
  CHECK(table.dispatch(event) == 1);
  CHECK(speaker.said.empty());
  REQUIRE(speaker.not_said.size() == 1);
  CHECK(speaker.not_said[0].targets == std::vector<std::string>{"#ops", "#dev"});
  CHECK_THAT(speaker.not_said[0].reason, Catch::Contains("template does not compile") && Catch::Contains("partials"));
  CHECK(speaker.not_said[0].delivery.event_id == 42);
}

TEST_CASE("say.max_lines travels with what a bind says (10 unless given)") {
  RecordingSpeaker speaker;
  auto table = table_of(R"yaml(
binds:
  - {type: webhook, mask: "a/*", say: {to: ["#ops"], template: "x"}}
  - {type: webhook, mask: "a/*", say: {to: ["#ops"], template: "y", max_lines: 3}}
)yaml", speaker);
  table.dispatch(github("a/b", {}));
  REQUIRE(speaker.said.size() == 2);
  CHECK(speaker.said[0].max_lines == 10);
  CHECK(speaker.said[1].max_lines == 3);
  CHECK_FALSE(binds_of("binds: [{type: webhook, mask: x, say: {to: [\"#a\"], max_lines: 0}}]\n"));
}

TEST_CASE("the payload is read as raw by the templates and filters that mention it") {
  RecordingSpeaker speaker;
  auto table = table_of(R"yaml(
binds:
  - {type: webhook, mask: "github/push", say: {to: ["#a"], template: "head {{raw.head_commit.id}}"}}
  - {type: webhook, mask: "github/push", filter: {"raw.ref": "refs/heads/main"}, say: {to: ["#b"], template: "main"}}
  - {type: webhook, mask: "github/push", say: {to: ["#c"], template: "{{#raw}}has raw{{/raw}}{{^raw}}no raw{{/raw}}"}}
  - {type: webhook, mask: "github/push", say: {to: ["#d"], template: "drawn {{repo}}"}}
  - {type: webhook, mask: "github/push", say: {to: ["#e"]}}
)yaml", speaker);
  auto event = github("github/push", {{"repo", "org/app"}});
  event.raw = R"({"ref": "refs/heads/main", "head_commit": {"id": "abc123"}})";
  event.default_template = "default {{raw.ref}}";
  CHECK(table.dispatch(event) == 5);
  REQUIRE(speaker.said.size() == 5);
  CHECK(speaker.said[0].text == "head abc123");
  CHECK(speaker.said[1].text == "main");
  CHECK(speaker.said[2].text == "has raw");
  CHECK(speaker.said[3].text == "drawn org/app");
  CHECK(speaker.said[4].text == "default refs/heads/main");
  // A template that does not mention it does not get it (its parse is most of a dispatch's cost).
  nlohmann::json data = template_data(BindContext(event), false);
  CHECK_FALSE(data.contains("raw"));
  CHECK(template_data(BindContext(event))["raw"]["head_commit"]["id"] == "abc123");
}

TEST_CASE("IRC binds from config reply where they were triggered, with flags") {
  RecordingSpeaker speaker;
  auto table = table_of(R"yaml(
binds:
  - {type: pub, mask: "!ping", say: {template: "pong, {{nick}} ({{#args}}{{.}} {{/args}})"}}
  - {type: msg, flags: "n", mask: "secret", say: {template: "hello {{handle}}"}}
)yaml", speaker);
  IrcContext irc;
  irc.nick = "dan";
  irc.channel = "#ops";
  irc.args = {"a", "b"};
  CHECK(table.dispatch(BindType::Pub, "!ping a b", BindContext(irc), text::CaseMapping::Rfc1459) == 1);
  UserList users;
  users.add(User{"root", {"dan!*@*"}, "", *FlagSet::parse("n"), {}});
  IrcContext query;
  query.nick = "dan";
  CHECK(table.dispatch(BindType::Msg, "secret", BindContext(query), text::CaseMapping::Rfc1459) == 0);
  query.known_user = users.find({"dan", "x", "y", ""}, text::CaseMapping::Rfc1459);
  CHECK(table.dispatch(BindType::Msg, "secret", BindContext(query), text::CaseMapping::Rfc1459) == 1);
  REQUIRE(speaker.said.size() == 2);
  CHECK(speaker.said[0].target == "#ops");
  CHECK(speaker.said[0].text == "pong, dan (a b )");
  CHECK(speaker.said[0].delivery.event_id == 0);
  CHECK(speaker.said[1].target == "dan");
  CHECK(speaker.said[1].text == "hello root");
  CHECK(speaker.said[1].delivery.bind_index == 1);
}

TEST_CASE("config bind errors name file:line:column, all at once") {
  auto binds = binds_of(R"yaml(
binds:
  - {type: webhook, flags: "o|o|o", mask: "x", say: {to: ["#a"]}}
  - type: webhook
    mask: "x"
    say:
      to: ["#a"]
      template: "{{#open}} never closed"
  - {type: cron, mask: "99 * * * *", say: {to: ["#a"], template: "tick"}}
  - {type: time, mask: "00 * * * *", say: {template: "no target"}}
  - {type: pub, mask: "!x", source: github, say: {template: "x"}}
)yaml");
  REQUIRE_FALSE(binds);
  const auto& message = binds.error().message;
  CHECK_THAT(message, Catch::Contains("config.yml:3:") && Catch::Contains("flags"));
  CHECK_THAT(message, Catch::Contains("config.yml:8:17") && Catch::Contains("template does not compile"));
  CHECK_THAT(message, Catch::Contains("config.yml:9:") && Catch::Contains("minute"));
  CHECK_THAT(message, Catch::Contains("config.yml:10:") && Catch::Contains("`to` is required"));
  CHECK_THAT(message, Catch::Contains("config.yml:11:") && Catch::Contains("ingestion binds only"));
}

TEST_CASE("unknown bind types are refused by the schema with their position") {
  auto doc = load(R"yaml(
binds:
  - {type: webhok, mask: "x", say: {to: ["#a"]}}
)yaml");
  REQUIRE_FALSE(doc);
  CHECK_THAT(doc.error().message, Catch::Contains("config.yml:3:") && Catch::Contains("webhok"));
}

TEST_CASE("the users section gives handles, hostmasks, accounts and flags") {
  auto doc = load(R"yaml(
users:
  - {handle: alice, hostmasks: ["*!alice@example.org"], account: alice, flags: n}
  - {handle: bob, hostmasks: ["bob!*@*"], channels: {"#ops": o}}
)yaml");
  REQUIRE(doc);
  auto users = UserList::from((*doc)["users"]);
  REQUIRE(users);
  REQUIRE(users->users().size() == 2);
  const auto* bob = users->find({"bob", "b", "h", ""}, text::CaseMapping::Rfc1459);
  REQUIRE(bob);
  CHECK(bob->flags_on("#ops", text::CaseMapping::Rfc1459).has('o'));
  CHECK(users->find({"x", "y", "z", "alice"}, text::CaseMapping::Rfc1459)->global_flags.has('n'));
}

TEST_CASE("bad user flags and duplicate handles are reported with their position") {
  auto doc = load(R"yaml(
users:
  - {handle: alice, flags: "o+"}
)yaml");
  REQUIRE(doc);
  auto users = UserList::from((*doc)["users"]);
  REQUIRE_FALSE(users);
  CHECK_THAT(users.error().message, Catch::Contains("config.yml:3:") && Catch::Contains("'+'"));
  auto twice = load("users:\n  - {handle: a}\n  - {handle: a}\n");
  REQUIRE(twice);
  CHECK_FALSE(UserList::from((*twice)["users"]));
}

TEST_CASE("filter values must be a value, a list of values or comparisons") {
  auto binds = binds_of(R"yaml(
binds:
  - {type: webhook, mask: "*", filter: {action: [{nested: map}], labels: [], "/a/~2": x}, say: {to: ["#a"]}}
)yaml");
  REQUIRE_FALSE(binds);
  const auto& message = binds.error().message;
  CHECK_THAT(message, Catch::Contains("filter.action") && Catch::Contains("a value or a list of values"));
  CHECK_THAT(message, Catch::Contains("filter.labels") && Catch::Contains("lists no values"));
  CHECK_THAT(message, Catch::Contains("invalid field path \"/a/~2\""));
}

TEST_CASE("numeric filters compare a field with numbers, ranges included") {
  RecordingSpeaker speaker;
  auto table = table_of(R"yaml(
binds:
  - {type: webhook, mask: "*", filter: {value: {gt: 90}}, say: {to: ["#hot"], template: "hot: {{value}}"}}
  - {type: webhook, mask: "*", filter: {status: {gte: 500, lt: 600}}, say: {to: ["#5xx"], template: "{{status}}"}}
  - {type: webhook, mask: "*", filter: {/load: {outside: [0.5, 2]}}, say: {to: ["#load"], template: "{{load}}"}}
  - {type: webhook, mask: "*", filter: {latency_ms: {inside: [100, 200]}, code: {ne: 0}}, say: {to: ["#mid"], template: "mid"}}
)yaml", speaker);
  const auto targets = [&](nlohmann::json fields) {
    speaker.said.clear();
    table.dispatch(github("metric/x", std::move(fields)));
    std::vector<std::string> out;
    for (const auto& s : speaker.said) out.push_back(s.target);
    return out;
  };
  using Targets = std::vector<std::string>;
  CHECK(targets({{"value", 95.3}}) == Targets{"#hot"});
  CHECK(targets({{"value", 90}}).empty());      // gt is strict
  CHECK(targets({{"value", -1e9}}).empty());
  CHECK(targets({{"status", 500}}) == Targets{"#5xx"});  // gte includes its bound
  CHECK(targets({{"status", 599.5}}) == Targets{"#5xx"});
  CHECK(targets({{"status", 600}}).empty());           // lt excludes it
  CHECK(targets({{"status", 404}}).empty());
  CHECK(targets({{"load", 0.4}}) == Targets{"#load"});
  CHECK(targets({{"load", 2}}).empty());   // outside: the bounds are inside
  CHECK(targets({{"load", 2.01}}) == Targets{"#load"});
  CHECK(targets({{"latency_ms", 100}, {"code", 1}}) == Targets{"#mid"});   // inside: bounds included
  CHECK(targets({{"latency_ms", 150}, {"code", 0}}).empty());              // every filter must hold
  // Texts that are numbers (log fields, query strings) compare as numbers; others never match.
  CHECK(targets({{"value", "95.3"}}) == Targets{"#hot"});
  CHECK(targets({{"value", " 1e3 "}}) == Targets{"#hot"});
  CHECK(targets({{"value", "+91"}}) == Targets{"#hot"});
  for (const nlohmann::json& not_a_number :
       {nlohmann::json("95%"), nlohmann::json("high"), nlohmann::json(""), nlohmann::json("nan"), nlohmann::json("inf"),
        nlohmann::json("0x7f"), nlohmann::json(true), nlohmann::json(nullptr), nlohmann::json::object({{"v", 95}})}) {
    INFO(not_a_number.dump());
    CHECK(targets({{"value", not_a_number}}).empty());
  }
  CHECK(targets({{"other", 95}}).empty());  // a missing field never matches
  // An array matches when one of its elements does.
  CHECK(targets({{"value", {1, "x", 99}}}) == Targets{"#hot"});
  CHECK(targets({{"value", {1, 2}}}).empty());
}

TEST_CASE("numeric filters are checked at start-up with their file, line and column") {
  auto binds = binds_of(R"yaml(
binds:
  - {type: webhook, mask: "*", filter: {value: {gtt: 90}}, say: {to: ["#a"]}}
  - {type: webhook, mask: "*", filter: {value: {gt: ninety}}, say: {to: ["#a"]}}
  - {type: webhook, mask: "*", filter: {value: {outside: [20, 10]}}, say: {to: ["#a"]}}
  - {type: webhook, mask: "*", filter: {value: {inside: [1]}}, say: {to: ["#a"]}}
  - {type: webhook, mask: "*", filter: {value: {}}, say: {to: ["#a"]}}
  - {type: webhook, mask: "*", filter: {value: {lt: [1, 2]}}, say: {to: ["#a"]}}
)yaml");
  REQUIRE_FALSE(binds);
  const auto& message = binds.error().message;
  INFO(message);
  CHECK_THAT(message, Catch::Contains("config.yml:3:54: binds[0].filter.value.gtt: unknown comparison \"gtt\"") &&
                          Catch::Contains("did you mean \"gt\""));
  CHECK_THAT(message, Catch::Contains("config.yml:4:53: binds[1].filter.value.gt: expected a number, got \"ninety\""));
  CHECK_THAT(message, Catch::Contains("config.yml:5:") && Catch::Contains("low <= high"));
  CHECK_THAT(message, Catch::Contains("config.yml:6:") && Catch::Contains("two numbers [low, high]"));
  CHECK_THAT(message, Catch::Contains("config.yml:7:") && Catch::Contains("no comparison"));
  CHECK_THAT(message, Catch::Contains("config.yml:8:") && Catch::Contains("binds[5].filter.value.lt: expected a number"));
}

TEST_CASE("a bind's key comes from what it says, not where it stands nor how it is written", "[binds][reload]") {
  auto first = binds_of(
      "binds:\n"
      "  - {type: webhook, mask: \"github/*\", say: {to: [\"#dev\"], template: \"a\"}}\n"
      "  - {type: webhook, mask: \"github/*\", say: {to: [\"#ops\"], template: \"b\"}}\n"
      "  - {type: webhook, mask: \"github/*\", say: {to: [\"#ops\"], template: \"b\"}}\n");
  auto reordered = binds_of(
      "binds:\n"
      "  - say: {template: \"b\", to: [\"#ops\"]}\n"
      "    mask: \"github/*\"\n"
      "    type: webhook\n"
      "  - {type: webhook, mask: \"github/*\", say: {to: [\"#ops\"], template: \"b\"}}\n"
      "  - {type: webhook, mask: \"github/*\", say: {to: [\"#dev\"], template: \"a\"}}\n");
  REQUIRE(first);
  REQUIRE(reordered);
  CHECK((*first)[0].key == (*reordered)[2].key);
  CHECK((*first)[1].key == (*reordered)[0].key);
  CHECK((*first)[2].key == (*reordered)[1].key);
  // Binds written alike are told apart, and no key looks like the positional ones ("3:#ops").
  CHECK((*first)[1].key != (*first)[2].key);
  CHECK((*first)[0].key != (*first)[1].key);
  CHECK((*first)[2].key == (*first)[1].key + ".2");
  for (const auto& bind : *first) {
    CHECK(bind.key.size() >= 13);
    CHECK(bind.key.front() == 'b');
    CHECK(bind.key.find(':') == std::string::npos);
  }
}

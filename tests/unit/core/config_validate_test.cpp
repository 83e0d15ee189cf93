#include <catch2/catch.hpp>

#include "config_document.hpp"
#include "core/config/node.hpp"

using namespace chatops::config;
using chatops::config::test::document;

namespace {

Schema server_schema() {
  Schema s("server", "An IRC server.");
  s.field("host", Kind::String, "Host name.").required();
  s.field("port", Kind::Integer, "TCP port.").fallback("6697").range(1, 65535);
  s.field("tls", Kind::Boolean, "Use TLS.").fallback("true");
  return s;
}

Schema flood_schema() {
  Schema s("flood", "Flood control.");
  s.field("burst", Kind::Integer, "Lines sent at once.").fallback("4");
  s.field("rate", Kind::Number, "Lines per second after the burst.").fallback("1.0");
  return s;
}

Schema sasl_schema() {
  Schema s("sasl", "SASL authentication.");
  s.field("mechanism", Kind::String, "Mechanism.").one_of({"PLAIN", "EXTERNAL"}).fallback("PLAIN");
  s.field("password", Kind::Secret, "Password.").one_of({"hunter2"});
  return s;
}

Schema irc_schema() {
  Schema s("irc", "The IRC connection.");
  s.field("nick", Kind::String, "Nickname the bot asks for.").required();
  s.field("servers", Kind::List, "Servers, tried in turn.").items(server_schema()).allow_string_shorthand("host").required();
  s.field("alt_nicks", Kind::List, "Alternative nicknames.").items(Kind::String).fallback("[]");
  s.field("ping", Kind::Duration, "Ping interval.").fallback("2m").range(10, 3600);
  s.field("max_body", Kind::Size, "Largest body.").fallback("25MiB").range(1024, 64 * 1024 * 1024);
  s.field("flood", Kind::Map, "Flood control.").schema(flood_schema()).fallback("{}");
  s.field("sasl", Kind::Map, "SASL.").schema(sasl_schema());
  s.field("ports", Kind::List, "Extra ports.").items(Kind::Integer).range(1, 65535).fallback("[]");
  s.field("extra", Kind::Map, "Free-form.");
  return s;
}

Schema root_schema() {
  Schema s("config", "The configuration.");
  s.field("irc", Kind::Map, "IRC.").schema(irc_schema()).required();
  return s;
}


Node valid(const std::string& text, const Schema& schema = root_schema()) {
  auto node = validate(schema, document(text));
  if (!node) FAIL(node.error().message);
  return *node;
}

std::string invalid(const std::string& text, const Schema& schema = root_schema()) {
  auto node = validate(schema, document(text));
  REQUIRE_FALSE(node);
  return node.error().message;
}

const std::string minimal = "irc:\n  nick: opsbot\n  servers: [irc.example.org]\n";

}  // namespace

TEST_CASE("defaults are filled in so that getters work", "[config]") {
  const Node irc = valid(minimal).map("irc");
  REQUIRE(irc.str("nick") == "opsbot");
  REQUIRE(irc.duration("ping") == std::chrono::minutes(2));
  REQUIRE(irc.size("max_body") == 25u * 1024 * 1024);
  REQUIRE(irc.strings("alt_nicks").empty());
  REQUIRE(irc.map("flood").integer("burst") == 4);
  REQUIRE(irc.map("flood").number("rate") == 1.0);
  REQUIRE_FALSE(irc.has("sasl"));
  const Node server = irc.list("servers").at(0);
  REQUIRE(server.integer("port") == 6697);
  REQUIRE(server.boolean("tls"));
}

TEST_CASE("validation returns a copy and leaves its input untouched", "[config]") {
  const Node input = document(minimal);
  REQUIRE(validate(root_schema(), input));
  REQUIRE_FALSE(input["irc"].has("ping"));
  REQUIRE(input["irc"]["servers"].items()[0].is_scalar());
}

TEST_CASE("a plain string list item is shorthand for {key: string}", "[config]") {
  const Node irc = valid("irc:\n  nick: n\n  servers:\n    - irc.example.org\n    - {host: b.example, port: 7000}\n").map("irc");
  const auto servers = irc.list("servers");
  REQUIRE(servers.at(0).str("host") == "irc.example.org");
  REQUIRE(servers.at(0).integer("port") == 6697);
  REQUIRE(servers.at(1).integer("port") == 7000);
  REQUIRE(servers.at(0)["port"].where() == "config.yml:4:7");  // a default points at its item
}

TEST_CASE("values keep their positions in the validated copy", "[config]") {
  const Node root = valid("irc:\n  nick: opsbot\n  servers: [a]\n  flood: {burst: 9}\n");
  REQUIRE(root.map("irc")["nick"].where() == "config.yml:2:9");
  REQUIRE(root.map("irc").map("flood")["burst"].where() == "config.yml:4:18");
  REQUIRE(root.map("irc").map("flood")["rate"].where() == "config.yml:4:10");
}

TEST_CASE("an unknown key is reported at the key, with a close declared key as a hint", "[config]") {
  REQUIRE(invalid("irc:\n  nikc: opsbot\n  nick: opsbot\n  servers: [a]\n") ==
          "config.yml:2:3: irc.nikc: unknown key (did you mean \"nick\"?)");
  REQUIRE(invalid("irc:\n  nick: opsbot\n  servers: [a]\n  colour:\n    x: 1\n") ==
          "config.yml:4:3: irc.colour: unknown key");
}

TEST_CASE("a missing required key is reported at its parent map", "[config]") {
  REQUIRE(invalid("irc:\n  servers: [a]\n") == "config.yml:2:3: irc: missing required key \"nick\"");
  REQUIRE(invalid("irc:\n  nick:\n  servers: [a]\n") == "config.yml:2:3: irc.nick: required, but empty");
}

TEST_CASE("integers reject trailing text and fractions", "[config]") {
  REQUIRE(invalid(minimal + "  flood: {burst: 12abc}\n") ==
          "config.yml:4:18: irc.flood.burst: expected an integer, got \"12abc\"");
  REQUIRE(invalid(minimal + "  flood: {burst: 1.5}\n") ==
          "config.yml:4:18: irc.flood.burst: expected an integer, got \"1.5\"");
  REQUIRE(invalid(minimal + "  flood: {rate: fast}\n") ==
          "config.yml:4:17: irc.flood.rate: expected a number, got \"fast\"");
}

TEST_CASE("booleans, durations and sizes are checked by their syntax", "[config]") {
  REQUIRE(invalid("irc:\n  nick: n\n  servers: [{host: a, tls: maybe}]\n") ==
          "config.yml:3:28: irc.servers[0].tls: expected a boolean (true/false, yes/no, on/off), got \"maybe\"");
  REQUIRE(invalid(minimal + "  ping: 5 minutes\n") ==
          "config.yml:4:9: irc.ping: expected a duration such as 250ms, 30s, 5m, 2h, 1d, got \"5 minutes\"");
  REQUIRE(invalid(minimal + "  max_body: 2XB\n") ==
          "config.yml:4:13: irc.max_body: expected a size such as 512, 64KiB, 25MiB, 1GiB, 10KB, got \"2XB\"");
}

TEST_CASE("range() bounds apply to integers, durations in seconds and sizes in bytes", "[config]") {
  REQUIRE(invalid(minimal + "  ping: 2h\n") == "config.yml:4:9: irc.ping: must be between 10s and 3600s, got \"2h\"");
  REQUIRE(valid(minimal + "  ping: 1h\n").map("irc").duration("ping") == std::chrono::hours(1));
  REQUIRE(invalid(minimal + "  max_body: 1000\n") ==
          "config.yml:4:13: irc.max_body: must be between 1024 and 67108864 bytes, got \"1000\"");
  REQUIRE(invalid(minimal + "  ports: [80, 0]\n") == "config.yml:4:15: irc.ports[1]: must be between 1 and 65535, got \"0\"");
}

TEST_CASE("one_of lists the choices, and suggests the closest one of a near miss", "[config]") {
  REQUIRE(invalid(minimal + "  sasl: {mechanism: SCRAM}\n") ==
          "config.yml:4:21: irc.sasl.mechanism: expected one of PLAIN, EXTERNAL, got \"SCRAM\"");
  REQUIRE(invalid(minimal + "  sasl: {mechanism: PLAN}\n") ==
          "config.yml:4:21: irc.sasl.mechanism: expected one of PLAIN, EXTERNAL, got \"PLAN\" (did you mean \"PLAIN\"?)");
}

TEST_CASE("a secret's value never appears in a message", "[config]") {
  const std::string error = invalid(minimal + "  sasl: {password: letmein}\n");
  REQUIRE(error == "config.yml:4:20: irc.sasl.password: expected one of hunter2, got (secret)");
  REQUIRE(error.find("letmein") == std::string::npos);
  // Nor a suggestion that would tell how close it came.
  REQUIRE(invalid(minimal + "  sasl: {password: hunter3}\n") ==
          "config.yml:4:20: irc.sasl.password: expected one of hunter2, got (secret)");
}

TEST_CASE("a value from the environment is never shown, even in a field that is not a secret", "[config]") {
  ::setenv("CHATOPS_TEST_SECRET", "xoxb-1234-s3cr3t", 1);
  const std::string error = invalid("irc:\n  nick: opsbot\n"
                                    "  ping: \"${CHATOPS_TEST_SECRET}\"\n"
                                    "  flood: {burst: \"${CHATOPS_TEST_SECRET}\"}\n"
                                    "  sasl: {mechanism: \"x-${CHATOPS_TEST_SECRET}\"}\n"
                                    "  servers: [\"${CHATOPS_TEST_SECRET}\", {host: h, port: \"${CHATOPS_TEST_SECRET}\"}]\n");
  INFO(error);
  CHECK(error.find("s3cr3t") == std::string::npos);
  CHECK(error.find("irc.ping: expected a duration such as 250ms, 30s, 5m, 2h, 1d, got \"${CHATOPS_TEST_SECRET}\"") !=
        std::string::npos);
  CHECK(error.find("irc.flood.burst: expected an integer, got \"${CHATOPS_TEST_SECRET}\"") != std::string::npos);
  CHECK(error.find("irc.sasl.mechanism: expected one of PLAIN, EXTERNAL, got \"x-${CHATOPS_TEST_SECRET}\"") !=
        std::string::npos);
  CHECK(error.find("irc.servers[1].port: expected an integer, got \"${CHATOPS_TEST_SECRET}\"") != std::string::npos);
  // The validated copy still knows: a shorthand's expansion too.
  auto node = validate(root_schema(), document(minimal + "  extra: {a: \"${CHATOPS_TEST_SECRET}\"}\n"
                                                        "  alt_nicks: [\"${CHATOPS_TEST_SECRET}\"]\n"));
  REQUIRE(node);
  const auto irc = node->map("irc");
  CHECK(irc["extra"]["a"].quoted() == "\"${CHATOPS_TEST_SECRET}\"");
  CHECK(irc["alt_nicks"].items()[0].error("bad nick " + irc.strings("alt_nicks")[0]).message.find("s3cr3t") ==
        std::string::npos);
  auto shorthand = validate(root_schema(), document("irc:\n  nick: n\n  servers: [\"${CHATOPS_TEST_SECRET}\"]\n"));
  REQUIRE(shorthand);
  const auto server = shorthand->map("irc").list("servers")[0];
  CHECK(server["host"].quoted() == "\"${CHATOPS_TEST_SECRET}\"");
  CHECK(server.error("unreachable " + server.str("host")).message.find("s3cr3t") == std::string::npos);
}

TEST_CASE("a problem in a list of maps points at the right item", "[config]") {
  REQUIRE(invalid("irc:\n"
                  "  nick: opsbot\n"
                  "  servers:\n"
                  "    - host: a.example\n"
                  "      port: 6697\n"
                  "    - host: b.example\n"
                  "      port: 70000\n") ==
          "config.yml:7:13: irc.servers[1].port: must be between 1 and 65535, got \"70000\"");
  REQUIRE(invalid("irc:\n  nick: n\n  servers:\n    - host: a\n    - port: 1\n") ==
          "config.yml:5:7: irc.servers[1]: missing required key \"host\"");
}

TEST_CASE("the wrong shape is reported without showing the value", "[config]") {
  REQUIRE(invalid("irc:\n  nick: [a]\n  servers: a\n") ==
          "config.yml:2:9: irc.nick: expected a string, got a list\n"
          "config.yml:3:12: irc.servers: expected a list, got a string");
  REQUIRE(invalid("irc: opsbot\n") == "config.yml:1:6: irc: expected a map, got a string");
  REQUIRE(invalid(minimal + "  extra: 1\n") == "config.yml:4:10: irc.extra: expected a map, got a string");
}

TEST_CASE("all problems are reported, one per line, in document order", "[config]") {
  REQUIRE(invalid("irc:\n"
                  "  servers:\n"
                  "    - {host: a, port: x}\n"
                  "  ping: soon\n"
                  "  tls: true\n") ==
          "config.yml:2:3: irc: missing required key \"nick\"\n"
          "config.yml:3:23: irc.servers[0].port: expected an integer, got \"x\"\n"
          "config.yml:4:9: irc.ping: expected a duration such as 250ms, 30s, 5m, 2h, 1d, got \"soon\"\n"
          "config.yml:5:3: irc.tls: unknown key");
}

TEST_CASE("an open schema keeps undeclared keys, merged() validates them in a second step", "[config]") {
  Schema common("source", "A source.");
  common.field("name", Kind::String, "Name.").required();
  common.field("kind", Kind::String, "Kind.").required();
  common.open();
  Schema webhook("webhook", "A webhook.");
  webhook.field("path", Kind::String, "URL path.").required();
  webhook.field("max_body", Kind::Size, "Largest body.").fallback("1MiB");

  const Node first = *validate(common, document("name: gh\nkind: webhook\npath: /hooks/gh\npaht: x\n"));
  REQUIRE(first.str("path") == "/hooks/gh");
  const Schema full = common.merged(webhook, "webhook source");
  REQUIRE(full.name() == "webhook source");
  REQUIRE_FALSE(full.is_open());
  REQUIRE(full.find("path") != nullptr);
  REQUIRE(full.find("nope") == nullptr);
  auto second = validate(full, first);
  REQUIRE_FALSE(second);
  REQUIRE(second.error().message == "config.yml:4:1: paht: unknown key (did you mean \"path\"?)");

  const Node ok = *validate(full, *validate(common, document("name: gh\nkind: webhook\npath: /p\n")));
  REQUIRE(ok.size("max_body") == 1024 * 1024);
}

TEST_CASE("a later field of merged() replaces one of the same name", "[config]") {
  Schema base("base", "");
  base.field("a", Kind::String, "first");
  base.field("b", Kind::String, "");
  Schema more("more", "");
  more.field("a", Kind::Integer, "second");
  const Schema merged = base.merged(more, "merged");
  REQUIRE(merged.fields().size() == 2);
  REQUIRE(merged.fields()[0].kind() == Kind::Integer);
  REQUIRE_THROWS_AS(base.field("b", Kind::String, ""), std::logic_error);
}

TEST_CASE("getters throw logic_error on an undeclared key, the wrong kind or an absent optional key", "[config]") {
  const Node irc = valid(minimal).map("irc");
  REQUIRE_THROWS_AS(irc.str("nickname"), std::logic_error);
  REQUIRE_THROWS_AS(irc.integer("nick"), std::logic_error);
  REQUIRE_THROWS_AS(irc.strings("servers"), std::logic_error);
  REQUIRE_THROWS_AS(irc.map("sasl"), std::logic_error);
  REQUIRE(irc.str("ping") == "2m");
}

TEST_CASE("getters on an unvalidated node check only the value", "[config]") {
  const Node root = document("n: 12\nd: 250ms\nlist: [a, b]\nword: x\n");
  REQUIRE(root.integer("n") == 12);
  REQUIRE(root.duration("d") == std::chrono::milliseconds(250));
  REQUIRE(root.strings("list") == std::vector<std::string>{"a", "b"});
  REQUIRE_THROWS_AS(root.integer("word"), std::logic_error);
}

TEST_CASE("a key given twice is reported at its second occurrence", "[config]") {
  REQUIRE(invalid("irc:\n  nick: a\n  servers: [a]\n  nick: b\n") == "config.yml:4:3: irc.nick: duplicate key");
}

TEST_CASE("lists of free-form maps or of anything keep their items", "[config]") {
  Schema s("binds", "");
  s.field("rules", Kind::List, "").items(Kind::Map);
  s.field("anything", Kind::List, "").items(Kind::Any);
  const Node root = valid("rules: [{a: 1}, {b: [2]}]\nanything: [1, {c: 3}, [4]]\n", s);
  REQUIRE(root.list("rules").at(1)["b"].is_sequence());
  REQUIRE(root.list("anything").size() == 3);
  REQUIRE(invalid("rules: [{a: 1}, x]\n", s) == "config.yml:1:17: rules[1]: expected a map, got a string");
}

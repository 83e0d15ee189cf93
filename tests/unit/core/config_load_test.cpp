#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "config_document.hpp"
#include "core/config/node.hpp"

using namespace chatops::config;
using chatops::config::test::document;

namespace {

std::string load_error(const std::string& text) {
  auto node = load_string(text, "config.yml");
  REQUIRE_FALSE(node);
  return node.error().message;
}

}  // namespace

TEST_CASE("a YAML syntax error names file, 1-based line and column, and yaml-cpp's message", "[config]") {
  REQUIRE(load_error("irc:\n  nick: [a, b\n  port: 1\n") == "config.yml:3:7: end of sequence flow not found");
  REQUIRE(load_error("a: b: c\n") == "config.yml:1:5: illegal map value");
}

TEST_CASE("where() gives the 1-based position of a value", "[config]") {
  const Node root = document("irc:\n  nick: opsbot\n  servers:\n    - host: a\n    - host: b\n");
  REQUIRE(root["irc"]["nick"].where() == "config.yml:2:9");
  REQUIRE(root["irc"]["servers"].items()[1]["host"].where() == "config.yml:5:13");
  REQUIRE(root["irc"]["servers"].items()[1]["host"].path() == "irc.servers[1].host");
  REQUIRE(root["irc"]["nick"].error("too long").message == "config.yml:2:9: irc.nick: too long");
}

TEST_CASE("${NAME} is replaced from the environment and the value keeps its position", "[config]") {
  ::setenv("CHATOPS_TEST_NICK", "opsbot", 1);
  const Node root = document("irc:\n  nick: \"x-${CHATOPS_TEST_NICK}-y\"\n  alt: [\"${CHATOPS_TEST_NICK}_\"]\n");
  REQUIRE(root["irc"]["nick"].scalar() == "x-opsbot-y");
  REQUIRE(root["irc"]["nick"].where() == "config.yml:2:9");
  REQUIRE(root["irc"]["alt"].items()[0].scalar() == "opsbot_");
  REQUIRE(root["irc"]["alt"].items()[0].where() == "config.yml:3:9");
}

TEST_CASE("${NAME:-default} uses the default when the variable is unset or empty", "[config]") {
  ::unsetenv("CHATOPS_TEST_UNSET");
  ::setenv("CHATOPS_TEST_EMPTY", "", 1);
  ::setenv("CHATOPS_TEST_PORT", "6697", 1);
  const Node root = document("a: ${CHATOPS_TEST_UNSET:-fallback}\nb: ${CHATOPS_TEST_EMPTY:-}\n"
                         "c: ${CHATOPS_TEST_EMPTY:-x}\nd: ${CHATOPS_TEST_PORT:-1}\n");
  REQUIRE(root["a"].scalar() == "fallback");
  REQUIRE(root["b"].scalar() == "");
  REQUIRE(root["c"].scalar() == "x");
  REQUIRE(root["d"].scalar() == "6697");
}

TEST_CASE("$${ gives a literal ${ and is not substituted", "[config]") {
  ::setenv("CHATOPS_TEST_NICK", "opsbot", 1);
  REQUIRE(document("a: \"$${CHATOPS_TEST_NICK} costs $$5\"\n")["a"].scalar() == "${CHATOPS_TEST_NICK} costs $$5");
}

TEST_CASE("keys are not substituted", "[config]") {
  ::setenv("CHATOPS_TEST_NICK", "opsbot", 1);
  REQUIRE(document("${CHATOPS_TEST_NICK}: 1\n").keys() == std::vector<std::string>{"${CHATOPS_TEST_NICK}"});
}

TEST_CASE("an unset variable without default is an error naming it at its position, never a value", "[config]") {
  ::unsetenv("CHATOPS_TEST_PASSWORD");
  ::unsetenv("CHATOPS_TEST_KEY");
  ::setenv("CHATOPS_TEST_NICK", "opsbot", 1);
  const std::string error = load_error(
      "irc:\n  nick: ${CHATOPS_TEST_NICK}\n  sasl: {password: \"${CHATOPS_TEST_PASSWORD}\"}\n"
      "channels:\n  - {name: \"#dev\", key: \"${CHATOPS_TEST_KEY}\"}\n");
  REQUIRE(error ==
          "config.yml:3:20: irc.sasl.password: environment variable CHATOPS_TEST_PASSWORD is not set "
          "(write ${CHATOPS_TEST_PASSWORD:-default} for a default)\n"
          "config.yml:5:25: channels[0].key: environment variable CHATOPS_TEST_KEY is not set "
          "(write ${CHATOPS_TEST_KEY:-default} for a default)");
  REQUIRE(error.find("opsbot") == std::string::npos);
}

TEST_CASE("a value from the environment is quoted as written, never as its value", "[config]") {
  ::setenv("CHATOPS_TEST_TOKEN", "ghp_s3cr3tV4lue", 1);
  ::unsetenv("CHATOPS_TEST_UNSET");
  const Node root = document("a: \"Bearer ${CHATOPS_TEST_TOKEN}\"\n"
                         "b: plain\n"
                         "c: ${CHATOPS_TEST_UNSET:-from the file}\n"
                         "d: {e: [\"${CHATOPS_TEST_TOKEN}\"]}\n");
  CHECK(root["a"].scalar() == "Bearer ghp_s3cr3tV4lue");
  CHECK(root["a"].quoted() == "\"Bearer ${CHATOPS_TEST_TOKEN}\"");
  CHECK(root["b"].quoted() == "\"plain\"");
  CHECK(root["c"].quoted() == "\"from the file\"");  // a default is written in the file
  // Messages about the value, about what contains it, or about what it expands to.
  CHECK(root["a"].error("bad value \"" + root["a"].scalar() + "\"").message ==
        "config.yml:1:4: a: bad value \"Bearer ${CHATOPS_TEST_TOKEN}\"");
  const auto item = root["d"]["e"].items()[0];
  CHECK(item.error("bad: " + item.scalar()).message == "config.yml:4:9: d.e[0]: bad: ${CHATOPS_TEST_TOKEN}");
  CHECK(root["d"].error("bad: " + item.scalar()).message.find("ghp_") == std::string::npos);
  CHECK(root.error("bad: " + item.scalar()).message.find("ghp_") == std::string::npos);
  // A node elsewhere is not rewritten.
  CHECK(root["b"].error("ghp_s3cr3tV4lue").message == "config.yml:2:4: b: ghp_s3cr3tV4lue");
}

TEST_CASE("a YAML alias of a value from the environment is remembered at both places", "[config]") {
  ::setenv("CHATOPS_TEST_TOKEN", "ghp_s3cr3tV4lue", 1);
  const Node root = document("a: &token \"${CHATOPS_TEST_TOKEN}\"\nb: *token\n");
  CHECK(root["b"].scalar() == "ghp_s3cr3tV4lue");
  CHECK(root["b"].quoted() == "\"${CHATOPS_TEST_TOKEN}\"");
  CHECK(root["b"].error(root["b"].scalar()).message.find("ghp_") == std::string::npos);
}

TEST_CASE("load_document lists unset variables and still loads the rest, keeping their text", "[config]") {
  ::unsetenv("CHATOPS_TEST_UNSET");
  ::setenv("CHATOPS_TEST_NICK", "opsbot", 1);
  auto loaded = load_document_string("nick: ${CHATOPS_TEST_NICK}\nport: \"${CHATOPS_TEST_UNSET}\"\n", "config.yml");
  REQUIRE(loaded);
  CHECK(loaded->root["nick"].scalar() == "opsbot");
  CHECK(loaded->root["port"].scalar() == "${CHATOPS_TEST_UNSET}");
  CHECK(loaded->problems == std::vector<std::string>{
                                "config.yml:2:7: port: environment variable CHATOPS_TEST_UNSET is not set "
                                "(write ${CHATOPS_TEST_UNSET:-default} for a default)"});
  CHECK_FALSE(load_document_string("a: [\n", "config.yml"));  // a syntax error still fails
}

TEST_CASE("a malformed reference is an error", "[config]") {
  REQUIRE(load_error("a: x${OOPS\n") == "config.yml:1:4: a: unterminated ${ (write $${ for a literal ${)");
  REQUIRE(load_error("a: ${1X}\n") == "config.yml:1:4: a: invalid variable name \"1X\" in ${...}");
}

TEST_CASE("load_file reads a file and names it in messages", "[config]") {
  const std::string path = "config_load_test.yml";
  std::ofstream(path) << "irc:\n  nick: opsbot\n";
  auto root = load_file(path);
  REQUIRE(root);
  REQUIRE(root->operator[]("irc")["nick"].where() == path + ":2:9");
  std::remove(path.c_str());
  auto missing = load_file("no-such-dir/config.yml");
  REQUIRE_FALSE(missing);
  REQUIRE(missing.error().message == "no-such-dir/config.yml: cannot read: No such file or directory");
}

TEST_CASE("a detached node places and redacts messages as its node did, without its document", "[config]") {
  ::setenv("CHATOPS_TEST_TOKEN", "ghp_s3cr3tV4lue", 1);
  Node detached;
  {
    const Node root = document("sources:\n  - name: a\n  - name: b\n    secret: \"${CHATOPS_TEST_TOKEN}\"\n");
    detached = root["sources"].items()[1].detached();
  }  // the document is gone: the detached node holds none of its YAML
  CHECK_FALSE(detached.defined());
  CHECK_FALSE(detached.has("name"));
  CHECK(detached.path() == "sources[1]");
  CHECK(detached.where() == "config.yml:3:5");
  REQUIRE(detached.file());
  CHECK(*detached.file() == "config.yml");
  CHECK(detached.error("refused: ghp_s3cr3tV4lue").message == "config.yml:3:5: sources[1]: refused: ${CHATOPS_TEST_TOKEN}");
}

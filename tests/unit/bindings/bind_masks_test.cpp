// How each bind type's mask is matched, including the server's casemapping.
#include <catch2/catch.hpp>

#include "bindings/bind_table.hpp"

using namespace chatops::bindings;
using chatops::text::CaseMapping;

namespace {

BindContext someone_in(std::string channel) {
  IrcContext irc;
  irc.nick = "dan";
  irc.user = "dan";
  irc.host = "example.org";
  irc.channel = std::move(channel);
  return BindContext(std::move(irc));
}

// Whether a single bind of `type` with `mask` triggers on `text`.
bool triggers(BindType type, const std::string& mask, std::string_view text,
              CaseMapping mapping = CaseMapping::Rfc1459) {
  BindTable table;
  REQUIRE(table.bind(type, "-|-", mask, [](const BindContext&) { return BindResult::Continue; }));
  return table.dispatch(type, text, someone_in("#ops"), mapping) == 1;
}

}  // namespace

TEST_CASE("pub and msg masks are the whole command word, case-insensitive") {
  CHECK(triggers(BindType::Pub, "!deploy", "!deploy web prod"));
  CHECK(triggers(BindType::Pub, "!deploy", "!DEPLOY"));
  CHECK_FALSE(triggers(BindType::Pub, "!deploy", "!deployed web"));
  CHECK_FALSE(triggers(BindType::Pub, "!deploy", "please !deploy"));
  CHECK(triggers(BindType::Msg, "status", "STATUS all"));
  // Not a wildcard: "!*" is a literal command.
  CHECK_FALSE(triggers(BindType::Pub, "!*", "!deploy"));
  CHECK(triggers(BindType::Pub, "!*", "!*"));
}

TEST_CASE("pubm masks match \"#channel text\" with Eggdrop wildcards") {
  CHECK(triggers(BindType::Pubm, "#ops *deploy*", "#ops can someone deploy web?"));
  CHECK(triggers(BindType::Pubm, "* *deploy*", "#dev deploy now"));
  CHECK_FALSE(triggers(BindType::Pubm, "#ops *deploy*", "#dev deploy now"));
  CHECK(triggers(BindType::Pubm, "#OPS hello", "#ops HELLO"));
  // % is one word (no spaces), ~ one or more spaces.
  CHECK(triggers(BindType::Pubm, "#ops %", "#ops word"));
  CHECK_FALSE(triggers(BindType::Pubm, "#ops %", "#ops two words"));
  CHECK(triggers(BindType::Pubm, "#ops a~b", "#ops a    b"));
  CHECK_FALSE(triggers(BindType::Pubm, "#ops a~b", "#ops ab"));
}

TEST_CASE("msgm masks match the text of a private message") {
  CHECK(triggers(BindType::Msgm, "*help*", "I need HELP"));
  CHECK_FALSE(triggers(BindType::Msgm, "help", "help me"));
}

TEST_CASE("join, part, kick, nick and mode masks match channel-prefixed text") {
  CHECK(triggers(BindType::Join, "#ops *!*@example.org", "#ops dan!dan@EXAMPLE.org"));
  CHECK_FALSE(triggers(BindType::Join, "#ops *!*@example.org", "#ops dan!dan@evil.org"));
  CHECK(triggers(BindType::Part, "* *", "#dev dan!d@host"));
  CHECK(triggers(BindType::Kick, "#ops bot", "#ops BOT"));
  CHECK(triggers(BindType::Nick, "* dan*", "#ops dan_away"));
  CHECK(triggers(BindType::Mode, "#ops +o *", "#ops +o dan"));
  CHECK_FALSE(triggers(BindType::Mode, "#ops +o *", "#ops -o dan"));
}

TEST_CASE("raw masks match the command or numeric") {
  CHECK(triggers(BindType::Raw, "PRIVMSG", "privmsg"));
  CHECK(triggers(BindType::Raw, "4??", "433"));
  CHECK_FALSE(triggers(BindType::Raw, "4??", "001"));
}

TEST_CASE("ingestion masks match the topic, case-sensitively") {
  CHECK(triggers(BindType::Webhook, "github/*", "github/push"));
  CHECK(triggers(BindType::Webhook, "github/push", "github/push"));
  CHECK_FALSE(triggers(BindType::Webhook, "github/push", "github/Push"));
  CHECK_FALSE(triggers(BindType::Webhook, "github/*", "gitlab/push"));
  CHECK(triggers(BindType::Metric, "metric/threshold", "metric/threshold"));
  // % and ~ are plain characters outside IRC binds.
  CHECK(triggers(BindType::Log, "log/100%", "log/100%"));
}

TEST_CASE("rfc1459 casemapping folds brackets, backslash and tilde to braces, bar and caret in masks, ascii does not") {
  CHECK(triggers(BindType::Kick, "#ops [dan]", "#ops {DAN}", CaseMapping::Rfc1459));
  CHECK(triggers(BindType::Kick, "#ops a\\b", "#ops A|B", CaseMapping::Rfc1459));
  CHECK(triggers(BindType::Nick, "#ops x^y", "#ops X~Y", CaseMapping::Rfc1459));
  CHECK_FALSE(triggers(BindType::Nick, "#ops x^y", "#ops X~Y", CaseMapping::StrictRfc1459));
  CHECK_FALSE(triggers(BindType::Kick, "#ops [dan]", "#ops {dan}", CaseMapping::Ascii));
  CHECK(triggers(BindType::Kick, "#ops [dan]", "#ops [DAN]", CaseMapping::Ascii));
  CHECK(triggers(BindType::Pub, "![x]", "!{X}", CaseMapping::Rfc1459));
}

TEST_CASE("exact masks follow a casemapping change announced by the server") {
  BindTable table;
  REQUIRE(table.bind(BindType::Kick, "-|-", "#ops [dan]", [](const BindContext&) { return BindResult::Continue; }));
  CHECK(table.dispatch(BindType::Kick, "#ops {dan}", someone_in("#ops"), CaseMapping::Rfc1459) == 1);
  CHECK(table.dispatch(BindType::Kick, "#ops {dan}", someone_in("#ops"), CaseMapping::Ascii) == 0);
  CHECK(table.dispatch(BindType::Kick, "#ops [DAN]", someone_in("#ops"), CaseMapping::Ascii) == 1);
  CHECK(table.dispatch(BindType::Kick, "#ops {DAN}", someone_in("#ops"), CaseMapping::Rfc1459) == 1);
}

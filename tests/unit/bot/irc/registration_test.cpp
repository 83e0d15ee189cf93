#include "bot/irc/registration.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/crypto.hpp"

using namespace chatops::irc;

namespace {

ClientConfig base_config() {
  ClientConfig c;
  c.servers = {{"irc.example.org", 6697, true}};
  c.nick = "opsbot";
  c.alt_nicks = {"opsbot_", "opsbot__"};
  c.username = "ops";
  c.realname = "ChatOps bot";
  return c;
}

ClientConfig plain_config(bool required) {
  auto c = base_config();
  c.sasl = {{SaslMechanism::Plain}, "opsbot", "s3cret", ""};
  c.sasl_required = required;
  return c;
}

Message msg(std::string_view raw) {
  auto m = parse(raw);
  REQUIRE(m.has_value());
  return *m;
}

std::vector<std::string> lines(const std::vector<Message>& out) {
  std::vector<std::string> s;
  for (const auto& m : out) s.push_back(serialize(m));
  return s;
}

std::vector<std::string> feed(Registration& r, std::string_view raw) { return lines(r.feed(msg(raw))); }

using Lines = std::vector<std::string>;

// Registration with these mechanisms, up to the server's first "AUTHENTICATE +".
Registration sasl_started(std::vector<SaslMechanism> mechanisms, bool required, std::string_view ls) {
  auto c = plain_config(required);
  c.sasl.mechanisms = std::move(mechanisms);
  Registration r(c);
  r.start();
  feed(r, ls);
  feed(r, "CAP * ACK :sasl");
  return r;
}

// The SCRAM client nonce, from the client-first message the server's "AUTHENTICATE +" draws.
std::string scram_nonce(Registration& r) {
  const auto first = feed(r, "AUTHENTICATE +");
  REQUIRE(first.size() == 1);
  const auto client_first = chatops::crypto::from_base64(first[0].substr(13));
  REQUIRE(client_first);
  return client_first->substr(client_first->find(",r=") + 3);
}

}  // namespace

TEST_CASE("registration opens with PASS, CAP LS 302, NICK, USER", "[irc][registration]") {
  auto c = base_config();
  Registration plain(c);
  CHECK(lines(plain.start()) == Lines{"CAP LS 302", "NICK opsbot", "USER ops 0 * :ChatOps bot"});
  c.password = "serverpw";
  Registration with_pass(c);
  CHECK(lines(with_pass.start()).front() == "PASS serverpw");
}

TEST_CASE("registration: multi-line CAP LS, REQ, SASL PLAIN, CAP END, 001", "[irc][registration]") {
  Registration r(plain_config(false));
  r.start();
  CHECK(feed(r, ":irc.test CAP * LS * :multi-prefix sasl=PLAIN,EXTERNAL account-tag") == Lines{});
  CHECK(feed(r, ":irc.test CAP * LS :server-time echo-message batch labeled-response") ==
        Lines{"CAP REQ :server-time echo-message account-tag multi-prefix sasl"});
  CHECK(feed(r, ":irc.test CAP opsbot ACK :server-time echo-message account-tag multi-prefix sasl") ==
        Lines{"AUTHENTICATE PLAIN"});
  CHECK(r.state() == Registration::State::Authenticating);
  // authzid = authcid, as Atheme, Solanum and irctest expect.
  const auto expected = chatops::crypto::to_base64(std::string("opsbot\0opsbot\0s3cret", 20));
  CHECK(feed(r, "AUTHENTICATE :+") == Lines{"AUTHENTICATE " + expected});  // InspIRCd's trailing form
  CHECK(feed(r, ":irc.test 900 opsbot opsbot!ops@host opsbot :You are now logged in as opsbot") == Lines{});
  CHECK(r.account() == "opsbot");
  CHECK(feed(r, ":irc.test 903 opsbot :SASL authentication successful") == Lines{"CAP END"});
  CHECK(r.sasl() == SaslStatus::Success);
  CHECK(feed(r, ":irc.test 001 opsbot :Welcome opsbot!ops@host") == Lines{});
  CHECK(r.registered());
  CHECK(r.has_cap("echo-message"));
  CHECK_FALSE(r.has_cap("batch"));
}

TEST_CASE("AUTHENTICATE chunks of 400 bytes, '+' after an exact multiple", "[irc][registration]") {
  const auto encoded = [](std::size_t n) { return chatops::crypto::to_base64(std::string(n, 'x')); };
  // 300 bytes encode to exactly 400 characters.
  CHECK(lines(authenticate_lines(std::string(300, 'x'))) == Lines{"AUTHENTICATE " + encoded(300), "AUTHENTICATE +"});
  const auto long_one = lines(authenticate_lines(std::string(301, 'x')));
  REQUIRE(long_one.size() == 2);
  CHECK(long_one[0] == "AUTHENTICATE " + encoded(301).substr(0, 400));
  CHECK(long_one[1] == "AUTHENTICATE " + encoded(301).substr(400));
  CHECK(lines(authenticate_lines(std::string(600, 'x'))).size() == 3);  // 800 chars: two chunks and "+"
  CHECK(lines(authenticate_lines("")) == Lines{"AUTHENTICATE +"});
}

TEST_CASE("SASL PLAIN payload longer than one chunk is split", "[irc][registration]") {
  auto c = plain_config(false);
  c.sasl.password = std::string(450, 'p');
  Registration r(c);
  r.start();
  feed(r, "CAP * LS :sasl");
  feed(r, "CAP * ACK :sasl");
  const auto out = feed(r, "AUTHENTICATE +");
  REQUIRE(out.size() == 2);
  CHECK(out[0].size() == std::string("AUTHENTICATE ").size() + 400);
}

TEST_CASE("SASL EXTERNAL sends an empty response", "[irc][registration]") {
  auto c = base_config();
  c.sasl.mechanisms = {SaslMechanism::External};
  Registration r(c);
  r.start();
  CHECK(feed(r, "CAP * LS :sasl=PLAIN,EXTERNAL") == Lines{"CAP REQ sasl"});
  CHECK(feed(r, "CAP * ACK :sasl") == Lines{"AUTHENTICATE EXTERNAL"});
  CHECK(feed(r, "AUTHENTICATE +") == Lines{"AUTHENTICATE +"});
  CHECK(feed(r, "903 opsbot :SASL authentication successful") == Lines{"CAP END"});
}

TEST_CASE("904 with sasl_required quits and never registers", "[irc][registration]") {
  Registration r(plain_config(true));
  r.start();
  feed(r, "CAP * LS :sasl");
  feed(r, "CAP * ACK :sasl");
  feed(r, "AUTHENTICATE +");
  CHECK(feed(r, "904 opsbot :SASL authentication failed") == Lines{"QUIT :authentication required"});
  CHECK(r.state() == Registration::State::Failed);
  CHECK(r.sasl() == SaslStatus::Failed);
  CHECK_FALSE(r.failure().empty());
  CHECK(feed(r, "001 opsbot :Welcome") == Lines{});
  CHECK_FALSE(r.registered());
}

TEST_CASE("904 without sasl_required ends CAP and goes on", "[irc][registration]") {
  Registration r(plain_config(false));
  r.start();
  feed(r, "CAP * LS :sasl");
  feed(r, "CAP * ACK :sasl");
  feed(r, "AUTHENTICATE +");
  CHECK(feed(r, "904 opsbot :SASL authentication failed") == Lines{"CAP END"});
  CHECK(feed(r, "001 opsbot :Welcome") == Lines{});
  CHECK(r.registered());
  CHECK(r.sasl() == SaslStatus::Failed);
}

TEST_CASE("sasl_required on a server without SASL quits", "[irc][registration]") {
  Registration r(plain_config(true));
  r.start();
  CHECK(feed(r, ":ngircd CAP * LS :multi-prefix") == Lines{"QUIT :authentication required"});
  CHECK(r.state() == Registration::State::Failed);
  CHECK(r.sasl() == SaslStatus::Unavailable);
}

TEST_CASE("a server without CAP: registered plainly", "[irc][registration]") {
  Registration r(plain_config(false));
  r.start();
  CHECK(feed(r, ":old.server 421 * CAP :Unknown command") == Lines{});
  CHECK(feed(r, ":old.server 001 opsbot :Welcome") == Lines{});
  CHECK(r.registered());
  CHECK(r.sasl() == SaslStatus::Unavailable);
}

TEST_CASE("no wanted capability: CAP END right after LS", "[irc][registration]") {
  Registration r(base_config());
  r.start();
  CHECK(feed(r, "CAP * LS :batch") == Lines{"CAP END"});
}

TEST_CASE("nick in use: alternative nicks, then nick + digits", "[irc][registration]") {
  Registration r(base_config());
  r.start();
  CHECK(feed(r, ":irc.test 433 * opsbot :Nickname is already in use") == Lines{"NICK opsbot_"});
  CHECK(feed(r, ":irc.test 433 * opsbot_ :Nickname is already in use") == Lines{"NICK opsbot__"});
  CHECK(feed(r, ":irc.test 432 * opsbot__ :Erroneous nickname") == Lines{"NICK opsbot1"});
  CHECK(feed(r, ":irc.test 433 * opsbot1 :Nickname is already in use") == Lines{"NICK opsbot2"});
  CHECK(r.nick() == "opsbot2");
  feed(r, "CAP * LS :");
  CHECK(feed(r, ":irc.test 001 opsbot2 :Welcome") == Lines{});
  CHECK(r.nick() == "opsbot2");
}

TEST_CASE("CAP NEW and DEL after registration", "[irc][registration]") {
  Registration r(base_config());
  r.start();
  feed(r, "CAP * LS :cap-notify");
  feed(r, "CAP * ACK :cap-notify");
  feed(r, "001 opsbot :Welcome");
  REQUIRE(r.registered());
  CHECK(feed(r, "CAP opsbot NEW :echo-message batch") == Lines{"CAP REQ echo-message"});
  feed(r, "CAP opsbot ACK :echo-message");
  CHECK(r.has_cap("echo-message"));
  feed(r, "CAP opsbot DEL :echo-message");
  CHECK_FALSE(r.has_cap("echo-message"));
}

TEST_CASE("sasl=EXTERNAL offered, PLAIN configured: sasl is requested, then CAP END", "[irc][registration][sasl]") {
  Registration r(plain_config(false));
  r.start();
  CHECK(feed(r, "CAP * LS :sasl=EXTERNAL") == Lines{"CAP REQ sasl"});
  CHECK(feed(r, "CAP * ACK :sasl") == Lines{"CAP END"});
  CHECK(r.sasl() == SaslStatus::Unavailable);
}

TEST_CASE("sasl=EXTERNAL offered, PLAIN configured and required: QUIT", "[irc][registration][sasl]") {
  Registration r(plain_config(true));
  r.start();
  CHECK(feed(r, "CAP * LS :sasl=EXTERNAL") == Lines{"CAP REQ sasl"});
  CHECK(feed(r, "CAP * ACK :sasl") == Lines{"QUIT :authentication required"});
  CHECK(r.state() == Registration::State::Failed);
}

TEST_CASE("mechanisms are tried in order: unoffered ones skipped, the next after 904 and 908", "[irc][registration][sasl]") {
  auto c = plain_config(false);
  c.sasl.mechanisms = {SaslMechanism::EcdsaNist256pChallenge, SaslMechanism::ScramSha256, SaslMechanism::Plain};
  Registration r(c);
  r.start();
  feed(r, "CAP * LS :sasl=PLAIN,SCRAM-SHA-256");
  CHECK(feed(r, "CAP * ACK :sasl") == Lines{"AUTHENTICATE SCRAM-SHA-256"});  // ECDSA is not offered
  CHECK(feed(r, "908 opsbot PLAIN :are available SASL mechanisms") == Lines{});
  CHECK(feed(r, "904 opsbot :SASL authentication failed") == Lines{"AUTHENTICATE PLAIN"});
  CHECK(r.sasl() == SaslStatus::InProgress);
  CHECK(feed(r, "AUTHENTICATE +").size() == 1);
  CHECK(feed(r, "903 opsbot :SASL authentication successful") == Lines{"CAP END"});
  CHECK(r.sasl() == SaslStatus::Success);
}

TEST_CASE("every mechanism failing ends SASL as failed", "[irc][registration][sasl]") {
  auto c = plain_config(false);
  c.sasl.mechanisms = {SaslMechanism::ScramSha256, SaslMechanism::Plain};
  Registration r(c);
  r.start();
  feed(r, "CAP * LS :sasl");  // CAP 3.1: no list, everything is tried
  CHECK(feed(r, "CAP * ACK :sasl") == Lines{"AUTHENTICATE SCRAM-SHA-256"});
  CHECK(feed(r, "904 opsbot :failed") == Lines{"AUTHENTICATE PLAIN"});
  CHECK(feed(r, "904 opsbot :failed") == Lines{"CAP END"});
  CHECK(r.sasl() == SaslStatus::Failed);
}

TEST_CASE("a malformed or oversized challenge aborts with AUTHENTICATE *", "[irc][registration][sasl]") {
  Registration r(plain_config(false));
  r.start();
  feed(r, "CAP * LS :sasl");
  feed(r, "CAP * ACK :sasl");
  CHECK(feed(r, "AUTHENTICATE :not base64!") == Lines{"AUTHENTICATE *"});
  CHECK(feed(r, "906 opsbot :SASL authentication aborted") == Lines{"CAP END"});
  CHECK(r.sasl() == SaslStatus::Failed);
}

TEST_CASE("SCRAM: a server that fails to prove it knows the password gets no other mechanism", "[irc][registration][sasl]") {
  auto r = sasl_started({SaslMechanism::ScramSha256, SaslMechanism::Plain}, false, "CAP * LS :sasl=SCRAM-SHA-256,PLAIN");
  const auto nonce = scram_nonce(r);
  const auto server_first = "r=" + nonce + "server,s=" + chatops::crypto::to_base64("salt") + ",i=4096";
  CHECK(feed(r, "AUTHENTICATE " + chatops::crypto::to_base64(server_first)).size() == 1);
  CHECK(feed(r, "AUTHENTICATE " + chatops::crypto::to_base64("v=" + chatops::crypto::to_base64(std::string(32, 'x')))) ==
        Lines{"AUTHENTICATE *"});
  CHECK(feed(r, "906 opsbot :aborted") == Lines{"CAP END"});  // not PLAIN
  CHECK(r.sasl() == SaslStatus::Failed);
  CHECK(r.server_refused());
}

TEST_CASE("SCRAM: 903 without the server's proof is a failure", "[irc][registration][sasl]") {
  auto r = sasl_started({SaslMechanism::ScramSha256}, true, "CAP * LS :sasl=SCRAM-SHA-256");
  scram_nonce(r);
  CHECK(feed(r, "903 opsbot :SASL authentication successful") == Lines{"QUIT :authentication required"});
  CHECK(r.server_refused());
}

TEST_CASE("a challenge in several AUTHENTICATE chunks is collected first", "[irc][registration][sasl]") {
  auto r = sasl_started({SaslMechanism::ScramSha256}, false, "CAP * LS :sasl");
  const auto nonce = scram_nonce(r);
  // A long server nonce makes the server-first message 600 bytes: two chunks of 400 and 400.
  std::string server_first = "r=" + nonce + std::string(600 - nonce.size(), 'n');
  server_first += ",s=" + chatops::crypto::to_base64("salt") + ",i=4096";
  const auto encoded = chatops::crypto::to_base64(server_first);
  REQUIRE(encoded.size() > 800);
  CHECK(feed(r, "AUTHENTICATE " + encoded.substr(0, 400)) == Lines{});
  CHECK(feed(r, "AUTHENTICATE " + encoded.substr(400, 400)) == Lines{});
  // The client-final message carries that nonce back: chunked too, in both directions.
  const auto final_lines = feed(r, "AUTHENTICATE " + encoded.substr(800));
  REQUIRE(final_lines.size() == 3);
  CHECK(final_lines[0].size() == 13 + 400);
  CHECK(final_lines[1].size() == 13 + 400);
  const auto client_final = chatops::crypto::from_base64(final_lines[0].substr(13) + final_lines[1].substr(13) +
                                                         final_lines[2].substr(13));
  REQUIRE(client_final);
  CHECK(client_final->starts_with("c=biws,r=" + nonce));
}

TEST_CASE("the sts value of CAP LS and CAP NEW is handed over once", "[irc][registration]") {
  Registration r(base_config());
  r.start();
  feed(r, "CAP * LS :multi-prefix sts=port=6697,duration=300");
  CHECK(r.take_sts() == std::optional<std::string>("port=6697,duration=300"));
  CHECK_FALSE(r.take_sts());
  CHECK(feed(r, "CAP * ACK :multi-prefix") == Lines{"CAP END"});  // sts is never requested
  feed(r, "001 opsbot :Welcome");
  feed(r, "CAP opsbot NEW :sts=duration=0");
  CHECK(r.take_sts() == std::optional<std::string>("duration=0"));
}

TEST_CASE("account-notify, away-notify, extended-join and account-tag are requested when offered", "[irc][registration]") {
  Registration r(base_config());
  r.start();
  CHECK(feed(r, "CAP * LS :away-notify account-notify extended-join account-tag batch") ==
        Lines{"CAP REQ :account-tag extended-join account-notify away-notify"});
}

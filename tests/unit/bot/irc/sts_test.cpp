#include "bot/irc/sts.hpp"

#include <catch2/catch.hpp>

using namespace chatops;
using namespace chatops::irc;
using namespace std::chrono_literals;

namespace {

const WallClock::time_point t0 = WallClock::time_point(std::chrono::seconds(1'800'000'000));
const ServerConfig plain{"Irc.Example.org", 6667, false};
const ServerConfig secure{"irc.example.org", 6697, true};

// A store that fails every call: the policy must still hold for the run.
class BrokenStore final : public StsPolicyStore {
 public:
  Result<std::optional<StsPolicy>> load(std::string_view) override { return fail("disk on fire"); }
  Result<void> save(std::string_view, const StsPolicy&) override { return fail("disk on fire"); }
  Result<void> remove(std::string_view) override { return fail("disk on fire"); }
};

}  // namespace

TEST_CASE("sts values: known keys parsed, unknown and malformed ignored", "[irc][sts]") {
  const auto v = parse_sts_value("port=6697,duration=300,preload,future=1");
  CHECK(v.port == std::optional<std::uint16_t>(6697));
  CHECK(v.duration == std::optional<std::chrono::seconds>(300s));
  const auto bad = parse_sts_value("port=0,duration=-5");
  CHECK_FALSE(bad.port);
  CHECK_FALSE(bad.duration);
  CHECK_FALSE(parse_sts_value("port=70000").port);
  CHECK(parse_sts_value("duration=99999999999").duration == StsPolicies::kMaxDuration);
  CHECK_FALSE(parse_sts_value("").port);
}

TEST_CASE("sts policies encode and decode", "[irc][sts]") {
  const StsPolicy p{6697, 300s, t0};
  CHECK(encode(p) == "port=6697,duration=300,expires=1800000000");
  CHECK(decode_sts_policy(encode(p)) == p);
  CHECK_FALSE(decode_sts_policy("port=6697"));
  CHECK_FALSE(decode_sts_policy("garbage"));
}

TEST_CASE("sts on a plain connection: reconnect with TLS on the port, nothing stored", "[irc][sts]") {
  MemoryStsPolicyStore store;
  StsPolicies sts(store);
  CHECK(sts.offered(plain, "port=6697", true, t0) == std::optional<std::uint16_t>(6697));
  CHECK_FALSE(sts.offered(plain, "duration=300", true, t0));  // a duration means nothing on plain
  CHECK(sts.route(plain, t0) == plain);
  CHECK(store.load("irc.example.org")->has_value() == false);
}

TEST_CASE("sts on a TLS connection: the duration is stored and forbids plain until it expires", "[irc][sts]") {
  MemoryStsPolicyStore store;
  {
    StsPolicies sts(store);
    CHECK_FALSE(sts.offered(secure, "duration=300,port=1234", true, t0));  // port ignored on TLS
  }
  StsPolicies after_restart(store);  // a new run reads the store
  CHECK(after_restart.route(plain, t0 + 299s) == ServerConfig{"Irc.Example.org", 6697, true});
  CHECK(after_restart.route(plain, t0 + 300s) == plain);
}

TEST_CASE("sts: closing a connection counts the duration again, duration=0 removes", "[irc][sts]") {
  MemoryStsPolicyStore store;
  StsPolicies sts(store);
  sts.offered(secure, "duration=300", true, t0);
  sts.closed(secure, t0 + 1000s);  // a long connection: expiry rescheduled at close
  CHECK(sts.route(plain, t0 + 1299s).tls);
  CHECK((*store.load("irc.example.org"))->expires == t0 + 1300s);
  sts.offered(secure, "duration=0", true, t0 + 1100s);
  CHECK(sts.route(plain, t0 + 1101s) == plain);
  CHECK_FALSE(store.load("irc.example.org")->has_value());
}

TEST_CASE("sts: no policy from an unverified TLS connection", "[irc][sts]") {
  MemoryStsPolicyStore store;
  StsPolicies sts(store);
  sts.offered(secure, "duration=300", false, t0);
  CHECK(sts.route(plain, t0) == plain);
}

TEST_CASE("sts: a failing store still enforces the policy for the run", "[irc][sts]") {
  BrokenStore store;
  StsPolicies sts(store);
  CHECK(sts.route(plain, t0) == plain);
  sts.offered(secure, "duration=300", true, t0);
  CHECK(sts.route(plain, t0 + 10s).tls);
}

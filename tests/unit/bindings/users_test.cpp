// Recognising users by services account and hostmask.
#include <catch2/catch.hpp>

#include "bindings/users.hpp"

using namespace chatops::bindings;
using chatops::text::CaseMapping;

namespace {

UserList sample() {
  UserList users;
  users.add(User{"alice", {"*!alice@example.org"}, "alice", *FlagSet::parse("n"), {}});
  users.add(User{"bob", {"bob!*@*.corp.example", "[bob]!*@*"}, "", {}, {{"#ops", *FlagSet::parse("o")}}});
  return users;
}

}  // namespace

TEST_CASE("users are found by hostmask, case-insensitively under the casemapping") {
  const auto users = sample();
  const auto* alice = users.find({"Al", "alice", "EXAMPLE.org", ""}, CaseMapping::Rfc1459);
  REQUIRE(alice);
  CHECK(alice->handle == "alice");
  const auto* bob = users.find({"{BOB}", "b", "anywhere", ""}, CaseMapping::Rfc1459);
  REQUIRE(bob);
  CHECK(bob->handle == "bob");
  CHECK_FALSE(users.find({"{BOB}", "b", "anywhere", ""}, CaseMapping::Ascii));
  CHECK_FALSE(users.find({"eve", "eve", "evil.org", ""}, CaseMapping::Rfc1459));
}

TEST_CASE("a services account identifies a user whatever the hostmask") {
  const auto users = sample();
  const auto* found = users.find({"anon", "x", "198.51.100.7", "Alice"}, CaseMapping::Rfc1459);
  REQUIRE(found);
  CHECK(found->handle == "alice");
  // "*" means logged out (account-notify), not an account named "*".
  CHECK_FALSE(users.find({"anon", "x", "198.51.100.7", "*"}, CaseMapping::Rfc1459));
}

TEST_CASE("users get channel flags per channel and Eggdrop's implied flags") {
  const auto users = sample();
  const auto* bob = users.by_handle("BOB", CaseMapping::Rfc1459);
  REQUIRE(bob);
  CHECK(bob->flags_on("#OPS", CaseMapping::Rfc1459).has('o'));
  CHECK(bob->flags_on("#dev", CaseMapping::Rfc1459).empty());
  CHECK(bob->flags_on("", CaseMapping::Rfc1459).empty());
  CHECK(users.by_handle("alice", CaseMapping::Rfc1459)->global_flags.has('o'));
}

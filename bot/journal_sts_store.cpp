#include "bot/journal_sts_store.hpp"

namespace chatops::bot {
namespace {
constexpr std::string_view kScope = "irc.sts";
}

Result<std::optional<irc::StsPolicy>> JournalStsStore::load(std::string_view host) {
  auto text = journal_.get_state(kScope, host);
  if (!text) return std::unexpected(text.error());
  if (!*text) return std::optional<irc::StsPolicy>();
  auto policy = irc::decode_sts_policy(**text);
  if (!policy) return fail("irc.sts state for " + std::string(host) + " is malformed: " + **text);
  return policy;
}

Result<void> JournalStsStore::save(std::string_view host, const irc::StsPolicy& policy) {
  // The journal drops the entry when it expires (and prune() deletes it).
  return journal_.put_state(kScope, host, irc::encode(policy), policy.expires);
}

Result<void> JournalStsStore::remove(std::string_view host) { return journal_.delete_state(kScope, host); }

}  // namespace chatops::bot

#pragma once
// STS policies in the journal's database (component state, scope "irc.sts", keyed by host), so
// that a policy learnt before a restart still forbids plain connections after it.
#include "bot/irc/sts.hpp"
#include "ingestion/journal/journal.hpp"

namespace chatops::bot {

class JournalStsStore final : public irc::StsPolicyStore {
 public:
  explicit JournalStsStore(ingestion::Journal& journal) : journal_(journal) {}

  Result<std::optional<irc::StsPolicy>> load(std::string_view host) override;
  Result<void> save(std::string_view host, const irc::StsPolicy& policy) override;
  Result<void> remove(std::string_view host) override;

 private:
  ingestion::Journal& journal_;
};

}  // namespace chatops::bot

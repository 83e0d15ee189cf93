#include "ingestion/webhook/alertmanager.hpp"
#include "ingestion/webhook/generic.hpp"
#include "ingestion/webhook/github.hpp"
#include "ingestion/webhook/gitlab.hpp"
#include "ingestion/webhook/jenkins.hpp"
#include "ingestion/webhook/pagerduty.hpp"
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

const std::vector<ProviderSpec>& provider_registry() {
  // One line per provider.
  static const std::vector<ProviderSpec> providers = {
      github_spec(),
      generic_spec(),
      gitlab_spec(),
      jenkins_spec(),
      alertmanager_spec(),
      pagerduty_spec(),
  };
  return providers;
}

const ProviderSpec* find_provider(std::string_view name) {
  for (const auto& p : provider_registry())
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace chatops::ingestion::webhook

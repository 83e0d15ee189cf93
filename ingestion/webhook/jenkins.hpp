#pragma once
// Jenkins Notification plugin (JSON format): one event per build phase, topic jenkins/<phase>, with
// the build's status in the fields. The plugin signs nothing, so a source must be configured with a
// shared token, an HMAC or basic auth (the plugin sends the endpoint URL's user:password as Basic).
#include <memory>
#include <string>
#include <vector>

#include "ingestion/webhook/auth.hpp"
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

// `phases`: the build phases announced (QUEUED, STARTED, COMPLETED, FINALIZED); others are skipped.
// `base_url` (Jenkins' root URL, e.g. "https://ci.example.org/") makes the plugin's relative links
// absolute when its payload has no full_url (Jenkins' own root URL setting is unset).
std::unique_ptr<Provider> make_jenkins(AuthChecks auth, std::vector<std::string> phases, std::string base_url = "");
ProviderSpec jenkins_spec();

}  // namespace chatops::ingestion::webhook

#pragma once
// PagerDuty v3 webhooks: X-PagerDuty-Signature (v1= HMAC-SHA256 of the body, several during secret
// rotation), incident events as topics pagerduty/incident.<action>. Fields: docs/sources/webhook.md.
#include <memory>
#include <string>
#include <vector>

#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

// Any one of the secrets may have signed a request (rotation: old and new side by side).
std::unique_ptr<Provider> make_pagerduty(std::vector<std::string> secrets);
ProviderSpec pagerduty_spec();

}  // namespace chatops::ingestion::webhook

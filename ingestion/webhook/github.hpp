#pragma once
// GitHub webhooks: X-Hub-Signature-256 over the raw body, X-GitHub-Event → topic github/<event>,
// X-GitHub-Delivery → dedupe key, normalised fields and a default template per event.
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

ProviderSpec github_spec();

}  // namespace chatops::ingestion::webhook

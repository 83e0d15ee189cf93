#pragma once
// Prometheus Alertmanager webhook (format version 4): one event per notification, topics
// alertmanager/firing and alertmanager/resolved. Alertmanager signs nothing, so a source must be
// configured with a bearer token or basic auth (its http_config sends either).
#include <memory>

#include "ingestion/webhook/auth.hpp"
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

std::unique_ptr<Provider> make_alertmanager(AuthChecks auth);
ProviderSpec alertmanager_spec();

}  // namespace chatops::ingestion::webhook

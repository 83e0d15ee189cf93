#pragma once
// Prometheus Alertmanager webhook (format version 4): one event per notification, topics
// alertmanager/firing and alertmanager/resolved. Alertmanager signs nothing, so a source must be
// configured with a bearer token or basic auth (its http_config sends either).
#include <memory>
#include <string>
#include <string_view>

#include "ingestion/webhook/auth.hpp"
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

std::unique_ptr<Provider> make_alertmanager(AuthChecks auth);
ProviderSpec alertmanager_spec();

// The short id an alert carries in what is said (`[3fa9c1]`), from its fingerprint: what `!ack`
// and `!silence` take.
std::string alert_short_id(std::string_view fingerprint);

}  // namespace chatops::ingestion::webhook

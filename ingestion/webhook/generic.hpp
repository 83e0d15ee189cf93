#pragma once
// Any JSON sender: credentials from auth.hpp, topic from a JSON pointer, a header or a fixed string,
// fields from JSON pointers.
#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

ProviderSpec generic_spec();

}  // namespace chatops::ingestion::webhook

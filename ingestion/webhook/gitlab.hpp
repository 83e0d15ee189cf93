#pragma once
// GitLab webhooks: the secret token sent verbatim in X-Gitlab-Token; events named by object_kind.
// Topics and fields are documented in docs/sources/webhook.md ("gitlab").
#include <memory>
#include <string>

#include "ingestion/webhook/provider.hpp"

namespace chatops::ingestion::webhook {

struct GitLabOptions {
  std::string token;                  // expected X-Gitlab-Token
  bool include_confidential = false;  // confidential issues and notes are skipped unless set
};

std::unique_ptr<Provider> make_gitlab(GitLabOptions options);
ProviderSpec gitlab_spec();

}  // namespace chatops::ingestion::webhook

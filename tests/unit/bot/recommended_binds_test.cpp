// Issue: the shipped config.yml's bind set says what a team wants to read from GitHub and GitLab,
// once each, and nothing else: checked with every real payload of the fixtures.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "bindings/config_binds.hpp"
#include "bot/app_config.hpp"
#include "ingestion/source_registry.hpp"
#include "tests/unit/ingestion/webhook/webhook_test_support.hpp"

using namespace chatops;

namespace {

class CountingSpeaker : public bindings::Speaker {
 public:
  void say(const bindings::Utterance& u) override { said.push_back(u.text); }
  void cannot_say(const std::vector<std::string>&, const std::string& reason, const bindings::Delivery&) override {
    FAIL_CHECK("a shipped bind cannot say an event: " << reason);
  }
  void later(const std::string& waiting_for, const bindings::Delivery&) override {
    FAIL_CHECK("a shipped bind waits for " << waiting_for);
  }
  std::vector<std::string> said;
};

// The shipped configuration's binds, and the provider of its source `name`.
struct Shipped {
  bot::AppConfig config;
  CountingSpeaker speaker;
  bindings::BindTable table;

  Shipped() {
    auto loaded = bot::load_app_config(std::string(CHATOPS_SOURCE_DIR) + "/config.yml");
    INFO((loaded ? "" : loaded.error().message));
    REQUIRE(loaded);
    config = *loaded;
    auto binds = bindings::parse_binds(config.root["binds"]);
    REQUIRE(binds);
    REQUIRE(bindings::install_binds(table, *binds, speaker));
  }
  std::unique_ptr<ingestion::webhook::Provider> provider(const std::string& name) const {
    for (const auto& entry : config.root.list("sources")) {
      auto source = ingestion::validate_source(entry);
      REQUIRE(source);
      if (source->node.str("name") != name) continue;
      auto made = ingestion::webhook::find_provider(source->node.str("provider"))->make(source->node);
      REQUIRE(made);
      return std::move(*made);
    }
    FAIL("no source " << name << " in config.yml");
    return nullptr;
  }
  // How many lines the binds say for the payload in `file`.
  std::size_t lines_for(const ingestion::webhook::Provider& provider, const std::string& source,
                        ingestion::webhook::Request request) {
    auto parsed = provider.parse(request);
    REQUIRE(parsed);
    speaker.said.clear();
    for (auto event : parsed->events) {
      event.source = source;
      event.family = "webhook";
      table.dispatch(event);
    }
    return speaker.said.size();
  }
};

std::vector<std::string> fixtures_in(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CHATOPS_FIXTURES_DIR) + "/" + dir))
    if (entry.path().extension() == ".json") files.push_back(entry.path().filename().string());
  std::ranges::sort(files);
  return files;
}

}  // namespace

TEST_CASE("config.yml says one line for each GitHub event of the recommended set and none for the rest",
          "[config][github]") {
  // The real payloads that the set says; every other one says nothing.
  const std::set<std::string> said{
      "ping.default.json", "ping.with-app_id.json", "ping.with-organization.json",
      "push.new-branch.json", "push.new-branch.no-username-committer.json", "push.tag-created.ghes-3.5.json",
      "push.tag-deleted.json", "push.tag-deleted.with-organization.json",
      "pull_request.opened.json", "pull_request.opened.with-null-body.json", "pull_request.closed.not-merged.json",
      "pull_request.reopened.json", "pull_request.review_requested.json",
      "issues.opened.json", "issues.opened.with-empty-body.json",
      "release.published.json",
      "workflow_run.completed.success.json", "workflow_run.completed.success.with-pull-requests.json",
  };
  Shipped shipped;
  const auto github = shipped.provider("github");
  for (const auto& file : fixtures_in("webhooks/github")) {
    INFO(file);
    const std::string event = file.substr(0, file.find('.'));
    auto request = ingestion::webhook::test::json_request(
        ingestion::webhook::test::read_fixture("webhooks/github/" + file), {{"X-GitHub-Event", event}});
    CHECK(shipped.lines_for(*github, "github", request) == (said.contains(file) ? 1u : 0u));
  }
  // A failed run is said once too (by the failures' bind).
  auto failed = nlohmann::json::parse(ingestion::webhook::test::read_fixture("webhooks/github/workflow_run.completed.success.json"));
  failed["workflow_run"]["conclusion"] = "failure";
  CHECK(shipped.lines_for(*github, "github", ingestion::webhook::test::json_request(failed.dump(), {{"X-GitHub-Event", "workflow_run"}})) == 1);
}

TEST_CASE("config.yml says one line for each GitLab event of the recommended set and none for the rest",
          "[config][gitlab]") {
  const std::set<std::string> said{"push.json", "merge_request.json", "pipeline.json", "issue.json", "release.json"};
  Shipped shipped;
  const auto gitlab = shipped.provider("gitlab");
  for (const auto& file : fixtures_in("webhooks/gitlab/go-gitlab")) {
    INFO(file);
    auto request = ingestion::webhook::test::json_request(
        ingestion::webhook::test::read_fixture("webhooks/gitlab/go-gitlab/" + file));
    CHECK(shipped.lines_for(*gitlab, "gitlab", request) == (said.contains(file) ? 1u : 0u));
  }
  // A review request (an update adding reviewers) is said; a plain update is not.
  auto review = nlohmann::json::parse(ingestion::webhook::test::read_fixture("webhooks/gitlab/go-gitlab/merge_request.json"));
  review["object_attributes"]["action"] = "update";
  CHECK(shipped.lines_for(*gitlab, "gitlab", ingestion::webhook::test::json_request(review.dump())) == 0);
  review["changes"]["reviewers"] = {{"previous", nlohmann::json::array()}, {"current", nlohmann::json::array({{{"username", "alice"}}})}};
  CHECK(shipped.lines_for(*gitlab, "gitlab", ingestion::webhook::test::json_request(review.dump())) == 1);
}

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/config/node.hpp"
#include "ingestion/webhook/gitlab.hpp"
#include "webhook_test_support.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::webhook;
using nlohmann::json;
using chatops::ingestion::webhook::test::said_line;
using chatops::ingestion::webhook::test::said_lines;
using chatops::ingestion::webhook::test::slurp;

namespace {

const std::string kGoGitlabFixtures = std::string(CHATOPS_FIXTURES_DIR) + "/webhooks/gitlab/go-gitlab/";

Request gitlab_request(std::string body, std::vector<std::pair<std::string, std::string>> extra = {}) {
  extra.emplace_back("X-Gitlab-Token", "s3cret");
  return webhook::test::json_request(std::move(body), std::move(extra));
}

const Provider& gitlab() {
  static const auto p = make_gitlab({.token = "s3cret"});
  return *p;
}

IngestionEvent gitlab_event(const Request& r, const Provider& p = gitlab()) { return webhook::test::only_event(p, r); }

IngestionEvent gitlab_fixture(const std::string& file, const std::string& header) {
  return gitlab_event(gitlab_request(slurp(kGoGitlabFixtures + file), {{"X-Gitlab-Event", header}}));
}

}  // namespace

TEST_CASE("gitlab: every go-gitlab fixture is mapped or skipped, and said to the letter", "[gitlab]") {
  struct Expected {
    std::string header;              // X-Gitlab-Event as GitLab sends it
    std::string topic;               // "" = skipped
    std::vector<std::string> said;   // by a bind without a template of its own; none: quiet
  };
  const std::map<std::string, Expected> expected{
      {"push.json",
       {"Push Hook", "gitlab/push",
        {"mike/diaspora jsmith pushed 4 commits to master http://example.com/mike/diaspora/-/compare/"
         "95790bf891e76fee5e1747ab589903a6a1f80f22...da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
         "  b6568db1 Merge branch 'some-feature' into 'master' (Jordi Mallach)",
         "  da156088 fixed readme (GitLab dev user)", "  … and 2 more"}}},
      {"tag_push.json",
       {"Tag Push Hook", "gitlab/tag_push",
        {"jsmith/example jsmith pushed tag v1.0.0 at 82b3d5ae http://example.com/jsmith/example/-/tags/v1.0.0"}}},
      {"merge_request.json",
       {"Merge Request Hook", "gitlab/merge_request",
        {"gitlabhq/gitlab-test user1 opened merge request !1 MS-Viewport (master ← ms-viewport) "
         "http://example.com/diaspora/merge_requests/1"}}},
      {"pipeline.json",
       {"Pipeline Hook", "gitlab/pipeline",
        {"gitlab-org/gitlab-test pipeline #31 on master: success (bcbb5ec3 test, user1) "
         "http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/31"}}},
      {"build.json", {"Job Hook", "gitlab/job", {}}},  // status created: said once it has finished
      {"job.json",
       {"Job Hook", "gitlab/job",
        {"John Smith / release-tools-fake job auto_deploy:start (coordinated:tag) on main: success "
         "https://gitlab.com/jsmithy2/release-tools-fake/-/jobs/3580121225"}}},
      {"issue.json",
       {"Issue Hook", "gitlab/issue",
        {"gitlabhq/gitlab-test root opened issue #23 New API: create/update/delete file [API] "
         "http://example.com/diaspora/issues/23"}}},
      {"note_commit.json",
       {"Note Hook", "gitlab/note",
        {"gitlabhq/gitlab-test user1 commented on commit cfe32cf6 (Add submodule): This is a commit comment. How "
         "does this work? http://example.com/gitlab-org/gitlab-test/commit/cfe32cf61b73a0d5e9f13e774abde7ff789b1660"
         "#note_1243"}}},
      {"note_issue.json",
       {"Note Hook", "gitlab/note",
        {"gitlab-org/gitlab-test user1 commented on issue #17 (test_issue): Hello world "
         "http://example.com/gitlab-org/gitlab-test/issues/17#note_1241"}}},
      {"note_merge_request.json",
       {"Note Hook", "gitlab/note",
        {"gitlab-org/gitlab-test root commented on merge request !1 (Tempora et eos debitis quae laborum et.): "
         "This MR needs work. http://example.com/gitlab-org/gitlab-test/merge_requests/1#note_1244"}}},
      {"note_snippet.json",
       {"Note Hook", "gitlab/note",
        {"gitlab-org/gitlab-test user1 commented on snippet $53 (test): Is this snippet doing what it's supposed to "
         "be doing? http://example.com/gitlab-org/gitlab-test/snippets/53#note_1245"}}},
      {"release.json",
       {"Release Hook", "gitlab/release",
        {"exm-namespace/example-project release 1.0.0 created "
         "http://example.com/exm-namespace/example-project/-/releases/1.0.0"}}},
      {"deployment.json",
       {"Deployment Hook", "gitlab/deployment",
        {"root/test-deployment-webhooks deployment to staging: success (1.0.0 279484c0 Add new file, user1) "
         "http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796"}}},
      {"wiki_page.json", {"Wiki Page Hook", "", {}}},
  };
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kGoGitlabFixtures)) {
    if (entry.path().extension() != ".json") continue;
    const std::string file = entry.path().filename();
    INFO(file);
    REQUIRE(expected.contains(file));  // a new fixture needs an expectation here
    ++seen;
    const auto& [header, topic, said] = expected.at(file);
    auto r = gitlab_request(slurp(entry.path()), {{"X-Gitlab-Event", header}, {"X-Gitlab-Event-UUID", "uuid-" + file}});
    REQUIRE_FALSE(gitlab().authenticate(r).has_value());
    auto parsed = gitlab().parse(r);
    REQUIRE(parsed.has_value());
    if (topic.empty()) {
      CHECK(parsed->events.empty());
      CHECK(parsed->skip_reason == "unmapped GitLab event wiki_page");
      continue;
    }
    REQUIRE(parsed->events.size() == 1);
    const auto& e = parsed->events[0];
    CHECK(e.topic == topic);
    CHECK(e.dedupe_key == "gitlab:uuid-" + file);
    CHECK(json::parse(e.raw) == json::parse(r.body));
    CHECK_FALSE(e.fields["project"].get<std::string>().empty());
    CHECK_FALSE(e.fields["url"].get<std::string>().empty());
    CHECK_FALSE(e.fields["what"].get<std::string>().empty());  // what digest lines call several of them
    CHECK(said_lines(e) == said);
  }
  CHECK(seen == expected.size());
}

TEST_CASE("gitlab: push and tag push fields", "[gitlab]") {
  auto push = gitlab_fixture("push.json", "Push Hook");
  const auto& f = push.fields;
  CHECK(f["project"] == "mike/diaspora");
  CHECK(f["project_url"] == "http://example.com/mike/diaspora");
  CHECK(f["user"] == "jsmith");
  CHECK(f["user_name"] == "John Smith");
  CHECK(f["branch"] == "master");
  CHECK(f["commit_count"] == 4);  // total_commits_count, though only two are listed
  REQUIRE(f["commits"].size() == 2);
  CHECK(f["commits_shown"][1]["short_id"] == "da156088");
  CHECK(f["commits_shown"][1]["title"] == "fixed readme");
  CHECK(f["commits_shown"][1]["author"] == "GitLab dev user");
  CHECK(f["more_commits"] == json::parse(R"([{"count": 2}])"));
  CHECK(f["created"] == false);
  CHECK(f["deleted"] == false);
  CHECK(f["url"] == "http://example.com/mike/diaspora/-/compare/"
                    "95790bf891e76fee5e1747ab589903a6a1f80f22...da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
  CHECK(push.severity == Severity::Info);

  auto tag = gitlab_fixture("tag_push.json", "Tag Push Hook");
  CHECK(tag.fields["tag"] == "v1.0.0");
  CHECK(tag.fields["created"] == true);
  CHECK(tag.fields["short_sha"] == "82b3d5ae");
  CHECK(tag.fields["url"] == "http://example.com/jsmith/example/-/tags/v1.0.0");

  SECTION("a deleted branch") {
    auto body = json::parse(slurp(kGoGitlabFixtures + "push.json"));
    body["after"] = std::string(40, '0');
    body["commits"] = json::array();
    body["total_commits_count"] = 0;
    auto e = gitlab_event(gitlab_request(body.dump()));
    CHECK(e.fields["deleted"] == true);
    CHECK(e.fields["more_commits"].empty());
    CHECK(e.fields["url"] == "http://example.com/mike/diaspora");
  }
}

TEST_CASE("gitlab: merge request, issue and notes", "[gitlab]") {
  auto mr = gitlab_fixture("merge_request.json", "Merge Request Hook");
  CHECK(mr.fields["iid"] == 1);
  CHECK(mr.fields["title"] == "MS-Viewport");
  CHECK(mr.fields["action"] == "open");
  CHECK(mr.fields["action_text"] == "opened");
  CHECK(mr.fields["source_branch"] == "ms-viewport");
  CHECK(mr.fields["target_branch"] == "master");
  CHECK(mr.fields["user"] == "user1");
  CHECK(mr.fields["assignees"] == "user1");
  CHECK(mr.fields["url"] == "http://example.com/diaspora/merge_requests/1");

  SECTION("merge and close are said as such") {
    auto body = json::parse(slurp(kGoGitlabFixtures + "merge_request.json"));
    const std::vector<std::pair<std::string, std::string>> actions{
        {"merge", "merged"}, {"close", "closed"}, {"update", "updated"}};
    for (const auto& [action, text] : actions) {
      body["object_attributes"]["action"] = action;
      CHECK(gitlab_event(gitlab_request(body.dump())).fields["action_text"] == text);
    }
  }

  auto issue = gitlab_fixture("issue.json", "Issue Hook");
  CHECK(issue.fields["iid"] == 23);
  CHECK(issue.fields["title"] == "New API: create/update/delete file");
  CHECK(issue.fields["action_text"] == "opened");
  CHECK(issue.fields["labels"] == "API");
  CHECK(issue.fields["assignees"] == "user1");
  CHECK(issue.fields["user"] == "root");
  CHECK(issue.fields["confidential"] == false);

  const std::map<std::string, std::pair<std::string, std::string>> notes{
      {"note_commit.json", {"commit cfe32cf6", "Add submodule"}},
      {"note_issue.json", {"issue #17", "test_issue"}},
      {"note_merge_request.json", {"merge request !1", "Tempora et eos debitis quae laborum et."}},
      {"note_snippet.json", {"snippet $53", "test"}},
  };
  for (const auto& [file, target] : notes) {
    INFO(file);
    auto note = gitlab_fixture(file, "Note Hook");
    CHECK(note.fields["target"] == target.first);
    CHECK(note.fields["target_title"] == target.second);
    CHECK_FALSE(note.fields["excerpt"].get<std::string>().empty());
  }
  CHECK(gitlab_fixture("note_merge_request.json", "Note Hook").fields["excerpt"] == "This MR needs work.");
}

TEST_CASE("gitlab: pipeline, job, deployment and release statuses", "[gitlab]") {
  auto pipeline = gitlab_fixture("pipeline.json", "Pipeline Hook");
  CHECK(pipeline.fields["id"] == 31);
  CHECK(pipeline.fields["status"] == "success");
  CHECK(pipeline.fields["is_success"] == true);
  CHECK(pipeline.fields["is_failure"] == false);
  CHECK(pipeline.fields["ref"] == "master");
  CHECK(pipeline.fields["short_sha"] == "bcbb5ec3");
  CHECK(pipeline.fields["commit_title"] == "test");
  CHECK(pipeline.fields["failed_jobs"].is_null());
  CHECK(pipeline.fields["merge_request_iid"] == 1);
  CHECK(pipeline.fields["url"] == "http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/31");
  CHECK(pipeline.severity == Severity::Info);

  SECTION("a failed pipeline is red and names its failed jobs") {
    auto body = json::parse(slurp(kGoGitlabFixtures + "pipeline.json"));
    body["object_attributes"]["status"] = "failed";
    body["builds"][1]["status"] = "failed";
    auto e = gitlab_event(gitlab_request(body.dump()));
    CHECK(e.fields["is_failure"] == true);
    CHECK(e.fields["failed_jobs"] == "test-image");
    CHECK(e.severity == Severity::Error);
  }

  auto build = gitlab_fixture("build.json", "Job Hook");
  CHECK(build.fields["name"] == "test");
  CHECK(build.fields["status"] == "created");
  CHECK(build.fields["is_pending"] == true);
  CHECK(build.fields["failure_reason"].is_null());  // GitLab sends one on jobs that did not fail
  CHECK(build.fields["project"] == "gitlab-org/gitlab-test");
  CHECK(build.fields["url"] == "http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/1977");

  auto job = gitlab_fixture("job.json", "Job Hook");
  CHECK(job.fields["id"] == 3580121225LL);
  CHECK(job.fields["name"] == "auto_deploy:start");
  CHECK(job.fields["stage"] == "coordinated:tag");
  CHECK(job.fields["is_success"] == true);
  CHECK(job.fields["environment"] == "production");
  CHECK(job.fields["user"] == "jsmithy2");
  CHECK(job.fields["url"] == "https://gitlab.com/jsmithy2/release-tools-fake/-/jobs/3580121225");

  SECTION("a failed job keeps its failure reason") {
    auto body = json::parse(slurp(kGoGitlabFixtures + "job.json"));
    body["build_status"] = "failed";
    auto e = gitlab_event(gitlab_request(body.dump()));
    CHECK(e.fields["failure_reason"] == "unknown_failure");
    CHECK(e.severity == Severity::Warning);
  }

  auto deployment = gitlab_fixture("deployment.json", "Deployment Hook");
  CHECK(deployment.fields["environment"] == "staging");
  CHECK(deployment.fields["status"] == "success");
  CHECK(deployment.fields["is_success"] == true);
  CHECK(deployment.fields["short_sha"] == "279484c0");
  CHECK(deployment.fields["commit_title"] == "Add new file");
  CHECK(deployment.fields["url"] == "http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796");

  auto release = gitlab_fixture("release.json", "Release Hook");
  CHECK(release.fields["name"] == "1.0.0");
  CHECK(release.fields["tag"] == "1.0.0");
  CHECK(release.fields["action_text"] == "created");
  CHECK(release.fields["url"] == "http://example.com/exm-namespace/example-project/-/releases/1.0.0");
  CHECK(release.fields["project"] == "exm-namespace/example-project");
}

TEST_CASE("gitlab: object_kind decides the topic, X-Gitlab-Event only when it is missing", "[gitlab]") {
  auto body = json::parse(slurp(kGoGitlabFixtures + "build.json"));
  CHECK(gitlab_event(gitlab_request(body.dump(), {{"X-Gitlab-Event", "Pipeline Hook"}})).topic == "gitlab/job");
  body.erase("object_kind");
  CHECK(gitlab_event(gitlab_request(body.dump(), {{"X-Gitlab-Event", "Job Hook"}})).topic == "gitlab/job");
  auto none = gitlab().parse(gitlab_request(body.dump()));
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().status == 400);
}

TEST_CASE("gitlab: dedupe key from Idempotency-Key, else the webhook UUID, else the event UUID", "[gitlab]") {
  const std::string body = slurp(kGoGitlabFixtures + "push.json");
  const auto key = [&](std::vector<std::pair<std::string, std::string>> headers) {
    return gitlab_event(gitlab_request(body, std::move(headers))).dedupe_key;
  };
  CHECK(key({{"X-Gitlab-Event-UUID", "e"}, {"X-Gitlab-Webhook-UUID", "w"}, {"Idempotency-Key", "i"}}) == "gitlab:i");
  CHECK(key({{"X-Gitlab-Event-UUID", "e"}, {"X-Gitlab-Webhook-UUID", "w"}}) == "gitlab:w");
  CHECK(key({{"X-Gitlab-Event-UUID", "e"}}) == "gitlab:e");
  CHECK(key({}).empty());
}

TEST_CASE("gitlab: the token is required and must match", "[gitlab]") {
  auto r = gitlab_request(slurp(kGoGitlabFixtures + "push.json"));
  std::erase_if(r.headers, [](const auto& h) { return h.first == "X-Gitlab-Token"; });
  auto missing = gitlab().authenticate(r);
  REQUIRE(missing.has_value());
  CHECK(missing->status == 401);
  CHECK(missing->cause == "missing_token");

  r.headers.emplace_back("X-Gitlab-Token", "s3cre7");
  auto wrong = gitlab().authenticate(r);
  REQUIRE(wrong.has_value());
  CHECK(wrong->status == 401);
  CHECK(wrong->reason.find("s3cre") == std::string::npos);
}

TEST_CASE("gitlab: malformed and unexpected payloads are 400 without echoing the body", "[gitlab]") {
  for (const std::string body : {"{\"object_kind\": \"push\", oops", "[1, 2]", R"({"object_kind": "merge_request"})",
                                 R"({"object_kind": "push", "commits": []})"}) {
    INFO(body);
    auto parsed = gitlab().parse(gitlab_request(body));
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().status == 400);
    CHECK(parsed.error().reason.find(body) == std::string::npos);
  }
}

TEST_CASE("gitlab: confidential issues and notes are skipped unless include_confidential", "[gitlab]") {
  auto issue = json::parse(slurp(kGoGitlabFixtures + "issue.json"));
  issue["object_attributes"]["confidential"] = true;
  auto note = json::parse(slurp(kGoGitlabFixtures + "note_issue.json"));
  note["issue"]["confidential"] = true;
  for (const auto& body : {issue, note}) {
    auto skipped = gitlab().parse(gitlab_request(body.dump()));
    REQUIRE(skipped.has_value());
    CHECK(skipped->events.empty());
    CHECK(skipped->skip_reason.find("confidential") != std::string::npos);
    auto open = make_gitlab({.token = "s3cret", .include_confidential = true});
    CHECK(gitlab_event(gitlab_request(body.dump()), *open).fields["confidential"] == true);
  }
}

TEST_CASE("gitlab: unfinished pipelines, jobs and deployments and release edits are quiet unless asked", "[gitlab]") {
  auto created = gitlab_fixture("build.json", "Job Hook");
  CHECK(created.fields["is_pending"] == true);
  CHECK(said_lines(created).empty());
  auto pipeline = json::parse(slurp(kGoGitlabFixtures + "pipeline.json"));
  pipeline["object_attributes"]["status"] = "running";
  CHECK(said_lines(gitlab_event(gitlab_request(pipeline.dump()))).empty());
  pipeline["object_attributes"]["status"] = "failed";
  const auto failed = gitlab_event(gitlab_request(pipeline.dump()));
  CHECK(said_line(failed).starts_with("gitlab-org/gitlab-test pipeline #31 on master: failed "));
  const auto coloured = bindings::Template::compile(failed.default_template)->render(
      bindings::template_data(bindings::BindContext(failed))).value();
  CHECK(coloured.find("\x03" "04") != std::string::npos);  // red

  auto release = json::parse(slurp(kGoGitlabFixtures + "release.json"));
  release["action"] = "update";
  CHECK(said_lines(gitlab_event(gitlab_request(release.dump()))).empty());
  release["action"] = "create";
  release["name"] = "Spring cleaning";
  CHECK(said_line(gitlab_event(gitlab_request(release.dump()))) ==
        "exm-namespace/example-project release Spring cleaning (1.0.0) created "
        "http://example.com/exm-namespace/example-project/-/releases/1.0.0");
}

TEST_CASE("gitlab: a merge request update that adds reviewers is a review request", "[gitlab]") {
  // GitLab has no action of its own for it; go-gitlab's merge request with reviewers added.
  auto body = json::parse(slurp(kGoGitlabFixtures + "merge_request.json"));
  body["object_attributes"]["action"] = "update";
  body["changes"]["reviewers"] = {{"previous", json::array({{{"username", "user1"}}})},
                                  {"current", json::array({{{"username", "user1"}}, {{"username", "alice"}}})}};
  const auto e = gitlab_event(gitlab_request(body.dump()));
  CHECK(e.fields["review_requested"] == true);
  CHECK(e.fields["reviewers_added"] == "alice");
  CHECK(said_line(e) == "gitlabhq/gitlab-test user1 requested a review from alice on merge request !1 MS-Viewport "
                        "(master ← ms-viewport) http://example.com/diaspora/merge_requests/1");
  body.erase("changes");
  CHECK(gitlab_event(gitlab_request(body.dump())).fields["review_requested"] == false);
}

TEST_CASE("gitlab: the spec reads token from config and refuses an empty one", "[gitlab]") {
  const auto spec = gitlab_spec();
  CHECK(spec.name == "gitlab");
  auto load = [&](const std::string& yaml) {
    auto node = config::load_string(yaml, "test.yml");
    REQUIRE(node.has_value());
    return config::validate(spec.schema(), *node);
  };
  auto good = load("token: s3cret\n");
  REQUIRE(good.has_value());
  auto made = spec.make(*good);
  REQUIRE(made.has_value());
  CHECK_FALSE((*made)->authenticate(gitlab_request("{}")).has_value());
  CHECK_FALSE(load("{}\n").has_value());  // token is required
  auto empty = load("token: \"\"\n");
  REQUIRE(empty.has_value());
  CHECK_FALSE(spec.make(*empty).has_value());
}
